"""The landing zone: items land once, atomically, stream in, and are marked, never removed."""

from __future__ import annotations

import io
import json
import os
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import LandingError
from monitors.base import Gathered
from monitors.landing import LandingZone, LocalStorage, check_key
from monitors.runner import TokenBucket

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _item(payload: bytes = b"magnet:?xt=urn:btih:" + b"a" * 40, **kw) -> Gathered:
    fields = {"kind": "magnet", "source": "feedy", "source_ref": "https://127.0.0.1/x"}
    fields.update(kw)
    return Gathered(payload=payload, seen_at=NOW, **fields)


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_same_item_lands_once(tmp_path):
    zone = LandingZone.local(tmp_path)
    assert zone.land(_item()) is True
    assert zone.land(_item(source_ref="elsewhere", title="other words")) is False
    assert zone.land(_item(source="other")) is True  # another source: its own item
    assert zone.land(_item(kind="torrent")) is True  # another kind: another item
    files = _files(tmp_path)
    assert len([f for f in files if f.endswith(".json")]) == 3
    assert len([f for f in files if f.endswith(".payload")]) == 3
    assert len(zone.unloaded()) == 3
    first = zone.read_envelope(zone.unloaded()[0])
    assert first.seen_at.tzinfo is not None


def test_envelope_keeps_what_the_source_said(tmp_path):
    zone = LandingZone.local(tmp_path)
    zone.land(_item(title="Kart Racer", category="Games", seeders=4, leechers=1, infohash="a" * 40))
    landed = zone.read_envelope(zone.unloaded()[0])
    assert (landed.title, landed.category, landed.seeders, landed.leechers) == (
        "Kart Racer",
        "Games",
        4,
        1,
    )
    assert landed.seen_at == NOW and landed.source_ref == "https://127.0.0.1/x"
    assert zone.payload(landed).startswith(b"magnet:?")


def test_marked_items_are_kept_and_not_offered_again(tmp_path):
    zone = LandingZone.local(tmp_path)
    for i in range(5):
        zone.land(_item(payload=f"item {i}".encode()))
    before = _files(tmp_path)
    pending = zone.unloaded()
    keys = [zone.read_envelope(k).key for k in pending[:3]]
    journal = zone.mark_loaded(keys, "run1")
    assert journal is not None and journal.startswith("loaded/")
    assert len(zone.unloaded()) == 2
    assert zone.mark_loaded([], "run2") is None
    after = _files(tmp_path)
    assert set(before) <= set(after)  # nothing removed
    assert json.loads((tmp_path / journal).read_bytes())["keys"] == sorted(keys)
    # landing an already loaded item again changes nothing
    assert zone.land(_item(payload=b"item 0")) is False
    assert len(zone.unloaded()) == 2


def test_an_item_without_its_envelope_is_not_landed_yet(tmp_path):
    """A crash between payload and envelope leaves a payload nobody loads; landing the
    item again completes it."""
    zone = LandingZone.local(tmp_path)
    item = _item()
    zone.land(item)
    envelope = next(tmp_path.rglob("*.json"))
    envelope.unlink()
    assert zone.unloaded() == []
    assert zone.land(item) is True
    assert len(zone.unloaded()) == 1


@pytest.mark.parametrize("torn", [".json", ".payload"])
def test_an_item_torn_by_a_power_loss_is_written_again(tmp_path, torn):
    """Before a flush a power loss can leave a short object; it does not count as landed."""
    zone = LandingZone.local(tmp_path)
    item = _item(payload=b"magnet:?xt=urn:btih:" + b"b" * 40 + b"&dn=Ubuntu.24.04\n")
    zone.land(item)
    zone.flush()
    victim = next(tmp_path.rglob(f"*{torn}"))
    victim.write_bytes(victim.read_bytes()[:7])
    if torn == ".payload":
        landed = zone.read_envelope(zone.unloaded()[0])
        with pytest.raises(LandingError, match="holds 7 of its"):
            zone.payload(landed)
    assert zone.land(item) is True  # rewritten whole
    landed = zone.read_envelope(zone.unloaded()[0])
    assert zone.payload(landed) == item.payload


class _Exploding(io.RawIOBase):
    """A stream that fails after some bytes, as a dying disk or network would."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.sent > 3 << 20:
            raise OSError("device went away")
        buffer[: len(buffer)] = b"x" * len(buffer)
        self.sent += len(buffer)
        return len(buffer)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(LandingError, match="device went away"):
        storage.put_stream("items/a/bb/obj.payload", _Exploding())
    assert _files(tmp_path) == []  # no object, no temp file
    storage.put_bytes("items/a/bb/obj.payload", b"whole")
    assert storage.read_bytes("items/a/bb/obj.payload") == b"whole"
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_writes_replace_atomically(tmp_path):
    """Readers see the old or the new object, never a mix (rename over the old one)."""
    storage = LocalStorage(tmp_path)
    storage.put_bytes("state/a.json", b"1" * 100_000)
    inode = os.stat(tmp_path / "state" / "a.json").st_ino
    storage.put_bytes("state/a.json", b"2" * 10)
    assert os.stat(tmp_path / "state" / "a.json").st_ino != inode
    assert storage.read_bytes("state/a.json") == b"2" * 10


@pytest.mark.parametrize(
    "key", ["../x", "items/../../etc/passwd", "/abs", "a//b", "a/.hidden", "", "a/b/", "ü/x"]
)
def test_keys_cannot_escape_the_root(tmp_path, key):
    with pytest.raises(LandingError, match="invalid landing key"):
        check_key(key)
    with pytest.raises(LandingError):
        LocalStorage(tmp_path).put_bytes(key, b"x")
    assert _files(tmp_path) == []


def test_source_names_are_checked_when_landing(tmp_path):
    with pytest.raises(LandingError):
        LandingZone.local(tmp_path).land(_item(source="../up"))
    with pytest.raises(LandingError, match="kind 'video'"):
        LandingZone.local(tmp_path).land(_item(kind="video"))
    with pytest.raises(LandingError, match="not both"):
        LandingZone.local(tmp_path).land(_item(payload_file=__file__))


def test_large_files_are_copied_in_streaming(tmp_path):
    big = tmp_path / "export.jsonl"
    chunk = b'{"infoHash": "00", "name": "Holiday Photos", "files": []}\n' * 2000
    with open(big, "wb") as handle:
        for _ in range(300):  # about 35 MB
            handle.write(chunk)
    zone = LandingZone.local(tmp_path / "landing")
    item = _item(payload=b"", kind="magnetico", payload_file=str(big))
    tracemalloc.start()
    try:
        assert zone.land(item) is True
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"landing a {big.stat().st_size}-byte file held {peak} bytes"
    landed = zone.read_envelope(zone.unloaded()[0])
    assert landed.payload_size == big.stat().st_size
    with zone.payload_file(landed) as path:
        assert path.read_bytes() == big.read_bytes()
    assert zone.land(item) is False  # same file again: landed once


def test_state_round_trip_and_bad_state(tmp_path):
    zone = LandingZone.local(tmp_path)
    state = zone.state("inbox")
    assert state.get("etag") is None and state.get("etag", "-") == "-"
    state.set("etag", 'W/"abc"')
    state.set("seen", ["a", "b"])
    state.save()
    again = zone.state("inbox")
    assert again.get("etag") == 'W/"abc"' and again.get("seen") == ["a", "b"]
    again.set("when", NOW)  # not JSON
    with pytest.raises(LandingError, match="JSON cannot keep"):
        again.save()
    assert zone.state("inbox").get("seen") == ["a", "b"]  # the saved state is intact
    (tmp_path / "state" / "inbox.json").write_bytes(b'{"etag": ')
    with pytest.raises(LandingError, match="not valid JSON"):
        zone.state("inbox")
    (tmp_path / "state" / "inbox.json").write_bytes(b"[1, 2]")
    with pytest.raises(LandingError, match="not a JSON object"):
        zone.state("inbox")
    with pytest.raises(LandingError):
        zone.state("../inbox")


def test_corrupt_journal_is_an_error_not_a_silent_reload(tmp_path):
    zone = LandingZone.local(tmp_path)
    zone.land(_item())
    (tmp_path / "loaded").mkdir()
    (tmp_path / "loaded" / "20260101-bad.json").write_bytes(b"\xff\xfe")
    with pytest.raises(LandingError, match="journal"):
        zone.unloaded()


def test_token_bucket_paces_requests():
    bucket = TokenBucket(20.0)
    started = time.monotonic()
    for _ in range(11):
        bucket.pace()
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 2.0, elapsed  # the first is free, then one every 50 ms
    free = TokenBucket(None)
    started = time.monotonic()
    for _ in range(10_000):
        free.pace()
    assert time.monotonic() - started < 0.5


def test_every_kind_a_source_lands_has_one_typed_loader():
    """The loader's table names every kind the landing zone accepts, each with a
    handler of a declared shape; the kinds parsed whole use the parsers' dispatch."""
    from monitors.base import GATHERED_KINDS
    from parsers.items import ITEM_PARSERS
    from torrentwatch.import_magnetico import load_magnetico
    from torrentwatch.monitor_load import LANDED_KINDS, Batched, FromFile, Lines

    assert set(LANDED_KINDS) == GATHERED_KINDS
    for kind, handler in LANDED_KINDS.items():
        assert isinstance(handler, Batched | Lines | FromFile), kind
        if isinstance(handler, Batched | Lines):
            assert handler.parse is ITEM_PARSERS[kind]
    assert LANDED_KINDS["magnetico"] == FromFile(load_magnetico)


def test_load_and_magnetico_counts_read_as_before():
    """The records of counts share common.summary's as_dict; what they give is what
    their hand-written as_dict gave."""
    from collections import Counter

    from torrentwatch.import_magnetico import MagneticoCounts
    from torrentwatch.monitor_load import LoadSummary

    load = LoadSummary(
        "r1",
        3,
        2,
        1,
        torrents_new=4,
        files=9,
        observations=5,
        rejected=Counter({"json.invalid": 2, "bencode.invalid": 1}),
        by_source={"b": {"items": 1, "failed": 0}, "a": {"items": 1, "failed": 1}},
        errors=("gone",),
    )
    assert load.as_dict() == {
        "run_id": "r1",
        "pending": 3,
        "loaded": 2,
        "failed": 1,
        "torrents_new": 4,
        "torrents_updated": 0,
        "files": 9,
        "observations": 5,
        "rejected": {"bencode.invalid": 1, "json.invalid": 2},
        "by_source": {"a": {"items": 1, "failed": 1}, "b": {"items": 1, "failed": 0}},
        "errors": ["gone"],
        "elsewhere": 0,
    }
    assert list(load.as_dict()["rejected"]) == ["bencode.invalid", "json.invalid"]
    assert load.rejected_total == 3
    counts = MagneticoCounts(records=7, observations=5, rejected={"z": 1, "a": 1})
    assert counts.as_dict() == {
        "records": 7,
        "torrents_new": 0,
        "torrents_updated": 0,
        "files": 0,
        "observations": 5,
        "rejected": {"a": 1, "z": 1},
        "earlier_through": None,
        "resumed": False,
    }
    assert list(counts.as_dict()) == list(MagneticoCounts.__dataclass_fields__)
    assert counts.rejected_total == 2
