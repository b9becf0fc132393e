"""Bulk loading of parsed batches: one transaction per batch, keyed by infohash.

A torrent row is created once and then only gains sightings (first/last seen);
its metadata is written again only when a magnet-only row learns its metadata, and
only then are its files inserted. So re-ingesting the same inputs adds observations
and never duplicates torrents or files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from torrentwatch.errors import WarehouseError

if TYPE_CHECKING:
    from parsers.columnar import ParsedBatch

# Columns of `torrents` that describe the torrent itself, as opposed to when it was seen.
_SEEN_COLUMNS = ("first_seen", "last_seen", "first_run_id", "last_run_id")


@dataclass(frozen=True, slots=True)
class LoadCounts:
    torrents_new: int
    torrents_updated: int
    files: int
    observations: int
    rejects: int


def metadata_columns(con) -> list[str]:
    """Columns of `torrents` a batch supplies, read from the live schema."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'torrents' ORDER BY ordinal_position"
    ).fetchall()
    return [name for (name,) in rows if name not in _SEEN_COLUMNS]


def upsert_torrents_sql(columns: list[str]) -> str:
    """The upsert of `batch_torrents` into `torrents` (pure: returns SQL, runs nothing)."""
    listed = ", ".join(columns)
    upgrade = "excluded.has_metadata AND NOT torrents.has_metadata"
    sets = [
        f"{col} = CASE WHEN {upgrade} THEN excluded.{col} ELSE torrents.{col} END"
        for col in columns
        if col not in ("infohash", "has_metadata")
    ]
    sets += [
        "has_metadata = torrents.has_metadata OR excluded.has_metadata",
        "first_seen = least(torrents.first_seen, excluded.first_seen)",
        "last_seen = greatest(torrents.last_seen, excluded.last_seen)",
        "last_run_id = excluded.last_run_id",
    ]
    return (
        f"INSERT INTO torrents ({listed}, first_seen, last_seen, first_run_id, last_run_id)\n"
        f"SELECT {listed}, first_seen, last_seen, $run_id, $run_id FROM batch_torrents\n"
        "ON CONFLICT (infohash) DO UPDATE SET\n    " + ",\n    ".join(sets)
    )


NEEDS_FILES_SQL = """
CREATE OR REPLACE TEMP TABLE batch_needs_files AS
SELECT b.infohash, t.infohash IS NULL AS is_new
FROM batch_torrents b LEFT JOIN torrents t USING (infohash)
WHERE b.has_metadata AND (t.infohash IS NULL OR NOT t.has_metadata)
"""

COUNT_SQL = """
SELECT count(*) FILTER (WHERE t.infohash IS NULL), count(t.infohash)
FROM batch_torrents b LEFT JOIN torrents t USING (infohash)
"""

INSERT_FILES_SQL = """
INSERT INTO files BY NAME
SELECT f.* FROM batch_files f SEMI JOIN batch_needs_files USING (infohash)
"""

INSERT_OBSERVATIONS_SQL = (
    "INSERT INTO observations BY NAME SELECT *, $run_id AS run_id FROM batch_observations"
)
INSERT_REJECTS_SQL = "INSERT INTO rejects BY NAME SELECT *, $run_id AS run_id FROM batch_rejects"


def load_batch(con, batch: ParsedBatch, run_id: str) -> LoadCounts:
    """Load ``batch`` atomically: all of it lands, or (on any error or crash) none."""
    views = {
        "batch_torrents": batch.torrents,
        "batch_files": batch.files,
        "batch_observations": batch.observations,
        "batch_rejects": batch.rejects,
    }
    for name, table in views.items():
        con.register(name, table)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = _load_registered(con, run_id)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        raise WarehouseError(f"loading a batch failed and was rolled back: {exc}") from exc
    finally:
        for name in views:
            con.unregister(name)
    return counts


def _load_registered(con, run_id: str) -> LoadCounts:
    params = {"run_id": run_id}
    new, updated = con.execute(COUNT_SQL).fetchone()
    con.execute(NEEDS_FILES_SQL)
    con.execute(upsert_torrents_sql(metadata_columns(con)), params)
    files = con.execute(INSERT_FILES_SQL).fetchone()[0]
    observations = con.execute(INSERT_OBSERVATIONS_SQL, params).fetchone()[0]
    rejects = con.execute(INSERT_REJECTS_SQL, params).fetchone()[0]
    con.execute("DROP TABLE batch_needs_files")
    return LoadCounts(new, updated, files, observations, rejects)
