"""Evaluation: run every rule in force over the warehouse and keep ``flags`` current.

Set-wise, never one torrent at a time in Python: fuzzy hits, claim populations
(``rare_for_claim``) and every rule's file facts (one pass over ``files``,
``rules.compile.file_facts_sql``) are prepared, every rule's
compiled condition selects its candidates over the whole warehouse in one statement
(``rules.compile.candidates_sql``), the evidence of just those is computed over tables
cut down to them (``matches_sql``; the same values as ``flag_sql`` gives), and three
statements merge the result into the rows behind ``flags`` (``flag_rows``) in one
transaction, with a stamp per rule evaluated (``flag_rule_stamps``, migration 020: the
rows of torrents an incremental run did not evaluate are not rewritten, and the view
shows on them what a full run would have written). What SQL a rule becomes is
``rules.compile``'s business; this stage runs it and keeps the flags.
Flags are never deleted: one whose rule no longer matches (or is switched off) stays
with ``active = false``, so what was raised and why stays answerable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.errors import FlagMatchesRepeat
from common.summary import Summary
from rules import populations
from rules.compile import (
    SCOPED,
    candidates_sql,
    file_facts_query,
    file_facts_sql,
    matches_sql,
    scope_sql,
    tables_read,
)
from rules.file_facts import FILE_FACTS
from rules.fuzzy import prepare
from rules.model import Rule
from rules.ruleset import fingerprint, load_packs, run_rules_table, select_rules
from torrentwatch.flag_changes import CHANGED_TABLE, Plan, drop_plan, listed, shadowed
from torrentwatch.flag_changes import plan as plan_run
from warehouse.db import connect
from warehouse.extensions import quiet
from warehouse.flag_rows import SHOWN_EVALUATED_AT, SHOWN_MATCHED_AT
from warehouse.lanes import serialized
from warehouse.runs import recorded_run

MATCHES_TABLE = """\
CREATE OR REPLACE TEMP TABLE flag_matches (
    rule_id VARCHAR, rule_version INTEGER, level VARCHAR, infohash VARCHAR, evidence JSON,
    score DOUBLE)"""

# Still matching: refresh the times; a new version or new evidence rewrites the rest.
UPDATE_MATCHED_SQL = """\
UPDATE flag_rows SET
    rule_version = m.rule_version, level = m.level, evidence = m.evidence, score = m.score,
    last_evaluated_at = $now, last_matched_at = $now, active = true, last_run_id = $run_id
FROM flag_matches m
WHERE flag_rows.infohash = m.infohash AND flag_rows.rule_id = m.rule_id"""

INSERT_NEW_SQL = """\
INSERT INTO flag_rows (infohash, rule_id, rule_version, level, score, evidence,
    first_flagged_at, last_evaluated_at, last_matched_at, active, first_run_id, last_run_id)
SELECT m.infohash, m.rule_id, m.rule_version, m.level, m.score, m.evidence,
    $now, $now, $now, true, $run_id, $run_id
FROM flag_matches m ANTI JOIN flag_rows USING (infohash, rule_id)"""


# Which flags this run evaluated: every flag, or in an incremental run those of the
# rules evaluated everywhere and those of the changed torrents (flag_changes).
def _evaluated(alias: str = "") -> str:
    return (
        f"(NOT $incremental OR list_contains($everywhere, {alias}rule_id)"
        f" OR {alias}infohash IN (SELECT infohash FROM {CHANGED_TABLE}))"
    )


# Every evaluated flag this run did not match (its torrent or rule was evaluated): the
# flags that are switched off, and those of rules in force stamped as evaluated. One
# pass over the flags; in an incremental run only the changed torrents' flags qualify.
UNMATCHED_TABLE_SQL = f"""\
CREATE OR REPLACE TEMP TABLE flag_unmatched AS
SELECT f.infohash, f.rule_id, f.active
FROM flag_rows f ANTI JOIN flag_matches m USING (infohash, rule_id)
WHERE (NOT $limited OR list_contains($rule_ids, f.rule_id)) AND {_evaluated("f.")}
  AND (f.active OR list_contains($rule_ids, f.rule_id))"""

# Those flags, kept and switched off, evaluated now when their rule is still in force.
# Before a row changes, what the ``flags`` view showed of it is written in
# (warehouse.flag_rows), so the view goes on showing what a full run would have written.
# Flags not evaluated (an incremental run, a torrent that did not change) are not
# written: their rule's stamp (``STAMPS_SQL``) says they were confirmed.
UNMATCHED_SQL = f"""\
UPDATE flag_rows SET
    active = false,
    last_evaluated_at = CASE WHEN list_contains($rule_ids, flag_rows.rule_id) THEN $now
                             ELSE {SHOWN_EVALUATED_AT} END,
    last_matched_at = {SHOWN_MATCHED_AT},
    last_run_id = $run_id
FROM flag_unmatched u
WHERE flag_rows.infohash = u.infohash AND flag_rows.rule_id = u.rule_id"""

# The rules this run evaluated, stamped with its id and time (one row per rule).
STAMPS_SQL = (
    "DELETE FROM flag_rule_stamps WHERE list_contains($rule_ids, rule_id)",
    "INSERT INTO flag_rule_stamps SELECT unnest($rule_ids), $run_id, $now",
)

# Each flag's status is its rule's (migration 015), and the run records its rules.
STATUS_SQL = """\
UPDATE flag_rows SET status = r.status FROM run_rules r
WHERE flag_rows.rule_id = r.rule_id AND flag_rows.last_run_id = $run_id
  AND flag_rows.status IS DISTINCT FROM r.status"""
RUN_RULES_SQL = """\
INSERT INTO flag_run_rules SELECT $run_id, rule_id, rule_version, level, status,
    fingerprint, $full_run, $now FROM run_rules"""

# A (torrent, rule) pair matched twice would become two flags: `flags` has no key
# (migration 018), so the run checks its matches before it writes.
REPEATED_SQL = """\
SELECT infohash, rule_id, count(*) FROM flag_matches
GROUP BY infohash, rule_id HAVING count(*) > 1 ORDER BY ALL LIMIT 3"""

COUNT_CHANGED_SQL = """\
SELECT
    count(*) FILTER (WHERE f.infohash IS NULL),
    count(*) FILTER (WHERE f.infohash IS NOT NULL AND (NOT f.active
        OR f.rule_version != m.rule_version OR f.evidence::VARCHAR != m.evidence::VARCHAR))
FROM flag_matches m LEFT JOIN flag_rows f USING (infohash, rule_id)"""


@dataclass(frozen=True, slots=True)
class FlagSummary(Summary):
    """What one `torrentwatch flag` run did; printed by the CLI, returned to DAG tasks,
    kept in ``runs.detail``."""

    run_id: str
    rules: int
    matched: int  # (torrent, rule) pairs matching now
    new: int  # flags raised for the first time
    changed: int  # existing flags with a new version or evidence, or active again
    deactivated: int  # flags whose rule no longer matches or is switched off
    active: int  # active flags after the run
    # "full", or "incremental": the changed torrents only (flag_changes), ``evaluated``
    # of them; ``reason`` says why a run was full.
    mode: str = "full"
    evaluated: int | None = None
    reason: str = ""
    # Rows of ``files`` when the run read them: the next incremental run finds the
    # files appended since from there on (flag_changes.shadowed).
    files_seen: int | None = None


def _facts_on_cursor(cursor, files_view: str, query: str) -> pa.Table:
    """``query`` (the file facts) on ``cursor``, another connection to the warehouse,
    with ``files`` the same view of the appended rows as on the run's connection."""
    try:
        quiet(cursor)
        cursor.execute(files_view)
        return cursor.execute(query).to_arrow_table()
    finally:
        cursor.close()


def _match(con, rules: list[Rule], files_view: str | None = None) -> None:
    """Fill ``flag_matches``: fuzzy hits, claim populations and every rule's file facts
    (one pass over ``files``), then candidates, then evidence.

    ``files_view``: the statement making ``files`` a view of warehouse rows (an
    incremental run on a file, flag_changes.shadowed). The file facts then run on a
    second connection while this one scores the fuzzy terms: on a few thousand torrents
    each is one thread's work (DuckDB splits a scan by row groups of 122,880 rows), so
    the two overlap on two cores; a full run's statements use every core already. The
    second connection reads what this run's snapshot reads: on a DuckDB file this
    process is the only writer, and this run writes no file rows."""
    con.execute(MATCHES_TABLE)
    if files_view is None:
        prepare(con, rules)
        populations.prepare(con, rules)
        con.execute(file_facts_sql(rules))
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            query = file_facts_query(rules)
            facts = pool.submit(_facts_on_cursor, con.cursor(), files_view, query)
            prepare(con, rules)
            populations.prepare(con, rules)
            rows = facts.result()
        con.register("flag_file_facts_rows", rows)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {FILE_FACTS} AS FROM flag_file_facts_rows")
        finally:
            con.unregister("flag_file_facts_rows")
    con.execute(candidates_sql(rules))
    read = tables_read(rules)
    for table in SCOPED:
        con.execute(scope_sql(table, table in read))
    # Evidence only for the rules that selected something: a rule with no candidates
    # adds nothing but planning (18 rules' evidence in one statement: ~40 ms of it).
    found = con.execute("SELECT DISTINCT rule_id FROM flag_candidates").fetchall()
    selected = {rule_id for (rule_id,) in found}
    chosen = [r for r in rules if r.id in selected]
    if chosen:
        con.execute(matches_sql(chosen, facts_of=rules))
    for table in (FILE_FACTS, "flag_candidates", *(f"flag_scope_{t}" for t in SCOPED)):
        con.execute(f"DROP TABLE {table}")


def match_rules(con, rules: list[Rule]) -> None:
    """The flag run's matching of ``rules`` into the temporary table ``flag_matches``,
    writing nothing else: `rules diff` runs it on a read-only connection (one evaluator)."""
    _match(con, rules)


def _record_rules(con, rules: list[Rule], run_id: str, now: datetime, full_run: bool) -> None:
    """Each flag's status from its rule, and the run's rules into ``flag_run_rules``."""
    rows = [(r.id, r.version, r.level, r.status, fingerprint(r)) for r in rules]
    con.register("run_rules", run_rules_table(rows))
    con.execute(STATUS_SQL, {"run_id": run_id})
    con.execute(RUN_RULES_SQL, {"run_id": run_id, "full_run": full_run, "now": now})
    con.unregister("run_rules")


def _match_planned(con, rules: list[Rule], plan: Plan) -> None:
    """``flag_matches`` as the plan says: every rule on every torrent, or the rules
    evaluated everywhere so, and the others on the changed torrents' rows alone."""
    if plan.full:
        _match(con, rules)
        return
    local = [r for r in rules if r.id not in plan.everywhere]
    if plan.changed:
        with shadowed(con, {"torrents", *tables_read(local)}, plan) as made:
            files = made.get("files", "")
            _match(con, local, files if files.startswith("CREATE TEMP VIEW") else None)
    else:  # nothing changed: no torrent to evaluate them on
        con.execute(MATCHES_TABLE)
    if not plan.everywhere:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE flag_matches_changed AS FROM flag_matches")
    _match(con, [r for r in rules if r.id in plan.everywhere])
    con.execute("INSERT INTO flag_matches FROM flag_matches_changed")
    con.execute("DROP TABLE flag_matches_changed")


def _merge(
    con, rules: list[Rule], run_id: str, limited: bool = False, full: bool = False
) -> FlagSummary:
    """Match every rule (or, incrementally, what changed: ``flag_changes``) and merge
    into ``flags``; the caller holds the transaction. ``limited`` (`flag --rule`): only
    the flags of ``rules`` are switched off. ``full``: every torrent, whatever changed."""
    plan = plan_run(con, rules, full=full, limited=limited)
    (files_seen,) = con.execute("SELECT count(*) FROM files").fetchone()
    _match_planned(con, rules, plan)
    repeated = con.execute(REPEATED_SQL).fetchall()
    if repeated:
        shown = "; ".join(f"{rule} on {infohash} {n} times" for infohash, rule, n in repeated)
        raise FlagMatchesRepeat(f"the run matched a (torrent, rule) pair more than once: {shown}")
    (matched,) = con.execute("SELECT count(*) FROM flag_matches").fetchone()
    new, changed = con.execute(COUNT_CHANGED_SQL).fetchone()
    params = {"now": datetime.now(UTC), "run_id": run_id}
    scope = {"limited": limited, "incremental": not plan.full}
    lists = {"rule_ids": [r.id for r in rules], "everywhere": plan.everywhere}
    con.execute(listed(UNMATCHED_TABLE_SQL, **lists), scope)
    (deactivated,) = con.execute("SELECT count(*) FROM flag_unmatched WHERE active").fetchone()
    con.execute(UPDATE_MATCHED_SQL, params)
    con.execute(INSERT_NEW_SQL, params)
    con.execute(listed(UNMATCHED_SQL, rule_ids=lists["rule_ids"]), params)
    con.execute("DROP TABLE flag_unmatched")
    delete_stamps, insert_stamps = (listed(sql, rule_ids=lists["rule_ids"]) for sql in STAMPS_SQL)
    con.execute(delete_stamps)
    con.execute(insert_stamps, params)
    _record_rules(con, rules, run_id, params["now"], not limited)
    (active,) = con.execute("SELECT count(*) FROM flag_rows WHERE active").fetchone()
    con.execute("DROP TABLE flag_matches")
    drop_plan(con)
    mode, evaluated = ("full", None) if plan.full else ("incremental", plan.changed)
    return FlagSummary(
        run_id,
        len(rules),
        matched,
        new,
        changed,
        deactivated,
        active,
        mode,
        evaluated,
        plan.reason,
        files_seen,
    )


def flag(
    db: str | Path,
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    rule_ids: Iterable[str] = (),
    full: bool = False,
) -> FlagSummary:
    """`torrentwatch flag`: load the packs (shipped, then ``paths``), evaluate every
    rule in force (or only those of ``rule_ids``: `flag --rule`, which leaves every
    other rule's flags as they are) and update ``flags``, all in one transaction.

    When the rules are those of the last run that evaluated all of them, only the
    torrents changed since are evaluated (``flag_changes``), with the flags a full run
    would give; ``full`` evaluates every torrent anyway. On a lake, two flag runs at
    once are ordered by the flag lane (the later one runs again, on the newer data)."""
    rule_ids = list(rule_ids)
    rules = select_rules(load_packs(paths), rule_ids)
    con = connect(db)
    try:
        with recorded_run(con, "flag") as run:
            summary = serialized(
                con,
                "flag",
                f"flag run {run.run_id}",
                lambda: _merge(con, rules, run.run_id, limited=bool(rule_ids), full=full),
                run_id=run.run_id,
            )
            run.detail = summary.as_dict()
        return summary
    finally:
        con.close()
