"""Rules to SQL: pure functions that return the DuckDB text and run nothing.

The one place where a rule becomes SQL. ``condition_sql`` is the boolean expression
over ``torrents t`` (files through correlated ``EXISTS``); ``rule_sql`` wraps it into
the query of the torrents a rule flags. The loader compiles every rule with these, so
a rule that cannot compile never loads.

The flag stage (``torrentwatch.flag``) runs the rest, set-wise: ``file_facts_sql``
answers every file ``EXISTS`` of every rule in one pass over ``files``
(``rules.file_facts``), ``candidates_sql`` selects every rule's candidates over the
whole warehouse in one statement reading those facts, the tables
evidence reads are cut down to them (``scope_sql``, ``SCOPED``), and ``matches_sql``
computes the evidence (``evidence_sql``) and score (``score_sql``) of just those, the
same values as the one-query twin ``flag_sql`` gives over the whole warehouse. A
rule's evidence lists each predicate with its arguments, whether it holds and the
values it read; each predicate writes its values (``evidence_sql``) and reads them
back in words (``describe``).
"""

from __future__ import annotations

import functools
import json
import re

from common.textcap import cap_text
from rules import file_facts
from rules.model import Condition, Rule, facts
from rules.predicates import Predicate, lit
from rules.text_predicates import FuzzyTerms

# A rule without fuzzy predicates scores 1.0; one with them, its best fuzzy score / 100.
SCORE = 1.0
# Text a rule puts into the evidence of every flag it raises (a pattern, a file name,
# the title) is cut to this, saying how much was left out.
EVIDENCE_TEXT_CHARS = 500

# The tables evidence subqueries read, cut down to the torrents some rule selected. In
# pass 2 CTEs of the same names shadow the warehouse tables, so every predicate's
# evidence SQL (correlated on t.infohash) reads a few thousand rows instead of scanning
# millions once per subquery, and gives the same values. (``torrents`` itself is read
# once per rule as ``t``, restricted to its candidates: copying the wide table cost
# more than those scans at 1,000,000 torrents; see BENCHMARKS.md.)
SCOPED = ("files", "observations")


def condition_sql(condition: Condition) -> str:
    """The DuckDB boolean expression of ``condition`` over alias ``t`` = torrents."""
    return condition.sql()


def rule_sql(rule: Rule) -> str:
    """``SELECT t.infohash FROM torrents t WHERE <expr>``: the torrents ``rule`` flags."""
    return f"SELECT t.infohash FROM torrents t WHERE {rule.sql}"


def _evidence_text(value: object) -> object:
    """A rule's own text as stored in evidence: strings cut to ``EVIDENCE_TEXT_CHARS``."""
    if isinstance(value, str):
        return cap_text(value, EVIDENCE_TEXT_CHARS)
    if isinstance(value, list | tuple):
        return [_evidence_text(item) for item in value]
    return value


def _fact_sql(predicate: Predicate, negated: bool) -> str:
    args = {k: _evidence_text(x) for k, x in predicate.args().items()}
    return (
        f"json_object('predicate', {lit(predicate.keyword)},"
        f" 'args', {lit(json.dumps(args, sort_keys=True))}::JSON,"
        f" 'negated', {str(negated).lower()}, 'holds', coalesce({predicate.sql()}, false),"
        f" 'values', {predicate.evidence_sql()})"
    )


@functools.lru_cache(maxsize=1024)
def evidence_sql(rule: Rule) -> str:
    """The JSON evidence of ``rule`` for torrent ``t``: the rule, and each predicate
    with its arguments, whether it holds, and the values (columns, files) it read.
    Kept per rule (rules are frozen values): a flag run asks it six times a rule."""
    listed = ", ".join(_fact_sql(p, neg) for p, neg in facts(rule.when))
    return (
        f"json_object('rule_id', {lit(rule.id)}, 'version', {rule.version},"
        f" 'title', {lit(cap_text(rule.title, EVIDENCE_TEXT_CHARS))}, 'level', {lit(rule.level)},"
        f" 'facts', json_array({listed}))"
    )


@functools.lru_cache(maxsize=1024)
def score_sql(rule: Rule) -> str:
    """The flag score: the best score (/100) of the rule's fuzzy predicates that are not
    negated, or 1.0 when it has none (or none of them matched)."""
    best = [p.best_sql() for p, neg in facts(rule.when) if isinstance(p, FuzzyTerms) and not neg]
    if not best:
        return f"{SCORE}"
    top = best[0] if len(best) == 1 else f"greatest({', '.join(best)})"
    return f"coalesce({top} / 100.0, {SCORE})"


def flag_sql(rule: Rule) -> str:
    """The torrents ``rule`` flags with their evidence, over the whole warehouse in one
    query; a rule with ``fuzzy_terms`` reads ``fuzzy_matches`` (``rules.fuzzy.prepare``
    writes it), one with ``rare_for_claim`` ``claim_populations`` (``rules.populations``)."""
    return f"SELECT t.infohash, {evidence_sql(rule)} AS evidence FROM torrents t WHERE {rule.sql}"


def _facts(rules: list[Rule]) -> dict[str, str]:
    return file_facts.conditions(s for r in rules for s in (r.sql, evidence_sql(r)))


def file_facts_sql(rules: list[Rule]) -> str:
    """Pass 0: ``rules.file_facts.FILE_FACTS``, every file condition ``rules`` ask
    ``EXISTS`` of, answered in one scan of ``files``."""
    return file_facts.facts_sql(_facts(rules))


def file_facts_query(rules: list[Rule]) -> str:
    """The query ``file_facts_sql`` stores, alone."""
    return file_facts.facts_query(_facts(rules))


def candidates_sql(rules: list[Rule]) -> str:
    """Pass 1: the (rule_id, infohash) every rule selects into ``flag_candidates``, all
    rules in one statement over the whole warehouse; no evidence yet. File conditions
    are read from ``FILE_FACTS`` (``file_facts_sql`` runs first)."""
    columns = _facts(rules)
    parts = []
    for r in rules:
        where = file_facts.with_facts(r.sql, columns)
        parts.append(
            f"SELECT {lit(r.id)} AS rule_id, t.infohash"
            f" FROM {file_facts.torrents_sql(where)} WHERE {where}"
        )
    if not parts:
        parts = ["SELECT NULL::VARCHAR AS rule_id, NULL::VARCHAR AS infohash WHERE false"]
    return "CREATE OR REPLACE TEMP TABLE flag_candidates AS " + " UNION ALL ".join(parts)


def tables_read(rules: list[Rule]) -> set[str]:
    """Which of ``SCOPED`` the SQL of ``rules`` reads (their condition, evidence and
    score; fuzzy terms on paths read ``files``). A guess from the text that can only err
    towards reading: a table it leaves out is read by no rule, so cutting it down would
    be work for nothing; one it names needlessly is cut down for nothing."""
    read = set()
    for r in rules:
        text = " ".join((r.sql, evidence_sql(r), score_sql(r)))
        read |= {t for t in SCOPED if re.search(rf"\b{t}\b", text)}
        if any(isinstance(p, FuzzyTerms) and p.on != "name" for p, _ in facts(r.when)):
            read.add("files")
    return read


def scope_sql(table: str, read: bool = True) -> str:
    """``flag_scope_<table>``: the rows of ``table`` (one of ``SCOPED``) of the
    candidates; empty when no rule reads ``table`` (``tables_read``)."""
    if not read:
        return f"CREATE OR REPLACE TEMP TABLE flag_scope_{table} AS FROM {table} LIMIT 0"
    return (
        f"CREATE OR REPLACE TEMP TABLE flag_scope_{table} AS SELECT * FROM {table}"
        " WHERE infohash IN (SELECT infohash FROM flag_candidates)"
    )


def matches_sql(rules: list[Rule], facts_of: list[Rule] | None = None) -> str:
    """Pass 2: rule_id, rule_version, level, infohash, evidence and score of every
    candidate into ``flag_matches``, over the scoped tables (``flag_scope_*``).
    ``facts_of``: the rules ``FILE_FACTS`` was made for (its columns are numbered over
    them), when ``rules`` are only some of them."""
    shadow = ", ".join(f"{t} AS (SELECT * FROM flag_scope_{t})" for t in SCOPED)
    columns = _facts(rules if facts_of is None else facts_of)
    parts = []
    for r in rules:
        evidence = file_facts.with_facts(evidence_sql(r), columns)
        score = file_facts.with_facts(score_sql(r), columns)
        parts.append(
            f"SELECT {lit(r.id)}, {r.version}, {lit(r.level)}, t.infohash, {evidence},"
            f" {score} FROM {file_facts.torrents_sql(evidence, score)} WHERE t.infohash IN"
            f" (SELECT infohash FROM flag_candidates WHERE rule_id = {lit(r.id)})"
        )
    return f"INSERT INTO flag_matches WITH {shadow} " + " UNION ALL ".join(parts)
