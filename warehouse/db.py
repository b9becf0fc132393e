"""Opening the warehouse: the one place that knows it is a DuckDB file.

Migrations are numbered SQL files applied in order on open, each in its own
transaction and recorded in ``schema_migrations``, so every open sees the schema the
code expects. DuckDB lets one process hold a database file read-write; a second
writer gets :class:`WarehouseLocked` with a message saying what to do.

Three refusals live here so that no command has to remember them: a path with no
warehouse is not silently made into an empty one unless the caller is one of the
commands that create warehouses (``create=True``: WarehouseMissing); a warehouse whose
``schema_migrations`` names a version this code does not have was written by a newer
torrentwatch and is neither read nor written (WarehouseSchemaNewer); and a write that
fails because the disk is full says so (WarehouseDiskFull, via :func:`write_error`).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from common.errors import (
    MigrationError,
    WarehouseDiskFull,
    WarehouseError,
    WarehouseLocked,
    WarehouseMissing,
    WarehouseSchemaNewer,
    WarehouseSchemaOlder,
)
from warehouse.extensions import quiet
from warehouse.lake import (
    AFTER_ATTACH,
    CREATING_COMMANDS,
    is_lake,
    lake_statements,
    lock_down,
    open_lake,
)

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@functools.cache
def migrations() -> tuple[Migration, ...]:
    """The packaged migrations in version order; a gap or a duplicate is a bug. Read
    once per process: every open checks the schema against them (a file each, ~1 ms)."""
    found: list[Migration] = []
    for entry in (resources.files("warehouse") / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise MigrationError(f"migrations must be numbered 1..n without gaps: {found!r}")
    return tuple(found)


# The commands that make a new warehouse when --db names none; every other command
# needs an existing one (named in WarehouseMissing's message). Kept in warehouse.lake,
# which db imports.


# The on-disk format a new warehouse file is written in: the running DuckDB's own
# (pinned at 1.5.5), not DuckDB's default of the 1.0 format that every release since can
# read. At 1,000,000 torrents a checkpoint after one small write, which every writing
# command ends with, takes ~4 ms in it against ~10-14 ms in the 1.0 format, and the file
# is smaller (BENCHMARKS.md, "Stop 25"). The price: DuckDB clients older than the pinned
# version cannot open the file. A file keeps the format it was made in.
NEW_FILE_STORAGE = {"storage_compatibility_version": "latest"}

# The single writer's buffer pool (DuckDB memory_limit) for every bulk-loading stage:
# ingest, monitor loads and magnetico imports hold one batch plus its files at a time, and
# each load ends by dropping the pages it cached (release_cached_pages), so this bounds
# the writer's memory however large the warehouse grows.
WRITER_MEMORY = "512MB"


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    create: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    settings: Mapping[str, object] | None = None,
):
    """Open (and, unless read-only, migrate) the warehouse at ``path``.

    ``create``: make a new warehouse when ``path`` holds none; only the gathering
    commands (:data:`CREATING_COMMANDS`) pass it, so a mistyped path elsewhere is a
    ``WarehouseMissing`` error instead of an empty warehouse. ``":memory:"`` gives a
    private in-memory warehouse, used by tests. ``memory_limit`` caps DuckDB's buffer
    pool, which otherwise keeps the pages a long load wrote (up to 80% of RAM) and so
    grows with the size of the run. ``settings``: more DuckDB configuration, applied
    when the database opens (the guarded query runner's lock-down).
    """
    target = str(path)
    if is_lake(target):
        return _connect_lake(target, read_only, create, threads, memory_limit, settings)
    if target != ":memory:" and not Path(target).exists() and (read_only or not create):
        raise WarehouseMissing(
            f"no warehouse at {target}: only `torrentwatch "
            + "`, `torrentwatch ".join(CREATING_COMMANDS)
            + "` create one; check --db (or TORRENTWATCH_DB), or run one of those first"
        )
    config: dict[str, object] = dict(settings or {})
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    if target != ":memory:" and not Path(target).exists():
        config = {**NEW_FILE_STORAGE, **config}
    con = _open(target, read_only, config)
    if read_only and target != ":memory:" and 0 < _schema_version(con) < latest_known_version():
        con.close()
        _upgrade(target)
        con = _open(target, read_only, config)
    try:
        check_schema_version(con, target)
        if not read_only:
            migrate(con, target)
        if memory_limit and target != ":memory:":
            con.execute(f"SET VARIABLE {_LIMIT_VARIABLE} = $limit", {"limit": memory_limit})
    except BaseException:
        con.close()
        raise
    return con


def _connect_lake(
    target: str,
    read_only: bool,
    create: bool,
    threads: int | None,
    memory_limit: str | None,
    settings: Mapping[str, object] | None,
):
    """The DuckLake backend (warehouse.lake): the same migrations, checks and limits.

    A lake has many writers, so there is no lock to meet: a reader of an older lake
    migrates it first in a short writing session of its own, as a file reader does.
    Settings that would stop the lake itself from working (no file access: the lake's
    Parquet files are files) are applied after it is attached, with its data path as the
    one folder files may still be read from (:func:`warehouse.lake.lock_down`).
    """
    config = {k: v for k, v in (settings or {}).items() if k not in AFTER_ATTACH}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = open_lake(target, read_only=read_only, config=config, create=create)
    try:
        check_schema_version(con, target)
        if read_only and _schema_version(con) < latest_known_version():
            con.close()
            writer = open_lake(target, read_only=False, config={})
            try:
                check_schema_version(writer, target)
                migrate(writer, target)
            finally:
                writer.close()
            con = open_lake(target, read_only=True, config=config)
        elif not read_only:
            migrate(con, target)
        if memory_limit:
            con.execute(f"SET VARIABLE {_LIMIT_VARIABLE} = $limit", {"limit": memory_limit})
        lock_down(con, {k: v for k, v in (settings or {}).items() if k in AFTER_ATTACH})
    except BaseException:
        con.close()
        raise
    return con


def _open(target: str, read_only: bool, config: dict[str, object]):
    """A DuckDB session on ``target``, quiet (``warehouse.extensions.quiet``); a
    ``lock_configuration`` of ``config`` is applied last, so the session settings can be."""
    lock = bool(config.get("lock_configuration"))
    config = {k: v for k, v in config.items() if k != "lock_configuration"}
    try:
        con = duckdb.connect(target, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseLocked(
                f"{target} is open for writing in another process (only one writer at a "
                f"time); wait for it to finish, or query a copy. DuckDB said: {exc}"
            ) from exc
        raise write_error(exc, f"cannot open warehouse {target}", target) from exc
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
    try:
        quiet(con)
        if lock:
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _schema_version(con) -> int:
    """The highest migration applied (0 for a file that is no warehouse: a reader
    leaves such a file alone)."""
    try:
        found = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    except duckdb.CatalogException:
        return 0
    return found or 0


def _upgrade(target: str) -> None:
    """Apply the migrations a read-only command needs, in a short write of its own.

    A warehouse an older torrentwatch wrote lacks columns and views the readers use; a
    read-only connection cannot migrate it, and reading it as it is would fail late with
    a Binder error. Migrations are what every writing command applies on open, so a
    reader applies them too; if a writer holds the file now, say what to do instead.
    """
    try:
        con = _open(target, False, {})
    except WarehouseLocked as exc:
        raise WarehouseSchemaOlder(
            f"warehouse {target} was written by an older torrentwatch and needs its schema "
            f"brought up to version {latest_known_version()}, but another process is "
            "writing it; run the command again when that process ends"
        ) from exc
    try:
        check_schema_version(con, target)
        migrate(con, target)
    finally:
        con.close()


def latest_known_version() -> int:
    """The highest migration this code ships."""
    return max((m.version for m in migrations()), default=0)


def check_schema_version(con, target: str) -> None:
    """Refuse a warehouse migrated by a newer torrentwatch: its tables may have columns,
    constraints or meanings this code does not know, so reading it could mislead and
    writing it could corrupt it."""
    has_table = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not has_table:
        return
    found = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    known = latest_known_version()
    if found is not None and found > known:
        raise WarehouseSchemaNewer(
            f"warehouse {target} has schema version {found}, but this torrentwatch knows "
            f"versions up to {known}: it was written by a newer torrentwatch; use that "
            "version (or newer) with it"
        )


def applied_versions(con, *, lake: bool = False) -> set[int]:
    key = " NOT NULL" if lake else " PRIMARY KEY"
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        f" version INTEGER{key}, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def migrate(con, target: str = "the warehouse") -> list[int]:
    """Apply every migration not yet applied; returns the versions applied now."""
    lake = is_lake(target)
    done = applied_versions(con, lake=lake)
    applied: list[int] = []
    # A lake's statements are translated on a scratch copy of the schema (warehouse.lake).
    scratch = duckdb.connect(":memory:") if lake else None
    for migration in migrations():
        if migration.version in done:
            if scratch is not None:
                scratch.execute(migration.sql)
            continue
        try:
            con.execute("BEGIN TRANSACTION")
            if scratch is not None:
                for statement in lake_statements(migration.sql, scratch):
                    con.execute(statement)
            else:
                con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            rollback_quietly(con)
            name = f"{migration.version:03d}_{migration.name}"
            if is_disk_full(exc):
                raise write_error(exc, f"migration {name} of {target}", target) from exc
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        applied.append(migration.version)
    return applied


def rollback_quietly(con) -> None:
    """Roll back the open transaction, if any. A COMMIT that failed (a full disk, an
    I/O error) has already ended the transaction, and DuckDB then answers ROLLBACK with
    "no transaction is active": that answer must never replace the error that got us
    here, which the caller raises."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


# How the operating system words ENOSPC and EDQUOT; DuckDB passes strerror on in its
# I/O errors and keeps no errno, so the words are all there is to go by.
_DISK_FULL = ("no space left on device", "disk quota exceeded")
_FILE_IN_MESSAGE = re.compile(r'file "([^"]+)"')


def is_disk_full(exc: BaseException) -> bool:
    """Whether a DuckDB error was caused by a full disk (or an exhausted quota)."""
    text = str(exc).lower()
    return any(words in text for words in _DISK_FULL)


def write_error(exc: BaseException, what: str, path: str | None = None) -> WarehouseError:
    """The typed error for a failed warehouse write: ``WarehouseDiskFull`` naming the
    file DuckDB could not write (or ``path``) when the disk is full, else WarehouseError."""
    if is_disk_full(exc):
        match = _FILE_IN_MESSAGE.search(str(exc))
        where = match[1] if match else (path or "the warehouse")
        return WarehouseDiskFull(
            f"{what}: the disk is full (writing {where}); nothing of this write was kept "
            "and the warehouse holds what was committed before it. Free space on that "
            f"disk and run again. DuckDB said: {exc}"
        )
    return WarehouseError(f"{what}: {exc}")


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
