"""A database in magneticod's own SQLite schema, for the import tests.

Names and paths are stored with ``CAST(? AS TEXT)``, so bytes that are not UTF-8 land
in TEXT columns exactly as magneticod leaves them (SQLite keeps the bytes), and text
lands as text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

SCHEMA = """
CREATE TABLE torrents (
    id INTEGER PRIMARY KEY, info_hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL,
    total_size INTEGER NOT NULL CHECK(total_size > 0),
    discovered_on INTEGER NOT NULL CHECK(discovered_on > 0));
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    torrent_id INTEGER REFERENCES torrents ON DELETE CASCADE ON UPDATE RESTRICT,
    size INTEGER NOT NULL, path TEXT NOT NULL);
"""

# (infohash hex, name, [(path, size), ...]); name and paths as str or raw bytes
Torrent = tuple[str, str | bytes, Sequence[tuple[str | bytes, int]]]


def write_magnetico_db(
    path: Path, torrents: Iterable[Torrent], *, discovered_on: int = 1_600_000_000
) -> Path:
    """``torrents`` in a new database at ``path``, filled as magneticod fills it."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    written = 0
    for infohash, name, files in torrents:
        written += 1
        cursor = db.execute(
            "INSERT INTO torrents (info_hash, name, total_size, discovered_on)"
            " VALUES (?, CAST(? AS TEXT), ?, ?)",
            (bytes.fromhex(infohash), name, sum(size for _, size in files), discovered_on),
        )
        db.executemany(
            "INSERT INTO files (torrent_id, size, path) VALUES (?, ?, CAST(? AS TEXT))",
            [(cursor.lastrowid, size, p) for p, size in files],
        )
    db.commit()
    if written:  # names stay TEXT, whatever bytes they hold
        assert db.execute("SELECT DISTINCT typeof(name) FROM torrents").fetchall() == [("text",)]
    db.close()
    return path


def records_db(path: Path, records: Iterable[dict], *, discovered_on: int) -> Path:
    """Export records (``{"infoHash", "name", "files": [{"size", "path"}]}``) as a
    database: the same torrents an export and a database hold."""
    torrents = [
        (r["infoHash"], r["name"], [(f["path"], f["size"]) for f in r["files"]]) for r in records
    ]
    return write_magnetico_db(path, torrents, discovered_on=discovered_on)
