"""Read-side helpers the CLI and DAGs share: SQL and warehouse statistics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from torrentwatch.errors import TorrentwatchError
from warehouse.db import connect


class QueryError(TorrentwatchError):
    code = "query.invalid"


def open_read(db: str | Path):
    """A read-only connection; analysts' queries must never change the warehouse."""
    if str(db) != ":memory:" and not Path(db).exists():
        raise QueryError(f"no warehouse at {db}: run `torrentwatch ingest` first")
    return connect(db, read_only=True)


def run_query(con, query: str) -> pa.Table:
    try:
        result = con.execute(query)
        if result.description is None:
            return pa.table({})
        return result.to_arrow_table()
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {exc}") from exc


def sql(db: str | Path, query: str) -> pa.Table:
    """Run one SQL statement against the warehouse (read-only) and return Arrow."""
    con = open_read(db)
    try:
        return run_query(con, query)
    finally:
        con.close()


STATS_QUERIES: dict[str, str] = {
    "tables": """
        SELECT 'torrents' AS table_name, count(*) AS rows FROM torrents
        UNION ALL SELECT 'torrents with metadata', count(*) FROM torrents WHERE has_metadata
        UNION ALL SELECT 'magnet-only torrents', count(*) FROM torrents WHERE NOT has_metadata
        UNION ALL SELECT 'files', count(*) FROM files
        UNION ALL SELECT 'observations', count(*) FROM observations
        UNION ALL SELECT 'rejects', count(*) FROM rejects
        UNION ALL SELECT 'runs', count(*) FROM runs""",
    "rejects by reason": """
        SELECT reason, count(*) AS rows FROM rejects GROUP BY reason ORDER BY rows DESC, reason""",
    "claimed categories": """
        SELECT coalesce(claimed_category, '(none)') AS claimed_category,
               coalesce(claimed_platform, '') AS claimed_platform, count(*) AS torrents
        FROM torrents GROUP BY ALL ORDER BY torrents DESC, 1, 2 LIMIT 20""",
    "dominant kinds": """
        SELECT coalesce(dominant_kind, '(no files)') AS dominant_kind, count(*) AS torrents
        FROM torrents GROUP BY ALL ORDER BY torrents DESC, 1""",
    "known lists": """
        SELECT l.name, l.version, l.entries, l.rejected_lines, l.loaded_at,
               (SELECT count(DISTINCT m.infohash) FROM torrent_hash_list_matches m
                WHERE m.list_name = l.name) AS torrents_matched
        FROM hash_lists l
        WHERE l.version = (SELECT max(version) FROM hash_lists x WHERE x.name = l.name)
        ORDER BY l.name""",
}


@dataclass(frozen=True, slots=True)
class Stats:
    sections: dict[str, pa.Table]


def stats(db: str | Path) -> Stats:
    """Row counts, rejects by reason and the mix of claimed categories and content."""
    con = open_read(db)
    try:
        return Stats({title: run_query(con, q) for title, q in STATS_QUERIES.items()})
    finally:
        con.close()
