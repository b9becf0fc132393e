"""Evaluation: run every rule in force over the warehouse and keep ``flags`` current.

Set-wise, never one torrent at a time in Python: fuzzy hits are prepared, every rule's
compiled condition selects its candidates over the whole warehouse in one statement
(``candidates_sql``), the evidence of just those is computed over tables cut down to
them (``matches_sql``; the same values as ``flag_sql`` gives), and three statements
merge the result into ``flags`` in one transaction.
Flags are never deleted: one whose rule no longer matches (or is switched off) stays
with ``active = false``, so what was raised and why stays answerable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from common.summary import Summary
from common.textcap import cap_text
from rules.fuzzy import prepare
from rules.model import All, AnyOf, Condition, Not, Rule
from rules.predicates import Predicate, lit
from rules.ruleset import load_packs
from rules.text_predicates import FuzzyTerms
from warehouse.db import connect, write_error
from warehouse.runs import recorded_run

# A rule without fuzzy predicates scores 1.0; one with them, its best fuzzy score / 100.
SCORE = 1.0
# Text a rule puts into the evidence of every flag it raises (a pattern, a file name,
# the title) is cut to this, saying how much was left out.
EVIDENCE_TEXT_CHARS = 500

MATCHES_TABLE = """\
CREATE OR REPLACE TEMP TABLE flag_matches (
    rule_id VARCHAR, rule_version INTEGER, level VARCHAR, infohash VARCHAR, evidence JSON,
    score DOUBLE)"""

# Still matching: refresh the times; a new version or new evidence rewrites the rest.
UPDATE_MATCHED_SQL = """\
UPDATE flags SET
    rule_version = m.rule_version, level = m.level, evidence = m.evidence, score = m.score,
    last_evaluated_at = $now, last_matched_at = $now, active = true, last_run_id = $run_id
FROM flag_matches m
WHERE flags.infohash = m.infohash AND flags.rule_id = m.rule_id"""

INSERT_NEW_SQL = """\
INSERT INTO flags (infohash, rule_id, rule_version, level, score, evidence,
    first_flagged_at, last_evaluated_at, last_matched_at, active, first_run_id, last_run_id)
SELECT m.infohash, m.rule_id, m.rule_version, m.level, m.score, m.evidence,
    $now, $now, $now, true, $run_id, $run_id
FROM flag_matches m ANTI JOIN flags USING (infohash, rule_id)"""

# No longer matching: kept, switched off; evaluated now when its rule is still in force.
DEACTIVATE_SQL = """\
UPDATE flags SET
    active = false,
    last_evaluated_at = CASE WHEN list_contains($rule_ids, rule_id) THEN $now
                             ELSE last_evaluated_at END,
    last_run_id = $run_id
WHERE NOT EXISTS (SELECT 1 FROM flag_matches m
                  WHERE m.infohash = flags.infohash AND m.rule_id = flags.rule_id)
  AND (active OR list_contains($rule_ids, rule_id))"""

# Active flags whose rule matched nothing for their torrent this run (an anti-join).
COUNT_DEACTIVATED_SQL = """\
SELECT count(*) FROM flags f ANTI JOIN flag_matches m USING (infohash, rule_id)
WHERE f.active"""

COUNT_CHANGED_SQL = """\
SELECT
    count(*) FILTER (WHERE f.infohash IS NULL),
    count(*) FILTER (WHERE f.infohash IS NOT NULL AND (NOT f.active
        OR f.rule_version != m.rule_version OR f.evidence::VARCHAR != m.evidence::VARCHAR))
FROM flag_matches m LEFT JOIN flags f USING (infohash, rule_id)"""


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


def facts(condition: Condition, negated: bool = False) -> Iterator[tuple[Predicate, bool]]:
    """Every predicate of ``condition`` with whether an odd number of ``not`` wraps it."""
    if isinstance(condition, (All, AnyOf)):
        for item in condition.items:
            yield from facts(item, negated)
    elif isinstance(condition, Not):
        yield from facts(condition.item, not negated)
    else:
        yield condition, negated


def _evidence_text(value: object) -> object:
    """A rule's own text as stored in evidence: strings cut to ``EVIDENCE_TEXT_CHARS``."""
    if isinstance(value, str):
        return cap_text(value, EVIDENCE_TEXT_CHARS)
    if isinstance(value, list | tuple):
        return [_evidence_text(item) for item in value]
    return value


def _fact_sql(predicate: Predicate, negated: bool) -> str:
    shown = predicate.args() if isinstance(predicate, FuzzyTerms) else asdict(predicate)
    args = json.dumps({k: _evidence_text(x) for k, x in shown.items()}, sort_keys=True)
    return (
        f"json_object('predicate', {lit(predicate.keyword)}, 'args', {lit(args)}::JSON,"
        f" 'negated', {str(negated).lower()}, 'holds', coalesce({predicate.sql()}, false),"
        f" 'values', {predicate.evidence_sql()})"
    )


def evidence_sql(rule: Rule) -> str:
    """The JSON evidence of ``rule`` for torrent ``t``: the rule, and each predicate
    with its arguments, whether it holds, and the values (columns, files) it read."""
    listed = ", ".join(_fact_sql(p, neg) for p, neg in facts(rule.when))
    return (
        f"json_object('rule_id', {lit(rule.id)}, 'version', {rule.version},"
        f" 'title', {lit(cap_text(rule.title, EVIDENCE_TEXT_CHARS))}, 'level', {lit(rule.level)},"
        f" 'facts', json_array({listed}))"
    )


def score_sql(rule: Rule) -> str:
    """The flag score: the best score (/100) of the rule's fuzzy predicates that are not
    negated, or 1.0 when it has none (or none of them matched)."""
    best = [p.best_sql() for p, neg in facts(rule.when) if isinstance(p, FuzzyTerms) and not neg]
    if not best:
        return f"{SCORE}"
    top = best[0] if len(best) == 1 else f"greatest({', '.join(best)})"
    return f"coalesce({top} / 100.0, {SCORE})"


def flag_sql(rule: Rule) -> str:
    """The torrents ``rule`` flags with their evidence (pure: returns SQL); a rule with
    ``fuzzy_terms`` reads ``fuzzy_hits`` (``rules.fuzzy.prepare`` writes it)."""
    return f"SELECT t.infohash, {evidence_sql(rule)} AS evidence FROM torrents t WHERE {rule.sql}"


def candidates_sql(rules: list[Rule]) -> str:
    """Pass 1 (pure: returns SQL): the (rule_id, infohash) every rule selects, all
    rules in one statement over the whole warehouse; no evidence yet."""
    parts = [
        f"SELECT {lit(r.id)} AS rule_id, t.infohash FROM torrents t WHERE {r.sql}" for r in rules
    ]
    if not parts:
        parts = ["SELECT NULL::VARCHAR AS rule_id, NULL::VARCHAR AS infohash WHERE false"]
    return "CREATE OR REPLACE TEMP TABLE flag_candidates AS " + " UNION ALL ".join(parts)


# The tables evidence subqueries read, cut down to the torrents some rule selected. In
# pass 2 CTEs of the same names shadow the warehouse tables, so every predicate's
# evidence SQL (correlated on t.infohash) reads a few thousand rows instead of scanning
# millions once per subquery, and gives the same values. (``torrents`` itself is read
# once per rule as ``t``, restricted to its candidates: copying the wide table cost
# more than those scans at 1,000,000 torrents; see BENCHMARKS.md.)
SCOPED = ("files", "observations")


def _scope_sql(table: str) -> str:
    return (
        f"CREATE OR REPLACE TEMP TABLE flag_scope_{table} AS SELECT * FROM {table}"
        " WHERE infohash IN (SELECT infohash FROM flag_candidates)"
    )


def matches_sql(rules: list[Rule]) -> str:
    """Pass 2 (pure: returns SQL): evidence and score of every candidate into
    ``flag_matches``, over the scoped tables (``flag_scope_*``, see ``SCOPED``)."""
    shadow = ", ".join(f"{t} AS (SELECT * FROM flag_scope_{t})" for t in SCOPED)
    parts = [
        f"SELECT {lit(r.id)}, {r.version}, {lit(r.level)}, t.infohash, {evidence_sql(r)},"
        f" {score_sql(r)} FROM torrents t WHERE t.infohash IN"
        f" (SELECT infohash FROM flag_candidates WHERE rule_id = {lit(r.id)})"
        for r in rules
    ]
    return f"INSERT INTO flag_matches WITH {shadow} " + " UNION ALL ".join(parts)


def _match(con, rules: list[Rule]) -> None:
    """Fill ``flag_matches``: fuzzy hits, then candidates, then evidence."""
    con.execute(MATCHES_TABLE)
    prepare(con, rules)
    con.execute(candidates_sql(rules))
    for table in SCOPED:
        con.execute(_scope_sql(table))
    if rules:
        con.execute(matches_sql(rules))
    for table in ("flag_candidates", *(f"flag_scope_{t}" for t in SCOPED)):
        con.execute(f"DROP TABLE {table}")


def _merge(con, rules: list[Rule], run_id: str) -> FlagSummary:
    """Match every rule and merge into ``flags``; the caller holds the transaction."""
    _match(con, rules)
    (matched,) = con.execute("SELECT count(*) FROM flag_matches").fetchone()
    new, changed = con.execute(COUNT_CHANGED_SQL).fetchone()
    params = {"now": datetime.now(UTC), "run_id": run_id}
    (deactivated,) = con.execute(COUNT_DEACTIVATED_SQL).fetchone()
    con.execute(UPDATE_MATCHED_SQL, params)
    con.execute(INSERT_NEW_SQL, params)
    con.execute(DEACTIVATE_SQL, {**params, "rule_ids": [r.id for r in rules]})
    (active,) = con.execute("SELECT count(*) FROM flags WHERE active").fetchone()
    con.execute("DROP TABLE flag_matches")
    return FlagSummary(run_id, len(rules), matched, new, changed, deactivated, active)


def flag(db: str | Path, paths: Iterable[str | os.PathLike[str]] = ()) -> FlagSummary:
    """`torrentwatch flag`: load the packs (shipped, then ``paths``), evaluate every
    rule in force and update ``flags``, all in one transaction (all of it, or none)."""
    rules = list(load_packs(paths).rules.values())
    con = connect(db)
    try:
        with recorded_run(con, "flag") as run:
            try:
                con.execute("BEGIN TRANSACTION")
                summary = _merge(con, rules, run.run_id)
                con.execute("COMMIT")
            except duckdb.Error as exc:
                raise write_error(exc, f"flag run {run.run_id} failed, nothing changed") from exc
            run.detail = summary.as_dict()
        return summary
    finally:
        con.close()
