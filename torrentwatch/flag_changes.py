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

from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rules.model import Rule, facts
from rules.predicates import lits
from rules.ruleset import fingerprint
from warehouse.lake import is_lake_connection

# The warehouse tables keyed by torrent that rules read; copied for the changed torrents.
SHADOWED = ("torrents", "files", "observations")
CHANGED_TABLE = "flag_changed"

BASELINE_SQL = """\
SELECT r.run_id, r.started_at, TRY_CAST(r.detail->>'files_seen' AS BIGINT) FROM runs r
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

MERGED_SQL = f"SELECT count(*) FROM torrent_merges WHERE run_id IN ({SINCE_SQL})"

LISTS_CHANGED_SQL = """\
SELECT count(*) FROM hash_lists WHERE loaded_at >= $started"""

# When a list version arrived: the torrents on any list now, and those a list rule flags.
LIST_TORRENTS_SQL = f"""\
INSERT INTO {CHANGED_TABLE}
SELECT infohash FROM torrent_hash_list_matches
UNION SELECT infohash FROM flag_rows WHERE active AND list_contains($rule_ids, rule_id)
EXCEPT SELECT infohash FROM {CHANGED_TABLE}"""


def listed(sql: str, **lists: Iterable[str]) -> str:
    """``sql`` with each ``$name`` of ``lists`` written in as a VARCHAR[] literal.

    Lists are not bound as parameters: DuckDB's Python client tries to import pandas
    for every element it binds, and where pandas is not installed each try searches
    sys.path again (~60 µs a value: a list of 22 rule ids, 1.3 ms a statement)."""
    for name, values in lists.items():
        sql = sql.replace(f"${name}", f"[{lits(tuple(values))}]::VARCHAR[]")
    return sql


@dataclass(frozen=True, slots=True)
class Plan:
    """How a flag run evaluates: ``full`` (every rule on every torrent), or incremental:
    ``everywhere`` rules on every torrent, the others on ``CHANGED_TABLE`` only."""

    full: bool
    reason: str  # why a full run, in words ("" when incremental)
    everywhere: tuple[str, ...] = ()  # rule ids evaluated on every torrent
    changed: int = 0  # torrents in CHANGED_TABLE
    merged: int = 0  # torrent merges since the baseline
    # Rows of ``files`` the baseline run saw: files appended since have row ids from
    # there on (``shadowed`` reads them there when that covers every changed torrent).
    files_from: int | None = None


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
    run_id, started, files_from = baseline
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
        con.execute(listed(LIST_TORRENTS_SQL, rule_ids=list_rules))
    everywhere = tuple(r.id for r in rules if reads(r) & {"time", "population"})
    (changed,) = con.execute(f"SELECT count(*) FROM {CHANGED_TABLE}").fetchone()
    (merged,) = con.execute(MERGED_SQL, {"started": started}).fetchone()
    return Plan(False, "", everywhere, changed, merged, files_from)


def drop_plan(con) -> None:
    """Drop the temporary tables :func:`plan` made."""
    for table in (CHANGED_TABLE, WRITTEN_TABLE):
        con.execute(f"DROP TABLE {table}")


# Where the files appended since the baseline (row ids from $from on) stand against the
# changed torrents: ``strays``, tail rows of a torrent not among them, and ``short``,
# changed torrents with metadata whose files are not all there. Each torrent's files are
# written by one INSERT (warehouse.load) and never deleted, so a torrent with files there
# and as many real files there as it has has them all there; merges move files between
# torrents (the plan reads files by infohash then).
TAIL_SQL = f"""\
WITH tail AS (
    SELECT infohash, count(*) AS n_rows, count(*) FILTER (WHERE NOT is_pad) AS n_real
    FROM {{source}} WHERE rowid >= $from GROUP BY infohash),
changed AS (
    SELECT infohash, has_metadata, file_count FROM torrents
    WHERE infohash IN (SELECT infohash FROM {CHANGED_TABLE}))
SELECT
    count(*) FILTER (WHERE c.infohash IS NULL),
    count(*) FILTER (WHERE c.has_metadata
        AND (f.n_rows IS NULL OR f.n_real IS DISTINCT FROM c.file_count))
FROM tail f FULL JOIN changed c ON c.infohash = f.infohash"""


def _changed_rows(con, table: str, source: str, unwritten: int) -> str:
    """A temporary table of the row ids (``row_id``) of ``table``'s rows of the changed
    torrents: found from the infohash column alone (every column of every row would be
    read otherwise); the torrents rows the runs wrote are known by id already."""
    if table == "torrents" and not unwritten:
        return WRITTEN_TABLE
    rows = f"flag_changed_rows_{table}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT rowid AS row_id FROM {source}"
        f" WHERE infohash IN (SELECT infohash FROM {CHANGED_TABLE})"
    )
    return rows


def _shadow(con, table: str, source: str, unwritten: int, plan: Plan | None) -> tuple[str, str]:
    """("VIEW" or "TABLE", the query) of ``table``'s shadow. When the rows are one run
    of row ids (new torrents and their files are appended), a view of that range: each
    read then touches only those rows' row groups and the columns it asks for (DuckDB
    prunes by row id), and nothing is copied. Otherwise the rows are copied once."""
    lake = is_lake_connection(con)  # row ids on a lake are not positions: always copy
    if table == "files" and not lake and plan and plan.files_from is not None and not plan.merged:
        tail = {"from": plan.files_from}
        strays, short = con.execute(TAIL_SQL.format(source=source), tail).fetchone()
        if not strays and not short:  # the files since the baseline, and only they
            return "VIEW", f"SELECT * FROM {source} WHERE rowid >= {int(plan.files_from)}"
    rows = _changed_rows(con, table, source, unwritten)
    low, high, count = con.execute(
        f"SELECT min(row_id), max(row_id), count(*) FROM {rows}"
    ).fetchone()
    if count and high - low + 1 == count and not lake:
        kind = "TABLE" if table == "torrents" else "VIEW"
        return kind, f"SELECT * FROM {source} WHERE rowid BETWEEN {low} AND {high}"
    return "TABLE", f"SELECT * FROM {source} WHERE rowid IN (SELECT row_id FROM {rows})"


@contextmanager
def shadowed(
    con, tables: Collection[str] = SHADOWED, plan: Plan | None = None
) -> Iterator[dict[str, str]]:
    """While open, ``tables`` (of ``torrents``, ``files`` and ``observations``) read as
    the rows of the changed torrents only: temporary views or tables of those names,
    which DuckDB resolves before the warehouse's (in views too). A table left out is
    read whole, as it is: the same answers, for rules that do not read it at no cost.
    ``plan`` (the run's) says where the files appended since its baseline start.
    Yields each shadow's definition (``CREATE TEMP VIEW|TABLE <table> AS <query>``)."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    (unwritten,) = con.execute(UNWRITTEN_SQL).fetchone()
    made: dict[str, str] = {}
    try:
        for table in [t for t in SHADOWED if t in tables]:
            kind, select = _shadow(con, table, f'"{database}".main.{table}', unwritten, plan)
            made[table] = f"CREATE TEMP {kind} {table} AS {select}"
            con.execute(made[table])
        yield made
    finally:
        for table, made_as in reversed(made.items()):
            kind = made_as.split()[2]
            con.execute(f"DROP {kind} IF EXISTS temp.main.{table}")
        for table in SHADOWED:
            con.execute(f"DROP TABLE IF EXISTS flag_changed_rows_{table}")
