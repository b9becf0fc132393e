"""The guarded query runner: an analyst's SQL reads the open warehouse and nothing else.

`torrentwatch sql`, `stats`, the selector of `review bulk` and the web workbench run
people's SQL through here. Two layers, each enough on its own for what it covers:

1. The statement check (:func:`check_query`, before anything runs): the text must hold
   exactly one statement, and it must be a query (DuckDB's statement type SELECT:
   SELECT, WITH, FROM-first, VALUES, DESCRIBE, SHOW, SUMMARIZE, PRAGMA table_info).
   Writes, COPY, EXPORT, ATTACH/DETACH, USE/SET/RESET, PRAGMA, CALL/CHECKPOINT,
   INSTALL/LOAD, transactions and EXPLAIN are refused, each with a stable code.
2. The connection (:func:`open_guarded`): the warehouse is opened read-only with
   DuckDB's own lock-down applied before any user SQL: ``enable_external_access``
   off (no host files: ``read_text``, ``glob``, ``FROM 'x.csv'``, COPY/ATTACH
   targets), extensions neither installed nor loaded (autoinstall/autoload off,
   community extensions off), ``temp_directory`` empty (a big query fails instead
   of spilling files beside the warehouse), no Python replacement scans, and
   ``lock_configuration`` on so no later statement can undo any of it.

Checked in DuckDB 1.5.5: all of those settings read back as set after a read-only
open, SELECTs over tables, views and DuckDB's catalog functions still work, and a
sequence's ``nextval`` fails on the read-only warehouse. DuckDB keeps one database
instance per file and process, so a writable connection to the same file in the same
process must be closed before a guarded one opens (and the other way round).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from common.errors import (
    QueryEmpty,
    QueryError,
    QueryExtension,
    QueryExternalAccess,
    QueryMultipleStatements,
    QueryNotAQuery,
    QueryNotReadOnly,
    QuerySettings,
    QuerySyntax,
)
from warehouse.db import connect

# DuckDB configuration of every guarded connection, fixed when the database opens.
GUARD_SETTINGS: dict[str, object] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "python_enable_replacements": False,
    "temp_directory": "",
    "lock_configuration": True,
}

# Statement types refused, by the reason given to the person who wrote them.
_WRITES = {
    "INSERT", "UPDATE", "DELETE", "MERGE_INTO", "CREATE", "CREATE_FUNC", "DROP", "ALTER",
    "COPY", "COPY_DATABASE", "EXPORT", "ATTACH", "DETACH", "VACUUM", "TRANSACTION",
    "CALL", "ANALYZE",
}  # fmt: skip
_SETTINGS = {"SET", "VARIABLE_SET", "PRAGMA"}
_EXTENSIONS = {"LOAD", "EXTENSION", "UPDATE_EXTENSIONS"}
# Shown in messages: what is accepted.
ACCEPTED = "SELECT, WITH ... SELECT, FROM ..., VALUES, DESCRIBE, SHOW, SUMMARIZE"
# How much of a refused statement a message quotes.
_QUOTED = 80


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """The one query statement of an analyst's text, ready to run."""

    text: str  # the statement as DuckDB parsed it (no trailing `;` or comment)


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _QUOTED else f"{flat[:_QUOTED]}... ({len(flat)} characters)"


def check_query(con, query: str) -> CheckedQuery:
    """Refuse ``query`` unless it is exactly one query statement (parse only; nothing runs).

    Trailing ``;`` and comments are fine; the error says which rule was broken.
    """
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QuerySyntax(f"refused: the query does not parse: {exc}") from exc
    if not statements:
        raise QueryEmpty("refused: the query is empty (only blanks, `;` or comments)")
    if len(statements) > 1:
        kinds = ", ".join(_kind(s) for s in statements)
        raise QueryMultipleStatements(
            f"refused: the text holds {len(statements)} statements ({kinds}); exactly one query "
            "is run per call, so nothing was run (a PIVOT without an explicit IN list counts as "
            "two: name the pivoted values with IN (...))"
        )
    statement = statements[0]
    kind = _kind(statement)
    if kind != "SELECT":
        raise _refusal(kind, statement.query)
    return CheckedQuery(statement.query)


def _kind(statement) -> str:
    name = statement.type.name
    if name.isidentifier():
        return name
    # The binding has no name for UPDATE EXTENSIONS (it shows "???"): refused either way.
    words = statement.query.upper().split()[:2]
    return "UPDATE_EXTENSIONS" if words == ["UPDATE", "EXTENSIONS"] else "UNKNOWN"


# How a statement type reads to the person who wrote it (DuckDB folds some together).
_SHOWN_AS = {
    "LOAD": "INSTALL/LOAD",
    "CALL": "CALL/CHECKPOINT",
    "SET": "SET/RESET/USE",
    "VARIABLE_SET": "SET VARIABLE",
    "COPY_DATABASE": "COPY FROM DATABASE",
    "MERGE_INTO": "MERGE INTO",
    "UPDATE_EXTENSIONS": "UPDATE EXTENSIONS",
}


def _refusal(kind: str, text: str) -> QueryError:
    shown = f"{_SHOWN_AS.get(kind, kind)} statement `{_quote(text)}`"
    if kind in _WRITES:
        return QueryNotReadOnly(
            f"refused the {shown}: queries are read-only; they may not change, create, copy, "
            f"attach or export anything (accepted: {ACCEPTED})"
        )
    if kind in _SETTINGS:
        return QuerySettings(
            f"refused the {shown}: queries may not change settings, the current database or "
            f"variables (accepted: {ACCEPTED})"
        )
    if kind in _EXTENSIONS:
        return QueryExtension(
            f"refused the {shown}: queries may not install, load or update DuckDB extensions "
            f"(accepted: {ACCEPTED})"
        )
    return QueryNotAQuery(f"refused the {shown}: only queries are run (accepted: {ACCEPTED})")


@contextmanager
def open_guarded(db: str | Path) -> Iterator[GuardedWarehouse]:
    """The warehouse at ``db`` opened read-only under :data:`GUARD_SETTINGS`."""
    con = connect(db, read_only=True, settings=GUARD_SETTINGS)
    try:
        yield GuardedWarehouse(con)
    finally:
        con.close()


@dataclass(frozen=True, slots=True)
class GuardedWarehouse:
    """A locked-down read-only connection; :meth:`run` is the only way in."""

    con: object

    def run(self, query: str) -> pa.Table:
        """Check ``query`` and run it; the result as Arrow."""
        checked = check_query(self.con, query)
        try:
            result = self.con.execute(checked.text)
            return pa.table({}) if result.description is None else result.to_arrow_table()
        except duckdb.PermissionException as exc:
            raise QueryExternalAccess(
                "refused: the query reaches outside the warehouse (host files, other "
                f"databases or extensions are not available to queries). DuckDB said: {exc}"
            ) from exc
        except duckdb.Error as exc:
            if "read-only" in str(exc).lower():
                raise QueryNotReadOnly(
                    f"refused: the query would change the warehouse (e.g. nextval of a "
                    f"sequence), and queries are read-only. DuckDB said: {exc}"
                ) from exc
            raise QueryError(f"the query failed: {exc}") from exc


def run_guarded(db: str | Path, query: str) -> pa.Table:
    """Run one analyst query against the warehouse at ``db`` (see the module doc)."""
    with open_guarded(db) as warehouse:
        return warehouse.run(query)
