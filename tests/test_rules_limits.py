"""Rule packs and term files built to hurt: every number range-checked where it is
read (file:line:col), term files read in linear time from regular files only with
caps, absurd patterns and texts refused, printed and stored text cut with a count,
and whatever passes lint runs through `flag` (issue 11, items 7, 13 and 14)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from cli_runner import run_cli
from rule_packs import HEAD, PASSES, TESTS
from rule_packs import pack_problems as _problems
from rule_packs import rule_pack as _rule

from common.errors import RulesInvalid
from rules import fuzzy
from rules import text_predicates as tp
from rules.ruleset import load_packs
from rules.values import MAX_COUNT, MAX_SIZE, MAX_VERSION
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect

# ------------------------------------------------------------------ item 13: numbers

BIG = "1" * 5000  # Python refuses to convert an integer of more than 4,300 digits


def _version(value: str) -> str:
    return (
        HEAD.replace("version: 1", f"version: {value}")
        + "    when: {video_about_game: false}\n"  # true for every torrent: rows are stored
        + TESTS
    )


def _size_test(size: str) -> str:
    return _rule("video_about_game: true\n", tests=TESTS.replace("700MB", size))


V = "rules[0].version"
FC = "rules[0].when.file_count.at_least"
CNT = "rules[0].when.count.at_most"
SH = "rules[0].when.bytes_share.at_least"
TS = "rules[0].when.total_size.at_most"
LF = "rules[0].when.largest_file.at_least"
TF = "rules[0].tests.flag[0].files[0][1]"
TH = "rules[0].when.fuzzy_terms.threshold"

# (case, pack text, code, line, col, key path): every numeric key of the language.
BAD_NUMBERS = [
    ("version past INTEGER", _version("2147483648"), "rules.out_of_range", 3, 5, V),
    ("version 0", _version("0"), "rules.out_of_range", 3, 5, V),
    ("version negative", _version("-1"), "rules.out_of_range", 3, 5, V),
    ("version true", _version("true"), "rules.wrong_type", 3, 5, V),
    ("version float", _version("1.5"), "rules.wrong_type", 3, 5, V),
    ("version nan", _version(".nan"), "rules.wrong_type", 3, 5, V),
    ("version string", _version("'1'"), "rules.wrong_type", 3, 5, V),
    ("version 5000 digits", _version(BIG), "rules.out_of_range", 3, 5, V),
    ("version hex past INTEGER", _version("0x80000000"), "rules.out_of_range", 3, 5, V),
    (
        "count past INTEGER",
        _rule("file_count: {at_least: 2147483648}\n"),
        "rules.out_of_range",
        8,
        20,
        FC,
    ),
    ("count negative", _rule("file_count: {at_least: -1}\n"), "rules.wrong_type", 8, 20, FC),
    ("count true", _rule("file_count: {at_least: true}\n"), "rules.wrong_type", 8, 20, FC),
    ("count float", _rule("file_count: {at_least: 2.5}\n"), "rules.wrong_type", 8, 20, FC),
    ("count inf", _rule("file_count: {at_least: .inf}\n"), "rules.wrong_type", 8, 20, FC),
    (
        "kind count past INTEGER",
        _rule("count: {kinds: [video], at_most: 99999999999999999999}\n"),
        "rules.out_of_range",
        8,
        31,
        CNT,
    ),
    (
        "share nan",
        _rule("bytes_share: {kinds: [video], at_least: .nan}\n"),
        "rules.bad_value",
        8,
        37,
        SH,
    ),
    (
        "share inf",
        _rule("bytes_share: {kinds: [video], at_least: .inf}\n"),
        "rules.bad_value",
        8,
        37,
        SH,
    ),
    (
        "share true",
        _rule("bytes_share: {kinds: [video], at_least: true}\n"),
        "rules.bad_value",
        8,
        37,
        SH,
    ),
    (
        "share negative",
        _rule("bytes_share: {kinds: [video], at_least: -0.1}\n"),
        "rules.bad_value",
        8,
        37,
        SH,
    ),
    (
        "size past BIGINT",
        _rule("total_size: {at_most: 9223372036854775808}\n"),
        "rules.out_of_range",
        8,
        20,
        TS,
    ),
    (
        "size with unit past BIGINT",
        _rule("total_size: {at_most: 10000000TB}\n"),
        "rules.out_of_range",
        8,
        20,
        TS,
    ),
    (
        "size of 400 digits (float infinity)",
        _rule("total_size: {at_most: 1" + "0" * 400 + "B}\n"),
        "rules.out_of_range",
        8,
        20,
        TS,
    ),
    ("size negative", _rule("total_size: {at_most: -1}\n"), "rules.bad_size", 8, 20, TS),
    ("size true", _rule("total_size: {at_most: true}\n"), "rules.bad_size", 8, 20, TS),
    ("size float", _rule("total_size: {at_most: 1.5}\n"), "rules.bad_size", 8, 20, TS),
    (
        "size 5000 digits",
        _rule(f"largest_file: {{at_least: {BIG}}}\n"),
        "rules.out_of_range",
        8,
        22,
        LF,
    ),
    ("test file size past BIGINT", _size_test(str(2**63)), "rules.out_of_range", 10, 61, TF),
    ("test file size negative", _size_test("-5"), "rules.bad_size", 10, 61, TF),
    ("test file size true", _size_test("true"), "rules.bad_size", 10, 61, TF),
    (
        "test torrent too large to describe",
        _size_test("5TiB"),
        "rules.out_of_range",
        10,
        43,
        "rules[0].tests.flag[0].files",
    ),
    (
        "test torrent with too many files",
        _rule(
            "video_about_game: true\n",
            tests=TESTS.replace(
                '[["a.avi", 700MB]]',
                "[" + ", ".join(f'["f{i}.avi", 1]' for i in range(10_001)) + "]",
            ),
        ),
        "rules.out_of_range",
        10,
        43,
        "rules[0].tests.flag[0].files",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "col", "path"),
    [case[1:] for case in BAD_NUMBERS],
    ids=[case[0] for case in BAD_NUMBERS],
)
def test_numbers_out_of_range_fail_to_compile(tmp_path, text, code, line, col, path):
    file, problems = _problems(tmp_path, text)
    found = [(p.code, p.line, p.col, p.path) for p in problems]
    assert (code, line, col, path) in found, found
    problem = next(p for p in problems if (p.code, p.path) == (code, path))
    assert problem.file == str(file)
    assert len(str(problem)) < 1000  # a 5000-digit number is not echoed whole


@pytest.mark.parametrize(
    ("threshold", "code"),
    [
        (".nan", "rules.bad_value"),
        (".inf", "rules.bad_value"),
        ("true", "rules.bad_value"),
        ("100.5", "rules.bad_value"),
        ("-0.5", "rules.bad_value"),
        (BIG, "rules.out_of_range"),
    ],
)
def test_fuzzy_threshold_out_of_range_fails_to_compile(tmp_path, threshold, code):
    (tmp_path / "t.txt").write_text("kart racer\n")
    when = f"fuzzy_terms: {{terms: {tmp_path / 't.txt'}, threshold: {threshold}}}\n"
    _, problems = _problems(tmp_path, _rule(when))
    assert [(p.code, p.path) for p in problems] == [(code, TH)]


# Every numeric key at the edge of its range: must lint, and `flag` must run it.
EDGE_PACK = f"""\
rules:
  - id: edge.largest
    version: {MAX_VERSION}
    title: Every bound at its largest
    description: Benign edge values.
    level: low
    when:
      any:
        - file_count: {{at_least: {MAX_COUNT}}}
        - count: {{kinds: [video, image], at_least: {MAX_COUNT}, at_most: {MAX_COUNT}}}
        - total_size: {{at_least: {MAX_SIZE}}}
        - largest_file: {{at_most: {MAX_SIZE}}}
        - total_size: {{at_least: 8000000TB}}
        - bytes_share: {{kinds: [video], at_least: 1.0}}
        - regex: {{pattern: "kart", on: any}}
    tests:
      flag: [{{name: "Kart.Racer.Huge-GRP", files: [["a.avi", 4TiB]]}}]
  - id: edge.smallest
    version: 1
    title: Every bound at its smallest
    description: Benign edge values.
    level: informational
    when:
      all:
        - file_count: {{at_least: 0, at_most: 0x7fffffff}}
        - total_size: {{at_least: 0B}}
        - bytes_share: {{kinds: [video, image], at_least: 0, at_most: 1}}
        - count: {{kinds: [video], at_least: 0}}
        - fuzzy_terms: {{terms: terms.txt, threshold: 0}}
    tests:
      pass: [{{name: "Empty-GRP", files: [["e.txt", 0]]}}]
  - id: edge.fuzzy-top
    version: 2
    title: A fuzzy list at the top threshold
    description: Benign edge values.
    level: high
    when:
      fuzzy_terms: {{terms: terms.txt, threshold: 100, scorer: WRatio}}
    tests:
      flag: [{{name: "Kart.Racer.PS2-GRP", files: [["kart.iso", 1GB]]}}]
"""


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("edge")
    specs = [
        SynthTorrent("Kart.Racer.PS2-GRP", (("kart.iso", 4_000_000),)),
        SynthTorrent("Harbor.Lights.2020.720p", (("h.avi", 7_000_000), ("h.jpg", 10))),
        SynthTorrent("Empty-GRP", (("e/e.txt", 0), ("e/f.txt", 1)), multi_file=True),
    ]
    for i, spec in enumerate(specs):
        (folder / f"{i}.torrent").write_bytes(encode(spec))
    db = folder / "w.duckdb"
    ingest([folder], db, workers=1)
    return db


def test_whatever_passes_lint_runs_through_flag(tmp_path, small_db):
    (tmp_path / "terms.txt").write_text("kart racer\nharbor lights\n")
    pack = tmp_path / "edge.yaml"
    pack.write_text(EDGE_PACK)
    rules = load_packs([pack], shipped=False).rules
    assert rules["edge.largest"].version == MAX_VERSION
    db = tmp_path / "w.duckdb"
    db.write_bytes(small_db.read_bytes())
    summary = flag(db, [pack])
    assert summary.matched > 0
    con = connect(db, read_only=True)
    try:
        versions = dict(con.execute("SELECT DISTINCT rule_id, rule_version FROM flags").fetchall())
    finally:
        con.close()
    assert versions["edge.largest"] == MAX_VERSION


@pytest.mark.parametrize(
    "text", [case[1] for case in BAD_NUMBERS], ids=[case[0] for case in BAD_NUMBERS]
)
def test_a_pack_that_lints_also_flags(tmp_path, small_db, text):
    """The property itself, over the whole table: a pack either fails to load with
    problems, or `flag` runs it (before: ``version: 2147483648`` loaded, then `flag`
    failed with DuckDB's "out of range for INT32")."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(text)
    try:
        load_packs([pack], shipped=False)
    except RulesInvalid:
        return
    db = tmp_path / "w.duckdb"
    db.write_bytes(small_db.read_bytes())
    flag(db, [pack])


def test_largest_test_torrent_runs_in_rules_test(tmp_path):
    """A test torrent of 4 TiB (the most a test may describe) is built and ingested."""
    from torrentwatch.rule_tests import rules_test

    (tmp_path / "terms.txt").write_text("kart racer\n")
    pack = tmp_path / "edge.yaml"
    pack.write_text(EDGE_PACK)
    report = rules_test([pack])
    by_id = {r.rule_id: r for r in report.results}
    assert by_id["edge.largest"].ok, by_id["edge.largest"].failures


# ------------------------------------------------------- item 14: absurd text, cut text

MB_PATTERN = "kart" * 262_144  # 1 MiB


def test_megabyte_regex_is_refused_and_not_echoed(tmp_path):
    _, problems = _problems(tmp_path, _rule(f'regex: {{pattern: "{MB_PATTERN}"}}\n'))
    (problem,) = problems
    assert (problem.code, problem.line, problem.col) == ("rules.too_long", 8, 15)
    assert problem.path == "rules[0].when.regex.pattern"
    assert len(str(problem)) < 1000
    assert f"({len(MB_PATTERN) - 200:,} more characters)" in problem.message


def test_rules_lint_prints_a_megabyte_regex_cut(tmp_path):
    pack = tmp_path / "big.yaml"
    pack.write_text(_rule(f'regex: {{pattern: "{MB_PATTERN}"}}\n'))
    result = run_cli("rules", "lint", pack, columns=200)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "rules.too_long" in out and "more characters)" in out
    assert len(out) < 5000


@pytest.mark.parametrize(
    "pattern",
    [
        "\\\\pL{1000}\\\\pL{1000}\\\\pL{1000}",  # past RE2's program budget: "too large"
        "(a{999}){999}",  # past RE2's repetition limit
    ],
)
def test_patterns_re2_refuses_fail_at_compile_time(tmp_path, pattern):
    _, problems = _problems(tmp_path, _rule(f'regex: {{pattern: "{pattern}"}}\n'))
    assert [(p.code, p.path) for p in problems] == [
        ("rules.bad_regex", "rules[0].when.regex.pattern")
    ]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            _rule("video_about_game: true\n").replace("demo.rule", "demo." + "x" * 300),
            "rules[0].id",
        ),
        (_rule("video_about_game: true\n").replace("A demo rule", "T" * 301), "rules[0].title"),
        (
            _rule("video_about_game: true\n").replace("Benign example.", "D" * 5001),
            "rules[0].description",
        ),
    ],
    ids=["id", "title", "description"],
)
def test_overlong_rule_texts_fail_to_compile(tmp_path, text, path):
    _, problems = _problems(tmp_path, text)
    assert ("rules.too_long", path) in [(p.code, p.path) for p in problems]
    assert all(len(str(p)) < 2000 for p in problems)


def test_every_echoed_value_is_cut(tmp_path):
    """An unknown key, level or kind of a megabyte is quoted cut, with the count."""
    huge = "z" * 1_000_000
    text = _rule(f"count: {{kinds: [{huge}], at_least: 1}}\n").replace(
        "level: high", f"level: {huge}"
    )
    _, problems = _problems(tmp_path, text)
    assert {p.code for p in problems} == {"rules.unknown_level", "rules.unknown_kind"}
    for p in problems:
        assert "(999,800 more characters)" in p.message and len(str(p)) < 1500


def test_long_pattern_is_cut_in_stored_evidence(tmp_path, small_db):
    words = "|".join(f"w{i:05d}" for i in range(1_200))  # 8,399 characters, compiles
    pattern = f"kart|{words}"
    pack = tmp_path / "p.yaml"
    pack.write_text(_rule(f'regex: {{pattern: "{pattern}"}}\n'))
    db = tmp_path / "w.duckdb"
    db.write_bytes(small_db.read_bytes())
    flag(db, [pack])
    con = connect(db, read_only=True)
    try:
        (evidence,) = con.execute(
            "SELECT evidence FROM flags WHERE rule_id = 'demo.rule'"
        ).fetchone()
    finally:
        con.close()
    (fact,) = json.loads(evidence)["facts"]
    shown = fact["args"]["pattern"]
    assert shown.startswith("kart|w00000") and len(shown) < 600
    assert shown.endswith(f"… ({len(pattern) - 500:,} more characters)")


# -------------------------------------------------------------- item 7: term files

TERMS_KEY = "rules[0].when.fuzzy_terms.terms"


def _load_terms(tmp_path: Path, terms: str):
    """(terms loaded, None) or (None, problems) for a pack naming ``terms``."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(_rule(f"fuzzy_terms: {{terms: {terms}}}", tests=PASSES))
    try:
        ruleset = load_packs([pack], shipped=False)
    except RulesInvalid as exc:
        return None, exc.problems
    return ruleset.rules["demo.rule"].when.term_list, None


def _load_with_deadline(tmp_path: Path, terms: str, seconds: float = 10):
    """``_load_terms`` in a thread: a read that blocks (a FIFO) fails the test, not
    the session."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(_load_terms(tmp_path, terms)))
    worker.daemon = True
    worker.start()
    worker.join(seconds)
    assert out, f"loading {terms} did not finish in {seconds} s"
    return out[0]


def test_term_file_read_is_linear(tmp_path):
    """100,000 distinct terms: 51 s before (a list as the seen-set), 0.06 s now."""
    count = 100_000
    lines = [f"kart racer {i}" for i in range(count)]
    (tmp_path / "t.txt").write_text("\n".join(lines + lines[:1000]) + "\n")
    start = time.perf_counter()
    terms, problems = _load_terms(tmp_path, "t.txt")
    took = time.perf_counter() - start
    assert problems is None and len(terms) == count and terms[:2] == tuple(lines[:2])
    assert took < 5, f"{took:.1f} s for {count:,} terms"


@pytest.mark.parametrize(
    ("target", "words"),
    [("/dev/zero", "a character device"), ("fifo", "a FIFO (named pipe)"), (".", "a folder")],
)
def test_only_regular_term_files_are_read(tmp_path, target, words):
    os.mkfifo(tmp_path / "fifo")
    terms, problems = _load_with_deadline(tmp_path, target)
    assert terms is None
    assert [(p.code, p.line, p.col, p.path) for p in problems] == [
        ("rules.terms_not_file", 8, 21, TERMS_KEY)
    ]
    assert words in problems[0].message


def test_term_file_size_is_capped_while_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(tp, "MAX_TERMS_BYTES", 1000)
    (tmp_path / "t.txt").write_text("kart racer\n" * 100)  # 1,100 bytes
    _, problems = _load_terms(tmp_path, "t.txt")
    assert [(p.code, p.line, p.path) for p in problems] == [("rules.terms_too_large", 8, TERMS_KEY)]
    assert "1,000-byte maximum" in problems[0].message


# (case, bytes, code, line, col in the term file)
BAD_TERM_FILES = [
    ("binary", b"kart racer\nhar\x00bor\n", "rules.terms_binary", 2, 4),
    ("latin-1", b"kart racer\n\ncaf\xe9 quest\n", "rules.terms_encoding", 3, 4),
    ("utf-16", "kart racer\n".encode("utf-16"), "rules.terms_binary", 1, 4),
    ("line too long", b"kart\n" + b"x" * 1001 + b"\n", "rules.terms_line_too_long", 2, 1),
    (
        "term of too many words",
        b"kart\n" + " ".join(f"w{i}" for i in range(33)).encode() + b"\n",
        "rules.terms_too_many_words",
        2,
        1,
    ),
]


@pytest.mark.parametrize(
    ("data", "code", "line", "col"),
    [case[1:] for case in BAD_TERM_FILES],
    ids=[case[0] for case in BAD_TERM_FILES],
)
def test_bad_term_files_point_at_the_line(tmp_path, data, code, line, col):
    (tmp_path / "t.txt").write_bytes(data)
    _, problems = _load_terms(tmp_path, "t.txt")
    assert [(p.code, p.file, p.line, p.col, p.path) for p in problems] == [
        (code, str(tmp_path / "t.txt"), line, col, TERMS_KEY)
    ]
    assert problems[0].rule_id == "demo.rule"
    assert f"{tmp_path / 'pack.yaml'}:8:21" in problems[0].message


def test_too_many_terms_points_at_the_line_past_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(tp, "MAX_TERMS", 3)
    (tmp_path / "t.txt").write_text("a1\n# c\na1\nb2\nc3\n\nd4\ne5\n")
    _, problems = _load_terms(tmp_path, "t.txt")
    assert [(p.code, p.line) for p in problems] == [("rules.terms_too_many", 7)]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n", b"!!!\n"])
def test_empty_term_files_are_refused(tmp_path, data):
    (tmp_path / "t.txt").write_bytes(data)
    _, problems = _load_terms(tmp_path, "t.txt")
    assert [(p.code, p.line, p.col) for p in problems] == [("rules.terms_empty", 8, 21)]


def test_terms_keep_order_and_drop_repeats_comments_bom_and_crlf(tmp_path):
    (tmp_path / "t.txt").write_bytes(
        "\ufeffkart racer\r\n  galaxy quest # note\r\nkart racer\r\n#x\r\npixel dungeon".encode()
    )
    terms, problems = _load_terms(tmp_path, "t.txt")
    assert problems is None
    assert terms == ("kart racer", "galaxy quest", "pixel dungeon")


# ------------------------------------------------ fuzzy scoring and matching at scale


def test_many_hit_tokens_stay_within_re2_limits():
    """120,000 hit tokens: one RE2 pattern of 1.3 MB is "pattern too large" (flag
    failed); split into patterns of ~50,000 characters it runs."""
    tokens = {f"tok{i:06d}x" for i in range(120_000)}
    patterns = fuzzy.hits_patterns(tokens)
    assert len(patterns) > 1 and max(map(len, patterns)) < fuzzy.PATTERN_CHARS + 100
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE torrents AS SELECT * FROM (VALUES ('h1', 'a tok000007x b', ['a',"
        " 'tok000007x', 'b'], ['a']), ('h2', 'nothing here', ['nothing', 'here'], ['n']))"
        " t(infohash, name_norm, name_tokens, skeleton_tokens)"
    )
    hits = pa.table({"token": sorted(tokens)})  # noqa: F841 (read by DuckDB by name)
    con.execute(
        "CREATE TEMP TABLE fuzzy_hits AS SELECT 'k' AS predicate_key, 'name_norm' AS source,"
        " token, 'term' AS term, 95.0 AS score FROM hits"
    )
    con.execute(fuzzy.matches_sql({"name_norm": ({1}, tokens)}))
    rows = con.execute("SELECT infohash, token FROM fuzzy_matches").fetchall()
    assert rows == [("h1", "tok000007x")]


def test_score_matrix_is_bounded_by_cells(monkeypatch):
    from rules.text_predicates import FuzzyTerms

    pred = FuzzyTerms("t.txt", ("kart racer",), threshold=80)
    queries = [f"kart racr {i}" for i in range(50)] + ["kart racer", "harbor"]
    choices = [f"kart racer {i}" for i in range(40)] + ["kart racer"]
    whole = fuzzy._score(pred, queries, choices)
    seen: list[int] = []
    real = fuzzy.process.cdist

    def spy(rows, cols, **kw):
        seen.append(len(rows) * len(cols))
        return real(rows, cols, **kw)

    monkeypatch.setattr(fuzzy, "MAX_CELLS", 100)
    monkeypatch.setattr(fuzzy.process, "cdist", spy)
    assert fuzzy._score(pred, queries, choices) == whole
    assert seen and max(seen) <= 100


def test_a_flood_of_problems_is_listed_cut(tmp_path):
    kinds = ", ".join(f"movie{i}" for i in range(5_000))
    with pytest.raises(RulesInvalid) as info:
        load_packs([_pack_file(tmp_path, _rule(f"count: {{kinds: [{kinds}], at_least: 1}}\n"))])
    assert len(info.value.problems) == 5_000
    text = str(info.value)
    assert text.count("[rules.unknown_kind]") == 200
    assert text.endswith("… and 4,800 more problem(s)")


def _pack_file(folder: Path, text: str) -> Path:
    path = folder / "pack.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("/dev/zero", "rules.pack_not_file"),
        ("fifo", "rules.pack_not_file"),
        ("big.yaml", "rules.pack_too_large"),
    ],
)
def test_pack_paths_are_read_only_when_regular_and_small(tmp_path, monkeypatch, target, code):
    """`rules lint /dev/zero` ended in MemoryError; a FIFO hung it."""
    from rules import ruleset as loader

    monkeypatch.setattr(loader, "MAX_PACK_BYTES", 1000)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big.yaml").write_text("rules: []\n" + "# padding\n" * 200)
    path = target if target.startswith("/") else str(tmp_path / target)
    out: list = []

    def run() -> None:
        try:
            load_packs([path], shipped=False)
        except RulesInvalid as exc:
            out.append(exc.problems)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    assert out, f"loading {target} did not finish in 10 s"
    assert [(p.code, p.file) for p in out[0]] == [(code, path)]
