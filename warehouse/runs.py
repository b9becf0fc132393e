"""The `runs` table: one row per CLI or DAG run, so every row can be traced to a run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping


def start_run(con, command: str) -> str:
    run_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO runs (run_id, command, started_at, status) VALUES (?, ?, now(), 'running')",
        [run_id, command],
    )
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
    con.execute(
        "UPDATE runs SET finished_at = now(), status = ?, items_read = ?, torrents_new = ?,"
        " torrents_updated = ?, rejected = ?, detail = ? WHERE run_id = ?",
        [
            status,
            items_read,
            torrents_new,
            torrents_updated,
            rejected,
            json.dumps(dict(detail or {}), sort_keys=True),
            run_id,
        ],
    )
