"""Ingest end to end: counts, idempotence, magnets learning metadata, rejects."""

from __future__ import annotations

import json

import libtorrent as lt
import pytest

from tests.warehouse_rows import table_counts
from torrentwatch.demo import demo_data_dir
from torrentwatch.ingest import ingest
from torrentwatch.synth import SynthTorrent, encode, synthetic_specs
from warehouse.db import connect


def test_reingest_adds_sightings_only(db_path, torrent_folder):
    first = ingest([torrent_folder], db_path, workers=1)
    assert (first.torrents_new, first.torrents_updated) == (40, 0)
    before = table_counts(db_path)
    second = ingest([torrent_folder], db_path, workers=1)
    assert (second.torrents_new, second.torrents_updated) == (0, 40)
    after = table_counts(db_path)
    assert after["torrents"] == before["torrents"] == 40
    assert after["files"] == before["files"]
    assert after["observations"] == 2 * before["observations"] == 80
    con = connect(db_path, read_only=True)
    assert (
        con.execute(
            "SELECT count(*) FROM (SELECT infohash, file_index FROM files"
            " GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute("SELECT count(*) FROM torrents WHERE last_seen > first_seen").fetchone()[0]
        == 40
    )


def test_parallel_and_inline_ingest_agree(tmp_path, torrent_folder):
    ingest([torrent_folder], tmp_path / "a.duckdb", workers=1, chunk_size=7)
    ingest([torrent_folder], tmp_path / "b.duckdb", workers=2, chunk_size=7)
    query = (
        "SELECT t.infohash, t.name, t.file_count, t.dominant_kind, count(f.path), sum(f.size)"
        " FROM torrents t JOIN files f USING (infohash) GROUP BY ALL ORDER BY 1"
    )
    rows = []
    for name in ("a", "b"):
        con = connect(tmp_path / f"{name}.duckdb", read_only=True)
        rows.append(con.execute(query).fetchall())
        con.close()
    assert rows[0] == rows[1] and len(rows[0]) == 40


def test_magnet_row_learns_its_metadata_later(tmp_path, db_path):
    spec = SynthTorrent("Galaxy.Quest.2020.1080p-DEMO", (("g/a.mkv", 10_000), ("g/b.srt", 100)))
    data = encode(spec)
    v1 = lt.torrent_info(data).info_hashes().v1
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "links.txt").write_text(f"magnet:?xt=urn:btih:{v1}&dn=From.A.Feed\n")
    ingest([tmp_path / "m"], db_path, workers=1)
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT has_metadata, name FROM torrents").fetchall() == [
        (False, "From.A.Feed")
    ]
    con.close()
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "g.torrent").write_bytes(data)
    summary = ingest([tmp_path / "t"], db_path, workers=1)
    assert summary.torrents_updated == 1 and summary.torrents_new == 0
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT has_metadata, name, file_count FROM torrents").fetchall() == [
        (True, "Galaxy.Quest.2020.1080p-DEMO", 2)
    ]
    assert con.execute("SELECT count(*) FROM files").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM observations").fetchone()[0] == 2
    con.close()


@pytest.mark.parametrize("chunk_size", [1000, 1], ids=["same-chunk", "across-chunks"])
def test_same_torrent_twice_in_one_batch(tmp_path, db_path, torrent_writer, chunk_size):
    spec = next(synthetic_specs(1))
    folder = tmp_path / "dup"
    torrent_writer(folder, [spec, spec, spec])
    summary = ingest([folder], db_path, workers=1, chunk_size=chunk_size)
    assert summary.torrents_new == 1
    counts = table_counts(db_path)
    assert counts["torrents"] == 1
    assert counts["files"] == len(spec.files)
    assert counts["observations"] == 3


def test_demo_data_loads_with_rejects_and_keeps_going(db_path):
    summary = ingest([demo_data_dir()], db_path, workers=2)
    assert summary.torrents_new >= 17
    assert summary.rejected["input.empty"] == 1
    assert summary.rejected["magnet.no_hash"] + summary.rejected["magnet.invalid"] == 1
    assert summary.rejected_total == 5
    assert summary.skipped == 1  # README.txt is neither a torrent nor a magnet list
    con = connect(db_path, read_only=True)
    reasons = dict(con.execute("SELECT reason, count(*) FROM rejects GROUP BY ALL").fetchall())
    assert sum(reasons.values()) == 5
    status = con.execute("SELECT status, rejected FROM runs").fetchall()
    assert status == [("completed", 5)]
    raw = con.execute("SELECT name_raw FROM torrents WHERE name_raw IS NOT NULL").fetchall()
    assert raw == [("Café.Nights.2018.mkv".encode("latin-1"),)]
    con.close()


def test_missing_path_is_a_reject_not_a_crash(tmp_path, db_path):
    summary = ingest([tmp_path / "does-not-exist.torrent"], db_path, workers=1)
    assert summary.rejected == {"input.unreadable": 1}


def test_file_names_that_are_not_utf8_are_kept_visibly(tmp_path, db_path):
    """os.walk hands non-UTF-8 names over as surrogate escapes, which no column can hold."""
    good, bad = bytes(tmp_path) + b"/caf\xe9.torrent", bytes(tmp_path) + b"/bad\xff.torrent"
    with open(good, "wb") as handle:
        handle.write(encode(next(iter(synthetic_specs(1)))))
    with open(bad, "wb") as handle:
        handle.write(b"not a torrent")
    summary = ingest([tmp_path], db_path, workers=1)
    assert (summary.torrents_new, summary.rejected) == (1, {"bencode.invalid": 1})
    con = connect(db_path, read_only=True)
    refs = con.execute(
        "SELECT source_ref FROM observations UNION ALL SELECT source_ref FROM rejects ORDER BY 1"
    ).fetchall()
    assert refs == [(f"{tmp_path}/bad\\xff.torrent",), (f"{tmp_path}/caf\\xe9.torrent",)]


def _bencode_with_info(info: dict) -> bytes:
    return lt.bencode({b"info": info})


def _hostile_inputs(good: bytes) -> dict[str, bytes]:
    pieces = b"\x01" * 20
    return {
        "truncated.torrent": good[: len(good) // 3],
        "deep.torrent": b"l" * 100_000 + b"e" * 100_000,
        "huge-int.torrent": b"d4:infod6:lengthi"
        + str(2**70).encode()
        + b"e4:name1:a12:piece lengthi16384e6:pieces20:"
        + pieces
        + b"ee",
        "negative.torrent": _bencode_with_info(
            {b"name": b"a", b"length": -5, b"piece length": 16384, b"pieces": pieces}
        ),
        "empty-name.torrent": _bencode_with_info(
            {b"name": b"", b"length": 5, b"piece length": 16384, b"pieces": pieces}
        ),
        "no-info.torrent": lt.bencode({b"announce": b"udp://127.0.0.1:1/"}),
        "list-top.torrent": b"li1ei2ee",
        "random.torrent": bytes(range(256)) * 4,
    }


def test_hostile_inputs_become_rejects_and_the_batch_goes_on(tmp_path, db_path, torrent_writer):
    folder = tmp_path / "mixed"
    good_paths = torrent_writer(folder, list(synthetic_specs(5, files_per_torrent=3)))
    for name, data in _hostile_inputs(good_paths[0].read_bytes()).items():
        (folder / name).write_bytes(data)
    traversal = _bencode_with_info(
        {
            b"name": b"Kart.Racer.PS2",
            b"piece length": 16384,
            b"pieces": b"\x02" * 20,
            b"files": [
                {b"length": 3, b"path": [b"..", b"..", b"etc", b"passwd"]},
                {b"length": 4, b"path": [b"/abs", b"clip.avi"]},
                {b"length": 5, b"path": [b"\xff\xfe.mkv"]},
            ],
        }
    )
    (folder / "traversal.torrent").write_bytes(traversal)
    summary = ingest([folder], db_path, workers=2, chunk_size=4)
    assert summary.torrents_new == 6  # five good ones and the traversal one, loaded safely
    assert summary.rejected_total == 8
    assert set(summary.rejected) >= {"bencode.too_deep", "bencode.int_overflow", "info.missing"}
    con = connect(db_path, read_only=True)
    paths = [
        p
        for (p,) in con.execute(
            "SELECT path FROM files JOIN torrents USING (infohash) WHERE name = 'Kart.Racer.PS2'"
        ).fetchall()
    ]
    con.close()
    assert len(paths) == 3
    for path in paths:
        assert not path.startswith("/") and ".." not in path.split("/")


@pytest.mark.slow
def test_a_torrent_with_200000_files_loads(tmp_path, db_path):
    files = tuple(
        (f"Big.Archive/{i // 1000:03d}/img{i:06d}.jpg", 1_000 + i) for i in range(200_000)
    )
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "big.torrent").write_bytes(encode(SynthTorrent("Big.Archive", files)))
    summary = ingest([tmp_path / "big"], db_path, workers=1)
    assert summary.torrents_new == 1 and summary.files == 200_000
    con = connect(db_path, read_only=True)
    assert con.execute("SELECT file_count, count_image FROM torrents").fetchone() == (
        200_000,
        200_000,
    )
    con.close()


def test_the_runs_row_carries_the_summary(db_path):
    summary = ingest([demo_data_dir()], db_path, workers=1)
    assert list(summary.as_dict()) == [
        "run_id", "items_read", "torrents_new", "torrents_updated", "files", "observations",
        "skipped", "rejected",
    ]  # fmt: skip
    con = connect(db_path, read_only=True)
    row = con.execute(
        "SELECT status, items_read, torrents_new, torrents_updated, rejected, detail FROM runs"
    ).fetchone()
    con.close()
    counts = (summary.items_read, summary.torrents_new, summary.torrents_updated, 5)
    assert row[:5] == ("completed", *counts)
    assert json.loads(row[5]) == summary.as_dict()
    assert summary.as_dict()["rejected"] == dict(sorted(summary.rejected.items()))


def test_a_failed_run_keeps_the_counts_of_its_committed_batches(db_path, monkeypatch):
    """The second batch's load fails: the row says failed, with the first batch's
    counts, the summary so far, and the error."""
    import torrentwatch.ingest as stage

    real, loads = stage.load_batch, []

    def second_fails(con, batch, run_id):
        loads.append(batch)
        if len(loads) == 2:
            raise OSError("the second batch cannot be loaded")
        return real(con, batch, run_id)

    monkeypatch.setattr(stage, "load_batch", second_fails)
    specs = list(synthetic_specs(12, files_per_torrent=2))
    folder = db_path.parent / "in"
    folder.mkdir()
    for number, spec in enumerate(specs):
        (folder / f"{number:02}.torrent").write_bytes(encode(spec))
    with pytest.raises(OSError, match="second batch"):
        ingest([folder], db_path, workers=1, chunk_size=5, batch_size=5)
    con = connect(db_path, read_only=True)
    status, items_read, new, detail = con.execute(
        "SELECT status, items_read, torrents_new, detail FROM runs"
    ).fetchone()
    con.close()
    detail = json.loads(detail)
    assert (status, items_read, new) == ("failed", 5, 5)
    assert detail["error"] == "the second batch cannot be loaded"
    assert (detail["items_read"], detail["torrents_new"]) == (5, 5)
