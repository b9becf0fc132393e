"""The loader: the single DuckDB writer, taking landed items into the warehouse.

Every item the landing zone holds and no journal marks loaded is read, parsed with the
ingest pipeline (``parse_item``, ``build_batch``, ``load_batch``) and loaded in batches,
one transaction each; only after a batch commits are its items marked loaded. So a
load that fails (the warehouse locked, a crash) leaves its items for the next load,
and nothing gathered is lost. The one gap: a crash after a commit and before its
journal file is written loads that batch again next time, which adds its sightings
to ``observations`` twice but never duplicates torrents or files.

Item kinds: ``torrent`` and ``magnet`` are parsed as ``ingest`` parses files, keeping
what the source said (title, category, seeders, leechers) in ``observations``. A magnet
list is read line by line (``parsers.inputs.magnet_slices``, ingest's cap on one line):
one that fits in a batch joins the others; a longer one is loaded on its own, a batch of
lines per transaction, each moving ``load_progress`` under its landing key (as magnetico
exports do), so a load that dies part-way resumes after the lines it committed;
``observation`` (JSON ``{infohash, seeders, leechers, title, category}``) becomes an
observation, and a magnet-only torrent row when the infohash is new; ``magnetico``
exports go to ``torrentwatch.magnetico_load.load_magnetico``, one transaction per file.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow.compute as pc

from common.errors import LandingError, NotRegularFile, TorrentwatchError
from common.files import open_regular
from common.textcap import cap_text
from monitors.landing import Landed, LandingZone, item_key_of
from parsers import inputs
from parsers.columnar import ParsedBatch, build_batch
from parsers.inputs import LongLine, MagnetSlice, long_line_reject, magnet_slices
from parsers.magnet import magnet_to_metas
from parsers.reasons import REASONS, parser_error
from parsers.records import MagnetLink, RawItem, Reject, Sighting, TorrentMeta
from torrentwatch.ingest import WRITER_MEMORY, parse_item
from warehouse.db import connect
from warehouse.load import Progress, committed_through, load_batch
from warehouse.runs import finish_run, start_run

BATCH_ITEMS = 5_000  # landed items (or magnet-list lines) per load transaction
BATCH_BYTES = 256 * 1024 * 1024  # ... or fewer, when their payloads add up to this
# Lines of a long magnet list per load transaction. A line is a few dozen bytes, but
# every transaction pays for matching its torrents against the whole torrents table:
# at a million lines, 5,000 a transaction took 66 s, 50,000 took 40 s (the whole list
# in one transaction: 32 s and four times the memory; BENCHMARKS.md).
LIST_LINES = 50_000
_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_COUNT_KEYS = ("items", "observations", "rejected", "failed")


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What one load did. ``failed`` items stay in the landing zone for the next load."""

    run_id: str
    pending: int  # unloaded items found at the start
    loaded: int  # items marked loaded by this run
    failed: int
    torrents_new: int = 0
    torrents_updated: int = 0
    files: int = 0
    observations: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "pending": self.pending,
            "loaded": self.loaded,
            "failed": self.failed,
            "torrents_new": self.torrents_new,
            "torrents_updated": self.torrents_updated,
            "files": self.files,
            "observations": self.observations,
            "rejected": dict(sorted(self.rejected.items())),
            "by_source": {k: dict(v) for k, v in sorted(self.by_source.items())},
            "errors": list(self.errors),
        }


@dataclass(slots=True)
class _Tally:
    pending: int = 0
    loaded: int = 0
    failed: int = 0
    torrents_new: int = 0
    torrents_updated: int = 0
    files: int = 0
    observations: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    by_source: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def source(self, name: str) -> Counter[str]:
        return self.by_source.setdefault(name, Counter({k: 0 for k in _COUNT_KEYS}))

    def frozen(self, run_id: str) -> LoadSummary:
        return LoadSummary(
            run_id,
            self.pending,
            self.loaded,
            self.failed,
            self.torrents_new,
            self.torrents_updated,
            self.files,
            self.observations,
            Counter(self.rejected),
            {k: dict(v) for k, v in self.by_source.items()},
            tuple(self.errors),
        )


def load_landing(
    zone: LandingZone,
    db: str | Path,
    *,
    batch_items: int = BATCH_ITEMS,
    list_lines: int = LIST_LINES,
    on_progress: Callable[[LoadSummary], None] | None = None,
) -> LoadSummary:
    """Load every unloaded landed item into ``db``; a run row (command ``monitor``) records it.

    ``batch_items`` landed items (a magnet list of at most that many lines counting as
    its lines) go into one transaction; a longer magnet list is loaded ``list_lines``
    lines per transaction.

    Raises (after marking the run failed) when the warehouse itself fails; what was not
    committed stays unloaded. Items that cannot be read become ``rejects`` rows.
    """
    con = connect(db, create=True, memory_limit=WRITER_MEMORY)
    try:
        # Listed while holding the writer lock: a load that finished a moment ago has
        # marked its items, so none is loaded twice by two overlapping runs.
        pending = _not_yet_committed(con, zone, zone.unloaded())
    except BaseException:
        con.close()
        raise
    tally = _Tally(pending=len(pending))
    run_id = start_run(con, "monitor")
    report = (lambda: on_progress(tally.frozen(run_id))) if on_progress else lambda: None
    try:
        later = _Later()
        for group in _groups(zone, pending, batch_items, tally, later):
            _load_group(con, zone, run_id, group, tally)
            report()
        for landed in later.magnet_lists:
            _load_magnet_list(con, zone, run_id, landed, list_lines, tally, report)
        for landed in later.magnetico:
            _load_magnetico(con, zone, run_id, landed, tally)
    except BaseException:
        _finish(con, run_id, "failed", tally)
        con.close()
        raise
    _finish(con, run_id, "completed", tally)
    con.close()
    return tally.frozen(run_id)


def _not_yet_committed(con, zone: LandingZone, pending: list[str]) -> list[str]:
    """``pending`` without the items an earlier load committed but could not mark (it
    died between its commit and the journal write); their marks are written now."""
    if not pending:
        return pending
    rows = con.execute(
        "SELECT landing_key, run_id FROM landed_items WHERE landing_key IN (SELECT unnest($keys))",
        {"keys": [item_key_of(key) for key in pending]},
    ).fetchall()
    if not rows:
        return pending
    for run_id in {run for _, run in rows}:
        zone.mark_loaded([key for key, run in rows if run == run_id], run_id)
    done = {key for key, _ in rows}
    return [key for key in pending if item_key_of(key) not in done]


def _finish(con, run_id: str, status: str, tally: _Tally) -> None:
    summary = tally.frozen(run_id)
    finish_run(
        con,
        run_id,
        status=status,
        items_read=tally.loaded,
        torrents_new=tally.torrents_new,
        torrents_updated=tally.torrents_updated,
        rejected=summary.rejected_total,
        detail=summary.as_dict(),
    )


@dataclass(slots=True)
class _Group:
    keys: list[str] = field(default_factory=list)
    parsed: list[tuple[TorrentMeta, Sighting]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    items: Counter[str] = field(default_factory=Counter)  # by source
    size: int = 0
    weight: int = 0  # inputs: one per item, one per line of a magnet list


@dataclass(slots=True)
class _Later:
    """Items loaded after the grouped ones, each in transactions of its own."""

    magnet_lists: list[Landed] = field(default_factory=list)  # longer than one batch
    magnetico: list[Landed] = field(default_factory=list)


def _groups(
    zone: LandingZone, pending: list[str], limit: int, tally: _Tally, later: _Later
) -> Iterator[_Group]:
    group = _Group()
    for envelope_key in pending:
        try:
            landed = zone.read_envelope(envelope_key)
        except LandingError as exc:  # torn or damaged: left for a new gather to rewrite
            tally.failed += 1
            tally.source(envelope_key.split("/")[1])["failed"] += 1
            tally.errors.append(str(exc))
            continue
        if landed.kind == "magnetico":
            later.magnetico.append(landed)
            continue
        try:
            if not _parse_landed(zone, landed, group, limit):
                later.magnet_lists.append(landed)
                continue
        except LandingError as exc:  # the payload is missing: leave it, say so
            _failed(tally, landed, exc)
            continue
        group.keys.append(landed.key)
        group.items[landed.source] += 1
        group.size += landed.payload_size
        if group.weight >= limit or group.size >= BATCH_BYTES:
            yield group
            group = _Group()
    if group.keys:
        yield group


def _failed(tally: _Tally, landed: Landed, exc: LandingError) -> None:
    tally.failed += 1
    tally.source(landed.source)["failed"] += 1
    tally.errors.append(str(exc))


def _parse_landed(zone: LandingZone, landed: Landed, group: _Group, limit: int) -> bool:
    """Parse one item into ``group``; False (nothing added) for a magnet list longer
    than one batch of ``limit`` lines, which is streamed on its own."""
    if landed.kind == "magnet" and landed.payload_size:
        with _magnet_parts(zone, landed, limit) as parts:
            head = list(itertools.islice(parts, 2))
        if len(head) > 1:
            return False
        for part in head:
            _parse_part(landed, part, group)
        return True
    group.weight += 1
    if landed.payload_size > inputs.MAX_INPUT_BYTES:
        group.rejects.append(_too_large(zone, landed))
        return True
    data = zone.payload(landed)
    try:
        _parse_payload(landed, data, group)
    except Exception as exc:  # a parser bug costs this item alone, not the load
        rejected = parser_error(exc, landed.kind, landed.source_ref)
        group.rejects.append(_reject(landed, data, rejected.reason, rejected.detail))
    return True


@contextmanager
def _magnet_parts(
    zone: LandingZone, landed: Landed, limit: int
) -> Iterator[Iterator[MagnetSlice | LongLine]]:
    """The landed magnet list read line by line, in slices of at most ``limit`` lines
    (``inputs.magnet_slices``: the cap on one line and its reject are ingest's).
    LandingError when its bytes cannot be read or are not all there."""
    with zone.payload_file(landed) as path, ExitStack() as stack:
        try:
            handle = stack.enter_context(open_regular(path))
            size = os.fstat(handle.fileno()).st_size
        except (OSError, NotRegularFile) as exc:
            raise LandingError(f"cannot read landed item {landed.key}: {exc}") from exc
        if size != landed.payload_size:
            raise LandingError(
                f"landed item {landed.key} ({landed.source_ref}) holds {size} of its "
                f"{landed.payload_size} bytes; it is left unloaded until gathered again"
            )
        yield _read_parts(handle, landed, limit)


def _read_parts(handle, landed: Landed, limit: int) -> Iterator[MagnetSlice | LongLine]:
    try:
        yield from magnet_slices(handle, max_lines=limit)
    except OSError as exc:
        raise LandingError(f"cannot read landed item {landed.key}: {exc}") from exc


def _parse_part(landed: Landed, part: MagnetSlice | LongLine, group: _Group) -> None:
    """Lines of a landed magnet list into ``group``, numbered as in the whole list."""
    if isinstance(part, LongLine):
        group.rejects.append(
            long_line_reject(landed.source, landed.source_ref, part, landed.seen_at)
        )
        group.weight += _weight(part)
        return
    item = RawItem(landed.source, landed.source_ref, "magnet", part.data, landed.seen_at)
    parsed, rejects = parse_item(item, first_line=part.first_line)
    group.parsed.extend(_as_said(landed, parsed))
    group.rejects.extend(rejects)
    group.weight += _weight(part)


def _weight(part: MagnetSlice | LongLine) -> int:
    return 1 if isinstance(part, LongLine) else part.lines


def _last_line(part: MagnetSlice | LongLine) -> int:
    return part.line if isinstance(part, LongLine) else part.first_line + part.lines - 1


def _after_line(
    parts: Iterable[MagnetSlice | LongLine], through: int
) -> Iterator[MagnetSlice | LongLine]:
    """``parts`` without the lines numbered ``through`` or less: an earlier load
    committed them. They are still read (to keep the numbering), not parsed."""
    for part in parts:
        if _last_line(part) <= through:
            continue
        if isinstance(part, MagnetSlice) and part.first_line <= through:
            rest = part.data.splitlines(keepends=True)[through - part.first_line + 1 :]
            part = MagnetSlice(through + 1, b"".join(rest), len(rest))
        yield part


def _load_magnet_list(
    con,
    zone: LandingZone,
    run_id: str,
    landed: Landed,
    limit: int,
    tally: _Tally,
    report: Callable[[], None],
) -> None:
    """A magnet list longer than one batch, streamed: at most ``limit`` lines per
    transaction, each moving ``load_progress`` (keyed by the landing key) to its last
    line, so a load that dies part-way resumes after the lines it committed. The last
    block also records the item in ``landed_items``; then the item is marked loaded."""
    through = committed_through(con, landed.key) or 0
    group = _Group()
    try:
        with _magnet_parts(zone, landed, limit) as parts:
            for part in _after_line(parts, through):
                if group.weight and group.weight + _weight(part) > limit:
                    _load_group(con, zone, run_id, group, tally, Progress(landed.key, through))
                    report()
                    group = _Group()
                _parse_part(landed, part, group)
                through = _last_line(part)
    except LandingError as exc:  # the payload is missing or torn: leave it, say so
        _failed(tally, landed, exc)
        return
    group.keys.append(landed.key)
    group.items[landed.source] += 1
    _load_group(con, zone, run_id, group, tally, Progress(landed.key, through))
    report()


def _parse_payload(landed: Landed, data: bytes, group: _Group) -> None:
    if landed.kind == "observation":
        _parse_observation(landed, data, group)
        return
    if landed.kind == "reject":
        group.rejects.append(_source_reject(landed, data))
        return
    if not data:
        group.rejects.append(_reject(landed, data, "input.empty", "the item has no bytes"))
        return
    item = RawItem(landed.source, landed.source_ref, landed.kind, data, landed.seen_at)
    parsed, rejects = parse_item(item)
    group.parsed.extend(_as_said(landed, parsed))
    group.rejects.extend(rejects)


def _as_said(
    landed: Landed, parsed: list[tuple[TorrentMeta, Sighting]]
) -> list[tuple[TorrentMeta, Sighting]]:
    """``parsed`` with what the source said of the item (title, category, peers)."""
    extras = {
        "title": landed.title,
        "category": landed.category,
        "seeders": landed.seeders,
        "leechers": landed.leechers,
    }
    if all(value is None for value in extras.values()):
        return parsed
    return [(meta, replace(sighting, **extras)) for meta, sighting in parsed]


def _reject(landed: Landed, data: bytes, reason: str, detail: str) -> Reject:
    return Reject(
        landed.source,
        landed.source_ref,
        hashlib.sha256(data).hexdigest(),
        reason,
        f"{landed.source_ref}: {detail}",
        landed.seen_at,
    )


def _too_large(zone: LandingZone, landed: Landed) -> Reject:
    digest = hashlib.sha256()
    with zone.payload_file(landed) as path, open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return Reject(
        landed.source,
        landed.source_ref,
        digest.hexdigest(),
        "input.too_large",
        f"{landed.source_ref}: {landed.payload_size} bytes is over the "
        f"{inputs.MAX_INPUT_BYTES}-byte limit",
        landed.seen_at,
    )


def _source_reject(landed: Landed, data: bytes) -> Reject:
    """What a source could not use, filed under its own reason (or as unreadable when
    the record itself is damaged); the landed record stays in the landing zone."""
    try:
        record = json.loads(data.decode("utf-8"))
        reason, detail = record["reason"], record["detail"]
        if reason not in REASONS or not isinstance(detail, str):
            raise ValueError(f"reason {reason!r} is not a known code")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return _reject(landed, data, "input.unreadable", f"reject record: {exc}")
    return _reject(landed, data, reason, detail)


def _parse_observation(landed: Landed, data: bytes, group: _Group) -> None:
    """A sighting without metadata: JSON ``{infohash, seeders, leechers, completed, title,
    category}``."""
    try:
        record = json.loads(data.decode("utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        infohash = str(record.get("infohash") or landed.infohash or "").lower()
        if not _HEX.fullmatch(infohash):
            raise ValueError(f"infohash {infohash[:80]!r} is not 40 or 64 hex digits")
        seeders = _count(record.get("seeders", landed.seeders), "seeders")
        leechers = _count(record.get("leechers", landed.leechers), "leechers")
        completed = _count(record.get("completed"), "completed")
        title = _text(record.get("title", landed.title), "title")
        category = _text(record.get("category", landed.category), "category")
    except (UnicodeDecodeError, ValueError) as exc:
        group.rejects.append(_reject(landed, data, "input.unreadable", f"observation: {exc}"))
        return
    v1 = (infohash,) if len(infohash) == 40 else ()
    v2 = (infohash,) if len(infohash) == 64 else ()
    name = cap_text(title) if title else None  # the row's name; the title is capped on load
    link = MagnetLink(infohashes_v1=v1, infohashes_v2=v2, display_name=name)
    sighting = Sighting(
        landed.source,
        landed.source_ref,
        landed.seen_at,
        title,
        category,
        seeders,
        leechers,
        completed,
    )
    group.parsed.extend((meta, sighting) for meta in magnet_to_metas(link))


def _count(value: object, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise ValueError(f"{key} must be a whole number from 0, not {value!r}")
    return value


def _text(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {type(value).__name__}")
    return value


def _load_group(
    con,
    zone: LandingZone,
    run_id: str,
    group: _Group,
    tally: _Tally,
    progress: Progress | None = None,
) -> None:
    batch = build_batch(group.parsed, group.rejects)
    counts = load_batch(con, batch, run_id, landed_keys=group.keys, progress=progress)
    zone.mark_loaded(group.keys, run_id)
    tally.loaded += len(group.keys)
    tally.torrents_new += counts.torrents_new
    tally.torrents_updated += counts.torrents_updated
    tally.files += counts.files
    tally.observations += counts.observations
    for source, items in group.items.items():
        tally.source(source)["items"] += items
    _by_source(tally, batch, "observations", "observations")
    _by_source(tally, batch, "rejects", "rejected")
    if batch.rejects.num_rows:
        tally.rejected.update(batch.rejects.column("reason").to_pylist())
    if counts.hash_conflicts:
        tally.rejected["magnet.hash_conflict"] += counts.hash_conflicts


def _by_source(tally: _Tally, batch: ParsedBatch, table: str, key: str) -> None:
    column = getattr(batch, table).column("source")
    for entry in pc.value_counts(column).to_pylist():
        tally.source(entry["values"])[key] += entry["counts"]


def _load_magnetico(con, zone: LandingZone, run_id: str, landed: Landed, tally: _Tally) -> None:
    """A magnetico export, loaded set-wise by its own loader; a failure leaves it landed."""
    counts = tally.source(landed.source)
    try:
        module = importlib.import_module("torrentwatch.magnetico_load")
        with zone.payload_file(landed) as path:
            result = module.load_magnetico(
                con,
                path,
                source=landed.source,
                source_ref=landed.source_ref,
                seen_at=landed.seen_at,
                run_id=run_id,
                progress_key=landed.key,
            )
    except (ImportError, AttributeError) as exc:
        tally.failed += 1
        counts["failed"] += 1
        tally.errors.append(f"{landed.source_ref}: magnetico loading is not available ({exc})")
        return
    except TorrentwatchError as exc:
        tally.failed += 1
        counts["failed"] += 1
        tally.errors.append(f"{landed.source_ref}: {exc}")
        return
    zone.mark_loaded([landed.key], run_id)
    tally.loaded += 1
    counts["items"] += 1
    for name in ("torrents_new", "torrents_updated", "files", "observations"):
        value = _result_count(result, name)
        setattr(tally, name, getattr(tally, name) + value)
        if name == "observations":
            counts["observations"] += value
    rejected = getattr(result, "rejected", None)
    if isinstance(result, dict):
        rejected = result.get("rejected")
    if isinstance(rejected, dict):  # reason code -> count
        tally.rejected.update({str(k): int(v) for k, v in rejected.items()})
        counts["rejected"] += sum(int(v) for v in rejected.values())


def _result_count(result: object, name: str) -> int:
    """A count from whatever the magnetico loader returns (a record or a mapping)."""
    value = result.get(name) if isinstance(result, dict) else getattr(result, name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
