"""Read-side helpers the CLI and DAGs share: SQL and warehouse statistics.

Both run through the guarded query runner (:mod:`warehouse.guarded`): the warehouse
opened read-only and locked down, one query statement at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from common.errors import QueryError
from warehouse.db import connect
from warehouse.guarded import GuardedWarehouse, open_guarded, run_guarded

__all__ = ["STATS_QUERIES", "QueryError", "Stats", "open_read", "run_query", "sql", "stats"]


def open_read(db: str | Path):
    """A read-only connection to an existing warehouse, for the library's own queries."""
    return connect(db, read_only=True)


def run_query(warehouse: GuardedWarehouse, query: str) -> pa.Table:
    """Run one analyst query on an open guarded warehouse (refusals are QueryRefused)."""
    return warehouse.run(query)


def sql(db: str | Path, query: str) -> pa.Table:
    """Run one read-only query against the warehouse and return Arrow.

    Exactly one query statement; it reads the warehouse and nothing else (no writes,
    host files, extensions or settings): see docs/sql.md for what is refused and why.
    """
    return run_guarded(db, query)


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
    with open_guarded(db) as warehouse:
        return Stats({title: warehouse.run(q) for title, q in STATS_QUERIES.items()})
