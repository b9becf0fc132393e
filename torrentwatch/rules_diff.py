"""`rules diff`: what a candidate rule set would change in the warehouse, without flagging.

A backtest for rule authors. The candidate packs (shipped, then the paths given) are
compared with a base: by default the flags in force (what the last flag runs left, with
the rules they evaluated recorded in ``flag_run_rules``), or, with ``base_paths``, a
second set of packs evaluated the same way. Only rules whose fingerprint
(``rules.ruleset.fingerprint``: compiled condition, evidence, score and status) differs
are evaluated: an unchanged rule raises the same flags on the same warehouse.

Evaluation is the flag stage's own (``torrentwatch.flag``'s matching: fuzzy hits, claim
populations, candidates, evidence), on a connection opened read-only, into temporary
tables that are compared there; nothing is written to the warehouse. Per rule the
report counts flags raised, cleared, changed (level, version, evidence) and kept, and
what that means for review: flags it would clear on torrents whose latest decision is
``confirm`` (a regression), torrents dismissed that it would raise or change again, and
new flags on torrents nobody has reviewed; with a few example torrents per change, their
evidence in the words ``explain`` uses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from common.checks import check_int
from parsers.normalize import display_name
from rules.model import Rule
from rules.predicates import EvidenceContext
from rules.ruleset import fingerprint, load_packs
from torrentwatch.explain import fact_words, fired, raw_paths
from torrentwatch.flag import match_rules  # the flag run's own matching
from warehouse.db import connect

CHANGES = ("raised", "cleared", "changed")
DEFAULT_EXAMPLES = 3
MAX_EXAMPLES = 1_000
# Lines of evidence words an example keeps (a fact may list twenty files).
EXAMPLE_LINES = 12

# The rules each flag run evaluated (migration 015): per rule, the latest record at or
# after the latest run that evaluated every rule in force.
BASE_RULES_SQL = """\
WITH since AS (
    SELECT coalesce(max(evaluated_at), '-infinity'::TIMESTAMPTZ) AS t
    FROM flag_run_rules WHERE full_run
)
SELECT rule_id, arg_max(fingerprint, evaluated_at), arg_max(status, evaluated_at)
FROM flag_run_rules, since WHERE evaluated_at >= since.t
GROUP BY rule_id"""

PAIRS_SQL = """\
CREATE OR REPLACE TEMP TABLE diff_pairs AS
SELECT coalesce(c.rule_id, b.rule_id) AS rule_id,
       coalesce(c.infohash, b.infohash) AS infohash,
       CASE WHEN b.infohash IS NULL THEN 'raised'
            WHEN c.infohash IS NULL THEN 'cleared'
            WHEN c.rule_version <> b.rule_version OR c.level <> b.level
              OR c.evidence::VARCHAR <> b.evidence::VARCHAR THEN 'changed'
            ELSE 'kept' END AS change,
       b.evidence AS base_evidence, c.evidence AS candidate_evidence,
       b.rule_version AS base_version, c.rule_version AS candidate_version,
       b.level AS base_level, c.level AS candidate_level
FROM diff_candidate c FULL OUTER JOIN diff_base b USING (rule_id, infohash)"""

# The latest decision on each torrent of the diff (decisions follow merges: 013).
DECISIONS_SQL = """\
CREATE OR REPLACE TEMP TABLE diff_decisions AS
SELECT infohash, arg_max(decision, seq) AS decision FROM torrent_reviews
WHERE infohash IN (SELECT infohash FROM diff_pairs) GROUP BY infohash"""

# What a change means for review. Shadow flags never reach it: a flag cleared from a
# rule that was experimental clears nothing analysts saw, and one an experimental rule
# raises brings nothing back. A stable rule made experimental takes its flags out of
# review (on a confirmed torrent: cleared); one promoted puts its kept flags in.
COUNTS_SQL = """\
SELECT p.rule_id,
       count(*) FILTER (WHERE change = 'raised'),
       count(*) FILTER (WHERE change = 'cleared'),
       count(*) FILTER (WHERE change = 'changed'),
       count(*) FILTER (WHERE change = 'kept'),
       count(*) FILTER (WHERE d.decision = 'confirm' AND (list_contains($demoted, p.rule_id)
           OR (change = 'cleared' AND NOT list_contains($base_shadow, p.rule_id)))),
       count(*) FILTER (WHERE d.decision = 'dismiss' AND NOT list_contains($shadow, p.rule_id)
           AND (change IN ('raised', 'changed')
                OR (change = 'kept' AND list_contains($promoted, p.rule_id)))),
       count(*) FILTER (WHERE d.decision IS NULL AND NOT list_contains($shadow, p.rule_id)
           AND (change = 'raised'
                OR (change IN ('kept', 'changed') AND list_contains($promoted, p.rule_id))))
FROM diff_pairs p LEFT JOIN diff_decisions d USING (infohash)
GROUP BY p.rule_id"""

# Examples: per rule and change, confirmed (for cleared) or dismissed (for raised)
# torrents first, since those are what a reviewer of the change must see.
EXAMPLES_SQL = """\
SELECT * FROM (
    SELECT p.*, d.decision, t.name, t.name_raw, t.name_alt_raw,
           row_number() OVER (PARTITION BY p.rule_id, p.change ORDER BY
               (d.decision = 'confirm' AND p.change = 'cleared') DESC NULLS LAST,
               (d.decision = 'dismiss') DESC NULLS LAST, p.infohash) AS n
    FROM diff_pairs p LEFT JOIN diff_decisions d USING (infohash)
    LEFT JOIN torrents t USING (infohash)
    WHERE p.change <> 'kept'
) WHERE n <= $examples ORDER BY rule_id, change, n"""


@dataclass(frozen=True, slots=True)
class DiffExample:
    """One torrent whose flag would change: its name (display-safe), the latest
    decision on it, and the evidence in words (candidate's; the base's when cleared)."""

    infohash: str
    name: str
    change: str
    decision: str | None
    words: tuple[str, ...]
    was: str = ""  # for a changed flag: version and level before -> after


@dataclass(frozen=True, slots=True)
class RuleDiff:
    rule_id: str
    state: str  # added | removed | changed (the rule itself, base -> candidate)
    status: str  # the candidate's status (stable | experimental); the base's when removed
    base_status: str | None  # the base's status; None when the base lacks the rule
    raised: int = 0
    cleared: int = 0
    changed: int = 0
    kept: int = 0
    confirmed_cleared: int = 0  # cleared on torrents whose latest decision is confirm
    dismissed_again: int = 0  # raised or changed on torrents whose latest is dismiss
    unreviewed_raised: int = 0  # raised on torrents nobody has decided on
    examples: tuple[DiffExample, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffReport:
    """What `rules diff` found. ``base``: what it compared with, in words."""

    base: str
    candidate_rules: int
    unchanged: int  # rules with the base's fingerprint: not evaluated
    rules: tuple[RuleDiff, ...] = field(default_factory=tuple)

    @property
    def confirmed_cleared(self) -> int:
        return sum(r.confirmed_cleared for r in self.rules)

    @property
    def regression(self) -> bool:
        """Some flag on a confirmed torrent would be cleared."""
        return self.confirmed_cleared > 0

    @property
    def empty(self) -> bool:
        return not any(r.raised or r.cleared or r.changed for r in self.rules)

    def as_dict(self) -> dict:
        return {
            "base": self.base,
            "candidate_rules": self.candidate_rules,
            "unchanged_rules": self.unchanged,
            "regression": self.regression,
            "confirmed_cleared": self.confirmed_cleared,
            "rules": [
                {
                    **{k: getattr(r, k) for k in RuleDiff.__slots__ if k != "examples"},
                    "examples": [
                        {k: getattr(e, k) for k in DiffExample.__slots__} for e in r.examples
                    ],
                }
                for r in self.rules
            ],
        }


def _has_table(con, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}
    ).fetchone()
    return found[0] > 0


def _stored_base(con) -> tuple[dict[str, str], dict[str, str], str]:
    """(fingerprint by rule id, status by rule id, words) of the rules the flag runs
    in force evaluated; empty when no run recorded its rules (before migration 015)."""
    if not _has_table(con, "flag_run_rules"):
        return {}, {}, "the flags in force (no flag run recorded its rules)"
    rows = con.execute(BASE_RULES_SQL).fetchall()
    if not rows:
        return {}, {}, "the flags in force (no flag run recorded its rules)"
    prints = {r: f for r, f, _ in rows}
    return prints, {r: s for r, _, s in rows}, "the flags in force (the rules of the last flag run)"


def _into(con, rules: list[Rule], table: str) -> None:
    """``rules`` matched by the flag run's own SQL into the temporary ``table``."""
    match_rules(con, rules)
    con.execute(f"ALTER TABLE flag_matches RENAME TO {table}")


def _stored_flags(con, rule_ids: list[str], table: str) -> None:
    """The active flags of ``rule_ids`` as the base side."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT rule_id, rule_version, level,"
        " infohash, evidence, score FROM flags WHERE active AND list_contains($ids, rule_id)",
        {"ids": rule_ids},
    )


def _example(row: dict, con) -> DiffExample:
    cleared = row["change"] == "cleared"
    evidence = row["base_evidence"] if cleared else row["candidate_evidence"]
    context = EvidenceContext(raw_paths(con, row["infohash"]))
    words: list[str] = []
    for fact in fired(json.loads(evidence)):
        words.extend(fact_words(fact, context))
    was = ""
    if row["change"] == "changed":
        was = (
            f"v{row['base_version']} {row['base_level']}"
            f" -> v{row['candidate_version']} {row['candidate_level']}"
        )
    name = display_name(row["name"] or "", row["name_raw"], row["name_alt_raw"])
    return DiffExample(
        row["infohash"],
        name,
        row["change"],
        row["decision"],
        tuple(words[:EXAMPLE_LINES]),
        was,
    )


def _compare(
    con, states: dict[str, tuple[str, str, str | None]], examples: int
) -> tuple[RuleDiff, ...]:
    """Per rule of ``states`` (rule id -> (state, status, base status)), the counts and
    examples. A stable rule made experimental takes its flags out of review and exports:
    on a confirmed torrent that counts as clearing it."""
    demoted = [i for i, (_, now, was) in states.items() if was == "stable" and now != "stable"]
    params = {
        "demoted": demoted,
        "promoted": [i for i, (_, now, was) in states.items() if was and was != now == "stable"],
        "shadow": [i for i, (st, now, _) in states.items() if st != "removed" and now != "stable"],
        "base_shadow": [
            i
            for i, (st, now, was) in states.items()
            if (was if st != "removed" else now) not in (None, "stable")
        ],
    }
    con.execute(PAIRS_SQL)
    if _has_table(con, "torrent_reviews"):
        con.execute(DECISIONS_SQL)
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE diff_decisions (infohash VARCHAR, decision VARCHAR)"
        )
    counts = {row[0]: row[1:] for row in con.execute(COUNTS_SQL, params).fetchall()}
    found: dict[str, list[DiffExample]] = {}
    if examples:
        cursor = con.execute(EXAMPLES_SQL, {"examples": examples})
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            found.setdefault(row["rule_id"], []).append(_example(row, con))
    out = []
    for rule_id, (state, status, was) in sorted(states.items()):
        numbers = counts.get(rule_id, (0,) * 7)
        shown = tuple(found.get(rule_id, ()))
        out.append(RuleDiff(rule_id, state, status, was, *numbers, shown))
    return tuple(out)


def rules_diff(
    db: str | Path,
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    base_paths: Iterable[str | os.PathLike[str]] | None = None,
    examples: int = DEFAULT_EXAMPLES,
) -> DiffReport:
    """`torrentwatch rules diff`: the candidate packs (shipped, then ``paths``) against
    the base (``base_paths`` evaluated the same way, or by default the flags in force),
    over the warehouse ``db`` opened read-only: nothing is written."""
    examples = check_int("examples", examples, low=0, high=MAX_EXAMPLES)
    candidate = load_packs(paths).rules
    base_rules = None if base_paths is None else load_packs(base_paths).rules
    con = connect(db, read_only=True)
    try:
        if base_rules is not None:
            base_prints = {i: fingerprint(r) for i, r in base_rules.items()}
            base_status = {i: r.status for i, r in base_rules.items()}
            words = "the base packs: " + (", ".join(map(str, base_paths)) or "shipped only")
        else:
            base_prints, base_status, words = _stored_base(con)
        stored = base_rules is None and not base_prints
        if stored and _has_table(con, "flags"):  # nothing recorded: every rule is compared
            base_ids = [r for (r,) in con.execute("SELECT DISTINCT rule_id FROM flags").fetchall()]
            base_status = dict.fromkeys(base_ids, "stable")
        else:
            base_ids = list(base_prints)
        changed = [
            r for i, r in candidate.items() if stored or base_prints.get(i) != fingerprint(r)
        ]
        removed = [i for i in base_ids if i not in candidate]
        states = {
            r.id: ("changed", r.status, base_status.get(r.id, "stable"))
            if r.id in base_ids
            else ("added", r.status, None)
            for r in changed
        }
        states.update({i: ("removed", base_status.get(i, "stable"), None) for i in removed})
        _into(con, changed, "diff_candidate")
        touched = [r.id for r in changed if r.id in base_ids] + removed
        if base_rules is not None:
            _into(con, [base_rules[i] for i in touched], "diff_base")
        elif _has_table(con, "flags"):
            _stored_flags(con, touched, "diff_base")
        else:
            con.execute("CREATE TEMP TABLE diff_base AS SELECT * FROM diff_candidate WHERE false")
        rules = _compare(con, states, examples)
    finally:
        con.close()
    return DiffReport(words, len(candidate), len(candidate) - len(changed), rules)
