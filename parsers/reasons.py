"""Stable reject reason codes.

Analysts group ``rejects`` by these codes and operators alert on them, so a code,
once shipped, keeps its meaning. Add new codes; never rename old ones.
"""

from __future__ import annotations

from common.errors import InputRejected
from common.textcap import cap_text

REASONS: dict[str, str] = {
    # reading
    "input.empty": "the input has no bytes",
    "input.too_large": "the input is larger than the configured maximum",
    "input.unreadable": "the input could not be read from its source",
    "input.not_utf8": "a line of a text input is not valid UTF-8",
    "input.parser_error": "a parser failed on the input in a way it does not foresee "
    "(the detail names the exception); the run went on",
    "input.not_regular_file": "a FIFO, device, socket or folder where a file was due; not read",
    "input.symlink_folder": "a symlinked folder inside a given folder; not followed",
    "input.line_too_long": "a line of a text input (a magnet list) longer than the reader allows",
    # bencode layer
    "bencode.invalid": "not valid bencoding (truncated, bad length, stray bytes)",
    "bencode.too_deep": "bencoded nesting deeper than the decoder allows",
    "bencode.int_overflow": "a bencoded integer does not fit in 64 bits",
    "bencode.too_large": "more bencoded items than the decoder allows",
    # torrent structure
    "torrent.not_dict": "the top level is not a dictionary",
    "info.missing": "no valid 'info' dictionary",
    "name.missing": "the info dictionary has no usable name",
    "length.invalid": "a file length or the total size is missing, negative or too big",
    "piece_length.invalid": "missing or invalid 'piece length'",
    "pieces.invalid": "missing or malformed 'pieces' (v1) or piece layers (v2)",
    "pieces.too_many": "more pieces than the decoder allows",
    "files.empty": "the torrent lists no files",
    "files.invalid": "the file list or file tree is malformed",
    "files.too_many": "more files than the decoder allows",
    "files.too_many_duplicates": "more duplicate file paths than libtorrent allows",
    "v2.invalid": "a v2 or hybrid structure libtorrent refuses",
    "torrent.invalid": "refused by libtorrent for another reason (see detail)",
    # magnets
    "magnet.invalid": "not a magnet URI, or a malformed one",
    "magnet.no_hash": "a magnet URI with no usable 'xt' infohash",
    "magnet.hash_conflict": "a magnet pairs a v1 and a v2 infohash that the warehouse knows "
    "as parts of different torrents; the sighting is kept under its v1 torrent (see detail)",
    # crawler exports (magnetico JSON lines and SQLite databases)
    "json.invalid": "a line of a JSON-lines input is not valid JSON, or not a JSON object",
    "json.truncated": "the last line of a JSON-lines input has no newline and does not parse",
    "infohash.invalid": "a record's infohash is missing or not 40 hex digits",
    "files.unsafe_path": "a file path with a '..' component or a leading '/' (path traversal)",
    "files.too_deep": "a file path with more components than the reader allows",
    "database.invalid": "a database file without the tables and columns the reader expects",
    # monitors: what a source read but could not use (landed as kind "reject")
    "feed.item_invalid": (
        "a feed item with no usable .torrent link, magnet or infohash (empty, placeholder "
        "and malformed fields are absent)"
    ),
    "fetch.failed": "a link a source followed gave no usable answer (see detail)",
    "feed.infohash_conflict": (
        "a feed item names two different torrents (attr, magnet, .torrent); both sightings kept"
    ),
    # known-hash list lines (hash_list_rejects)
    "hashlist.invalid": "a hash-list line that is neither a hash nor a magnet URI",
    "hashlist.bad_length": "hex or base32 of a length no hash has (40/64/68 hex, 32 base32)",
    "hashlist.not_hex": "the length of a hex hash, but characters that are not hex digits",
    "hashlist.line_too_long": "a hash-list line longer than the reader allows",
    "hashlist.kind_unknown": "a CSV kind that is not infohash_v1, infohash_v2 or pieces_root",
    "hashlist.kind_mismatch": "a hash whose form does not fit the kind the CSV row states",
    "hashlist.csv_columns": "a CSV row with a different number of columns than the header",
    "hashlist.csv_quoting": "a CSV row whose quoting is malformed",
}

# Reasons filed beside a sighting that was still loaded (a note, not a lost input):
# they do not count as inputs read a second time.
KEPT_REASONS = frozenset({"magnet.hash_conflict"})


def describe(code: str) -> str:
    """Human description of a reason code; unknown codes are a programming error."""
    return REASONS[code]


def parser_error(exc: Exception, what: str, source_ref: str) -> InputRejected:
    """The ``input.parser_error`` reject for an exception a parser did not foresee,
    naming its type and (capped) message, so one hostile input costs itself alone."""
    detail = f"the {what} parser failed: {type(exc).__name__}: {cap_text(str(exc), 500)}"
    return InputRejected("input.parser_error", detail, source_ref=source_ref)
