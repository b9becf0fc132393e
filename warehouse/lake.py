"""A DuckLake warehouse: the catalog in PostgreSQL (or SQLite, or a DuckDB file), the data
in Parquet files on a shared path, so that many processes load and read at once.

A target names it in one string, usable wherever a warehouse file is named (``--db``,
``TORRENTWATCH_DB``, the DAGs' settings)::

    ducklake:postgres:dbname=tw host=127.0.0.1 user=tw;data_path=/srv/torrentwatch/lake/

The part after ``ducklake:`` up to ``;`` is the catalog exactly as DuckLake's ATTACH
takes it; ``data_path`` is where the Parquet files go (needed the first time only: the
catalog remembers it). The schema is the one the migrations describe, translated
statement by statement (:func:`lake_statements`), because DuckLake keeps no PRIMARY KEY,
UNIQUE or CHECK constraints: a migration's CREATE TABLE runs in a scratch in-memory
database and the table is re-declared in the lake from the columns it produced, types,
NOT NULL and defaults included; every other statement (views, added columns, data
updates) runs as written. One set of migrations, two backends, no second schema to drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from common.errors import LakeTargetInvalid, WarehouseError, WarehouseMissing
from common.textcap import cap_text
from parsers.normalize import display_safe
from warehouse.extensions import OFFLINE_SETTINGS, load_extensions, quiet

PREFIX = "ducklake:"
# The commands that make a new warehouse when --db names none (as warehouse.db says).
CREATING_COMMANDS = ("ingest", "monitor", "import magnetico", "hashlist import", "demo")
# A target's length at most (a path is at most 4,096 bytes on Linux; a connection string
# is far shorter), and how much of one a message shows.
MAX_TARGET_CHARS = 8192
SHOWN_CHARS = 300
# The name the lake is attached under; every query runs with it as the default database.
LAKE_ALIAS = "warehouse"
# Which extension each kind of catalog needs beside ducklake itself.
_CATALOG_EXTENSIONS = {"postgres": ("postgres_scanner",), "sqlite": ("sqlite_scanner",)}


@dataclass(frozen=True, slots=True)
class LakeTarget:
    """A parsed ``ducklake:`` target."""

    catalog: str  # as DuckLake's ATTACH takes it, e.g. "postgres:dbname=tw host=…"
    data_path: str | None

    @property
    def catalog_kind(self) -> str:
        head, sep, _ = self.catalog.partition(":")
        return head if sep and head in _CATALOG_EXTENSIONS else "duckdb"

    @property
    def shown(self) -> str:
        """The target as it may be printed: a password in the catalog string masked,
        hidden and reordering characters shown as marks, the length capped."""
        words = [
            "password=***" if word.lower().startswith("password=") else word
            for word in self.catalog.split(" ")
        ]
        return display_safe(cap_text(PREFIX + " ".join(words), SHOWN_CHARS))


def is_lake(target: str) -> bool:
    return target.startswith(PREFIX)


def parse_target(target: str) -> LakeTarget:
    """Read a ``ducklake:CATALOG[;data_path=PATH]`` target."""
    if len(target) > MAX_TARGET_CHARS:
        raise LakeTargetInvalid(
            f"warehouse target of {len(target):,} characters: a lake target (catalog and data"
            f" path) has at most {MAX_TARGET_CHARS:,}"
        )
    body = target[len(PREFIX) :]
    catalog, *options = body.split(";")
    data_path: str | None = None
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key.strip() != "data_path" or not value.strip():
            raise LakeTargetInvalid(
                f"warehouse target {target[:200]!r}: after the catalog only "
                f"';data_path=PATH' may follow, found {option[:100]!r}"
            )
        data_path = value.strip()
    if not catalog.strip():
        raise LakeTargetInvalid(
            f"warehouse target {target[:200]!r} names no catalog: write e.g. "
            "'ducklake:postgres:dbname=tw host=127.0.0.1;data_path=/srv/lake/'"
        )
    return LakeTarget(catalog.strip(), data_path)


def open_lake(target: str, *, read_only: bool, config: dict[str, object], create: bool = False):
    """An in-memory DuckDB session with the lake attached and made the default database.

    ``create``: make the lake when its catalog holds none (the gathering commands, as
    for a file); otherwise a catalog without a lake is ``WarehouseMissing``.
    """
    lake = parse_target(target)
    con = duckdb.connect(":memory:", config={**OFFLINE_SETTINGS, **config})
    try:
        quiet(con)
        load_extensions(con, ("ducklake", *_CATALOG_EXTENSIONS.get(lake.catalog_kind, ())))
        options = []
        if lake.data_path:
            options.append(f"DATA_PATH '{_quoted(lake.data_path)}'")
        if read_only:
            options.append("READ_ONLY")
        elif not create:
            options.append("CREATE_IF_NOT_EXISTS false")
        clause = f" ({', '.join(options)})" if options else ""
        con.execute(f"ATTACH '{_quoted(PREFIX + lake.catalog)}' AS {LAKE_ALIAS}{clause}")
        con.execute(f"USE {LAKE_ALIAS}")
    except duckdb.Error as exc:
        con.close()
        if "does not exist" in str(exc):
            raise WarehouseMissing(
                f"no lake warehouse in the catalog of {lake.shown}: only `torrentwatch "
                + "`, `torrentwatch ".join(CREATING_COMMANDS)
                + "` create one; check --db (or TORRENTWATCH_DB)"
            ) from exc
        raise WarehouseError(f"cannot open the lake warehouse {lake.shown}: {exc}") from exc
    except BaseException:
        con.close()
        raise
    return con


# Settings that would stop the lake's own reads if given when the session starts.
AFTER_ATTACH = ("enable_external_access", "lock_configuration")


def lock_down(con, settings: dict[str, object]) -> None:
    """Apply :data:`AFTER_ATTACH` settings to a session that has its lake attached.

    Turning file access off would also stop the lake reading its own Parquet files, so
    the data path is first made the one allowed folder; ``lock_configuration`` goes last
    so no later statement can undo any of it.
    """
    if settings.get("enable_external_access") is False:
        data_path = con.execute(
            "SELECT data_path FROM ducklake_settings($lake)", {"lake": LAKE_ALIAS}
        ).fetchone()[0]
        con.execute("SET allowed_directories = [$path]", {"path": data_path})
        con.execute("SET enable_external_access = false")
    if settings.get("lock_configuration"):
        con.execute("SET lock_configuration = true")


def lake_statements(sql: str, scratch) -> Iterator[str]:
    """The statements of one migration as the lake runs them.

    ``scratch`` is an in-memory DuckDB connection on which every earlier migration ran:
    each statement runs there first, and a statement that made new tables yields their
    re-declaration without constraints instead of itself (a rename yields itself).
    """
    for statement in duckdb.extract_statements(sql):
        before = _tables(scratch)
        scratch.execute(statement.query)
        after = _tables(scratch)
        made = [name for name in after if name not in before]
        renamed = made and any(name not in after for name in before)
        if not made or renamed:  # a rename makes no table: the lake renames too
            yield statement.query
            continue
        for table in made:
            yield _declaration(scratch, table)


def _tables(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        " AND schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def _declaration(scratch, table: str) -> str:
    columns = scratch.execute(
        "SELECT column_name, data_type, is_nullable, column_default FROM duckdb_columns()"
        " WHERE database_name = current_database() AND schema_name = 'main'"
        " AND table_name = $t ORDER BY column_index",
        {"t": table},
    ).fetchall()
    parts = []
    for name, data_type, nullable, default in columns:
        part = f'"{name}" {data_type}'
        if not nullable:
            part += " NOT NULL"
        if default is not None:
            part += f" DEFAULT {default}"
        parts.append(part)
    return f'CREATE TABLE "{table}" ({", ".join(parts)})'


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def is_lake_connection(con) -> bool:
    """Whether ``con``'s default database is a DuckLake (many writers, no constraints)."""
    row = con.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row) and row[0] == "ducklake"


def copy_into_lake(source: str, lake_con) -> list[str]:
    """Copy every table of the warehouse ``source`` (a DuckDB file, or another lake's
    target) into the new, migrated, empty lake ``lake_con`` is attached to, in one
    transaction; the tables copied. Views are the lake's own (its migrations made them);
    the migration bookkeeping and the write lanes stay the lake's. For moving a
    warehouse from a file to a lake, and for tests."""
    if is_lake(source):
        other = parse_target(source)
        load_extensions(lake_con, _CATALOG_EXTENSIONS.get(other.catalog_kind, ()))
        attach = f"ATTACH '{_quoted(PREFIX + other.catalog)}' AS copy_source (READ_ONLY)"
    else:
        attach = f"ATTACH '{_quoted(source)}' AS copy_source (READ_ONLY)"
    lake_con.execute(attach)
    try:
        tables = [
            row[0]
            for row in lake_con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'copy_source'"
                " AND schema_name = 'main' ORDER BY table_name"
            ).fetchall()
            if row[0] != "schema_migrations" and not row[0].startswith("lane_")
        ]
        lake_con.execute("BEGIN TRANSACTION")
        for table in tables:
            lake_con.execute(
                f'INSERT INTO "{table}" BY NAME SELECT * FROM copy_source.main."{table}"'
            )
        lake_con.execute("COMMIT")
    finally:
        lake_con.execute(f"USE {LAKE_ALIAS}")
        lake_con.execute("DETACH copy_source")
    return tables
