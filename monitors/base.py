"""The contract between sources and the landing zone.

A source only gathers: it turns what it reads from the outside world into
``Gathered`` items and hands each to ``GatherContext.emit``. It never opens the
warehouse; the loader is the single DuckDB writer, so gathering can run anywhere
(another process, another machine) and a failed load loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

# What a landed payload holds, by kind:
#   torrent      the .torrent file's bytes (or a bencoded {"info": ...} built from fetched metadata)
#   magnet       one or more magnet URIs, UTF-8, one per line
#   observation  a sighting of an infohash with no new metadata (scrape counts, feed stats): JSON
#   magnetico    a magnetico export or database file, loaded set-wise
#   reject       something the source read but could not use: JSON {reason, detail, ...}
#                (a code of parsers/reasons.py), filed in `rejects` so nothing goes unseen
GATHERED_KINDS = frozenset({"torrent", "magnet", "observation", "magnetico", "reject"})


@dataclass(frozen=True, slots=True)
class Gathered:
    """One item a source gathered, exactly as it will land."""

    kind: str
    source: str  # the source's name in sources.yaml
    source_ref: str  # where it came from: a URL, a path, a feed item id
    payload: bytes  # empty when payload_file is set
    seen_at: datetime
    payload_file: str | None = None  # a large local file (an export) the landing zone copies in
    infohash: str | None = None  # when the source states it (feeds, scrapes, fetches)
    title: str | None = None
    category: str | None = None  # what the source said the category was
    seeders: int | None = None
    leechers: int | None = None


def rejected(
    source: str, source_ref: str, seen_at: datetime, reason: str, detail: str, **facts: object
) -> Gathered:
    """A ``reject`` item: what went wrong with one thing a source read, and where."""
    record = {"reason": reason, "detail": detail, **facts}
    payload = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()
    return Gathered("reject", source, source_ref, payload, seen_at)


class StateStore(Protocol):
    """Small per-source memory between runs (feed ETags, seen item ids, file stamps)."""

    def get(self, key: str, default: object = None) -> object: ...

    def set(self, key: str, value: object) -> None: ...


@dataclass(frozen=True, slots=True)
class GatherContext:
    """What a running source is given: its settings, its memory and where to put items."""

    name: str
    settings: Mapping[str, object]
    state: StateStore
    emit: Callable[[Gathered], bool]  # True when the item is new to the landing zone
    deadline: float  # time.monotonic() after which the source must stop
    pace: Callable[[], None]  # blocks until the source's rate limit allows its next request
    # "warehouse": the DuckDB path, for sources that read what is already known (read-only)
    extra: Mapping[str, object] = field(default_factory=dict)
