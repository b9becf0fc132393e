"""What each claim usually contains, computed once per run for ``rare_for_claim``.

Before the rules' SQL runs, ``prepare`` writes the temporary table
``claim_populations(population_key, claim, kind, claimed, mostly)``: per distinct
(claim axis, ``content_at_least``) the predicates of the rules need, one aggregate over
the population. The population is every torrent with a claim on that axis and a content
profile (``dominant_kind`` set: metadata with bytes); ``claimed`` is how many of them
make the claim, ``mostly`` how many of those have ``kind`` as their dominant kind
holding at least ``content_at_least`` of their bytes. A rule set without the predicate
skips the step (and pays nothing).

``rules test`` judges a rule against a population of its own: ``weights`` names a table
``(infohash, weight)`` and the population is those torrents, each counted ``weight``
times (a test's ``background`` item is ingested once and counted as many times as it
says). Pure twin: ``populations_sql``.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.model import Rule, facts
from rules.population_predicates import (
    CLAIM_COLUMNS,
    DOMINANT_SHARE,
    POPULATIONS_TABLE,
    RareForClaim,
)
from rules.predicates import lit


def collect(rules: Iterable[Rule]) -> dict[str, RareForClaim]:
    """The population each ``rare_for_claim`` predicate of ``rules`` reads, by key
    (negated ones included): one per claim axis and threshold."""
    return {
        p.population_key: p for r in rules for p, _ in facts(r.when) if isinstance(p, RareForClaim)
    }


def _one_sql(pred: RareForClaim, weights: str | None) -> str:
    column = CLAIM_COLUMNS[pred.by]
    if weights is None:
        rows = "torrents t"
        weight = "1"
    else:
        rows = f"torrents t JOIN {weights} w ON w.infohash = t.infohash"
        weight = "w.weight"
    grouped = (
        f"SELECT t.{column} AS claim, t.dominant_kind AS kind, sum({weight}) AS n,"
        f" coalesce(sum({weight}) FILTER (WHERE {DOMINANT_SHARE} >= {pred.content_at_least!r}),"
        f" 0) AS mostly FROM {rows}"
        f" WHERE t.{column} IS NOT NULL AND t.dominant_kind IS NOT NULL GROUP BY ALL"
    )
    return (
        f"SELECT {lit(pred.population_key)} AS population_key, claim, kind,"
        " (sum(n) OVER (PARTITION BY claim))::HUGEINT AS claimed, mostly::HUGEINT AS mostly"
        f" FROM ({grouped})"
    )


def populations_sql(predicates: dict[str, RareForClaim], weights: str | None = None) -> str:
    """The statement writing ``claim_populations`` for ``predicates`` (by key); over
    every torrent, or over the ``(infohash, weight)`` table ``weights``."""
    parts = [_one_sql(pred, weights) for _, pred in sorted(predicates.items())]
    return f"CREATE OR REPLACE TEMP TABLE {POPULATIONS_TABLE} AS " + " UNION ALL ".join(parts)


def prepare(con, rules: Iterable[Rule], weights: str | None = None) -> int:
    """Write ``claim_populations`` for the ``rare_for_claim`` predicates of ``rules``
    into ``con`` as a temporary table; returns its row count, or -1 when no rule needs it."""
    predicates = collect(rules)
    if not predicates:
        return -1
    con.execute(populations_sql(predicates, weights))
    (rows,) = con.execute(f"SELECT count(*) FROM {POPULATIONS_TABLE}").fetchone()
    return rows
