"""The hash-list stage: import a known-hash list file as a new version, list the lists.

``hashlist_import`` and ``hashlist_list`` are what ``torrentwatch hashlist import``
and ``torrentwatch hashlist list`` run; the hashlist_sync DAG calls ``hashlist_import``.
The file is parsed completely before the warehouse is opened, so a file that cannot be
imported at all (empty, not UTF-8, every line bad) leaves the warehouse untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.errors import (
    ExchangeInvalid,
    FetchError,
    FileTooLarge,
    HashListError,
    HashListNameInvalid,
    HashListUnreadable,
    NotRegularFile,
)
from common.files import read_regular
from common.summary import Summary
from monitors.http import HttpPolicy, fetch
from parsers.exchange import is_exchange, read_exchange
from parsers.hashlist import (
    FORMATS,
    KINDS,
    LIST_NAME_PATTERN,
    LineReject,
    ParsedHashList,
    parse_hash_list,
)
from torrentwatch.query import open_read
from warehouse.db import connect
from warehouse.hashlists import (
    ListVersion,
    entries_table,
    list_hash_lists,
    load_list_version,
    rejects_table,
)
from warehouse.runs import recorded_run


@dataclass(frozen=True, slots=True)
class ImportSummary(Summary):
    """What one import stored: printed by the CLI, returned to DAG tasks, kept in
    ``runs.detail``."""

    name: str
    version: int
    file_path: str
    sha256: str
    format: str
    entries: int
    by_kind: dict[str, int]
    duplicates: int
    rejected_lines: int
    rejected: dict[str, int]  # rejected lines by reason code
    # True when asked to import only a change and the content equals the latest version:
    # nothing was stored, and ``version`` is that latest version.
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class ListImport:
    """An import's outcome: its summary, and the rejected lines themselves (the CLI shows
    them; ``hash_list_rejects`` keeps them all). ``run_id`` is empty when unchanged."""

    summary: ImportSummary
    rejects: tuple[LineReject, ...]
    run_id: str
    # A list-exchange file's provenance (issuer, batch, time window, rule and list
    # versions: parsers/exchange.py); None for text and CSV lists.
    provenance: dict | None = None


def check_name(name: str) -> str:
    """A list name: letters, digits, ``.``, ``_``, ``-``; at most 64 characters (rules
    name lists in ``known_list: {list: NAME}``, so names stay plain and short)."""
    if not re.fullmatch(LIST_NAME_PATTERN, name):
        raise HashListNameInvalid(
            f"list name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if name == "any":
        raise HashListNameInvalid(
            "list name 'any' is reserved: rules write `known_list: {list: any}` for every list"
        )
    return name


# Hotline lists run to millions of lines; a body past this is refused, not truncated.
MAX_LIST_BYTES = 512 * 1024 * 1024
LIST_URL_POLICY = HttpPolicy(timeout=300.0, retries=3, max_bytes=MAX_LIST_BYTES)


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


def read_list_file(location: str | Path) -> bytes:
    """The list's bytes from a file, or from an http(s) URL (hotlines publish lists there):
    fetched with timeouts, retries on transient failures and a size cap."""
    if is_url(location):
        try:
            return fetch(str(location), LIST_URL_POLICY).body
        except FetchError as exc:
            raise HashListUnreadable(f"{location}: cannot fetch the hash list: {exc}") from exc
    try:
        return read_regular(location, MAX_LIST_BYTES)
    except (OSError, NotRegularFile, FileTooLarge) as exc:
        raise HashListUnreadable(f"{location}: cannot read the hash list: {exc}") from exc


def hashlist_import(
    path: str | Path,
    db: str | Path,
    *,
    name: str,
    source: str | None = None,
    fmt: str = "auto",
    if_changed: bool = False,
) -> ListImport:
    """Import the list at ``path`` (a file, or an http(s) URL) as the next version of
    list ``name``.

    Malformed lines are stored in ``hash_list_rejects`` and returned; they do not stop
    the import. Raises a HashListError, with the warehouse untouched, when the file
    holds no usable entry. ``if_changed``: a list whose bytes equal its latest
    version's is not stored again (a scheduled refresh adds versions only for changes).
    """
    check_name(name)
    if fmt not in FORMATS:
        raise HashListError(
            f"format {fmt!r}: use one of {', '.join(FORMATS)}", code="hashlist.format_unknown"
        )
    data = read_list_file(path)
    provenance = None
    if is_exchange(data):
        exchange = read_exchange(data, str(path))
        provenance = exchange.provenance
        source = source or provenance["issuer"]
        parsed = _exchange_entries(exchange.body, provenance, str(path))
    else:
        parsed = parse_hash_list(data, source_ref=str(path), fmt=fmt)
    sha256 = hashlib.sha256(data).hexdigest()
    # An import of gathered data, like ingest: hashlist_sync on a fresh deployment must
    # not fail until the first ingest has run.
    con = connect(db, create=True)
    try:
        where = str(path) if is_url(path) else str(Path(path).resolve())
        if if_changed:
            latest = _latest(con, name)
            if latest is not None and latest[1] == sha256:
                row = _unchanged_row(name, source, where, sha256, provenance)
                return _outcome(parsed, row, latest[0], unchanged=True)
        return _store(
            con, parsed, name=name, source=source, path=where, sha256=sha256, provenance=provenance
        )
    finally:
        con.close()


def _exchange_entries(body: bytes, provenance: dict, source_ref: str) -> ParsedHashList:
    """The entries of an exchange file's body: every line must be one, as many as its
    provenance says (the body's checksum already matched)."""
    parsed = parse_hash_list(body, source_ref=source_ref, fmt="csv")
    if parsed.rejects or len(parsed.entries) != provenance["entries"]:
        raise ExchangeInvalid(
            f"{source_ref}: {len(parsed.entries)} entries and {len(parsed.rejects)} bad lines "
            f"where the provenance says {provenance['entries']} entries"
        )
    return ParsedHashList("exchange", parsed.entries, (), parsed.duplicates, parsed.lines + 1)


def _latest(con, name: str) -> tuple[int, str] | None:
    return con.execute(
        "SELECT version, sha256 FROM hash_lists WHERE name = ? ORDER BY version DESC LIMIT 1",
        [name],
    ).fetchone()


def _unchanged_row(
    name: str, source: str | None, where: str, sha256: str, provenance: dict | None = None
) -> ListVersion:
    return ListVersion(
        name=name,
        source=source,
        file_path=where,
        sha256=sha256,
        format="",
        loaded_at=datetime.now(UTC),
        lines=0,
        duplicates=0,
        run_id=None,
        provenance=provenance,
    )


def _store(
    con,
    parsed: ParsedHashList,
    *,
    name: str,
    source: str | None,
    path: str,
    sha256: str,
    provenance: dict | None = None,
) -> ListImport:
    with recorded_run(con, "hashlist import") as run:
        row = ListVersion(
            name=name,
            source=source,
            file_path=path,
            sha256=sha256,
            format=parsed.format,
            loaded_at=datetime.now(UTC),
            lines=parsed.lines,
            duplicates=parsed.duplicates,
            run_id=run.run_id,
            provenance=provenance,
        )
        entries, rejects = entries_table(parsed.entries), rejects_table(parsed.rejects)
        outcome = _outcome(parsed, row, load_list_version(con, row, entries, rejects))
        summary = outcome.summary
        run.items_read = summary.entries + summary.duplicates + summary.rejected_lines
        run.rejected = summary.rejected_lines
        run.detail = summary.as_dict()
    return outcome


def _outcome(
    parsed: ParsedHashList, row: ListVersion, version: int, *, unchanged: bool = False
) -> ListImport:
    kinds = Counter(entry.kind for entry in parsed.entries)
    summary = ImportSummary(
        name=row.name,
        version=version,
        file_path=row.file_path,
        sha256=row.sha256,
        format=parsed.format,
        entries=len(parsed.entries),
        by_kind={kind: kinds[kind] for kind in KINDS},
        duplicates=parsed.duplicates,
        rejected_lines=len(parsed.rejects),
        rejected=dict(Counter(r.reason for r in parsed.rejects)),
        unchanged=unchanged,
    )
    return ListImport(summary, parsed.rejects, row.run_id or "", row.provenance)


def hashlist_list(db: str | Path) -> pa.Table:
    """Every list: latest version, provenance, entries by kind, duplicates, rejects."""
    con = open_read(db)
    try:
        return list_hash_lists(con)
    finally:
        con.close()
