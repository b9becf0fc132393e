"""The *scrape* kind: seeders, leechers and completed counts from trackers.

HTTP trackers are scraped by the BEP 48 convention (the announce URL's last path
part ``announce`` becomes ``scrape``; many info_hash parameters in one request; a
bencoded ``files`` dict back). UDP trackers follow BEP 15: a connect exchange, then
scrapes of up to ``batch`` hashes each, every reply checked against the transaction
id we sent, retransmitted after 15 * 2^n seconds as the BEP says, for a bounded n.

Scraping never announces, so no tracker ever hands us peer addresses: a scrape
reply holds counts only. Each count lands as an "observation".
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

import libtorrent as lt

from common.checks import is_whole
from common.errors import (
    FetchError,
    ScrapeBadResponse,
    ScrapeError,
    ScrapeTimeout,
    ScrapeUnsupported,
)
from common.settings import Rule, Setting, SettingsSpec, boolean, whole
from monitors.base import GatherContext, Gathered
from monitors.http import HttpPolicy, byte_cap, fetch, policy_settings

BEP15_PROTOCOL_ID = 0x41727101980
UDP_BASE_TIMEOUT = 15.0  # BEP 15: retransmit after 15 * 2^n seconds
BATCH = 64  # hashes per request; BEP 15 fits about 74 in one datagram
MAX_BATCH = 74
# HTTP trackers cap a multi-hash scrape and drop the rest without a word (opentracker
# answers the first 64), so HTTP requests never take more than this.
HTTP_MAX_BATCH = 64
REPLY_MAX_BYTES = 1024 * 1024
WAREHOUSE_LIMIT = 10_000
_CONNECTION_ID_LIFETIME = 55.0  # BEP 15 ids live a minute; renew a little early
_ACTION_CONNECT, _ACTION_SCRAPE, _ACTION_ERROR = 0, 2, 3
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScrapeCount:
    """What one tracker said about one torrent."""

    wire_hash: str  # the 20-byte hash sent to the tracker, as hex
    seeders: int
    completed: int
    leechers: int


@dataclass(frozen=True, slots=True)
class ScrapeSettings:
    trackers: tuple[str, ...]
    infohashes: tuple[str, ...]  # keys as given: v1 hex (40) or v2 hex (64)
    from_warehouse: bool
    warehouse_limit: int
    batch: int
    timeout: float  # HTTP: per request; UDP: the first retransmit wait
    retries: int  # HTTP: retries; UDP: retransmits (n = 0..retries)
    max_bytes: int
    ca_file: str | None  # for https trackers with a private CA


# --- settings ---------------------------------------------------------------------------


def _trackers(value: object) -> str | list[str]:
    if not isinstance(value, list | tuple) or not value:
        return "must be a list of announce URLs (http, https or udp)"
    return [f"item {i + 1}: {p}" for i, url in enumerate(value) if (p := _tracker_problem(url))]


def _infohashes(value: object) -> str | list[str]:
    if not isinstance(value, list | tuple):
        return "must be a list of 40- or 64-digit hex infohashes"
    return [
        f"item {i + 1} is not a 40- or 64-digit hex infohash"
        for i, item in enumerate(value)
        if not (isinstance(item, str) and (_HEX40.fullmatch(item) or _HEX64.fullmatch(item)))
    ]


SETTINGS = SettingsSpec(
    "scrape",
    (
        Setting(
            "trackers",
            _trackers,
            required="must be a list of announce URLs (http, https or udp)",
            doc="announce URLs to scrape: http(s) (BEP 48) or udp (BEP 15)",
        ),
        Setting("infohashes", _infohashes, default=(), doc="hex infohashes (v1 or v2) to ask for"),
        Setting(
            "from_warehouse",
            boolean("must be true or false"),
            default=False,
            nullable=False,
            doc="also scrape the torrents already in the warehouse",
        ),
        Setting(
            "warehouse_limit",
            whole(1, 10_000_000, "must be a whole number from {low} to {high}, not {value!r}"),
            default=WAREHOUSE_LIMIT,
            doc="warehouse torrents per run; runs take the next page, then start over",
        ),
        Setting(
            "batch",
            whole(1, MAX_BATCH, "must be a whole number from {low} to {high}, not {value!r}"),
            default=BATCH,
            doc="hashes per scrape request (HTTP requests take at most 64)",
        ),
        *policy_settings(timeout=UDP_BASE_TIMEOUT, retries=2),
        byte_cap("max_bytes", REPLY_MAX_BYTES, "cap on an HTTP scrape reply"),
    ),
    rules=(
        Rule(
            "infohashes",
            "give a list, or set from_warehouse: true",
            lambda s: not s.get("infohashes") and s.get("from_warehouse") is not True,
        ),
    ),
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    """Every problem with a scrape source's settings, each naming its key."""
    return SETTINGS.messages(settings)


def read_settings(settings: Mapping[str, object]) -> ScrapeSettings:
    values = SETTINGS.read(settings)
    return ScrapeSettings(
        trackers=tuple(str(t).strip() for t in _items(values["trackers"])),
        infohashes=tuple(str(h).lower() for h in _items(values["infohashes"])),
        from_warehouse=values["from_warehouse"] is True,
        warehouse_limit=int(values["warehouse_limit"]),  # type: ignore[call-overload]
        batch=int(values["batch"]),  # type: ignore[call-overload]
        timeout=float(values["timeout"]),  # type: ignore[arg-type]
        retries=int(values["retries"]),  # type: ignore[call-overload]
        max_bytes=int(values["max_bytes"]),  # type: ignore[call-overload]
        ca_file=ca_file if isinstance(ca_file := values["ca_file"], str) else None,
    )


def _items(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else ()


def _tracker_problem(url: object) -> str | None:
    if not isinstance(url, str):
        return "must be an announce URL"
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "udp") or not parts.hostname:
        return f"{url[:200]!r} is not an http(s):// or udp:// URL with a host"
    try:
        port = parts.port
    except ValueError:
        return f"{url[:200]!r} has a port that is not a number from 0 to 65535"
    if scheme == "udp" and not port:
        return f"{url[:200]!r}: a udp:// tracker needs a port"
    if scheme != "udp" and "announce" not in parts.path.rsplit("/", 1)[-1]:
        return f"{url[:200]!r}: the last path part has no 'announce', so it cannot be scraped"
    return None


# --- the kind ---------------------------------------------------------------------------


def gather(ctx: GatherContext) -> None:
    """Scrape every tracker for every wanted hash. A failing tracker is logged (and kept
    in state under ``tracker_errors``) while the others go on; only when every tracker
    fails does the source fail, with all their reasons."""
    settings = read_settings(ctx.settings)
    wanted = _wanted_hashes(ctx, settings)  # wire hash -> warehouse key
    if not wanted:
        return
    wires = list(wanted)
    errors: dict[str, str] = {}
    for tracker in settings.trackers:
        try:
            for counts in _scrape_tracker(ctx, settings, tracker, wires):
                for count in counts:
                    ctx.emit(_observation(ctx, tracker, wanted[count.wire_hash], count))
        except ScrapeError as exc:
            errors[tracker] = str(exc)
            log.warning("%s: %s", ctx.name, exc)
    ctx.state.set("tracker_errors", errors)
    if errors and len(errors) == len(settings.trackers):
        raise ScrapeError(f"{ctx.name}: every tracker failed: " + "; ".join(errors.values()))


def _scrape_tracker(
    ctx: GatherContext, settings: ScrapeSettings, tracker: str, wires: list[str]
) -> Iterator[list[ScrapeCount]]:
    """Counts batch by batch, stopping at the source's deadline."""
    if urlsplit(tracker).scheme.lower() == "udp":
        client = UdpScraper(tracker, settings.timeout, settings.retries, ctx.pace, ctx.deadline)
        with client:
            for start in range(0, len(wires), settings.batch):
                if time.monotonic() >= ctx.deadline:
                    return
                yield client.scrape(wires[start : start + settings.batch])
        return
    policy = HttpPolicy(
        timeout=settings.timeout,
        retries=settings.retries,
        max_bytes=settings.max_bytes,
        ca_file=settings.ca_file,
    )
    batch = min(settings.batch, HTTP_MAX_BATCH)
    for start in range(0, len(wires), batch):
        if time.monotonic() >= ctx.deadline:
            return
        yield http_scrape(tracker, wires[start : start + batch], policy, ctx)


def _observation(ctx: GatherContext, tracker: str, key: str, count: ScrapeCount) -> Gathered:
    seen_at = datetime.now(UTC)
    payload = {
        "infohash": key,
        "seeders": count.seeders,
        "leechers": count.leechers,
        "completed": count.completed,
        "tracker": tracker,
        "scraped_at": seen_at.isoformat(),
    }
    return Gathered(
        kind="observation",
        source=ctx.name,
        source_ref=tracker,
        payload=json.dumps(payload, sort_keys=True).encode(),
        seen_at=seen_at,
        infohash=key,
        seeders=count.seeders,
        leechers=count.leechers,
    )


# --- which hashes -----------------------------------------------------------------------


def _wanted_hashes(ctx: GatherContext, settings: ScrapeSettings) -> dict[str, str]:
    """Wire hash (the 20 bytes trackers know, as hex) -> the key observations carry.

    A v2 hash goes on the wire truncated to 20 bytes (BEP 52). Warehouse torrents are
    read in pages of ``warehouse_limit``, the page remembered so runs take turns.
    """
    wanted = {_wire(key): key for key in settings.infohashes}
    if settings.from_warehouse:
        path = ctx.extra.get("warehouse")
        if not path:
            raise ScrapeError(f"{ctx.name}: from_warehouse is set but no warehouse was given")
        remembered = ctx.state.get("warehouse_offset", 0)
        offset = remembered if isinstance(remembered, int) and remembered > 0 else 0
        rows = warehouse_hashes(str(path), settings.warehouse_limit, offset)
        if not rows and offset:  # past the end (the last page was full): start over
            offset = 0
            rows = warehouse_hashes(str(path), settings.warehouse_limit, 0)
        more = len(rows) == settings.warehouse_limit
        ctx.state.set("warehouse_offset", offset + len(rows) if more else 0)
        for key, wire in rows:
            wanted.setdefault(wire, key)
    return wanted


def _wire(key: str) -> str:
    return key[:40]


def warehouse_hashes(path: str, limit: int, offset: int) -> list[tuple[str, str]]:
    """(key, wire hash) of up to ``limit`` torrents in the warehouse, read-only."""
    import duckdb

    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise ScrapeError(
            f"cannot open the warehouse {path} read-only: {exc}", code="scrape.warehouse"
        ) from exc
    try:
        return con.execute(
            "SELECT infohash, coalesce(infohash_v1, left(infohash_v2, 40)) FROM torrents "
            "ORDER BY infohash LIMIT ? OFFSET ?",
            [limit, offset],
        ).fetchall()
    except duckdb.Error as exc:
        raise ScrapeError(
            f"cannot read torrents from the warehouse {path}: {exc}", code="scrape.warehouse"
        ) from exc
    finally:
        con.close()


# --- HTTP (BEP 48) ----------------------------------------------------------------------


def scrape_url(announce: str) -> str:
    """The BEP 48 scrape URL of an HTTP announce URL: the last path part's 'announce'
    becomes 'scrape' (``/announce.php?k=1`` -> ``/scrape.php?k=1``)."""
    parts = urlsplit(announce.strip())
    head, _, last = parts.path.rpartition("/")
    if not last.startswith("announce"):
        raise ScrapeUnsupported(f"{announce}: the last path part is not 'announce…'")
    path = f"{head}/scrape{last[len('announce') :]}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def http_scrape(
    announce: str, wires: list[str], policy: HttpPolicy, ctx: GatherContext
) -> list[ScrapeCount]:
    base = scrape_url(announce)
    query = "&".join("info_hash=" + quote(bytes.fromhex(w), safe="") for w in wires)
    url = f"{base}{'&' if '?' in base else '?'}{query}"
    try:
        response = fetch(url, policy, pace=ctx.pace, deadline=ctx.deadline)
    except FetchError as exc:
        raise ScrapeError(f"{announce}: scrape failed: {exc}") from exc
    return parse_http_scrape(response.body, announce, set(wires))


def parse_http_scrape(body: bytes, announce: str, asked: set[str]) -> list[ScrapeCount]:
    """The counts in a bencoded scrape reply for the hashes we asked about."""
    try:
        reply = lt.bdecode(body) if body else None
    except RuntimeError as exc:  # libtorrent's decoder: bounded depth and sizes
        raise ScrapeBadResponse(f"{announce}: the scrape reply is not bencoded: {exc}") from None
    if not isinstance(reply, dict):
        raise ScrapeBadResponse(f"{announce}: the scrape reply is not a bencoded dictionary")
    failure = reply.get(b"failure reason")
    if failure is not None:
        text = failure.decode("utf-8", "replace") if isinstance(failure, bytes) else failure
        raise ScrapeError(f"{announce}: the tracker refused the scrape: {str(text)[:300]}")
    files = reply.get(b"files")
    if not isinstance(files, dict):
        raise ScrapeBadResponse(f"{announce}: the scrape reply has no 'files' dictionary")
    counts = []
    for raw, stats in files.items():
        wire = raw.hex() if isinstance(raw, bytes) and len(raw) == 20 else None
        if wire not in asked or not isinstance(stats, dict):
            continue
        numbers = [stats.get(k, 0) for k in (b"complete", b"downloaded", b"incomplete")]
        if all(is_whole(n) and n >= 0 for n in numbers):
            counts.append(ScrapeCount(wire, numbers[0], numbers[1], numbers[2]))
    return counts


# --- UDP (BEP 15) -----------------------------------------------------------------------


class UdpScraper:
    """One UDP tracker: a connected datagram socket, a connection id, and the BEP's
    retransmission schedule (wait ``timeout * 2^n`` for n = 0..retries)."""

    def __init__(
        self,
        announce: str,
        timeout: float,
        retries: int,
        pace: Callable[[], None],
        deadline: float,
    ) -> None:
        parts = urlsplit(announce.strip())
        self.announce = announce
        self.timeout = timeout
        self.retries = retries
        self.pace = pace
        self.deadline = deadline
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                parts.hostname, parts.port, type=socket.SOCK_DGRAM
            )[0]
            self.sock = socket.socket(family, kind, proto)
            self.sock.connect(address)  # the kernel drops datagrams from anyone else
        except OSError as exc:
            raise ScrapeError(f"{announce}: cannot reach the tracker: {exc}") from exc
        self.connection_id: int | None = None
        self.connected_at = 0.0

    def __enter__(self) -> UdpScraper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.sock.close()

    def scrape(self, wires: list[str]) -> list[ScrapeCount]:
        if not 0 < len(wires) <= MAX_BATCH:
            raise ValueError(f"a UDP scrape takes 1 to {MAX_BATCH} hashes, not {len(wires)}")
        hashes = b"".join(bytes.fromhex(w) for w in wires)
        reply = self._exchange(
            lambda tid: struct.pack(">QII", self._connection(), _ACTION_SCRAPE, tid) + hashes,
            _ACTION_SCRAPE,
        )
        entries = min((len(reply) - 8) // 12, len(wires))  # a tracker may answer fewer
        counts = []
        for i in range(entries):
            seeders, completed, leechers = struct.unpack_from(">III", reply, 8 + 12 * i)
            counts.append(ScrapeCount(wires[i], seeders, completed, leechers))
        return counts

    def _connection(self) -> int:
        if self.connection_id is None or (
            time.monotonic() - self.connected_at > _CONNECTION_ID_LIFETIME
        ):
            reply = self._exchange(
                lambda tid: struct.pack(">QII", BEP15_PROTOCOL_ID, _ACTION_CONNECT, tid),
                _ACTION_CONNECT,
            )
            if len(reply) < 16:
                raise ScrapeBadResponse(f"{self.announce}: connect reply of {len(reply)} bytes")
            self.connection_id = struct.unpack_from(">Q", reply, 8)[0]
            self.connected_at = time.monotonic()
        return self.connection_id

    def _exchange(self, build: Callable[[int], bytes], action: int) -> bytes:
        """Send a request (a fresh transaction id each time) until the matching reply."""
        for attempt in range(self.retries + 1):
            wait = min(self.timeout * 2**attempt, self.deadline - time.monotonic())
            if wait <= 0:
                break
            tid = secrets.randbits(32)
            self.pace()
            packet = build(tid)
            try:
                self.sock.send(packet)
            except OSError as exc:
                raise ScrapeError(f"{self.announce}: cannot send to the tracker: {exc}") from exc
            reply = self._await(tid, time.monotonic() + wait)
            if reply is None:
                continue
            got_action = struct.unpack_from(">I", reply)[0]
            if got_action == _ACTION_ERROR:
                message = reply[8:].decode("utf-8", "replace")[:300]
                raise ScrapeError(f"{self.announce}: the tracker refused: {message}")
            if got_action != action:
                raise ScrapeBadResponse(
                    f"{self.announce}: reply action {got_action}, expected {action}"
                )
            return reply
        raise ScrapeTimeout(
            f"{self.announce}: no reply after {self.retries + 1} tries "
            f"(waiting {self.timeout:g} s, doubling)"
        )

    def _await(self, tid: int, until: float) -> bytes | None:
        """The first datagram carrying ``tid``; others (late replies) are skipped."""
        while (left := until - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                reply = self.sock.recv(65536)
            except TimeoutError:
                return None
            except ConnectionRefusedError as exc:
                raise ScrapeError(f"{self.announce}: nothing listens there ({exc})") from exc
            except OSError as exc:
                raise ScrapeError(f"{self.announce}: cannot read from the tracker: {exc}") from exc
            if len(reply) >= 8 and struct.unpack_from(">I", reply, 4)[0] == tid:
                return reply
        return None
