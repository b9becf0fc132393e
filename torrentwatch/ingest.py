"""The ingest stage: files and folders in, torrents/files/observations/rejects out.

Discovery streams paths; worker processes (forked before DuckDB is opened) read and
parse chunks of them into Arrow batches; a feeder thread keeps the workers supplied
while the parent, the single DuckDB writer, loads merged batches of about
``DEFAULT_BATCH`` inputs, each in one transaction. Work in flight is bounded (one
batch plus two chunks per worker), so memory does not depend on how many inputs there
are; see BENCHMARKS.md for the measured figures.

Magnet lists are the one input the parent reads itself: it streams each list line by
line (``parsers.inputs.magnet_slices``) and hands the workers slices of ``chunk_size``
lines, so a list of any length is loaded ``batch_size`` lines per transaction with
flat memory. What cannot be read (a FIFO, a device, an unlistable folder, a
symlinked subfolder) is a reject with its reason, like a bad torrent (docs/ingest.md).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common.checks import check_int
from common.errors import FileTooLarge, NotRegularFile
from common.files import open_regular
from common.processes import worker_pool
from common.summary import Summary
from parsers.columnar import ParsedBatch, build_batch, merge_batches
from parsers.inputs import (
    SOURCE,
    Found,
    LongLine,
    MagnetSlice,
    discover,
    display_path,
    long_line_reject,
    magnet_slices,
    read_found,
    reading_reject,
    sniff_file,
)
from parsers.items import parse_item
from parsers.records import RawItem, Reject, Sighting, TorrentMeta
from warehouse.db import WRITER_MEMORY, connect
from warehouse.load import load_batch
from warehouse.runs import RunRecord, recorded_run

# Inputs a worker parses at a time: small enough to keep both cores busy and the
# results in flight small.
DEFAULT_CHUNK = 1000
# Inputs per load transaction: worker chunks are merged up to this size, because
# every commit checkpoints and rewrites the tables' unfinished row groups, so the
# load costs far less in few large transactions than in many small ones.
DEFAULT_BATCH = 10_000
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Bounds of the numbers a caller may choose: past them memory in flight (chunks and
# batches are held whole) or processes forked would no longer be what a machine has.
MAX_WORKERS = 256
MAX_CHUNK = 100_000
MAX_BATCH = 1_000_000


@dataclass(frozen=True, slots=True)
class ChunkResult:
    batch: ParsedBatch
    skipped: int


@dataclass(slots=True)
class IngestSummary(Summary):
    """What one ingest run did; printed by the CLI, returned to DAG tasks, kept in
    ``runs.detail``."""

    run_id: str = ""
    items_read: int = 0
    torrents_new: int = 0
    torrents_updated: int = 0
    files: int = 0
    observations: int = 0
    skipped: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class MagnetPart:
    """Lines of a magnet list: read by the parent, which streams the list, parsed by a
    worker, so a list of any length goes through in chunks and batches."""

    ref: str
    part: MagnetSlice


@dataclass(frozen=True, slots=True)
class NotAnInput:
    """A file that turned out to be neither a torrent nor a magnet list (counted, skipped)."""

    ref: str


# What a worker is handed: a file to read, lines to parse, a reject found while
# reading or discovering, or a file that is no input at all.
Unit = Found | MagnetPart | Reject | NotAnInput


def parse_chunk(chunk: list[Unit]) -> ChunkResult:
    """Read and parse a chunk of work units (runs in a worker process)."""
    seen_at = datetime.now(UTC)
    parsed: list[tuple[TorrentMeta, Sighting]] = []
    rejects: list[Reject] = []
    skipped = 0
    for unit in chunk:
        if isinstance(unit, Reject):
            rejects.append(unit)
            continue
        if isinstance(unit, NotAnInput):
            skipped += 1
            continue
        if isinstance(unit, MagnetPart):
            item = RawItem(SOURCE, unit.ref, "magnet", unit.part.data, seen_at)
            more, bad = parse_item(item, first_line=unit.part.first_line)
        else:
            item = read_found(unit, seen_at)
            if item is None:
                skipped += 1
                continue
            if isinstance(item, Reject):
                rejects.append(item)
                continue
            more, bad = parse_item(item)
        parsed.extend(more)
        rejects.extend(bad)
    return ChunkResult(build_batch(parsed, rejects), skipped)


def _units(founds: Iterable[Found], slice_lines: int) -> Iterator[Unit]:
    """Discovered files as work units: magnet lists (by suffix, or sniffed) are streamed
    here in slices of ``slice_lines`` lines; every other file is read by a worker."""
    for found in founds:
        if found.problem is not None or found.kind == "torrent":
            yield found
        else:
            yield from _expand(found, slice_lines)


def _expand(found: Found, slice_lines: int) -> Iterator[Unit]:
    ref = display_path(found.path)
    try:
        with open_regular(found.path) as handle:
            kind = found.kind if found.kind == "magnet" else sniff_file(handle)
            if kind == "torrent":
                yield Found(found.path, "torrent")
            elif kind is None:
                yield NotAnInput(ref)
            else:
                handle.seek(0)
                yield from _magnet_units(handle, ref, slice_lines)
    except (OSError, NotRegularFile, FileTooLarge) as exc:
        yield reading_reject(ref, exc, datetime.now(UTC))


def _magnet_units(handle, ref: str, slice_lines: int) -> Iterator[Unit]:
    if not handle.peek(1):
        detail = f"{ref}: the file is empty"
        yield Reject(SOURCE, ref, EMPTY_SHA256, "input.empty", detail, datetime.now(UTC))
        return
    for part in magnet_slices(handle, max_lines=slice_lines):
        if isinstance(part, LongLine):
            yield long_line_reject(SOURCE, ref, part, datetime.now(UTC))
        else:
            yield MagnetPart(ref, part)


def _weight(unit: Unit) -> int:
    return unit.part.lines if isinstance(unit, MagnetPart) else 1


def _chunks(units: Iterable[Unit], size: int) -> Iterator[list[Unit]]:
    """Consecutive units holding about ``size`` inputs (a magnet slice: one per line)."""
    chunk: list[Unit] = []
    held = 0
    for unit in units:
        chunk.append(unit)
        held += _weight(unit)
        if held >= size:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _parsers(workers: int) -> AbstractContextManager[ProcessPoolExecutor | None]:
    """Parser processes, forked (and all started) before the warehouse is opened, so
    they inherit no DuckDB threads or locks; None (parse inline) for one worker."""
    return worker_pool(workers, warm=True) if workers > 1 else nullcontext()


def _parsed_chunks(
    chunks: Iterator[list[Found]], pool: ProcessPoolExecutor | None, window: int
) -> Iterator[ChunkResult]:
    """Chunk results in input order, with at most ``window`` chunks submitted ahead.

    A feeder thread keeps the workers supplied while the parent is busy loading a
    batch into DuckDB; otherwise the workers would sit idle during every load.
    """
    if pool is None:
        yield from map(parse_chunk, chunks)
        return
    slots = threading.Semaphore(window)
    stop = threading.Event()
    futures: queue.Queue[Future[ChunkResult] | BaseException | None] = queue.Queue()

    def feed() -> None:
        try:
            for chunk in chunks:
                slots.acquire()
                if stop.is_set():
                    return
                futures.put(pool.submit(parse_chunk, chunk))
        except BaseException as exc:  # discovery or submission failed: tell the parent
            futures.put(exc)
        futures.put(None)

    feeder = threading.Thread(target=feed, name="ingest-feeder", daemon=True)
    feeder.start()
    try:
        while (item := futures.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            result = item.result()
            slots.release()
            yield result
    finally:
        stop.set()
        slots.release()
        feeder.join(timeout=5)


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    db: str | Path,
    *,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    batch_size: int = DEFAULT_BATCH,
    on_progress: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Ingest every .torrent and magnet list under ``paths`` into the warehouse ``db``.

    Rejected inputs are recorded in ``rejects`` and do not stop the run; an error in
    the run itself (the warehouse, a crashed worker) marks the run failed and raises.
    Each load of about ``batch_size`` inputs is one transaction: all of it or none.
    ``workers`` (None or 0: one per core), ``chunk_size`` and ``batch_size`` out of
    their ranges (``MAX_WORKERS``, ``MAX_CHUNK``, ``MAX_BATCH``) raise ValueOutOfRange
    before anything is opened.
    """
    workers, chunk_size, batch_size = _checked(workers, chunk_size, batch_size)
    with _parsers(workers) as pool:
        con = connect(db, create=True, memory_limit=WRITER_MEMORY)
        try:
            with recorded_run(con, "ingest") as run:
                summary = IngestSummary(run_id=run.run_id)
                try:
                    chunks = _chunks(_units(discover(paths), chunk_size), chunk_size)
                    window = -(-batch_size // chunk_size) + 2 * workers
                    for group in _grouped(_parsed_chunks(chunks, pool, window), batch_size):
                        _load_group(con, summary, group)
                        if on_progress:
                            on_progress(summary)
                finally:  # a failed run's row keeps what its committed batches did
                    _record(run, summary)
        finally:
            con.close()
    return summary


def _checked(workers: int | None, chunk_size: int, batch_size: int) -> tuple[int, int, int]:
    """The run's numbers, checked before anything starts (None or 0 workers: one per core)."""
    if workers is None or workers == 0:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
    return (
        check_int("workers", workers, low=1, high=MAX_WORKERS),
        check_int("chunk_size", chunk_size, low=1, high=MAX_CHUNK),
        check_int("batch_size", batch_size, low=1, high=MAX_BATCH),
    )


def _grouped(results: Iterator[ChunkResult], size: int) -> Iterator[list[ChunkResult]]:
    """Consecutive chunk results holding at least ``size`` inputs (the last: fewer)."""
    group: list[ChunkResult] = []
    held = 0
    for result in results:
        group.append(result)
        held += result.batch.items
        if held >= size:
            yield group
            group, held = [], 0
    if group:
        yield group


def _load_group(con, summary: IngestSummary, group: list[ChunkResult]) -> None:
    batches = [result.batch for result in group]
    merged = merge_batches(batches)
    for batch in [merged] if merged is not None else batches:
        _account(summary, batch, load_batch(con, batch, summary.run_id))
    summary.skipped += sum(result.skipped for result in group)


def _account(summary: IngestSummary, batch: ParsedBatch, counts) -> None:
    summary.items_read += batch.items
    summary.torrents_new += counts.torrents_new
    summary.torrents_updated += counts.torrents_updated
    summary.files += counts.files
    summary.observations += counts.observations
    if batch.rejects.num_rows:
        summary.rejected.update(batch.rejects.column("reason").to_pylist())
    if counts.hash_conflicts:
        summary.rejected["magnet.hash_conflict"] += counts.hash_conflicts


def _record(run: RunRecord, summary: IngestSummary) -> None:
    run.items_read = summary.items_read
    run.torrents_new = summary.torrents_new
    run.torrents_updated = summary.torrents_updated
    run.rejected = summary.rejected_total
    run.detail = summary.as_dict()
