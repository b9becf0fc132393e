"""The monitor's loader streams a landed magnet list: slices of lines, one transaction per
batch of lines, resumed after the lines committed when a load dies part-way, and no cap
on the list's size (only on one line). Every list here is built by code, all benign
(made-up hashes, Linux image names)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warehouse_rows import query_rows

import parsers.inputs
import torrentwatch.monitor_load
from common.errors import WarehouseError
from monitors.base import Gathered
from monitors.landing import LandingZone
from tests.load_faults import fail_block_load
from torrentwatch.monitor_load import load_landing

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _link(i: int) -> str:
    return f"magnet:?xt=urn:btih:{i:040x}&dn=Linux.Image.{i}"


def _land_list(zone: LandingZone, tmp_path: Path, lines: list[str], name: str = "links") -> Path:
    path = tmp_path / f"{name}.magnet"
    path.write_bytes("".join(line + "\n" for line in lines).encode())
    zone.land(Gathered("magnet", "inbox", str(path), b"", NOW, payload_file=str(path)))
    return path


def _spy_loads(monkeypatch) -> list[int]:
    """Rows (sightings plus rejects) of every batch the loader commits, in order."""
    real_load = torrentwatch.monitor_load.load_batch
    sizes: list[int] = []

    def load_batch(con, batch, *args, **kwargs):
        counts = real_load(con, batch, *args, **kwargs)
        sizes.append(batch.observations.num_rows + batch.rejects.num_rows)
        return counts

    monkeypatch.setattr(torrentwatch.monitor_load, "load_batch", load_batch)
    return sizes


def test_a_list_longer_than_a_batch_loads_in_several_transactions(tmp_path, db_path, monkeypatch):
    zone = LandingZone.local(tmp_path / "landing")
    lines = [_link(i) for i in range(1, 24)]
    lines[6] = "magnet:?xt=urn:btih:nothex"  # line 7
    lines[11] = "magnet:?dn=" + "x" * (parsers.inputs.MAX_LINE_BYTES + 10)  # line 12
    lines[17] = "# a comment"  # line 18
    path = _land_list(zone, tmp_path, lines)
    for i in (101, 102, 103):  # small items: one batch together, as before
        zone.land(Gathered("magnet", "inbox", f"feed#{i}", (_link(i) + "\n").encode(), NOW))
    sizes = _spy_loads(monkeypatch)
    summary = load_landing(zone, db_path, batch_items=5, list_lines=5)
    assert (summary.pending, summary.loaded, summary.failed) == (4, 4, 0)
    assert zone.unloaded() == []
    # The small items together, then the list at most 5 lines a transaction: lines 1-5,
    # 6-10, 11 and the long line 12 (which ends a slice), 13-17, 18-22 (18 a comment), 23.
    assert sizes == [3, 5, 5, 2, 5, 4, 1]
    refs = [ref for (ref,) in query_rows(db_path, "SELECT source_ref FROM observations")]
    good = sorted(n for n in range(1, 24) if n not in (7, 12, 18))
    listed = sorted(int(ref.rsplit(":", 1)[1]) for ref in refs if ref.startswith(str(path)))
    assert listed == good
    rejects = query_rows(db_path, "SELECT source_ref, reason FROM rejects ORDER BY source_ref")
    assert rejects == [
        (f"{path}:12", "input.line_too_long"),
        (f"{path}:7", "magnet.invalid"),
    ]
    assert query_rows(db_path, "SELECT through FROM load_progress") == [(23,)]
    assert query_rows(db_path, "SELECT count(*) FROM landed_items") == [(4,)]
    assert summary.by_source["inbox"]["observations"] == 20 + 3
    assert summary.by_source["inbox"]["rejected"] == 2


def test_a_list_killed_part_way_resumes_without_double_sightings(tmp_path, db_path, monkeypatch):
    zone = LandingZone.local(tmp_path / "landing")
    _land_list(zone, tmp_path, [_link(i) for i in range(1, 61)])
    restore = fail_block_load(monkeypatch, 3, module=torrentwatch.monitor_load)
    with pytest.raises(WarehouseError):
        load_landing(zone, db_path, batch_items=10, list_lines=10)
    assert len(zone.unloaded()) == 1
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(20,)]
    assert query_rows(db_path, "SELECT through FROM load_progress") == [(20,)]
    restore()
    # Resumed with another batch size: the slice that straddles the mark is cut at it.
    summary = load_landing(zone, db_path, batch_items=7, list_lines=7)
    assert (summary.loaded, summary.failed, summary.observations) == (1, 0, 40)
    assert zone.unloaded() == []
    assert query_rows(db_path, "SELECT count(*), count(DISTINCT source_ref) FROM observations") == [
        (60, 60)
    ]
    assert query_rows(db_path, "SELECT through FROM load_progress") == [(60,)]
    assert load_landing(zone, db_path, batch_items=7, list_lines=7).pending == 0


def test_a_list_whose_lines_were_all_committed_is_only_recorded(tmp_path, db_path, monkeypatch):
    """``load_progress`` covering every line of an item ``landed_items`` does not hold
    (a normal load records both with the last block; this is the guard, so such an item
    is not read again on every load): it is recorded, nothing is sighted again."""
    zone = LandingZone.local(tmp_path / "landing")
    _land_list(zone, tmp_path, [_link(i) for i in range(1, 31)])
    restore = fail_block_load(monkeypatch, 3, module=torrentwatch.monitor_load)
    with pytest.raises(WarehouseError):
        load_landing(zone, db_path, batch_items=10, list_lines=10)
    restore()
    # As if the third block had committed: the mark says every line is in.
    con = torrentwatch.monitor_load.connect(db_path)
    con.execute("UPDATE load_progress SET through = 30")
    con.close()
    summary = load_landing(zone, db_path, batch_items=10, list_lines=10)
    assert (summary.loaded, summary.observations) == (1, 0) and zone.unloaded() == []
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(20,)]


def test_a_magnet_list_over_the_input_cap_loads_other_kinds_do_not(tmp_path, db_path, monkeypatch):
    """The whole-item cap (64 MiB) no longer applies to magnet lists: only their lines
    are capped. A .torrent over it is still refused whole."""
    monkeypatch.setattr(parsers.inputs, "MAX_INPUT_BYTES", 2000)
    zone = LandingZone.local(tmp_path / "landing")
    path = _land_list(zone, tmp_path, [_link(i) for i in range(1, 101)])
    assert path.stat().st_size > 2000
    big = tmp_path / "big.torrent"
    big.write_bytes(b"d4:info" + b"x" * 5000)
    zone.land(Gathered("torrent", "inbox", str(big), b"", NOW, payload_file=str(big)))
    summary = load_landing(zone, db_path, batch_items=1000, list_lines=1000)
    assert (summary.loaded, summary.failed) == (2, 0)
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(100,)]
    assert query_rows(db_path, "SELECT source_ref, reason FROM rejects") == [
        (str(big), "input.too_large")
    ]


def test_a_torn_landed_list_is_left_for_its_next_gather(tmp_path, db_path):
    zone = LandingZone.local(tmp_path / "landing")
    _land_list(zone, tmp_path, [_link(i) for i in range(1, 31)])
    (payload,) = (tmp_path / "landing" / "items").rglob("*.payload")
    os.truncate(payload, payload.stat().st_size - 10)
    summary = load_landing(zone, db_path, batch_items=10, list_lines=10)
    assert (summary.loaded, summary.failed) == (0, 1)
    assert "holds" in summary.errors[0] and len(zone.unloaded()) == 1


@pytest.mark.slow
def test_a_list_over_64_mib_loads_whole(tmp_path, db_path):
    zone = LandingZone.local(tmp_path / "landing")
    path = tmp_path / "huge.magnet"
    count = 1_150_000
    with open(path, "wb") as out:
        for start in range(0, count, 100_000):
            block = range(start, min(start + 100_000, count))
            out.write("".join(f"magnet:?xt=urn:btih:{i:040x}\n" for i in block).encode())
    assert path.stat().st_size > 64 * 1024 * 1024
    zone.land(Gathered("magnet", "inbox", str(path), b"", NOW, payload_file=str(path)))
    summary = load_landing(zone, db_path)
    assert (summary.loaded, summary.torrents_new, summary.rejected_total) == (1, count, 0)
    assert query_rows(db_path, "SELECT max(through) FROM load_progress") == [(count,)]


def test_a_big_magnet_list_without_a_known_suffix_is_landed_as_one(tmp_path, db_path, monkeypatch):
    """A watch folder's file over the input cap is landed by copy; without a suffix that
    names its kind, its first bytes decide, so a magnet list named ``links.txt`` is
    streamed like ``links.magnet`` and not refused whole as a torrent."""
    from torrentwatch.monitor import gather_source, load_landing

    monkeypatch.setattr(parsers.inputs, "MAX_INPUT_BYTES", 2000)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "links.txt").write_text("".join(f"{_link(i)}\n" for i in range(1, 101)))
    assert (inbox / "links.txt").stat().st_size > 2000
    (inbox / "blob.bin").write_bytes(b"d4:info" + b"x" * 5000)  # big, and no magnet list
    config = tmp_path / "sources.yaml"
    config.write_text(
        "landing: landing\nsources:\n  - {name: inbox, kind: folder, settings: {path: inbox}}\n"
    )
    gathered = gather_source(config, "inbox")
    assert gathered.status == "ok", gathered
    load_landing(config, db_path)
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(100,)]
    assert query_rows(db_path, "SELECT source_ref, reason FROM rejects") == [
        (str(inbox / "blob.bin"), "input.too_large")
    ]
