"""Metadata fetch (BEP 9): the info dictionary of torrents known only by infohash.

Each hash is added to a libtorrent session as a magnet in ``upload_mode`` with
``default_dont_download``: the session may ask peers for the metadata, but it
requests no piece and writes nothing, so no payload byte moves. The fetched info
dictionary is kept byte for byte (re-encoding could change the infohash) and
lands as a minimal ``.torrent``. A hash nobody answers for is a per-hash failure,
remembered between runs, never an error for the whole run.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import re
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import libtorrent as lt

from common.errors import InputRejected, SwarmSettingsInvalid, SwarmWarehouseUnreadable
from common.settings import Rule, Setting, SettingsSpec, boolean, items, number, whole
from common.summary import Summary
from monitors.base import GatherContext, Gathered
from monitors.lt_session import (
    Endpoint,
    SessionPlan,
    open_session,
    parse_endpoint,
    parse_ip_endpoint,
    stat_values,
)
from parsers.magnet import parse_magnet
from parsers.torrent import parse_torrent

log = logging.getLogger(__name__)

# Seconds kept before the source's deadline for removing torrents and closing the
# session (the runner kills a source soon after its deadline).
CLOSE_MARGIN = 1.5
REMEMBER_FETCHED = 10_000  # literal targets already fetched, kept so a re-run skips them
LOOKUP_EVERY = 10.0  # seconds between DHT get_peers lookups for a hash still being fetched

# Defaults of the fetch kind's settings (docs/swarm.md explains each).
CONCURRENCY, MAX_CONCURRENCY = 8, 200
TIMEOUT_PER_HASH = 60.0
GIVE_UP_AFTER = 3
WAREHOUSE_LIMIT = 1000
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class Target:
    """One torrent to fetch: its warehouse key, the magnet libtorrent is given, and
    the ``source_ref`` its item lands with (never a peer address)."""

    infohash: str
    magnet: str
    ref: str


@dataclass(frozen=True, slots=True)
class FetchSettings:
    targets: tuple[Target, ...] = ()
    from_warehouse: bool = False
    warehouse_limit: int = WAREHOUSE_LIMIT
    peers: tuple[Endpoint, ...] = ()
    concurrency: int = CONCURRENCY
    timeout: float = TIMEOUT_PER_HASH
    give_up_after: int = GIVE_UP_AFTER
    listen_interface: str = "127.0.0.1"
    listen_port: int = 0
    dht_bootstrap: tuple[Endpoint, ...] = ()
    dht_allow_local_nodes: bool = False


def target_for_hashes(key: str, v1: str | None, v2: str | None, *, ref: str) -> Target:
    """A target for a torrent known by its hashes (v1 hex, v2 hex, or both)."""
    parts = []
    if v1:
        parts.append(f"xt=urn:btih:{v1}")
    if v2:
        parts.append(f"xt=urn:btmh:1220{v2}")
    return Target(key, "magnet:?" + "&".join(parts), ref)


def target_from_text(text: object, *, ref_prefix: str = "settings") -> Target:
    """A magnet URI or a bare infohash (40 hex, 32 base32, 64 hex for v2) to a Target;
    ValueError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is neither a magnet URI nor an infohash")
    value = text.strip()
    if _HEX40.fullmatch(value):
        v1, v2 = value.lower(), None
    elif _BASE32.fullmatch(value):
        v1, v2 = base64.b32decode(value.upper()).hex(), None
    elif _HEX64.fullmatch(value):
        v1, v2 = None, value.lower()
    elif value[:8].lower() == "magnet:?":
        try:
            link = parse_magnet(value)
        except InputRejected as exc:
            raise ValueError(exc.detail) from None
        hashes = len(link.infohashes_v1) + len(link.infohashes_v2)
        hybrid = len(link.infohashes_v1) == 1 and len(link.infohashes_v2) == 1
        if hashes > 1 and not hybrid:
            raise ValueError("the magnet names several torrents; list each on its own")
        v1 = link.infohashes_v1[0] if link.infohashes_v1 else None
        v2 = link.infohashes_v2[0] if link.infohashes_v2 else None
        key = v1 or v2 or ""
        # libtorrent is given the operator's link, trackers and all, so it can find peers.
        return Target(key, value, f"{ref_prefix}:{key}")
    else:
        raise ValueError(
            f"{value[:80]!r} is neither a magnet URI ('magnet:?xt=urn:btih:...') nor an "
            "infohash (40 hex digits, 32 base32 letters, or 64 hex digits for v2)"
        )
    key = v1 or v2 or ""
    return target_for_hashes(key, v1, v2, ref=f"{ref_prefix}:{key}")


def counted(key: str, low: int, high: int, default: int, doc: str) -> Setting:
    """A whole-number setting from ``low`` to ``high`` (the fetch and dht kinds' wording)."""
    check = whole(low, high, "must be a whole number {low}-{high:,}, not {value!r}")
    return Setting(key, check, default=default, doc=doc)


def timeout_per_hash(default: float) -> Setting:
    """Seconds one hash may take (shared by the fetch and dht kinds, which both fetch
    per hash)."""
    check = number(0, 3600, "must be seconds, above 0 and at most 3600: {value!r}")
    return Setting(
        "timeout_per_hash", check, default=default, doc="seconds one hash may take, at most 3600"
    )


def _interface(value: object) -> str | None:
    try:
        ipaddress.ip_address(value if isinstance(value, str) else "")
    except ValueError:
        return f"{value!r} is not an IP address"
    return None


def _bootstrap(required: str | None):
    """A list of ``host:port`` nodes; an empty list is ``required`` when that is set."""
    listed = items(parse_endpoint)

    def check(value: object) -> str | list[str]:
        if required is not None and isinstance(value, list) and not value:
            return required
        return listed(value)

    return check


def swarm_settings(*, bootstrap_required: str | None = None) -> tuple[Setting, ...]:
    """The session settings the fetch and dht kinds share, as declared rows."""
    return (
        Setting(
            "listen_interface",
            _interface,
            required="required: the one IP address the session may listen on "
            "(e.g. 127.0.0.1, or this host's address on the network to watch)",
            doc="the one IP address the session may listen on",
        ),
        Setting(
            "listen_port",
            whole(0, 65535, "must be a port number 0-65535 (0: any free), not {value!r}"),
            default=0,
            nullable=False,
            doc="the port to listen on (0: any free one)",
        ),
        Setting(
            "dht_bootstrap_nodes",
            _bootstrap(bootstrap_required),
            default=(),
            required=bootstrap_required,
            doc="DHT nodes ('host:port') to start from; none are used unless listed",
        ),
        Setting(
            "dht_allow_local_nodes",
            boolean(),
            default=False,
            nullable=False,
            doc="accept DHT nodes on private and loopback addresses (test networks)",
        ),
    )


SETTINGS = SettingsSpec(
    "fetch",
    (
        *swarm_settings(),
        Setting(
            "from_warehouse",
            boolean(),
            default=False,
            nullable=False,
            doc="also fetch torrents the warehouse knows only by hash",
        ),
        Setting(
            "magnets",
            items(target_from_text),
            default=(),
            doc="magnet URIs or bare infohashes (40 hex, 32 base32, 64 hex for v2)",
        ),
        Setting(
            "peers",
            items(parse_ip_endpoint),
            default=(),
            doc="peers ('ip:port') to ask directly, besides those the DHT finds",
        ),
        counted("concurrency", 1, MAX_CONCURRENCY, CONCURRENCY, "hashes fetched at once"),
        counted(
            "give_up_after", 1, 1_000_000, GIVE_UP_AFTER, "failed runs before a hash is skipped"
        ),
        counted("warehouse_limit", 1, 10_000_000, WAREHOUSE_LIMIT, "warehouse hashes per run"),
        timeout_per_hash(TIMEOUT_PER_HASH),
    ),
    rules=(
        Rule(
            "magnets",
            "nothing to fetch: list magnets/infohashes or set from_warehouse",
            lambda s: not s.get("magnets") and s.get("from_warehouse") is not True,
        ),
    ),
    error=SwarmSettingsInvalid,
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    """Every problem with a fetch source's settings, each starting with its key."""
    return SETTINGS.messages(settings)


def read_settings(settings: Mapping[str, object]) -> FetchSettings:
    values = SETTINGS.read(settings)
    return FetchSettings(
        targets=tuple(target_from_text(m) for m in values["magnets"]),  # type: ignore[attr-defined]
        from_warehouse=values["from_warehouse"] is True,
        warehouse_limit=int(values["warehouse_limit"]),  # type: ignore[call-overload]
        peers=tuple(parse_ip_endpoint(p) for p in values["peers"]),  # type: ignore[attr-defined]
        concurrency=int(values["concurrency"]),  # type: ignore[call-overload]
        timeout=float(values["timeout_per_hash"]),  # type: ignore[arg-type]
        give_up_after=int(values["give_up_after"]),  # type: ignore[call-overload]
        **session_keys(values),
    )


def session_keys(values: Mapping[str, object]) -> dict[str, object]:
    """The shared session settings, read (``SettingsSpec.read``) into FetchSettings'
    names."""
    return {
        "listen_interface": str(values["listen_interface"]),
        "listen_port": int(values["listen_port"]),  # type: ignore[call-overload]
        "dht_bootstrap": tuple(
            parse_endpoint(e)
            for e in values["dht_bootstrap_nodes"]  # type: ignore[attr-defined]
        ),
        "dht_allow_local_nodes": values["dht_allow_local_nodes"] is True,
    }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one target: ``torrent`` holds the .torrent bytes when fetched."""

    target: Target
    torrent: bytes | None = None
    name: str | None = None
    failure: str | None = None  # "timeout" | "deadline" | "error" | "mismatch"


@dataclass(frozen=True, slots=True)
class FetchSummary(Summary):
    """One run's figures; ``payload_bytes`` and ``session_payload_bytes`` must stay 0."""

    attempted: int = 0
    fetched: int = 0
    failed: int = 0  # timed out or errored this run (counted per hash in state)
    unfinished: int = 0  # not tried or cut short by the deadline
    given_up: int = 0  # skipped: failed too often in earlier runs
    payload_bytes: int = 0  # sum of libtorrent's total_payload_download over the torrents
    session_payload_bytes: int = 0  # the session counter net.recv_payload_bytes
    failed_hashes: tuple[str, ...] = field(default=())


@dataclass(slots=True)
class _Active:
    target: Target
    handle: lt.torrent_handle
    started: float
    looked_up: float = float("-inf")


def info_to_torrent(info: bytes) -> bytes:
    """The smallest .torrent holding ``info`` untouched: ``d4:info<info>e``."""
    return b"d4:info" + info + b"e"


def _handle_key(handle: lt.torrent_handle) -> str:
    return str(handle.info_hashes().get_best())


class MetadataFetcher:
    """Fetches metadata for submitted targets, at most ``concurrency`` at a time.

    The caller owns the session and its alert loop (the DHT source shares one session
    between sampling and fetching): it hands every alert to :meth:`on_alert` and calls
    :meth:`step` often; finished targets come back as :class:`Outcome` values.
    """

    def __init__(
        self,
        session: lt.session,
        save_path: str,
        *,
        concurrency: int,
        timeout: float,
        peers: Iterable[tuple[str, int]] = (),
        pace: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        dht_lookup: bool = False,
    ) -> None:
        self.session, self.save_path = session, save_path
        self.dht_lookup = dht_lookup
        # At least three lookups per hash within its timeout: one reply may hold no peer.
        self.lookup_every = min(LOOKUP_EVERY, timeout / 3)
        self.concurrency, self.timeout = concurrency, timeout
        self.peers = tuple(peers)
        self.pace, self.clock = pace, clock
        self.queue: deque[Target] = deque()
        self.active: dict[str, _Active] = {}
        self.done: list[Outcome] = []
        self.payload_bytes = 0
        self.attempted = 0

    def submit(self, target: Target) -> None:
        self.queue.append(target)

    @property
    def busy(self) -> bool:
        return bool(self.queue or self.active)

    def step(self) -> list[Outcome]:
        """Expire timed-out fetches, start queued ones; return what finished since last call."""
        now = self.clock()
        for key, active in list(self.active.items()):
            if now - active.started > self.timeout:
                self._finish(key, Outcome(active.target, failure="timeout"))
            elif self.dht_lookup and now - active.looked_up >= self.lookup_every:
                active.looked_up = now
                self.session.dht_get_peers(active.handle.info_hashes().get_best())
        while self.queue and len(self.active) < self.concurrency:
            self._start(self.queue.popleft())
        finished, self.done = self.done, []
        return finished

    def on_alert(self, alert: lt.alert) -> None:
        if isinstance(alert, lt.metadata_received_alert):
            key = _handle_key(alert.handle)
            active = self.active.get(key)
            if active is not None:
                self._finish(key, self._outcome(active))
        elif isinstance(alert, lt.dht_get_peers_reply_alert):
            active = self.active.get(str(alert.info_hash))
            if active is not None:
                peers = alert.peers() if callable(alert.peers) else alert.peers
                for peer in peers:  # addresses used here and never kept
                    active.handle.connect_peer(tuple(peer))
        elif isinstance(alert, lt.torrent_error_alert):
            key = _handle_key(alert.handle)
            if key in self.active:
                log.info(
                    "fetch of %s failed: %s", self.active[key].target.infohash, alert.message()
                )
                self._finish(key, Outcome(self.active[key].target, failure="error"))

    def abandon(self) -> list[Outcome]:
        """Stop everything (the deadline came): what was queued or running, unfinished."""
        for key, active in list(self.active.items()):
            self._finish(key, Outcome(active.target, failure="deadline"))
        self.done.extend(Outcome(t, failure="deadline") for t in self.queue)
        self.queue.clear()
        finished, self.done = self.done, []
        return finished

    def _start(self, target: Target) -> None:
        params = lt.parse_magnet_uri(target.magnet)
        params.save_path = self.save_path
        params.flags |= lt.torrent_flags.upload_mode | lt.torrent_flags.default_dont_download
        params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
        if self.dht_lookup:
            # The torrent itself stays off the DHT, so libtorrent never announces us as a
            # peer of what we examine; we look its peers up with get_peers instead.
            params.flags |= lt.torrent_flags.disable_dht
        self.pace()
        try:
            handle = self.session.add_torrent(params)
        except RuntimeError as exc:  # e.g. the same torrent twice under two hashes
            log.info("cannot fetch %s: %s", target.infohash, exc)
            self.done.append(Outcome(target, failure="error"))
            return
        self.attempted += 1
        for peer in self.peers:
            handle.connect_peer(peer)
        self.active[_handle_key(handle)] = _Active(target, handle, self.clock())

    def _outcome(self, active: _Active) -> Outcome:
        info = active.handle.torrent_file().info_section()
        torrent = info_to_torrent(bytes(info))
        try:
            meta = parse_torrent(torrent, source_ref=active.target.ref)
        except InputRejected as exc:
            # libtorrent verified it against the infohash, so it is what the swarm has:
            # it lands, and the loader records why it is refused (nothing gathered is lost).
            log.warning("metadata for %s will be rejected: %s", active.target.infohash, exc)
            return Outcome(active.target, torrent=torrent)
        if active.target.infohash not in (meta.infohash_v1, meta.infohash_v2):
            return Outcome(active.target, failure="mismatch")
        return Outcome(active.target, torrent=torrent, name=meta.name)

    def _finish(self, key: str, outcome: Outcome) -> None:
        active = self.active.pop(key)
        self.payload_bytes += active.handle.status().total_payload_download
        # Nothing was written (upload_mode, no wanted file), so nothing is deleted.
        self.session.remove_torrent(active.handle)
        self.done.append(outcome)


def pump(
    session: lt.session,
    fetcher: MetadataFetcher,
    until: float,
    on_outcome: Callable[[Outcome], None],
    *,
    on_alert: Callable[[lt.alert], None] = lambda alert: None,
    keep_going: Callable[[], bool] = lambda: False,
    tick: Callable[[], None] = lambda: None,
) -> None:
    """Drive the session's alerts through ``fetcher`` (and ``on_alert``) until the
    fetcher is idle and ``keep_going`` says stop, or ``until`` (monotonic) passes;
    ``tick`` runs once a round (the DHT walker sends its next query there)."""
    while time.monotonic() < until and (fetcher.busy or keep_going()):
        tick()
        for outcome in fetcher.step():
            on_outcome(outcome)
        session.wait_for_alert(100)
        for alert in session.pop_alerts():
            fetcher.on_alert(alert)
            on_alert(alert)
        for outcome in fetcher.step():
            on_outcome(outcome)


def plan_for(settings: FetchSettings) -> SessionPlan:
    return SessionPlan(
        listen_interface=settings.listen_interface,
        listen_port=settings.listen_port,
        dht=bool(settings.dht_bootstrap),
        dht_bootstrap=settings.dht_bootstrap,
        dht_allow_local_nodes=settings.dht_allow_local_nodes,
    )


def torrent_item(ctx: GatherContext, outcome: Outcome) -> Gathered:
    return Gathered(
        kind="torrent",
        source=ctx.name,
        source_ref=outcome.target.ref,
        payload=outcome.torrent or b"",
        seen_at=datetime.now(UTC),
        infohash=outcome.target.infohash,
        title=outcome.name,
    )


def warehouse_targets(path: str, limit: int, skip: Iterable[str]) -> list[Target]:
    """Up to ``limit`` torrents the warehouse knows only by hash, newest sighting first."""
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise SwarmWarehouseUnreadable(f"cannot open warehouse {path} read-only: {exc}") from None
    try:
        rows = con.execute(
            "SELECT infohash, infohash_v1, infohash_v2 FROM torrents "
            "WHERE NOT has_metadata AND NOT list_contains($skip, infohash) "
            "ORDER BY last_seen DESC, infohash LIMIT $limit",
            {"skip": sorted(skip), "limit": limit},
        ).fetchall()
    except duckdb.Error as exc:
        raise SwarmWarehouseUnreadable(f"cannot read torrents from {path}: {exc}") from None
    finally:
        con.close()
    return [target_for_hashes(key, v1, v2, ref=f"warehouse:{key}") for key, v1, v2 in rows]


def _select(ctx: GatherContext, settings: FetchSettings) -> tuple[list[Target], int]:
    failures = _failures(ctx)
    given_up = {h for h, n in failures.items() if n >= settings.give_up_after}
    fetched = set(_str_list(ctx.state.get("fetched")))
    targets, skipped, seen = [], 0, set()
    for target in settings.targets:
        if target.infohash in seen or target.infohash in fetched:
            continue
        seen.add(target.infohash)
        if target.infohash in given_up:
            skipped += 1
            continue
        targets.append(target)
    if settings.from_warehouse:
        path = ctx.extra.get("warehouse")
        if not path:
            raise SwarmWarehouseUnreadable("from_warehouse is set but no warehouse path was given")
        for target in warehouse_targets(str(path), settings.warehouse_limit, given_up | seen):
            targets.append(target)
    return targets, skipped


def _failures(ctx: GatherContext) -> dict[str, int]:
    found = ctx.state.get("failures") or {}
    if not isinstance(found, dict):
        return {}
    return {str(k): int(v) for k, v in found.items() if isinstance(v, int)}


def _str_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def run_fetch(ctx: GatherContext) -> FetchSummary:
    """Fetch what the settings name; emit each torrent; remember failures; summarise."""
    settings = read_settings(ctx.settings)
    targets, given_up = _select(ctx, settings)
    failures = _failures(ctx)
    fetched = _str_list(ctx.state.get("fetched"))
    literal = {t.infohash for t in settings.targets}
    counts = {"fetched": 0, "failed": 0, "unfinished": 0}
    failed_hashes: list[str] = []

    def on_outcome(outcome: Outcome) -> None:
        infohash = outcome.target.infohash
        if outcome.torrent is not None:
            ctx.emit(torrent_item(ctx, outcome))
            counts["fetched"] += 1
            failures.pop(infohash, None)
            if infohash in literal:
                fetched.append(infohash)
        elif outcome.failure == "deadline":
            counts["unfinished"] += 1
        else:
            counts["failed"] += 1
            failed_hashes.append(infohash)
            failures[infohash] = failures.get(infohash, 0) + 1

    with tempfile.TemporaryDirectory(prefix="torrentwatch-fetch-") as save_path:
        session = open_session(plan_for(settings))
        try:
            fetcher = MetadataFetcher(
                session,
                save_path,
                concurrency=settings.concurrency,
                timeout=settings.timeout,
                peers=[(p.host, p.port) for p in settings.peers],
                pace=ctx.pace,
                dht_lookup=bool(settings.dht_bootstrap),
            )
            for target in targets:
                fetcher.submit(target)
            pump(session, fetcher, ctx.deadline - CLOSE_MARGIN, on_outcome)
            for outcome in fetcher.abandon():
                on_outcome(outcome)
            counters = stat_values(session, ("net.recv_payload_bytes",))
        finally:
            session.pause()
            del session
    ctx.state.set("failures", failures)
    ctx.state.set("fetched", fetched[-REMEMBER_FETCHED:])
    summary = FetchSummary(
        attempted=fetcher.attempted,
        fetched=counts["fetched"],
        failed=counts["failed"],
        unfinished=counts["unfinished"],
        given_up=given_up,
        payload_bytes=fetcher.payload_bytes,
        session_payload_bytes=counters["net.recv_payload_bytes"],
        failed_hashes=tuple(failed_hashes),
    )
    ctx.state.set("last_run", summary.as_dict())
    log.info("%s: %s", ctx.name, summary)
    return summary


def gather(ctx: GatherContext) -> None:
    """The ``fetch`` kind: see :func:`run_fetch`; the summary is kept in state ``last_run``."""
    run_fetch(ctx)
