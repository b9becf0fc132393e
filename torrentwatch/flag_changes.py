"""What an incremental flag run evaluates: the torrents that changed since the last run
that evaluated every rule, and which rules must be evaluated everywhere anyway.

A rule's verdict and evidence for a torrent depend on that torrent's own rows, plus
what its predicates declare they also read (``Predicate.reads``): the hash lists, the
clock or the whole population. So when the rules in force are the ones the last full
run evaluated (same fingerprints: compiled SQL, evidence, score, status), the schema
has not been migrated since, and the data changed only through recorded runs, then

* a rule whose predicates read only the torrent gives, for every torrent no run has
  touched since, exactly what the last run stored; it is evaluated on the changed
  torrents alone;
* a rule with a ``lists`` predicate also re-evaluates, when a list version arrived, the
  torrents on any list and those it flags now (a torrent may have left a list);
* a rule with a ``time`` or ``population`` predicate is evaluated on every torrent.

"Changed" is read from the runs: every torrent a run wrote (``torrents.last_run_id``),
sighted (``observations.run_id``) or merged (``torrent_merges.run_id``), for every run
not finished before the last full run started (a superset is harmless: re-evaluating a
torrent that did not change gives what it gave). The changed torrents' rows are copied
into temporary tables named like the warehouse tables (:func:`shadowed`), which DuckDB
reads in their place, views included: the flag run's own SQL then runs unchanged on
them, so its flags are those a full run would give, which the tests check both ways.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rules.model import Rule, facts
from rules.ruleset import fingerprint

# The warehouse tables keyed by torrent that rules read; copied for the changed torrents.
SHADOWED = ("torrents", "files", "observations")
CHANGED_TABLE = "flag_changed"

BASELINE_SQL = """\
SELECT r.run_id, r.started_at FROM runs r
WHERE r.command = 'flag' AND r.status = 'completed'
  AND EXISTS (SELECT 1 FROM flag_run_rules f WHERE f.run_id = r.run_id AND f.full_run)
ORDER BY r.started_at DESC LIMIT 1"""

# The runs whose writes count as changes: every run but flag runs not finished before
# the baseline started.
SINCE_SQL = """\
SELECT run_id FROM runs
WHERE command <> 'flag' AND (finished_at IS NULL OR finished_at >= $started)"""

# The torrents rows the runs wrote, by row id: the shadow copy of ``torrents`` reads
# those rows straight away when no other change names a torrent (the usual case).
WRITTEN_TABLE = "flag_changed_written"
WRITTEN_SQL = f"""\
CREATE OR REPLACE TEMP TABLE {WRITTEN_TABLE} AS
SELECT rowid AS row_id, infohash FROM torrents WHERE last_run_id IN ({SINCE_SQL})"""

CHANGED_SQL = f"""\
CREATE OR REPLACE TEMP TABLE {CHANGED_TABLE} AS
WITH since AS ({SINCE_SQL})
SELECT infohash FROM {WRITTEN_TABLE}
UNION SELECT infohash FROM observations WHERE run_id IN (SELECT run_id FROM since)
UNION SELECT infohash FROM torrent_merges WHERE run_id IN (SELECT run_id FROM since)
UNION SELECT merged_infohash FROM torrent_merges WHERE run_id IN (SELECT run_id FROM since)"""

# Changed torrents whose row is not among those the runs wrote (sighted, merged, listed).
UNWRITTEN_SQL = f"""\
SELECT count(*) FROM {CHANGED_TABLE} ANTI JOIN {WRITTEN_TABLE} USING (infohash)"""

LISTS_CHANGED_SQL = """\
SELECT count(*) FROM hash_lists WHERE loaded_at >= $started"""

# When a list version arrived: the torrents on any list now, and those a list rule flags.
LIST_TORRENTS_SQL = f"""\
INSERT INTO {CHANGED_TABLE}
SELECT infohash FROM torrent_hash_list_matches
UNION SELECT infohash FROM flags WHERE active AND list_contains($rule_ids, rule_id)
EXCEPT SELECT infohash FROM {CHANGED_TABLE}"""


@dataclass(frozen=True, slots=True)
class Plan:
    """How a flag run evaluates: ``full`` (every rule on every torrent), or incremental:
    ``everywhere`` rules on every torrent, the others on ``CHANGED_TABLE`` only."""

    full: bool
    reason: str  # why a full run, in words ("" when incremental)
    everywhere: tuple[str, ...] = ()  # rule ids evaluated on every torrent
    changed: int = 0  # torrents in CHANGED_TABLE


def reads(rule: Rule) -> set[str]:
    """What ``rule``'s predicates read besides the torrent (``Predicate.reads``)."""
    return {p.reads for p, _ in facts(rule.when)} - {"torrent"}


def plan(con, rules: list[Rule], *, full: bool = False, limited: bool = False) -> Plan:
    """Decide how this run evaluates ``rules``; an incremental plan leaves the changed
    torrents in the temporary table ``CHANGED_TABLE`` (``drop_plan`` drops it)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED_TABLE} (infohash VARCHAR)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {WRITTEN_TABLE} (row_id BIGINT, infohash VARCHAR)")
    if full:
        return Plan(True, "asked for (--full)")
    if limited:
        return Plan(True, "limited to some rules (--rule)")
    baseline = con.execute(BASELINE_SQL).fetchone()
    if baseline is None:
        return Plan(True, "no earlier run evaluated every rule")
    run_id, started = baseline
    stored = set(
        con.execute(
            "SELECT rule_id, fingerprint FROM flag_run_rules WHERE run_id = $r", {"r": run_id}
        ).fetchall()
    )
    if stored != {(r.id, fingerprint(r)) for r in rules}:
        return Plan(True, f"the rules in force changed since run {run_id}")
    migrated = con.execute(
        "SELECT count(*) FROM schema_migrations WHERE applied_at >= $s", {"s": started}
    ).fetchone()[0]
    if migrated:
        return Plan(True, f"the warehouse schema was migrated since run {run_id}")
    con.execute(WRITTEN_SQL, {"started": started})
    con.execute(CHANGED_SQL, {"started": started})
    list_rules = [r.id for r in rules if "lists" in reads(r)]
    if list_rules and con.execute(LISTS_CHANGED_SQL, {"started": started}).fetchone()[0]:
        con.execute(LIST_TORRENTS_SQL, {"rule_ids": list_rules})
    everywhere = tuple(r.id for r in rules if reads(r) & {"time", "population"})
    (changed,) = con.execute(f"SELECT count(*) FROM {CHANGED_TABLE}").fetchone()
    return Plan(False, "", everywhere, changed)


def drop_plan(con) -> None:
    """Drop the temporary tables :func:`plan` made."""
    for table in (CHANGED_TABLE, WRITTEN_TABLE):
        con.execute(f"DROP TABLE {table}")


@contextmanager
def shadowed(con, tables: Collection[str] = SHADOWED) -> Iterator[None]:
    """While open, ``tables`` (of ``torrents``, ``files`` and ``observations``) read as
    the rows of the changed torrents only: temporary tables of those names, which DuckDB
    resolves before the warehouse's (in views too). A table left out is read whole, as
    it is: the same answers, for rules that do not read it at no cost."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    (unwritten,) = con.execute(UNWRITTEN_SQL).fetchone()
    made = []
    try:
        for table in [t for t in SHADOWED if t in tables]:
            # Two steps: the rows' ids from the infohash column alone, then those rows
            # whole (a row-id filter reads only their row groups); one step would read
            # every column of every row (1M torrents, 10k changed: 0.1 s against 1.3 s).
            # The torrents rows the runs wrote are known by id already (WRITTEN_TABLE).
            source = f'"{database}".main.{table}'
            rows = (
                f"SELECT rowid FROM {source}"
                f" WHERE infohash IN (SELECT infohash FROM {CHANGED_TABLE})"
            )
            if table == "torrents" and not unwritten:
                rows = f"SELECT row_id FROM {WRITTEN_TABLE}"
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT * FROM {source} WHERE rowid IN ({rows})"
            )
            made.append(table)
        yield
    finally:
        for table in made:
            con.execute(f"DROP TABLE temp.main.{table}")
