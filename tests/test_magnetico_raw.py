"""magnetico data as magneticod really writes it (issue 11, items 19 and 20).

- magneticod stores a torrent's name and paths in TEXT columns as the bytes the
  torrent holds, UTF-8 or not: a GBK, Shift-JIS or Latin-1 name is kept, shown with
  U+FFFD for the undecodable bytes, its bytes in ``name_raw``/``path_raw``, and its
  extensions and kinds are still found.
- magneticod drops BEP 47 attributes but keeps pad entries as plain ``.pad/<size>``
  paths: they are padding (``is_pad``), not files (``file_count``, the profile).

The databases are built as magneticod fills them: its schema, and the raw bytes bound
as TEXT (``CAST(? AS TEXT)``, as Go's SQLite driver binds a string of any bytes).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

import parsers.magnetico as loading
from common.errors import WarehouseError
from tests.load_faults import fail_block_load
from tests.magnetico_db import write_magnetico_db
from torrentwatch.import_magnetico import MagneticoCounts, import_magnetico, load_magnetico
from warehouse.db import connect
from warehouse.runs import start_run

GBK_NAME = "游戏合集 2004".encode("gbk")  # a game collection, in GBK
SJIS_NAME = "ゲーム音楽集".encode("shift_jis")  # game music, in Shift-JIS
LATIN1_FILM = "Café.Film.1999.mkv".encode("latin-1")
# (infohash, name bytes, [(path bytes, size)])
TORRENTS: list[tuple[str, bytes, list[tuple[bytes, int]]]] = [
    ("a1" * 20, GBK_NAME, [("攻略".encode("gbk") + b".txt", 1200), (b"setup.exe", 5_000_000)]),
    ("b2" * 20, SJIS_NAME, [("曲".encode("shift_jis") + b"01.flac", 30_000_000)]),
    ("c3" * 20, LATIN1_FILM, [(LATIN1_FILM, 700_000_000)]),  # single file: path is the name
    ("d4" * 20, b"Codec.Pack", [(b"Codec.Setup\xe9.exe", 2_000_000), (b"readme.txt", 100)]),
    ("e5" * 20, b"Kart.Racer.PS2.PAL-GRP", [(b"kart.iso", 4_000_000)]),  # plain UTF-8
]


def _raw_line(infohash: str, name: bytes, files) -> bytes:
    """A JSON line holding the raw bytes in its strings (what SQLite's own json_object
    writes for such a database, e.g. an export made with the sqlite3 shell)."""
    entries = b",".join(b'{"size":%d,"path":"%s"}' % (size, p) for p, size in files)
    return b'{"infoHash":"%s","name":"%s","files":[%s]}' % (infohash.encode(), name, entries)


def _load(path: Path, db: Path, workers: int, monkeypatch) -> MagneticoCounts:
    """Load in blocks of two records, inline or in worker processes."""
    monkeypatch.setattr(loading, "sqlite_blocks", partial(loading.sqlite_blocks, block=2))
    con = connect(db, create=True)
    try:
        return load_magnetico(
            con,
            path,
            source="crawler",
            source_ref=str(path),
            seen_at=datetime.now(UTC),
            run_id=start_run(con, "test"),
            workers=workers,
            block_bytes=200,
        )
    finally:
        con.close()


def _shown(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _full(name: bytes, path: bytes, single: bool) -> bytes:
    return path if single else name + b"/" + path


def _assert_kept_with_raw_bytes(db: Path) -> None:
    con = connect(db, read_only=True)
    for infohash, name, files in TORRENTS:
        row = con.execute(
            "SELECT name, name_raw, file_count FROM torrents WHERE infohash = ?", [infohash]
        ).fetchone()
        assert row is not None, f"{_shown(name)} was lost"
        utf8 = _is_utf8(name)
        assert row == (_shown(name), None if utf8 else name, len(files))
        single = len(files) == 1 and files[0][0] == name
        stored = con.execute(
            "SELECT path, path_raw, size FROM files WHERE infohash = ? ORDER BY file_index",
            [infohash],
        ).fetchall()
        expected = []
        for path, size in files:
            full = _full(name, path, single)
            expected.append((_shown(full), None if _is_utf8(full) else full, size))
        assert stored == expected
    kinds = dict(
        con.execute("SELECT path_raw, kind FROM files WHERE path_raw IS NOT NULL").fetchall()
    )
    # a byte that is not UTF-8 hides no extension
    assert kinds[GBK_NAME + b"/" + "攻略".encode("gbk") + b".txt"] == "text"
    assert kinds[GBK_NAME + b"/setup.exe"] == "executable"
    assert kinds[LATIN1_FILM] == "video"
    assert kinds[b"Codec.Pack/Codec.Setup\xe9.exe"] == "executable"
    exts = con.execute("SELECT exts FROM files WHERE path LIKE 'Codec.Pack/Codec.Setup%'")
    assert exts.fetchone()[0] == ["exe"]
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    con.close()


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("workers", [1, 2])
def test_sqlite_names_that_are_not_utf8_are_kept_with_their_bytes(tmp_path, monkeypatch, workers):
    path = write_magnetico_db(tmp_path / "magneticod.sqlite3", TORRENTS)
    counts = _load(path, tmp_path / "w.duckdb", workers, monkeypatch)
    assert counts.rejected == {} and counts.torrents_new == len(TORRENTS)
    _assert_kept_with_raw_bytes(tmp_path / "w.duckdb")


@pytest.mark.parametrize("workers", [1, 2])
def test_jsonl_with_raw_bytes_in_its_strings_is_kept_too(tmp_path, monkeypatch, workers):
    lines = [_raw_line(*t) for t in TORRENTS]
    path = tmp_path / "shell-export.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    counts = _load(path, tmp_path / "w.duckdb", workers, monkeypatch)
    assert counts.rejected == {} and counts.torrents_new == len(TORRENTS)
    _assert_kept_with_raw_bytes(tmp_path / "w.duckdb")


def test_go_exporter_replacement_characters_load_as_text(tmp_path):
    """magneticod's own JSON export (Go's encoding/json) writes U+FFFD for bytes that
    are not UTF-8: the line is UTF-8 and loads as it is, with nothing raw to keep."""
    name = _shown(GBK_NAME)
    record = {"infoHash": "f6" * 20, "name": name, "files": [{"size": 5, "path": "a.iso"}]}
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert import_magnetico(path, tmp_path / "w.duckdb").rejected == {}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    assert con.execute("SELECT name, name_raw FROM torrents").fetchone() == (name, None)


def test_a_repaired_line_that_fails_a_check_is_rejected_with_the_hash_of_its_bytes(tmp_path):
    line = _raw_line("a7" * 20, GBK_NAME, [(b"../" + GBK_NAME, 5)])
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line + b"\n")
    counts = import_magnetico(path, tmp_path / "w.duckdb")
    assert counts.rejected == {"files.unsafe_path": 1}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    assert con.execute("SELECT sha256 FROM rejects").fetchone()[0] == (
        hashlib.sha256(line).hexdigest()
    )


def test_a_raw_name_that_reads_differently_is_not_kept_as_evidence(tmp_path):
    """A repeated key read differently by two JSON parsers: the raw bytes kept beside a
    name are always that name's own."""
    line = (
        b'{"infoHash":"' + b"b8" * 20 + b'","name":"Kart\xe9","name":"Puzzle\xe8",'
        b'"files":[{"size":5,"path":"k.iso"}]}'
    )
    path = tmp_path / "dup.jsonl"
    path.write_bytes(line + b"\n")
    assert import_magnetico(path, tmp_path / "w.duckdb").rejected == {}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    name, raw = con.execute("SELECT name, name_raw FROM torrents").fetchone()
    assert raw is None or _shown(raw) == name


# ------------------------------------------------------------------------ padding

PADDED = [
    (
        "c9" * 20,
        b"Space.Miner.2011.PC-SYNTH",
        [
            (b"space.miner.iso", 4_000_000),
            (b".pad/16384", 16384),
            (b"Extras/track01.ogg", 3_000_000),
            (b".pad/9000", 9000),
            (b"Extras/track02.ogg", 2_000_000),
        ],
    ),
    (
        "da" * 20,
        b"Holiday Photos Oslo 2019",
        [
            (b"day1/IMG_0001.jpg", 2_000_000),
            (b"_____padding_file_0_if you see this file, please update to BitComet 0.85____", 512),
            # named like padding, but its size is not the one its name declares: real
            (b".pad/100", 50),
            (b"day1/IMG_0002.jpg", 2_500_000),
        ],
    ),
]


@pytest.mark.parametrize(("variant", "workers"), [("sqlite", 1), ("sqlite", 2), ("jsonl", 1)])
def test_pad_entries_magneticod_keeps_as_paths_are_padding(tmp_path, monkeypatch, variant, workers):
    if variant == "sqlite":
        path = write_magnetico_db(tmp_path / "pads.sqlite3", PADDED)
    else:
        path = tmp_path / "pads.jsonl"
        path.write_bytes(b"\n".join(_raw_line(*t) for t in PADDED) + b"\n")
    assert _load(path, tmp_path / "w.duckdb", workers, monkeypatch).rejected == {}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    rows = con.execute(
        "SELECT infohash, file_count, total_size, count_audio, count_other,"
        " share_bytes_other, largest_file_size FROM torrents ORDER BY infohash"
    ).fetchall()
    game, photos = rows
    assert game[1:] == ("c9" * 20, 3, 9_025_384, 2, 0, 0.0, 4_000_000)[1:]
    assert photos[1] == 3  # two photos and the mis-sized ".pad/100"
    assert photos[4] == 1 and photos[5] > 0  # the real ".pad/100" is an "other" file
    pads = con.execute(
        "SELECT infohash, file_index FROM files WHERE is_pad ORDER BY ALL"
    ).fetchall()
    assert pads == [("c9" * 20, 1), ("c9" * 20, 3), ("da" * 20, 1)]
    con.close()


def test_a_databases_files_keep_the_order_magneticod_inserted_them(tmp_path):
    """SQLite's json_group_array has no defined order (its automatic index on
    files.torrent_id sorts by size): file_index follows files.id, the torrent's order."""
    files = [(b"disc1.iso", 9_000_000), (b"cover.jpg", 10), (b"disc2.iso", 8_000_000)]
    path = write_magnetico_db(tmp_path / "order.sqlite3", [("0e" * 20, b"Farm.Story", files)])
    assert import_magnetico(path, tmp_path / "w.duckdb").rejected == {}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    rows = con.execute("SELECT path, size FROM files ORDER BY file_index").fetchall()
    assert rows == [("Farm.Story/" + p.decode(), size) for p, size in files]


def test_a_resumed_load_keeps_the_raw_bytes_of_the_records_after_the_mark(tmp_path, monkeypatch):
    """A database whose load dies after its first block: the resumed load stores the
    rest with their raw names, and no raw bytes of a skipped record are carried."""
    path = write_magnetico_db(tmp_path / "m.sqlite3", TORRENTS)
    monkeypatch.setattr(loading, "sqlite_blocks", partial(loading.sqlite_blocks, block=2))
    db = tmp_path / "w.duckdb"
    con = connect(db, create=True)

    def load():
        return load_magnetico(
            con,
            path,
            source="crawler",
            source_ref=str(path),
            seen_at=datetime.now(UTC),
            run_id=start_run(con, "test"),
            workers=1,
            progress_key="crawler/m",
        )

    restore = fail_block_load(monkeypatch, 2)
    with pytest.raises(WarehouseError, match="simulated"):
        load()
    restore()
    assert con.execute("SELECT through FROM load_progress").fetchone() == (2,)
    assert load().torrents_new == len(TORRENTS) - 2
    con.close()
    _assert_kept_with_raw_bytes(db)
