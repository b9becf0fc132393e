"""Opening the warehouse: the one place that knows it is a DuckDB file.

Migrations are numbered SQL files applied in order on open, each in its own
transaction and recorded in ``schema_migrations``, so every open sees the schema the
code expects. DuckDB lets one process hold a database file read-write; a second
writer gets :class:`WarehouseLocked` with a message saying what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from torrentwatch.errors import MigrationError, WarehouseError, WarehouseLocked

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The packaged migrations in version order; a gap or a duplicate is a bug."""
    found: list[Migration] = []
    for entry in (resources.files("warehouse") / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise MigrationError(f"migrations must be numbered 1..n without gaps: {found!r}")
    return found


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
):
    """Open (and, unless read-only, migrate) the warehouse at ``path``.

    ``":memory:"`` gives a private in-memory warehouse, used by tests.
    ``memory_limit`` caps DuckDB's buffer pool, which otherwise keeps the pages a
    long load wrote (up to 80% of RAM) and so grows with the size of the run.
    """
    target = str(path)
    config: dict[str, object] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(target, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseLocked(
                f"{target} is open for writing in another process (only one writer at a "
                f"time); wait for it to finish, or query a copy. DuckDB said: {exc}"
            ) from exc
        raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
    if not read_only:
        migrate(con)
    if memory_limit and target != ":memory:":
        con.execute(f"SET VARIABLE {_LIMIT_VARIABLE} = $limit", {"limit": memory_limit})
    return con


def applied_versions(con) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def migrate(con) -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now."""
    done = applied_versions(con)
    applied: list[int] = []
    for migration in migrations():
        if migration.version in done:
            continue
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(
                f"migration {migration.version:03d}_{migration.name} failed: {exc}"
            ) from exc
        applied.append(migration.version)
    return applied


# What the buffer pool is shrunk to for a moment after each bulk load (see below).
_RELEASE_TO = "16MB"
# The connection's configured memory_limit, kept where release_cached_pages finds it
# (DuckDB reports the setting rounded, so it cannot be read back exactly).
_LIMIT_VARIABLE = "torrentwatch_memory_limit"


def release_cached_pages(con) -> None:
    """Let DuckDB drop the table pages it keeps cached after a load of a file warehouse.

    A long load writes every page through the buffer pool, which keeps them (they are
    already on disk) until it reaches ``memory_limit``: the writer's memory then grows
    with the size of the run. Lowering the limit for a moment makes DuckDB evict those
    clean pages at once; the limit is then restored. Only a connection opened with an
    explicit ``memory_limit`` on a warehouse file does this (an in-memory warehouse has
    nothing to evict to); a pool that cannot shrink (pages still pinned) is left as it
    is: dropping a cache is never worth failing a load for.
    """
    limit = con.execute(f"SELECT getvariable('{_LIMIT_VARIABLE}')").fetchone()[0]
    if limit is None:
        return
    try:
        con.execute(f"SET memory_limit = '{_RELEASE_TO}'")
    except duckdb.Error:
        pass
    finally:
        con.execute(f"SET memory_limit = '{limit}'")
