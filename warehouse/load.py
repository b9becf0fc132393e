"""Bulk loading of parsed batches: one transaction per batch, keyed by infohash.

Batch rows are first matched to stored rows by key or by either hash
(``warehouse/torrent_match.py``), so a hybrid torrent known by its v2 hash and later
by its v1 hash stays one row under the key it was created with.
A torrent row is created once and then only gains sightings (first/last seen) and
hashes it did not know;
its metadata is written again only when a magnet-only row learns its metadata, and
only then are its files inserted. So re-ingesting the same inputs adds observations
and never duplicates torrents or files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import AlreadyLoaded, DuplicateTorrent
from warehouse.db import release_cached_pages
from warehouse.lanes import serialized
from warehouse.torrent_match import CLEANUP_SQL, FILL_HASHES_SQL, match_stored

if TYPE_CHECKING:
    import pyarrow as pa

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
    # magnet.hash_conflict rejects filed while matching stored rows (not in the batch)
    hash_conflicts: int = 0


def metadata_columns(con) -> list[str]:
    """Columns of `torrents` a batch supplies, read from the live schema."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'torrents' ORDER BY ordinal_position"
    ).fetchall()
    return [name for (name,) in rows if name not in _SEEN_COLUMNS]


def upgrade_torrents_sql(columns: list[str]) -> str:
    """Give magnet-only rows the metadata this batch brings (pure: returns SQL)."""
    sets = ", ".join(f"{col} = b.{col}" for col in columns if col != "infohash")
    return (
        f"UPDATE torrents SET {sets}\n"
        "FROM batch_torrents b\n"
        "WHERE torrents.infohash = b.infohash AND b.has_metadata AND NOT torrents.has_metadata"
    )


def insert_torrents_sql(columns: list[str]) -> str:
    """Insert the batch's torrents the warehouse has never seen (pure: returns SQL)."""
    listed = ", ".join(columns)
    return (
        f"INSERT INTO torrents ({listed}, first_seen, last_seen, first_run_id, last_run_id)\n"
        f"SELECT {listed}, first_seen, last_seen, $run_id, $run_id\n"
        "FROM batch_torrents ANTI JOIN batch_known USING (infohash)"
    )


# A new torrent named twice in a batch would become two rows: `torrents` has no key
# (migration 019), so each batch is checked before its torrents are inserted.
REPEATED_NEW_SQL = """
SELECT infohash, count(*) FROM batch_torrents ANTI JOIN batch_known USING (infohash)
GROUP BY infohash HAVING count(*) > 1 ORDER BY infohash LIMIT 3
"""

# Torrents of the batch the warehouse already holds, and whether they had metadata.
KNOWN_SQL = """
CREATE OR REPLACE TEMP TABLE batch_known AS
SELECT b.infohash, t.has_metadata AS had_metadata, b.has_metadata AS brings_metadata
FROM batch_torrents b JOIN torrents t USING (infohash)
"""

SEEN_AGAIN_SQL = """
UPDATE torrents SET
    first_seen = least(torrents.first_seen, b.first_seen),
    last_seen = greatest(torrents.last_seen, b.last_seen),
    last_run_id = $run_id
FROM batch_torrents b
WHERE torrents.infohash = b.infohash
"""

# Files are inserted for torrents stored with metadata for the first time: new ones,
# and magnet-only ones this batch upgrades. Known torrents with metadata are skipped.
INSERT_FILES_SQL = """
INSERT INTO files BY NAME
SELECT f.* FROM batch_files f
WHERE f.infohash NOT IN (SELECT infohash FROM batch_known WHERE had_metadata)
"""
INSERT_ALL_FILES_SQL = "INSERT INTO files BY NAME SELECT * FROM batch_files"

INSERT_OBSERVATIONS_SQL = (
    "INSERT INTO observations BY NAME SELECT *, $run_id AS run_id FROM batch_observations"
)
INSERT_REJECTS_SQL = "INSERT INTO rejects BY NAME SELECT *, $run_id AS run_id FROM batch_rejects"
# The rejects of a file that may be loaded again (a magnetico export imported twice):
# a reject already stored from the same place (source, and source_ref naming the file
# and its line) for the same reason and bytes is not stored again, so loading the file
# again adds its sightings and nothing else.
INSERT_NEW_REJECTS_SQL = """
INSERT INTO rejects BY NAME
SELECT b.*, $run_id AS run_id FROM batch_rejects AS b
WHERE NOT EXISTS (
    SELECT 1 FROM rejects AS r
    WHERE r.source = b.source AND r.source_ref = b.source_ref AND r.reason = b.reason
        AND r.sha256 IS NOT DISTINCT FROM b.sha256
)
"""


@dataclass(frozen=True, slots=True)
class Progress:
    """How far into one export a block-by-block load has committed (``load_progress``)."""

    landing_key: str
    through: int  # the last record number of the block being committed
    # What ``load_progress`` must still say for the key when the block commits (0: no
    # row yet), when the loader knows: another loader that moved it meanwhile took
    # records this block may hold, so the block is refused (AlreadyLoaded). None: unchecked.
    expect: int | None = None


def load_batch(
    con,
    batch: ParsedBatch,
    run_id: str,
    landed_keys: Sequence[str] = (),
    progress: Progress | None = None,
    rejects_once: bool = False,
) -> LoadCounts:
    """Load ``batch`` atomically: all of it lands, or (on any error or crash) none.

    ``landed_keys``: the landing-zone items the batch was made from, recorded in
    ``landed_items`` in the same transaction, so a load is never repeated.
    ``progress``: for a block of a larger item, moved forward in the same transaction,
    so a load that dies part-way resumes after this block (``committed_through``).
    ``rejects_once``: a reject stored before from the same place is not stored again
    (``INSERT_NEW_REJECTS_SQL``); ``LoadCounts.rejects`` counts the ones stored.
    """
    views = {
        "batch_torrents": batch.torrents,
        "batch_files": batch.files,
        "batch_observations": batch.observations,
        "batch_rejects": batch.rejects,
    }
    for name, table in views.items():
        con.register(name, table)
    # Rows of a table carry no order (queries say ORDER BY); letting DuckDB append
    # the batch in whatever order its threads finish cuts the load by about a quarter.
    con.execute("SET preserve_insertion_order = false")

    def load() -> LoadCounts:
        _check_not_loaded(con, landed_keys, progress)
        counts = _load_registered(con, run_id, _rejects_sql(batch.rejects, rejects_once))
        if landed_keys:
            con.execute(
                "INSERT INTO landed_items SELECT unnest($keys), $run_id, now()",
                {"keys": list(landed_keys), "run_id": run_id},
            )
        if progress is not None:
            record_progress(con, progress, run_id)
        return counts

    try:
        counts = serialized(con, "load", "loading a batch", load, run_id=run_id)
    finally:
        con.execute("RESET preserve_insertion_order")
        for name in views:
            con.unregister(name)
    release_cached_pages(con)
    return counts


def load_rejects(
    con, rejects: pa.Table, run_id: str, progress: Progress | None = None, *, once: bool = False
) -> int:
    """Store ``rejects`` (``parsers.columnar.rejects_table``) alone, with ``progress``
    when given, in one transaction (a block of a file with no good record); ``once``
    as ``load_batch``'s ``rejects_once``. Returns how many were stored."""
    sql = _rejects_sql(rejects, once)
    con.register("batch_rejects", rejects)

    def load() -> int:
        _check_not_loaded(con, (), progress)
        stored = con.execute(sql, {"run_id": run_id}).fetchone()[0] if sql else 0
        if progress is not None:
            record_progress(con, progress, run_id)
        return stored

    try:
        stored = serialized(con, "load", "loading rejected records", load, run_id=run_id)
    finally:
        con.unregister("batch_rejects")
    return stored


def _rejects_sql(rejects: pa.Table, once: bool) -> str | None:
    """The insert for a batch's rejects; None when there are none to look for (the
    check against stored rejects reads the whole ``rejects`` table)."""
    if not once:
        return INSERT_REJECTS_SQL
    return INSERT_NEW_REJECTS_SQL if rejects.num_rows else None


def _load_registered(con, run_id: str, rejects_sql: str | None) -> LoadCounts:
    params = {"run_id": run_id}
    columns = metadata_columns(con)
    # On an error the transaction rolls back, and the temporary tables with it.
    matched = match_stored(con, columns, run_id)
    if matched.rekeyed is not None:  # rare: fetched whole, registered in their place
        tables = {name: con.execute(sql).to_arrow_table() for name, sql in matched.rekeyed.items()}
        for name, table in tables.items():
            con.register(name, table)
    con.execute(CLEANUP_SQL)
    con.execute(KNOWN_SQL)
    updated, with_metadata = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE had_metadata) FROM batch_known"
    ).fetchone()
    if updated:
        con.execute(upgrade_torrents_sql(columns))
        con.execute(FILL_HASHES_SQL)
        con.execute(SEEN_AGAIN_SQL, params)
    repeated = con.execute(REPEATED_NEW_SQL).fetchall()
    if repeated:
        shown = ", ".join(f"{infohash} ({n} times)" for infohash, n in repeated)
        raise DuplicateTorrent(f"a load batch names a new torrent more than once: {shown}")
    new = con.execute(insert_torrents_sql(columns), params).fetchone()[0]
    # The common case, nothing known with metadata, needs no filtering of the files.
    files_sql = INSERT_FILES_SQL if with_metadata else INSERT_ALL_FILES_SQL
    files = con.execute(files_sql).fetchone()[0]
    observations = con.execute(INSERT_OBSERVATIONS_SQL, params).fetchone()[0]
    rejects = con.execute(rejects_sql, params).fetchone()[0] if rejects_sql else 0
    con.execute("DROP TABLE batch_known")
    return LoadCounts(new, updated, files, observations, rejects, matched.conflicts)


# MERGE rather than INSERT … ON CONFLICT: a lake warehouse has no keys to conflict on,
# and the same statement then serves both backends.
RECORD_PROGRESS_SQL = """
MERGE INTO load_progress AS p
USING (SELECT $key AS landing_key, $through AS through, $run_id AS run_id) AS n
ON p.landing_key = n.landing_key
WHEN MATCHED THEN UPDATE SET
    through = greatest(p.through, n.through), run_id = n.run_id, updated_at = now()
WHEN NOT MATCHED THEN INSERT VALUES (n.landing_key, n.through, n.run_id, now())
"""


def record_progress(con, progress: Progress, run_id: str) -> None:
    """Move ``load_progress`` for the item forward; the caller holds the transaction."""
    params = {"key": progress.landing_key, "through": progress.through, "run_id": run_id}
    con.execute(RECORD_PROGRESS_SQL, params)


def _check_not_loaded(con, landed_keys: Sequence[str], progress: Progress | None) -> None:
    """Inside the load lane's transaction: refuse a batch whose items (or block) another
    loader committed first. On a DuckDB file the loader lists what is pending under the
    writer lock, so this never fires; on a lake, loaders of disjoint parts never meet,
    and two that were given the same items lose nothing and load nothing twice."""
    if landed_keys:
        done = con.execute(
            "SELECT landing_key FROM landed_items WHERE landing_key IN (SELECT unnest($k))",
            {"k": list(landed_keys)},
        ).fetchall()
        if done:
            keys = tuple(sorted(row[0] for row in done))
            raise AlreadyLoaded(
                f"{len(keys)} of the batch's {len(landed_keys)} landed items were committed "
                f"by another loader first (e.g. {keys[0]}); the batch was not loaded",
                keys,
            )
    if progress is not None and progress.expect is not None:
        now = committed_through(con, progress.landing_key) or 0
        if now != progress.expect:
            raise AlreadyLoaded(
                f"another loader moved {progress.landing_key} to record {now} (this loader "
                f"had it at {progress.expect}); the block through record {progress.through} "
                "was not loaded",
                (progress.landing_key,),
            )


def committed_through(con, landing_key: str) -> int | None:
    """The last record number of ``landing_key`` an earlier load committed, or None."""
    row = con.execute(
        "SELECT through FROM load_progress WHERE landing_key = $key", {"key": landing_key}
    ).fetchone()
    return None if row is None else row[0]
