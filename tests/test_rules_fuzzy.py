"""`fuzzy_terms`: term files checked at load, the exact SQL, set-wise scoring into
``fuzzy_hits``, misspelled and leetspeak names, multi-word terms, paths, evidence,
flag scores, idempotent flag runs and the example pack in docs/examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import rule_packs
from rule_packs import PASSES

from parsers.columnar import build_batch
from parsers.records import Sighting
from parsers.torrent import parse_torrent
from rules.compile import flag_sql, rule_sql
from rules.fuzzy import matches_sql, prepare
from torrentwatch.flag import flag
from torrentwatch.rule_tests import rules_test
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect
from warehouse.load import load_batch
from warehouse.runs import start_run

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "watch-titles.yaml"
TERMS = "# neutral made-up titles\nkart racer\ngalaxy quest  # trailing comment\npixel dungeon\n"

TORRENTS = {
    "exact": SynthTorrent("Kart.Racer.PS2-GRP", (("kart.iso", 4_000_000),)),
    "misspelled": SynthTorrent("Kart.Racr.PS2-GRP", (("kart.iso", 4_000_000),)),
    "leet": SynthTorrent("K4rt.R4c3r.PS2-GRP", (("kart.iso", 4_000_000),)),
    "galaxy": SynthTorrent("Galaxy_Quests_NSW", (("g.nsp", 2_000_000),)),
    "unrelated": SynthTorrent("Harbor.Lights.PS3-DEMO", (("harbor.iso", 7_000_000),)),
    "split": SynthTorrent("Racer.X.Kart.PS2", (("x.iso", 4_000_000),)),
    "in_path": SynthTorrent(
        "Misc.Pack",
        (("games/p1xel_dungeon/setup.exe", 300_000), ("readme.txt", 10)),
        multi_file=True,
    ),
}


def _terms(folder: Path, text: str = TERMS, name: str = "titles.txt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def compile_rule(tmp_path: Path, when: str):
    """The rule of ``when``, with the term file ``titles.txt`` beside it."""
    _terms(tmp_path)
    return rule_packs.compile_rule(when, folder=tmp_path)


def _flagged(warehouse, rule) -> set[str]:
    con, keys = warehouse
    hits = prepare(con, [rule])
    flagged = {keys[h] for (h,) in con.execute(rule_sql(rule)).fetchall()}
    # prepare counts the hits it wrote, and a torrent is flagged only through a hit
    assert hits == con.execute("SELECT count(*) FROM fuzzy_hits").fetchone()[0]
    assert hits > 0 or not flagged
    return flagged


# --- loading -----------------------------------------------------------------------


def _problems(tmp_path: Path, when: str):
    _, problems = rule_packs.pack_problems(tmp_path, rule_packs.rule_pack(when, tests=PASSES))
    return [(p.code, p.line, p.col, p.path) for p in problems]


@pytest.mark.parametrize(
    ("case", "files", "when", "expected"),
    [
        (
            "missing file",
            {},
            "fuzzy_terms: {terms: nope.txt}\n",
            ("rules.terms_missing", 8, 21, "rules[0].when.fuzzy_terms.terms"),
        ),
        (
            "empty file",
            {"t.txt": "# only a comment\n\n"},
            "fuzzy_terms: {terms: t.txt}\n",
            ("rules.terms_empty", 8, 21, "rules[0].when.fuzzy_terms.terms"),
        ),
        (
            "not UTF-8",
            {"t.txt": b"kart \xff racer\n"},
            "fuzzy_terms: {terms: t.txt}\n",
            # At the byte in the term file (t.txt:1:6), with the pack's key path.
            ("rules.terms_encoding", 1, 6, "rules[0].when.fuzzy_terms.terms"),
        ),
        (
            "bad scorer",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, scorer: jaro}\n",
            ("rules.bad_value", 8, 35, "rules[0].when.fuzzy_terms.scorer"),
        ),
        (
            "threshold above 100",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, threshold: 101}\n",
            ("rules.bad_value", 8, 35, "rules[0].when.fuzzy_terms.threshold"),
        ),
        (
            "threshold below 0",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, threshold: -1}\n",
            ("rules.bad_value", 8, 35, "rules[0].when.fuzzy_terms.threshold"),
        ),
        (
            "bad form",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, form: leet}\n",
            ("rules.bad_value", 8, 35, "rules[0].when.fuzzy_terms.form"),
        ),
        (
            "no terms key",
            {},
            "fuzzy_terms: {threshold: 80}\n",
            ("rules.missing_key", 8, 7, "rules[0].when.fuzzy_terms"),
        ),
        (
            "a per-term threshold for a word not in the term file",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, term_thresholds: {kart racr: 80}}\n",
            ("rules.bad_value", 8, 53, "rules[0].when.fuzzy_terms.term_thresholds.kart racr"),
        ),
        (
            "a per-term threshold above 100",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, term_thresholds: {kart racer: 101}}\n",
            ("rules.bad_value", 8, 53, "rules[0].when.fuzzy_terms.term_thresholds.kart racer"),
        ),
        (
            "an allow-list file that is missing",
            {"t.txt": TERMS},
            "fuzzy_terms: {terms: t.txt, allow: honest.txt}\n",
            ("rules.terms_missing", 8, 35, "rules[0].when.fuzzy_terms.allow"),
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_bad_fuzzy_terms_fail_loading(tmp_path, case, files, when, expected):
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (tmp_path / name).write_bytes(data)
    assert _problems(tmp_path, when) == [expected], case


def test_term_file_is_relative_to_the_pack_and_comments_are_skipped(tmp_path):
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt}")
    assert rule.when.term_list == ("kart racer", "galaxy quest", "pixel dungeon")
    assert (rule.when.on, rule.when.form, rule.when.scorer, rule.when.threshold) == (
        "name",
        "both",
        "ratio",
        90,
    )


# --- SQL ---------------------------------------------------------------------------


def test_exact_sql_twin(tmp_path):
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, form: norm, threshold: 80}")
    key = rule.when.key
    assert key.startswith("fz") and len(key) == 18
    assert rule_sql(rule) == (
        "SELECT t.infohash FROM torrents t WHERE EXISTS (SELECT 1 FROM fuzzy_matches h"
        f" WHERE h.infohash = t.infohash AND h.predicate_key = '{key}')"
    )


def test_matches_sql_is_an_equality_join_over_candidate_ngrams():
    sql = matches_sql({"name_norm": ({1, 2}, {"kart racer", "kart"}), "path": ({2}, {"a.b c"})})
    assert sql == (
        "CREATE OR REPLACE TEMP TABLE fuzzy_matches AS SELECT DISTINCT h.predicate_key,"
        " x.infohash, h.source, h.token, h.term, h.score FROM ("
        "SELECT c.infohash, 'name_norm' AS source, unnest(list_transform(range(1,"
        " len(c.tok) - k.n + 2), i -> CASE k.n WHEN 1 THEN c.tok[i]"
        " WHEN 2 THEN c.tok[i] || ' ' || c.tok[i + 1] END)) AS g"
        " FROM (SELECT infohash, name_tokens AS tok FROM torrents"
        " WHERE regexp_matches(name_norm, '(?:^| )(?:kart|kart racer)(?: |$)')) c,"
        " (SELECT unnest([1, 2]) AS n) k WHERE len(c.tok) >= k.n UNION ALL "
        "SELECT c.infohash, 'path' AS source, unnest(list_transform(range(1,"
        " len(c.tok) - k.n + 2), i -> c.tok[i] || ' ' || c.tok[i + 1])) AS g"
        " FROM (SELECT infohash, string_split(path_norm, ' ') AS tok FROM files"
        " WHERE NOT is_pad AND regexp_matches(path_norm, '(?:^| )(?:a\\.b c)(?: |$)')) c,"
        " (SELECT unnest([2]) AS n) k WHERE len(c.tok) >= k.n"
        ") x JOIN fuzzy_hits h ON h.source = x.source AND h.token = x.g"
    )


@pytest.mark.parametrize(
    ("tokens", "hit", "found"),
    [
        (["kart", "racer", "ps2"], "kart racer", True),
        (["kart", "racer", "ps2"], "racer ps2", True),
        (["kart", "x", "racer"], "kart racer", False),  # not adjacent
        (["racer", "kart"], "kart racer", False),  # not in order
        (["kart", "racer"], "kart racer ps2", False),  # too short for the hit
        (["kart", "", "racer"], "kart racer", False),  # an empty token breaks the run
        (["kart"], "kart", True),
        ([], "kart", False),
        (["karting", "racer"], "kart", False),  # part of a token is not a token
        (["a.b", "c"], "a.b c", True),  # regular-expression characters are literal
        (["axb", "c"], "a.b c", False),
    ],
)
@pytest.mark.parametrize("source", ["name_norm", "path"])
def test_equality_join_finds_runs_of_whole_tokens_only(tokens, hit, found, source):
    """The lookup that fills ``fuzzy_matches`` agrees with the substring test it
    replaced: the hit, padded with spaces, inside the tokens joined and padded."""
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE torrents (infohash VARCHAR, name_tokens VARCHAR[])")
    con.execute("INSERT INTO torrents VALUES ('t1', ?)", [tokens])
    con.execute(
        "CREATE TEMP TABLE fuzzy_hits AS SELECT 'k' AS predicate_key, ? AS source,"
        " ? AS token, 'term' AS term, 95.0 AS score",
        [source, hit],
    )
    con.execute("CREATE TABLE files (infohash VARCHAR, path_norm VARCHAR, is_pad BOOLEAN)")
    con.execute("INSERT INTO files VALUES ('t1', ?, false)", [" ".join(tokens)])
    con.execute("ALTER TABLE torrents ADD COLUMN name_norm VARCHAR")
    con.execute("UPDATE torrents SET name_norm = array_to_string(name_tokens, ' ')")
    con.execute(matches_sql({source: ({len(hit.split(" "))}, {hit})}))
    (joined,) = con.execute("SELECT count(*) FROM fuzzy_matches").fetchone()
    assert bool(joined) is found
    assert bool(joined) == ((" " + hit + " ") in (" " + " ".join(tokens) + " "))


def test_key_depends_on_terms_and_settings(tmp_path):
    a = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt}").when
    b = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, threshold: 80}").when
    assert a.key == compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt}").when.key
    assert a.key != b.key


def test_key_depends_on_per_term_thresholds_and_the_allow_list(tmp_path):
    _terms(tmp_path, "kart racr\n", name="honest.txt")
    plain = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt}").when
    strict = compile_rule(
        tmp_path, "fuzzy_terms: {terms: titles.txt, term_thresholds: {kart racer: 99}}"
    ).when
    allowing = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, allow: honest.txt}").when
    assert len({plain.key, strict.key, allowing.key}) == 3
    assert strict.threshold_of("kart racer") == 99 and strict.threshold_of("pixel dungeon") == 90
    assert "term_thresholds" not in plain.args() and strict.args()["term_thresholds"] == {
        "kart racer": 99
    }


def test_a_term_of_its_own_threshold_scores_against_it(tmp_path, warehouse):
    """The default (85) takes the misspelled and leetspeak kart names; a stricter one for
    that term alone (99) leaves the names that fold to it exactly (the leetspeak one does,
    in the skeleton form), and the other terms keep 85; a looser one for a term lets a
    farther name in while the others keep 99."""
    strict = compile_rule(
        tmp_path,
        "fuzzy_terms: {terms: titles.txt, threshold: 85, term_thresholds: {kart racer: 99}}",
    )
    assert _flagged(warehouse, strict) == {"exact", "leet", "galaxy"}
    loose = compile_rule(
        tmp_path,
        "fuzzy_terms: {terms: titles.txt, threshold: 99, term_thresholds: {kart racer: 85}}",
    )
    assert _flagged(warehouse, loose) == {"exact", "misspelled", "leet"}


def test_a_name_on_the_allow_list_is_no_hit(tmp_path, warehouse):
    """'Kart Racr' is allowed (say, a real honest title): it no longer counts, in either
    form, while the other near names still do."""
    _terms(tmp_path, "# honest titles near a term\nkart racr\n", name="honest.txt")
    rule = compile_rule(
        tmp_path, "fuzzy_terms: {terms: titles.txt, threshold: 85, allow: honest.txt}"
    )
    assert _flagged(warehouse, rule) == {"exact", "leet", "galaxy"}


def test_misspelled_and_leetspeak_names_flag_unrelated_do_not(tmp_path, warehouse):
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, threshold: 85}")
    assert _flagged(warehouse, rule) == {"exact", "misspelled", "leet", "galaxy"}


def test_norm_form_alone_misses_leetspeak(tmp_path, warehouse):
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, form: norm, threshold: 85}")
    assert _flagged(warehouse, rule) == {"exact", "misspelled", "galaxy"}
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, form: skeleton}")
    assert "leet" in _flagged(warehouse, rule)


def test_multi_word_term_matches_adjacent_tokens_only(tmp_path, warehouse):
    # "Racer.X.Kart" has both words, but never "kart racer" as a run of two tokens.
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, form: norm, threshold: 100}")
    assert _flagged(warehouse, rule) == {"exact"}
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, threshold: 100}")
    assert _flagged(warehouse, rule) == {"exact", "leet"}


def test_on_paths(tmp_path, warehouse):
    _terms(tmp_path, "pixel dungeon\n", "pixel.txt")
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: pixel.txt, on: paths}")
    # The leetspeak folder "p1xel_dungeon" matches in the skeleton form.
    assert _flagged(warehouse, rule) == {"in_path"}
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: pixel.txt, on: name}")
    assert _flagged(warehouse, rule) == set()
    # A single-file torrent's one path is its name.
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, on: paths, threshold: 85}")
    assert {"exact", "misspelled", "leet", "in_path"} <= _flagged(warehouse, rule)
    both = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, on: any, threshold: 85}")
    assert _flagged(warehouse, both) == {"exact", "misspelled", "leet", "galaxy", "in_path"}


def test_evidence_has_token_term_and_score(tmp_path, warehouse):
    con, keys = warehouse
    rule = compile_rule(tmp_path, "fuzzy_terms: {terms: titles.txt, threshold: 85}")
    prepare(con, [rule])
    rows = {keys[h]: json.loads(e) for h, e in con.execute(flag_sql(rule)).fetchall()}
    (fact,) = rows["misspelled"]["facts"]
    assert fact["predicate"] == "fuzzy_terms" and fact["holds"]
    assert fact["args"]["terms"] == "titles.txt" and "term_list" not in fact["args"]
    match = fact["values"]["matches"][0]
    assert match["token"] == "kart racr" and match["term"] == "kart racer"
    assert 85 <= match["score"] < 100 == rows["exact"]["facts"][0]["values"]["best_score"]
    leet = rows["leet"]["facts"][0]["values"]["matches"]
    assert {"token": "kart racer", "term": "kart racer", "score": 100.0} in [
        {k: m[k] for k in ("token", "term", "score")} for m in leet
    ]


def test_no_fuzzy_rules_skip_the_step(warehouse):
    con, _ = warehouse
    assert prepare(con, []) == -1


# --- flag ----------------------------------------------------------------------------


def test_flag_scores_and_is_idempotent(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)
    metas = [
        (parse_torrent(encode(spec)), Sighting("test", key, datetime.now(UTC)))
        for key, spec in TORRENTS.items()
    ]
    load_batch(con, build_batch(metas, []), start_run(con, "test"))
    con.close()
    _terms(tmp_path)
    pack = tmp_path / "fuzzy.yaml"
    pack.write_text(
        rule_packs.rule_pack("fuzzy_terms: {terms: titles.txt, threshold: 85}", tests=PASSES),
        "utf-8",
    )
    first = flag(db, [pack])
    assert first.new >= 4
    second = flag(db, [pack])
    assert (second.new, second.changed, second.deactivated) == (0, 0, 0)
    assert second.active == first.active
    con = connect(db, read_only=True)
    try:
        scores = dict(
            con.execute(
                "SELECT t.name, f.score FROM flags f JOIN torrents t USING (infohash)"
                " WHERE f.rule_id = 'demo.rule'"
            ).fetchall()
        )
        shipped = con.execute(
            "SELECT DISTINCT score FROM flags WHERE rule_id != 'demo.rule'"
        ).fetchall()
    finally:
        con.close()
    assert scores["Kart.Racer.PS2-GRP"] == 1.0
    assert 0.85 <= scores["Kart.Racr.PS2-GRP"] < 1.0
    assert "Harbor.Lights.PS3-DEMO" not in scores
    assert shipped in ([], [(1.0,)])


# --- the example pack ------------------------------------------------------------------


def test_example_pack_tests_pass():
    report = rules_test([EXAMPLE])
    assert report.ok, [r.failures for r in report.failed]
    ids = {r.rule_id for r in report.results}
    assert {"example.watch-titles", "example.watch-titles-in-files"} <= ids


def test_explain_shows_fuzzy_matches(tmp_path):
    from torrentwatch.explain import explain

    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)
    spec = TORRENTS["misspelled"]
    meta = parse_torrent(encode(spec))
    batch = build_batch([(meta, Sighting("test", "m", datetime.now(UTC)))], [])
    load_batch(con, batch, start_run(con, "test"))
    con.close()
    flag(db, [EXAMPLE])
    text = "\n".join(explain(db, meta.infohash))
    assert "Rule example.watch-titles v1" in text
    assert "'kart racr' ~ 'kart racer'" in text


@pytest.mark.parametrize("threshold", [60, 75, 90, 100])
def test_pruned_scoring_keeps_every_pair_a_full_matrix_keeps(threshold):
    """The length and character bounds of ``ratio`` scoring drop only pairs that cannot
    reach the threshold: random words, digits, mixed and accented grams against terms,
    scored with and without the bounds, give the same hits."""
    import random

    from rapidfuzz import process

    from rules import fuzzy

    rng = random.Random(threshold)
    # letters include the characters a regular-expression class must escape
    letters, digits = "abcdeilnorstuéø-]^\\[.", "0123456789"

    def word(alphabet: str, lo: int, hi: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))

    terms = sorted({word(letters, 3, 9) for _ in range(60)} | {"r2 d2", "x 1"})
    queries = [t for t in terms[:30]]  # exact terms
    queries += ["".join(rng.choice([c, rng.choice(letters + digits)]) for c in t) for t in terms]
    queries += [word(digits, 1, 8) for _ in range(200)]  # serials, years
    queries += [word(letters + digits + " ", 1, 12) for _ in range(600)]
    queries += ["", " ", "r2 d3", "x 2"]
    queries = list(dict.fromkeys(queries))

    class Pred:
        scorer = "ratio"
        lowest_threshold = threshold

    pruned = fuzzy._score(Pred(), queries, terms)
    matrix = process.cdist(queries, terms, scorer=fuzzy.SCORERS["ratio"])
    full: dict[str, list[tuple[str, float]]] = {}
    for i, q in enumerate(queries):
        for j, t in enumerate(terms):
            if matrix[i, j] >= threshold:
                full.setdefault(q, []).append((t, round(float(matrix[i, j]), 2)))
    assert {q: sorted(h) for q, h in pruned.items()} == {q: sorted(h) for q, h in full.items()}
    assert full, "no pair reached the threshold: test too weak"


def test_unspelled_counts_are_pythons_count():
    """The characters no term spells, counted over the Arrow array's bytes (ASCII) or
    one by one (the rest), are what Python counts: accents, CJK, emoji, empty strings,
    a sliced array (its offsets do not start at 0), spelled sets with and without
    non-ASCII characters."""
    import random

    import pyarrow as pa

    from rules import fuzzy

    rng = random.Random(7)
    alphabet = "abcxyz019 -.é漢😀\\]"
    texts = ["", " ", "é", "😀😀"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(400)]
    whole = pa.array(["padding", *texts, "tail"], pa.string())
    queries = whole.slice(1, len(texts))
    for spelled in ({"a", "b", " "}, {"a", "é", "漢", "-"}, set(), set(alphabet)):
        table = str.maketrans("", "", "".join(spelled))
        expected = [len(t.translate(table)) for t in texts]
        assert fuzzy._unspelled_counts(queries, spelled).tolist() == expected


def test_grams_in_arrow_are_the_grams_in_sql():
    """The two ways of building the n-grams (Arrow for a few rows, SQL for many) give the
    same distinct strings: random token lists, short and empty ones, NULL lists and
    tokens, accents and CJK, n from 1 to 4."""
    import random

    import pyarrow as pa

    from rules import fuzzy

    rng = random.Random(11)
    words = ["kart", "racer", "2004", "r\u00e9sum\u00e9", "\u6f22\u5b57", "x", "", "gold"]
    lists = []
    for _ in range(2_000):
        if rng.random() < 0.03:
            lists.append(None)
            continue
        tokens = [rng.choice(words) for _ in range(rng.randint(0, 7))]
        if tokens and rng.random() < 0.05:
            tokens[rng.randrange(len(tokens))] = None
        lists.append(tokens)
    con = duckdb.connect()
    made = "CREATE TABLE torrents AS SELECT unnest($l::VARCHAR[][]) AS name_tokens"
    con.execute(made, {"l": lists})
    sizes = {1, 2, 3, 4}
    arrow = fuzzy._arrow_grams(pa.chunked_array([pa.array(lists, pa.list_(pa.string()))]), sizes)
    grams_sql = fuzzy._grams_sql("SELECT name_tokens AS tok FROM torrents", sizes)
    table = con.execute(grams_sql).fetchall()
    for n in sizes:
        got = {g for g in arrow[n].to_pylist() if g is not None}
        expected = {g for k, g in table if k == n and g is not None}
        assert got == expected and expected, n
    # Through _grams, both ways give the same arrays (empty grams dropped).
    built = {}
    for rows in (0, 10**9):
        fuzzy_rows = fuzzy.ARROW_GRAMS_ROWS
        try:
            fuzzy.ARROW_GRAMS_ROWS = rows
            got = fuzzy._grams(con, "name_norm", sizes, {})
        finally:
            fuzzy.ARROW_GRAMS_ROWS = fuzzy_rows
        built[rows] = {n: sorted(a.to_pylist()) for n, a in got.items()}
    assert built[0] == built[10**9]
    assert "" not in built[0][1]


def test_scoring_no_queries_scores_nothing():
    from rules import fuzzy

    class Pred:
        scorer = "ratio"
        lowest_threshold = 80

    assert fuzzy._score(Pred(), [], ["kart racer"]) == {}
    assert fuzzy._score(Pred(), ["kart racer"], []) == {}
