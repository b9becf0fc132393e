"""Decisions made while the warehouse was busy: a small SQLite store beside it.

A DuckDB file admits one writing process, and while it writes no other process may open
it. The analyst workbench (``torrentwatch serve``) must take decisions all the same, so
it appends each one to ``pending_reviews`` in ``<warehouse>.workbench.sqlite`` (SQLite in
WAL mode: many readers and one short writer at a time, from several processes), with the
evidence the analyst saw. Whoever next opens the warehouse for review or export folds the
unfolded rows into ``reviews`` (:func:`fold_pending`), exactly once: ``review_id`` is the
primary key of both tables, rows already in ``reviews`` are skipped, and a row is marked
folded only after the warehouse committed it (a crash in between folds nothing twice).

A lake warehouse has no file to sit beside: its workbench keeps the store in its home
folder (``torrentwatch.workbench.home``) and folds each decision at once, so review and
export runs elsewhere never need that folder. The fold runs in the review write lane
(``warehouse.lanes``): ``seq`` is max(seq) + 1, which two writers of a lake would
otherwise both take.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.errors import PendingStoreError
from warehouse.lake import is_lake
from warehouse.lanes import serialized

SIDECAR_SUFFIX = ".workbench.sqlite"

PENDING_SCHEMA = """\
CREATE TABLE IF NOT EXISTS pending_reviews (
    review_id      TEXT PRIMARY KEY,       -- becomes reviews.review_id
    infohash       TEXT NOT NULL,          -- torrents.infohash when decided
    decision       TEXT NOT NULL,          -- confirm | dismiss | escalate
    rationale      TEXT NOT NULL,
    note           TEXT,
    analyst        TEXT NOT NULL,
    decided_at     TEXT NOT NULL,          -- ISO 8601, UTC
    flag_evidence  TEXT NOT NULL,          -- the canonical evidence text the analyst saw
    folded_at      TEXT                    -- when it reached reviews; NULL: pending
);
CREATE INDEX IF NOT EXISTS pending_reviews_unfolded
    ON pending_reviews (folded_at) WHERE folded_at IS NULL;
"""

FOLD_SQL = """\
INSERT INTO reviews (review_id, seq, infohash, decision, rationale, note, analyst,
                     decided_at, flag_evidence)
SELECT p.review_id,
       base.last + row_number() OVER (ORDER BY p.position),
       p.infohash, p.decision, p.rationale, p.note, p.analyst,
       CAST(p.decided_at AS TIMESTAMPTZ), CAST(p.flag_evidence AS JSON)
FROM pending p
ANTI JOIN reviews r ON r.review_id = p.review_id
CROSS JOIN (SELECT coalesce(max(seq), 0) AS last FROM reviews) base"""


def sidecar_path(db: str | Path) -> Path | None:
    """Where the workbench keeps its store for the warehouse file ``db`` (None in memory,
    and for a lake, whose workbench keeps its store in its home folder)."""
    if str(db) == ":memory:" or is_lake(str(db)):
        return None
    return Path(str(db) + SIDECAR_SUFFIX)


def open_sidecar(path: str | Path) -> sqlite3.Connection:
    """A connection to the store in autocommit mode (callers BEGIN IMMEDIATE for writes),
    WAL journal, waiting up to 10 s for another writer's short transaction."""
    try:
        con = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA busy_timeout=10000")
        con.executescript(PENDING_SCHEMA)
    except sqlite3.Error as exc:
        raise PendingStoreError(f"cannot open the workbench store {path}: {exc}") from exc
    return con


def _unfolded(path: Path) -> list[tuple]:
    con = open_sidecar(path)
    try:
        return con.execute(
            "SELECT rowid, review_id, infohash, decision, rationale, note, analyst,"
            " decided_at, flag_evidence FROM pending_reviews WHERE folded_at IS NULL"
            " ORDER BY rowid"
        ).fetchall()
    finally:
        con.close()


def _mark_folded(path: Path, review_ids: list[str]) -> None:
    con = open_sidecar(path)
    try:
        now = datetime.now(UTC).isoformat()
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "UPDATE pending_reviews SET folded_at = ? WHERE review_id = ?",
            [(now, rid) for rid in review_ids],
        )
        con.execute("COMMIT")
    finally:
        con.close()


def fold_pending(con, db: str | Path, *, store: Path | None = None) -> int:
    """Append the workbench's pending decisions for ``db`` to ``reviews`` (on the open,
    writable connection ``con``) in the order they were made; returns how many were new.
    ``store``: the workbench's store (default: beside the file ``db``). Nothing to do (0)
    when the workbench never ran beside this warehouse."""
    path = store if store is not None else sidecar_path(db)
    if path is None or not path.exists():
        return 0
    rows = _unfolded(path)
    if not rows:
        return 0
    names = ["position", "review_id", "infohash", "decision", "rationale", "note", "analyst",
             "decided_at", "flag_evidence"]  # fmt: skip
    con.register("pending", pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows]))
    try:
        inserted = serialized(
            con,
            "review",
            "folding the workbench's decisions",
            lambda: con.execute(FOLD_SQL).fetchone()[0],
        )
    finally:
        con.unregister("pending")
    _mark_folded(path, [r[1] for r in rows])
    return int(inserted)
