"""The `import magnetico` stage: a magnetico export or database into the warehouse.

The CLI command and the benchmark call ``import_magnetico``; the monitor's loader
calls ``torrentwatch.magnetico_load.load_magnetico`` directly inside its own run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from torrentwatch.magnetico_load import MagneticoCounts, load_magnetico
from warehouse.db import connect
from warehouse.runs import finish_run, start_run

SOURCE = "magnetico-import"
# The writer's buffer pool: a block of records plus its files, flat however big the export.
WRITER_MEMORY = "1GB"


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
        run_id = start_run(con, "import magnetico")
        try:
            counts = load_magnetico(
                con,
                path,
                source=source,
                source_ref=str(path),
                seen_at=datetime.now(UTC),
                run_id=run_id,
                workers=workers,
                progress_key=file_identity(path),
                resume=resume,
            )
        except BaseException:
            finish_run(con, run_id, status="failed")
            raise
        finish_run(
            con,
            run_id,
            status="completed",
            items_read=counts.records,
            torrents_new=counts.torrents_new,
            torrents_updated=counts.torrents_updated,
            rejected=counts.rejected_total,
            detail={"run_id": run_id, **counts.as_dict()},
        )
    finally:
        con.close()
    return counts
