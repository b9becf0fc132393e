"""Fuzzy term matching, set-wise: score distinct tokens once, then let SQL join.

Before the rules' SQL runs, ``prepare`` reads the DISTINCT name tokens (normalised
and skeleton) and path tokens (``files.path_norm`` split at spaces), with the token
n-grams multi-word terms need, scores them against every term of every
``fuzzy_terms`` predicate with ``rapidfuzz.process.cdist`` (all cores, with the
predicate's scorer and ``score_cutoff``), and writes the hits into the temporary
table ``fuzzy_hits(predicate_key, source, token, term, score)`` of the same
connection through Arrow. A ``fuzzy_terms`` predicate's SQL is an ``EXISTS`` over
that table, so a rule set without one skips this step.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
from rapidfuzz import fuzz, process

from parsers.normalize import skeleton_token
from rules.model import All, AnyOf, Condition, Not, Rule
from rules.text_predicates import FuzzyTerms

SCORERS = {
    "ratio": fuzz.ratio,
    "partial_ratio": fuzz.partial_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "WRatio": fuzz.WRatio,
}
# Distinct tokens scored per cdist call: bounds the score matrix (rows x terms).
BATCH = 20_000

HITS_SCHEMA = pa.schema(
    [
        ("predicate_key", pa.string()),
        ("source", pa.string()),
        ("token", pa.string()),
        ("term", pa.string()),
        ("score", pa.float64()),
    ]
)

NAME_COLUMNS = {"name_norm": "name_tokens", "name_skeleton": "skeleton_tokens"}
PATH_LISTS = (
    "SELECT DISTINCT list_filter(string_split(path_norm, ' '), lambda x: x != '') AS tok"
    " FROM files WHERE NOT is_pad AND path_norm IS NOT NULL"
)


def fuzzy_predicates(condition: Condition) -> Iterable[FuzzyTerms]:
    if isinstance(condition, (All, AnyOf)):
        for item in condition.items:
            yield from fuzzy_predicates(item)
    elif isinstance(condition, Not):
        yield from fuzzy_predicates(condition.item)
    elif isinstance(condition, FuzzyTerms):
        yield condition


def collect(rules: Iterable[Rule]) -> dict[str, FuzzyTerms]:
    """Every distinct fuzzy predicate of ``rules`` by key."""
    return {p.key: p for r in rules for p in fuzzy_predicates(r.when)}


def _grams_sql(lists_sql: str, n: int) -> str:
    """The distinct n-grams (tokens joined by a space) of the token lists."""
    return (
        "SELECT DISTINCT unnest(list_transform(range(1, len(tok) - ? + 2),"
        " i -> array_to_string(tok[i:i + ? - 1], ' '))) AS g"
        f" FROM ({lists_sql}) s WHERE len(tok) >= ?"
    ).replace("?", str(int(n)))


def _grams(con, source: str, n: int, cache: dict) -> list[str]:
    if (source, n) not in cache:
        if source == "path":
            lists = PATH_LISTS
        else:
            lists = f"SELECT DISTINCT {NAME_COLUMNS[source]} AS tok FROM torrents"
        rows = con.execute(_grams_sql(lists, n)).to_arrow_table().column(0)
        cache[source, n] = [g for g in rows.to_pylist() if g]
    return cache[source, n]


def _score(
    pred: FuzzyTerms, grams: list[str], queries: list[str], terms: list[tuple[str, str]]
) -> Iterable[tuple[str, str, float]]:
    """(gram, term as written, score) of every pair at or above the threshold."""
    scorer = SCORERS[pred.scorer]
    choices = [folded for _, folded in terms]
    for start in range(0, len(queries), BATCH):
        chunk = queries[start : start + BATCH]
        matrix = process.cdist(
            chunk, choices, scorer=scorer, score_cutoff=pred.threshold, workers=-1
        )
        rows, cols = np.nonzero(matrix >= pred.threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            yield grams[start + r], terms[c][0], round(float(matrix[r, c]), 2)


def hits_table(con, predicates: dict[str, FuzzyTerms]) -> pa.Table:
    """Every (predicate, source, token, term, score) hit over the warehouse rows."""
    cache: dict = {}
    best: dict[tuple[str, str, str, str], float] = {}
    for key, pred in sorted(predicates.items()):
        sources = []
        if pred.on in ("name", "any"):
            sources.append("name")
        if pred.on in ("paths", "any"):
            sources.append("path")
        for form in pred.forms():
            by_length: dict[int, list[tuple[str, str]]] = {}
            for term, folded in pred.folded_terms(form):
                by_length.setdefault(len(folded.split(" ")), []).append((term, folded))
            for n, terms in sorted(by_length.items()):
                for where in sources:
                    source = "path" if where == "path" else "name_" + form
                    grams = _grams(con, source, n, cache)
                    queries = grams
                    if source == "path" and form == "skeleton":
                        # Paths have no skeleton column: fold each token here.
                        queries = [" ".join(map(skeleton_token, g.split(" "))) for g in grams]
                    for gram, term, score in _score(pred, grams, queries, terms):
                        # A path gram can hit in both forms: keep the better score.
                        hit = (key, source, gram, term)
                        best[hit] = max(score, best.get(hit, score))
    out: dict[str, list] = {name: [] for name in HITS_SCHEMA.names}
    for hit, score in sorted(best.items()):
        for name, value in zip(HITS_SCHEMA.names, (*hit, score), strict=True):
            out[name].append(value)
    return pa.table(out, schema=HITS_SCHEMA)


def prepare(con, rules: Iterable[Rule]) -> int:
    """Write ``fuzzy_hits`` for the fuzzy predicates of ``rules`` into ``con`` (a
    temporary table); returns the number of hits, or -1 when no rule needs it."""
    predicates = collect(rules)
    if not predicates:
        return -1
    table = hits_table(con, predicates)
    con.register("fuzzy_hits_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE fuzzy_hits AS SELECT * FROM fuzzy_hits_arrow")
    finally:
        con.unregister("fuzzy_hits_arrow")
    return table.num_rows
