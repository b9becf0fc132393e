"""Known-hash lists in the warehouse: one new version per import, in one transaction.

Entries and rejected lines arrive as Arrow tables and are inserted set-wise; the
version number is taken inside the same transaction that writes the version, so a
failed load leaves no half-written version and no gap a later import would skip.
Older versions are never touched: matching reads the latest one through the
``hash_list_latest_entries`` view.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from warehouse.lanes import serialized

if TYPE_CHECKING:
    from parsers.hashlist import HashEntry, LineReject

ENTRY_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("hash", pa.string()),
        ("label", pa.string()),
        ("line_number", pa.int64()),
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("line_number", pa.int64()),
        ("line_text", pa.string()),
        ("line_sha256", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)


def entries_table(entries: Iterable[HashEntry]) -> pa.Table:
    """Parsed entries as the Arrow table :func:`load_list_version` inserts."""
    rows = list(entries)
    return pa.table(
        {
            "kind": [e.kind for e in rows],
            "hash": [e.hash for e in rows],
            "label": [e.label for e in rows],
            "line_number": [e.line for e in rows],
        },
        schema=ENTRY_SCHEMA,
    )


def rejects_table(rejects: Iterable[LineReject]) -> pa.Table:
    """Rejected lines as the Arrow table :func:`load_list_version` inserts."""
    rows = list(rejects)
    return pa.table(
        {
            "line_number": [r.line for r in rows],
            "line_text": [r.text for r in rows],
            "line_sha256": [r.sha256 for r in rows],
            "reason": [r.reason for r in rows],
            "detail": [r.detail for r in rows],
        },
        schema=REJECT_SCHEMA,
    )


@dataclass(frozen=True, slots=True)
class ListVersion:
    """The row an import adds to ``hash_lists`` (the version is assigned on load)."""

    name: str
    source: str | None
    file_path: str
    sha256: str
    format: str
    loaded_at: datetime
    lines: int
    duplicates: int
    run_id: str | None
    provenance: dict | None = None  # a list-exchange file's header (stored as JSON)


NEXT_VERSION_SQL = "SELECT coalesce(max(version), 0) + 1 FROM hash_lists WHERE name = $name"

INSERT_LIST_SQL = """
INSERT INTO hash_lists (name, version, source, file_path, sha256, format, loaded_at,
                        lines, entries, duplicates, rejected_lines, run_id, provenance)
VALUES ($name, $version, $source, $file_path, $sha256, $format, $loaded_at,
        $lines, $entries, $duplicates, $rejected_lines, $run_id, $provenance)
"""

INSERT_ENTRIES_SQL = """
INSERT INTO hash_list_entries (list_name, list_version, kind, hash, label, line_number)
SELECT $name, $version, kind, hash, label, line_number FROM import_entries
"""

INSERT_REJECTS_SQL = """
INSERT INTO hash_list_rejects
    (list_name, list_version, line_number, line_text, line_sha256, reason, detail)
SELECT $name, $version, line_number, line_text, line_sha256, reason, detail
FROM import_rejects
"""

# One row per list: its latest version, its provenance and what it holds by kind.
LIST_SQL = """
WITH latest AS (
    SELECT name, max(version) AS version, count(*) AS versions FROM hash_lists GROUP BY name
), kinds AS (
    SELECT e.list_name,
           count(*) FILTER (WHERE e.kind = 'infohash_v1') AS infohash_v1,
           count(*) FILTER (WHERE e.kind = 'infohash_v2') AS infohash_v2,
           count(*) FILTER (WHERE e.kind = 'pieces_root') AS pieces_root
    FROM hash_list_entries e JOIN latest
      ON e.list_name = latest.name AND e.list_version = latest.version
    GROUP BY e.list_name
)
SELECT l.name, l.version AS latest_version, latest.versions, l.source, l.file_path,
       l.format, l.loaded_at, l.entries,
       coalesce(k.infohash_v1, 0) AS infohash_v1, coalesce(k.infohash_v2, 0) AS infohash_v2,
       coalesce(k.pieces_root, 0) AS pieces_root, l.duplicates, l.rejected_lines
FROM hash_lists l
JOIN latest ON l.name = latest.name AND l.version = latest.version
LEFT JOIN kinds k ON k.list_name = l.name
ORDER BY l.name
"""


def load_list_version(con, row: ListVersion, entries: pa.Table, rejects: pa.Table) -> int:
    """Store one import as the next version of ``row.name``; returns that version.

    All of it lands (the ``hash_lists`` row, every entry and every rejected line) or,
    on any error, none of it.
    """
    con.register("import_entries", entries)
    con.register("import_rejects", rejects)
    try:
        # The list lane: two imports of one list at once on a lake must not both take
        # the same next version (warehouse.lanes).
        return serialized(
            con,
            "hashlist",
            f"loading hash list {row.name!r} from {row.file_path}",
            lambda: _insert_version(con, row, entries.num_rows, rejects.num_rows),
            run_id=row.run_id,
        )
    finally:
        con.unregister("import_entries")
        con.unregister("import_rejects")


def _insert_version(con, row: ListVersion, entries: int, rejected: int) -> int:
    version = con.execute(NEXT_VERSION_SQL, {"name": row.name}).fetchone()[0]
    keys = {"name": row.name, "version": version}
    con.execute(
        INSERT_LIST_SQL,
        {
            **keys,
            "source": row.source,
            "file_path": row.file_path,
            "sha256": row.sha256,
            "format": row.format,
            "loaded_at": row.loaded_at,
            "lines": row.lines,
            "entries": entries,
            "duplicates": row.duplicates,
            "rejected_lines": rejected,
            "run_id": row.run_id,
            "provenance": None if row.provenance is None else json.dumps(row.provenance),
        },
    )
    con.execute(INSERT_ENTRIES_SQL, keys)
    con.execute(INSERT_REJECTS_SQL, keys)
    return version


def list_hash_lists(con) -> pa.Table:
    """Every list with its latest version's provenance and counts by kind."""
    if not has_hash_lists(con):
        return pa.table({})
    return con.execute(LIST_SQL).to_arrow_table()


def has_hash_lists(con) -> bool:
    """False for a warehouse written before hash lists existed and opened read-only
    (read-only opens do not migrate)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'hash_lists'"
    ).fetchone()[0]
    return bool(found)
