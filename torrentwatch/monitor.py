"""The monitor stage: gather from the configured sources into the landing zone, then load.

These functions are what both `torrentwatch monitor` and the Airflow DAGs call: a DAG
runs ``gather_source`` per source (in parallel tasks) and then ``load_landing`` (in
the 1-slot warehouse pool); the CLI runs ``monitor``, which does both. A source that
fails or hangs is reported in its summary and never raises here, so one broken
source cannot fail the others' task or round; a warehouse that cannot be written
raises, and the items wait in the landing zone for the next load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.summary import Summary
from monitors.config import SourcesConfig, load_sources
from monitors.landing import LandingZone
from monitors.runner import GatherSummary, run_sources
from torrentwatch.monitor_load import BATCH_ITEMS, LoadPart, LoadSummary
from torrentwatch.monitor_load import load_landing as load_zone

__all__ = [
    "GatherSummary",
    "LoadPart",
    "LoadSummary",
    "MonitorSummary",
    "gather_source",
    "load_landing",
    "monitor",
    "source_names",
]

Progress = Callable[[GatherSummary | LoadSummary], None]


@dataclass(frozen=True, slots=True)
class MonitorSummary(Summary):
    """One round: each source's gather, then the load of everything unloaded."""

    gathers: tuple[GatherSummary, ...]
    load: LoadSummary
    rounds: int = 1

    def rows(self) -> list[dict[str, object]]:
        """Per source: status, new, seen before, loaded, rejected, and the error if any."""
        out = []
        for gathered in self.gathers:
            loaded = self.load.by_source.get(gathered.source, {})
            out.append(
                {
                    "source": gathered.source,
                    "kind": gathered.kind,
                    "status": gathered.status,
                    "new": gathered.new,
                    "seen_before": gathered.seen,
                    "loaded": loaded.get("items", 0),
                    "rejected": loaded.get("rejected", 0),
                    "load_failed": loaded.get("failed", 0),
                    "seconds": gathered.seconds,
                    "error": gathered.error or "",
                }
            )
        return out

    @property
    def failed_sources(self) -> tuple[str, ...]:
        """The sources whose gather failed or timed out (what they landed is loaded)."""
        return tuple(g.source for g in self.gathers if g.status != "ok")


def _extra(config: SourcesConfig, db: Path | None) -> dict[str, object]:
    extra: dict[str, object] = {"config_dir": str(config.base_dir)}
    if db is not None:
        extra["warehouse"] = str(Path(db).absolute())
    return extra


def source_names(config: Path) -> list[str]:
    """The names of the sources in ``config``, in file order (the config is checked)."""
    return load_sources(config).names()


def gather_source(config: Path, source: str, *, db: Path | None = None) -> GatherSummary:
    """Run one source's gather into the config's landing zone (isolated, with its timeout)."""
    loaded = load_sources(config)
    chosen = loaded.source(source)
    return run_sources([chosen], loaded.landing, _extra(loaded, db), parallel=1)[0]


def load_landing(
    config: Path,
    db: str | Path,
    *,
    on_progress: Progress | None = None,
    part: LoadPart | str | None = None,
    batch_items: int = BATCH_ITEMS,
) -> LoadSummary:
    """Load everything in the config's landing zone not yet loaded into ``db`` (with
    ``part``, only that loader's share of it: a ``LoadPart`` or its ``K/N`` text)."""
    if isinstance(part, str):
        part = LoadPart.parse(part)
    loaded = load_sources(config)
    zone = LandingZone.local(loaded.landing)
    return load_zone(zone, db, on_progress=on_progress, part=part, batch_items=batch_items)


def monitor(
    config: Path,
    db: Path,
    *,
    sources: list[str] | None = None,
    once: bool = True,
    on_progress: Progress | None = None,
) -> MonitorSummary:
    """Gather from ``sources`` (all by default) side by side, then load; with
    ``once=False`` repeat every ``interval`` seconds until interrupted (Ctrl-C between
    rounds returns the last round's summary)."""
    loaded = load_sources(config)
    chosen = loaded.selected(sources)
    zone = LandingZone.local(loaded.landing)
    zone.storage.remove_stale_temp()  # what a killed monitor's writes left behind
    rounds = 0
    while True:
        started = time.monotonic()
        gathers = run_sources(
            chosen,
            loaded.landing,
            _extra(loaded, db),
            parallel=loaded.parallel,
            on_update=on_progress,
        )
        load = load_zone(zone, db, on_progress=on_progress)
        rounds += 1
        summary = MonitorSummary(tuple(gathers), load, rounds)
        if on_progress:
            on_progress(load)
        if once:
            return summary
        try:
            time.sleep(max(0.0, loaded.interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            return summary
