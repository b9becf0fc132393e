"""The ``regex`` predicate (RE2 through DuckDB) and ``known_list: {list: any}``:
exact SQL, matches on an in-memory warehouse, evidence, and patterns refused at load."""

from __future__ import annotations

import json

import pytest
from rule_packs import compile_rule
from rule_packs import pack_problems as _problems
from rule_packs import rule_pack as _rule

from common.errors import HashListNameInvalid
from rules.compile import flag_sql, rule_sql
from torrentwatch.hashlist import check_name
from torrentwatch.synth import SynthTorrent

EXISTS = "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad AND "

EXACT = [
    (
        'regex: {pattern: "kart ?racer"}',
        "regexp_matches(t.name_norm, 'kart ?racer', 'i')",
    ),
    (
        'regex: {pattern: "\\\\.avi\\\\.exe$", on: paths, form: raw, case_sensitive: true}',
        EXISTS + "(regexp_matches(f.path, '\\.avi\\.exe$', 'c') OR (f.path_alt_raw IS NOT NULL"
        " AND coalesce(len(list_filter(f.path_alt_raw, x -> coalesce(regexp_matches("
        "try(decode(x)), '\\.avi\\.exe$', 'c'), false))) > 0, false))))",
    ),
    (
        'regex: {pattern: "pilot\'s", on: any}',
        "(regexp_matches(t.name_norm, 'pilot''s', 'i') OR "
        + EXISTS
        + "regexp_matches(f.path_norm, 'pilot''s', 'i')))",
    ),
    (
        "known_list: {list: any}",
        "EXISTS (SELECT 1 FROM torrent_hash_list_matches m WHERE m.infohash = t.infohash"
        " AND m.kind IN ('infohash_v1', 'infohash_v2', 'pieces_root'))",
    ),
]


@pytest.mark.parametrize(("when", "expr"), EXACT, ids=[w for w, _ in EXACT])
def test_exact_sql(when, expr):
    assert rule_sql(compile_rule(when)) == f"SELECT t.infohash FROM torrents t WHERE {expr}"


LONG = "a" * 200 + "b"  # 2^200 paths for a backtracking engine
TORRENTS = {
    "kart": SynthTorrent("Kart.Racer.PS2.PAL-GRP", (("Kart/clip01.avi.exe", 700_000),)),
    "quote": SynthTorrent(
        "Pilot's.Log.2020.720p-SYNTH", (("P/Pilot's.Log.mkv", 1_000), ("P/Notes.TXT", 10))
    ),
    "long": SynthTorrent(LONG, (("L/x.bin", 10),)),
}


RUNS = [
    ('regex: {pattern: "kart ?racer"}', {"kart"}),
    ('regex: {pattern: "KART.RACER", form: raw}', {"kart"}),
    ('regex: {pattern: "KART.RACER", form: raw, case_sensitive: true}', set()),
    ('regex: {pattern: "Kart\\\\.Racer", form: raw, case_sensitive: true}', {"kart"}),
    ('regex: {pattern: "^racer"}', set()),
    ('regex: {pattern: "\\\\.avi\\\\.exe$", on: paths, form: raw}', {"kart"}),
    ('regex: {pattern: "\\\\.txt$", on: paths, form: raw}', {"quote"}),
    ('regex: {pattern: "\\\\.txt$", on: paths, form: raw, case_sensitive: true}', set()),
    ('regex: {pattern: "pilot\'s", form: raw}', {"quote"}),
    ('regex: {pattern: "pilot\'s", on: paths, form: raw}', {"quote"}),
    ('regex: {pattern: "clip[0-9]+", on: any}', {"kart"}),
    ('regex: {pattern: "log|racer", on: name}', {"kart", "quote"}),
    # Catastrophic for a backtracking engine on "aaa…ab"; linear in RE2.
    ('regex: {pattern: "^(a+)+$", form: raw}', set()),
    ('regex: {pattern: "^(a+)+b$", form: raw}', {"long"}),
    ("known_list: {list: any}", set()),
]


@pytest.mark.parametrize(("when", "expected"), RUNS, ids=[w for w, _ in RUNS])
def test_sql_runs_and_gives_evidence(warehouse, when, expected):
    con, keys = warehouse
    rule = compile_rule(when)
    assert {keys[r[0]] for r in con.execute(rule_sql(rule)).fetchall()} == expected
    rows = con.execute(flag_sql(rule)).fetchall()
    assert {keys[h] for h, _ in rows} == expected
    for _, evidence in rows:
        (fact,) = json.loads(evidence)["facts"]
        assert fact["holds"] is True and "values" in fact


def test_evidence_shows_matched_text_and_files(warehouse):
    con, _ = warehouse
    ((_, ev),) = con.execute(flag_sql(compile_rule('regex: {pattern: "ra[a-z]+"}'))).fetchall()
    (fact,) = json.loads(ev)["facts"]
    assert fact["values"]["matched"] == "racer"
    assert fact["values"]["name_norm"].startswith("kart racer")
    rule = compile_rule('regex: {pattern: "\\\\.(mkv|txt)$", on: paths, form: raw}')
    ((_, ev),) = con.execute(flag_sql(rule)).fetchall()
    (fact,) = json.loads(ev)["facts"]
    assert fact["values"]["count"] == 2
    assert [f["path"].rsplit("/", 1)[-1] for f in fact["values"]["files"]] == [
        "Pilot's.Log.mkv",
        "Notes.TXT",
    ]
    rule = compile_rule('regex: {pattern: "clip", on: any}')
    ((_, ev),) = con.execute(flag_sql(rule)).fetchall()
    (fact,) = json.loads(ev)["facts"]
    assert fact["values"]["name"]["matched"] is None
    assert fact["values"]["paths"]["count"] == 1


BAD = [
    ('"(a)\\\\1"', "invalid escape sequence"),
    ('"x(?=y)"', "invalid perl operator"),
    ('"kart("', "missing )"),
]


@pytest.mark.parametrize(("pattern", "message"), BAD, ids=[p for p, _ in BAD])
def test_patterns_re2_refuses_are_loader_errors(tmp_path, pattern, message):
    path, problems = _problems(tmp_path, _rule(f"regex: {{pattern: {pattern}}}\n"))
    (problem,) = problems
    assert problem.code == "rules.bad_regex"
    assert (problem.file, problem.line, problem.col) == (str(path), 8, 15)
    assert problem.rule_id == "demo.rule"
    assert problem.path == "rules[0].when.regex.pattern"
    assert message in problem.message


def test_every_bad_regex_is_reported_with_other_problems(tmp_path):
    text = _rule(
        "any:\n"
        '  - regex: {pattern: "(a)\\\\1"}\n'
        '  - regex: {pattern: "ok", on: title}\n'
        "  - regex: {pattern: 42}\n"
    )
    _, problems = _problems(tmp_path, text)
    assert [(p.code, p.path) for p in problems] == [
        ("rules.bad_regex", "rules[0].when.any[0].regex.pattern"),
        ("rules.bad_value", "rules[0].when.any[1].regex.on"),
        ("rules.wrong_type", "rules[0].when.any[2].regex.pattern"),
    ]


def test_list_name_any_is_reserved():
    with pytest.raises(HashListNameInvalid):
        check_name("any")
    assert check_name("Any") == "Any"
