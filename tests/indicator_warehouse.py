"""A warehouse of hand-counted events for the indicator tests (benign, synthetic).

Four ISO weeks of January 2026 (W1 from Mon 5th, W2 12th, W3 19th: no events at all,
W4 26th). Rows are written straight into the tables with known times, so every
expected figure in tests/test_indicators.py can be counted by hand from this file:

    A  Kart.Racer.PS2.PAL-GRP    console claim, 99% video (contradicted); first seen W1
       (feed-a); flagged 6 h later (high); confirmed 72 h after the flag (W1); exported
       to hotline-x in W1; seen again W2 (3 seeders) and W4 (0 seeders); on list
       partner v1 and v2.
    B  Kart.Racer.PS2.PAL-GRP2   console claim, a disc image; first seen W1 (inbox).
    C  Harbor.Lights.2019.1080p  film; first seen W2 (feed-a); flagged 24 h later
       (medium); escalated 2 h after the flag, exported (escalated) to hotline-x,
       then dismissed (W2): a flag later dismissed, and a retraction owed.
    D  Debian.12.netinst         software; first seen W4 (inbox); flagged 12 h later.
    E  Quiet.Meadow.Album        first seen before the window; seen W2; on partner v1.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from warehouse.db import connect

T = {k: k.lower() * 40 for k in "ABCDE"}  # infohashes: 'aaaa...', 'bbbb...'
NAMES = {
    "A": "Kart.Racer.PS2.PAL-GRP",
    "B": "Kart.Racer.PS2.PAL-GRP2",
    "C": "Harbor.Lights.2019.1080p",
    "D": "Debian.12.netinst",
    "E": "Quiet.Meadow.Album",
}
PATHS = {
    "A": "clip01.avi",
    "B": "kart.iso",
    "C": "Harbor.Lights.2019.1080p.mkv",
    "D": "debian-12-amd64-netinst.iso",
    "E": "track01.flac",
}
CONSOLE_RULE = "disguise.console-release-media-payload"
FILM_RULE = "mislabel.film-executable"


def at(day: int, hour: int = 0, month: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# key: (category, platform, video share, disc share, first seen, source of first sighting)
TORRENTS = {
    "A": ("game_console", "ps2", 0.99, 0.0, at(5, 10), "feed-a"),
    "B": ("game_console", "ps2", 0.0, 1.0, at(6, 9), "inbox"),
    "C": ("film", None, 1.0, 0.0, at(13, 13), "feed-a"),
    "D": ("software", None, 0.0, 1.0, at(27, 0), "inbox"),
    "E": ("music", None, 0.0, 0.0, at(20, 8, month=12, year=2025), "feed-a"),
}
# (torrent, source, seen_at, seeders)
SIGHTINGS = [
    ("A", "feed-a", at(5, 10), None),
    ("A", "inbox", at(6, 11), None),
    ("A", "scrape", at(14, 16), 3),
    ("A", "scrape", at(27, 16), 0),
    ("B", "inbox", at(6, 9), None),
    ("C", "feed-a", at(13, 13), None),
    ("C", "feed-a", at(14, 9), None),
    ("D", "inbox", at(27, 0), None),
    ("E", "feed-a", at(20, 8, month=12, year=2025), None),
    ("E", "feed-a", at(12, 7), None),
]
# (torrent, rule, level, first flagged)
FLAGS = [
    ("A", CONSOLE_RULE, "high", at(5, 16)),
    ("C", FILM_RULE, "medium", at(14, 13)),
    ("D", CONSOLE_RULE, "high", at(27, 12)),
]
# (seq, torrent, decision, decided_at)
REVIEWS = [
    (1, "A", "confirm", at(8, 16)),
    (2, "C", "escalate", at(14, 15)),
    (3, "C", "dismiss", at(15, 13)),
]
# (batch, target, recorded_at, torrents)
BATCHES = [
    ("b1" * 16, "hotline-x", at(9, 12), ["A"]),
    ("b2" * 16, "hotline-x", at(14, 16), ["C"]),
]
# (list, version, loaded_at, torrents)
LISTS = [
    ("partner", 1, at(1, 0), ["A", "E"]),
    ("partner", 2, at(20, 0), ["A"]),
]


def build(db: Path) -> Path:
    """Write the hand-counted warehouse at ``db`` and return it."""
    con = connect(db, create=True)
    try:
        _torrents(con)
        _events(con)
        _lists(con)
    finally:
        con.close()
    return db


def _torrents(con) -> None:
    for key, (category, platform, video, disc, first, _source) in TORRENTS.items():
        last = max(s[2] for s in SIGHTINGS if s[0] == key)
        con.execute(
            "INSERT INTO torrents (infohash, infohash_v1, has_metadata, name, name_norm, "
            "total_size, file_count, claimed_category, claimed_platform, share_bytes_video, "
            "share_bytes_disc_image, video_about_game, first_seen, last_seen) "
            "VALUES (?, ?, true, ?, lower(?), 1000, 1, ?, ?, ?, ?, false, ?, ?)",
            [T[key], T[key], NAMES[key], NAMES[key], category, platform, video, disc, first, last],
        )
        con.execute(
            "INSERT INTO files (infohash, file_index, path, ext, kind, size, is_pad, is_symlink) "
            "VALUES (?, 0, ?, '', 'other', 1000, false, false)",
            [T[key], PATHS[key]],
        )
    for key, source, seen, seeders in SIGHTINGS:
        con.execute(
            "INSERT INTO observations (infohash, source, source_ref, seen_at, title, seeders) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [T[key], source, f"/srv/landing/{NAMES[key]}.torrent", seen, NAMES[key], seeders],
        )


def _evidence(rule: str, key: str) -> str:
    return json.dumps({"rule_id": rule, "version": 1, "facts": [{"path": PATHS[key]}]})


def _events(con) -> None:
    rules = {}
    for key, rule, level, flagged in FLAGS:
        rules[key] = rule
        con.execute(
            "INSERT INTO flag_rows (infohash, rule_id, rule_version, level, score, evidence,"
            " first_flagged_at, last_evaluated_at, last_matched_at, active)"
            " VALUES (?, ?, 1, ?, 1.0, ?, ?, ?, ?, true)",
            [T[key], rule, level, _evidence(rule, key), flagged, flagged, flagged],
        )
    for seq, key, decision, decided in REVIEWS:
        evidence = json.dumps({rules[key]: json.loads(_evidence(rules[key], key))})
        con.execute(
            "INSERT INTO reviews VALUES (?, ?, ?, ?, 'other', NULL, 'analyst1', ?, ?)",
            [f"r{seq}", seq, T[key], decision, decided, evidence],
        )
    for batch, target, recorded, keys in BATCHES:
        con.execute(
            "INSERT INTO export_batches VALUES (?, ?, 'torrentwatch.export/1', ?, '{}', ?, NULL)",
            [batch, target, len(keys), recorded],
        )
        for position, key in enumerate(keys, start=1):
            con.execute(
                "INSERT INTO export_items VALUES (?, ?, ?, ?, 'r', 'sha', 'confirmed', '{}')",
                [batch, target, position, T[key]],
            )


def _lists(con) -> None:
    for name, version, loaded, keys in LISTS:
        con.execute(
            "INSERT INTO hash_lists (name, version, file_path, sha256, format, loaded_at, "
            "lines, entries, duplicates, rejected_lines) "
            "VALUES (?, ?, '/lists/partner.txt', 'x', 'text', ?, ?, ?, 0, 0)",
            [name, version, loaded, len(keys), len(keys)],
        )
        for line, key in enumerate(keys, start=1):
            con.execute(
                "INSERT INTO hash_list_entries VALUES (?, ?, 'infohash_v1', ?, NULL, ?)",
                [name, version, T[key], line],
            )
