"""The `runs` table: one row per CLI or DAG run, so every row can be traced to a run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

import duckdb

from warehouse.db import write_error


def start_run(con, command: str) -> str:
    """Record a new run as ``running``; a full disk is a WarehouseDiskFull, not a raw
    DuckDB error (this is the first write of every run)."""
    run_id = uuid.uuid4().hex
    try:
        con.execute(
            "INSERT INTO runs (run_id, command, started_at, status)"
            " VALUES (?, ?, now(), 'running')",
            [run_id, command],
        )
    except duckdb.Error as exc:
        raise write_error(exc, f"starting a {command} run failed") from exc
    return run_id


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
