"""The loader: the single DuckDB writer, taking landed items into the warehouse.

Every item the landing zone holds and no journal marks loaded is read, parsed by its
kind's parser (``parsers.items``) and loaded in batches (``build_batch``,
``load_batch``), one transaction each; only after a batch commits are its items marked
loaded. So a load that fails (the warehouse locked, a crash) leaves its items for the
next load, and nothing gathered is lost. The one gap: a crash after a commit and
before its journal file is written loads that batch again next time, which adds its
sightings to ``observations`` twice but never duplicates torrents or files.

How each kind of landed item is loaded is one table, ``LANDED_KINDS``: ``torrent``,
``observation`` and ``reject`` payloads are parsed whole into the batch being built
(``Batched``), keeping what the source said (title, category, seeders, leechers) in
``observations``; an ``observation`` becomes a magnet-only torrent row when its
infohash is new. A ``magnet`` list is read line by line (``parsers.inputs.magnet_slices``,
ingest's cap on one line; ``Lines``): one that fits in a batch joins the others; a
longer one is loaded on its own, a batch of lines per transaction, each moving
``load_progress`` under its landing key (as magnetico exports do), so a load that dies
part-way resumes after the lines it committed. A ``magnetico`` export is loaded from
its file by ``torrentwatch.import_magnetico.load_magnetico`` (``FromFile``), one
transaction per block, its result a ``MagneticoCounts``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pyarrow.compute as pc

from common.errors import (
    AlreadyLoaded,
    ConfigError,
    LandingError,
    NotRegularFile,
    TorrentwatchError,
)
from common.files import open_regular
from common.summary import Summary
from monitors.landing import Landed, LandingZone, item_key_of
from parsers import inputs, items
from parsers.columnar import ParsedBatch, build_batch
from parsers.inputs import LongLine, MagnetSlice, magnet_slices
from parsers.items import ItemOrigin, ItemParser, ParsedItem
from parsers.records import Reject, Sighting, TorrentMeta
from torrentwatch.import_magnetico import MagneticoCounts, load_magnetico
from warehouse.db import WRITER_MEMORY, connect
from warehouse.load import Progress, committed_through, load_batch
from warehouse.runs import RunRecord, recorded_run

BATCH_ITEMS = 5_000  # landed items (or magnet-list lines) per load transaction
BATCH_BYTES = 256 * 1024 * 1024  # ... or fewer, when their payloads add up to this
# Lines of a long magnet list per load transaction. A line is a few dozen bytes, but
# every transaction pays for matching its torrents against the whole torrents table:
# at a million lines, 5,000 a transaction took 66 s, 50,000 took 40 s (the whole list
# in one transaction: 32 s and four times the memory; BENCHMARKS.md).
LIST_LINES = 50_000
_COUNT_KEYS = ("items", "observations", "rejected", "failed")


# --------------------------------------------------------- the kinds of landed item


@dataclass(frozen=True, slots=True)
class Batched:
    """A kind whose payload is parsed whole into the batch being built."""

    parse: ItemParser


@dataclass(frozen=True, slots=True)
class Lines:
    """A list read line by line: into the batch being built when it fits one, else
    streamed on its own (``parse_part`` for each slice; ``parse`` for an empty one)."""

    parse: ItemParser
    parse_part: Callable[[ItemOrigin, MagnetSlice | LongLine], ParsedItem]


class FileLoader(Protocol):
    """A set-wise loader of a landed file, inside the caller's run."""

    def __call__(
        self,
        con,
        path: Path,
        *,
        source: str,
        source_ref: str,
        seen_at: datetime,
        run_id: str,
        progress_key: str | None,
    ) -> MagneticoCounts: ...


@dataclass(frozen=True, slots=True)
class FromFile:
    """A kind loaded from its payload file by its own loader, in transactions of its
    own, after the batched items."""

    load: FileLoader


Handler = Batched | Lines | FromFile

# How each kind of landed item (``monitors.base.GATHERED_KINDS``) is loaded.
LANDED_KINDS: dict[str, Handler] = {
    "torrent": Batched(items.ITEM_PARSERS["torrent"]),
    "magnet": Lines(items.ITEM_PARSERS["magnet"], items.parse_magnet_part),
    "observation": Batched(items.ITEM_PARSERS["observation"]),
    "reject": Batched(items.ITEM_PARSERS["reject"]),
    "magnetico": FromFile(load_magnetico),
}


# ------------------------------------------------------------------------ the counts


@dataclass(frozen=True, slots=True)
class LoadSummary(Summary):
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
    # Items another loader of a lake committed first (their batch was left to it).
    elsewhere: int = 0


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
    elsewhere: int = 0

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
            self.elsewhere,
        )


# ------------------------------------------------------------------ loaders in parts


@dataclass(frozen=True, slots=True)
class LoadPart:
    """Loader ``index`` of ``count`` (0-based): it takes the landed items whose key falls
    in its part. The parts split the landing zone by the items' SHA-256 keys, so they are
    disjoint and together whole without any coordination: N loaders of a lake (N
    processes, N Airflow tasks) each run with their own part and never meet; a part whose
    loader died is taken up by the next load of that part (or by a load of all parts)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> LoadPart:
        """``K/N``, 1-based as people count (``1/2`` and ``2/2`` are the two halves)."""
        shown, sep, total = text.partition("/")
        try:
            k, n = int(shown), int(total)
        except ValueError:
            k = n = 0
        if not sep or not 1 <= k <= n or n > 1024:
            raise ConfigError(
                f"load part {text!r}: write K/N with 1 <= K <= N <= 1024 (loader K of N), "
                "e.g. 1/2 and 2/2 for two loaders",
                code="load.part_invalid",
            )
        return cls(k - 1, n)

    def takes(self, envelope_key: str) -> bool:
        digest = item_key_of(envelope_key).rsplit("/", 1)[1]
        return int(digest[:12], 16) % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


# -------------------------------------------------------------------------- the load


def load_landing(
    zone: LandingZone,
    db: str | Path,
    *,
    batch_items: int = BATCH_ITEMS,
    list_lines: int = LIST_LINES,
    on_progress: Callable[[LoadSummary], None] | None = None,
    part: LoadPart | None = None,
) -> LoadSummary:
    """Load every unloaded landed item into ``db``; a run row (command ``monitor``) records it.

    ``part``: only the items of that part (:class:`LoadPart`), for N loaders at once on
    a lake warehouse; on a DuckDB file loaders take turns anyway.

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
        unloaded = zone.unloaded()
        if part is not None:
            unloaded = [key for key in unloaded if part.takes(key)]
        pending = _not_yet_committed(con, zone, unloaded)
        tally = _Tally(pending=len(pending))
        with recorded_run(con, "monitor") as run:
            try:
                _load_pending(
                    con, zone, run.run_id, pending, tally, batch_items, list_lines, on_progress
                )
            finally:
                _record(run, tally)
    finally:
        con.close()
    return tally.frozen(run.run_id)


def _load_pending(
    con,
    zone: LandingZone,
    run_id: str,
    pending: list[str],
    tally: _Tally,
    batch_items: int,
    list_lines: int,
    on_progress: Callable[[LoadSummary], None] | None,
) -> None:
    """The batches first, then each long magnet list and each file of its own."""
    report = (lambda: on_progress(tally.frozen(run_id))) if on_progress else lambda: None
    later = _Later()
    for group in _groups(zone, pending, batch_items, tally, later):
        _load_group(con, zone, run_id, group, tally)
        report()
    for landed, handler in later.magnet_lists:
        _load_magnet_list(con, zone, run_id, landed, handler, list_lines, tally, report)
    for landed, loader in later.files:
        _load_file(con, zone, run_id, landed, loader, tally)


def _record(run: RunRecord, tally: _Tally) -> None:
    """The run row's counts and detail, however the load ended."""
    summary = tally.frozen(run.run_id)
    run.items_read = tally.loaded
    run.torrents_new = tally.torrents_new
    run.torrents_updated = tally.torrents_updated
    run.rejected = summary.rejected_total
    run.detail = summary.as_dict()


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


@dataclass(slots=True)
class _Group:
    keys: list[str] = field(default_factory=list)
    parsed: list[tuple[TorrentMeta, Sighting]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    items: Counter[str] = field(default_factory=Counter)  # by source
    size: int = 0
    weight: int = 0  # inputs: one per item, one per line of a magnet list

    def add(self, result: ParsedItem, weight: int = 0) -> None:
        self.parsed.extend(result.parsed)
        self.rejects.extend(result.rejects)
        self.weight += weight


@dataclass(slots=True)
class _Later:
    """Items loaded after the grouped ones, each in transactions of its own."""

    magnet_lists: list[tuple[Landed, Lines]] = field(default_factory=list)  # over one batch
    files: list[tuple[Landed, FileLoader]] = field(default_factory=list)


def _groups(
    zone: LandingZone, pending: list[str], limit: int, tally: _Tally, later: _Later
) -> Iterator[_Group]:
    group = _Group()
    for envelope_key in pending:
        try:
            landed = zone.read_envelope(envelope_key)
            handler = _handler(landed)
        except LandingError as exc:  # torn or damaged: left for a new gather to rewrite
            tally.failed += 1
            tally.source(envelope_key.split("/")[1])["failed"] += 1
            tally.errors.append(str(exc))
            continue
        if isinstance(handler, FromFile):
            later.files.append((landed, handler.load))
            continue
        try:
            if not _parse_landed(zone, landed, handler, group, limit):
                assert isinstance(handler, Lines)
                later.magnet_lists.append((landed, handler))
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


def _handler(landed: Landed) -> Handler:
    """How ``landed`` is loaded; LandingError for a kind no source lands (an envelope
    written by hand or by a newer version), which is left in the landing zone."""
    handler = LANDED_KINDS.get(landed.kind)
    if handler is None:
        known = ", ".join(sorted(LANDED_KINDS))
        raise LandingError(
            f"landed item {landed.key} is of kind {landed.kind!r}, which this loader does "
            f"not load (it loads: {known})"
        )
    return handler


def _failed(tally: _Tally, landed: Landed, exc: Exception) -> None:
    tally.failed += 1
    tally.source(landed.source)["failed"] += 1
    tally.errors.append(str(exc))


def _parse_landed(
    zone: LandingZone, landed: Landed, handler: Batched | Lines, group: _Group, limit: int
) -> bool:
    """Parse one item into ``group``; False (nothing added) for a list longer than one
    batch of ``limit`` lines, which is streamed on its own."""
    if isinstance(handler, Lines) and landed.payload_size:
        with _magnet_parts(zone, landed, limit) as parts:
            head = list(itertools.islice(parts, 2))
        if len(head) > 1:
            return False
        for part in head:
            group.add(handler.parse_part(landed, part), _weight(part))
        return True
    group.weight += 1
    if landed.payload_size > inputs.MAX_INPUT_BYTES:
        group.rejects.append(_too_large(zone, landed))
        return True
    group.add(items.parse_payload(landed, zone.payload(landed)))
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
    handler: Lines,
    limit: int,
    tally: _Tally,
    report: Callable[[], None],
) -> None:
    """A magnet list longer than one batch, streamed: at most ``limit`` lines per
    transaction, each moving ``load_progress`` (keyed by the landing key) to its last
    line, so a load that dies part-way resumes after the lines it committed. The last
    block also records the item in ``landed_items``; then the item is marked loaded."""
    through = committed = committed_through(con, landed.key) or 0
    group = _Group()
    try:
        with _magnet_parts(zone, landed, limit) as parts:
            for part in _after_line(parts, through):
                if group.weight and group.weight + _weight(part) > limit:
                    block = Progress(landed.key, through, expect=committed)
                    if not _load_group(con, zone, run_id, group, tally, block):
                        return  # another loader is on this list: it is theirs now
                    committed = through
                    report()
                    group = _Group()
                group.add(handler.parse_part(landed, part), _weight(part))
                through = _last_line(part)
    except LandingError as exc:  # the payload is missing or torn: leave it, say so
        _failed(tally, landed, exc)
        return
    group.keys.append(landed.key)
    group.items[landed.source] += 1
    _load_group(con, zone, run_id, group, tally, Progress(landed.key, through, expect=committed))
    report()


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


def _load_group(
    con,
    zone: LandingZone,
    run_id: str,
    group: _Group,
    tally: _Tally,
    progress: Progress | None = None,
) -> bool:
    """Load one group; False when another loader had committed some of it first."""
    batch = build_batch(group.parsed, group.rejects)
    try:
        counts = load_batch(con, batch, run_id, landed_keys=group.keys, progress=progress)
    except AlreadyLoaded as exc:
        # On a lake another loader committed some of these items first: nothing of this
        # batch was written; what the other loader did not take waits for the next load.
        tally.elsewhere += len(exc.keys)
        tally.errors.append(str(exc))
        return False
    zone.mark_loaded(group.keys, run_id)
    tally.loaded += len(group.keys)
    tally.torrents_new += counts.torrents_new
    tally.torrents_updated += counts.torrents_updated
    tally.files += counts.files
    tally.observations += counts.observations
    for source, count in group.items.items():
        tally.source(source)["items"] += count
    _by_source(tally, batch, "observations", "observations")
    _by_source(tally, batch, "rejects", "rejected")
    if batch.rejects.num_rows:
        tally.rejected.update(batch.rejects.column("reason").to_pylist())
    if counts.hash_conflicts:
        tally.rejected["magnet.hash_conflict"] += counts.hash_conflicts
    return True


def _by_source(tally: _Tally, batch: ParsedBatch, table: str, key: str) -> None:
    column = getattr(batch, table).column("source")
    for entry in pc.value_counts(column).to_pylist():
        tally.source(entry["values"])[key] += entry["counts"]


def _load_file(
    con, zone: LandingZone, run_id: str, landed: Landed, load: FileLoader, tally: _Tally
) -> None:
    """A landed file (a magnetico export) loaded set-wise by its kind's loader, under
    its landing key so a load that died part-way resumes; a failure leaves it landed."""
    try:
        with zone.payload_file(landed) as path:
            counts = load(
                con,
                path,
                source=landed.source,
                source_ref=landed.source_ref,
                seen_at=landed.seen_at,
                run_id=run_id,
                progress_key=landed.key,
            )
    except TorrentwatchError as exc:
        _failed(tally, landed, LandingError(f"{landed.source_ref}: {exc}"))
        return
    zone.mark_loaded([landed.key], run_id)
    tally.loaded += 1
    tally.torrents_new += counts.torrents_new
    tally.torrents_updated += counts.torrents_updated
    tally.files += counts.files
    tally.observations += counts.observations
    tally.rejected.update(counts.rejected)
    by_source = tally.source(landed.source)
    by_source["items"] += 1
    by_source["observations"] += counts.observations
    by_source["rejected"] += counts.rejected_total
