"""What the workbench reads: a snapshot of the warehouse, refreshed whenever it is free.

A DuckDB file admits one writing process, and while it writes no other process may open
it, not even to read; a reader holding it open would in turn lock the pipeline's writers
out. So the workbench never keeps the warehouse open: a background thread opens it for a
moment when it changed (or decisions wait to be folded), folds the pending decisions
(``torrentwatch.review.open_warehouse`` does that for every review or export run),
copies what the pages need into a new snapshot file of the workbench's own, and closes
it. Pages read the newest snapshot through one read-only connection, so a load that
holds the warehouse for minutes leaves the workbench answering from the last snapshot.
The snapshot holds the flagged (and ever reviewed) torrents with their files, sightings,
flags, decisions and hash-list hits, and ``wb_queue``: the review status of every
torrent with active flags, with the columns the queue filters on, materialised.

On a lake warehouse (warehouse.lake) nothing is locked, but the snapshot stays: it is
what keeps pages fast, and a catalog in PostgreSQL costs a round trip per lookup. It is
built from a read-only lake session, and the lake's change is told by its current
DuckLake snapshot id (``ducklake_current_snapshot``) instead of the file's size and
mtime. A lake whose catalog is a DuckDB file may be attached once per process, so the
workbench's own uses of it take turns (``Snapshots.lake_access``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from common.errors import WarehouseLocked
from torrentwatch.review import open_warehouse
from torrentwatch.workbench.lake_session import LakeSession
from torrentwatch.workbench.store import Store
from warehouse.db import connect
from warehouse.lake import LAKE_ALIAS, is_lake, parse_target
from warehouse.pending_reviews import fold_pending

log = logging.getLogger(__name__)

LEVELS = ["informational", "low", "medium", "high", "critical"]

# Every per-torrent table is written in infohash order: a lookup of one torrent (and the
# joins explain makes) then reads one row group of each, by its min/max, not all of them.
# What the torrent page and explain read of a torrent and its files (not the token lists
# and normalised forms the rules use): a narrower copy is a faster one.
TORRENT_COLUMNS = (
    "infohash, infohash_v1, infohash_v2, name, name_raw, name_alt_raw, total_size,"
    " file_count, claimed_platform, claimed_category, dominant_kind, created_by, first_seen,"
    " last_seen, COLUMNS('^(share_bytes|count)_')"
)
FILE_COLUMNS = "infohash, file_index, path, path_raw, size, kind, ext, is_pad"
# Queue orders (reads.SORTS): each one's position, so a page and a torrent's neighbours
# are found by one integer instead of re-sorting the queue.
POSITIONS = {
    "pos_severity": "level_rank DESC, top_score DESC, infohash",
    "pos_newest": "first_seen DESC, infohash",
    "pos_oldest": "first_seen, infohash",
    "pos_size": "total_size DESC NULLS LAST, infohash",
}

_POSITION_COLUMNS = ", ".join(
    f"row_number() OVER (ORDER BY {o}) AS {c}" for c, o in POSITIONS.items()
)

# Run in one transaction on the warehouse connection, the snapshot attached as wb_snap.
SNAPSHOT_SQL = (
    """CREATE OR REPLACE TEMP TABLE wb_keys AS
       SELECT infohash FROM flags WHERE active UNION SELECT infohash FROM torrent_reviews""",
    f"""CREATE TABLE wb_snap.torrents AS
       SELECT {TORRENT_COLUMNS} FROM torrents t SEMI JOIN wb_keys k ON t.infohash = k.infohash
       ORDER BY infohash""",
    f"""CREATE TABLE wb_snap.files AS
       SELECT {FILE_COLUMNS} FROM files f SEMI JOIN wb_keys k ON f.infohash = k.infohash
       ORDER BY infohash, file_index""",
    """CREATE TABLE wb_snap.observations AS
       SELECT o.infohash, o.source, o.seen_at, o.seeders, o.leechers
       FROM observations o SEMI JOIN wb_keys k ON o.infohash = k.infohash
       ORDER BY infohash""",
    """CREATE TABLE wb_snap.flags AS
       SELECT infohash, rule_id, rule_version, level, score, evidence, active, status FROM flags
       WHERE active ORDER BY infohash, rule_id""",
    """CREATE TABLE wb_snap.wb_history AS
       SELECT infohash, seq, review_id, decision, rationale, note, analyst, decided_at,
              sha256(flag_evidence::VARCHAR) AS evidence_sha256
       FROM torrent_reviews""",
    """CREATE TABLE wb_snap.wb_hash_hits AS
       SELECT m.* FROM torrent_hash_list_matches m
       SEMI JOIN wb_keys k ON m.infohash = k.infohash""",
    f"""CREATE TABLE wb_snap.wb_queue AS
       WITH seen AS (
           SELECT infohash, list(DISTINCT source ORDER BY source) AS sources
           FROM wb_snap.observations GROUP BY infohash
       ), hits AS (SELECT DISTINCT infohash FROM wb_snap.wb_hash_hits),
       queue AS (
           SELECT s.infohash, s.status, s.level_rank, {LEVELS}[s.level_rank] AS top_level,
                  s.top_score, s.rule_ids, t.name, t.name_raw, t.name_alt_raw, t.total_size,
                  t.file_count, coalesce(t.claimed_platform, '') AS claimed_platform,
                  coalesce(t.claimed_category, '') AS claimed_category, t.first_seen,
                  coalesce(seen.sources, []) AS sources,
                  h.infohash IS NOT NULL AS hash_list_hit,
                  s.latest_decision, s.latest_analyst, s.latest_decided_at, s.confirmers,
                  s.required_confirmers, s.current_evidence_sha256 AS evidence_sha256
           FROM review_status s
           JOIN wb_snap.torrents t USING (infohash)
           LEFT JOIN seen USING (infohash)
           LEFT JOIN hits h USING (infohash)
           WHERE s.has_active_flags
       )
       SELECT *, {_POSITION_COLUMNS} FROM queue""",
    """CREATE TABLE wb_snap.wb_rules AS
       SELECT rule_id, max(rule_version) AS rule_version, max_by(level, rule_version) AS level,
              count(*) FILTER (WHERE active) AS active_hits, count(*) AS all_hits,
              max(last_evaluated_at) AS last_evaluated_at, max(last_run_id) AS last_run_id
       FROM flags GROUP BY rule_id""",
    """CREATE TABLE wb_snap.wb_runs AS
       SELECT run_id, command, started_at, finished_at, status, items_read
       FROM runs ORDER BY started_at DESC LIMIT 200""",
    "CREATE TABLE wb_snap.hash_lists AS SELECT * FROM hash_lists",
    """CREATE TABLE wb_snap.wb_list_hits AS
       SELECT list_name, list_version, count(DISTINCT infohash) AS torrents
       FROM torrent_hash_list_matches GROUP BY ALL""",
    "CREATE TABLE wb_snap.export_batches AS SELECT * FROM export_batches",
    "CREATE TABLE wb_snap.exports AS SELECT * FROM exports",
    """CREATE TABLE wb_snap.wb_meta AS
       SELECT now() AS built_at, (SELECT count(*) FROM torrents) AS torrents,
              (SELECT coalesce(max_by(required_confirmers, version), 1)
               FROM review_policy) AS required_confirmers""",
    # Indexes: the torrent page looks up one torrent's rows in each.
    "CREATE INDEX wb_files_key ON wb_snap.files (infohash)",
    "CREATE INDEX wb_obs_key ON wb_snap.observations (infohash)",
    "CREATE INDEX wb_history_key ON wb_snap.wb_history (infohash)",
    "CREATE INDEX wb_queue_key ON wb_snap.wb_queue (infohash)",
)


@dataclass(frozen=True, slots=True)
class Current:
    path: Path
    con: duckdb.DuckDBPyConnection  # read-only, of the workbench's own file
    built: float
    started: str  # ISO time the build began: decisions folded later may be missing from it


def _stamp(db: Path) -> tuple:
    """What changes when anyone writes the warehouse: size and mtime of it and its WAL."""
    out = []
    for path in (db, Path(str(db) + ".wal")):
        try:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def build_snapshot(db: str | Path, target: Path) -> None:
    """Fold pending decisions into the warehouse ``db`` and copy what the pages read into
    the new file ``target``, holding the warehouse only for that. ``WarehouseLocked``
    when another process is writing it."""
    con = open_warehouse(db)
    try:
        _copy_pages(con, target)
    finally:
        con.close()


def lake_snapshot_id(con) -> int:
    """The lake's current DuckLake snapshot id: every commit to the lake makes a new one."""
    return int(
        con.execute(
            "SELECT id FROM ducklake_current_snapshot($lake)", {"lake": LAKE_ALIAS}
        ).fetchone()[0]
    )


def lake_stamp(db: str) -> int:
    """The current snapshot id of the lake ``db`` (a short read-only session)."""
    con = connect(db, read_only=True)
    try:
        return lake_snapshot_id(con)
    finally:
        con.close()


def build_lake_snapshot(db: str, target: Path) -> int:
    """Copy what the pages read from the lake ``db`` into the new file ``target``; the
    lake snapshot id it was copied at or before (a later commit may be in it too: at
    worst one copy more). Decisions are folded separately (``Snapshots.fold``)."""
    con = connect(db, read_only=True)
    try:
        stamp = lake_snapshot_id(con)
        _copy_pages(con, target)
        return stamp
    finally:
        con.close()


def _copy_pages(con, target: Path) -> None:
    """Run :data:`SNAPSHOT_SQL` on ``con`` (a warehouse session) into the new file ``target``."""
    escaped = str(target).replace("'", "''")
    con.execute(f"ATTACH '{escaped}' AS wb_snap")
    try:
        con.execute("BEGIN TRANSACTION")
        for sql in SNAPSHOT_SQL:
            con.execute(sql)
        con.execute("COMMIT")
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        con.execute("DETACH wb_snap")


class Snapshots:
    """The newest snapshot of one warehouse and the thread that keeps it fresh."""

    def __init__(
        self,
        db: str | Path,
        store: Store,
        *,
        interval: float = 1.0,
        min_rebuild: float = 2.0,
        folder: Path | None = None,
    ):
        self.lake = is_lake(str(db))
        self.db: str | Path = str(db) if self.lake else Path(db)
        self.store = store
        self.interval = interval
        self.min_rebuild = min_rebuild
        self.build_seconds = 0.0
        self.folder = folder if folder is not None else Path(str(db) + ".workbench-snapshots")
        self._lock = threading.Lock()
        self._fold_lock = threading.Lock()
        # A lake whose catalog is a DuckDB file: one session of this process at a time.
        one_at_a_time = self.lake and parse_target(str(db)).catalog_kind == "duckdb"
        self._access = threading.RLock() if one_at_a_time else None
        # The change check and the folds reuse a session where the catalog allows it.
        self.checker = LakeSession(str(db), read_only=True) if self.lake else None
        self.writer = LakeSession(str(db), read_only=False) if self.lake else None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stamp: object = None
        self.current: Current | None = None
        self._previous: Current | None = None
        self.last_error: str | None = None
        self.busy_since: float | None = None  # the warehouse was locked from then on

    @contextlib.contextmanager
    def lake_access(self):
        """Hold while this process uses the warehouse: taking turns where the lake's
        catalog allows one session per process, free otherwise (a file's lock is its own)."""
        if self._access is None:
            yield
            return
        with self._access:
            yield

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the newest snapshot, for one request (raises when none exists)."""
        if self.current is None:
            self.refresh(force=True)  # the first request, before the thread made one
        current = self.current
        if current is None:
            raise WarehouseLocked(
                f"{self.db} has been open for writing since the workbench started, so "
                "there is nothing to show yet; the page appears once that write ends"
            )
        return current.con.cursor()

    def refresh(self, *, force: bool = False) -> bool:
        """Make a new snapshot when the warehouse changed or decisions wait to be folded
        (always with ``force``); False when nothing was needed or the warehouse is busy."""
        if self.lake:
            self.fold()  # decisions kept while the lake did not answer go in first
        with self._lock, self.lake_access():
            stamp = self.checker.run(lake_snapshot_id) if self.lake else _stamp(Path(self.db))
            if not force and stamp == self._stamp and not self.store.has_unfolded():
                return False
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"snap-{time.time_ns()}.duckdb"
            started = datetime.now(UTC).isoformat()
            began = time.monotonic()
            try:
                if self.lake:
                    built_at = build_lake_snapshot(str(self.db), target)
                else:
                    build_snapshot(self.db, target)
            except WarehouseLocked:
                target.unlink(missing_ok=True)
                self.busy_since = self.busy_since or time.time()
                return False
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            self.busy_since = None
            self.build_seconds = time.monotonic() - began
            # after our own write (the fold, the close); a lake: the snapshot copied
            self._stamp = built_at if self.lake else _stamp(Path(self.db))
            self._switch(target, started)
            return True

    def fold(self) -> bool:
        """Fold pending decisions into the warehouse without a new snapshot: a moment's
        hold of the warehouse, however large it is. False when busy or nothing waits."""
        if self.lake:
            return self._fold_lake()
        with self._lock:
            if not self.store.has_unfolded():
                return False
            try:
                open_warehouse(self.db).close()  # opening it folds (review.open_warehouse)
            except WarehouseLocked:
                self.busy_since = self.busy_since or time.time()
                return False
            self.busy_since = None
            return True

    def _fold_lake(self) -> bool:
        """A lake: fold the store's decisions in the review lane, beside any other writer."""
        with self._fold_lock, self.lake_access():
            if not self.store.has_unfolded():
                return False
            self.writer.run(lambda con: fold_pending(con, self.db, store=self.store.path))
            return True

    def settle(self) -> None:
        """After a decision: on a lake, fold it into the warehouse now, so the next review
        or export run anywhere sees it. Should the lake not answer, the decision stays in
        the store and the refresher folds it later (the reason shows on the pages). On a
        file nothing here: the refresher folds as soon as the file is free."""
        if not self.lake:
            return
        try:
            self.fold()
        except Exception as exc:  # the decision is safe in the store; say why it waits
            self.last_error = str(exc)
            log.exception("folding a decision into the lake failed; it waits in the store")

    def pending(self, cur, infohashes: list[str]) -> list[dict]:
        """Decisions of ``infohashes`` that the snapshot read through ``cur`` lacks: not
        folded yet, or folded after the older of the two open snapshots began (those
        it already holds are left out by review id)."""
        snaps = [c for c in (self._previous, self.current) if c is not None]
        since = min((c.started for c in snaps), default=None)
        rows = self.store.unfolded(infohashes, since=since)
        if not rows or since is None:
            return rows
        cur.register("wb_pending_ids", pa.table({"review_id": [r["review_id"] for r in rows]}))
        try:
            known = {
                rid
                for (rid,) in cur.execute(
                    "SELECT review_id FROM wb_history SEMI JOIN wb_pending_ids USING (review_id)"
                ).fetchall()
            }
        finally:
            cur.unregister("wb_pending_ids")
        return [r for r in rows if r["review_id"] not in known]

    def rebuild_due(self) -> bool:
        """Whether the snapshot is old enough for another copy: at least
        ``min_rebuild`` seconds and five times its own build time, so a large warehouse
        that keeps changing is held by the workbench a sixth of the time at most."""
        current = self.current
        if current is None:
            return True
        wait = max(self.min_rebuild, 5 * self.build_seconds)
        return time.time() - current.built >= wait

    def _switch(self, target: Path, started: str) -> None:
        # Requests hold cursors of the replaced connection for milliseconds: it is closed
        # (and its file removed) one switch later, when no request can still be reading.
        if self._previous is not None:
            self._previous.con.close()
        self._previous = self.current
        con = duckdb.connect(str(target), read_only=True)
        self.current = Current(target, con, time.time(), started)
        for path in sorted(self.folder.glob("snap-*.duckdb"))[:-2]:
            path.unlink(missing_ok=True)

    def wake(self) -> None:
        """Refresh soon (a decision waits to be folded)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workbench-snapshots", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        for current in (self._previous, self.current):
            if current is not None:
                current.con.close()
        for session in (self.checker, self.writer):
            if session is not None:
                session.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.fold()
                if self.rebuild_due():
                    self.refresh()
                self.last_error = None
            except Exception as exc:  # keep serving the last snapshot; say why on pages
                self.last_error = str(exc)
                log.exception("workbench snapshot refresh failed")
