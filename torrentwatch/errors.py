"""One error root for the whole project.

Every error carries a stable ``code`` so that operators can grep logs and tests can
assert on the condition rather than on wording that may change.
"""

from __future__ import annotations


class TorrentwatchError(Exception):
    """Root of every error torrentwatch raises on purpose."""

    code: str = "torrentwatch.error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {super().__str__()}"


class InputRejected(TorrentwatchError):
    """An input (a .torrent, a magnet line) cannot be accepted.

    ``code`` is one of the stable reason codes in :mod:`parsers.reasons`; the
    ingest stage turns this into a row in ``rejects`` and carries on with the batch.
    """

    code = "input.rejected"

    def __init__(self, code: str, detail: str, *, source_ref: str = "") -> None:
        self.reason = code
        self.detail = detail
        self.source_ref = source_ref
        where = f"{source_ref}: " if source_ref else ""
        super().__init__(f"{where}{detail}", code=code)


class WarehouseError(TorrentwatchError):
    code = "warehouse.error"


class WarehouseLocked(WarehouseError):
    """Another process holds the single-writer lock on the DuckDB file."""

    code = "warehouse.locked"


class MigrationError(WarehouseError):
    code = "warehouse.migration"


class ConfigError(TorrentwatchError):
    code = "config.invalid"


class HashListError(TorrentwatchError):
    """A known-hash list file cannot be imported as a whole (bad lines are not this:
    they are reported one by one and the rest of the file is loaded)."""

    code = "hashlist.error"


class HashListUnreadable(HashListError):
    code = "hashlist.unreadable"


class HashListEmpty(HashListError):
    """The file holds no entries at all: no bytes, or only blank lines and comments."""

    code = "hashlist.empty"


class HashListNotText(HashListError):
    """The file is not UTF-8 text (UTF-16, binary, or no line decodes)."""

    code = "hashlist.not_utf8"


class HashListBadHeader(HashListError):
    """A CSV file whose header or first row says nothing usable about its columns."""

    code = "hashlist.csv_header"


class HashListAllRejected(HashListError):
    """Every entry line was malformed; loading would make an empty version of the list.

    ``rejects`` holds the per-line reports so a caller can show all of them.
    """

    code = "hashlist.all_rejected"

    def __init__(self, message: str, *, rejects: tuple = ()) -> None:
        super().__init__(message)
        self.rejects = rejects


class HashListNameInvalid(HashListError):
    code = "hashlist.name_invalid"


class RulesInvalid(TorrentwatchError):
    """Rule packs that cannot be loaded. ``problems`` lists every problem found (each
    with its own code, ``file:line:col``, rule id and key path); loading collects
    them all before raising this once."""

    code = "rules.invalid"

    def __init__(self, message: str, *, problems: tuple = ()) -> None:
        super().__init__(message)
        self.problems = problems


class RuleTestsFailed(TorrentwatchError):
    """`rules test`: at least one rule's shipped tests did not come out as written."""

    code = "rules.test_failed"


class TorrentNotFound(TorrentwatchError):
    """`explain`: no torrent with that infohash is in the warehouse."""

    code = "torrent.not_found"
