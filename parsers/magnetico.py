"""magnetico records: an export's or database's records read, checked and normalised.

Pure reading, no warehouse: ``torrentwatch.import_magnetico`` loads what this gives.

An export is read in blocks of about ``BLOCK_BYTES``; each block is cut into lines
with one numpy pass over its bytes (so every line keeps its number for the reject
that may name it), checked for UTF-8 once as a whole, and handed to DuckDB, used
here as an in-memory engine only, as one Arrow string column. DuckDB parses the JSON
(``from_json`` with an explicit record structure) and checks every record in one SQL
statement (``check_sql``); the records that pass are normalised column-wise
(``parsers.columnar``) into the four tables a load takes (``prepare``).

A magnetico SQLite database goes the same way: SQLite itself writes one JSON record
per torrent (``json_object`` over ``torrents`` joined to ``files``), streamed in
blocks (``sqlite_blocks``), so the checks are the ones above.

What the crawler really writes is kept as a client would show it: names and paths
that are not UTF-8 (magneticod stores a torrent's bytes as they are) come out with
U+FFFD for display and their bytes in ``name_raw``/``path_raw``; pad entries whose
BEP 47 attribute the crawler dropped (``.pad/<size>``) are padding (``parsers.padding``).

Nothing is dropped silently: a line that is not JSON even read byte for byte, not an
object, or a record with a bad infohash, no name, a negative size, a ``..`` path,
absurd nesting, or a cut-off last line becomes a ``Reject`` naming the file and the line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parsers.columnar import (
    ParsedBatch,
    listed_files_table,
    listed_torrents_table,
    rejects_table,
)
from parsers.normalize import first_rows
from parsers.reasons import describe
from parsers.records import Reject
from parsers.torrent import DEFAULT_LIMITS

# Bytes of export read (and loaded in one transaction) at a time: about 90,000 records
# of a typical export, which keeps memory flat while making each commit worth its cost.
BLOCK_BYTES = 64 << 20
# A longer line is rejected unread (hashed, never held whole in memory).
MAX_LINE_BYTES = 64 << 20
MAX_FILES = DEFAULT_LIMITS.max_files
# Path components: libtorrent stops a file tree at 100 levels, so no real torrent has more.
MAX_PATH_DEPTH = 100

# Torrents per block read from a SQLite database.
SQLITE_BLOCK = 50_000
# A discoveredOn outside 1970..2100 is not a time magnetico wrote: the load time stands in.
_LAST_SANE_EPOCH = 4_102_444_800

_RECORD_STRUCTURE = (
    '{"infoHash": "VARCHAR", "name": "VARCHAR", "discoveredOn": "BIGINT",'
    ' "files": [{"size": "BIGINT", "path": "VARCHAR"}]}'
)
# A database's records carry each file's files.id, first, so that sorting a record's
# files puts them in the order magneticod inserted them (the torrent's own order).
_RECORD_STRUCTURE_BY_ID = _RECORD_STRUCTURE.replace('[{"size"', '[{"id": "BIGINT", "size"')
_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where records come from, for observations and rejects."""

    source: str
    source_ref: str
    seen_at: datetime
    # How a record's position is written after source_ref: ":" + line number for
    # JSON lines, "#torrents.id=" + row id for a SQLite database.
    position: str = ":"
    by_file_id: bool = False  # records list their files with ids to sort by (SQLite)

    def ref(self, number: int) -> str:
        return f"{self.source_ref}{self.position}{number}"

    def reject(self, number: int, digest: str | None, reason: str, detail: str = "") -> Reject:
        where = self.ref(number)
        return Reject(
            source=self.source,
            source_ref=where,
            sha256=digest,
            reason=reason,
            detail=f"{where}: {detail or describe(reason)}",
            seen_at=self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Consecutive lines of an export: the ones to parse, and those already refused."""

    numbers: pa.Int64Array
    lines: pa.StringArray  # each line with its newline, if it had one
    span: int  # lines the block covers: parsed, refused and blank ones
    truncated: int | None = None  # number of the file's last line when it has no newline
    # (number, sha256 of the line, reason code, detail or "" for the code's description)
    refused: tuple[tuple[int, str | None, str, str], ...] = ()
    # The source's own bytes of names and paths that are not UTF-8, for the lines that
    # hold such bytes (``RAW_SCHEMA``; None when no line does, as is usual).
    raw: pa.Table | None = None

    @property
    def records(self) -> int:
        """The records the block holds: parsed lines and refused ones (not blank lines)."""
        return len(self.numbers) + len(self.refused)

    @property
    def last(self) -> int:
        """The block's last record number: parsed lines and refused ones alike (what a
        resumed load skips through)."""
        last = pc.max(self.numbers).as_py() if len(self.numbers) else 0
        return max([last, *(number for number, *_ in self.refused)])


@dataclass(frozen=True, slots=True)
class Prepared:
    """One block ready to store: its good records as tables, and its rejects."""

    records: int
    batch: ParsedBatch | None  # None when the block has no good record
    rejects: list[Reject]
    last: int = 0  # the block's last record number (what a resumed load skips through)


# ------------------------------------------------------------------------ line blocks


def jsonl_blocks(
    path: Path, *, compressed: bool, block_bytes: int = BLOCK_BYTES
) -> Iterator[LineBlock]:
    """A JSON-lines export (zstd-compressed when ``compressed``) as blocks of lines."""
    opened = pa.input_stream(str(path), compression="zstd" if compressed else None)
    with closing(opened) as stream:
        yield from read_line_blocks(stream, block_bytes=block_bytes)


def read_line_blocks(
    stream, *, block_bytes: int = BLOCK_BYTES, max_line: int = MAX_LINE_BYTES
) -> Iterator[LineBlock]:
    """Cut a byte stream into blocks of whole lines, numbered from 1.

    A line longer than ``max_line`` is hashed as it streams past and refused, so
    memory stays within about two blocks whatever the input.
    """
    carry = b""
    first = 1
    while True:
        try:
            chunk = stream.read(block_bytes)
        except (OSError, pa.ArrowException) as exc:  # a corrupt or cut-off zstd stream
            yield _unreadable_rest(first, exc)
            return
        if not chunk:
            if carry:
                yield split_lines(carry, first, final=True, max_line=max_line)
            return
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > max_line:
            refused, carry = _skip_long_line(stream, data, first, block_bytes)
            yield refused
            first += 1
            continue
        if cut == 0:
            carry = data
            continue
        block = split_lines(data[:cut], first, final=False, max_line=max_line)
        carry = data[cut:]
        first += block.span
        yield block


def _unreadable_rest(number: int, exc: Exception) -> LineBlock:
    """The rest of a stream that cannot be read, as one refused record: the lines
    before it load, and the landed file is kept for whoever can repair it."""
    detail = f"the file cannot be read from line {number} on: {exc}"
    refused = ((number, None, "input.unreadable", detail),)
    return LineBlock(pa.array([], pa.int64()), pa.array([], pa.string()), 1, refused=refused)


_WHITESPACE = np.zeros(256, np.bool_)
_WHITESPACE[list(b" \t\r\n")] = True


def split_lines(
    data: bytes,
    first: int,
    *,
    final: bool,
    max_line: int = MAX_LINE_BYTES,
    numbers: np.ndarray | None = None,
    by_file_id: bool = False,
) -> LineBlock:
    """``data`` (whole lines; the last may lack its newline when ``final``) as a block.

    Lines are numbered from ``first`` unless ``numbers`` gives each its own (SQLite
    row ids). The whole block is checked for UTF-8 at once; only a block that fails
    is checked line by line. Blank lines are skipped, not refused. ``by_file_id``:
    the records list their files with ids to sort by (``SQLITE_RECORDS_SQL``).
    """
    buf = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buf == 10) + 1
    unterminated = bool(data) and data[-1:] != b"\n"
    tail = [len(data)] if unterminated else []
    offsets = np.concatenate(([0], ends, tail)).astype(np.int64)
    count = len(offsets) - 1
    if numbers is None:
        numbers = np.arange(first, first + count, dtype=np.int64)
    keep = np.ones(count, np.bool_)
    refused: list[tuple[int, str | None, str, str]] = []
    for i in np.flatnonzero(_WHITESPACE[buf[offsets[:-1]]]):
        if not data[offsets[i] : offsets[i + 1]].strip():
            keep[i] = False
    for i in np.flatnonzero(np.diff(offsets) > max_line):
        keep[i] = False
        line = data[offsets[i] : offsets[i + 1]]
        refused.append((int(numbers[i]), _sha(line), "input.too_large", _too_long(len(line))))
    raw = None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data, offsets, raw, bad = _repair_non_utf8(data, offsets, numbers, keep, by_file_id)
        refused += bad
    lines = pa.Array.from_buffers(
        pa.string(),
        count,
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )
    mask = pa.array(keep)
    parsed = int(keep.sum())
    refused.sort()
    return LineBlock(
        numbers=pa.array(numbers[keep], pa.int64()),
        lines=lines if parsed == count else lines.filter(mask),
        span=count,
        truncated=int(numbers[-1]) if final and unterminated else None,
        refused=tuple(refused),
        raw=raw,
    )


RAW_SCHEMA = pa.schema(
    [
        ("line_no", pa.int64()),
        ("name_raw", pa.binary()),
        # One entry per file of the record, the path laid out as in ``files.path``
        # (under the name, or the name alone for a single file); NULL where UTF-8.
        ("paths_raw", pa.list_(pa.binary())),
        ("sha256", pa.string()),  # of the line as the file holds it, for its reject
    ]
)


def _repair_non_utf8(
    data: bytes, offsets: np.ndarray, numbers: np.ndarray, keep: np.ndarray, by_file_id: bool
) -> tuple[bytes, np.ndarray, pa.Table | None, list[tuple[int, str | None, str, str]]]:
    """The lines of a block that failed the UTF-8 check as a whole, found one by one.

    A crawler stores a torrent's name and paths as the bytes the torrent holds, UTF-8
    or not (magneticod's TEXT columns keep a GBK name as GBK), so a record whose
    bytes are not UTF-8 only inside its strings is kept: the line is loaded with each
    undecodable byte as U+FFFD (JSON's own syntax is ASCII, which that decoding never
    touches, so the record's structure stays as written) and the original bytes go
    to ``name_raw``/``path_raw``. A line that is not JSON even then is refused as
    ``input.not_utf8``. Returns the block's bytes with those lines repaired, the new
    line offsets, the raw bytes (``RAW_SCHEMA``) and the refused lines.
    """
    refused = []
    pieces: list[bytes] = []
    raw_rows: list[tuple[int, bytes | None, list[bytes | None], str]] = []
    for i in range(len(offsets) - 1):
        line = data[offsets[i] : offsets[i + 1]]
        if keep[i]:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raw = _raw_strings(line, by_file_id)
                if raw is None:
                    keep[i] = False
                    detail = f"byte {exc.start} of the line is not UTF-8 ({exc.reason})"
                    refused.append((int(numbers[i]), _sha(line), "input.not_utf8", detail))
                else:
                    raw_rows.append((int(numbers[i]), *raw, _sha(line)))
                    line = line.decode("utf-8", "replace").encode("utf-8")
        pieces.append(line)
    lengths = np.fromiter(map(len, pieces), np.int64, len(pieces))
    new_offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    table = None
    if raw_rows:
        columns = list(zip(*raw_rows, strict=True))
        table = pa.Table.from_arrays(
            [pa.array(c, f.type) for c, f in zip(columns, RAW_SCHEMA, strict=True)],
            schema=RAW_SCHEMA,
        )
    return b"".join(pieces), new_offsets, table, refused


def _raw_strings(line: bytes, by_file_id: bool) -> tuple[bytes | None, list[bytes | None]] | None:
    """The raw bytes of the record's name and of each file's path (laid out and
    ordered as ``check_sql`` lays out ``files.path``), each None where it is UTF-8;
    None when the line is no JSON object even with its undecodable bytes as they are."""
    try:
        record = json.loads(line.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    name = _as_bytes(record.get("name"))
    files = record.get("files")
    if not isinstance(files, list):
        return _not_utf8(name), []
    if by_file_id and all(isinstance(f, dict) and isinstance(f.get("id"), int) for f in files):
        files = sorted(files, key=lambda f: f["id"])
    paths = [_as_bytes(f.get("path")) if isinstance(f, dict) else None for f in files]
    shown = [_shown(p) for p in paths]
    single = len(paths) == 1 and name is not None and shown[0] == _shown(name)
    full = [
        None if p is None or name is None else (p if single else name + b"/" + p) for p in paths
    ]
    return _not_utf8(name), [_not_utf8(p) for p in full]


def _as_bytes(value: object) -> bytes | None:
    """A decoded JSON string back as the bytes the line held (None: not a string, or
    one holding a lone surrogate escape, which no byte sequence stands for)."""
    if not isinstance(value, str):
        return None
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None


def _shown(raw: bytes | None) -> str | None:
    """What a client displays for ``raw``: undecodable bytes as U+FFFD."""
    return None if raw is None else raw.decode("utf-8", "replace")


def _not_utf8(raw: bytes | None) -> bytes | None:
    if raw is None:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data.rstrip(b"\r\n")).hexdigest()


def _too_long(size: int) -> str:
    return f"a line of {size} bytes is over the {MAX_LINE_BYTES}-byte limit"


def _skip_long_line(stream, head: bytes, number: int, block_bytes: int) -> tuple[LineBlock, bytes]:
    """Refuse an over-long line, hashing it while it streams past; returns the block
    refusing it and the bytes after its newline."""
    digest = hashlib.sha256(head)
    size = len(head)
    rest = b""
    while chunk := stream.read(block_bytes):
        cut = chunk.find(b"\n")
        if cut >= 0:
            digest.update(chunk[:cut])
            size += cut
            rest = chunk[cut + 1 :]
            break
        digest.update(chunk)
        size += len(chunk)
    refused = ((number, digest.hexdigest(), "input.too_large", _too_long(size)),)
    empty = LineBlock(pa.array([], pa.int64()), pa.array([], pa.string()), 1, refused=refused)
    return empty, rest


# ------------------------------------------------------------------------------ SQLite

# One JSON record per torrent, written by SQLite itself, so a database takes the
# same checks and load as an export. CASTs keep a stray BLOB from failing json_object.
# The order of json_group_array's elements is not defined (the automatic index SQLite
# builds on files.torrent_id sorts them by size), so each file carries its files.id
# and DuckDB sorts by it (``check_sql(by_file_id=True)``). Names and paths are the
# bytes magneticod stored, UTF-8 or not: json_object copies them as they are.
SQLITE_RECORDS_SQL = """
SELECT t.id, json_object(
    'infoHash', lower(hex(t.info_hash)),
    'name', CAST(t.name AS TEXT),
    'discoveredOn', t.discovered_on,
    'files', json_group_array(
            json_object('id', f.id, 'size', f.size, 'path', CAST(f.path AS TEXT)))
        FILTER (WHERE f.torrent_id IS NOT NULL))
FROM torrents AS t LEFT JOIN files AS f ON f.torrent_id = t.id
GROUP BY t.id
ORDER BY t.id
"""


def sqlite_blocks(path: Path, *, block: int = SQLITE_BLOCK) -> Iterator[LineBlock]:
    """A magnetico database as blocks of JSON records numbered by ``torrents.id``.

    Opened read-only. A file that is not such a database (no ``torrents`` or
    ``files`` table, or corrupt) yields one refused record for the whole file.
    """
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        yield _refused_database(path, 0, exc)
        return
    db.text_factory = bytes
    with closing(db):
        last = 0
        try:
            cursor = db.execute(SQLITE_RECORDS_SQL)
            while rows := cursor.fetchmany(block):
                numbers = np.fromiter((row[0] for row in rows), np.int64, len(rows))
                data = b"\n".join(row[1] for row in rows) + b"\n"
                last = int(numbers[-1])
                yield split_lines(data, 0, final=False, numbers=numbers, by_file_id=True)
        except sqlite3.Error as exc:
            yield _refused_database(path, last, exc)


def _refused_database(path: Path, after: int, exc: sqlite3.Error) -> LineBlock:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    where = "" if not after else f" after torrents.id {after}"
    detail = f"not a readable magnetico database{where}: {exc}"
    refused = ((after, digest.hexdigest(), "database.invalid", detail),)
    return LineBlock(pa.array([], pa.int64()), pa.array([], pa.string()), 1, refused=refused)


# ------------------------------------------------------------------- checks, in DuckDB


# Per-record checks of the file list run on the list's own aggregates (list_min,
# list_count, list_contains) and on one string per record, the paths joined by NUL,
# rather than on a lambda call per file: a component is delimited by '/', '\\', a
# NUL or the ends, so a '..' component in any path is a '..' between such marks in
# the joined string (a NUL inside a hostile path can only cause a rejection).
_SEP = "[/\\\\\\x00]"


def _file_checks() -> str:
    traversal = f"(^|{_SEP})\\.\\.({_SEP}|$)"
    return f"""
    WHEN list_count(paths) < len(paths) OR list_contains(paths, '')
        THEN 'files.invalid'
    WHEN (contains(joined, chr(0) || '[') OR contains(joined, chr(0) || '{{'))
        AND list_bool_or(list_transform(json_type(line, '$.files[*].path'), t -> t <> 'VARCHAR'))
        THEN 'files.invalid'
    WHEN list_count(sizes) < len(sizes) OR list_min(sizes) < 0
        OR list_sum(sizes) > 9223372036854775807
        THEN 'length.invalid'
    WHEN contains(joined, chr(0) || '/')
        OR (contains(joined, '..') AND regexp_matches(joined, '{traversal}'))
        THEN 'files.unsafe_path'
    WHEN length(joined) - length(replace(joined, '/', '')) >= {MAX_PATH_DEPTH - 1}
        AND list_bool_or(list_transform(paths,
            p -> length(p) - length(replace(p, '/', '')) >= {MAX_PATH_DEPTH}))
        THEN 'files.too_deep'"""


def check_sql(*, guarded: bool, by_file_id: bool = False) -> str:
    """The statement that parses and checks one block of lines (pure: returns SQL).

    Unguarded, a line that is not JSON fails the whole statement, so it runs first:
    a clean block is parsed once. Guarded (after such a failure), ``json_valid``
    picks out the bad lines and only the valid ones are parsed. ``by_file_id``: each
    file has an ``id`` (a database's files.id), and a record's files are sorted by it.
    """
    structure = _RECORD_STRUCTURE_BY_ID if by_file_id else _RECORD_STRUCTURE
    parse = f"from_json(line, '{structure}')"
    files = "list_sort(rec.files)" if by_file_id else "rec.files"
    if guarded:
        parse = f"CASE WHEN json_valid(line) THEN {parse} END"
    not_json = (
        "WHEN rec IS NULL AND NOT json_valid(line) THEN "
        "CASE WHEN line_no = $truncated THEN 'json.truncated' ELSE 'json.invalid' END"
    )
    return f"""
WITH parsed AS (
    SELECT line_no, line, {parse} AS rec FROM magnetico_lines
), listed AS (
    SELECT line_no, line, rec,
        list_transform({files}, f -> f.size) AS sizes,
        list_transform({files}, f -> f.path) AS paths
    FROM parsed
), checked AS (
    SELECT line_no, line, rec, sizes, paths, joined, CASE
    {not_json if guarded else ""}
    WHEN rec IS NULL OR (rec.infoHash IS NULL AND rec.name IS NULL AND rec.files IS NULL
            AND json_type(line) <> 'OBJECT')
        THEN 'json.invalid'
    WHEN rec.infoHash IS NULL OR NOT regexp_full_match(rec.infoHash, '[0-9a-fA-F]{{40}}')
        THEN 'infohash.invalid'
    WHEN rec.name IS NULL OR trim(rec.name) = ''
        OR ((starts_with(rec.name, '[') OR starts_with(rec.name, '{{'))
            AND json_type(line, '$.name') <> 'VARCHAR')
        THEN 'name.missing'
    WHEN rec.files IS NULL OR len(rec.files) = 0 THEN 'files.empty'
    WHEN len(rec.files) > {MAX_FILES} THEN 'files.too_many'
    {_file_checks()}
    END AS reason
    FROM (SELECT *, chr(0) || array_to_string(paths, chr(0)) || chr(0) AS joined FROM listed)
)
SELECT
    line_no,
    reason,
    CASE WHEN reason IS NOT NULL THEN line END AS line,
    lower(rec.infoHash) AS infohash,
    rec.name AS name,
    CASE WHEN rec.discoveredOn BETWEEN 1 AND {_LAST_SANE_EPOCH}
        THEN to_timestamp(rec.discoveredOn) ELSE $seen_at END AS seen_at,
    TRY_CAST(list_sum(sizes) AS BIGINT) AS total_size,
    CASE WHEN len(paths) = 1 AND paths[1] = rec.name
        THEN paths
        ELSE list_transform(paths, p -> rec.name || '/' || p)
    END AS paths,
    sizes,
    contains(joined, '.pad/') OR contains(joined, '_____padding_file_')
        OR ends_with(rec.name, '.pad') AS maybe_pad
FROM checked
"""


def check_block(con, block: LineBlock, seen_at: datetime, by_file_id: bool = False) -> pa.Table:
    """Parse and check ``block`` in DuckDB: one row per line, ``reason`` NULL when the
    record is good (the other columns hold what could be read, and are only
    meaningful for the good records; ``line`` is kept for the bad ones)."""
    lines = pa.table({"line_no": block.numbers, "line": block.lines})
    con.register("magnetico_lines", lines)
    try:
        try:
            reader = con.execute(
                check_sql(guarded=False, by_file_id=by_file_id), {"seen_at": seen_at}
            )
        # A line that is not JSON: sort them out. DuckDB 1.5.5 quotes the bad line in
        # its message cut at a byte count, possibly inside a UTF-8 sequence; the binding
        # then raises UnicodeDecodeError while converting the message.
        except (duckdb.InvalidInputException, UnicodeDecodeError):
            params = {"truncated": block.truncated or -1, "seen_at": seen_at}
            reader = con.execute(check_sql(guarded=True, by_file_id=by_file_id), params)
        return reader.arrow().read_all()
    finally:
        con.unregister("magnetico_lines")


# ----------------------------------------------------------- checked and normalised


def _refused(block: LineBlock, origin: Origin) -> list[Reject]:
    return [origin.reject(n, digest, reason, detail) for n, digest, reason, detail in block.refused]


def checked_parts(con, block: LineBlock, origin: Origin) -> tuple[pa.Table | None, list[Reject]]:
    """The block's good records (checked, still in DuckDB's columns) and its rejects."""
    rejects = _refused(block, origin)
    if not len(block.numbers):
        return None, rejects
    checked = check_block(con, block, origin.seen_at, origin.by_file_id)
    reasons = checked.column("reason")
    bad = checked.filter(pc.is_valid(reasons))
    read_as = _raw_digests(block.raw)
    for number, line, reason in zip(
        bad.column("line_no").to_pylist(),
        bad.column("line").to_pylist(),
        bad.column("reason").to_pylist(),
        strict=True,
    ):
        digest = read_as.get(number) or _sha(line.encode("utf-8"))
        rejects.append(origin.reject(number, digest, reason))
    good = checked.filter(pc.is_null(reasons)).select(_GOOD_COLUMNS)
    return (good if good.num_rows else None), rejects


def _raw_digests(raw: pa.Table | None) -> dict[int, str]:
    """The SHA-256 of each repaired line as the file holds it (its loaded text has
    U+FFFD for the bytes that were not UTF-8)."""
    if raw is None:
        return {}
    numbers = raw.column("line_no").to_pylist()
    return dict(zip(numbers, raw.column("sha256").to_pylist(), strict=True))


_GOOD_COLUMNS = [
    "line_no",
    "infohash",
    "name",
    "seen_at",
    "total_size",
    "paths",
    "sizes",
    "maybe_pad",
]


def prepare(
    records: int,
    good: pa.Table | None,
    rejects: list[Reject],
    origin: Origin,
    last: int = 0,
    raw: pa.Table | None = None,
) -> Prepared:
    """Normalise the good records column-wise (runs in a worker process when there is
    one); ``raw``: the block's non-UTF-8 name and path bytes (``LineBlock.raw``)."""
    batch = None if good is None else _batch(good, rejects, origin, raw)
    return Prepared(records, batch, rejects, last)


def prepare_block(block: LineBlock, origin: Origin, con=None) -> Prepared:
    """Check and normalise one block: in ``con``, an idle DuckDB connection (the
    writer's own, when the whole import runs in one process), or else in this
    process's private in-memory DuckDB (a worker's)."""
    good, rejects = checked_parts(con or parser_connection(), block, origin)
    return prepare(block.records, good, rejects, origin, block.last, block.raw)


@functools.cache
def parser_connection():
    """A worker's private in-memory DuckDB, used only to parse and check lines."""
    return duckdb.connect(config={"threads": 1})


def blocks_after(blocks: Iterator[LineBlock], through: int) -> Iterator[LineBlock]:
    """``blocks`` without the records numbered ``through`` or less: an earlier load
    committed them. The lines are still read (to keep the numbering), not loaded.

    A database that cannot be read is refused at the number of its last readable
    row; that refusal is kept whatever ``through`` says, since it names the file,
    not a record (a resumed load of a still broken database reports it again).
    """
    for block in blocks:
        keep = pc.greater(block.numbers, pa.scalar(through, pa.int64()))
        refused = tuple(
            entry for entry in block.refused if entry[0] > through or entry[2] == "database.invalid"
        )
        numbers = block.numbers.filter(keep)
        if not len(numbers) and not refused:
            continue
        truncated = block.truncated if (block.truncated or 0) > through else None
        lines = block.lines.filter(keep)
        raw = block.raw
        if raw is not None:
            raw = raw.filter(pc.greater(raw.column("line_no"), pa.scalar(through, pa.int64())))
        yield LineBlock(numbers, lines, block.span, truncated, refused, raw)


def _batch(
    good: pa.Table, rejects: list[Reject], origin: Origin, raw: pa.Table | None = None
) -> ParsedBatch:
    """The checked good records as the four tables ``load_batch`` takes.

    Every record is a sighting; the torrent and its files come from the first record
    of each infohash in the block (a later block's repeat is a known torrent).
    """
    good = good.combine_chunks()
    infohashes = good.column("infohash").chunk(0)
    unique = good.take(first_rows(pc.dictionary_encode(infohashes).indices))
    paths = unique.column("paths").chunk(0)
    owner = pc.list_parent_indices(paths)
    counts = pc.list_value_length(paths).to_numpy(zero_copy_only=False)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    owner_np = owner.to_numpy(zero_copy_only=False)
    file_index = pa.array(np.arange(len(owner_np)) - starts[owner_np], pa.int32())
    flat_paths = pc.list_flatten(paths)
    names_raw, paths_raw = _raw_columns(unique, flat_paths, starts, raw)
    files = listed_files_table(
        unique.column("infohash").chunk(0),
        owner,
        file_index,
        flat_paths,
        pc.list_flatten(unique.column("sizes").chunk(0)),
        paths_raw=paths_raw,
        maybe_pad=pc.take(unique.column("maybe_pad").chunk(0), owner),
    )
    seen_at = good.column("seen_at").cast(_TS)
    seen = pa.table({"infohash": infohashes, "seen_at": seen_at})
    torrents = listed_torrents_table(
        unique.column("infohash").chunk(0),
        unique.column("name").chunk(0),
        unique.column("total_size").chunk(0),
        files,
        seen,
        names_raw=names_raw,
    )
    return ParsedBatch(
        torrents=torrents,
        files=files,
        observations=_observations(good, seen_at, origin),
        rejects=rejects_table(rejects),
    )


def _raw_columns(
    unique: pa.Table, flat_paths: pa.Array, starts: np.ndarray, raw: pa.Table | None
) -> tuple[pa.Array | None, pa.Array | None]:
    """``name_raw`` per record and ``path_raw`` per file of ``unique`` from the block's
    raw bytes (None, None for the usual block that has none).

    A raw value is kept only where it shows as the loaded text (undecodable bytes
    as U+FFFD): evidence beside a name must be that name's own bytes, even should a
    hostile line read differently to two JSON parsers (a repeated key, say). The
    Python here runs over the records with raw bytes only.
    """
    if raw is None or not raw.num_rows:
        return None, None
    rows = pc.index_in(unique.column("line_no"), value_set=raw.column("line_no"))
    matched = np.flatnonzero(rows.is_valid().to_numpy(zero_copy_only=False))
    if not len(matched):
        return None, None
    picked = raw.take(pc.take(rows, pa.array(matched)))
    names = unique.column("name").chunk(0).take(pa.array(matched)).to_pylist()
    name_values = _shown_as(picked.column("name_raw").to_pylist(), names)
    name_mask = np.zeros(unique.num_rows, np.bool_)
    name_mask[matched] = True
    counts = pc.list_value_length(unique.column("paths").chunk(0)).to_numpy(zero_copy_only=False)
    path_mask = np.zeros(len(flat_paths), np.bool_)
    path_values: list[bytes | None] = []
    for i, values in zip(matched, picked.column("paths_raw").to_pylist(), strict=True):
        start, count = int(starts[i]), int(counts[i])
        if len(values) != count:
            continue  # the two parsers disagree on the file list: keep the text alone
        path_mask[start : start + count] = True
        path_values += _shown_as(values, flat_paths.slice(start, count).to_pylist())
    return _scatter(name_mask, name_values), _scatter(path_mask, path_values)


def _shown_as(raws: list[bytes | None], texts: list[str | None]) -> list[bytes | None]:
    """Each raw value that displays as its text; None for the others."""
    pairs = zip(raws, texts, strict=True)
    return [r if r is not None and _shown(r) == t else None for r, t in pairs]


def _scatter(mask: np.ndarray, values: list[bytes | None]) -> pa.Array:
    """A binary column, NULL but where ``mask`` is set, which takes ``values`` in order."""
    empty = pa.nulls(len(mask), pa.binary())
    return pc.replace_with_mask(empty, pa.array(mask), pa.array(values, pa.binary()))


def _observations(good: pa.Table, seen_at: pa.ChunkedArray, origin: Origin) -> pa.Table:
    count = good.num_rows
    prefix = pa.repeat(pa.scalar(origin.source_ref + origin.position, pa.string()), count)
    numbers = good.column("line_no").cast(pa.string())
    return pa.table(
        {
            "infohash": good.column("infohash"),
            "source": pa.repeat(pa.scalar(origin.source, pa.string()), count),
            "source_ref": pc.binary_join_element_wise(prefix, numbers, ""),
            "seen_at": seen_at,
            "title": pa.nulls(count, pa.string()),
            "category": pa.nulls(count, pa.string()),
            "seeders": pa.nulls(count, pa.int32()),
            "leechers": pa.nulls(count, pa.int32()),
        }
    )


def not_an_export(path: Path, origin: Origin, max_line: int = MAX_LINE_BYTES) -> Reject:
    """The one reject for a file that is none of the three formats (or empty), with
    the SHA-256 of its first line's worth of bytes."""
    with open(path, "rb") as handle:
        head = handle.read(max_line)
    reason = "input.empty" if not head else "json.invalid"
    detail = (
        "the file is empty"
        if not head
        else "neither JSON lines, zstd-compressed JSON lines nor a SQLite database"
    )
    return origin.reject(1, hashlib.sha256(head).hexdigest(), reason, detail)
