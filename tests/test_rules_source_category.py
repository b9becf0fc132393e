"""The ``source_category`` predicate: what the source said the category was, read from
``observations`` as whole tokens with wildcards; exact SQL, matches over any sighting,
negation, torrents without sightings, evidence and explain, and values refused at load."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rule_packs import PASSES, compile_rule
from rule_packs import pack_problems as _problems
from rule_packs import rule_pack as _rule

from parsers.columnar import build_batch
from parsers.records import Sighting
from parsers.torrent import parse_torrent
from rules.compile import flag_sql, rule_sql
from torrentwatch.explain import explain
from torrentwatch.flag import flag
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect
from warehouse.load import load_batch
from warehouse.runs import start_run

TORRENTS = {
    "games": SynthTorrent("Kart.Racer.PS2.PAL-GRP", (("Kart/clip01.avi", 700_000),)),
    "films": SynthTorrent("Harbor.Lights.2019.1080p-SYNTH", (("H/movie.mkv", 9_000),)),
    "accents": SynthTorrent("Comet.River.2021.720p-BENIGN", (("C/river.mkv", 8_000),)),
    "two_sources": SynthTorrent("Pixel.Dungeon.v1.4.2.PC.GOG", (("P/setup.exe", 5_000),)),
    "no_category": SynthTorrent("Robot.Castle.PS3-TESTREL", (("R/robot.iso", 7_000),)),
    "unseen": SynthTorrent("Summer.Garden.Photos-DEMO", (("S/img001.jpg", 2_000),)),
}
# (key, source, category) of every sighting; "unseen" gets none at all.
SIGHTINGS = [
    ("games", "feed-a", "Games > PS2"),
    ("films", "feed-a", "Movies/HD"),
    ("accents", "feed-b", "Fílms \u2013 Documentaires"),
    ("two_sources", "feed-a", "Software"),
    ("two_sources", "feed-b", "PC Games"),
    ("no_category", "folder", None),
]


def _batch():
    metas, keys = [], {}
    now = datetime.now(UTC)
    by_key = {k: parse_torrent(encode(spec)) for k, spec in TORRENTS.items()}
    for key, meta in by_key.items():
        keys[meta.infohash] = key
    for i, (key, source, category) in enumerate(SIGHTINGS):
        metas.append((by_key[key], Sighting(source, f"{source}:{i}", now, category=category)))
    metas.append((by_key["unseen"], Sighting("folder", "unseen", now)))
    return build_batch(metas, []), keys


@pytest.fixture(scope="module")
def warehouse():
    con = connect(":memory:")
    batch, keys = _batch()
    load_batch(con, batch, start_run(con, "test"))
    # "unseen" was loaded through a sighting; drop it so the torrent has none at all.
    con.execute("DELETE FROM observations WHERE source_ref = 'unseen'")
    yield con, keys
    con.close()


def _matched(warehouse, when: str) -> set[str]:
    con, keys = warehouse
    return {keys[h] for (h,) in con.execute(rule_sql(compile_rule(when))).fetchall()}


def test_exact_sql():
    assert rule_sql(compile_rule("source_category: [games, 'movie*']")) == (
        "SELECT t.infohash FROM torrents t WHERE EXISTS (SELECT 1 FROM observations o"
        " WHERE o.infohash = t.infohash AND o.category IS NOT NULL AND"
        " regexp_matches(array_to_string(list_filter(string_split_regex("
        "strip_accents(lower(o.category)), '[^a-z0-9]+'), lambda x: x != ''), ' '),"
        " '(^| )(games|movie[^ ]*)( |$)'))"
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("source_category: [games]", {"games", "two_sources"}),  # any sighting counts
        ("source_category: [ps2]", {"games"}),  # "Games > PS2" is two tokens
        ("source_category: [movies]", {"films"}),
        ("source_category: ['movie*']", {"films"}),  # wildcard
        ("source_category: [movie]", set()),  # whole tokens only
        ("source_category: [films]", {"accents"}),  # accents stripped
        ("source_category: [software, hd]", {"two_sources", "films"}),
        ("source_category: [documentaires]", {"accents"}),
    ],
)
def test_matches(warehouse, when, expected):
    assert _matched(warehouse, when) == expected


def test_no_sightings_or_no_category_never_match(warehouse):
    everything = "source_category: ['*e*', '*a*', '*o*', '*i*', '*u*']"
    assert {"unseen", "no_category"}.isdisjoint(_matched(warehouse, everything))
    assert _matched(warehouse, everything) == {"games", "films", "accents", "two_sources"}


def test_negation_takes_torrents_without_any_matching_sighting(warehouse):
    assert _matched(warehouse, "not: {source_category: [games]}") == {
        "films",
        "accents",
        "no_category",
        "unseen",
    }


def test_combines_with_the_claimed_category(warehouse):
    # A name that claims a game while no source listed it under games.
    when = "all: [{claimed.category: {in: [game_console]}}, {not: {source_category: [games]}}]"
    assert _matched(warehouse, when) == {"no_category"}


def test_evidence_names_the_source_and_category(warehouse):
    con, keys = warehouse
    rule = compile_rule("source_category: [games]")
    rows = {keys[h]: json.loads(e) for h, e in con.execute(flag_sql(rule)).fetchall()}
    assert set(rows) == {"games", "two_sources"}
    (fact,) = rows["two_sources"]["facts"]
    assert fact["predicate"] == "source_category"
    assert fact["args"] == {"words": ["games"]}
    assert fact["holds"] is True
    assert fact["values"] == {
        "count": 1,
        "observations": [{"source": "feed-b", "source_ref": "feed-b:4", "category": "PC Games"}],
    }


def test_flag_and_explain_in_words(tmp_path):
    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)
    batch, keys = _batch()
    load_batch(con, batch, start_run(con, "test"))
    con.close()
    pack = tmp_path / "cat.yaml"
    pack.write_text(_rule("source_category: [ps2]", tests=PASSES), "utf-8")
    summary = flag(db, [pack])
    assert summary.new >= 1
    games = next(h for h, k in keys.items() if k == "games")
    text = "\n".join(explain(db, games))
    assert "Rule demo.rule v1" in text
    assert "source_category" in text
    assert "source feed-a (feed-a:0) said category 'Games > PS2'" in text


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("source_category: games", "rules.wrong_type"),
        ("source_category: []", "rules.empty_list"),
        ("source_category: ['*']", "rules.bad_value"),
        ("source_category: [Games]", "rules.bad_value"),
        ("source_category: ['ga mes']", "rules.bad_value"),
        ("source_category: {in: [games]}", "rules.wrong_type"),
    ],
)
def test_bad_values_fail_loading(tmp_path, value, code):
    path, problems = _problems(tmp_path, _rule(value + "\n"))
    assert [p.code for p in problems] == [code]
    assert problems[0].file == str(path)
    assert problems[0].line == 8
    assert problems[0].path.startswith("rules[0].when.source_category")
