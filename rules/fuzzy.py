"""Fuzzy term matching, set-wise: score distinct tokens once, then let SQL join.

Before the rules' SQL runs, ``prepare`` reads the DISTINCT n-grams (runs of n
tokens, n = the word counts of the terms) of the names (normalised and skeleton
tokens) and of the paths (``files.path_norm`` split at spaces), each source in one
pass for every n. Per predicate and n, the distinct queries of all its sources and
forms are scored once with ``rapidfuzz.process.cdist`` (all cores, the predicate's
scorer and ``score_cutoff``; for ``ratio`` only pairs whose lengths and characters
can reach the threshold are compared, exact bounds) against the folded terms, and the hits go
through Arrow into the temporary table ``fuzzy_hits(predicate_key, source, token,
term, score)``. Then one equality join over the n-grams of the rows holding a hit's
words fills ``fuzzy_matches(predicate_key, infohash, source, token, term, score)``:
the torrents each hit belongs to. A ``fuzzy_terms`` predicate's SQL is a lookup in
that table by ``infohash``, so a rule set without one skips this step.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

# _fold_tokens is skeleton_token over each distinct token of an Arrow array, as
# skeleton_array uses it; importing it keeps one implementation of the folding.
from parsers.normalize import _fold_tokens, skeleton_rules
from rules.model import Rule, facts
from rules.predicates import lit
from rules.text_predicates import FuzzyTerms

SCORERS = {
    "ratio": fuzz.ratio,
    "partial_ratio": fuzz.partial_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "WRatio": fuzz.WRatio,
}
# Distinct tokens scored per cdist call, at most; and cells of one score matrix (rows
# x terms, 4 bytes each): a list of 1,000,000 terms is scored 50 rows at a time, so
# the matrix stays at 200 MB whatever the term count the loader let through.
BATCH = 20_000
MAX_CELLS = 50_000_000
# Characters of hit tokens in one RE2 pattern of ``fuzzy_matches``: one pattern of all
# hits passes RE2's memory budget at about 1 MB ("pattern too large": ~100,000 hits, and
# `flag` failed), so larger hit sets are split into patterns of about this size. Not
# smaller: each pattern is another pass over every row, and on the benchmark's real hits
# (1,587 tokens, 23,099 characters, 300,000 torrents) one pattern took 0.45 s, three
# 0.62-0.73 s. (Hits of random letters share no prefixes and blow up RE2's DFA far
# sooner: 4,326 of them, 41,000 characters, took 12 s as one pattern, 0.5 s as three.)
PATTERN_CHARS = 50_000

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
# Rows of the token lists up to which the n-grams are built in Arrow rather than SQL.
# Under one row group (122,880 rows, DuckDB's unit of parallel work) the SQL runs on one
# thread and Arrow is faster: the names of 10,000 torrents, 8.6 ms (read out 3.1, grams
# 5.5) against 18 ms; at 1,000,000 the SQL on two cores wins, 0.67 s against 0.75 s.
ARROW_GRAMS_ROWS = 122_880
PATH_LISTS = (
    "SELECT list_filter(string_split(path_norm, ' '), lambda x: x != '') AS tok"
    " FROM files WHERE NOT is_pad AND path_norm IS NOT NULL"
)


def collect(rules: Iterable[Rule]) -> dict[str, FuzzyTerms]:
    """Every distinct fuzzy predicate of ``rules`` by key (negated ones included)."""
    return {p.key: p for r in rules for p, _ in facts(r.when) if isinstance(p, FuzzyTerms)}


def _gram_sql(alias: str, sizes: Iterable[int], n_ref: str = "k.n") -> str:
    """The n-gram of ``<alias>.tok`` starting at token ``i``, n = ``n_ref`` (one of
    ``sizes``): its tokens joined by single spaces, written out per size. The same
    text as ``array_to_string`` of the slice (the lists hold no NULL), at three
    quarters of the cost: that is an aggregate per gram."""
    tok = f"{alias}.tok"

    def joined(n: int) -> str:
        return " || ' ' || ".join(f"{tok}[i + {j}]" if j else f"{tok}[i]" for j in range(n))

    ordered = sorted({int(n) for n in sizes})
    if len(ordered) == 1:
        return joined(ordered[0])
    return f"CASE {n_ref} " + " ".join(f"WHEN {n} THEN {joined(n)}" for n in ordered) + " END"


def _grams_sql(lists_sql: str, sizes: Iterable[int]) -> str:
    """The distinct (n, n-gram) pairs, tokens joined by a space, of the token lists
    for every n of ``sizes``: one pass over the lists for all sizes. The start
    positions are unnested as rows and the gram built per row: a lambda over each list
    (``list_transform``) cost 2.4x as much on 10,000 names, 1.1x on 1,000,000."""
    sizes = sorted({int(n) for n in sizes})
    listed = ", ".join(map(str, sizes))
    return (
        f"SELECT DISTINCT x.n, {_gram_sql('x', sizes, 'x.n')} AS g FROM ("
        "SELECT s.tok, k.n, unnest(range(1, len(s.tok) - k.n + 2)) AS i"
        f" FROM ({lists_sql}) s, (SELECT unnest([{listed}]) AS n) k WHERE len(s.tok) >= k.n) x"
    )


def _arrow_grams(lists: pa.ChunkedArray, sizes: Iterable[int]) -> dict[int, pa.Array]:
    """The distinct n-grams of the token lists ``lists`` for every n of ``sizes``, the
    same strings as ``_grams_sql`` gives: the tokens flattened once, each gram the
    tokens at i .. i + n - 1 joined by a space where all belong to one list."""
    flat_lists = lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists
    flat = pc.list_flatten(flat_lists)
    owner = pc.list_parent_indices(flat_lists).to_numpy()
    out: dict[int, pa.Array] = {}
    for n in sizes:
        starts = len(flat) - n + 1
        if starts <= 0:
            out[n] = pa.array([], pa.string())
            continue
        parts = [flat.slice(j, starts) for j in range(n)]
        grams = parts[0] if n == 1 else pc.binary_join_element_wise(*parts, " ")
        one_list = owner[:starts] == owner[n - 1 :]
        out[n] = pc.unique(grams.filter(pa.array(one_list)))
    return out


def _grams(con, source: str, sizes: set[int], cache: dict) -> dict[int, pa.StringArray]:
    """The distinct non-empty n-grams of ``source`` by n (read once per run).

    Up to ``ARROW_GRAMS_ROWS`` rows (an incremental run's few thousand torrents) the
    lists are read out and the grams built in Arrow; above, in SQL, which then runs on
    every core."""
    missing = {n for n in sizes if (source, n) not in cache}
    if missing:
        if source == "path":
            lists, table_name = PATH_LISTS, "files"
        else:
            lists, table_name = f"SELECT {NAME_COLUMNS[source]} AS tok FROM torrents", "torrents"
        if ("rows", table_name) not in cache:  # both name sources read torrents
            (cache["rows", table_name],) = con.execute(
                f"SELECT count(*) FROM {table_name}"
            ).fetchone()
        if cache["rows", table_name] <= ARROW_GRAMS_ROWS:
            tok = con.execute(lists).to_arrow_table().column("tok")
            found = _arrow_grams(tok, missing)
        else:
            table = con.execute(_grams_sql(lists, missing)).to_arrow_table()
            found = {n: table.filter(pc.equal(table.column("n"), n)).column("g") for n in missing}
        for n, grams in found.items():
            grams = grams.combine_chunks() if isinstance(grams, pa.ChunkedArray) else grams
            grams = grams.filter(pc.fill_null(pc.not_equal(grams, ""), False))
            cache[source, n] = grams.cast(pa.string())
    return {n: cache[source, n] for n in sizes}


def _path_skeletons(grams: pa.StringArray, cache: dict, n: int) -> pa.StringArray:
    """Path grams in the skeleton form: ``skeleton_token`` of each token, joined (paths
    have no skeleton column). ``_fold_tokens`` applies it to each distinct token once."""
    if ("path_skeleton", n) not in cache:
        cache["path_skeleton", n] = _fold_tokens(grams, skeleton_rules())
    return cache["path_skeleton", n]


def _unspelled_counts(queries: pa.StringArray, spelled: set[str]) -> np.ndarray:
    """Per query, how many of its characters no term spells. ASCII queries (nearly all)
    are counted over the array's bytes in numpy; the rest one by one in Python."""
    queries = pa.concat_arrays([queries.cast(pa.string())])  # offsets from 0, int32
    _, offsets_buffer, data_buffer = queries.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int32)[: len(queries) + 1].astype(np.int64)
    data = (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    )
    data = data[: offsets[-1]]
    foreign = np.ones(256, np.bool_)
    foreign[[ord(c) for c in spelled if ord(c) < 128]] = False
    foreign[128:] = False  # counted below, by character

    def per_row(byte_flags: np.ndarray) -> np.ndarray:
        running = np.concatenate(([0], np.cumsum(byte_flags, dtype=np.int64)))
        return running[offsets[1:]] - running[offsets[:-1]]

    counts = per_row(foreign[data])
    wide = np.flatnonzero(per_row(data >= 128))
    if len(wide):
        table = str.maketrans("", "", "".join(spelled))
        texts = queries.take(pa.array(wide)).to_pylist()
        counts[wide] = [len(t.translate(table)) for t in texts]
    return counts


def _length_groups(
    pred: FuzzyTerms, queries: pa.StringArray, choices: list[str]
) -> Iterable[tuple[np.ndarray, list[int]]]:
    """(query rows, choice columns) that can reach the threshold. For ``ratio`` (Indel
    similarity, 200 * LCS / (a + b) for lengths a, b) two exact bounds leave pairs out
    unscored, never one that could pass:

    - lengths: LCS <= min(a, b), so a pair scores at most 100 * (1 - |a - b| / (a + b));
      each query length is compared only with the term lengths that can get there;
    - characters: a query character found in no term cannot be in any common
      subsequence, so with ``m`` of them LCS <= a - m and the pair scores at most
      200 * (a - m) / (a + b); a query whose bound misses the threshold against the
      shortest term it could be compared with is not scored at all. Names are full of
      numbers, years, release tags and serials no term spells: most of their grams go.

    Both bounds are worked out over the whole Arrow array at once (numpy): per query in
    Python they were a third of an incremental run's fuzzy scoring. Other scorers: all pairs."""
    if pred.scorer != "ratio" or pred.lowest_threshold <= 0:
        yield np.arange(len(queries)), list(range(len(choices)))
        return
    need = pred.lowest_threshold - 1e-6
    if not len(queries):
        return
    lengths = pc.utf8_length(queries).to_numpy(zero_copy_only=False).astype(np.int64)
    foreign = _unspelled_counts(queries, set().union(*choices))
    cols_by_len: dict[int, list[int]] = {}
    for j, c in enumerate(choices):
        cols_by_len.setdefault(len(c), []).append(j)
    order = np.argsort(lengths, kind="stable")  # rows grouped by length, in row order
    sizes, starts = np.unique(lengths[order], return_index=True)
    for a, rows in zip(sizes.tolist(), np.split(order, starts[1:]), strict=True):
        lengths_ok = [
            b for b in cols_by_len if a + b == 0 or 100 * (1 - abs(a - b) / (a + b)) >= need
        ]
        if not lengths_ok:
            continue
        shortest = min(lengths_ok)
        if a + shortest:
            rows = rows[200 * (a - foreign[rows]) / (a + shortest) >= need]
        if len(rows):
            yield rows, sorted(j for b in lengths_ok for j in cols_by_len[b])


def _score(
    pred: FuzzyTerms, queries: pa.StringArray | list[str], choices: list[str]
) -> dict[str, list[tuple[str, float]]]:
    """query -> [(choice, score)] of every pair at or above the threshold. Only the
    queries that can reach it become Python strings."""
    if not isinstance(queries, pa.Array):
        queries = pa.array(queries, pa.string())
    scorer = SCORERS[pred.scorer]
    out: dict[str, list[tuple[str, float]]] = {}
    for rows, cols in _length_groups(pred, queries, choices):
        picked = [choices[j] for j in cols]
        texts = queries.take(pa.array(rows)).to_pylist()
        step = max(1, min(BATCH, MAX_CELLS // max(1, len(picked))))
        for start in range(0, len(texts), step):
            chunk = texts[start : start + step]
            matrix = process.cdist(
                chunk, picked, scorer=scorer, score_cutoff=pred.lowest_threshold, workers=-1
            )
            hit_rows, hit_cols = np.nonzero(matrix >= pred.lowest_threshold)
            for r, c in zip(hit_rows.tolist(), hit_cols.tolist(), strict=True):
                out.setdefault(chunk[r], []).append((picked[c], round(float(matrix[r, c]), 2)))
    return out


def _terms_by_size(pred: FuzzyTerms, form: str) -> dict[int, dict[str, list[str]]]:
    """n -> folded term -> the terms as written that fold to it, in ``form``."""
    by_size: dict[int, dict[str, list[str]]] = {}
    for term, folded in pred.folded_terms(form):
        by_size.setdefault(folded.count(" ") + 1, {}).setdefault(folded, []).append(term)
    return by_size


def _reads(pred: FuzzyTerms) -> list[tuple[str, str]]:
    """The (form, source) pairs ``pred`` reads."""
    out = []
    for form in pred.forms():
        if pred.on in ("name", "any"):
            out.append((form, "name_" + form))
        if pred.on in ("paths", "any"):
            out.append((form, "path"))
    return out


def _sides(con, pred: FuzzyTerms, n: int, cache: dict) -> list[tuple[str, str, pa.Array, pa.Array]]:
    """(form, source, grams, queries) of every source ``pred`` reads, in every form."""
    sides = []
    for form, source in _reads(pred):
        grams = _grams(con, source, {n}, cache)[n]
        queries = grams
        if source == "path" and form == "skeleton":
            queries = _path_skeletons(grams, cache, n)
        sides.append((form, source, grams, queries))
    return sides


def hits_table(con, predicates: dict[str, FuzzyTerms]) -> pa.Table:
    """Every (predicate, source, token, term, score) hit over the warehouse rows.

    Per predicate and term size n, the distinct queries of all its sources and forms
    (name grams, path grams, folded for the form) are scored once against the folded
    terms of all its forms (the two forms mostly agree), then each hit is kept for the
    sources and forms whose query and folded term it pairs."""
    cache: dict = {}
    best: dict[tuple[str, str, str, str], float] = {}
    for key, pred in sorted(predicates.items()):
        terms = {form: _terms_by_size(pred, form) for form in pred.forms()}
        sizes = sorted({n for by_size in terms.values() for n in by_size})
        for source in sorted({source for _, source in _reads(pred)}):
            _grams(con, source, set(sizes), cache)  # every size in one pass
        for n in sizes:
            sides = _sides(con, pred, n, cache)
            choices = sorted({f for by_size in terms.values() for f in by_size.get(n, {})})
            distinct = pc.unique(pa.chunked_array([q for *_, q in sides], pa.string()))
            scored = _score(pred, distinct, choices)
            if not scored:
                continue
            found = pa.array(list(scored), pa.string())
            for form, source, grams, queries in sides:
                written = terms[form].get(n, {})
                allowed = pred.allowed(form)
                mask = pc.is_in(queries, value_set=found)
                pairs = zip(
                    grams.filter(mask).to_pylist(), queries.filter(mask).to_pylist(), strict=True
                )
                for gram, query in pairs:
                    if query in allowed:  # an honest name known to sit near a term
                        continue
                    for choice, score in scored[query]:
                        for term in written.get(choice, ()):
                            if score < pred.threshold_of(term):
                                continue
                            # A path gram can hit in both forms: keep the better score.
                            hit = (key, source, gram, term)
                            best[hit] = max(score, best.get(hit, score))
    out: dict[str, list] = {name: [] for name in HITS_SCHEMA.names}
    for hit, score in sorted(best.items()):
        for name, value in zip(HITS_SCHEMA.names, (*hit, score), strict=True):
            out[name].append(value)
    return pa.table(out, schema=HITS_SCHEMA)


# The token lists each source's hits are looked up in, unfiltered: a hit token is a
# run of whole tokens exactly when it equals an n-gram of the list as split here. The
# text column is that list joined by single spaces (``tokens_array`` splits it so).
MATCH_ROWS = {
    "name_norm": ("SELECT infohash, name_tokens AS tok FROM torrents", "name_norm"),
    "name_skeleton": ("SELECT infohash, skeleton_tokens AS tok FROM torrents", "name_skeleton"),
    "path": (
        "SELECT infohash, string_split(path_norm, ' ') AS tok FROM files WHERE NOT is_pad",
        "path_norm",
    ),
}
_RE2_META = set("\\.^$|?*+()[]{}")


def hits_patterns(tokens: Iterable[str]) -> list[str]:
    """RE2 patterns that together match text holding one of ``tokens`` as a run of
    whole (space-separated) tokens, each of at most about ``PATTERN_CHARS`` characters
    of tokens: RE2 runs each in one linear pass over a row, so only the rows that hold
    a hit are split into n-grams."""
    escaped = sorted({"".join("\\" + c if c in _RE2_META else c for c in t) for t in tokens})
    groups: list[list[str]] = [[]]
    size = 0
    for token in escaped:
        if groups[-1] and size + len(token) > PATTERN_CHARS:
            groups.append([])
            size = 0
        groups[-1].append(token)
        size += len(token) + 1
    return ["(?:^| )(?:" + "|".join(group) + ")(?: |$)" for group in groups]


def _holds_hit_sql(text: str, tokens: Iterable[str]) -> str:
    tests = [f"regexp_matches({text}, {lit(p)})" for p in hits_patterns(tokens)]
    return tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"


def _source_grams_sql(source: str, sizes: set[int], tokens: set[str]) -> str:
    """(infohash, source, gram) of every n-gram (n in ``sizes``) of the rows of
    ``source`` whose text holds one of ``tokens``, in one pass over the rows."""
    rows_sql, text = MATCH_ROWS[source]
    joiner = " AND " if " WHERE " in rows_sql else " WHERE "
    rows = f"{rows_sql}{joiner}{_holds_hit_sql(text, tokens)}"
    listed = ", ".join(str(int(n)) for n in sorted(sizes))
    return (
        f"SELECT c.infohash, {lit(source)} AS source,"
        " unnest(list_transform(range(1, len(c.tok) - k.n + 2),"
        f" i -> {_gram_sql('c', sizes)})) AS g"
        f" FROM ({rows}) c, (SELECT unnest([{listed}]) AS n) k WHERE len(c.tok) >= k.n"
    )


def matches_sql(needs: dict[str, tuple[set[int], set[str]]]) -> str:
    """The query filling ``fuzzy_matches`` (pure: returns SQL): every (predicate,
    torrent, source, token, term, score) whose hit token is a run of tokens of the
    torrent's name or of one of its paths, by equality join over the n-grams of the
    rows that hold a hit. ``needs``: per source, the token counts and hit tokens."""
    parts = [
        _source_grams_sql(source, sizes, tokens)
        for source, (sizes, tokens) in sorted(needs.items())
    ]
    grams = " UNION ALL ".join(parts)
    return (
        "CREATE OR REPLACE TEMP TABLE fuzzy_matches AS"
        " SELECT DISTINCT h.predicate_key, x.infohash, h.source, h.token, h.term, h.score"
        f" FROM ({grams}) x JOIN fuzzy_hits h ON h.source = x.source AND h.token = x.g"
    )


def _needs(table: pa.Table) -> dict[str, tuple[set[int], set[str]]]:
    needs: dict[str, tuple[set[int], set[str]]] = {}
    for source, token in zip(
        table.column("source").to_pylist(), table.column("token").to_pylist(), strict=True
    ):
        sizes, tokens = needs.setdefault(source, (set(), set()))
        sizes.add(len(token.split(" ")))
        tokens.add(token)
    return needs


def prepare(con, rules: Iterable[Rule]) -> int:
    """Write ``fuzzy_hits`` (scored tokens) and ``fuzzy_matches`` (the torrents that
    hold them) for the fuzzy predicates of ``rules`` into ``con`` as temporary tables;
    returns the number of hits, or -1 when no rule needs them."""
    predicates = collect(rules)
    if not predicates:
        return -1
    table = hits_table(con, predicates)
    con.register("fuzzy_hits_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE fuzzy_hits AS SELECT * FROM fuzzy_hits_arrow")
    finally:
        con.unregister("fuzzy_hits_arrow")
    needs = _needs(table)
    if needs:
        con.execute(matches_sql(needs))
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE fuzzy_matches AS SELECT predicate_key,"
            " NULL::VARCHAR AS infohash, source, token, term, score FROM fuzzy_hits"
        )
    return table.num_rows
