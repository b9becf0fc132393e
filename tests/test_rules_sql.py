"""SQL twins: the exact SQL of tiny rules, and that SQL run on an in-memory warehouse."""

from __future__ import annotations

import pytest
from rule_packs import compile_rule

from rules.compile import rule_sql
from torrentwatch.synth import SynthTorrent

EXACT = [
    (
        "claimed.platform: {in: [ps2, nsw]}",
        "t.claimed_platform IN ('ps2', 'nsw')",
    ),
    ("video_about_game: false", "coalesce(t.video_about_game, false) = false"),
    (
        "bytes_share: {kinds: [video, image], at_least: 0.6}",
        "(coalesce(t.share_bytes_video, 0) + coalesce(t.share_bytes_image, 0)) >= 0.6",
    ),
    (
        "count: {kinds: [executable], at_least: 1, at_most: 3}",
        "(coalesce(t.count_executable, 0) >= 1 AND coalesce(t.count_executable, 0) <= 3)",
    ),
    ("total_size: {at_most: 30MB}", "t.total_size <= 30000000"),
    ("largest_file: {at_least: 1GiB}", "t.largest_file_size >= 1073741824"),
    ("file_count: {at_least: 2}", "t.file_count >= 2"),
    (
        "no_file: {kind: [disc_image, game_package]}",
        "NOT EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        " AND f.kind IN ('disc_image', 'game_package'))",
    ),
    (
        "has_file: {ext: [txt], name_token: [password*]}",
        "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        " AND f.ext IN ('txt') AND regexp_matches(f.path_norm, '(^| )(password[^ ]*)( |$)'))",
    ),
    (
        "double_extension: {final: [exe, lnk]}",
        "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        " AND len(f.exts) >= 2 AND f.ext IN ('exe', 'lnk'))",
    ),
    ("name_marks: {bidi: true}", "coalesce(t.name_has_bidi, false)"),
    (
        "file_marks: {trailing_dot_space: true, control: false}",
        "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        " AND (coalesce(f.has_trailing_dot_space, false) AND NOT coalesce(f.has_control, false)))",
    ),
    (
        "known_list: {list: demo-list, match: infohash}",
        "EXISTS (SELECT 1 FROM torrent_hash_list_matches m WHERE m.infohash = t.infohash"
        " AND m.list_name = 'demo-list' AND m.kind IN ('infohash_v1', 'infohash_v2'))",
    ),
    (
        "whole_token: [kart, racer]",
        "regexp_matches(t.name_norm, '(^| )(kart|racer)( |$)')",
    ),
    (
        "not: {any: [{file_count: {at_least: 2}}, {whole_token: [kart]}]}",
        "NOT coalesce((t.file_count >= 2 OR"
        " regexp_matches(t.name_norm, '(^| )(kart)( |$)')), false)",
    ),
]


@pytest.mark.parametrize(("when", "expr"), EXACT, ids=[w for w, _ in EXACT])
def test_exact_sql(when, expr):
    assert rule_sql(compile_rule(when)) == f"SELECT t.infohash FROM torrents t WHERE {expr}"


TORRENTS = {
    "console_video": SynthTorrent(
        "Kart.Racer.PS2.PAL-GRP", (("Kart/clip01.avi", 700_000_000), ("Kart/b.jpg", 1_000))
    ),
    "console_iso": SynthTorrent(
        "Kart.Racer.PS2.PAL-GRP", (("Kart/kart.iso", 4_200_000_000), ("Kart/t.mkv", 9_000_000))
    ),
    "film_exe": SynthTorrent(
        "Harbor.Lights.2019.1080p.BluRay.x264-SYNTH",
        (("H/movie.mkv", 4_000_000_000), ("H/movie.avi.exe", 2_000_000)),
    ),
    # libtorrent drops the U+202E from the name it reports; the marks read the raw bytes.
    "bidi": SynthTorrent("Ocean.Winter.\u202eivm.exe", (("O/clip\u202efdp.exe", 1_000),)),
    "pc_game": SynthTorrent(
        "Dungeon.Robot.Builder-FAKEGRP", (("D/setup.exe", 900_000_000), ("D/Password.txt", 10))
    ),
}


RUNS = [
    ("bytes_share: {kinds: [video, image], at_least: 0.6}", {"console_video", "film_exe"}),
    ("no_file: {kind: [disc_image]}", {"console_video", "film_exe", "pc_game", "bidi"}),
    ("name_marks: {bidi: true}", {"bidi"}),
    ("file_marks: {bidi: true}", {"bidi"}),
    ("double_extension: {final: exec_or_shortcut}", {"film_exe"}),
    ("has_file: {ext: [txt], name_token: [pass*]}", {"pc_game"}),
    ("whole_token: [kart]", {"console_video", "console_iso"}),
    ("claimed.category: {in: [film]}", {"film_exe"}),
    ("largest_file: {at_least: 4GB}", {"film_exe", "console_iso"}),
    ("known_list: {list: demo-list}", set()),
    (
        "all: [{claimed.platform: {in: [ps2]}}, {not: {has_file: {kind: [disc_image]}}}]",
        {"console_video"},
    ),
]


@pytest.mark.parametrize(("when", "expected"), RUNS, ids=[w for w, _ in RUNS])
def test_sql_runs_on_warehouse(warehouse, when, expected):
    con, names = warehouse
    rows = con.execute(rule_sql(compile_rule(when))).fetchall()
    assert {names[r[0]] for r in rows} == expected
