"""magnetico import: JSON lines, zstd and SQLite load completely; bad records are rejected
one by one with their reason and line; re-import only adds sightings."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import parsers.magnetico as loading
from common.errors import WarehouseError
from monitors.base import GatherContext
from monitors.magnetico import check_settings, gather, sniff_format
from parsers.magnetico import read_line_blocks
from parsers.reasons import REASONS
from testkit.magnetico_exports import synthetic_record, write_synthetic_export
from tests.load_faults import fail_block_load
from tests.magnetico_db import records_db
from tests.warehouse_rows import table_counts
from torrentwatch.cli import app
from torrentwatch.import_magnetico import import_magnetico, load_magnetico
from torrentwatch.ingest import ingest
from warehouse.db import connect
from warehouse.runs import start_run

RECORDS = 3000
GOOD_HASH = "ab" * 20


def _expected(records: list[dict]) -> dict[str, int]:
    return {
        "torrents": len({r["infoHash"] for r in records}),
        "files": sum(len(r["files"]) for r in records),
        "observations": len(records),
    }


def _records(count: int = RECORDS, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    return [synthetic_record(rng, n) for n in range(count)]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _write_zstd(path: Path, records: list[dict]) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(data)
    return path


def _load_into(con, path: Path, workers: int, block_bytes: int, **options):
    """``load_magnetico`` in a new test run, blocks of ``block_bytes``."""
    return load_magnetico(
        con,
        path,
        source="s",
        source_ref=str(path),
        seen_at=datetime.now(UTC),
        run_id=start_run(con, "test"),
        workers=workers,
        block_bytes=block_bytes,
        **options,
    )


@pytest.mark.parametrize("variant", ["jsonl", "zstd", "sqlite"])
def test_benign_export_imports_completely(tmp_path, variant):
    records = _records()
    path = tmp_path / f"export.{variant}"
    if variant == "jsonl":
        _write_jsonl(path, records)
    elif variant == "zstd":
        _write_zstd(path, records)
    else:
        records_db(path, records, discovered_on=1_600_000_000)
    counts = import_magnetico(path, tmp_path / "w.duckdb")
    expected = _expected(records)
    assert counts.records == RECORDS and counts.rejected == {}
    assert counts.torrents_new == expected["torrents"]
    assert counts.files == expected["files"]
    assert table_counts(tmp_path / "w.duckdb") == {**expected, "rejects": 0}
    con = connect(tmp_path / "w.duckdb", read_only=True)
    # the stored files are the listed ones, byte for byte in size
    sizes = con.execute(
        "SELECT sum(size), sum(total_size) FROM files JOIN torrents USING (infohash)"
    )
    assert sizes.fetchone()[0] == sum(f["size"] for r in records for f in r["files"])
    row = con.execute(
        "SELECT has_metadata, piece_length, file_count, total_size, name_norm, dominant_kind"
        " FROM torrents WHERE infohash = ?",
        [records[0]["infoHash"]],
    ).fetchone()
    assert row[0] is True and row[1] is None
    assert row[2] == len(records[0]["files"])
    assert row[3] == sum(f["size"] for f in records[0]["files"])
    assert row[4] and row[5]
    run = con.execute("SELECT status, items_read, torrents_new FROM runs").fetchall()
    assert run == [("completed", RECORDS, expected["torrents"])]
    if variant == "sqlite":
        seen = con.execute("SELECT DISTINCT epoch(seen_at)::BIGINT FROM observations").fetchall()
        assert seen == [(1_600_000_000,)]
        refs = con.execute("SELECT min(source_ref) FROM observations").fetchone()[0]
        assert refs.endswith("#torrents.id=1")


def test_varied_export_of_distinct_mixed_script_names(tmp_path):
    """The benchmark's `--varied` data: names nearly all distinct, most in Cyrillic, CJK
    or Greek; every record loads and every name and path is folded to ASCII."""
    path = write_synthetic_export(tmp_path / "v.jsonl", 2000, varied=True)
    db = tmp_path / "w.duckdb"
    counts = import_magnetico(path, db)
    assert (counts.records, counts.torrents_new, counts.rejected_total) == (2000, 2000, 0)
    con = connect(db, read_only=True)
    distinct, foreign, ascii_norm = con.execute(
        "SELECT count(DISTINCT name), count(*) FILTER (WHERE NOT regexp_matches(name, '^[ -~]*$')),"
        " bool_and(regexp_matches(name_norm, '^[a-z0-9 ]*$')) FROM torrents"
    ).fetchone()
    assert distinct > 1950 and foreign > 1000 and ascii_norm
    assert con.execute(
        "SELECT bool_and(regexp_matches(path_norm, '^[a-z0-9 ]*$')) FROM files"
    ).fetchone() == (True,)
    assert con.execute(
        "SELECT count(*) FROM torrents WHERE name LIKE '%Лето%' AND NOT name_norm LIKE '%leto%'"
    ).fetchone() == (0,)
    con.close()


def test_paths_are_laid_out_as_libtorrent_does(tmp_path):
    """Multi-file paths are under the torrent's name (as ingest stores them); a
    single-file torrent's one path is its name."""
    records = [
        {
            "infoHash": "1" * 40,
            "name": "Kart.Racer.PS2-GRP",
            "files": [{"size": 5, "path": "kart.iso"}, {"size": 3, "path": "Extras/Manual.pdf"}],
        },
        {
            "infoHash": "2" * 40,
            "name": "debian-12.iso",
            "files": [{"size": 9, "path": "debian-12.iso"}],
        },
    ]
    import_magnetico(_write_jsonl(tmp_path / "e.jsonl", records), tmp_path / "w.duckdb")
    con = connect(tmp_path / "w.duckdb", read_only=True)
    rows = con.execute(
        "SELECT infohash, file_index, path, ext, kind FROM files ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("1" * 40, 0, "Kart.Racer.PS2-GRP/kart.iso", "iso", "disc_image"),
        ("1" * 40, 1, "Kart.Racer.PS2-GRP/Extras/Manual.pdf", "pdf", "document"),
        ("2" * 40, 0, "debian-12.iso", "iso", "disc_image"),
    ]
    claim = con.execute("SELECT claimed_platform FROM torrents WHERE infohash = ?", ["1" * 40])
    assert claim.fetchone()[0] == "ps2"


def test_reimport_adds_sightings_only(tmp_path):
    path = write_synthetic_export(tmp_path / "e.jsonl", 500)
    db = tmp_path / "w.duckdb"
    first = import_magnetico(path, db)
    before = table_counts(db)
    second = import_magnetico(path, db)
    after = table_counts(db)
    assert (first.torrents_new, first.torrents_updated) == (500, 0)
    assert (second.torrents_new, second.torrents_updated) == (0, 500)
    assert second.files == 0
    assert after["torrents"] == before["torrents"] == 500
    assert after["files"] == before["files"]
    assert after["observations"] == 2 * before["observations"] == 1000


# Eight lines magnetico never writes, each rejected for its own reason.
BAD_LINES = [
    "{broken\n",
    "[1, 2]\n",
    json.dumps({"infoHash": "xyz", "name": "a", "files": [{"size": 1, "path": "a"}]}) + "\n",
    json.dumps({"infoHash": GOOD_HASH, "files": [{"size": 1, "path": "a"}]}) + "\n",
    json.dumps({"infoHash": GOOD_HASH, "name": "a", "files": []}) + "\n",
    json.dumps({"infoHash": GOOD_HASH, "name": "a", "files": [{"size": 1}]}) + "\n",
    json.dumps({"infoHash": GOOD_HASH, "name": "a", "files": [{"size": -1, "path": "a"}]}) + "\n",
    json.dumps({"infoHash": GOOD_HASH, "name": "a", "files": [{"size": 1, "path": "../a"}]}) + "\n",
]


def _rejects_by_run(db: Path) -> list[tuple[str, int]]:
    con = connect(db, read_only=True)
    rows = con.execute(
        "SELECT run_id, count(*) FROM rejects GROUP BY run_id ORDER BY 2 DESC"
    ).fetchall()
    con.close()
    return rows


@pytest.mark.parametrize("content", ["mixed", "bad lines only", "empty"])
def test_reimport_stores_each_reject_once(tmp_path, content):
    """A second import of the same file adds its sightings and nothing else: its rejects
    are reported again (the file still holds them) but stored once, by the first run
    (they were stored twice, 8 -> 16, before)."""
    good = [json.dumps(r) + "\n" for r in _records(40, seed=5)]
    lines = {"mixed": good[:20] + BAD_LINES + good[20:], "bad lines only": BAD_LINES}
    path = _write_file(tmp_path / "e.jsonl", "".join(lines.get(content, [])).encode())
    db = tmp_path / "w.duckdb"
    first = import_magnetico(path, db)
    second = import_magnetico(path, db)
    expected = 1 if content == "empty" else len(BAD_LINES)
    assert first.rejected == second.rejected and first.rejected_total == expected
    assert [stored for _, stored in _rejects_by_run(db)] == [expected]
    assert table_counts(db)["observations"] == (80 if content == "mixed" else 0)


def test_a_changed_export_landed_again_does_not_repeat_its_rejects(tmp_path):
    """The monitor's loader: an export grown since its last load lands again (a new
    item) and loads whole; its old bad lines are not stored a second time."""
    from monitors.base import Gathered
    from monitors.landing import LandingZone
    from torrentwatch.monitor_load import load_landing

    good = [json.dumps(r) + "\n" for r in _records(40, seed=6)]
    export = _write_file(tmp_path / "e.jsonl", "".join(good[:30] + BAD_LINES).encode())
    zone = LandingZone.local(tmp_path / "landing")
    db = tmp_path / "w.duckdb"

    def land_and_load():
        now = datetime.now(UTC)
        zone.land(Gathered("magnetico", "crawler", str(export), b"", now, payload_file=str(export)))
        return load_landing(zone, db)

    first = land_and_load()
    with export.open("a") as handle:
        handle.write("".join(good[30:]))
    second = land_and_load()
    assert (first.loaded, second.loaded) == (1, 1)
    assert first.rejected_total == second.rejected_total == len(BAD_LINES)
    assert [stored for _, stored in _rejects_by_run(db)] == [len(BAD_LINES)]
    assert table_counts(db)["observations"] == 30 + 40


@pytest.mark.parametrize(("variant", "workers"), [("jsonl", 1), ("jsonl", 2), ("sqlite", 1)])
def test_a_load_that_dies_part_way_resumes_after_its_committed_blocks(
    tmp_path, monkeypatch, variant, workers
):
    """Blocks commit one by one; with a resume key each also moves ``load_progress``,
    so loading the export again after a failure loads only the rest: every record is
    sighted once, rejects are not repeated, and the counts add up to the whole file."""
    records = _records(900, seed=21)
    if variant == "jsonl":
        lines = [json.dumps(r) + "\n" for r in records]
        lines.insert(700, "{broken\n")  # a reject in a block after the failure
        path = _write_file(tmp_path / "e.jsonl", "".join(lines).encode())
    else:
        path = records_db(tmp_path / "m.sqlite3", records, discovered_on=1_650_000_000)
        monkeypatch.setattr(loading, "sqlite_blocks", partial(loading.sqlite_blocks, block=100))
    db = tmp_path / "w.duckdb"

    def load(con, block_bytes=40 * 1024):
        return _load_into(con, path, workers, block_bytes, progress_key="s/export")

    con = connect(db, create=True)
    restore = fail_block_load(monkeypatch, 3)
    with pytest.raises(WarehouseError, match="simulated"):
        load(con)
    restore()
    (through,) = con.execute("SELECT through FROM load_progress").fetchone()
    assert 0 < through < 900
    partial_sightings = con.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert partial_sightings == through  # exactly the committed blocks' records
    second = load(con, block_bytes=56 * 1024)  # other blocks: one straddles the mark
    assert second.observations == 900 - through
    assert con.execute(
        "SELECT count(*), count(DISTINCT source_ref) FROM observations"
    ).fetchone() == (900, 900)
    assert con.execute("SELECT count(*) FROM torrents").fetchone() == (900,)
    assert con.execute("SELECT count(*) FROM files").fetchone() == (_expected(records)["files"],)
    expected_rejects = 1 if variant == "jsonl" else 0
    assert con.execute("SELECT count(*) FROM rejects").fetchone() == (expected_rejects,)
    assert con.execute("SELECT through FROM load_progress").fetchone()[0] == (
        901 if variant == "jsonl" else 900
    )
    third = load(con)  # everything is in: nothing is loaded again
    assert (third.records, third.observations, third.rejected_total) == (0, 0, 0)
    con.close()


def test_a_resumed_load_skips_exactly_the_committed_records():
    """Records at or before the mark are dropped, also from the middle of a block, and
    so are their refusals; a database that cannot be read is reported again."""

    def block(numbers, refused, truncated=None):
        lines = [f'{{"n": {n}}}\n' for n in numbers]
        refusals = tuple((n, None, "json.invalid", "") for n in refused)
        return loading.LineBlock(
            pa.array(numbers, pa.int64()),
            pa.array(lines, pa.string()),
            len(numbers) + len(refused),
            truncated,
            refusals,
        )

    unreadable = loading.LineBlock(
        pa.array([], pa.int64()),
        pa.array([], pa.string()),
        1,
        refused=((3, "ab", "database.invalid", "not a readable magnetico database"),),
    )
    blocks = [block([1, 2, 3, 5], [4]), block([6, 7, 9, 10], [8], truncated=10), unreadable]
    kept = list(loading.blocks_after(iter(blocks), 6))
    assert [b.numbers.to_pylist() for b in kept] == [[7, 9, 10], []]
    assert kept[0].lines.to_pylist()[0] == '{"n": 7}\n' and kept[0].truncated == 10
    assert [entry[0] for b in kept for entry in b.refused] == [8, 3]


def test_cli_resume_continues_an_import_that_stopped(tmp_path, monkeypatch):
    """`import magnetico --resume` skips what an earlier, interrupted import of the same
    file committed; without it the whole file loads again, and the CLI says so."""
    import torrentwatch.import_magnetico as stage

    path = write_synthetic_export(tmp_path / "e.jsonl", 900)
    db = tmp_path / "w.duckdb"
    monkeypatch.setattr(stage, "load_magnetico", partial(load_magnetico, block_bytes=40 * 1024))
    restore = fail_block_load(monkeypatch, 2)
    with pytest.raises(WarehouseError):
        import_magnetico(path, db)
    restore()
    committed = table_counts(db)["observations"]
    assert 0 < committed < 900
    command = ["import", "magnetico", str(path), "--db", str(db)]
    resumed = CliRunner().invoke(app, [*command, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"resumed after line {committed}" in resumed.output
    assert f"{900 - committed} records, new {900 - committed}" in resumed.output
    con = connect(db, read_only=True)
    assert con.execute(
        "SELECT count(*), count(DISTINCT source_ref) FROM observations"
    ).fetchone() == (900, 900)
    con.close()
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    assert "900 records" in again.output and "committed through line 900" in again.output
    assert table_counts(db)["observations"] == 1800  # asked for: every record sighted again


def test_duplicates_and_blank_lines(tmp_path):
    record = {"infoHash": GOOD_HASH, "name": "Farm.Story", "files": [{"size": 1, "path": "a.txt"}]}
    text = json.dumps(record) + "\n\n   \n" + json.dumps(record).replace("ab", "AB") + "\n"
    counts = import_magnetico(_write_file(tmp_path / "e.jsonl", text.encode()), tmp_path / "w.db")
    assert (counts.records, counts.torrents_new, counts.observations) == (2, 1, 2)
    assert table_counts(tmp_path / "w.db") == {
        "torrents": 1,
        "files": 1,
        "observations": 2,
        "rejects": 0,
    }
    con = connect(tmp_path / "w.db", read_only=True)
    refs = con.execute("SELECT source_ref FROM observations ORDER BY 1").fetchall()
    assert [r[0].rsplit(":", 1)[1] for r in refs] == ["1", "4"]


def test_magnet_only_torrent_gains_metadata(tmp_path):
    db = tmp_path / "w.duckdb"
    magnets = tmp_path / "seen.magnet"
    magnets.write_text(f"magnet:?xt=urn:btih:{GOOD_HASH}&dn=Space.Miner\n")
    ingest([magnets], db, workers=1)
    record = {
        "infoHash": GOOD_HASH.upper(),
        "name": "Space.Miner.2010.PC-GRP",
        "files": [{"size": 700, "path": "miner.iso"}, {"size": 5, "path": "nfo.txt"}],
    }
    counts = import_magnetico(_write_jsonl(tmp_path / "e.jsonl", [record]), db)
    assert (counts.torrents_new, counts.torrents_updated, counts.files) == (0, 1, 2)
    con = connect(db, read_only=True)
    row = con.execute(
        "SELECT has_metadata, name, file_count, total_size FROM torrents WHERE infohash = ?",
        [GOOD_HASH],
    ).fetchone()
    assert row == (True, "Space.Miner.2010.PC-GRP", 2, 705)


def _write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _line(**overrides) -> bytes:
    record = {
        "infoHash": GOOD_HASH,
        "name": "Castle.Builder",
        "files": [{"size": 10, "path": "c.iso"}],
    }
    record.update(overrides)
    return json.dumps(record).encode()


DEEP = 5000
HOSTILE: list[tuple[str, bytes]] = [
    ("infohash.invalid", _line(infoHash="xyz")),
    ("infohash.invalid", _line(infoHash="ab" * 19 + "zz")),
    ("infohash.invalid", json.dumps({"name": "n", "files": [{"size": 1, "path": "p"}]}).encode()),
    (
        "name.missing",
        json.dumps({"infoHash": GOOD_HASH, "files": [{"size": 1, "path": "p"}]}).encode(),
    ),
    ("name.missing", _line(name="   ")),
    (
        "name.missing",
        b'{"infoHash":"'
        + GOOD_HASH.encode()
        + b'","name":'
        + b"[" * DEEP
        + b"]" * DEEP
        + b',"files":[{"size":1,"path":"p"}]}',
    ),
    ("length.invalid", _line(files=[{"size": 5, "path": "ok"}, {"size": -1, "path": "neg.iso"}])),
    ("length.invalid", _line(files=[{"size": 10**30, "path": "huge.iso"}])),
    ("length.invalid", _line(files=[{"size": 2**62, "path": "a"}, {"size": 2**62, "path": "b"}])),
    ("files.empty", _line(files=[])),
    ("files.empty", json.dumps({"infoHash": GOOD_HASH, "name": "n"}).encode()),
    ("files.invalid", _line(files=[{"size": 1}])),
    (
        "files.invalid",
        b'{"infoHash":"'
        + GOOD_HASH.encode()
        + b'","name":"n","files":[{"size":1,"path":'
        + b"[" * DEEP
        + b"]" * DEEP
        + b"}]}",
    ),
    ("files.unsafe_path", _line(files=[{"size": 1, "path": "../../etc/hosts"}])),
    ("files.unsafe_path", _line(files=[{"size": 1, "path": "a/b/../../../x"}])),
    ("files.unsafe_path", _line(files=[{"size": 1, "path": "a\\..\\..\\x"}])),
    ("files.unsafe_path", _line(files=[{"size": 1, "path": "/abs/path"}])),
    ("files.too_deep", _line(files=[{"size": 1, "path": "/".join(["d"] * 150)}])),
    # Not UTF-8 outside its strings (a byte after the object): no record to keep.
    ("input.not_utf8", _line(name="Cafe") + b"\xe9"),
    ("json.invalid", b'{"infoHash": "' + GOOD_HASH.encode() + b'", "name": '),
    ("json.invalid", b"[1, 2, 3]"),
    ("json.invalid", b"not json at all"),
]


def test_hostile_records_each_rejected_rest_loaded(tmp_path):
    good = _records(50, seed=3)
    lines: list[bytes] = []
    expected: dict[int, str] = {}
    hostile = iter(HOSTILE)
    for record in good:
        lines.append(json.dumps(record).encode())
        bad = next(hostile, None)
        if bad is not None:
            expected[len(lines) + 1] = bad[0]
            lines.append(bad[1])
    truncated = json.dumps(good[0])[:40].encode()  # the file ends mid-record
    expected[len(lines) + 1] = "json.truncated"
    data = b"\n".join(lines) + b"\n" + truncated
    path = _write_file(tmp_path / "hostile.jsonl", data)
    counts = import_magnetico(path, tmp_path / "w.duckdb")
    assert counts.torrents_new == len(good)
    assert counts.rejected_total == len(expected) == len(HOSTILE) + 1
    con = connect(tmp_path / "w.duckdb", read_only=True)
    rows = con.execute("SELECT source_ref, reason, detail, sha256 FROM rejects").fetchall()
    got = {int(ref.rsplit(":", 1)[1]): reason for ref, reason, _, _ in rows}
    assert got == expected
    for ref, reason, detail, sha in rows:
        assert reason in REASONS
        assert ref.startswith(str(path)) and detail.startswith(ref)
        number = int(ref.rsplit(":", 1)[1])
        assert sha == hashlib.sha256(data.split(b"\n")[number - 1]).hexdigest()
    assert table_counts(tmp_path / "w.duckdb")["files"] == sum(len(r["files"]) for r in good)


def test_line_blocks_keep_numbers_across_blocks_and_refuse_long_lines():
    lines = [b'{"n": %d}' % i for i in range(40)]
    lines[17] = b"x" * 300  # longer than max_line below
    data = b"\n".join(lines) + b"\n"
    stream = pa.BufferReader(data)
    blocks = list(read_line_blocks(stream, block_bytes=64, max_line=100))
    numbers = [n for b in blocks for n in b.numbers.to_pylist()]
    refused = [r for b in blocks for r in b.refused]
    assert numbers == [n for n in range(1, 41) if n != 18]
    assert [(r[0], r[2]) for r in refused] == [(18, "input.too_large")]
    assert refused[0][1] == hashlib.sha256(b"x" * 300).hexdigest()
    texts = [t for b in blocks for t in b.lines.to_pylist()]
    assert texts[0] == '{"n": 0}\n' and len(texts) == 39


def test_not_an_export_and_not_a_database(tmp_path):
    db = tmp_path / "w.duckdb"
    binary = _write_file(tmp_path / "blob.bin", b"\x00\x01\x02binary")
    assert sniff_format(binary) is None
    assert import_magnetico(binary, db).rejected == {"json.invalid": 1}
    empty = _write_file(tmp_path / "empty.jsonl", b"")
    assert import_magnetico(empty, db).rejected == {"input.empty": 1}
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()
    assert sniff_format(other) == "sqlite"
    counts = import_magnetico(other, db)
    assert counts.rejected == {"database.invalid": 1}
    detail = (
        connect(db, read_only=True)
        .execute("SELECT detail FROM rejects WHERE reason = 'database.invalid'")
        .fetchone()[0]
    )
    assert "no such table" in detail


def test_sqlite_with_bad_rows_rejects_them(tmp_path):
    records = _records(20, seed=5)
    path = records_db(tmp_path / "m.sqlite3", records, discovered_on=1_650_000_000)
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO torrents (info_hash, name, total_size, discovered_on) "
        "VALUES (x'0102', 'Short.Hash', 1, 1)"
    )
    cursor = con.execute(
        "INSERT INTO torrents (info_hash, name, total_size, discovered_on) "
        "VALUES (?, 'Escape', 1, 1)",
        (b"\x07" * 20,),
    )
    con.execute(
        "INSERT INTO files (torrent_id, size, path) VALUES (?, 1, '../x')", (cursor.lastrowid,)
    )
    con.commit()
    con.close()
    counts = import_magnetico(path, tmp_path / "w.duckdb")
    assert counts.torrents_new == 20
    assert counts.rejected == {"infohash.invalid": 1, "files.unsafe_path": 1}
    refs = (
        connect(tmp_path / "w.duckdb", read_only=True)
        .execute("SELECT source_ref FROM rejects ORDER BY 1")
        .fetchall()
    )
    assert [r[0].rsplit("=", 1)[1] for r in refs] == ["21", "22"]


class _State(dict):
    def set(self, key, value):
        self[key] = value


def test_source_kind_settings_and_gather(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_synthetic_export(folder / "a.jsonl", 3)
    write_synthetic_export(folder / "b.jsonl", 3, start=3)
    assert check_settings({"path": str(folder)}) == []
    assert check_settings({}) == ["path: required (an export file, a folder or a glob)"]
    problems = check_settings({"path": str(tmp_path / "missing"), "speed": 1})
    assert len(problems) == 2 and "speed" in problems[0] and "does not exist" in problems[1]
    emitted = []
    state = _State()
    ctx = GatherContext(
        name="crawler",
        settings={"path": str(folder / "*.jsonl")},
        state=state,
        emit=lambda item: emitted.append(item) or True,
        deadline=float("inf"),
        pace=lambda: None,
    )
    assert gather(ctx) == 2
    assert [Path(i.payload_file).name for i in emitted] == ["a.jsonl", "b.jsonl"]
    assert all(i.kind == "magnetico" and i.payload == b"" for i in emitted)
    assert gather(ctx) == 0  # unchanged files are not landed again
    with open(folder / "b.jsonl", "a") as handle:
        handle.write(json.dumps(_records(1)[0]) + "\n")
    assert gather(ctx) == 1


def test_cli_import_magnetico(tmp_path):
    path = write_synthetic_export(tmp_path / "e.jsonl", 40)
    result = CliRunner().invoke(
        app, ["import", "magnetico", str(path), "--db", str(tmp_path / "w.db")]
    )
    assert result.exit_code == 0, result.output
    assert "40 records, new 40" in result.output
    assert table_counts(tmp_path / "w.db")["torrents"] == 40


def test_seen_at_from_discovered_on(tmp_path):
    records = [
        {
            "infoHash": "3" * 40,
            "name": "n",
            "discoveredOn": 1_500_000_000,
            "files": [{"size": 1, "path": "n"}],
        },
        {
            "infoHash": "4" * 40,
            "name": "m",
            "discoveredOn": -5,
            "files": [{"size": 1, "path": "m"}],
        },
    ]
    before = datetime.now(UTC)
    import_magnetico(_write_jsonl(tmp_path / "e.jsonl", records), tmp_path / "w.duckdb")
    con = connect(tmp_path / "w.duckdb", read_only=True)
    rows = dict(con.execute("SELECT infohash, seen_at FROM observations").fetchall())
    assert rows["3" * 40] == datetime.fromtimestamp(1_500_000_000, UTC)
    assert rows["4" * 40] >= before  # not a sane time: the load time stands in


@pytest.mark.slow
def test_parallel_blocks_load_the_same_as_inline(tmp_path):
    """Many small blocks checked and normalised by two worker processes give the same
    warehouse as one process; a record repeated in a later block is a known torrent."""
    records = _records(1500, seed=9)
    records.append(records[10])
    path = _write_zstd(tmp_path / "e.jsonl.zst", records)
    query = (
        "SELECT t.infohash, t.name_norm, t.file_count, t.dominant_kind, t.total_size,"
        " list(f.path_norm ORDER BY f.file_index), list(f.kind ORDER BY f.file_index)"
        " FROM torrents t JOIN files f USING (infohash) GROUP BY ALL ORDER BY 1"
    )
    results = []
    for workers in (1, 2):
        con = connect(tmp_path / f"w{workers}.duckdb", create=True)
        counts = _load_into(con, path, workers, 128 * 1024)
        assert (counts.records, counts.torrents_new, counts.observations) == (1501, 1500, 1501)
        assert counts.torrents_updated == 1 and counts.files == _expected(records[:-1])["files"]
        results.append(con.execute(query).fetchall())
        con.close()
    assert results[0] == results[1] and len(results[0]) == 1500


def test_cut_off_zstd_stream_loads_what_it_can(tmp_path):
    records = _records(400, seed=4)
    whole = _write_zstd(tmp_path / "whole.zst", records).read_bytes()
    cut = _write_file(tmp_path / "cut.jsonl.zst", whole[: len(whole) // 2])
    counts = import_magnetico(cut, tmp_path / "w.duckdb")
    assert counts.rejected.get("input.unreadable") == 1
    assert counts.torrents_new < 400
    con = connect(tmp_path / "w.duckdb", read_only=True)
    assert con.execute("SELECT status FROM runs").fetchone()[0] == "completed"
    detail = con.execute("SELECT detail FROM rejects WHERE reason = 'input.unreadable'").fetchone()
    assert "cannot be read from line" in detail[0]
