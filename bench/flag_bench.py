"""Flag benchmark: `torrentwatch flag` over 1,000,000 torrents against a naive Python loop.

    .venv/bin/python bench/flag_bench.py --torrents 1000000 --sample 20000 --repeat 3

Builds (once, kept in ``--db``) a warehouse of ``torrents`` benign synthetic torrents,
set-wise: names and file lists are generated in DuckDB SQL from word pools with
hash-based picks (deterministic), then every derived column is computed by the same
Arrow functions ingest uses (normalised and skeleton names and tokens, hidden marks,
release claim, extension chain, file kind, content profile) and the tables are
inserted straight into the warehouse schema (``warehouse.db.connect``). Each torrent
has 1-10 files; a small share of them is built to trip each default rule and the
fuzzy list (misspelled and leetspeak titles), among honest releases and hard negatives.

The rules are the shipped packs (``rules/packs``) plus an extra pack written next to
the warehouse: one ``fuzzy_terms`` rule over a 1,000-term list of generated game-like
titles (``on: name``, ``form: both``, ``ratio`` >= 90).

In the same run it times:
  * flag  - ``torrentwatch.flag.flag`` (what `torrentwatch flag` runs) over the whole
            warehouse, each repeat on a fresh copy (no flags yet), all cores; and
            once more as a re-run over its own flags (the steady state);
  * naive - a loop over torrents in Python: fetch each torrent's row, files and
            sightings, evaluate every rule's condition tree per torrent, calling
            rapidfuzz per name/path n-gram (``process.extract`` over the term list).
            It runs on a random sample of ``--sample`` torrents; its rate there is
            extrapolated linearly to the whole warehouse.
The (infohash, rule_id) pairs of both must be EQUAL on the sample (and the flag
runs equal to each other); the script exits 1 if not. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process

from parsers.columnar import with_content_claims
from parsers.extensions import ext_chain_array, kind_array
from parsers.normalize import (
    name_marks_array,
    normalize_array,
    normalize_text,
    skeleton_array,
    skeleton_token,
    tokens_array,
)
from parsers.profile import profile_table
from parsers.release import parse_release_array
from rules import model as m
from rules import predicates as p
from rules.fuzzy import SCORERS
from rules.ruleset import load_packs
from rules.text_predicates import FuzzyTerms, Regex
from torrentwatch.flag import flag
from warehouse.db import connect

# --- word pools (benign, made up) ---------------------------------------------------

ADJ = [
    "amber",
    "ancient",
    "autumn",
    "blue",
    "bright",
    "broken",
    "calm",
    "cold",
    "crimson",
    "crystal",
    "dark",
    "deep",
    "distant",
    "early",
    "electric",
    "empty",
    "endless",
    "fading",
    "falling",
    "final",
    "first",
    "frozen",
    "gentle",
    "golden",
    "green",
    "grey",
    "hidden",
    "hollow",
    "iron",
    "last",
    "little",
    "lonely",
    "lost",
    "lucky",
    "midnight",
    "misty",
    "northern",
    "old",
    "pale",
    "quiet",
    "rapid",
    "red",
    "restless",
    "rising",
    "rusty",
    "sacred",
    "salt",
    "secret",
    "silent",
    "silver",
    "small",
    "soft",
    "solar",
    "southern",
    "still",
    "strange",
    "summer",
    "swift",
    "tall",
    "tender",
    "thin",
    "twin",
    "velvet",
    "wandering",
    "warm",
    "white",
    "wild",
    "winter",
    "wooden",
    "young",
]
NOUN = [
    "anchor",
    "apple",
    "arrow",
    "bay",
    "bell",
    "bird",
    "bridge",
    "brook",
    "canyon",
    "castle",
    "cedar",
    "city",
    "cliff",
    "cloud",
    "coast",
    "comet",
    "compass",
    "crown",
    "dawn",
    "desert",
    "dream",
    "echo",
    "ember",
    "field",
    "fire",
    "forest",
    "fox",
    "garden",
    "gate",
    "glacier",
    "harbor",
    "hill",
    "horizon",
    "island",
    "journey",
    "lake",
    "lantern",
    "light",
    "lighthouse",
    "meadow",
    "mirror",
    "moon",
    "mountain",
    "ocean",
    "orchard",
    "owl",
    "path",
    "pine",
    "planet",
    "prairie",
    "rain",
    "raven",
    "reef",
    "river",
    "road",
    "robot",
    "rose",
    "sail",
    "shadow",
    "shore",
    "sky",
    "snow",
    "song",
    "spark",
    "star",
    "station",
    "stone",
    "storm",
    "stream",
    "sun",
    "tide",
    "tower",
    "train",
    "valley",
    "voyage",
    "wave",
    "willow",
    "wind",
    "window",
    "wolf",
]
# Fuzzy-list title words: their own pools, so honest names rarely come near a title.
TITLE_A = [
    "Aether",
    "Blaze",
    "Chrono",
    "Cinder",
    "Cobalt",
    "Dragon",
    "Dusk",
    "Eclipse",
    "Falcon",
    "Frost",
    "Galaxy",
    "Glyph",
    "Granite",
    "Hex",
    "Hyper",
    "Inferno",
    "Jade",
    "Karma",
    "Kraken",
    "Lunar",
    "Mecha",
    "Neon",
    "Nova",
    "Obsidian",
    "Omega",
    "Onyx",
    "Phantom",
    "Pixel",
    "Quantum",
    "Quasar",
    "Rogue",
    "Rune",
    "Saber",
    "Sonic",
    "Specter",
    "Storm",
    "Tempest",
    "Titan",
    "Turbo",
    "Vortex",
]
TITLE_B = [
    "Arena",
    "Assault",
    "Blitz",
    "Brawl",
    "Chronicles",
    "Circuit",
    "Clash",
    "Conquest",
    "Crusade",
    "Drift",
    "Dungeon",
    "Empire",
    "Frontier",
    "Fury",
    "Gauntlet",
    "Heroes",
    "Horizon",
    "Knights",
    "Legacy",
    "Legends",
    "Nexus",
    "Odyssey",
    "Outlaws",
    "Protocol",
    "Quest",
    "Racer",
    "Raiders",
    "Rebellion",
    "Reckoning",
    "Rivals",
    "Saga",
    "Siege",
    "Squadron",
    "Strike",
    "Tactics",
    "Uprising",
    "Vanguard",
    "Warriors",
]
TITLE_C = ["Deluxe", "Origins", "Remastered", "Reloaded", "Returns", "Rising", "Unleashed", "Zero"]
GROUPS = [
    "SYNTH",
    "DEMO",
    "FAKEGRP",
    "BENIGN",
    "TESTREL",
    "NULLGRP",
    "MOCKUP",
    "SAMPLE",
    "PLACEHLD",
    "DUMMY",
    "EXAMPLE",
    "NOTREAL",
    "STUBGRP",
    "INERT",
]
PLATFORMS = ["PS2", "PS3", "PS4", "PSP", "NSW", "Wii", "XBOX360", "NDS"]
RES = ["720p", "1080p", "2160p"]
SRC = ["BluRay", "WEB-DL", "WEBRip", "HDTV"]
CODEC = ["x264", "x265", "H264"]
DISTROS = ["debian", "ubuntu", "fedora", "mint", "arch", "alpine", "rocky", "opensuse"]

# Per 10,000 torrents: honest kinds, hard negatives, then each kind built to flag.
SHAPES = [
    ("film", 2750),
    ("tv", 2000),
    ("game_pc", 1000),
    ("console", 950),  # a disc image; one in five with a trailer .mkv beside it
    ("music", 1000),
    ("software", 800),
    ("photos", 400),
    ("linux", 300),
    ("ebook", 200),
    ("gameplay", 100),  # hard negative: video about a console game, says so
    ("soundtrack", 80),  # hard negative: OST named after a console game
    ("pw_guide", 100),  # hard negative: "password reset guide" without an archive
    ("t_console_media", 30),
    ("t_exec_video", 30),
    ("t_double_ext", 30),
    ("t_bidi", 20),
    ("t_lure", 30),
    ("t_small", 30),
    ("t_fuzzy", 150),
]
assert sum(share for _, share in SHAPES) == 10_000

# Observations: what a feed would have called each shape.
SOURCE_CATEGORY = {
    "film": "Movies > HD",
    "tv": "TV > Episodes",
    "game_pc": "Games > PC",
    "console": "Games > Console",
    "music": "Audio > Lossless",
    "software": "Applications",
    "photos": "Other > Pictures",
    "linux": "Applications > Linux",
    "ebook": "Books",
}


def fuzzy_titles(count: int = 1000) -> list[str]:
    """``count`` distinct game-like titles: two words, or three for a quarter."""
    titles = [f"{a} {b}" for a in TITLE_A for b in TITLE_B]
    three = [f"{a} {b} {c}" for a in TITLE_A for b in TITLE_B[::5] for c in TITLE_C]
    chosen = titles[: count - count // 4] + three[: count // 4]
    assert len(set(chosen)) == count
    return chosen


# --- generating the warehouse set-wise ----------------------------------------------


def _sql_list(words: list[str]) -> str:
    return "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def _macros(con, titles: list[str]) -> None:
    pools = {
        "adj": ADJ,
        "noun": NOUN,
        "grp": GROUPS,
        "plat": PLATFORMS,
        "res": RES,
        "src": SRC,
        "codec": CODEC,
        "distro": DISTROS,
        "titles": titles,
    }
    con.execute("CREATE OR REPLACE MACRO h(i, s) AS hash(i, s)")
    con.execute("CREATE OR REPLACE MACRO pick(l, i, s) AS l[1 + (h(i, s) % len(l))::BIGINT]")
    con.execute(
        "CREATE OR REPLACE MACRO num(i, s, lo, hi) AS lo + (h(i, s) % (hi - lo + 1))::BIGINT"
    )
    con.execute("CREATE OR REPLACE MACRO cap(w) AS upper(w[1]) || w[2:]")
    for name, words in pools.items():
        con.execute(f"CREATE OR REPLACE MACRO {name}_pool() AS {_sql_list(words)}")
    bounds, low = [], 0
    for name, share in SHAPES:
        bounds.append(f"('{name}', {low}, {low + share})")
        low += share
    con.execute(
        "CREATE OR REPLACE TABLE shapes AS SELECT * FROM"
        f" (VALUES {', '.join(bounds)}) v(name, lo, hi)"
    )


# A title and the release tags each shape's name carries; misspelled and leetspeak
# fuzzy titles through a deterministic choice of variant.
SEEDS_SQL = """
CREATE OR REPLACE TEMP TABLE seeds AS
SELECT i, s.name AS shape,
    cap(pick(adj_pool(), i, 'a')) || '.' || cap(pick(noun_pool(), i, 'n'))
        || CASE WHEN h(i, 'n2') % 3 = 0 THEN '.' || cap(pick(noun_pool(), i, 'n3')) ELSE '' END
        AS title,
    pick(grp_pool(), i, 'g') AS grp,
    CASE WHEN h(i, 'crc') % 4 = 0 THEN '.[' || upper(printf('%08x', h(i, 'x') % 4294967296))
        || ']' ELSE '' END AS crc,
    num(i, 'y', 1985, 2025) AS year,
    num(i, 'nf', 1, 10) AS nfiles,
    pick(titles_pool(), i, 't') AS fuzzy_title,
    h(i, 'v') % 3 AS variant
FROM range($start, $stop) r(i)
JOIN shapes s ON h(i, 'shape') % 10000 >= s.lo AND h(i, 'shape') % 10000 < s.hi
"""

# A fuzzy title as an uploader might disguise it: one letter dropped, leetspeak, or as is.
FUZZY_NAME = """CASE variant
    WHEN 0 THEN replace(fuzzy_title, ' ', '.')
    WHEN 1 THEN replace(translate(fuzzy_title, 'aeoAEO', '430430'), ' ', '.')
    ELSE replace(fuzzy_title[1:3] || fuzzy_title[5:], ' ', '.') END"""

NAMES_SQL = f"""
CREATE OR REPLACE TEMP TABLE gen_torrents AS
SELECT i, shape, nfiles, title,
    sha1('bench-' || i) AS infohash,
    CASE
    WHEN shape IN ('film', 't_exec_video', 't_double_ext') THEN title || '.' || year || '.'
        || pick(res_pool(), i, 'r') || '.' || pick(src_pool(), i, 's') || '.'
        || pick(codec_pool(), i, 'c') || '-' || grp || crc
    WHEN shape = 'tv' THEN title || '.S' || printf('%02d', num(i, 'se', 1, 12)) || 'E'
        || printf('%02d', num(i, 'ep', 1, 24)) || '.' || pick(res_pool(), i, 'r')
        || '.WEB.' || pick(codec_pool(), i, 'c') || '-' || grp || crc
    WHEN shape = 'game_pc' THEN title || '.v' || num(i, 'v1', 1, 9) || '.' || num(i, 'v2', 0, 9)
        || '.' || num(i, 'v3', 0, 99) || '-' || grp
    WHEN shape IN ('console', 't_console_media', 't_small', 't_lure') THEN title || '.'
        || pick(plat_pool(), i, 'p') || '.' || pick(['PAL', 'NTSC', 'USA', 'EUR'], i, 'rg')
        || '-' || grp
    WHEN shape = 'gameplay' THEN title || '.' || pick(plat_pool(), i, 'p')
        || '.Gameplay.Walkthrough.' || pick(res_pool(), i, 'r') || '-' || grp
    WHEN shape = 'soundtrack' THEN title || '.' || pick(plat_pool(), i, 'p')
        || '.Original.Soundtrack.OST.' || pick(['MP3', 'FLAC'], i, 'fm') || '-' || grp
    WHEN shape = 'music' THEN cap(pick(noun_pool(), i, 'ar')) || '.'
        || cap(pick(noun_pool(), i, 'ar2'))
        || '-' || title || '-' || year || '-' || pick(['MP3', 'FLAC'], i, 'fm') || '-' || grp
    WHEN shape = 'software' THEN cap(pick(noun_pool(), i, 'sw')) || '.Studio.v'
        || num(i, 'v1', 1, 20)
        || '.' || num(i, 'v2', 0, 9) || '.x64-' || grp
    WHEN shape = 'photos' THEN cap(pick(adj_pool(), i, 'a')) || '.'
        || cap(pick(noun_pool(), i, 'n'))
        || '.Photos.' || year
    WHEN shape = 'linux' THEN pick(distro_pool(), i, 'd') || '-' || num(i, 'v1', 8, 40) || '.'
        || num(i, 'v2', 0, 12) || '-amd64-' || pick(['netinst', 'desktop', 'server'], i, 'ed')
    WHEN shape = 'ebook' THEN title || '.' || year || '.EPUB-' || grp
    WHEN shape = 'pw_guide' THEN title || '.Account.Guide.' || year || '-' || grp
    WHEN shape = 't_bidi' THEN title || '.' || year || '.' || chr(8238) || 'ivm.exe'
    WHEN shape = 't_fuzzy' THEN {FUZZY_NAME} || '.'
        || pick(['PC', 'GOG', 'REPACK', 'v1.0'], i, 'fz')
        || '-' || grp
    END AS name
FROM seeds
"""

# (file name, size) per shape and file index j (0-based); sizes in bytes.
FILES_SQL = """
CREATE OR REPLACE TEMP TABLE gen_files AS
WITH slots AS (
    SELECT g.*, j FROM gen_torrents g,
    LATERAL (SELECT unnest(range(CASE WHEN shape IN ('linux', 't_bidi') THEN 1
        WHEN shape IN ('t_lure', 't_exec_video') THEN greatest(nfiles, 2)
        ELSE nfiles END)) AS j)
)
SELECT infohash, j AS file_index, shape,
    CASE
    WHEN shape = 'film' THEN CASE j WHEN 0 THEN lower(title) || '.mkv' WHEN 1
        THEN lower(title) || '.srt'
        WHEN 2 THEN 'sample.mkv' WHEN 3 THEN 'poster.jpg' ELSE 'extras/featurette' || j
            || '.mkv' END
    WHEN shape = 't_exec_video' THEN CASE j WHEN 0 THEN lower(title) || '.mkv'
        WHEN 1 THEN pick(['Codec.Setup.exe', 'Play.lnk', 'Watch.Now.url'], i, 'ev')
        ELSE 'extras/clip' || j || '.mkv' END
    WHEN shape = 't_double_ext' THEN CASE j WHEN 0 THEN lower(title)
        || pick(['.avi.exe', '.mp4.scr', '.mkv.lnk'], i, 'de')
        ELSE 'extras/clip' || j || '.mkv' END
    WHEN shape = 'tv' THEN 'episode.' || printf('%02d', j + 1) || '.mkv'
    WHEN shape = 'game_pc' THEN CASE j WHEN 0 THEN 'setup.exe' WHEN 1 THEN 'readme.txt'
        ELSE 'data' || j || '.bin' END
    WHEN shape = 'console' THEN CASE j WHEN 0 THEN lower(title)
        || pick(['.iso', '.pkg', '.nsp'], i, 'ci')
        WHEN 1 THEN CASE WHEN h(i, 'tr') % 5 = 0 THEN 'trailer.mkv' ELSE 'readme.nfo' END
        ELSE 'dlc/update' || j || '.pkg' END
    WHEN shape = 't_small' THEN CASE j WHEN 0 THEN lower(title) || '.iso' ELSE 'note' || j
        || '.txt' END
    WHEN shape = 't_console_media' THEN 'clip' || printf('%02d', j + 1)
        || pick(['.avi', '.mp4', '.jpg'], i, 'cm')
    WHEN shape = 't_lure' THEN CASE j WHEN 0 THEN 'game.rar'
        WHEN 1 THEN pick(['Password.txt', 'Get Password Here.url', 'pwd.html'], i, 'pw')
        ELSE 'part' || j || '.r' || printf('%02d', j) END
    WHEN shape = 'gameplay' THEN 'part' || (j + 1) || '.mkv'
    WHEN shape = 'soundtrack' THEN printf('%02d', j + 1) || ' - ' || lower(title) || ' theme.mp3'
    WHEN shape = 'music' THEN printf('%02d', j + 1) || ' - '
        || cap(pick(noun_pool(), i * 16 + j, 'tk')) || '.flac'
    WHEN shape = 'software' THEN CASE j WHEN 0 THEN 'setup.exe' WHEN 1 THEN 'readme.txt'
        WHEN 2 THEN 'license.txt' ELSE 'lib/module' || j || '.dll' END
    WHEN shape = 'photos' THEN 'IMG_' || printf('%04d', num(i, 'im', 1, 9000) + j) || '.jpg'
    WHEN shape = 'linux' THEN name || '.iso'
    WHEN shape = 'ebook' THEN lower(title) || (['.epub', '.pdf', '.mobi', '.jpg'])[1 + j % 4]
    WHEN shape = 'pw_guide'
        THEN (['password-reset-guide.pdf', 'account.txt', 'faq.html'])[1 + j % 3]
    WHEN shape = 't_bidi' THEN 'payload.bin'
    WHEN shape = 't_fuzzy' THEN CASE j WHEN 0 THEN 'setup.exe' ELSE 'data' || j || '.bin' END
    END AS file_name,
    CASE
    WHEN shape IN ('t_small') THEN num(i * 16 + j, 'sz', 100000, 2000000)
    WHEN shape IN ('film', 't_exec_video', 'gameplay') AND j = 0
        THEN num(i, 'sz', 700000000, 8000000000)
    WHEN shape = 't_exec_video' AND j = 1 THEN num(i, 'sz2', 1000, 3000000)
    WHEN shape IN ('console', 'linux') AND j = 0 THEN num(i, 'sz', 300000000, 9000000000)
    WHEN shape IN ('tv', 't_console_media', 't_double_ext')
        THEN num(i * 16 + j, 'sz', 100000000, 1500000000)
    WHEN shape IN ('photos', 'music', 'soundtrack') THEN num(i * 16 + j, 'sz', 2000000, 40000000)
    ELSE num(i * 16 + j, 'sz', 1000, 400000000)
    END AS size,
    name, nfiles
FROM slots
"""


def _generate_chunk(gen, start: int, stop: int) -> tuple[pa.Table, pa.Table]:
    gen.execute(SEEDS_SQL, {"start": start, "stop": stop})
    gen.execute(NAMES_SQL)
    gen.execute(FILES_SQL)
    torrents = gen.execute(
        "SELECT infohash, name, shape FROM gen_torrents ORDER BY i"
    ).to_arrow_table()
    files = gen.execute(
        "SELECT f.infohash, f.file_index, CASE WHEN t.shape = 'linux' THEN f.file_name"
        " ELSE t.name || '/' || f.file_name END AS path, f.size"
        " FROM gen_files f JOIN gen_torrents t USING (infohash) ORDER BY t.i, f.file_index"
    ).to_arrow_table()
    return torrents, files


def _files_columns(files: pa.Table) -> pa.Table:
    """The ``files`` columns ingest derives, by the same Arrow functions."""
    paths = files.column("path").combine_chunks()
    exts = ext_chain_array(paths)
    marks = name_marks_array(paths)
    n = len(paths)
    false = pa.repeat(pa.scalar(False), n)
    return pa.table(
        {
            "infohash": files.column("infohash"),
            "file_index": files.column("file_index").cast(pa.int32()),
            "path": paths,
            "path_norm": normalize_array(paths),
            "exts": exts,
            "kind": kind_array(exts),
            "size": files.column("size").cast(pa.int64()),
            "is_pad": false,
            "is_symlink": false,
            "has_bidi": marks.field("has_bidi"),
            "has_zero_width": marks.field("has_zero_width"),
            "has_trailing_dot_space": marks.field("has_trailing_dot_space"),
            "has_control": marks.field("has_control"),
        }
    )


def _torrents_columns(torrents: pa.Table, files: pa.Table) -> pa.Table:
    names = torrents.column("name").combine_chunks()
    norm = normalize_array(names)
    skeleton = skeleton_array(names)
    marks = name_marks_array(names)
    claim = parse_release_array(names)
    base = pa.table(
        {
            "infohash": torrents.column("infohash"),
            "name": names,
            "name_norm": norm,
            "name_skeleton": skeleton,
            "name_tokens": tokens_array(norm),
            "skeleton_tokens": tokens_array(skeleton),
            "name_has_bidi": marks.field("has_bidi"),
            "name_has_zero_width": marks.field("has_zero_width"),
            "name_has_trailing_dot_space": marks.field("has_trailing_dot_space"),
            "name_has_control": marks.field("has_control"),
            "claimed_platform": claim.field("platform"),
            "claimed_category": claim.field("category"),
            "release_tags": claim.field("tags"),
            "video_about_game": claim.field("video_about_game"),
            "claimed_nature": claim.field("nature"),
        }
    )
    profile = profile_table(files.select(["infohash", "kind", "size", "is_pad"]))
    rows = pc.index_in(base.column("infohash"), value_set=profile.column("infohash"))
    picked = profile.drop_columns(["infohash"]).take(rows)
    for name in picked.column_names:
        base = base.append_column(name, picked.column(name))
    # untagged video claims film or series, as ingest does (total_size joins in later)
    totals = files.group_by("infohash").aggregate([("size", "sum")])
    at = pc.index_in(base.column("infohash"), value_set=totals.column("infohash"))
    claimed = with_content_claims(
        base.append_column("total_size", totals.column("size_sum").take(at))
    )
    return claimed.drop_columns(["total_size"])


LOAD_SQL = """
INSERT INTO torrents BY NAME
SELECT t.*, t.infohash AS infohash_v1, true AS has_metadata, s.total_size,
    $now AS first_seen, $now AS last_seen, 'bench' AS first_run_id, 'bench' AS last_run_id
FROM chunk_torrents t JOIN (SELECT infohash, sum(size) AS total_size FROM chunk_files
    GROUP BY infohash) s USING (infohash);
INSERT INTO files BY NAME
SELECT *, coalesce(exts[-1], '') AS ext FROM chunk_files;
"""


def build_warehouse(db: Path, count: int, chunk: int = 100_000) -> None:
    """Write ``count`` synthetic torrents into a new warehouse at ``db``."""
    gen = duckdb.connect(":memory:")
    gen.execute("SET enable_progress_bar = false")
    _macros(gen, fuzzy_titles())
    con = connect(db, create=True)
    now = time.time()
    try:
        for start in range(0, count, chunk):
            stop = min(count, start + chunk)
            torrents, raw_files = _generate_chunk(gen, start, stop)
            files = _files_columns(raw_files)
            table = _torrents_columns(torrents.drop_columns(["shape"]), files)
            shape = torrents.select(["infohash", "shape"])
            con.register("chunk_torrents", table)
            con.register("chunk_files", files)
            con.register("chunk_shapes", shape)
            con.execute("BEGIN TRANSACTION")
            for statement in LOAD_SQL.split(";"):
                if statement.strip():
                    con.execute(statement, {"now": _utc(now)} if "$now" in statement else {})
            con.execute(
                "INSERT INTO observations (infohash, source, source_ref, seen_at, category)"
                " SELECT infohash, 'bench-feed', 'bench:' || infohash, $now,"
                " CASE shape "
                + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SOURCE_CATEGORY.items())
                + " END FROM chunk_shapes",
                {"now": _utc(now)},
            )
            con.execute("COMMIT")
            for name in ("chunk_torrents", "chunk_files", "chunk_shapes"):
                con.unregister(name)
            print(f"  generated {stop:,} torrents", file=sys.stderr, flush=True)
        con.execute("CHECKPOINT")
    finally:
        con.close()
        gen.close()


def _utc(ts: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC)


EXTRA_PACK = """\
# Benchmark pack: one fuzzy rule over a 1,000-term list of made-up game titles.
rules:
  - id: bench.watch-titles
    version: 1
    title: Name close to a watched (made-up) game title
    description: Benign benchmark rule; the titles are generated.
    level: medium
    when:
      fuzzy_terms: {terms: bench-titles.txt, on: name, form: both, scorer: ratio, threshold: 90}
    tests:
      flag:
        - {name: "Cobalt.Drfit.PC-SYNTH", files: [["setup.exe", 10MB]]}
        - {name: "C0b4lt.Dr1ft.PC-SYNTH", files: [["setup.exe", 10MB]]}
      pass:
        - {name: "Harbor.Lights.2019.1080p-SYNTH", files: [["movie.mkv", 1GB]]}
"""


def write_extra_pack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench-titles.txt").write_text("\n".join(fuzzy_titles()) + "\n", "utf-8")
    pack = folder / "bench-fuzzy.yaml"
    pack.write_text(EXTRA_PACK, "utf-8")
    return pack


# --- the naive baseline: one torrent at a time in Python ------------------------------


@dataclass(slots=True)
class Row:
    """One torrent as the naive loop sees it: its columns, files and sightings."""

    cols: dict
    files: list[dict] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def _and(values):
    """SQL AND over three-valued logic (None = NULL)."""
    out = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _or(values):
    out = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


def _bounds(value, low, high):
    if value is None:
        return None
    return (low is None or value >= low) and (high is None or value <= high)


def _token_match(tokens, words) -> bool | None:
    if tokens is None:
        return None
    for word in words:
        if "*" in word:
            import fnmatch

            if any(fnmatch.fnmatchcase(tok, word) for tok in tokens):
                return True
        elif word in tokens:
            return True
    return False


class Naive:
    """Evaluates a rule's condition for one torrent, predicate by predicate, calling
    rapidfuzz once per n-gram of the name and of each path (``process.extract``)."""

    def __init__(self, known: set[tuple[str, str]]):
        self.known = known  # (infohash, list, kind) on the latest lists: for known_list
        self.fuzzy_cache: dict = {}
        self.regex_cache: dict = {}

    def holds(self, cond, row: Row):
        if isinstance(cond, m.All):
            return _and(self.holds(c, row) for c in cond.items)
        if isinstance(cond, m.AnyOf):
            return _or(self.holds(c, row) for c in cond.items)
        if isinstance(cond, m.Not):
            inner = self.holds(cond.item, row)
            return not bool(inner)
        return self.predicate(cond, row)

    def predicate(self, pred, row: Row):
        t = row.cols
        if isinstance(pred, p._Claimed):
            value = t[pred.column]
            return None if value is None else value in pred.values
        if isinstance(pred, p.VideoAboutGame):
            return bool(t["video_about_game"] or False) == pred.value
        if isinstance(pred, p._KindBounds):
            total = sum(t[f"{pred.prefix}{k}"] or 0 for k in pred.kinds)
            return _bounds(total, pred.at_least, pred.at_most)
        if isinstance(pred, p._TorrentBounds):
            return _bounds(t[pred.column], pred.at_least, pred.at_most)
        if isinstance(pred, p.NoFile):
            return not any(self._has_file(pred, f) for f in row.files)
        if isinstance(pred, p.HasFile):
            return any(self._has_file(pred, f) for f in row.files)
        if isinstance(pred, p.FileMarks):
            return any(all(bool(f["has_" + k]) == w for k, w in pred.marks) for f in row.files)
        if isinstance(pred, p.NameMarks):
            return all(bool(t["name_has_" + k]) == w for k, w in pred.marks)
        if isinstance(pred, p.DoubleExtension):
            shown = p.exts_of_kinds(pred.shown) if pred.shown else None
            return any(
                len(f["exts"]) >= 2
                and f["ext"] in pred.final
                and (shown is None or f["exts"][-2] in shown)
                for f in row.files
            )
        if isinstance(pred, p.HiddenZeroWidth):
            return self._hidden_zero_width(pred, row)
        if isinstance(pred, p.KnownList):
            kinds = p._MATCH[pred.match]
            return any(
                h == t["infohash"] and k in kinds and pred.list in (p.ANY_LIST, name)
                for h, name, k in self.known
            )
        if isinstance(pred, p.WholeToken):
            return _token_match(t["name_tokens"], pred.words)
        if isinstance(pred, p.SourceCategory):
            for category in row.categories:
                folded = normalize_text(category)  # close enough for ASCII categories
                toks = [x for x in re.split(r"[^a-z0-9]+", folded) if x]
                if _token_match(toks, pred.words):
                    return True
            return False
        if isinstance(pred, FuzzyTerms):
            return self._fuzzy(pred, row)
        if isinstance(pred, Regex):
            return self._regex(pred, row)
        raise NotImplementedError(f"naive baseline has no {pred.keyword}")

    def _hidden_zero_width(self, pred, row: Row) -> bool:
        """Python's ``re`` with the same classes as the RE2 pattern, on the text the
        torrent gives (its raw bytes where stored) of marked names and paths."""
        side = r"[\x20-\x7e\u00c0-\u024f]"  # ASCII and Latin letters (close enough)
        hidden = re.compile(side + "[\u200b-\u200d\u2060\ufeff]+" + side)

        def text(value: str, raw: bytes | None) -> str:
            try:  # as SQL's try(decode(...)): bytes that are not UTF-8 fall back
                return value if raw is None else raw.decode("utf-8")
            except UnicodeDecodeError:
                return value

        t = row.cols
        named = pred.on in ("name", "any") and t["name_has_zero_width"]
        if named and hidden.search(text(t["name"], t["name_raw"])):
            return True
        if pred.on == "name":
            return False
        return any(
            f["has_zero_width"]
            and (not pred.final or f["ext"] in pred.final)
            and hidden.search(text(f["path"], f["path_raw"]))
            for f in row.files
        )

    def _regex(self, pred, row: Row) -> bool | None:
        """Python's ``re`` stands in for RE2: the same answer for the patterns the
        packs use (no construct where the two differ)."""
        key = (pred.pattern, pred.case_sensitive)
        if key not in self.regex_cache:
            flags = 0 if pred.case_sensitive else re.IGNORECASE
            self.regex_cache[key] = re.compile(pred.pattern, flags)
        rx = self.regex_cache[key]
        name_col, path_col = ("name", "path") if pred.form == "raw" else ("name_norm", "path_norm")
        name = None
        if pred.on in ("name", "any"):
            text = row.cols[name_col]
            name = None if text is None else rx.search(text) is not None
            if pred.on == "name":
                return name
        paths = any(f[path_col] is not None and rx.search(f[path_col]) for f in row.files)
        return paths if pred.on == "paths" else _or([name, paths])

    @staticmethod
    def _has_file(pred, f) -> bool:
        if pred.kind and f["kind"] not in pred.kind:
            return False
        if pred.ext and f["ext"] not in pred.ext:
            return False
        if pred.name_token:
            if f["path_norm"] is None:
                return False
            return bool(_token_match(f["path_norm"].split(" "), pred.name_token))
        return True

    def _terms(self, pred, form):
        key = (pred.key, form)
        if key not in self.fuzzy_cache:
            by_n: dict[int, list[str]] = {}
            for _, folded in pred.folded_terms(form):
                by_n.setdefault(len(folded.split(" ")), []).append(folded)
            self.fuzzy_cache[key] = by_n
        return self.fuzzy_cache[key]

    def _fuzzy(self, pred, row: Row) -> bool:
        scorer = SCORERS[pred.scorer]
        texts: list[tuple[str, list[str]]] = []  # (form, tokens)
        if pred.on in ("name", "any"):
            for form in pred.forms():
                column = "name_tokens" if form == "norm" else "skeleton_tokens"
                if row.cols[column] is not None:
                    texts.append((form, row.cols[column]))
        if pred.on in ("paths", "any"):
            for f in row.files:
                toks = [x for x in (f["path_norm"] or "").split(" ") if x]
                for form in pred.forms():
                    if form == "skeleton":
                        texts.append((form, [skeleton_token(x) for x in toks]))
                    else:
                        texts.append((form, toks))
        for form, toks in texts:
            for n, terms in self._terms(pred, form).items():
                for i in range(len(toks) - n + 1):
                    gram = " ".join(toks[i : i + n])
                    found = process.extract(
                        gram, terms, scorer=scorer, score_cutoff=pred.threshold, limit=1
                    )
                    if found:
                        return True
        return False


NAIVE_TORRENTS = "SELECT * FROM torrents WHERE infohash IN (SELECT infohash FROM sample)"
NAIVE_FILES = (
    "SELECT infohash, path, path_raw, path_norm, ext, exts, kind, has_bidi, has_zero_width,"
    " has_trailing_dot_space, has_control FROM files"
    " WHERE NOT is_pad AND infohash IN (SELECT infohash FROM sample)"
)
NAIVE_OBS = (
    "SELECT infohash, category FROM observations"
    " WHERE category IS NOT NULL AND infohash IN (SELECT infohash FROM sample)"
)


def naive_flags(db: Path, rules, sample: list[str]) -> set[tuple[str, str]]:
    """Fetch the sample's rows and loop: every rule for every torrent, in Python."""
    con = connect(db, read_only=True)
    try:
        con.execute("CREATE TEMP TABLE sample (infohash VARCHAR)")
        con.executemany("INSERT INTO sample VALUES (?)", [(h,) for h in sample])
        cur = con.execute(NAIVE_TORRENTS)
        names = [d[0] for d in cur.description]
        rows = {r[0]: Row(dict(zip(names, r, strict=True))) for r in cur.fetchall()}
        cur = con.execute(NAIVE_FILES)
        names = [d[0] for d in cur.description]
        for r in cur.fetchall():
            rows[r[0]].files.append(dict(zip(names, r, strict=True)))
        for infohash, category in con.execute(NAIVE_OBS).fetchall():
            rows[infohash].categories.append(category)
        known = set(
            con.execute(
                "SELECT infohash, list_name, kind FROM torrent_hash_list_matches"
            ).fetchall()
        )
    finally:
        con.close()
    naive = Naive(known)
    out = set()
    for infohash, row in rows.items():
        for rule in rules:
            if naive.holds(rule.when, row):
                out.add((infohash, rule.id))
    return out


# --- timing ---------------------------------------------------------------------------


def _flag_pairs(db: Path, among: list[str] | None = None) -> set[tuple[str, str]]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT infohash, rule_id FROM flags WHERE active").fetchall()
    finally:
        con.close()
    pairs = set(rows)
    if among is not None:
        keep = set(among)
        pairs = {x for x in pairs if x[0] in keep}
    return pairs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20_000, help="torrents the naive loop runs on")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None, help="warehouse to build or reuse")
    ap.add_argument("--seed", type=int, default=7, help="sample choice")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="flag_bench_"))
    db = args.db or (work / f"bench_{args.torrents}.duckdb")
    if not db.exists():
        t0 = time.perf_counter()
        build_warehouse(db, args.torrents)
        print(f"built {db} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    pack = write_extra_pack(db.parent / "bench-pack")
    rules = list(load_packs([pack]).rules.values())

    con = connect(db, read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM torrents").fetchone()
        (nf,) = con.execute("SELECT count(*) FROM files").fetchone()
        sample = [
            h
            for (h,) in con.execute(
                f"SELECT infohash FROM torrents USING SAMPLE reservoir({args.sample} ROWS)"
                f" REPEATABLE ({args.seed})"
            ).fetchall()
        ]
    finally:
        con.close()

    flag_times, flag_sets = [], []
    copy = work / "flag_copy.duckdb"
    for _ in range(args.repeat):
        shutil.copy(db, copy)
        t0 = time.perf_counter()
        summary = flag(copy, [pack])
        flag_times.append(time.perf_counter() - t0)
        flag_sets.append(_flag_pairs(copy))
        print(f"  flag: {flag_times[-1]:.2f} s, {summary.matched:,} flags", file=sys.stderr)
    t0 = time.perf_counter()
    again = flag(copy, [pack])
    rerun = time.perf_counter() - t0
    print(
        f"  flag re-run: {rerun:.2f} s (new {again.new}, changed {again.changed})", file=sys.stderr
    )

    naive_times, naive_sets = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        naive_sets.append(naive_flags(db, rules, sample))
        naive_times.append(time.perf_counter() - t0)
        print(f"  naive ({len(sample):,} torrents): {naive_times[-1]:.2f} s", file=sys.stderr)

    # Another session editing rules/packs mid-run would make the two sides differ.
    after = [(r.id, r.version, r.sql) for r in load_packs([pack]).rules.values()]
    if after != [(r.id, r.version, r.sql) for r in rules]:
        print("INCONCLUSIVE: the rule packs changed during the run", file=sys.stderr)
        return 2
    ok = all(s == flag_sets[0] for s in flag_sets) and all(s == naive_sets[0] for s in naive_sets)
    on_sample = _flag_pairs(copy, sample)
    equal = ok and on_sample == naive_sets[0]
    flag_med = statistics.median(flag_times)
    naive_med = statistics.median(naive_times)
    naive_full = naive_med * n / len(sample)
    report = {
        "torrents": n,
        "files": nf,
        "rules": len(rules),
        "fuzzy_terms": len(fuzzy_titles()),
        "flags": len(flag_sets[0]),
        "flags_by_rule": _by_rule(flag_sets[0]),
        "sample": len(sample),
        "sample_flags": len(on_sample),
        "flag_s_median": round(flag_med, 2),
        "flag_s_runs": [round(x, 2) for x in flag_times],
        "flag_rerun_s": round(rerun, 2),
        "flag_torrents_per_s": round(n / flag_med),
        "naive_sample_s_median": round(naive_med, 2),
        "naive_sample_s_runs": [round(x, 2) for x in naive_times],
        "naive_torrents_per_s": round(len(sample) / naive_med),
        "naive_extrapolated_s": round(naive_full, 1),
        "speedup": round(naive_full / flag_med, 1),
        "equal_on_sample": equal,
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(work, ignore_errors=True)  # the flag copies (and the db without --db)
    if not equal:
        only_flag = sorted(on_sample - naive_sets[0])[:10]
        only_naive = sorted(naive_sets[0] - on_sample)[:10]
        print(f"MISMATCH: flag only {only_flag}; naive only {only_naive}", file=sys.stderr)
        return 1
    return 0


def _by_rule(pairs: set[tuple[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, rule_id in pairs:
        out[rule_id] = out.get(rule_id, 0) + 1
    return dict(sorted(out.items()))


if __name__ == "__main__":
    sys.exit(main())
