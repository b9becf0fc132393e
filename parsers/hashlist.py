"""Known-hash list files (infohashes and v2 file pieces roots) to typed entries.

Hotlines exchange lists of torrents already known to carry abuse material, as plain
text or CSV. This module is pure: the bytes of one file in, entries and per-line
reports out. A malformed line never stops the file and is never skipped in silence:
it becomes a :class:`LineReject` with its line number and a stable reason code from
:mod:`parsers.reasons`. Only a file with nothing usable in it (empty, not UTF-8, a
CSV header naming no hash column, every line bad) raises, naming the file.

Accepted forms of a hash (see docs/hash-lists.md): 40 hex digits (v1 infohash), 32
base32 characters (v1, as in ``xt=urn:btih:``), 64 hex digits (v2 infohash, or a
pieces root when a CSV ``kind`` column says so), ``1220`` + 64 hex digits (a v2
SHA-256 multihash, as in ``xt=urn:btmh:``), and magnet URIs (every ``xt`` is taken,
so a hybrid link gives a v1 and a v2 entry). Hex is stored lowercase.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass

from common.errors import (
    HashListAllRejected,
    HashListBadHeader,
    HashListEmpty,
    HashListNotText,
    InputRejected,
)
from common.textcap import DETAIL_CAP, QUOTE_CAP, cap_text, capped_repr
from parsers.magnet import btih_hex, btmh_hex, parse_magnet
from parsers.normalize import display_safe

KINDS = ("infohash_v1", "infohash_v2", "pieces_root")
FORMATS = ("auto", "text", "csv")
# A list's name: rules refer to it (``known_list: {list: NAME}``), and the import and
# the rule-pack checks both hold names to this one pattern, so every name a rule may
# write is one a list can be imported under. A regex string (the pack JSON schema uses
# it too); match it with ``re.fullmatch``, since ``$`` also allows a trailing newline.
LIST_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# A magnet with many trackers runs to a few KiB; anything this long is not an entry.
MAX_LINE_BYTES = 64 * 1024
# Characters of a rejected line kept for people to read (the sha256 identifies all of it).
PREVIEW_CHARS = 200
# Unknown header cells named in an error; a hostile header may have thousands.
_SHOWN_COLUMNS = 5

# Header names, lowercased; each maps to the role of its column.
HASH_COLUMNS = frozenset({"hash", "infohash", "info_hash", "btih", "magnet", "uri"})
KIND_COLUMNS = frozenset({"kind", "type"})
LABEL_COLUMNS = frozenset({"label", "name", "description", "comment", "note"})
# Without a header, the column count says what the columns are.
_POSITIONAL = {1: ("hash",), 2: ("hash", "label"), 3: ("hash", "kind", "label")}
# A kind cell that leaves the kind to the hash's form.
_INFERRED_KINDS = frozenset({"", "infohash"})

_HEX = re.compile(r"[0-9a-fA-F]+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class HashEntry:
    """One known hash: ``kind`` is one of :data:`KINDS`, ``hash`` lowercase hex."""

    kind: str
    hash: str
    label: str | None
    line: int


@dataclass(frozen=True, slots=True)
class LineReject:
    """A line that could not be read as an entry; ``text`` is display-safe and cut to
    :data:`PREVIEW_CHARS`, ``sha256`` identifies the whole line's bytes."""

    line: int
    text: str
    sha256: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class ParsedHashList:
    """Everything one file said: entries (one per distinct kind and hash, first
    occurrence kept), rejected lines, and how many entries repeated an earlier one."""

    format: str
    entries: tuple[HashEntry, ...]
    rejects: tuple[LineReject, ...]
    duplicates: int
    lines: int


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """Which column holds what, and how many columns every row must have."""

    width: int
    hash: int
    kind: int | None = None
    label: int | None = None
    header: bool = False


# What one line names, before it is numbered and deduplicated: (kind, hex, label).
_Found = tuple[str, str, str | None]


class _LineProblem(Exception):
    """Internal: why one line is not an entry (becomes a LineReject, never escapes)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_hash_list(data: bytes, *, source_ref: str, fmt: str = "auto") -> ParsedHashList:
    """Parse one hash-list file; ``source_ref`` (its path) names it in errors and decides
    the format when ``fmt`` is ``auto``. Raises a HashListError for a file with no
    usable entry; returns every bad line as a LineReject otherwise."""
    _check_text(data, source_ref)
    lines = _content_lines(data)
    if not lines:
        raise HashListEmpty(f"{source_ref}: no entries (only blank lines and # comments)")
    chosen = detect_format(lines[0][1], source_ref) if fmt == "auto" else fmt
    reader = _CsvReader(source_ref) if chosen == "csv" else None
    collector = _Collector()
    for lineno, raw in lines:
        try:
            entries = _parse_line(raw, reader)
        except _LineProblem as problem:
            collector.reject(lineno, raw, problem)
            continue
        collector.accept(lineno, entries)
    physical = data.count(b"\n") + (not data.endswith(b"\n"))
    return collector.result(chosen, source_ref, physical)


def detect_format(first_line: bytes, file_name: str) -> str:
    """``csv`` for a ``.csv`` file or when the first entry line has a comma outside a
    magnet URI; ``text`` otherwise (one hash or magnet per line)."""
    if file_name.lower().endswith(".csv"):
        return "csv"
    head = first_line.lstrip().lower()
    return "csv" if b"," in head and not head.startswith(b"magnet:") else "text"


def _check_text(data: bytes, source_ref: str) -> None:
    if not data:
        raise HashListEmpty(f"{source_ref}: the file is empty")
    if data.startswith(_UTF16_BOMS) or b"\x00" in data[:65536]:
        raise HashListNotText(
            f"{source_ref}: not UTF-8 text (it looks like UTF-16 or binary data); "
            "save the list as UTF-8, one entry per line"
        )


def _content_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(line number, bytes) of every line that is not blank or a ``#`` comment.

    Lines are split at ``\\n`` (a trailing ``\\r`` dropped), so numbers match what an
    editor or ``sed -n Np`` shows.
    """
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    found = []
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith(b"#"):
            found.append((lineno, raw.rstrip(b"\r")))
    return found


def _parse_line(raw: bytes, reader: _CsvReader | None) -> list[_Found]:
    if len(raw) > MAX_LINE_BYTES:
        raise _LineProblem(
            "hashlist.line_too_long",
            f"{len(raw)} bytes, over the {MAX_LINE_BYTES}-byte limit for one entry",
        )
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        detail = f"not valid UTF-8 (byte 0x{bad} at column {exc.start + 1})"
        raise _LineProblem("input.not_utf8", detail) from None
    if reader is None:
        return _text_entries(text)
    return reader.entries(text)


def _text_entries(text: str) -> list[_Found]:
    if "," in text and not text.lower().startswith("magnet:"):
        raise _LineProblem(
            "hashlist.invalid",
            "a comma in a text list; for labels use a CSV file (.csv or --format csv)",
        )
    found, label = _parse_value(text)
    return [(kind, value, label) for kind, value in found]


def _parse_value(value: str) -> tuple[list[tuple[str, str]], str | None]:
    """The (kind, lowercase hex) pairs one hash or magnet names, and a magnet's display
    name (a default label); raises _LineProblem when it is neither."""
    if value[:7].lower() == "magnet:":
        try:
            link = parse_magnet(value)
        except InputRejected as exc:
            raise _LineProblem(exc.reason, exc.detail) from None
        found = [("infohash_v1", h) for h in link.infohashes_v1]
        found += [("infohash_v2", h) for h in link.infohashes_v2]
        return found, link.display_name
    return [_bare_hash(value)], None


def _bare_hash(value: str) -> tuple[str, str]:
    """One bare hash by its length, read as a magnet's ``xt`` would read it (32
    characters are base32 even when they all look like hex digits, as in BEP 9)."""
    length = len(value)
    if length in (32, 40) and (found := btih_hex(value)):
        return "infohash_v1", found
    if length == 64 and _HEX.fullmatch(value):
        return "infohash_v2", value.lower()
    if length == 68 and (found := btmh_hex(value)):
        return "infohash_v2", found
    raise _LineProblem(*_why_not_a_hash(value))


def _why_not_a_hash(value: str) -> tuple[str, str]:
    shown = repr(value if len(value) <= 80 else value[:80] + "...")
    if _HEX.fullmatch(value):
        return (
            "hashlist.bad_length",
            f"{len(value)} hex digits; a v1 infohash has 40, a v2 infohash or pieces root "
            f"64, a v2 multihash 1220 + 64: {shown}",
        )
    if _ALNUM.fullmatch(value) and len(value) in (32, 40, 64, 68):
        return (
            "hashlist.not_hex",
            f"{len(value)} characters but not hex (nor base32 for 32): {shown}",
        )
    return "hashlist.invalid", f"not a hash or a magnet URI: {shown}"


class _CsvReader:
    """Reads CSV rows one line at a time; the first row fixes the layout.

    One record per line: hash lists have no multi-line fields, and reading line by
    line keeps every report on the line it is about.
    """

    def __init__(self, source_ref: str) -> None:
        self.source_ref = source_ref
        self.layout: CsvLayout | None = None

    def entries(self, text: str) -> list[_Found]:
        row = _csv_row(text)
        if self.layout is None:
            self.layout = csv_layout(row, self.source_ref)
            if self.layout.header:
                return []
        if len(row) != self.layout.width:
            raise _LineProblem(
                "hashlist.csv_columns",
                f"{len(row)} columns where the file has {self.layout.width}",
            )
        return _row_entries(row, self.layout)


def _csv_row(text: str) -> list[str]:
    try:
        return [cell.strip() for cell in next(csv.reader([text], strict=True))]
    except csv.Error as exc:
        raise _LineProblem("hashlist.csv_quoting", f"malformed CSV: {exc}") from None


def _is_header(row: list[str]) -> bool:
    """A first row is a header when it names a known column and holds no hash."""
    names = {cell.lower() for cell in row}
    if not names & (HASH_COLUMNS | KIND_COLUMNS | LABEL_COLUMNS):
        return False
    for cell in row:
        try:
            _parse_value(cell)
        except _LineProblem:
            continue
        return False
    return True


def csv_layout(first_row: list[str], source_ref: str) -> CsvLayout:
    """The layout a CSV file's first row gives: named by a header, else by position."""
    if _is_header(first_row):
        return _header_layout(first_row, source_ref)
    roles = _POSITIONAL.get(len(first_row))
    if roles is None:
        raise HashListBadHeader(
            f"{source_ref}: {len(first_row)} columns and no header row; without a header "
            "the columns must be hash[,label] or hash,kind,label, else start the file "
            "with a header such as 'hash,kind,label'"
        )
    return CsvLayout(len(first_row), **{role: i for i, role in enumerate(roles)})


def _header_layout(header: list[str], source_ref: str) -> CsvLayout:
    positions: dict[str, int] = {}
    unknown = []
    for i, cell in enumerate(header):
        role = _role(cell.lower())
        if role is None:
            unknown.append(cell)
        elif role in positions:
            raise HashListBadHeader(f"{source_ref}: the header has two {role} columns")
        else:
            positions[role] = i
    if unknown or "hash" not in positions:
        problem = f"unknown columns {_quoted(unknown)}" if unknown else "no hash"
        raise HashListBadHeader(
            f"{source_ref}: {problem}; the header must name one hash column "
            f"({', '.join(sorted(HASH_COLUMNS))}) and may name a kind column "
            f"({', '.join(sorted(KIND_COLUMNS))}) and a label column "
            f"({', '.join(sorted(LABEL_COLUMNS))})"
        )
    return CsvLayout(len(header), header=True, **positions)


def _quoted(cells: list[str]) -> str:
    """The first few cells, each quoted and cut (a header line may be 64 KiB of
    hostile text), and how many more there were."""
    shown = ", ".join(capped_repr(cell, QUOTE_CAP) for cell in cells[:_SHOWN_COLUMNS])
    more = len(cells) - _SHOWN_COLUMNS
    return f"{shown} and {more:,} more" if more > 0 else shown


def _role(name: str) -> str | None:
    if name in HASH_COLUMNS:
        return "hash"
    if name in KIND_COLUMNS:
        return "kind"
    if name in LABEL_COLUMNS:
        return "label"
    return None


def _row_entries(row: list[str], layout: CsvLayout) -> list[_Found]:
    kind = row[layout.kind].lower() if layout.kind is not None else ""
    given = row[layout.label] if layout.label is not None else ""
    found, default_label = _kinded(row[layout.hash], kind)
    # Stored and shown like any gathered name: capped, with the cut stated.
    label = cap_text(given) if given else default_label
    return [(k, value, label) for k, value in found]


def _kinded(value: str, kind: str) -> tuple[list[tuple[str, str]], str | None]:
    """Hashes of a CSV cell under the row's stated kind (empty: the hash's form decides)."""
    if not value:
        raise _LineProblem("hashlist.invalid", "the hash column is empty")
    if kind not in _INFERRED_KINDS and kind not in KINDS:
        raise _LineProblem(
            "hashlist.kind_unknown",
            f"kind {capped_repr(kind)} is not one of {', '.join(KINDS)} (or empty)",
        )
    if kind == "pieces_root":
        if len(value) == 64 and _HEX.fullmatch(value):
            return [("pieces_root", value.lower())], None
        raise _LineProblem(
            "hashlist.kind_mismatch", "a pieces_root is 64 hex digits (a file's v2 merkle root)"
        )
    found, label = _parse_value(value)
    if kind in KINDS and any(k != kind for k, _ in found):
        stated = ", ".join(sorted({k for k, _ in found}))
        raise _LineProblem("hashlist.kind_mismatch", f"kind {kind} but the hash is {stated}")
    return found, label


class _Collector:
    """Gathers entries (first of each kind and hash wins) and rejects in line order."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], HashEntry] = {}
        self.rejects: list[LineReject] = []
        self.duplicates = 0

    def accept(self, lineno: int, found: list[_Found]) -> None:
        for kind, value, label in found:
            if (kind, value) in self.entries:
                self.duplicates += 1
            else:
                self.entries[kind, value] = HashEntry(kind, value, label, lineno)

    def reject(self, lineno: int, raw: bytes, problem: _LineProblem) -> None:
        self.rejects.append(
            LineReject(
                line=lineno,
                text=preview(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                reason=problem.reason,
                detail=cap_text(display_safe(problem.detail), DETAIL_CAP),
            )
        )

    def result(self, fmt: str, source_ref: str, lines: int) -> ParsedHashList:
        if not self.entries:
            _raise_nothing_loaded(source_ref, self.rejects)
        return ParsedHashList(
            format=fmt,
            entries=tuple(self.entries.values()),
            rejects=tuple(self.rejects),
            duplicates=self.duplicates,
            lines=lines,
        )


def _raise_nothing_loaded(source_ref: str, rejects: list[LineReject]) -> None:
    if not rejects:
        raise HashListEmpty(f"{source_ref}: no entries (a header, blank lines or comments only)")
    if all(r.reason == "input.not_utf8" for r in rejects):
        raise HashListNotText(
            f"{source_ref}: no line is valid UTF-8 text ({len(rejects)} lines); "
            "save the list as UTF-8"
        )
    shown = "; ".join(
        f"line {r.line} {r.reason}: {cap_text(r.detail, QUOTE_CAP)}" for r in rejects[:5]
    )
    more = f"; and {len(rejects) - 5} more" if len(rejects) > 5 else ""
    raise HashListAllRejected(
        f"{source_ref}: every one of its {len(rejects)} entry lines is malformed, so "
        f"nothing was loaded: {shown}{more}",
        rejects=tuple(rejects),
    )


def preview(raw: bytes) -> str:
    """A rejected line as people may safely see it: cut, undecodable bytes as ``\\xNN``,
    hidden and reordering characters escaped."""
    text = raw[: PREVIEW_CHARS * 4].decode("utf-8", "backslashreplace")
    cut = len(text) > PREVIEW_CHARS or len(raw) > PREVIEW_CHARS * 4
    return display_safe(text[:PREVIEW_CHARS]) + ("..." if cut else "")
