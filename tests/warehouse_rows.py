"""Reading a test warehouse back: row counts of the core tables, and query results."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import connect

CORE_TABLES = ("torrents", "files", "observations", "rejects")


def table_counts(db: Path) -> dict[str, int]:
    """Rows in each of ``CORE_TABLES``, read through a read-only connection."""
    con = connect(db, read_only=True)
    try:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in CORE_TABLES
        }
    finally:
        con.close()


def query_rows(db: Path, sql: str, params: object = None) -> list[tuple]:
    """Every row ``sql`` gives on the warehouse at ``db`` (read-only connection)."""
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    finally:
        con.close()
