"""Writes that must see every earlier write of their kind, on a warehouse with many writers.

A lake warehouse (warehouse.lake) lets many processes write at once, and DuckLake keeps
no keys: two loaders that both find a torrent new would both add it, two decisions
would take the same ``seq``. Each such write runs through :func:`serialized`: its
transaction also bumps the one row of its lane's table (migration 017), so of two
overlapping transactions of one lane DuckLake commits the first and refuses the second
("transaction conflict"); the second then runs again from the start, on a snapshot that
holds the first. Nothing is written twice and nothing is lost; work that lost the race
is redone. On a DuckDB file the writer lock already orders every write and no conflict
ever comes, so nothing is bumped there: one more table changed would cost each write
~4-5 ms more at its checkpoint (measured at 1,000,000 torrents; a flag run that changed
little spent 28 ms in its checkpoint).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

from common.errors import WarehouseBusy
from warehouse.db import rollback_quietly, write_error
from warehouse.lake import is_lake_connection

T = TypeVar("T")

LANES = ("load", "review", "export", "hashlist", "flag")
# How often a write that lost the race is run again before giving up, and the longest
# pause between tries (seconds; random, so racing writers spread out).
ATTEMPTS = 40
MAX_PAUSE = 2.0


def serialized(con, lane: str, what: str, body: Callable[[], T], *, run_id: str | None = None) -> T:
    """Run ``body`` in one transaction of ``lane``; again from the start if another
    writer of the lane committed first. ``what`` names the write in errors."""
    if lane not in LANES:
        raise ValueError(f"unknown write lane {lane!r}")
    bump = is_lake_connection(con)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                if bump:
                    con.execute(
                        f"UPDATE lane_{lane} SET commits = commits + 1, last_run_id = $run",
                        {"run": run_id},
                    )
                result = body()
                con.execute("COMMIT")
            except BaseException:
                rollback_quietly(con)
                raise
        except duckdb.TransactionException as exc:
            if not is_conflict(exc):
                raise write_error(
                    exc, f"{what} failed and was rolled back, nothing changed"
                ) from exc
            if attempt == ATTEMPTS:
                raise WarehouseBusy(
                    f"{what}: other writers of the lake committed first {ATTEMPTS} times in "
                    "a row; nothing of this write was kept. Run it again, or run fewer "
                    f"writers at once. Last conflict: {exc}"
                ) from exc
            time.sleep(random.uniform(0, min(MAX_PAUSE, 0.05 * 2**attempt)))
            continue
        except duckdb.Error as exc:
            raise write_error(exc, f"{what} failed and was rolled back, nothing changed") from exc
        return result
    raise AssertionError("unreachable")


def is_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error is DuckLake refusing a commit another writer overtook."""
    return "conflict" in str(exc).lower()
