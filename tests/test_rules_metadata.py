"""The metadata predicates (file_size, count_share, created_by, comment, trackers, age,
seeders): exact SQL, the SQL run on an in-memory warehouse, evidence in words, and
rules that must fail to compile."""

from __future__ import annotations

import json

import pytest
from rule_packs import compile_rule, pack_problems, rule_pack

from rules.compile import flag_sql, rule_sql
from rules.predicates import EvidenceContext
from torrentwatch.explain import fact_words, fired
from torrentwatch.synth import SynthTorrent

TORRENTS = {
    "film": SynthTorrent(
        "Harbor.Lights.2019.1080p-SYNTH",
        (("H/movie.mkv", 4_000_000_000), ("H/a.jpg", 1_000), ("H/b.jpg", 1_000)),
        created_by="mktorrent 1.1",
        comment="Ripped by SYNTH, see readme",
        trackers=("udp://tracker.example.invalid:6969/announce",),
        creation_date=1_500_000_000,
    ),
    "photos": SynthTorrent(
        "Holiday.Photos.2024",
        (
            ("P/1.jpg", 2_000_000),
            ("P/2.jpg", 2_000_000),
            ("P/3.jpg", 2_000_000),
            ("P/v.mp4", 90_000_000),
        ),
        created_by="qBittorrent v4.6",
        creation_date=2_000_000_000,
    ),
    "single": SynthTorrent("Kart.Racer.iso", (("Kart.Racer.iso", 700_000_000),)),
}


@pytest.fixture(scope="module")
def seeded(warehouse):
    con, names = warehouse
    film = next(h for h, k in names.items() if k == "film")
    con.execute("UPDATE observations SET seeders = 42 WHERE infohash = $h", {"h": film})
    return con, names


EXACT = [
    (
        "file_size: {kinds: [video], at_least: 1GB}",
        "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        " AND f.size >= 1000000000 AND f.kind IN ('video'))",
    ),
    (
        "count_share: {kinds: [image], at_least: 0.6}",
        "((coalesce(t.count_image, 0)) / nullif(t.file_count, 0)) >= 0.6",
    ),
    (
        "created_by: {pattern: ^mktorrent}",
        "coalesce(regexp_matches(t.created_by, '^mktorrent', 'i'), false)",
    ),
    (
        "seeders: {at_least: 10}",
        "coalesce((SELECT max(o.seeders) FROM observations o"
        " WHERE o.infohash = t.infohash) >= 10, false)",
    ),
]


@pytest.mark.parametrize(("when", "expr"), EXACT, ids=[w for w, _ in EXACT])
def test_exact_sql(when, expr):
    assert rule_sql(compile_rule(when)) == f"SELECT t.infohash FROM torrents t WHERE {expr}"


RUNS = [
    ("file_size: {kinds: [video], at_least: 1GB}", {"film"}),
    ("file_size: {kinds: [video], at_most: 100MB}", {"photos"}),
    ("file_size: {ext: [iso], at_least: 500MB}", {"single"}),
    ("count_share: {kinds: [image], at_least: 0.6}", {"film", "photos"}),
    ("count_share: {kinds: [image], at_least: 0.7}", {"photos"}),
    ("bytes_share: {kinds: [image], at_least: 0.6}", set()),  # by bytes: none
    ("created_by: {pattern: ^mktorrent}", {"film"}),
    ("created_by: {pattern: QBITTORRENT, case_sensitive: true}", set()),
    ("comment: {pattern: ripped by}", {"film"}),
    ("trackers: {pattern: '^udp://'}", {"film"}),
    ("age: {at_least: 2500}", {"film"}),  # created 2017; photos 2033; single 2023
    ("age: {at_most: 0}", {"photos"}),  # a creation date in the future
    ("age: {of: first_seen, at_most: 1}", {"film", "photos", "single"}),
    ("seeders: {at_least: 10}", {"film"}),
    ("not: {seeders: {at_least: 10}}", {"photos", "single"}),
]


@pytest.mark.parametrize(("when", "expected"), RUNS, ids=[w for w, _ in RUNS])
def test_sql_runs_on_warehouse(seeded, when, expected):
    con, names = seeded
    rows = con.execute(rule_sql(compile_rule(when))).fetchall()
    assert {names[r[0]] for r in rows} == expected


WORDS = [
    ("file_size: {kinds: [video], at_least: 1GB}", "/H/movie.mkv (video, 4,000,000,000 bytes)"),
    ("count_share: {kinds: [image], at_least: 0.6}", "count_share = 67%"),
    ("created_by: {pattern: ^mktorrent}", "created_by = mktorrent 1.1"),
    ("comment: {pattern: ripped}", "comment = Ripped by SYNTH"),
    ("trackers: {pattern: udp}", "udp://tracker.example.invalid:6969/announce"),
    ("age: {at_least: 1000}", "age_days = "),
    ("seeders: {at_least: 10}", "max_seeders = 42"),
]


@pytest.mark.parametrize(("when", "words"), WORDS, ids=[w for w, _ in WORDS])
def test_evidence_in_words(seeded, when, words):
    con, names = seeded
    film = next(h for h, k in names.items() if k == "film")
    rule = compile_rule(when)
    (evidence,) = con.execute(
        f"SELECT evidence FROM ({flag_sql(rule)}) WHERE infohash = $h", {"h": film}
    ).fetchone()
    (fact,) = fired(json.loads(evidence))
    text = "\n".join(fact_words(fact, EvidenceContext()))
    assert words in text


MUST_FAIL = [
    ("file_size: {kinds: [video]}", "rules.missing_key"),
    ("file_size: {kinds: [vidoe], at_least: 1GB}", "rules.unknown_kind"),
    ("file_size: {at_least: huge}", "rules.bad_size"),
    ("count_share: {kinds: [image], at_least: 60}", "rules.bad_value"),
    ("count_share: {at_least: 0.5}", "rules.missing_key"),
    ("created_by: {pattern: '(?!x)y'}", "rules.bad_regex"),
    ("comment: {patern: x}", "rules.unknown_key"),
    ("trackers: {pattern: ''}", "rules.wrong_type"),
    ("age: {at_least: 10, at_most: 5}", "rules.bad_range"),
    ("age: {of: modified, at_least: 1}", "rules.bad_value"),
    ("age: {at_least: 1.5}", "rules.wrong_type"),
    ("age: {}", "rules.missing_key"),
    ("seeders: {at_least: -1}", "rules.wrong_type"),
]


@pytest.mark.parametrize(("when", "code"), MUST_FAIL, ids=[w for w, _ in MUST_FAIL])
def test_must_fail_to_compile(tmp_path, when, code):
    _, problems = pack_problems(tmp_path, rule_pack(when))
    assert code in [p.code for p in problems], problems
