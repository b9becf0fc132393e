"""The dht kind on a private three-node libtorrent DHT on 127.0.0.1 (BEP 51 + BEP 9)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import libtorrent as lt
import pytest

from common.errors import SwarmSettingsInvalid
from monitors.dht import SampleWalker, check_settings, own_node_ids, read_settings, run_dht
from monitors.lt_session import Endpoint, SessionPlan, open_session, session_settings
from parsers.torrent import parse_torrent
from tests.gathering import make_ctx
from tests.swarm import (
    LOOPBACK,
    announce_until_stored,
    seed_with_libtorrent,
    start_dht_network,
    wait_for,
    write_payload,
)
from tests.torrent_fixtures import transmission_create

# --- settings ------------------------------------------------------------------------------


def test_valid_settings_have_no_problems():
    settings = {
        "listen_interface": "127.0.0.1",
        "dht_bootstrap_nodes": ["127.0.0.1:6881", "router.example.invalid:6881", "[::1]:6881"],
        "max_queries": 50,
        "timeout_per_hash": 10,
        "fetch_metadata": False,
    }
    assert check_settings(settings) == []
    read = read_settings(settings)
    assert [e.port for e in read.dht_bootstrap] == [6881, 6881, 6881]
    assert read.fetch_metadata is False and read.max_queries == 50


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ({"dht_bootstrap_nodes": []}, "dht_bootstrap_nodes", "required"),
        ({"dht_bootstrap_nodes": None}, "dht_bootstrap_nodes", "required"),
        ({"dht_bootstrap_nodes": ["127.0.0.1"]}, "dht_bootstrap_nodes", "not 'host:port'"),
        ({"dht_bootstrap_nodes": ["[1:::2::3]:1"]}, "dht_bootstrap_nodes", "no valid IPv6"),
        ({"dht_bootstrap_nodes": "127.0.0.1:1"}, "dht_bootstrap_nodes", "must be a list"),
        ({"dht_bootstrap_nodes": ["127.0.0.1:99999"]}, "dht_bootstrap_nodes", "outside 1-65535"),
        ({"max_queries": 0}, "max_queries", "whole number"),
        ({"max_infohashes": 1.5}, "max_infohashes", "whole number"),
        ({"fetch_metadata": "no"}, "fetch_metadata", "true or false"),
        ({"timeout_per_hash": 0}, "timeout_per_hash", "above 0"),
        ({"listen_interface": "0.0.0.0.0"}, "listen_interface", "not an IP address"),
        ({"peers": ["127.0.0.1:1"]}, "peers", "not a dht setting"),
    ],
)
def test_bad_settings_name_the_key(settings, key, words):
    merged = {"listen_interface": "127.0.0.1", "dht_bootstrap_nodes": ["127.0.0.1:6881"]}
    merged.update(settings)
    problems = check_settings(merged)
    assert any(p.startswith(f"{key}:") and words in p for p in problems), problems
    with pytest.raises(SwarmSettingsInvalid):
        read_settings(merged)


def test_session_never_uses_public_bootstrap_or_port_mapping():
    settings = session_settings(SessionPlan(dht=True))
    assert settings["dht_bootstrap_nodes"] == ""
    assert lt.default_settings()["dht_bootstrap_nodes"] != ""  # the default we override
    assert settings["enable_upnp"] is False and settings["enable_natpmp"] is False
    assert settings["enable_lsd"] is False
    assert settings["listen_interfaces"] == "127.0.0.1:0"
    # loopback/private nodes only when asked for
    assert "dht_restrict_routing_ips" not in settings


# --- a real three-node DHT ---------------------------------------------------------------


@pytest.mark.slow
def test_dht_samples_an_announced_torrent_and_fetches_it(loopback_only, tmp_path: Path):
    seed_dir = tmp_path / "seed-data"
    content = write_payload(seed_dir)
    torrent = transmission_create(content, tmp_path / "holiday.torrent")  # v1 only
    original = parse_torrent(torrent)
    plain, seeder = start_dht_network(seeding=True)
    infohash = seed_with_libtorrent(seeder, torrent, seed_dir)
    assert infohash == original.infohash
    # Also announce a hash nobody seeds: its metadata cannot come, so it must land as
    # a magnet (nothing the DHT showed is lost).
    orphan = os.urandom(20).hex()
    announce_until_stored(seeder, plain, [infohash, orphan])
    settings = {
        "listen_interface": LOOPBACK,
        "dht_bootstrap_nodes": [f"{LOOPBACK}:{plain.endpoint.port}"],
        "dht_allow_local_nodes": True,
        "max_infohashes": 2,
        "timeout_per_hash": 6,
        "concurrency": 2,
    }
    peers_listed = plain.count("dht.dht_peers"), seeder.count("dht.dht_peers")
    ctx, items, paced = make_ctx(settings, seconds=60)
    started = time.monotonic()
    summary = run_dht(ctx)
    elapsed = time.monotonic() - started
    # The source looked peers up but never announced itself as one of them.
    time.sleep(1)
    assert (plain.count("dht.dht_peers"), seeder.count("dht.dht_peers")) == peers_listed
    by_kind = {item.kind: item for item in items}
    assert sorted(by_kind) == ["magnet", "torrent"], (
        summary,
        [(i.kind, i.infohash) for i in items],
    )
    fetched = parse_torrent(by_kind["torrent"].payload)
    assert fetched.infohash == original.infohash
    assert fetched.files.paths == original.files.paths
    assert fetched.files.sizes == original.files.sizes
    assert by_kind["magnet"].payload == f"magnet:?xt=urn:btih:{orphan}".encode()
    assert by_kind["magnet"].infohash == orphan
    assert summary.new_infohashes == 2 and summary.fetched == 1 and summary.magnets == 1
    assert summary.payload_bytes == 0 and summary.session_payload_bytes == 0
    assert summary.queries >= 1 and len(paced) >= summary.queries + 1  # queries and the fetches
    # no node or peer address is kept anywhere the run wrote to
    written = json.dumps(ctx.state.values) + "".join(i.source_ref for i in items)
    assert LOOPBACK not in written and str(seeder.endpoint.port) not in written
    assert sorted(ctx.state.get("seen")) == sorted([infohash, orphan])
    # the next run treats both as seen: nothing new, nothing emitted again
    ctx2, items2, _ = make_ctx({**settings, "max_queries": 3}, seconds=30, state=ctx.state)
    again = run_dht(ctx2)
    assert again.new_infohashes == 0 and items2 == [] and again.samples >= 2
    print(f"\ndht sample + fetch: {elapsed:.2f}s, {summary}")


@pytest.mark.slow
def test_dht_without_fetch_lands_magnets_and_respects_query_budget(loopback_only):
    plain, other = start_dht_network()
    announced = [os.urandom(20).hex() for _ in range(3)]
    announce_until_stored(other, plain, announced)
    settings = {
        "listen_interface": LOOPBACK,
        "dht_bootstrap_nodes": [f"{LOOPBACK}:{plain.endpoint.port}"],
        "dht_allow_local_nodes": True,
        "fetch_metadata": False,
        "max_queries": 2,
    }
    ctx, items, paced = make_ctx(settings, seconds=30)
    summary = run_dht(ctx)
    assert summary.queries == 2 and len(paced) == 2
    assert {i.infohash for i in items} >= set(announced)
    assert all(i.kind == "magnet" for i in items)
    assert summary.payload_bytes == 0 and summary.session_payload_bytes == 0


@pytest.mark.slow
def test_unreachable_bootstrap_ends_cleanly_at_the_deadline(loopback_only):
    settings = {
        "listen_interface": LOOPBACK,
        "dht_bootstrap_nodes": [f"{LOOPBACK}:9"],  # nothing answers there
        "dht_allow_local_nodes": True,
        "timeout_per_hash": 1,
    }
    ctx, items, _ = make_ctx(settings, seconds=8)
    started = time.monotonic()
    summary = run_dht(ctx)
    assert time.monotonic() - started < 8
    assert items == [] and summary.replies == 0 and summary.new_infohashes == 0


@pytest.mark.slow
def test_walker_reads_nodes_from_its_routing_table(loopback_only):
    """Bootstrap routers named by host never enter the walk; what libtorrent's routing
    table learns from them does, through dht_live_nodes."""
    plain, _other = start_dht_network()
    plan = SessionPlan(
        dht=True,
        dht_bootstrap=(plain.endpoint,),
        dht_allow_local_nodes=True,
    )
    session = open_session(plan)
    assert own_node_ids(session)
    walker = SampleWalker(session, (), max_nodes=10, pace=lambda: None)
    assert walker.due == {}

    def learned() -> bool:
        walker.last_live_nodes = float("-inf")
        walker.query_if_due()
        session.wait_for_alert(200)
        for alert in session.pop_alerts():
            walker.on_alert(alert)
        return {port for _, port in walker.due} >= {plain.endpoint.port}

    wait_for(learned, 20, "the walk to learn nodes from the routing table", every=0.1)
    assert all(host == LOOPBACK for host, _ in walker.due)
    hostname_start = SampleWalker(
        session, (Endpoint("router.example.invalid", 6881),), max_nodes=10, pace=lambda: None
    )
    assert hostname_start.due == {}
