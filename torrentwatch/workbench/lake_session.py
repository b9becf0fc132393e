"""One lake session kept for the workbench's many short uses of a lake warehouse.

Opening a lake session costs about a quarter of a second (the extension loaded, the
catalog attached, the schema checked; measured with a PostgreSQL catalog), which the
workbench would otherwise pay for every decision it folds and every change check of its
refresher. A catalog in PostgreSQL or SQLite admits many sessions at once, so one is
kept open (a kept session sees other writers' commits: each use is a new transaction).
A catalog in a DuckDB file admits one session per process and none from another process
while it is open, so there every use opens and closes its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from warehouse.db import connect
from warehouse.lake import parse_target

T = TypeVar("T")


class LakeSession:
    """A lake session (read-only or writable) used by one caller at a time."""

    def __init__(self, target: str, *, read_only: bool):
        self.target = target
        self.read_only = read_only
        self.keep = parse_target(target).catalog_kind != "duckdb"
        self._lock = threading.Lock()
        self._con = None

    def run(self, use: Callable[[object], T]) -> T:
        """``use(con)`` on the session. A failure drops a kept session, so the next use
        opens a fresh one (after, say, the catalog server restarted)."""
        with self._lock:
            con = (
                self._con
                if self._con is not None
                else connect(self.target, read_only=self.read_only)
            )
            try:
                result = use(con)
            except BaseException:
                con.close()
                self._con = None
                raise
            if self.keep:
                self._con = con
            else:
                con.close()
            return result

    @property
    def is_open(self) -> bool:
        """Whether a session is kept open now (never for a catalog in a DuckDB file)."""
        return self._con is not None

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
