"""The `runs` table: one row per CLI or DAG run, so every row can be traced to a run.

A run whose process is killed (``kill -9``, the OOM killer, a power loss) never
finishes its row. Every new run first settles such rows: a DuckDB file admits one
writing process at a time, and while it writes no other process may even have it open,
so a row still ``running`` when a writer starts belongs to a process that is gone,
unless it is this very process (two stages in one process share the database). Those
rows become ``abandoned``. Each row records its process (``pid``, ``host``) to tell them
apart, and the spill files DuckDB left in ``<warehouse>.tmp/`` are removed with them.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from common.errors import TorrentwatchError
from warehouse.db import rollback_quietly, write_error
from warehouse.lake import is_lake_connection

# The error text a failed run keeps in runs.detail is cut to this.
ERROR_DETAIL_CHARS = 2000

# DuckDB spills to files named like this in its temp directory (DuckDB 1.5.5).
_SPILL_PREFIX = "duckdb_temp_storage"


def start_run(con, command: str) -> str:
    """Record a new run as ``running``, after settling what killed runs left behind;
    a full disk is a WarehouseDiskFull, not a raw DuckDB error (this is the first write
    of every run)."""
    try:
        abandon_stale_runs(con)
        remove_stale_spill_files(con)
        run_id = uuid.uuid4().hex
        con.execute(
            "INSERT INTO runs (run_id, command, started_at, status, pid, host)"
            " VALUES (?, ?, now(), 'running', ?, ?)",
            [run_id, command, os.getpid(), socket.gethostname()],
        )
    except duckdb.Error as exc:
        raise write_error(exc, f"starting a {command} run failed") from exc
    return run_id


def abandon_stale_runs(con) -> list[str]:
    """Mark ``abandoned`` every ``running`` run whose process is gone; their ids.

    On a DuckDB file call it only on a connection that may write: it holds the
    warehouse's writer lock, which proves every other run's process is gone. A lake has
    many writers at once, so there only runs of this host whose process no longer exists
    are abandoned (a run on another host is left to a process on that host).
    """
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    note = (
        f"its process no longer held the warehouse when run {me['pid']}@"
        f"{me['host']} opened it at {datetime.now(UTC).isoformat()}"
    )
    rows = con.execute(
        "SELECT run_id, pid, host FROM runs WHERE status = 'running'"
        " AND NOT (pid IS NOT DISTINCT FROM $pid AND host IS NOT DISTINCT FROM $host)",
        me,
    ).fetchall()
    if is_lake_connection(con):
        rows = [row for row in rows if row[2] == me["host"] and not _alive(row[1])]
    stale = sorted(row[0] for row in rows)
    if stale:
        con.execute(
            "UPDATE runs SET status = 'abandoned',"
            " detail = json_merge_patch(coalesce(detail, '{}'), json_object('abandoned', $note))"
            " WHERE run_id IN (SELECT unnest($ids))",
            {"note": note, "ids": stale},
        )
    return stale


def _alive(pid: int | None) -> bool:
    """Whether a process of this host with ``pid`` exists (unknown pids count as alive)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_spill_files(con) -> list[str]:
    """Remove the spill files a killed writer left in the warehouse's own temp folder.

    Only the default ``<warehouse file>.tmp`` folder is cleaned (an in-memory database's
    or a configured shared folder may hold other processes' files), and only files this
    database is not using now (``duckdb_temporary_files()``). Returns what was removed.
    """
    database = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    folder = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    if not database or not database[0] or not folder:
        return []
    if os.path.abspath(folder) != os.path.abspath(f"{database[0]}.tmp"):
        return []
    in_use = {
        os.path.abspath(row[0])
        for row in con.execute("SELECT path FROM duckdb_temporary_files()").fetchall()
    }
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith(_SPILL_PREFIX) and os.path.abspath(entry.path) not in in_use:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    if removed and not in_use:
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # DuckDB makes it again when it next spills
    return removed


def finish_run(
    con,
    run_id: str,
    *,
    status: str,
    items_read: int = 0,
    torrents_new: int = 0,
    torrents_updated: int = 0,
    rejected: int = 0,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Record how the run ended. A failed write here (the disk that failed the run is
    still full) is a typed WarehouseError naming the cause, never a raw DuckDB error."""
    values = [status, items_read, torrents_new, torrents_updated, rejected]
    values += [json.dumps(dict(detail or {}), sort_keys=True), run_id]
    try:
        con.execute(
            "UPDATE runs SET finished_at = now(), status = ?, items_read = ?, torrents_new = ?,"
            " torrents_updated = ?, rejected = ?, detail = ? WHERE run_id = ?",
            values,
        )
    except duckdb.Error as exc:
        raise write_error(exc, f"recording the end ({status}) of run {run_id} failed") from exc


@dataclass(slots=True)
class RunRecord:
    """The ``runs`` row of a run in progress: the body of :func:`recorded_run` sets the
    counts (and ``detail``) as it goes, and they are written however the run ends."""

    run_id: str
    command: str
    items_read: int = 0
    torrents_new: int = 0
    torrents_updated: int = 0
    rejected: int = 0
    detail: dict[str, object] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "items_read": self.items_read,
            "torrents_new": self.torrents_new,
            "torrents_updated": self.torrents_updated,
            "rejected": self.rejected,
        }


@contextlib.contextmanager
def recorded_run(con, command: str) -> Iterator[RunRecord]:
    """A ``runs`` row for the body: started (stale runs settled) before it, finished
    ``completed`` after it, or ``failed`` with the error in ``detail`` when it raises.

    On failure the open transaction is rolled back first (so the row can be written),
    and a failure to record the end never hides the error that ended the run.
    """
    run = RunRecord(start_run(con, command), command)
    try:
        yield run
    except BaseException as exc:
        rollback_quietly(con)
        detail = {**run.detail, "error": str(exc)[:ERROR_DETAIL_CHARS] or type(exc).__name__}
        with contextlib.suppress(TorrentwatchError, duckdb.Error):
            finish_run(con, run.run_id, status="failed", detail=detail, **run.counts())
        raise
    finish_run(con, run.run_id, status="completed", detail=run.detail, **run.counts())
