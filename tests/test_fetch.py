"""The fetch kind against a real transmission-daemon seed on 127.0.0.1 (BEP 9, 0 payload)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.errors import SwarmSettingsInvalid, SwarmWarehouseUnreadable
from monitors.fetch import check_settings, gather, read_settings, run_fetch, target_from_text
from parsers.magnet import magnet_to_metas, parse_magnet
from parsers.torrent import parse_torrent
from tests.gathering import make_ctx
from tests.swarm import (
    LOOPBACK,
    directory_bytes,
    transmission_seed,
    write_payload,
)
from tests.torrent_fixtures import transmission_create

NOBODY_HAS = "0123456789abcdef0123456789abcdef01234567"


# --- settings ------------------------------------------------------------------------------


def test_valid_settings_have_no_problems():
    settings = {
        "magnets": [
            f"magnet:?xt=urn:btih:{NOBODY_HAS}&dn=Debian.12.netinst",
            NOBODY_HAS.upper(),
            "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU",  # base32
            "ab" * 32,  # a v2 hash
        ],
        "peers": ["127.0.0.1:51413", "[::1]:6881"],
        "listen_interface": "127.0.0.1",
        "concurrency": 4,
        "timeout_per_hash": 2.5,
    }
    assert check_settings(settings) == []
    read = read_settings(settings)
    assert [t.infohash for t in read.targets][:2] == [NOBODY_HAS, NOBODY_HAS]
    assert read.targets[2].infohash == "0102030405060708090a0b0c0d0e0f1011121314"
    assert read.targets[3].magnet == "magnet:?xt=urn:btmh:1220" + "ab" * 32


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"magnets": ["magnet:?dn=no.hash"]}, "magnets", "names no BitTorrent infohash"),
        ({"magnets": ["abc123"]}, "magnets", "neither a magnet URI"),
        ({"magnets": ["g" * 40]}, "magnets", "neither a magnet URI"),
        ({"magnets": [7]}, "magnets", "neither a magnet URI"),
        ({"magnets": "magnet:?xt=urn:btih:" + NOBODY_HAS}, "magnets", "must be a list"),
        ({"magnets": ["http://example.invalid/x.torrent"]}, "magnets", "neither a magnet"),
        ({"magnets": ["magnet:?xt=urn:btih:" + "0" * 39]}, "magnets", "item 1"),
        ({"peers": ["localhost:6881"]}, "peers", "IP address, not a host name"),
        ({"peers": ["127.0.0.1:0"]}, "peers", "outside 1-65535"),
        ({"peers": ["127.0.0.1"]}, "peers", "is not 'host:port'"),
        ({"listen_interface": "lo"}, "listen_interface", "not an IP address"),
        ({"listen_interface": None}, "listen_interface", "required"),
        ({"concurrency": 0}, "concurrency", "whole number 1-200"),
        ({"concurrency": True}, "concurrency", "whole number"),
        ({"timeout_per_hash": -1}, "timeout_per_hash", "above 0"),
        ({"from_warehouse": "yes"}, "from_warehouse", "true or false"),
        ({"dht_bootstrap_nodes": ["router:x"]}, "dht_bootstrap_nodes", "not 'host:port'"),
        ({"surprise": 1}, "surprise", "not a fetch setting"),
    ],
)
def test_bad_settings_name_the_key(settings, key, words):
    base = {"magnets": [NOBODY_HAS], "listen_interface": "127.0.0.1"}
    merged = {**base, **settings}
    if merged.get("listen_interface") is None:
        del merged["listen_interface"]
    problems = check_settings(merged)
    assert any(p.startswith(f"{key}:") and words in p for p in problems), problems
    with pytest.raises(SwarmSettingsInvalid) as caught:
        read_settings(merged)
    assert caught.value.code == "swarm.settings_invalid"


def test_nothing_to_fetch_is_a_problem():
    problems = check_settings({"listen_interface": "127.0.0.1"})
    assert any(p.startswith("magnets:") and "nothing to fetch" in p for p in problems)


def test_hostile_magnet_texts_are_refused_not_crashing():
    hostile = [
        "magnet:?" + "&".join(["xt=urn:btih:" + "0" * 40] * 2 + ["xt=urn:btih:" + "1" * 40]),
        "magnet:?xt=urn:btih:" + NOBODY_HAS + "&dn=" + "%ff%fe" * 5000,
        "\u202emagnet:?xt=urn:btih:" + NOBODY_HAS,
        "magnet:?xt=urn:btih:" + NOBODY_HAS[:-1] + "\x00",
        "",
        " " * 10_000,
    ]
    for text in hostile:
        problems = check_settings({"magnets": [text], "listen_interface": "127.0.0.1"})
        if text.startswith("magnet:?xt=urn:btih:" + NOBODY_HAS + "&dn="):
            assert problems == []  # an odd name is still a fine magnet
        else:
            assert problems and problems[0].startswith("magnets: item 1:"), (text[:40], problems)


def test_target_keeps_the_operators_magnet_with_its_trackers():
    link = f"magnet:?xt=urn:btih:{NOBODY_HAS}&tr=udp%3A%2F%2F127.0.0.1%3A6969"
    target = target_from_text(link)
    assert target.magnet == link and target.ref == f"settings:{NOBODY_HAS}"


# --- real peers ----------------------------------------------------------------------------


@pytest.mark.slow
def test_fetches_file_list_from_transmission_with_zero_payload(loopback_only, tmp_path: Path):
    download = tmp_path / "seed-data"
    content = write_payload(download)
    torrent_path = tmp_path / "holiday.torrent"
    original = parse_torrent(transmission_create(content, torrent_path))
    fetch_dir_before = set(Path("/tmp").glob("torrentwatch-fetch-*"))
    with transmission_seed(tmp_path, torrent_path, download) as seed:
        magnet = f"magnet:?xt=urn:btih:{original.infohash}&dn=Holiday.Photos.2024"
        ctx, items, paced = make_ctx(
            {
                "magnets": [magnet],
                "peers": [f"{LOOPBACK}:{seed.peer_port}"],
                "listen_interface": LOOPBACK,
                "timeout_per_hash": 30,
            }
        )
        started = time.monotonic()
        summary = run_fetch(ctx)
        elapsed = time.monotonic() - started
        uploaded = seed.remote("--torrent", "all", "--info")
    assert summary.fetched == 1 and summary.failed == 0, summary
    assert summary.payload_bytes == 0
    assert summary.session_payload_bytes == 0
    assert "Uploaded: None" in uploaded or "Uploaded: 0" in uploaded, uploaded
    assert len(items) == 1 and len(paced) == 1
    item = items[0]
    assert item.kind == "torrent" and item.infohash == original.infohash
    assert LOOPBACK not in item.source_ref and str(seed.peer_port) not in item.source_ref
    fetched = parse_torrent(item.payload)
    assert fetched.infohash == original.infohash
    assert fetched.name == original.name == "Holiday.Photos.2024"
    assert fetched.files.paths == original.files.paths
    assert fetched.files.sizes == original.files.sizes
    assert fetched.total_size == original.total_size
    assert ctx.state.get("last_run")["fetched"] == 1
    assert ctx.state.get("fetched") == [original.infohash]
    # nothing was written anywhere for the fetch, and its scratch folder is gone
    assert set(Path("/tmp").glob("torrentwatch-fetch-*")) == fetch_dir_before
    assert directory_bytes(download) == sum(original.files.sizes)
    print(f"\nfetch from transmission: {elapsed:.2f}s")


@pytest.mark.slow
def test_hash_nobody_has_times_out_and_is_counted(loopback_only):
    settings = {
        "magnets": [NOBODY_HAS],
        "listen_interface": LOOPBACK,
        "timeout_per_hash": 1,
        "give_up_after": 2,
    }
    ctx, items, _ = make_ctx(settings, seconds=20)
    started = time.monotonic()
    gather(ctx)
    assert time.monotonic() - started < 10
    assert items == []
    last = ctx.state.get("last_run")
    assert last["failed"] == 1 and last["fetched"] == 0 and last["payload_bytes"] == 0
    assert last["failed_hashes"] == [NOBODY_HAS]
    assert ctx.state.get("failures") == {NOBODY_HAS: 1}
    # a second run counts again, a third gives up on it
    ctx2, _, _ = make_ctx(settings, seconds=20, state=ctx.state)
    gather(ctx2)
    assert ctx.state.get("failures") == {NOBODY_HAS: 2}
    ctx3, _, paced = make_ctx(settings, seconds=20, state=ctx.state)
    summary = run_fetch(ctx3)
    assert summary.given_up == 1 and summary.attempted == 0 and paced == []


@pytest.mark.slow
def test_deadline_stops_the_run_and_counts_unfinished(loopback_only):
    hashes = [f"{i:040x}" for i in range(1, 6)]
    settings = {
        "magnets": hashes,
        "listen_interface": LOOPBACK,
        "timeout_per_hash": 60,
        "concurrency": 2,
    }
    ctx, items, paced = make_ctx(settings, seconds=3)
    started = time.monotonic()
    summary = run_fetch(ctx)
    assert time.monotonic() - started < 4
    assert summary.unfinished == 5 and summary.failed == 0 and summary.attempted == 2
    assert items == []
    assert len(paced) == 2  # bounded concurrency: only two were started
    assert ctx.state.get("failures") == {}


def _warehouse_with_magnet_only(path: Path, infohash: str) -> None:
    from parsers.columnar import build_batch
    from parsers.records import Sighting
    from warehouse.db import connect
    from warehouse.load import load_batch
    from warehouse.runs import start_run

    con = connect(str(path), create=True)
    metas = magnet_to_metas(parse_magnet(f"magnet:?xt=urn:btih:{infohash}&dn=Linux.Mint.22"))
    seen = Sighting(source="test", source_ref="magnet", seen_at=datetime.now(UTC))
    load_batch(con, build_batch([(m, seen) for m in metas], []), start_run(con, "test"))
    con.close()


@pytest.mark.slow
def test_from_warehouse_tries_torrents_without_metadata(loopback_only, tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    _warehouse_with_magnet_only(path, NOBODY_HAS)
    settings = {"from_warehouse": True, "listen_interface": LOOPBACK, "timeout_per_hash": 1}
    ctx, _, paced = make_ctx(settings, seconds=20, extra={"warehouse": str(path)})
    summary = run_fetch(ctx)
    assert summary.attempted == 1 and summary.failed_hashes == (NOBODY_HAS,) and len(paced) == 1
    # given up on: the next run's query leaves it out
    ctx2, _, paced2 = make_ctx(
        {**settings, "give_up_after": 1},
        seconds=20,
        extra={"warehouse": str(path)},
        state=ctx.state,
    )
    assert run_fetch(ctx2).attempted == 0 and paced2 == []


def test_unreadable_warehouse_is_a_clear_error(tmp_path: Path):
    settings = {"from_warehouse": True, "listen_interface": LOOPBACK}
    missing = tmp_path / "nope" / "warehouse.duckdb"
    ctx, _, _ = make_ctx(settings, extra={"warehouse": str(missing)})
    with pytest.raises(SwarmWarehouseUnreadable) as caught:
        gather(ctx)
    assert caught.value.code == "swarm.warehouse_unreadable" and str(missing) in str(caught.value)
    not_duckdb = tmp_path / "junk.duckdb"
    not_duckdb.write_bytes(b"\x00\xff not a database" * 100)
    ctx, _, _ = make_ctx(settings, extra={"warehouse": str(not_duckdb)})
    with pytest.raises(SwarmWarehouseUnreadable):
        gather(ctx)


@pytest.mark.slow
def test_monitor_fills_in_metadata_for_a_warehouse_magnet(loopback_only, tmp_path: Path):
    """End to end: sources.yaml -> forked source -> landing zone -> loader -> warehouse."""
    import duckdb

    from torrentwatch.monitor import monitor

    download = tmp_path / "seed-data"
    content = write_payload(download)
    torrent_path = tmp_path / "holiday.torrent"
    original = parse_torrent(transmission_create(content, torrent_path))
    db = tmp_path / "warehouse.duckdb"
    _warehouse_with_magnet_only(db, original.infohash)
    with transmission_seed(tmp_path, torrent_path, download) as seed:
        config = tmp_path / "sources.yaml"
        config.write_text(
            "landing: landing\n"
            "sources:\n"
            "  - name: swarm\n"
            "    kind: fetch\n"
            "    timeout: 60\n"
            "    rate_limit: 10\n"
            "    settings:\n"
            "      from_warehouse: true\n"
            f"      listen_interface: {LOOPBACK}\n"
            f'      peers: ["{LOOPBACK}:{seed.peer_port}"]\n'
            "      timeout_per_hash: 30\n"
        )
        summary = monitor(config, db, once=True)
    (gathered,) = summary.gathers
    assert gathered.status == "ok" and gathered.new == 1, gathered
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute(
        "SELECT has_metadata, name, file_count, total_size FROM torrents WHERE infohash = ?",
        [original.infohash],
    ).fetchone()
    paths = [
        p
        for (p,) in con.execute(
            "SELECT path FROM files WHERE infohash = ? ORDER BY file_index", [original.infohash]
        ).fetchall()
    ]
    con.close()
    assert row == (True, "Holiday.Photos.2024", original.file_count, original.total_size)
    assert paths == list(original.files.paths)
    state = json.loads((tmp_path / "landing" / "state" / "swarm.json").read_text())
    assert state["last_run"]["payload_bytes"] == 0
    assert state["last_run"]["session_payload_bytes"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("hostile", ["forged_metadata", "junk_bytes"])
def test_hostile_peer_is_a_counted_failure(loopback_only, hostile):
    """A peer that serves metadata of another torrent (it cannot verify against the
    infohash) or sends junk: nothing lands, the hash counts as failed, 0 payload."""
    import libtorrent as lt

    from tests.swarm import FakeMetadataPeer

    forged = lt.bencode(
        {b"name": b"Kart.Racer.PAL", b"length": 1024, b"piece length": 16384, b"pieces": b"\0" * 20}
    )
    if hostile == "forged_metadata":
        peer = FakeMetadataPeer(metadata=forged)
    else:
        peer = FakeMetadataPeer(junk=b"\xff" * 70_000)
    try:
        settings = {
            "magnets": [NOBODY_HAS],
            "peers": [f"{LOOPBACK}:{peer.port}"],
            "listen_interface": LOOPBACK,
            "timeout_per_hash": 10,  # libtorrent tries uTP first (~4 s) before TCP
        }
        ctx, items, _ = make_ctx(settings, seconds=30)
        summary = run_fetch(ctx)
    finally:
        peer.close()
    assert peer.connections >= 1
    if hostile == "forged_metadata":
        assert peer.served >= 1  # libtorrent asked, got bytes, and refused them
    assert items == [] and summary.failed_hashes == (NOBODY_HAS,) and summary.fetched == 0
    assert summary.payload_bytes == 0 and summary.session_payload_bytes == 0
