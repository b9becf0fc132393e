"""Running sources side by side, each in its own process, so none can stop the others.

A source runs in a forked child process: an exception, a hang, even a crash in a
native library ends only that child. The parent watches every child's pipe and exit,
and kills a child still running ``KILL_GRACE`` seconds after its timeout (the source
itself is asked to stop at ``ctx.deadline``). Killing is safe: the landing zone
writes atomically, and a killed source's state is not saved, so its next run
gathers again what it had not remembered (and what had landed lands once).

Children are forked before the loader opens the warehouse, and never touch it for
writing: the loader, in the parent, is the single DuckDB writer.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

from common.errors import TorrentwatchError
from common.processes import die_with_parent
from common.summary import Summary
from monitors.base import GatherContext, Gathered
from monitors.config import SourceConfig
from monitors.kinds import KindUnavailable, load_kind
from monitors.landing import LandingZone

KILL_GRACE = 2.0  # seconds a source gets past its timeout before its process is killed
PROGRESS_EVERY = 0.5  # seconds between progress messages from a running source


@dataclass(frozen=True, slots=True)
class GatherSummary(Summary):
    """What one source's gather did: status ok | failed | timeout (running while it runs)."""

    source: str
    kind: str
    status: str
    new: int = 0  # items that landed for the first time
    seen: int = 0  # items that had landed before (gathered again, kept once)
    seconds: float = 0.0
    error: str | None = None
    error_code: str | None = None


class TokenBucket:
    """Paces a source's outbound requests to ``rate`` a second (bursts of one).

    Thread-safe: a source may fetch from several threads and they share one budget.
    """

    def __init__(self, rate: float | None, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self.tokens = 1.0
        self.last = clock()
        self.lock = threading.Lock()

    def pace(self) -> None:
        if self.rate is None:
            return
        with self.lock:
            now = self.clock()
            self.tokens = min(1.0, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens < 1.0:
                wait_for = (1.0 - self.tokens) / self.rate
                self.sleep(wait_for)
                self.last = now + wait_for
                self.tokens = 1.0
            self.tokens -= 1.0


def _emitter(zone: LandingZone, name: str, counts: dict[str, int], report) -> Callable:
    def emit(item: Gathered) -> bool:
        if item.source != name:  # items are filed under the source that gathered them
            item = replace(item, source=name)
        new = zone.land(item)
        counts["new" if new else "seen"] += 1
        report()
        return new

    return emit


def gather_in_process(
    source: SourceConfig,
    zone: LandingZone,
    extra: Mapping[str, object],
    on_counts: Callable[[int, int], None] | None = None,
) -> GatherSummary:
    """Run one source's gather here (the child calls this); never raises."""
    started = time.monotonic()
    counts = {"new": 0, "seen": 0}
    last = [started]

    def report() -> None:
        if on_counts and time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            on_counts(counts["new"], counts["seen"])

    status, error, code = "ok", None, None
    try:
        kind = load_kind(source.kind)
        state = zone.state(source.name)
        ctx = GatherContext(
            name=source.name,
            settings=source.settings,
            state=state,
            emit=_emitter(zone, source.name, counts, report),
            deadline=started + source.timeout,
            pace=TokenBucket(source.rate_limit).pace,
            extra=extra,
        )
        try:
            kind.gather(ctx)
        finally:
            # The source sets its state after emit returned, so what the state says
            # was gathered has landed; save it even when the source then failed.
            state.save()
    except TorrentwatchError as exc:
        status, error, code = "failed", str(exc), exc.code
    except KindUnavailable as exc:
        status, error, code = "failed", str(exc), "sources.bad_kind"
    except Exception as exc:  # a bug in a source: reported, never fatal to the run
        status, error, code = "failed", f"{type(exc).__name__}: {exc}", "source.crashed"
    return GatherSummary(
        source.name,
        source.kind,
        status,
        counts["new"],
        counts["seen"],
        round(time.monotonic() - started, 3),
        error,
        code,
    )


def _child(
    conn: Connection,
    source: SourceConfig,
    root: str,
    extra: Mapping[str, object],
    parent_pid: int,
) -> None:
    # A source process ends with the monitor, also when the monitor is killed (daemonic
    # processes are only stopped by a parent that exits normally).
    die_with_parent(parent_pid)

    def on_counts(new: int, seen: int) -> None:
        conn.send(("progress", new, seen))

    summary = gather_in_process(source, LandingZone.local(root), extra, on_counts)
    conn.send(("done", summary))
    conn.close()


@dataclass(slots=True)
class _Running:
    source: SourceConfig
    process: multiprocessing.process.BaseProcess
    conn: Connection
    started: float
    new: int = 0
    seen: int = 0
    result: GatherSummary | None = None


def run_sources(
    sources: Iterable[SourceConfig],
    landing: Path,
    extra: Mapping[str, object],
    *,
    parallel: int = 4,
    on_update: Callable[[GatherSummary], None] | None = None,
) -> list[GatherSummary]:
    """Gather every source, at most ``parallel`` at once; one summary each, in order."""
    waiting = list(sources)
    order = [s.name for s in waiting]
    running: list[_Running] = []
    done: dict[str, GatherSummary] = {}
    context = multiprocessing.get_context("fork")
    while waiting or running:
        while waiting and len(running) < parallel:
            running.append(_start(context, waiting.pop(0), landing, extra))
            if on_update:
                on_update(
                    GatherSummary(running[-1].source.name, running[-1].source.kind, "running")
                )
        _watch(running, done, on_update)
    return [done[name] for name in order]


def _start(context, source: SourceConfig, landing: Path, extra) -> _Running:
    parent_end, child_end = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(child_end, source, str(landing), dict(extra), os.getpid()),
        name=f"source-{source.name}",
        daemon=True,
    )
    process.start()
    child_end.close()
    return _Running(source, process, parent_end, time.monotonic())


def _watch(running: list[_Running], done: dict[str, GatherSummary], on_update) -> None:
    """Wait for the next message, exit or timeout among ``running``; settle what ended."""
    now = time.monotonic()
    kill_at = min(r.started + r.source.timeout + KILL_GRACE for r in running)
    handles = [r.conn for r in running] + [r.process.sentinel for r in running]
    ready = set(wait(handles, timeout=min(max(0.0, kill_at - now), 60.0)))
    for r in list(running):
        if r.conn in ready:
            _read(r, on_update)
        if r.result is None and time.monotonic() >= r.started + r.source.timeout + KILL_GRACE:
            _stop(r.process)
            r.result = _summary(
                r,
                "timeout",
                "source.timeout",
                f"still running {r.source.timeout:g}s after it started "
                "(its timeout); stopped. What it had landed is kept",
            )
        if r.result is not None:
            r.process.join(timeout=5)
            _stop(r.process)
            r.conn.close()
            running.remove(r)
            done[r.source.name] = r.result
            if on_update:
                on_update(r.result)


def _read(r: _Running, on_update) -> None:
    try:
        while r.conn.poll():
            message = r.conn.recv()
            if message[0] == "progress":
                r.new, r.seen = message[1], message[2]
                if on_update:
                    on_update(_summary(r, "running"))
            elif message[0] == "done":
                r.result = message[1]
    except (EOFError, OSError):  # the child ended without sending its result
        if r.result is None:
            r.process.join(timeout=5)
            r.result = _summary(
                r,
                "failed",
                "source.crashed",
                f"the source's process ended without a result (exit code {r.process.exitcode})",
            )


def _summary(r: _Running, status: str, code: str | None = None, error: str | None = None):
    return GatherSummary(
        r.source.name,
        r.source.kind,
        status,
        r.new,
        r.seen,
        round(time.monotonic() - r.started, 3),
        error,
        code,
    )


def _stop(process) -> None:
    if process.is_alive():
        process.terminate()
        process.join(timeout=1)
    if process.is_alive():
        process.kill()
        process.join(timeout=1)
