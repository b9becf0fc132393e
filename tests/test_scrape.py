"""The scrape kind against Debian's opentracker on 127.0.0.1 (HTTP and UDP scrapes).

opentracker only answers infohashes on its whitelist; started as root it locks itself
into its root folder, so the whitelist path in its config is relative to that folder.
The test itself announces fake peers (127.0.0.1, made-up ports) so the tracker has
counts to report; the scrape kind never announces.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from common.errors import (
    ConfigError,
    ScrapeBadResponse,
    ScrapeError,
    ScrapeTimeout,
    ScrapeUnsupported,
)
from monitors import scrape
from monitors.base import Gathered
from monitors.scrape import UdpScraper, parse_http_scrape, scrape_url
from parsers.columnar import build_batch
from parsers.records import Sighting
from parsers.torrent import parse_torrent
from tests.gathering import DictState, make_ctx
from tests.swarm import free_port
from torrentwatch.synth import SynthTorrent, encode

SPECS = {
    "debian": SynthTorrent(
        name="debian-12.5.0-amd64-DVD-1.iso", files=(("debian-12.5.0-amd64-DVD-1.iso", 4_000_000),)
    ),
    "trailer": SynthTorrent(
        name="Harbor.Lights.Trailer.2026", files=(("Harbor.Lights.Trailer.2026/t.mp4", 900_000),)
    ),
    "film": SynthTorrent(
        name="Plan.9.from.Outer.Space.1957", files=(("Plan.9.from.Outer.Space.1957.mkv", 800_000),)
    ),
}
HASHES = {key: parse_torrent(encode(spec)).infohash for key, spec in SPECS.items()}
PAYLOAD_KEYS = {"infohash", "seeders", "leechers", "completed", "tracker", "scraped_at"}


# --- opentracker ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracker:
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/announce"

    @property
    def udp(self) -> str:
        return f"udp://127.0.0.1:{self.port}/announce"


def announce(
    tracker: Tracker, infohash: str, port: int, *, left: int, event: str, wait: float = 10.0
) -> None:
    """A raw HTTP announce of a fake peer 127.0.0.1:port (test set-up only).

    opentracker listens before it has read its whitelist and answers "not authorized"
    until then; such an announce changed nothing, so it is sent again (up to ``wait``)."""
    peer_id = f"-TW0001-{port:012d}".encode()
    query = "&".join(
        [
            "info_hash=" + quote(bytes.fromhex(infohash), safe=""),
            "peer_id=" + quote(peer_id, safe=""),
            f"port={port}",
            "uploaded=0",
            "downloaded=0",
            f"left={left}",
            "compact=1",
            f"event={event}",
        ]
    )
    deadline = time.monotonic() + wait
    while True:
        with urllib.request.urlopen(f"{tracker.http}?{query}", timeout=5) as reply:
            answer = reply.read()
        if b"interval" in answer or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert b"interval" in answer, answer[:200]


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory, loopback_only: None) -> Iterator[Tracker]:
    """opentracker on 127.0.0.1 with our hashes whitelisted, and peers announced:
    debian: 3 seeders (one just completed) and 2 leechers; trailer: 1 seeder;
    film: whitelisted, never announced."""
    root = tmp_path_factory.mktemp("opentracker")
    os.chmod(root, 0o755)  # it drops to 'nobody' after locking itself in here
    whitelist = root / "whitelist.txt"
    whitelist.write_text("".join(h + "\n" for h in HASHES.values()))
    os.chmod(whitelist, 0o644)
    port = free_port()
    config = root / "opentracker.conf"
    config.write_text(
        f"listen.tcp 127.0.0.1:{port}\n"
        f"listen.udp 127.0.0.1:{port}\n"
        "access.whitelist whitelist.txt\n"  # relative to tracker.rootdir
        f"tracker.rootdir {root}\n"
        "tracker.user nobody\n"
    )
    process = subprocess.Popen(
        ["opentracker", "-f", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_port(port, process)
        running = Tracker(port)
        for i in range(3):
            announce(running, HASHES["debian"], 40001 + i, left=0, event="started")
        announce(running, HASHES["debian"], 40001, left=0, event="completed")
        for i in range(2):
            announce(running, HASHES["debian"], 41001 + i, left=1000, event="started")
        announce(running, HASHES["trailer"], 42001, left=0, event="started")
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"opentracker exited with {process.returncode}: {output}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("opentracker did not start listening")


# --- a context the way the runner builds one --------------------------------------------


def run(
    settings: dict, state: DictState | None = None, extra: dict | None = None, seconds: float = 30
) -> list[Gathered]:
    ctx, items, _ = make_ctx(
        settings, seconds=seconds, extra=extra, state=state, name="fixture-scrape"
    )
    scrape.gather(ctx)
    return items


def counts(items: list[Gathered]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(tracker, infohash) -> (seeders, leechers, completed), checking each payload."""
    found = {}
    for item in items:
        payload = json.loads(item.payload)
        assert item.kind == "observation" and set(payload) == PAYLOAD_KEYS
        assert (payload["infohash"], payload["seeders"], payload["leechers"]) == (
            item.infohash,
            item.seeders,
            item.leechers,
        )
        assert item.source_ref == payload["tracker"]
        found[(payload["tracker"], payload["infohash"])] = (
            payload["seeders"],
            payload["leechers"],
            payload["completed"],
        )
    return found


# --- against opentracker ----------------------------------------------------------------


@pytest.mark.slow
def test_http_scrape_reads_opentracker_counts(tracker: Tracker):
    items = run({"trackers": [tracker.http], "infohashes": [HASHES["debian"], HASHES["trailer"]]})
    assert counts(items) == {
        (tracker.http, HASHES["debian"]): (3, 2, 1),
        (tracker.http, HASHES["trailer"]): (1, 0, 0),
    }


@pytest.mark.slow
def test_udp_scrape_reads_opentracker_counts(tracker: Tracker):
    wanted = [HASHES["debian"], HASHES["trailer"], HASHES["film"]]
    items = run({"trackers": [tracker.udp], "infohashes": wanted, "timeout": 2})
    assert counts(items) == {
        (tracker.udp, HASHES["debian"]): (3, 2, 1),
        (tracker.udp, HASHES["trailer"]): (1, 0, 0),
        (tracker.udp, HASHES["film"]): (0, 0, 0),
    }


@pytest.mark.slow
def test_scraping_announces_nothing_and_holds_no_peer_address(tracker: Tracker):
    settings = {"trackers": [tracker.http, tracker.udp], "infohashes": [HASHES["debian"]]}
    first, second = run(settings), run(settings)
    assert counts(first) == counts(second)  # our scrapes added no peer
    for item in first:
        text = json.loads(item.payload)
        assert "peers" not in text and all(
            "127.0.0.1" not in str(v) for k, v in text.items() if k != "tracker"
        )


@pytest.mark.slow
def test_batches_of_many_hashes(tracker: Tracker):
    unknown = [f"{i:040x}" for i in range(1, 150)]
    wanted = [*unknown[:69], HASHES["debian"], *unknown[69:]]  # 70th: past opentracker's 64
    items = run(
        {"trackers": [tracker.udp, tracker.http], "infohashes": wanted, "batch": 70, "timeout": 2}
    )
    found = counts(items)
    udp = [key for key in found if key[0] == tracker.udp]
    assert len(udp) == 150  # three requests of at most 70; UDP answers zeros for unknowns
    assert found[(tracker.udp, HASHES["debian"])] == (3, 2, 1)
    # HTTP leaves unknown hashes out, and takes at most 64 a request, or the 70th is lost
    assert [key for key in found if key[0] == tracker.http] == [(tracker.http, HASHES["debian"])]
    assert found[(tracker.http, HASHES["debian"])] == (3, 2, 1)


def make_warehouse(path: Path, keys: list[str]) -> None:
    from warehouse.db import connect
    from warehouse.load import load_batch
    from warehouse.runs import start_run

    con = connect(path, create=True)
    metas = [
        (parse_torrent(encode(SPECS[k])), Sighting("test", k, datetime.now(UTC))) for k in keys
    ]
    load_batch(con, build_batch(metas, []), start_run(con, "test"))
    con.close()


@pytest.mark.slow
def test_from_warehouse_scrapes_known_torrents_a_page_per_run(tracker: Tracker, tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path, ["debian", "trailer"])
    state = DictState()
    settings = {"trackers": [tracker.udp], "from_warehouse": True, "warehouse_limit": 1}
    extra = {"warehouse": str(path)}
    pages = [counts(run(settings, state, extra)) for _ in range(3)]
    first, second = sorted([HASHES["debian"], HASHES["trailer"]])
    assert [list(page) for page in pages] == [
        [(tracker.udp, first)],
        [(tracker.udp, second)],
        [(tracker.udp, first)],  # wrapped around
    ]
    everything = run({**settings, "warehouse_limit": 100}, None, extra)
    assert counts(everything)[(tracker.udp, HASHES["debian"])] == (3, 2, 1)


@pytest.mark.slow
def test_a_dead_tracker_does_not_stop_the_others(tracker: Tracker):
    dead = f"udp://127.0.0.1:{free_port()}/announce"
    state = DictState()
    items = run(
        {"trackers": [dead, tracker.http], "infohashes": [HASHES["trailer"]], "timeout": 0.3},
        state,
    )
    assert counts(items) == {(tracker.http, HASHES["trailer"]): (1, 0, 0)}
    assert list(state.get("tracker_errors")) == [dead]
    with pytest.raises(ScrapeError, match="every tracker failed"):
        run({"trackers": [dead], "infohashes": [HASHES["trailer"]], "timeout": 0.3, "retries": 0})


def test_warehouse_that_cannot_be_read_is_a_clear_error(tmp_path: Path):
    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    with pytest.raises(ScrapeError, match="read-only"):
        run(
            {"trackers": ["udp://127.0.0.1:9/announce"], "from_warehouse": True},
            extra={"warehouse": str(missing)},
        )


# --- UDP protocol details, against a scripted peer on loopback ---------------------------


class ScriptedUdpTracker:
    """A UDP peer that answers BEP 15 requests the way a test scripts: dropping some,
    sending stale transaction ids, or errors; for what opentracker never does."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"udp://127.0.0.1:{self.sock.getsockname()[1]}/announce"
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                packet, peer = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            self.received.append(packet)
            step = self.script.pop(0) if self.script else "answer"
            action, tid = struct.unpack_from(">II", packet, 8)
            if step == "drop":
                continue
            if step == "stale":
                self.sock.sendto(struct.pack(">IIQ", action, tid ^ 1, 7), peer)
            if step == "error":
                self.sock.sendto(struct.pack(">II", 3, tid) + b"scrape disabled here", peer)
                continue
            if action == 0:
                self.sock.sendto(struct.pack(">IIQ", 0, tid, 0xC0FFEE), peer)
            else:
                hashes = (len(packet) - 16) // 20
                body = b"".join(struct.pack(">III", 5 + i, 9, 2) for i in range(hashes))
                self.sock.sendto(struct.pack(">II", 2, tid) + body, peer)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def scripted(loopback_only: None):
    made: list[ScriptedUdpTracker] = []

    def make(script: list[str]) -> ScriptedUdpTracker:
        made.append(ScriptedUdpTracker(script))
        return made[-1]

    yield make
    for peer in made:
        peer.close()


def test_udp_retransmits_and_skips_replies_with_another_transaction_id(scripted):
    peer = scripted(["drop", "stale", "answer"])
    paced: list[float] = []
    with UdpScraper(peer.url, 0.2, 3, lambda: paced.append(1), time.monotonic() + 10) as client:
        got = client.scrape(["aa" * 20, "bb" * 20])
    assert len(paced) == len(peer.received) == 3  # the rate limit is asked before each send
    assert [(c.wire_hash, c.seeders, c.completed, c.leechers) for c in got] == [
        ("aa" * 20, 5, 9, 2),
        ("bb" * 20, 6, 9, 2),
    ]
    connects = [p for p in peer.received if struct.unpack_from(">I", p, 8)[0] == 0]
    assert len(connects) == 2  # the dropped one was sent again
    tids = {struct.unpack_from(">I", p, 12)[0] for p in connects}
    assert len(tids) == 2  # a fresh transaction id for each try
    assert all(struct.unpack_from(">Q", p)[0] == 0x41727101980 for p in connects)
    scrape_packet = peer.received[-1]
    assert struct.unpack_from(">QI", scrape_packet) == (0xC0FFEE, 2)


def test_udp_tracker_error_is_reported(scripted):
    peer = scripted(["answer", "error"])
    with (
        UdpScraper(peer.url, 0.5, 1, lambda: None, time.monotonic() + 10) as client,
        pytest.raises(ScrapeError, match="scrape disabled here"),
    ):
        client.scrape(["aa" * 20])


def test_udp_silence_times_out_within_the_bep_schedule(scripted):
    peer = scripted(["drop"] * 10)
    started = time.monotonic()
    with (
        UdpScraper(peer.url, 0.2, 2, lambda: None, time.monotonic() + 10) as client,
        pytest.raises(ScrapeTimeout, match="3 tries"),
    ):
        client.scrape(["aa" * 20])
    elapsed = time.monotonic() - started
    assert 1.3 <= elapsed < 4  # 0.2 + 0.4 + 0.8 seconds
    assert len(peer.received) == 3


def test_udp_stops_at_the_deadline(scripted):
    peer = scripted(["drop"] * 10)
    started = time.monotonic()
    with (
        UdpScraper(peer.url, 5, 8, lambda: None, started + 0.5) as client,
        pytest.raises(ScrapeTimeout),
    ):
        client.scrape(["aa" * 20])
    assert time.monotonic() - started < 3


# --- HTTP scrape replies and URLs (pure) ------------------------------------------------


def test_scrape_urls_follow_bep48():
    assert scrape_url("http://127.0.0.1:6969/announce") == "http://127.0.0.1:6969/scrape"
    assert (
        scrape_url("https://127.0.0.1/x/announce.php?passkey=abc")
        == "https://127.0.0.1/x/scrape.php?passkey=abc"
    )
    for unsupported in ("http://127.0.0.1/a", "http://127.0.0.1/announce/x"):
        with pytest.raises(ScrapeUnsupported):
            scrape_url(unsupported)


def reply(files: dict) -> bytes:
    import libtorrent as lt

    return lt.bencode({b"files": files})


def test_http_reply_counts_only_what_was_asked():
    asked = {"aa" * 20}
    body = reply(
        {
            bytes.fromhex("aa" * 20): {b"complete": 4, b"incomplete": 1, b"downloaded": 9},
            bytes.fromhex("bb" * 20): {b"complete": 1, b"incomplete": 1, b"downloaded": 1},
            b"short": {b"complete": 1},
        }
    )
    got = parse_http_scrape(body, "http://127.0.0.1/announce", asked)
    assert [(c.wire_hash, c.seeders, c.completed, c.leechers) for c in got] == [
        ("aa" * 20, 4, 9, 1)
    ]


@pytest.mark.parametrize(
    ("body", "error", "words"),
    [
        (b"", ScrapeBadResponse, "not a bencoded dictionary"),
        (b"<html>503</html>", ScrapeBadResponse, "not bencoded"),
        (b"d5:filesd", ScrapeBadResponse, "not bencoded"),
        (b"l" * 100_000 + b"e" * 100_000, ScrapeBadResponse, "not bencoded"),
        (b"d14:failure reason11:not allowede", ScrapeError, "not allowed"),
        (b"d5:filesl1:xee", ScrapeBadResponse, "no 'files'"),
        (b"i42e", ScrapeBadResponse, "not a bencoded dictionary"),
    ],
)
def test_hostile_http_replies_are_clear_errors(body: bytes, error: type, words: str):
    with pytest.raises(error, match=words):
        parse_http_scrape(body, "http://127.0.0.1/announce", {"aa" * 20})


def test_negative_or_odd_counts_are_skipped():
    body = reply({bytes.fromhex("aa" * 20): {b"complete": -1, b"incomplete": 1}})
    assert parse_http_scrape(body, "http://127.0.0.1/announce", {"aa" * 20}) == []
    body = reply({bytes.fromhex("aa" * 20): {b"complete": b"many"}})
    assert parse_http_scrape(body, "http://127.0.0.1/announce", {"aa" * 20}) == []


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"infohashes": ["aa" * 20]}, "trackers:"),
        ({"trackers": [], "infohashes": ["aa" * 20]}, "trackers:"),
        ({"trackers": ["ftp://127.0.0.1/announce"], "infohashes": ["aa" * 20]}, "trackers:"),
        ({"trackers": ["udp://127.0.0.1/announce"], "infohashes": ["aa" * 20]}, "trackers:"),
        ({"trackers": ["http://127.0.0.1/tracker"], "infohashes": ["aa" * 20]}, "trackers:"),
        ({"trackers": ["udp://127.0.0.1:1/a"]}, "infohashes:"),
        ({"trackers": ["udp://127.0.0.1:1/a"], "infohashes": ["xyz"]}, "infohashes:"),
        (
            {"trackers": ["udp://127.0.0.1:1/a"], "infohashes": ["aa" * 20], "from_warehouse": 1},
            "from_warehouse:",
        ),
        ({"trackers": ["udp://127.0.0.1:1/a"], "infohashes": ["aa" * 20], "batch": 75}, "batch:"),
        (
            {"trackers": ["udp://127.0.0.1:1/a"], "infohashes": ["aa" * 20], "timeout": -1},
            "timeout:",
        ),
        ({"trackers": ["udp://127.0.0.1:1/a"], "infohashes": ["aa" * 20], "peers": 1}, "peers:"),
    ],
)
def test_bad_settings_are_named_by_key(settings: dict, key: str):
    problems = scrape.check_settings(settings)
    assert problems and all(p.startswith(key) for p in problems), problems


def test_good_settings_pass_and_bad_ones_stop_gather():
    good = {"trackers": ["udp://127.0.0.1:6969/announce"], "from_warehouse": True}
    assert scrape.check_settings(good) == []
    assert (
        scrape.check_settings(
            {"trackers": ["http://127.0.0.1/announce"], "infohashes": ["ab" * 32]}
        )
        == []
    )
    with pytest.raises(ConfigError, match="trackers:"):
        run({"trackers": "udp://127.0.0.1:6969"})
