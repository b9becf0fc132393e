"""The `import magnetico` stage: a magnetico export or database into the warehouse.

``import_magnetico`` is the command (one run row per file); ``load_magnetico`` is the
load itself, which the monitor's loader also calls, inside its own run, for each
landed export. The records are read, checked and normalised by ``parsers.magnetico``
(block by block, in worker processes for a large file); this module is the single
writer that loads each block with ``warehouse.load``, one transaction per block, with
the same upsert as ingest: a torrent is stored once, a magnet-only row gains the
metadata, and every record is a sighting. Rejects are stored once per file line: a
file loaded again adds its sightings and nothing else.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.errors import NotRegularFile
from common.processes import worker_pool
from common.summary import Summary
from monitors.magnetico import sniff_format
from parsers import magnetico as parsing
from parsers.columnar import rejects_table
from parsers.magnetico import BLOCK_BYTES, LineBlock, Origin, Prepared
from parsers.records import Reject
from warehouse.db import WRITER_MEMORY, connect
from warehouse.load import Progress, committed_through, load_batch, load_rejects
from warehouse.runs import recorded_run

SOURCE = "magnetico-import"
# Processes that check and normalise blocks while this one loads (more cannot help:
# the load, by the single writer, is the other half of the work).
MAX_WORKERS = 2


@dataclass(frozen=True, slots=True)
class MagneticoCounts(Summary):
    """What loading one export did; ``rejected`` maps reason codes to the counts of
    records rejected (found in the file, whether or not an earlier load stored them)."""

    records: int = 0
    torrents_new: int = 0
    torrents_updated: int = 0
    files: int = 0
    observations: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    # The last record an earlier load of the same export committed (None: no earlier
    # progress recorded), and whether this load skipped the records up to it.
    earlier_through: int | None = None
    resumed: bool = False


@dataclass(slots=True)
class _Tally:
    records: int = 0
    torrents_new: int = 0
    torrents_updated: int = 0
    files: int = 0
    observations: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    earlier_through: int | None = None
    resumed: bool = False

    def frozen(self) -> MagneticoCounts:
        """The counts so far, field by field by name (the two classes hold the same
        fields; only ``rejected`` changes type, Counter to dict)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return MagneticoCounts(**values | {"rejected": dict(self.rejected)})


@dataclass(slots=True)
class _Writer:
    """Where the blocks go: the writer's connection, its run and progress key."""

    con: object
    run_id: str
    progress_key: str | None  # the key progress is recorded under, if any
    # What load_progress says for the key as this writer last saw or left it: each
    # block expects it unchanged, so two loaders of one file cannot both load a block.
    committed: int = 0


# ------------------------------------------------------------------------- the load


def load_magnetico(
    con,
    path: Path,
    *,
    source: str,
    source_ref: str,
    seen_at: datetime,
    run_id: str,
    workers: int | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress_key: str | None = None,
    resume: bool = True,
) -> MagneticoCounts:
    """Load one magnetico export (JSON lines, zstd JSON lines) or SQLite database.

    ``con`` is an open read-write warehouse connection; the caller owns the run row.
    Each block is loaded in its own transaction, so an error part-way through keeps
    the blocks already loaded (the landing zone still holds the file for a retry, and
    re-loading it only adds sightings). ``workers`` check and normalise blocks in
    parallel with the load; by default one per core (up to ``MAX_WORKERS``) for files
    of several blocks, none (all in this process) for smaller ones. ``block_bytes``
    is the size of a block of JSON lines (one parse, one normalisation, one
    transaction).

    ``progress_key`` names the export (its landing key, or the identity of a file given
    on the command line): each block's transaction records the last record number it
    holds in ``load_progress`` under it, and with ``resume`` a later load with the same
    key skips the records at or before it, so an export whose load died part-way is not
    loaded (and its records sighted) twice. Without a key, or with ``resume=False``,
    the whole file loads, and a file loaded before adds its sightings again (its
    rejects, stored already, are not stored again).
    """
    path = Path(path)
    origin = Origin(source, source_ref, seen_at)
    writer = _Writer(con, run_id, progress_key)
    tally = _Tally()
    try:
        fmt = sniff_format(path)
    except (OSError, NotRegularFile) as exc:
        reason = "input.not_regular_file" if isinstance(exc, NotRegularFile) else "input.unreadable"
        detail = str(exc.args[0]) if isinstance(exc, NotRegularFile) else f"cannot read: {exc}"
        _load_rejects(writer, tally, [origin.reject(0, None, reason, detail)])
        tally.records += 1
        return tally.frozen()
    if fmt is None:
        _load_rejects(writer, tally, [parsing.not_an_export(path, origin)])
        tally.records += 1
        return tally.frozen()
    if fmt == "sqlite":
        blocks = parsing.sqlite_blocks(path)
        origin = replace(origin, position="#torrents.id=", by_file_id=True)
    else:
        blocks = parsing.jsonl_blocks(path, compressed=fmt == "jsonl.zst", block_bytes=block_bytes)
    if workers is None:
        small = path.stat().st_size < 2 * block_bytes
        workers = 1 if small else min(os.cpu_count() or 1, MAX_WORKERS)
    if progress_key is not None:
        tally.earlier_through = committed_through(con, progress_key)
        writer.committed = tally.earlier_through or 0
        if resume and tally.earlier_through is not None:
            blocks = parsing.blocks_after(blocks, tally.earlier_through)
            tally.resumed = True
    _run_blocks(writer, blocks, origin, tally, workers)
    return tally.frozen()


def _run_blocks(
    writer: _Writer, blocks: Iterator[LineBlock], origin: Origin, tally: _Tally, workers: int
) -> None:
    """Check and normalise each block (in worker processes when ``workers`` > 1, while
    this process, the single writer, loads the blocks before) and load it, in file order.

    The workers are forked while this process's DuckDB is idle (no query running, its
    threads parked), and each checks its blocks in its own in-memory DuckDB."""
    if workers <= 1:
        for block in blocks:
            _store(writer, parsing.prepare_block(block, origin, writer.con), tally)
        return
    pending: deque[Future[Prepared]] = deque()
    with worker_pool(workers) as pool:
        try:
            for block in blocks:
                pending.append(pool.submit(parsing.prepare_block, block, origin))
                while len(pending) > workers:
                    _store(writer, pending.popleft().result(), tally)
            while pending:
                _store(writer, pending.popleft().result(), tally)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _store(writer: _Writer, prepared: Prepared, tally: _Tally) -> None:
    tally.records += prepared.records
    progress = None
    if writer.progress_key is not None and prepared.records:
        progress = Progress(writer.progress_key, prepared.last, expect=writer.committed)
    if prepared.batch is None:
        _load_rejects(writer, tally, prepared.rejects, progress)
        return
    batch = prepared.batch
    # Rechunked here, not in the worker: a pickled slice carries its whole buffers.
    batch = replace(batch, torrents=_rechunked(batch.torrents), files=_rechunked(batch.files))
    counts = load_batch(writer.con, batch, writer.run_id, progress=progress, rejects_once=True)
    if progress is not None:
        writer.committed = max(writer.committed, progress.through)
    tally.torrents_new += counts.torrents_new
    tally.torrents_updated += counts.torrents_updated
    tally.files += counts.files
    tally.observations += counts.observations
    tally.rejected.update(r.reason for r in prepared.rejects)


def _load_rejects(
    writer: _Writer, tally: _Tally, rejects: list[Reject], progress: Progress | None = None
) -> None:
    """Rejects alone (a block without one good record), with the block's progress mark,
    in one transaction; those stored by an earlier load of the file are not stored again."""
    if not rejects:
        return
    load_rejects(writer.con, rejects_table(rejects), writer.run_id, progress, once=True)
    if progress is not None:
        writer.committed = max(writer.committed, progress.through)
    tally.rejected.update(r.reason for r in rejects)


def _rechunked(table: pa.Table, rows: int = 1 << 17) -> pa.Table:
    """``table`` as record batches of ``rows``: DuckDB scans an Arrow table one batch
    per thread, so one big batch would make the insert single-threaded."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), table.schema)


# ---------------------------------------------------------------------- the command


def file_identity(path: Path) -> str | None:
    """The key an import of ``path`` records its progress under: the file's absolute
    path, size and modification time (None when it cannot be read). Hashing the whole
    export would cost more than a second per gigabyte at every start; a file changed
    in place gets a new identity, so a resume never skips records of other content."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return f"file:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def import_magnetico(
    path: Path,
    db: Path,
    *,
    source: str = SOURCE,
    workers: int | None = None,
    resume: bool = False,
) -> MagneticoCounts:
    """Import one magnetico export (JSON lines, zstd JSON lines) or SQLite database.

    One run row records it; bad records land in ``rejects`` and the rest load. An
    error in the run itself (the warehouse, an unreadable file system) marks the
    run failed and raises. ``workers``: processes normalising blocks alongside the
    load (default: one per core, up to two, for exports of several blocks).

    Each block's commit records how far into the file it reached (``file_identity``):
    with ``resume`` an import that stopped part-way continues after the last record
    an earlier import of the same unchanged file committed; without it the whole file
    loads again (adding sightings), and ``earlier_through`` in the result tells that
    an earlier import had got that far.
    """
    path = Path(path)
    con = connect(db, create=True, memory_limit=WRITER_MEMORY)
    try:
        with recorded_run(con, "import magnetico") as run:
            counts = load_magnetico(
                con,
                path,
                source=source,
                source_ref=str(path),
                seen_at=datetime.now(UTC),
                run_id=run.run_id,
                workers=workers,
                progress_key=file_identity(path),
                resume=resume,
            )
            run.items_read = counts.records
            run.torrents_new = counts.torrents_new
            run.torrents_updated = counts.torrents_updated
            run.rejected = counts.rejected_total
            run.detail = {"run_id": run.run_id, **counts.as_dict()}
    finally:
        con.close()
    return counts
