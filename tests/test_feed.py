"""The feed kind against a real HTTP server on 127.0.0.1 serving RSS, Atom and Torznab.

Fixture feeds live in tests/feeds/ (benign: Linux images, game trailers, public-domain
films); ``{base}`` in them is replaced by the test server's address. Enclosures are
benign synthetic torrents served by the same server.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import pytest
from cli_runner import run_cli

from common.errors import (
    ConfigError,
    FeedMalformed,
    FeedUnsafeXml,
    FetchBadContentType,
    FetchBadStatus,
    FetchBadUrl,
    FetchError,
    FetchTimeout,
    FetchTlsError,
    FetchTooLarge,
)
from monitors import feed
from monitors.base import GatherContext, Gathered
from monitors.http import HttpPolicy, fetch
from parsers.feed_items import NamedHash, parse_feed, undelivered
from parsers.magnet import parse_magnet
from parsers.torrent import parse_torrent
from tests.gathering import DictState
from torrentwatch.synth import SynthTorrent, encode

FEEDS = Path(__file__).parent / "feeds"
TORRENTS = {
    "debian-netinst": SynthTorrent(
        name="debian-12.5.0-amd64-netinst.iso",
        files=(("debian-12.5.0-amd64-netinst.iso", 658_505_728),),
    ),
    "kart-trailer": SynthTorrent(
        name="Kart.Racer.2009.Launch.Trailer",
        files=(("Kart.Racer.2009.Launch.Trailer/trailer.1080p.mp4", 1_048_576),),
    ),
    "ubuntu": SynthTorrent(
        name="ubuntu-24.04-desktop-amd64.iso",
        files=(("ubuntu-24.04-desktop-amd64.iso", 6_114_656_256),),
    ),
    "alpine": SynthTorrent(
        name="alpine-standard-3.20.0-x86_64.iso",
        files=(("alpine-standard-3.20.0-x86_64.iso", 217_055_232),),
    ),
    "pixel-dungeon": SynthTorrent(
        name="Pixel.Dungeon.1.4.Linux",
        files=(("Pixel.Dungeon.1.4.Linux/pixel-dungeon.tar.gz", 18_874_368),),
    ),
    "comet-trailer": SynthTorrent(
        name="Comet.Chaser.2026.Trailer",
        files=(("Comet.Chaser.2026.Trailer/trailer.720p.mkv", 2_097_152),),
    ),
}
BITTORRENT = "application/x-bittorrent"
RSS = "application/rss+xml"

Route = Callable[[BaseHTTPRequestHandler], None]


# --- a real HTTP server ---------------------------------------------------------------


class FeedServer:
    """http.server on 127.0.0.1 in a thread; each test sets its routes."""

    def __init__(self, tls: bool = False) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()  # frees handlers that sleep, at teardown
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                # the client may give up (timeouts, size caps): expected
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:  # a self-signed certificate for IP 127.0.0.1, shipped with the fixtures
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(FEEDS / "loopback-tls.pem", FEEDS / "loopback-tls.key")
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?", 1)[0] == path)

    def fixture(self, name: str) -> bytes:
        return render(name, self.base)

    def serve_torrents(self) -> None:
        for key, spec in TORRENTS.items():
            self.routes[f"/t/{key}.torrent"] = static(encode(spec), BITTORRENT)


def render(name: str, base: str) -> bytes:
    """A fixture feed with ``{base}`` set to the server's address and ``{hash:KEY}``,
    ``{HASH:KEY}``, ``{b32:KEY}`` to the hex, upper-case hex, base32 infohash of the
    synthetic torrent KEY."""
    text = (FEEDS / name).read_text("utf-8").replace("{base}", base)
    for key in TORRENTS:
        infohash = infohash_of(key)
        text = text.replace(f"{{hash:{key}}}", infohash).replace(
            f"{{HASH:{key}}}", infohash.upper()
        )
        text = text.replace(f"{{b32:{key}}}", base64.b32encode(bytes.fromhex(infohash)).decode())
    return text.encode()


def _serving(tls: bool) -> Iterator[FeedServer]:
    running = FeedServer(tls)
    running.thread.start()
    yield running
    running.release.set()
    running.httpd.shutdown()
    running.httpd.server_close()


@pytest.fixture
def server(loopback_only: None) -> Iterator[FeedServer]:
    yield from _serving(tls=False)


@pytest.fixture
def tls_server(loopback_only: None) -> Iterator[FeedServer]:
    yield from _serving(tls=True)


def static(
    body: bytes,
    content_type: str | None = RSS,
    *,
    etag: str | None = None,
    modified: str | None = None,
) -> Route:
    """A document with optional validators; answers 304 to a matching conditional request."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        if (etag and handler.headers.get("If-None-Match") == etag) or (
            modified and handler.headers.get("If-Modified-Since") == modified
        ):
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(200)
        if content_type:
            handler.send_header("Content-Type", content_type)
        if etag:
            handler.send_header("ETag", etag)
        if modified:
            handler.send_header("Last-Modified", modified)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def in_turn(*routes: Route) -> Route:
    """Each request takes the next route; the last one repeats."""
    queue = list(routes)

    def route(handler: BaseHTTPRequestHandler) -> None:
        (queue.pop(0) if len(queue) > 1 else queue[0])(handler)

    return route


def drip(server: FeedServer, every: float, total: int = 10_000) -> Route:
    """Headers at once, then one byte every ``every`` seconds: a server that never ends."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", RSS)
        handler.end_headers()
        for _ in range(total):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if server.release.wait(every):
                return

    return route


def stream(size: int, chunk: int = 65536) -> Route:
    """``size`` bytes of feed-looking text with no Content-Length (ends at close)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", RSS)
        handler.end_headers()
        handler.wfile.write(b"<rss><channel>")
        for _ in range(size // chunk):
            handler.wfile.write(b"<!-- padding -->".ljust(chunk, b" "))

    return route


# --- a context the way the runner builds one --------------------------------------------


class Run:
    """One gather call's context and what it emitted."""

    def __init__(self, settings: dict, state: DictState | None = None, seconds: float = 30) -> None:
        self.items: list[Gathered] = []
        self.paces = 0
        self.state = state or DictState()
        self.ctx = GatherContext(
            name="fixture-feed",
            settings=settings,
            state=self.state,
            emit=self._emit,
            deadline=time.monotonic() + seconds,
            pace=self._pace,
        )

    def _emit(self, item: Gathered) -> bool:
        self.items.append(item)
        return True

    def _pace(self) -> None:
        self.paces += 1

    def gather(self) -> list[Gathered]:
        """What landed for loading; the ``reject`` items are in :attr:`rejects`."""
        feed.gather(self.ctx)
        return [item for item in self.items if item.kind != "reject"]

    @property
    def rejects(self) -> list[tuple[str, str, dict]]:
        return [
            (item.source_ref, item.source, json.loads(item.payload))
            for item in self.items
            if item.kind == "reject"
        ]

    def by_title(self) -> dict[str | None, Gathered]:
        return {item.title: item for item in self.items}


def infohash_of(key: str) -> str:
    return parse_torrent(encode(TORRENTS[key])).infohash


# --- RSS, Atom, Torznab -----------------------------------------------------------------


def test_rss_enclosures_land_as_torrents_and_magnet_links_as_magnets(server, caplog):
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"))
    server.serve_torrents()
    caplog.set_level(logging.WARNING, logger="monitors.feed")
    run = Run({"url": server.url("/rss.xml")})
    got = run.gather()

    assert [(g.kind, g.title) for g in got] == [
        ("torrent", "Debian 12.5 amd64 netinst"),
        ("magnet", "Night of the Living Dead (1968)"),
        ("torrent", "Kart Racer 2009 trailer (relative link)"),
    ]
    debian, notld, kart = got
    assert parse_torrent(debian.payload).infohash == infohash_of("debian-netinst")
    assert debian.source_ref == server.url("/t/debian-netinst.torrent")
    assert debian.category == "Linux ISO" and debian.source == "fixture-feed"
    assert parse_magnet(notld.payload.decode()).infohashes_v1 == (
        "acf3d3fc52a7fb39f9e29651c13a7d8da9a600f3",
    )
    assert parse_torrent(kart.payload).infohash == infohash_of("kart-trailer")
    # the item without any torrent is reported by position and id, and the rest went on;
    # it lands as a reject (filed in `rejects` by the loader), so nothing goes unseen
    assert "item 3 (rss-notes) left out" in caplog.text
    ((ref, source, record),) = run.rejects
    assert (ref, source) == (f"{server.url('/rss.xml')}#item-3", "fixture-feed")
    assert record["reason"] == "feed.item_invalid" and record["item_id"] == "rss-notes"


def test_atom_enclosure_links_and_magnet_hrefs(server, caplog):
    server.routes["/atom.xml"] = static(server.fixture("atom.xml"), "application/atom+xml")
    server.serve_torrents()
    caplog.set_level(logging.WARNING, logger="monitors.feed")
    run = Run({"url": server.url("/atom.xml")})
    run.gather()
    items = run.by_title()

    kart = items["Kart Racer 2009 launch trailer"]
    assert kart.kind == "torrent" and kart.category == "Trailers"
    assert parse_torrent(kart.payload).infohash == infohash_of("kart-trailer")
    galaxy = items["Galaxy Quest Pixel gameplay trailer"]
    assert galaxy.kind == "magnet"
    assert galaxy.source_ref == "urn:torrentwatch:fixture:atom:galaxy"
    assert "Developer blog post" not in items
    assert "urn:torrentwatch:fixture:atom:blog" in caplog.text


def test_torznab_attrs_give_counts_categories_and_magnets_from_infohashes(server, caplog):
    server.routes["/api"] = static(server.fixture("torznab.xml"))
    server.routes["/dl/ubuntu"] = static(encode(TORRENTS["ubuntu"]), BITTORRENT)
    arch_magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=archlinux-2026.01.01"
    server.routes["/dl/arch"] = status(302, {"Location": arch_magnet})
    caplog.set_level(logging.WARNING, logger="monitors.feed")
    run = Run({"url": server.url("/api?t=search&apikey=fixture")})
    run.gather()
    items = run.by_title()

    ubuntu = items["Ubuntu 24.04 Desktop amd64"]
    assert ubuntu.kind == "torrent"
    assert parse_torrent(ubuntu.payload).infohash == infohash_of("ubuntu")
    assert (ubuntu.seeders, ubuntu.leechers, ubuntu.category) == (42, 8, "4000")

    fedora = items["Fedora Workstation 40 x86_64"]
    link = parse_magnet(fedora.payload.decode())
    assert fedora.kind == "magnet" and fedora.infohash == "6ae899361087e9175e5fbce838781a2ecc21b805"
    assert link.infohashes_v1 == (fedora.infohash,)
    assert link.display_name == "Fedora Workstation 40 x86_64"
    assert (fedora.seeders, fedora.leechers) == (7, 2)

    hgf = items["His Girl Friday (1940)"]
    assert hgf.kind == "magnet" and hgf.payload.decode().startswith(
        "magnet:?xt=urn:btih:1dfbaaff4eb6eb14d4cd6b6f5cfdf9c2aa765fbf"
    )
    assert (hgf.seeders, hgf.leechers, hgf.category) == (3, 0, "2040")

    arch = items["Arch Linux 2026.01.01"]  # the download link redirected to a magnet
    assert arch.kind == "magnet" and arch.payload.decode() == arch_magnet

    assert "Broken infohash" not in items
    assert "tz-broken" in caplog.text and "not-a-hash" in caplog.text


def test_category_filter_takes_torznab_subcategories(server):
    server.routes["/api"] = static(server.fixture("torznab.xml"))
    server.routes["/dl/ubuntu"] = static(encode(TORRENTS["ubuntu"]), BITTORRENT)
    server.routes["/dl/arch"] = status(302, {"Location": "magnet:?xt=urn:btih:" + "ab" * 20})
    run = Run({"url": server.url("/api"), "categories": [4000]})
    titles = {g.title for g in run.gather()}
    assert titles == {
        "Ubuntu 24.04 Desktop amd64",
        "Fedora Workstation 40 x86_64",  # 4050 is under 4000
        "Arch Linux 2026.01.01",
    }
    named = Run({"url": server.url("/api"), "categories": ["2040"]}).gather()
    assert [g.title for g in named] == ["His Girl Friday (1940)"]


# --- polling: conditional requests and remembered ids -------------------------------------


def test_unchanged_feed_costs_one_304_by_etag(server):
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"), etag='"v1"')
    server.serve_torrents()
    state = DictState()
    assert len(Run({"url": server.url("/rss.xml")}, state).gather()) == 3
    before = len(server.requests)

    second = Run({"url": server.url("/rss.xml")}, state)
    assert second.gather() == []
    assert len(server.requests) == before + 1  # one request, no enclosure downloads
    path, headers = server.requests[-1]
    assert path == "/rss.xml" and headers.get("If-None-Match") == '"v1"'
    assert second.paces == 1


def test_unchanged_feed_costs_one_304_by_last_modified(server):
    stamp = "Mon, 01 Jan 2026 00:00:00 GMT"
    server.routes["/atom.xml"] = static(
        server.fixture("atom.xml"), "application/atom+xml", modified=stamp
    )
    server.serve_torrents()
    state = DictState()
    assert len(Run({"url": server.url("/atom.xml")}, state).gather()) == 2
    assert state.get("last_modified") == stamp
    before = len(server.requests)
    assert Run({"url": server.url("/atom.xml")}, state).gather() == []
    assert len(server.requests) == before + 1
    assert server.requests[-1][1].get("If-Modified-Since") == stamp


def rss_of(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid>"
        f"<link>magnet:?xt=urn:btih:{guid.encode().hex()[:40].ljust(40, '0')}</link></item>"
        for guid, title in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{body}</channel></rss>'.encode()


def test_changed_feed_gathers_only_items_not_seen_before(server):
    first = [("id-a", "Debian Live 12"), ("id-b", "Mint 22 Cinnamon")]
    second = [("id-c", "Alpine 3.20"), *first]
    server.routes["/rss.xml"] = in_turn(
        static(rss_of(first), etag='"1"'), static(rss_of(second), etag='"2"')
    )
    state = DictState()
    assert [g.title for g in Run({"url": server.url("/rss.xml")}, state).gather()] == [
        "Debian Live 12",
        "Mint 22 Cinnamon",
    ]
    assert [g.title for g in Run({"url": server.url("/rss.xml")}, state).gather()] == [
        "Alpine 3.20"
    ]
    assert state.get("seen") == ["id-a", "id-b", "id-c"] and state.get("etag") == '"2"'


def test_enclosure_that_failed_for_a_passing_reason_is_tried_again(server):
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"), etag='"v1"')
    server.serve_torrents()
    good = server.routes["/t/debian-netinst.torrent"]
    server.routes["/t/debian-netinst.torrent"] = in_turn(status(503), good)
    state = DictState()
    first = Run({"url": server.url("/rss.xml"), "retries": 0}, state).gather()
    assert {g.title for g in first} == {
        "Night of the Living Dead (1968)",
        "Kart Racer 2009 trailer (relative link)",
    }
    assert state.get("etag") is None  # not kept: the next poll must not get a 304

    second = Run({"url": server.url("/rss.xml"), "retries": 0}, state).gather()
    assert [(g.kind, g.title) for g in second] == [("torrent", "Debian 12.5 amd64 netinst")]
    assert state.get("etag") == '"v1"'


def test_items_left_at_the_deadline_are_gathered_at_the_next_poll(server):
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"), etag='"v1"')
    server.serve_torrents()
    good = server.routes["/t/debian-netinst.torrent"]

    def silent(handler: BaseHTTPRequestHandler) -> None:
        server.release.wait(30)

    server.routes["/t/debian-netinst.torrent"] = in_turn(silent, good)
    state = DictState()
    started = time.monotonic()
    first = Run({"url": server.url("/rss.xml")}, state, seconds=1.0).gather()
    assert time.monotonic() - started < 4  # the download was cut at the source's deadline
    assert first == [] and state.get("seen") == [] and state.get("etag") is None
    second = Run({"url": server.url("/rss.xml")}, state).gather()
    assert len(second) == 3 and state.get("etag") == '"v1"'


def test_enclosure_urls_with_spaces_and_non_ascii_are_fetched(server):
    rss = f"""<rss version="2.0"><channel>
      <item><title>Kart Racer</title><guid>odd-1</guid>
        <enclosure url="{server.base}/t/Kart Racer ü.torrent" type="application/x-bittorrent"/>
      </item>
      <item><title>Control byte</title><guid>odd-2</guid>
        <enclosure url="{server.base}/t/a&#x7f;b.torrent" type="application/x-bittorrent"/>
      </item>
    </channel></rss>""".encode()
    server.routes["/rss.xml"] = static(rss)
    server.routes["/t/Kart%20Racer%20%C3%BC.torrent"] = static(
        encode(TORRENTS["kart-trailer"]), BITTORRENT
    )
    server.routes["/t/a%7Fb.torrent"] = static(encode(TORRENTS["ubuntu"]), BITTORRENT)
    got = Run({"url": server.url("/rss.xml")}).gather()
    assert [parse_torrent(g.payload).infohash for g in got] == [
        infohash_of("kart-trailer"),
        infohash_of("ubuntu"),
    ]


def test_oversized_enclosure_is_reported_and_not_retried(server, caplog):
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"))
    server.serve_torrents()
    caplog.set_level(logging.WARNING, logger="monitors.feed")
    state = DictState()
    run = Run({"url": server.url("/rss.xml"), "torrent_max_bytes": 100}, state)
    got = run.gather()
    assert [g.kind for g in got] == ["magnet"]
    assert "fetch.too_large" in caplog.text
    assert "rss-debian-netinst" in state.get("seen")  # a permanent failure is not retried
    # ... so it is filed as a reject, with the reason
    failed = {ref: record for ref, _, record in run.rejects if record["reason"] == "fetch.failed"}
    assert "fetch.too_large" in failed[server.url("/t/debian-netinst.torrent")]["detail"]


# --- the client: retries, time, size, content type ---------------------------------------


def test_500_then_503_then_200_is_retried_with_pace_before_each_try(server):
    server.routes["/rss.xml"] = in_turn(status(500), status(503), static(server.fixture("rss.xml")))
    server.serve_torrents()
    run = Run({"url": server.url("/rss.xml"), "retries": 3})
    assert len(run.gather()) == 3
    assert server.hits("/rss.xml") == 3
    assert run.paces == 3 + 2  # three feed tries, two enclosure downloads


def test_retries_are_bounded_and_4xx_is_not_retried(server):
    server.routes["/down"] = status(500)
    server.routes["/gone"] = status(404)
    with pytest.raises(FetchBadStatus) as down:
        Run({"url": server.url("/down"), "retries": 1}).gather()
    assert down.value.status == 500 and server.hits("/down") == 2
    with pytest.raises(FetchBadStatus) as gone:
        Run({"url": server.url("/gone"), "retries": 3}).gather()
    assert gone.value.status == 404 and server.hits("/gone") == 1
    assert server.url("/gone") in str(gone.value)


def test_backoff_grows_and_stays_within_the_deadline(server):
    server.routes["/down"] = status(503)
    policy = HttpPolicy(timeout=2, retries=10, backoff=0.4)
    started = time.monotonic()
    with pytest.raises(FetchBadStatus):
        fetch(server.url("/down"), policy, deadline=started + 1.5)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert 2 <= server.hits("/down") <= 4  # 0.2-0.4, 0.4-0.8, then over the deadline


@pytest.mark.slow
def test_a_server_that_drips_bytes_meets_the_time_limit(server):
    server.routes["/slow.xml"] = drip(server, every=0.1)
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as err:
        Run({"url": server.url("/slow.xml"), "timeout": 1.0, "retries": 0}).gather()
    assert time.monotonic() - started < 4
    assert server.url("/slow.xml") in str(err.value)


@pytest.mark.slow
def test_a_server_that_never_answers_times_out(server):
    def silent(handler: BaseHTTPRequestHandler) -> None:
        server.release.wait(30)

    server.routes["/silent.xml"] = silent
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        Run({"url": server.url("/silent.xml"), "timeout": 0.5, "retries": 1}).gather()
    assert time.monotonic() - started < 4
    assert server.hits("/silent.xml") == 2  # a timeout is worth one more try


def test_oversized_feed_is_refused_by_announced_length_and_by_counting(server):
    big = b"<rss>" + b" " * 3_000_000 + b"</rss>"
    server.routes["/big.xml"] = static(big)
    server.routes["/endless.xml"] = stream(50_000_000)
    with pytest.raises(FetchTooLarge) as announced:
        Run({"url": server.url("/big.xml"), "max_bytes": 1_000_000}).gather()
    assert "announced" in str(announced.value)
    with pytest.raises(FetchTooLarge) as counted:
        Run({"url": server.url("/endless.xml"), "max_bytes": 1_000_000}).gather()
    assert "over the 1000000-byte cap" in str(counted.value)
    assert server.hits("/endless.xml") == 1  # a size cap is not retried


def test_wrong_content_type_is_refused_and_a_missing_one_parsed(server):
    server.routes["/page.html"] = static(server.fixture("rss.xml"), "text/html")
    server.routes["/bare.xml"] = static(server.fixture("rss.xml"), None)
    server.serve_torrents()
    with pytest.raises(FetchBadContentType) as err:
        Run({"url": server.url("/page.html")}).gather()
    assert "text/html" in str(err.value) and server.url("/page.html") in str(err.value)
    assert len(Run({"url": server.url("/bare.xml")}).gather()) == 3


def test_redirects_only_to_http(server):
    server.routes["/to-ftp"] = status(302, {"Location": "ftp://127.0.0.1/feed.xml"})
    server.routes["/to-file"] = status(302, {"Location": "file:///etc/hostname"})
    server.routes["/moved"] = status(301, {"Location": server.url("/rss.xml")})
    server.routes["/rss.xml"] = static(server.fixture("rss.xml"))
    server.serve_torrents()
    with pytest.raises(FetchBadUrl):
        Run({"url": server.url("/to-ftp")}).gather()
    with pytest.raises(FetchError):
        Run({"url": server.url("/to-file")}).gather()
    assert len(Run({"url": server.url("/moved")}).gather()) == 3


def test_https_verifies_certificates_and_trusts_a_given_ca_file(tls_server):
    tls_server.routes["/rss.xml"] = static(tls_server.fixture("rss.xml"), etag='"tls"')
    tls_server.serve_torrents()
    url = tls_server.url("/rss.xml")
    assert url.startswith("https://127.0.0.1:")
    with pytest.raises(FetchTlsError, match="CERTIFICATE_VERIFY_FAILED") as err:
        Run({"url": url, "retries": 3}).gather()
    assert url in str(err.value) and tls_server.requests == []  # refused, and not retried

    state = DictState()
    settings = {"url": url, "ca_file": str(FEEDS / "loopback-tls.pem")}
    got = Run(settings, state).gather()
    assert [g.kind for g in got] == ["torrent", "magnet", "torrent"]
    assert got[0].source_ref.startswith("https://127.0.0.1:")
    assert Run(settings, state).gather() == []  # and the 304 works over TLS too
    assert feed.check_settings({"url": url, "ca_file": "/nonexistent.pem"}) == [
        "ca_file: must be the path of a PEM certificate file, not '/nonexistent.pem'"
    ]


# --- hostile and broken documents --------------------------------------------------------


def test_malformed_feed_error_names_the_url_and_the_place(server):
    server.routes["/malformed.xml"] = static(server.fixture("malformed.xml"))
    with pytest.raises(FeedMalformed) as err:
        Run({"url": server.url("/malformed.xml")}).gather()
    message = str(err.value)
    assert server.url("/malformed.xml") in message
    assert "line 8" in message and "mismatched tag" in message


def test_billion_laughs_is_refused_before_expansion(server):
    server.routes["/lol.xml"] = static(server.fixture("billion_laughs.xml"))
    started = time.monotonic()
    with pytest.raises(FeedUnsafeXml) as err:
        Run({"url": server.url("/lol.xml")}).gather()
    assert time.monotonic() - started < 5
    assert err.value.code == "feed.unsafe_xml" and server.url("/lol.xml") in str(err.value)


def test_external_entities_are_refused():
    data = (FEEDS / "external_entity.xml").read_bytes()
    with pytest.raises(FeedUnsafeXml):
        parse_feed(data, "http://127.0.0.1/xxe.xml")


def test_deep_nesting_is_refused():
    data = b"<rss><channel>" + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</channel></rss>"
    with pytest.raises(FeedMalformed, match="nested more than 64 deep"):
        parse_feed(data, "http://127.0.0.1/deep.xml")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b'<?xml version="1.0" encoding="UTF-8"?><rss><channel><item><title>\xff\xfe', "line 1"),
        (b"<html><body>not a feed</body></html>", "<html>, not an RSS or Atom feed"),
        (b"\x00\x01\x02binary", "not well-formed"),
        (b"<rss><channel><item><title>cut off", "line 1"),
    ],
)
def test_broken_documents_give_clear_errors(data: bytes, expected: str):
    with pytest.raises(FeedMalformed) as err:
        parse_feed(data, "http://127.0.0.1/broken.xml")
    assert expected in str(err.value) and "http://127.0.0.1/broken.xml" in str(err.value)


def test_one_bad_item_does_not_drop_the_others():
    parsed = parse_feed(
        (FEEDS / "torznab.xml").read_text().replace("{base}", "http://127.0.0.1:1").encode(),
        "http://127.0.0.1:1/api",
    )
    assert len(parsed.entries) == 4 and parsed.format == "rss"
    assert [(p.position, p.item_id) for p in parsed.problems] == [(5, "tz-broken")]


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "url:"),
        ({"url": "ftp://127.0.0.1/feed"}, "url:"),
        ({"url": "file:///etc/hostname"}, "url:"),
        ({"url": "http://127.0.0.1/f", "categories": "4000"}, "categories:"),
        ({"url": "http://127.0.0.1/f", "timeout": 0}, "timeout:"),
        ({"url": "http://127.0.0.1/f", "retries": -1}, "retries:"),
        ({"url": "http://127.0.0.1/f", "retries": True}, "retries:"),
        ({"url": "http://127.0.0.1/f", "max_bytes": "1MB"}, "max_bytes:"),
        ({"url": "http://127.0.0.1/f", "torrent_max_bytes": 0}, "torrent_max_bytes:"),
        ({"url": "http://127.0.0.1/f", "remember": 5}, "remember:"),
        ({"url": "http://127.0.0.1/f", "ur1": "typo"}, "ur1:"),
    ],
)
def test_bad_settings_are_named_by_key(settings: dict, key: str):
    problems = feed.check_settings(settings)
    assert len(problems) == 1 and problems[0].startswith(key), problems


def test_good_settings_pass_and_bad_ones_stop_gather():
    assert feed.check_settings({"url": "https://127.0.0.1/api", "categories": [2000, "Film"]}) == []
    with pytest.raises(ConfigError, match="url:"):
        Run({"url": "nope"}).gather()


def test_other_torrent_feed_shapes():
    """RSS 1.0, ezRSS-style elements in any namespace, base32 and v2 infohashes, and
    relative Atom enclosures."""
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:t="http://example.invalid/ns/torrent">
  <channel rdf:about="http://127.0.0.1/"><title>Fixture</title></channel>
  <item rdf:about="urn:fixture:rdf:1">
    <title>Linux Mint 22 Cinnamon</title>
    <link>http://127.0.0.1/files/linuxmint-22-cinnamon-64bit.iso.torrent</link>
    <t:torrent><t:infoHash>ACF3D3FC52A7FB39F9E29651C13A7D8DA9A600F3</t:infoHash>
      <t:contentLength>2900000000</t:contentLength><t:seeds>11</t:seeds><t:peers>15</t:peers>
    </t:torrent>
  </item>
  <item rdf:about="urn:fixture:rdf:2">
    <title>Pixel Dungeon trailer</title>
    <t:infoHash>VTYD3PCSU75TT6PCSZI4COT5RWU2MAHT</t:infoHash>
    <t:seeders>2</t:seeders><t:leechers>1</t:leechers>
  </item>
</rdf:RDF>"""
    parsed = parse_feed(rdf, "http://127.0.0.1/rdf")
    mint, pixel = parsed.entries
    assert mint.torrent_url == "http://127.0.0.1/files/linuxmint-22-cinnamon-64bit.iso.torrent"
    assert mint.infohash == "acf3d3fc52a7fb39f9e29651c13a7d8da9a600f3"
    assert (mint.size, mint.seeders, mint.leechers) == (2_900_000_000, 11, 4)
    assert pixel.infohash == "acf03dbc52a7fb39f9e29651c13a7d8da9a600f3"  # from base32
    assert (pixel.seeders, pixel.leechers) == (2, 1)
    assert parse_magnet(pixel.magnet).display_name == "Pixel Dungeon trailer"

    v2 = "1e" * 32
    atom = f"""<feed xmlns="http://www.w3.org/2005/Atom"
      xmlns:torznab="http://torznab.com/schemas/2015/feed">
      <entry><id>urn:fixture:v2</id><title>Comet 2026</title>
        <torznab:attr name="infohash" value="{v2}"/></entry>
      <entry><id>urn:fixture:rel</id><title>River trailer</title>
        <link rel="enclosure" href="../t/river.torrent" type="application/x-bittorrent"/></entry>
    </feed>""".encode()
    comet, river = parse_feed(atom, "http://127.0.0.1/feeds/atom.xml").entries
    assert parse_magnet(comet.magnet).infohashes_v2 == (v2,)
    assert river.torrent_url == "http://127.0.0.1/t/river.torrent"


def test_magnets_in_enclosures_and_guids():
    hgf = "magnet:?xt=urn:btih:1dfbaaff4eb6eb14d4cd6b6f5cfdf9c2aa765fbf&amp;dn=His.Girl.Friday"
    notld = "magnet:?xt=urn:btih:acf3d3fc52a7fb39f9e29651c13a7d8da9a600f3"
    rss = f"""<rss version="2.0"><channel>
      <item><title>His Girl Friday</title><enclosure url="{hgf}" type="application/x-bittorrent"/>
      </item>
      <item><title>Night of the Living Dead</title><guid isPermaLink="false">{notld}</guid></item>
    </channel></rss>""".encode()
    first, second = parse_feed(rss, "http://127.0.0.1/rss").entries
    assert (first.magnet, first.torrent_url) == (hgf.replace("&amp;", "&"), None)
    assert first.item_id == hgf.replace("&amp;", "&")  # no guid or link: the magnet names it
    assert (second.magnet, second.item_id) == (notld, notld)


# --- placeholders: an empty or placeholder field is absent (issue 11, item 17) ------------


def _parsed(name: str) -> tuple[dict, list]:
    base = "http://127.0.0.1:1"
    parsed = parse_feed(render(name, base), f"{base}/{name}")
    return {e.title: e for e in parsed.entries}, list(parsed.problems)


def test_empty_infohash_label_beside_an_enclosure_is_absent():
    """The classic tracker dump: every item has an empty <torrentItem:infohash/>."""
    entries, problems = _parsed("tracker_placeholders.xml")
    alpine = entries["Alpine Linux 3.20 x86_64"]
    assert alpine.torrent_url == "http://127.0.0.1:1/torrents/101.torrent"
    assert (alpine.infohash, alpine.magnet, alpine.named) == (None, None, ())
    assert (alpine.seeders, alpine.leechers, alpine.category) == (4, 1, "Linux")
    assert alpine.item_id == "101"
    pixel = entries["Pixel Dungeon 1.4 Linux build"]  # type="" and .torrent path: a torrent
    assert pixel.torrent_url == "http://127.0.0.1:1/torrents/102.torrent"
    assert (pixel.size, pixel.seeders, pixel.leechers) == (None, None, None)
    # only the item with nothing at all is refused, saying what it lacked
    ((problem),) = problems
    assert (problem.position, problem.item_id) == (3, "103")
    assert "no usable .torrent link, magnet link or infohash" in problem.detail


def test_ezrss_placeholders_fall_back_to_the_magnet_and_the_enclosure():
    entries, problems = _parsed("ezrss_placeholders.xml")
    assert problems == []
    notld = entries["Night of the Living Dead (1968) public domain"]
    assert notld.torrent_url is None  # enclosure url="" is no link
    assert parse_magnet(notld.magnet).infohashes_v1 == ("acf3d3fc52a7fb39f9e29651c13a7d8da9a600f3",)
    assert (notld.infohash, notld.category, notld.categories) == (None, None, ())
    assert (notld.size, notld.seeders, notld.leechers) == (None, None, None)
    kart = entries["Kart Racer 2009 launch trailer"]
    assert kart.torrent_url == "http://127.0.0.1:1/t/kart-trailer.torrent"
    assert (kart.magnet, kart.infohash) == (None, None)  # "magnet:?dn=..." names nothing
    assert (kart.size, kart.seeders, kart.leechers) == (None, 12, None)  # 23-digit peers


def test_torznab_placeholder_attrs_and_ids_are_absent():
    entries, problems = _parsed("torznab_placeholders.xml")
    ubuntu = entries["Ubuntu 24.04 Desktop amd64"]
    assert ubuntu.torrent_url == "http://127.0.0.1:1/t/ubuntu.torrent"
    assert ubuntu.item_id == ubuntu.torrent_url  # guid "N/A" is no id
    assert (ubuntu.infohash, ubuntu.magnet, ubuntu.size) == (None, None, None)
    assert (ubuntu.seeders, ubuntu.leechers) == (None, None)  # 20 digits, -1
    assert (ubuntu.category, ubuntu.categories) == ("4000", ("4000",))  # category "0" dropped
    debian = entries["Debian 12.5 amd64 netinst"]
    assert debian.item_id == "http://127.0.0.1:1/t/debian-netinst.torrent"
    assert (debian.infohash, debian.magnet) == (None, None)  # 40 zeros, "N/A"
    assert (debian.seeders, debian.leechers) == (0, 3)  # 0 seeders is a count
    ((problem),) = problems
    assert (problem.position, problem.item_id) == (3, "tz-nothing")
    assert "'zz-not-a-hash' is not 40 or 64 hex" in problem.detail
    assert "'magnet:?dn=no.hash.here' is not a magnet URI naming an infohash" in problem.detail


def test_tracker_namespace_with_whitespace_hash_and_human_sizes():
    entries, problems = _parsed("nyaa_placeholders.xml")
    assert problems == []
    pixel = entries["Pixel Dungeon 1.4 Linux build"]
    assert pixel.infohash == infohash_of("pixel-dungeon")
    assert (pixel.size, pixel.seeders, pixel.leechers) == (None, 12, 3)  # "18.0 MiB"
    assert pixel.category == "Software - Games"
    comet = entries["Comet Chaser 2026 trailer"]
    assert comet.torrent_url == "http://127.0.0.1:1/download/comet.torrent"
    assert (comet.infohash, comet.seeders, comet.leechers) == (None, None, None)


def _serve_placeholder_torrents(server: FeedServer) -> None:
    server.serve_torrents()
    for path, key in {
        "/torrents/101.torrent": "alpine",
        "/torrents/102.torrent": "pixel-dungeon",
        "/download/pixel.torrent": "pixel-dungeon",
        "/download/comet.torrent": "comet-trailer",
    }.items():
        server.routes[path] = static(encode(TORRENTS[key]), BITTORRENT)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "landed", "refused"),
    [
        ("tracker_placeholders.xml", {"alpine", "pixel-dungeon"}, ["103"]),
        ("ezrss_placeholders.xml", {"kart-trailer"}, []),
        ("torznab_placeholders.xml", {"ubuntu", "debian-netinst"}, ["tz-nothing"]),
        ("nyaa_placeholders.xml", {"pixel-dungeon", "comet-trailer"}, []),
    ],
)
def test_placeholder_feeds_have_their_enclosures_fetched(server, name, landed, refused):
    server.routes["/feed.xml"] = static(server.fixture(name))
    _serve_placeholder_torrents(server)
    run = Run({"url": server.url("/feed.xml")})
    got = run.gather()
    torrents = {parse_torrent(g.payload).infohash for g in got if g.kind == "torrent"}
    assert torrents == {infohash_of(key) for key in landed}
    assert [record["item_id"] for _, _, record in run.rejects] == refused
    assert all(record["reason"] == "feed.item_invalid" for _, _, record in run.rejects)


# --- identifiers that disagree (issue 11, item 18) ----------------------------------------

A1, B1 = "11" * 20, "22" * 20


def test_every_hash_an_item_names_is_kept_with_where_it_was_named():
    entries, problems = _parsed("torznab_conflicts.xml")
    assert problems == []
    fedora = entries["Fedora Workstation 41 x86_64"]
    assert [(n.where, n.infohash) for n in fedora.named] == [
        ("torznab:attr 'infohash'", A1),
        ("torznab:attr 'magneturl'", B1),
    ]
    assert parse_magnet(fedora.magnet).infohashes_v1 == (B1,)  # the magnet is what lands
    kart = entries["Kart Racer 2009 launch trailer"]
    assert [n.infohash for n in kart.named] == ["33" * 20, infohash_of("kart-trailer")]
    hgf = entries["His Girl Friday (1940)"]
    assert [n.where for n in hgf.named] == ["magnet in <link>", "magnet in <enclosure>"]
    alpine = entries["Alpine Linux 3.20 x86_64"]
    assert [n.infohash for n in alpine.named] == ["a" * 40, "b" * 40]
    assert alpine.infohash == "a" * 40


def test_undelivered_tells_conflicts_from_hashes_that_cannot_be_compared():
    v1, other, v2 = "ab" * 20, "cd" * 20, "ef" * 32
    named = (NamedHash("attr", v1), NamedHash("magnet", other), NamedHash("btmh", v2))
    assert undelivered(named, (v1,), (), complete=False) == ((named[1],), (named[2],))
    assert undelivered(named, (v1,), (), complete=True) == ((named[1], named[2]), ())
    assert undelivered(named, (v1,), (v2,), complete=True) == ((named[1],), ())
    # BEP 52: a v2-only torrent is known to v1 peers by its v2 hash cut to 40 digits
    truncated = (NamedHash("attr", v2[:40]),)
    assert undelivered(truncated, (), (v2,), complete=True) == ((), ())


def _sightings(run: Run) -> dict[str, set[str]]:
    """title -> every infohash that landed for it (a torrent's, or a magnet's)."""
    seen: dict[str, set[str]] = {}
    for item in run.gather():
        if item.kind == "torrent":
            hashes = {parse_torrent(item.payload).infohash}
        else:
            link = parse_magnet(item.payload.decode())
            hashes = {*link.infohashes_v1, *link.infohashes_v2}
        seen.setdefault(item.title, set()).update(hashes)
    return seen


@pytest.mark.slow
def test_disagreeing_identifiers_keep_both_sightings_and_file_the_conflict(server):
    server.routes["/api"] = static(server.fixture("torznab_conflicts.xml"))
    server.serve_torrents()
    run = Run({"url": server.url("/api")})
    seen = _sightings(run)
    kart, ubuntu, debian = (infohash_of(k) for k in ("kart-trailer", "ubuntu", "debian-netinst"))
    assert seen == {
        "Fedora Workstation 41 x86_64": {A1, B1},
        "Kart Racer 2009 launch trailer": {kart, "33" * 20},
        "His Girl Friday (1940)": {"1dfbaaff4eb6eb14d4cd6b6f5cfdf9c2aa765fbf", "44" * 20},
        "Arch Linux hybrid 2026.02.01": {"55" * 20, "66" * 32},
        "Comet Chaser 2026 v2-only": {"77" * 20, "88" * 32},
        "Ubuntu 24.04 Desktop amd64": {ubuntu, "99" * 32},
        "Debian 12.5 amd64 netinst": {debian},
        "Alpine Linux 3.20 x86_64": {"a" * 40, "b" * 40},
    }
    conflicts = {
        record["item_id"]: record
        for _, _, record in run.rejects
        if record["reason"] == "feed.infohash_conflict"
    }
    assert len(conflicts) == len(run.rejects) == 5  # hybrid, v1-vs-v2 and agreeing: none
    fedora = conflicts["cf-attr-vs-magnet"]
    assert (fedora["landed"], fedora["named"]) == ([B1], A1)
    assert A1 in fedora["detail"] and B1 in fedora["detail"]
    assert "torznab:attr 'infohash'" in fedora["detail"]
    assert conflicts["cf-attr-vs-torrent"]["landed"] == [kart]
    assert "the .torrent at" in conflicts["cf-attr-vs-torrent"]["detail"]
    assert conflicts["cf-link-vs-enclosure"]["named_in"] == "magnet in <enclosure>"
    assert conflicts["cf-v1-torrent-vs-btmh"]["named"] == "99" * 32
    assert conflicts["cf-two-attrs"]["named"] == "b" * 40
    refs = {ref for ref, _, record in run.rejects}
    assert f"{server.url('/api')}#item-1" in refs


# --- end to end: `monitor --once` with the feeds served on loopback -----------------------


@pytest.mark.slow
def test_monitor_once_gathers_placeholder_feeds_and_keeps_both_sides_of_a_conflict(
    server, tmp_path
):
    names = ("tracker_placeholders.xml", "torznab_placeholders.xml", "torznab_conflicts.xml")
    for name in names:
        server.routes[f"/{name}"] = static(server.fixture(name))
    _serve_placeholder_torrents(server)
    sources = "".join(
        f"  - {{name: {name.split('.')[0].replace('_', '-')}, kind: feed, "
        f"settings: {{url: '{server.url('/' + name)}'}}}}\n"
        for name in names
    )
    config = tmp_path / "sources.yaml"
    config.write_text(f"landing: landing\nsources:\n{sources}", encoding="utf-8")
    db = tmp_path / "feeds.duckdb"
    out = run_cli("monitor", "--config", config, "--once", "--db", db, timeout=120)
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        sighted = set(
            con.execute("SELECT DISTINCT source, infohash, title FROM observations").fetchall()
        )
        rejects = con.execute("SELECT source, source_ref, reason, detail FROM rejects").fetchall()
        metadata = dict(con.execute("SELECT infohash, has_metadata FROM torrents").fetchall())
    finally:
        con.close()
    # item 17: the tracker's enclosures were fetched despite the empty infohash labels
    for key in ("alpine", "pixel-dungeon", "ubuntu", "debian-netinst"):
        assert metadata[infohash_of(key)] is True, key
    assert ("tracker-placeholders", infohash_of("alpine"), "Alpine Linux 3.20 x86_64") in sighted
    invalid = sorted(
        ref.rsplit("/", 1)[1] for _, ref, reason, _ in rejects if reason == "feed.item_invalid"
    )
    assert invalid == ["torznab_placeholders.xml#item-3", "tracker_placeholders.xml#item-3"]
    # item 18: both torrents an item named are sightings, and the disagreement is filed
    fedora = "Fedora Workstation 41 x86_64"
    assert {("torznab-conflicts", A1, fedora), ("torznab-conflicts", B1, fedora)} <= sighted
    kart = "Kart Racer 2009 launch trailer"
    assert ("torznab-conflicts", "33" * 20, kart) in sighted
    assert metadata[infohash_of("kart-trailer")] is True and metadata["33" * 20] is False
    conflicts = [detail for _, _, reason, detail in rejects if reason == "feed.infohash_conflict"]
    assert len(conflicts) == 5
    assert any(A1 in d and B1 in d for d in conflicts)
    assert not any(reason.startswith("magnet.") for _, _, reason, _ in rejects)


def test_a_hostile_magnet_in_one_item_does_not_end_the_feed():
    good = "magnet:?xt=urn:btih:" + "ab" * 20
    hostile = [
        good + "&xl=\u00b2",
        good + "&xl=" + "9" * 30,
        "magnet:?xt=urn:btmh:1220" + "zz" * 32,
        "magnet:?" + "&" * 50_000,
        "magnet:?xt=urn:btih:" + "A" * 33,
    ]
    items = "".join(
        f"<item><title>Pixel Dungeon {i}</title><guid>h-{i}</guid>"
        f'<torznab:attr name="magneturl" value="{escape(uri)}"/></item>'
        for i, uri in enumerate(hostile)
    )
    rss = (
        '<rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        f"{items}<item><title>Alpine</title><link>{good}</link></item></channel></rss>"
    )
    parsed = parse_feed(rss.encode(), "http://127.0.0.1/api")
    assert parsed.entries[-1].title == "Alpine"
    assert len(parsed.entries) + len(parsed.problems) == len(hostile) + 1
    assert {p.item_id for p in parsed.problems} >= {"h-2", "h-3", "h-4"}


def test_an_item_naming_hundreds_of_torrents_lands_a_bounded_number_of_sightings():
    """A hostile item: one magnet, and 200 infohash attrs that disagree with it."""
    attrs = "".join(f'<torznab:attr name="infohash" value="{i + 1:040x}"/>' for i in range(200))
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20
    rss = (
        '<rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        f"<item><title>Pixel Dungeon</title><guid>many</guid>{attrs}"
        f'<torznab:attr name="magneturl" value="{magnet}"/></item></channel></rss>'
    )
    (entry,) = parse_feed(rss.encode(), "http://127.0.0.1/api").entries
    assert len(entry.named) == 201
    run = Run({"url": "http://127.0.0.1/api"})
    settings = feed.read_settings(run.ctx.settings)
    assert feed._gather_entry(run.ctx, settings, entry)
    landed = [item for item in run.items if item.kind == "magnet"]
    assert landed[0].payload.decode() == magnet
    assert len(landed) == 1 + feed.MAX_OTHER_HASHES
    details = [record["detail"] for _, _, record in run.rejects]
    assert len(details) == feed.MAX_OTHER_HASHES + 1
    assert "names 200 torrents besides the one it delivered" in details[-1]
    assert details[-1].endswith("and 164 more")


def test_the_detail_of_an_unusable_item_is_bounded():
    attrs = "".join(f'<torznab:attr name="infohash" value="bad-{i}"/>' for i in range(1000))
    rss = (
        '<rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
        f"<item><title>Kart</title><guid>k</guid>{attrs}</item></channel></rss>"
    )
    (problem,) = parse_feed(rss.encode(), "http://127.0.0.1/api").problems
    assert "'bad-0'" in problem.detail and "'bad-5'" not in problem.detail
    assert problem.detail.endswith("; and 995 more)") and len(problem.detail) < 600


@pytest.mark.slow
def test_an_enclosure_that_is_no_torrent_still_lands_the_items_magnet(server):
    rss = f"""<rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>
      <item><title>Alpine Linux 3.20</title><guid>broken-enclosure</guid>
        <enclosure url="{server.base}/t/broken.torrent" type="application/x-bittorrent"/>
        <torznab:attr name="infohash" value="{"cd" * 20}"/></item>
    </channel></rss>""".encode()
    server.routes["/api"] = static(rss)
    server.routes["/t/broken.torrent"] = static(b"d4:infoi1ee", BITTORRENT)
    run = Run({"url": server.url("/api")})
    got = run.gather()
    assert [g.kind for g in got] == ["torrent", "magnet"]  # the loader files the torrent
    assert parse_magnet(got[1].payload.decode()).infohashes_v1 == ("cd" * 20,)
    assert run.rejects == []
