"""The DHT source: sample infohashes from DHT nodes (BEP 51) and fetch their metadata.

One libtorrent session is both a DHT node and the metadata fetcher. The walker asks
known nodes for their ``sample_infohashes``, learns further nodes from each reply,
and visits those; every infohash not seen before goes to the fetcher of
:mod:`monitors.fetch`. What cannot be fetched in time lands as a magnet, so nothing
the DHT showed is lost. Node addresses live only in memory for the run: they are
never written to state, items or logs (no peer IPs stored).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import libtorrent as lt

from common.errors import SwarmSettingsInvalid
from common.settings import Setting, SettingsSpec, boolean
from common.summary import Summary
from monitors.base import GatherContext, Gathered
from monitors.fetch import (
    CLOSE_MARGIN,
    MAX_CONCURRENCY,
    MetadataFetcher,
    Outcome,
    counted,
    pump,
    session_keys,
    swarm_settings,
    target_for_hashes,
    timeout_per_hash,
    torrent_item,
)
from monitors.lt_session import Endpoint, SessionPlan, is_ip, open_session, stat_values

log = logging.getLogger(__name__)

MAX_QUERIES = 1000  # sample_infohashes queries per run (ctx.pace spaces them)
MAX_INFOHASHES = 10_000  # new infohashes per run before sampling stops
MAX_NODES = 5000  # node addresses held in memory during a run
CONCURRENCY = 8
TIMEOUT_PER_HASH = 30.0
REMEMBER = 50_000  # infohashes kept in state so the next run treats them as seen
MIN_REVISIT = 2.0  # seconds before asking a node again, whatever interval it asked for
UNANSWERED_RETRY = 60.0  # seconds before asking again a node that did not answer
REPLY_WAIT = 5.0  # seconds a query is waited for before the walk may end without it
LIVE_NODES_EVERY = 5.0  # seconds between looks at our own routing table
BOOTSTRAP_WAIT = 15.0  # seconds to wait for a first node when only host-named routers were given


@dataclass(frozen=True, slots=True)
class DhtSettings:
    listen_interface: str
    listen_port: int
    dht_bootstrap: tuple[Endpoint, ...]
    dht_allow_local_nodes: bool
    max_queries: int = MAX_QUERIES
    max_infohashes: int = MAX_INFOHASHES
    max_nodes: int = MAX_NODES
    fetch_metadata: bool = True
    concurrency: int = CONCURRENCY
    timeout: float = TIMEOUT_PER_HASH
    remember: int = REMEMBER


@dataclass(frozen=True, slots=True)
class DhtSummary(Summary):
    """One run's figures (no addresses). ``payload_bytes`` must stay 0."""

    queries: int
    replies: int
    nodes_known: int
    samples: int  # infohashes in replies, repeats included
    new_infohashes: int
    fetched: int
    magnets: int  # new infohashes whose metadata did not arrive in time
    payload_bytes: int
    session_payload_bytes: int


SETTINGS = SettingsSpec(
    "dht",
    (
        *swarm_settings(
            bootstrap_required="required: the nodes ('host:port') to start from; the public "
            "DHT's routers are used only when listed here"
        ),
        Setting(
            "fetch_metadata",
            boolean(),
            default=True,
            nullable=False,
            doc="fetch each new infohash's metadata (else land it as a magnet)",
        ),
        counted("max_queries", 1, 10_000_000, MAX_QUERIES, "sample_infohashes queries per run"),
        counted(
            "max_infohashes", 1, 10_000_000, MAX_INFOHASHES, "new infohashes per run, then stop"
        ),
        counted("max_nodes", 1, 1_000_000, MAX_NODES, "node addresses held in memory"),
        counted("concurrency", 1, MAX_CONCURRENCY, CONCURRENCY, "metadata fetched at once"),
        counted("remember", 0, 10_000_000, REMEMBER, "infohashes kept in state as already seen"),
        timeout_per_hash(TIMEOUT_PER_HASH),
    ),
    error=SwarmSettingsInvalid,
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    """Every problem with a dht source's settings, each starting with its key."""
    return SETTINGS.messages(settings)


def read_settings(settings: Mapping[str, object]) -> DhtSettings:
    values = SETTINGS.read(settings)
    return DhtSettings(
        **session_keys(values),  # type: ignore[arg-type]
        max_queries=int(values["max_queries"]),  # type: ignore[call-overload]
        max_infohashes=int(values["max_infohashes"]),  # type: ignore[call-overload]
        max_nodes=int(values["max_nodes"]),  # type: ignore[call-overload]
        fetch_metadata=values["fetch_metadata"] is True,
        concurrency=int(values["concurrency"]),  # type: ignore[call-overload]
        timeout=float(values["timeout_per_hash"]),  # type: ignore[arg-type]
        remember=int(values["remember"]),  # type: ignore[call-overload]
    )


class SampleWalker:
    """Which node to ask next: the one whose time came first (never twice within the
    interval it asked for), among the bootstrap nodes and every node replies named."""

    def __init__(
        self,
        session: lt.session,
        start: tuple[Endpoint, ...],
        *,
        max_nodes: int,
        pace: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session, self.max_nodes, self.pace, self.clock = session, max_nodes, pace, clock
        self.due: dict[tuple[str, int], float] = {}
        self.asked: dict[tuple[str, int], float] = {}  # queries not answered yet
        self.queries = self.replies = self.samples = 0
        self.last_live_nodes = float("-inf")
        self.started = clock()
        for endpoint in start:
            # Nodes named by host are libtorrent's routers: they fill its routing table,
            # which the walk reads (we resolve no names ourselves).
            if is_ip(endpoint.host):
                self.learn((endpoint.host, endpoint.port))

    def learn(self, endpoint: tuple[str, int]) -> None:
        if endpoint not in self.due and len(self.due) < self.max_nodes:
            self.due[endpoint] = self.clock()

    def next_due(self) -> float:
        return min(self.due.values(), default=float("inf"))

    def bootstrapping(self) -> bool:
        """No node known yet, but libtorrent may still be bootstrapping from its routers."""
        return not self.due and self.clock() - self.started < BOOTSTRAP_WAIT

    def awaiting_replies(self) -> bool:
        now = self.clock()
        return any(now - sent < REPLY_WAIT for sent in self.asked.values())

    def query_if_due(self) -> None:
        now = self.clock()
        if now - self.last_live_nodes >= (LIVE_NODES_EVERY if self.due else 1.0):
            self.last_live_nodes = now
            for node_id in own_node_ids(self.session):
                self.session.dht_live_nodes(node_id)
        if not self.due:
            return
        endpoint = min(self.due, key=self.due.__getitem__)
        if self.due[endpoint] > now:
            return
        self.pace()
        self.due[endpoint] = self.clock() + UNANSWERED_RETRY
        self.asked[endpoint] = self.clock()
        self.queries += 1
        # A random target walks the key space: replies name nodes near it.
        self.session.dht_sample_infohashes(endpoint, lt.sha1_hash(os.urandom(20)))

    def on_alert(self, alert: lt.alert) -> list[str]:
        """The infohashes (hex) a sample reply carried; learns the nodes it named."""
        if isinstance(alert, lt.dht_live_nodes_alert):
            for node in alert.nodes:
                self.learn(tuple(node["endpoint"]))
            return []
        if not isinstance(alert, lt.dht_sample_infohashes_alert):
            return []
        self.replies += 1
        endpoint = tuple(alert.endpoint)
        self.asked.pop(endpoint, None)
        if endpoint in self.due:
            wait = max(alert.interval.total_seconds(), MIN_REVISIT)
            self.due[endpoint] = self.clock() + wait
        for node in alert.nodes:
            self.learn(tuple(node["endpoint"]))
        found = [str(sample) for sample in alert.samples]
        self.samples += len(found)
        return found


def own_node_ids(session: lt.session) -> list[lt.sha1_hash]:
    """Our DHT node ids (one per listen address), which ``dht_live_nodes`` needs.

    libtorrent 2.1.1's binding cannot convert ``session_state().dht_state``, so they are
    read from the deprecated ``dht_state()`` entry: its ``node-id`` list holds each id
    followed by its address. Only the ids are used; nothing is kept.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        state = session.dht_state()
    raw = state.get(b"node-id") if isinstance(state, dict) else None
    entries = [raw] if isinstance(raw, bytes) else raw if isinstance(raw, list) else []
    return [lt.sha1_hash(e[:20]) for e in entries if isinstance(e, bytes) and len(e) >= 20]


def magnet_item(ctx: GatherContext, infohash: str) -> Gathered:
    return Gathered(
        kind="magnet",
        source=ctx.name,
        source_ref=f"dht:{infohash}",
        payload=f"magnet:?xt=urn:btih:{infohash}".encode(),
        seen_at=datetime.now(UTC),
        infohash=infohash,
    )


def run_dht(ctx: GatherContext) -> DhtSummary:
    """Sample, fetch, emit; stop at the deadline, ``max_queries`` or ``max_infohashes``."""
    settings = read_settings(ctx.settings)
    remembered = ctx.state.get("seen")
    seen_before = [str(h) for h in remembered] if isinstance(remembered, list) else []
    seen = set(seen_before)
    new: list[str] = []
    counts = {"fetched": 0, "magnets": 0}
    stop_at = ctx.deadline - CLOSE_MARGIN
    # Sampling stops early enough for the last hashes to be fetched before the deadline.
    sample_until = stop_at - (settings.timeout if settings.fetch_metadata else 0.0)

    def on_outcome(outcome: Outcome) -> None:
        if outcome.torrent is not None:
            ctx.emit(torrent_item(ctx, outcome))
            counts["fetched"] += 1
        else:
            ctx.emit(magnet_item(ctx, outcome.target.infohash))
            counts["magnets"] += 1

    with tempfile.TemporaryDirectory(prefix="torrentwatch-dht-") as save_path:
        session = open_session(
            SessionPlan(
                listen_interface=settings.listen_interface,
                listen_port=settings.listen_port,
                dht=True,
                dht_bootstrap=settings.dht_bootstrap,
                dht_allow_local_nodes=settings.dht_allow_local_nodes,
            )
        )
        try:
            fetcher = MetadataFetcher(
                session,
                save_path,
                concurrency=settings.concurrency,
                timeout=settings.timeout,
                pace=ctx.pace,
                dht_lookup=True,
            )
            walker = SampleWalker(
                session, settings.dht_bootstrap, max_nodes=settings.max_nodes, pace=ctx.pace
            )

            def sampling() -> bool:
                return (
                    walker.queries < settings.max_queries
                    and len(new) < settings.max_infohashes
                    and time.monotonic() < sample_until
                    and (walker.next_due() < sample_until or walker.bootstrapping())
                )

            def keep_going() -> bool:
                return sampling() or (
                    len(new) < settings.max_infohashes and walker.awaiting_replies()
                )

            def tick() -> None:
                if sampling():
                    walker.query_if_due()

            def on_alert(alert: lt.alert) -> None:
                for infohash in walker.on_alert(alert):
                    if infohash in seen:
                        continue
                    seen.add(infohash)
                    new.append(infohash)
                    # Past max_infohashes a hash is still kept (as a magnet), never dropped.
                    if settings.fetch_metadata and len(new) <= settings.max_infohashes:
                        ref = f"dht:{infohash}"
                        fetcher.submit(target_for_hashes(infohash, infohash, None, ref=ref))
                    else:
                        ctx.emit(magnet_item(ctx, infohash))
                        counts["magnets"] += 1

            pump(
                session,
                fetcher,
                stop_at,
                on_outcome,
                on_alert=on_alert,
                keep_going=keep_going,
                tick=tick,
            )
            for outcome in fetcher.abandon():
                on_outcome(outcome)
            counters = stat_values(session, ("net.recv_payload_bytes",))
        finally:
            session.pause()
            del session
    if settings.remember:
        ctx.state.set("seen", (seen_before + new)[-settings.remember :])
    summary = DhtSummary(
        queries=walker.queries,
        replies=walker.replies,
        nodes_known=len(walker.due),
        samples=walker.samples,
        new_infohashes=len(new),
        fetched=counts["fetched"],
        magnets=counts["magnets"],
        payload_bytes=fetcher.payload_bytes,
        session_payload_bytes=counters["net.recv_payload_bytes"],
    )
    ctx.state.set("last_run", summary.as_dict())
    log.info("%s: %s", ctx.name, summary)
    return summary


def gather(ctx: GatherContext) -> None:
    """The ``dht`` kind: see :func:`run_dht`; the summary is kept in state ``last_run``."""
    run_dht(ctx)
