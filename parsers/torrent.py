""".torrent bytes (v1, v2, hybrid) to :class:`TorrentMeta`, exactly as libtorrent sees them.

libtorrent is the reference: what it refuses we refuse (with a stable reason code),
what it accepts we accept, and the infohashes, name and file list are the ones it
reports (its order, pad files included, names sanitised to valid UTF-8). Where the
torrent's own bytes differ from what libtorrent reports (undecodable names, ``..``
path elements, bidi controls it drops, elements it truncates), ``name_raw`` and
``paths_raw`` keep the bytes of the keys libtorrent read, and ``name_alt_raw`` and
``paths_alt_raw`` those of the other name keys (``name`` beside ``name.utf-8``, a
hybrid's v1 ``files`` beside its file tree), because a disguised torrent is evidence
and evidence must not be normalised away: other clients show and write those bytes.
Padding is what looks like padding (``parsers/padding.py``), not whatever carries a
BEP 47 ``p`` attribute: a pad attribute on a 2 MB program must not hide it.

Speed: ingest handles millions of torrents, so the common case must cost little more
than libtorrent's own parse. libtorrent already decoded the torrent; decoding it a
second time in Python to find the raw bytes would double the cost. So a v1 torrent
whose info section provably holds nothing libtorrent would rewrite takes a fast path
that reads only libtorrent's view (see :func:`_untouched_v1`); everything else (v2,
hybrids, non-canonical or unusual torrents) decodes the info section once more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

import libtorrent as lt

from common.errors import InputRejected
from common.textcap import cap_text
from parsers import announce
from parsers.bencode import decode_info
from parsers.padding import looks_like_padding
from parsers.reasons import describe
from parsers.records import FileList, TorrentMeta

DEFAULT_MAX_SIZE = 64 * 1024 * 1024
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TorrentLimits:
    """Bounds that keep a hostile torrent from costing unbounded memory or time.

    libtorrent's defaults (3,000,000 bdecode tokens, 2,097,152 pieces, depth 100) are
    sized for a client; an archive of public metadata sees larger torrents, and a
    torrent of 200,000 files (about 11 MB, 1.4 million tokens) must load. A bencoded
    item takes at least two bytes, so 8,000,000 tokens cover any sane torrent up to
    the 64 MiB size bound (about 1,000,000 v1 files) while capping the decoder's token
    table at 64 MB. Depth 100 is libtorrent's default and far above the ~5 levels of a
    v1 torrent (libtorrent also stops a v2 file tree at 100 levels). The pieces bound
    is above what 64 MiB of hashes can hold, so the size bound is what binds.
    ``max_files`` counts libtorrent's file list, pad files included.
    """

    max_decode_depth: int = 100
    max_decode_tokens: int = 8_000_000
    max_pieces: int = 1 << 22
    max_files: int = 2_000_000

    def __post_init__(self) -> None:
        if not 1 <= self.max_decode_depth <= 500:
            # The exact decoder used for unusual torrents recurses once per level.
            raise ValueError("max_decode_depth must be between 1 and 500")

    def covers(self, other: TorrentLimits) -> bool:
        """True when everything ``other`` accepts, these limits accept too."""
        return (
            self.max_decode_depth >= other.max_decode_depth
            and self.max_decode_tokens >= other.max_decode_tokens
            and self.max_pieces >= other.max_pieces
        )


DEFAULT_LIMITS = TorrentLimits()
# What libtorrent 2.1 applies when given no limits. Loading with them first skips
# converting a limits dict on every call (2 us of a 40 us parse); a refusal for a
# limit alone is retried with ours.
_LIBTORRENT_DEFAULTS = TorrentLimits(
    max_decode_depth=100, max_decode_tokens=3_000_000, max_pieces=0x200000
)
_LIMIT_ERRORS = frozenset({("bdecode", 5), ("bdecode", 6), ("libtorrent", 13)})

# libtorrent error (category, value) -> our stable reason code. libtorrent raises
# RuntimeError("<message> [<category>:<value>]"); the message wording may change
# between releases, the numbers do not.
_LT_REASONS: dict[tuple[str, int], str] = {
    ("bdecode", 1): "bencode.invalid",  # expected digit
    ("bdecode", 2): "bencode.invalid",  # expected colon
    ("bdecode", 3): "bencode.invalid",  # unexpected end of input
    ("bdecode", 4): "bencode.invalid",  # expected value
    ("bdecode", 5): "bencode.too_deep",  # depth_exceeded
    ("bdecode", 6): "bencode.too_large",  # limit_exceeded (tokens)
    ("bdecode", 7): "bencode.int_overflow",  # overflow
    ("libtorrent", 3): "torrent.not_dict",  # torrent_is_no_dict
    ("libtorrent", 4): "info.missing",  # torrent_missing_info
    ("libtorrent", 5): "info.missing",  # torrent_info_no_dict
    ("libtorrent", 6): "piece_length.invalid",  # torrent_missing_piece_length
    ("libtorrent", 7): "name.missing",  # torrent_missing_name
    ("libtorrent", 8): "files.invalid",  # torrent_invalid_name (a path element)
    ("libtorrent", 9): "length.invalid",  # torrent_invalid_length
    ("libtorrent", 10): "files.invalid",  # torrent_file_parse_failed
    ("libtorrent", 11): "pieces.invalid",  # torrent_missing_pieces
    ("libtorrent", 12): "pieces.invalid",  # torrent_invalid_hashes
    ("libtorrent", 13): "pieces.too_many",  # too_many_pieces_in_torrent
    ("libtorrent", 15): "bencode.invalid",  # invalid_bencoding (v2 unsorted/dup keys)
    ("libtorrent", 16): "files.empty",  # no_files_in_torrent
    ("libtorrent", 100): "input.too_large",  # metadata_too_large
    ("libtorrent", 145): "files.too_many_duplicates",  # too_many_duplicate_filenames
    ("libtorrent", 210): "v2.invalid",  # torrent_unknown_version
    ("libtorrent", 211): "v2.invalid",  # torrent_missing_file_tree
    ("libtorrent", 212): "v2.invalid",  # torrent_missing_meta_version
    ("libtorrent", 213): "v2.invalid",  # torrent_inconsistent_files
    ("libtorrent", 214): "v2.invalid",  # torrent_missing_piece_layer
    ("libtorrent", 215): "v2.invalid",  # torrent_invalid_piece_layer
    ("libtorrent", 216): "v2.invalid",  # torrent_missing_pieces_root
    ("libtorrent", 217): "v2.invalid",  # torrent_inconsistent_hashes
    ("libtorrent", 218): "v2.invalid",  # torrent_invalid_pad_file
    ("libtorrent", 219): "files.invalid",  # file tree deeper than libtorrent allows
}
_LT_ERROR = re.compile(r"\[(?P<category>[\w .-]+):(?P<value>-?\d+)\]\s*$")

_FLAG_PAD, _FLAG_HIDDEN, _FLAG_EXECUTABLE, _FLAG_SYMLINK = 1, 2, 4, 8
_ZERO_ROOT = bytes(32)

# Printable ASCII without separators, which libtorrent copies into names unchanged
# on every platform (anything else it may rewrite); the colon is counted apart.
_PLAIN_BUT_COLON = bytes(b for b in range(0x20, 0x7F) if b not in b"/\\:")
_PLAIN_OR_COLON = _PLAIN_BUT_COLON + b":"
_ASCII = bytes(range(0x80))
_HIGH = bytes(range(0x80, 0x100))
# libtorrent truncates path elements longer than this many bytes.
_LONGEST_UNTOUCHED = 240
_UNDERSCORE_ELEMENT = re.compile(r"(?:^|/)_(?:/|$)", re.MULTILINE)


# What libtorrent does not report about a torrent: (files with paths_raw, name_raw,
# source, name_alt_raw). A plain tuple: this is built once per torrent on the hot path.
_RawView = tuple[FileList, bytes | None, str | None, bytes | None]


def parse_torrent(
    data: bytes,
    *,
    source_ref: str = "",
    max_size: int = DEFAULT_MAX_SIZE,
    limits: TorrentLimits = DEFAULT_LIMITS,
) -> TorrentMeta:
    """Parse one .torrent; raise :class:`InputRejected` with a stable code if refused.

    ``max_size`` bounds the input in bytes; the decoder's bounds are documented on
    :class:`TorrentLimits`.
    """
    if type(data) is not bytes:
        data = bytes(data)
    if not data:
        raise InputRejected("input.empty", "the .torrent file is empty", source_ref=source_ref)
    if len(data) > max_size:
        detail = f"the .torrent is {len(data):,} bytes, over the {max_size:,}-byte maximum"
        raise InputRejected("input.too_large", detail, source_ref=source_ref)
    params = _load(data, limits, source_ref)
    ti = params.ti
    if ti is None:
        return _magnet_only_meta(params, source_ref)
    layout = ti.layout()
    files_total = layout.num_files()
    if files_total > limits.max_files:
        detail = f"the torrent lists {files_total:,} files, over the {limits.max_files:,} maximum"
        raise InputRejected("files.too_many", detail, source_ref=source_ref)
    return _meta(data, params, ti, layout)


@lru_cache(maxsize=16)
def _lt_limits(limits: TorrentLimits) -> dict[str, int]:
    """libtorrent's ``load_torrent_limits`` as the dict its binding takes (never mutated)."""
    return {
        "max_decode_depth": limits.max_decode_depth,
        "max_decode_tokens": limits.max_decode_tokens,
        "max_pieces": limits.max_pieces,
    }


def _load(data: bytes, limits: TorrentLimits, source_ref: str) -> lt.add_torrent_params:
    """libtorrent's parse under ``limits`` (tried first under its cheaper defaults)."""
    if limits is DEFAULT_LIMITS or limits.covers(_LIBTORRENT_DEFAULTS):
        try:
            return lt.load_torrent_buffer(data)
        except RuntimeError as exc:
            if _error_key(str(exc)) not in _LIMIT_ERRORS or limits == _LIBTORRENT_DEFAULTS:
                raise _rejection(str(exc), source_ref) from None
    try:
        return lt.load_torrent_buffer(data, _lt_limits(limits))
    except RuntimeError as exc:
        raise _rejection(str(exc), source_ref) from None


def _error_key(message: str) -> tuple[str, int]:
    """(category, value) from libtorrent's "<message> [<category>:<value>]"."""
    match = _LT_ERROR.search(message)
    return (match["category"], int(match["value"])) if match else ("", 0)


def _rejection(message: str, source_ref: str) -> InputRejected:
    """Map libtorrent's error to our reason by (category, value), never by wording.

    The detail says what is wrong in our words, then libtorrent's, without square
    brackets (terminal markup would eat them).
    """
    category, value = key = _error_key(message)
    reason = _LT_REASONS.get(key, "torrent.invalid")
    said = _LT_ERROR.sub("", message).strip()
    if category:
        said = f"{said} ({category} error {value})"
    if reason == "torrent.invalid":
        return InputRejected(reason, f"libtorrent refused it: {said}", source_ref=source_ref)
    return InputRejected(reason, f"{describe(reason)}; libtorrent: {said}", source_ref=source_ref)


def _hashes(params: lt.add_torrent_params) -> tuple[str | None, str | None]:
    hashes = params.info_hashes
    v1 = hashes.v1.to_bytes().hex() if hashes.has_v1() else None
    v2 = hashes.v2.to_bytes().hex() if hashes.has_v2() else None
    return v1, v2


def _meta(
    data: bytes, params: lt.add_torrent_params, ti: lt.torrent_info, layout: lt.file_storage
) -> TorrentMeta:
    v1, v2 = _hashes(params)
    info = ti.info_section()
    name = ti.name()
    private = ti.priv()
    piece_length = ti.piece_length()
    view = None if v2 else _fast_view(ti, layout, info, name, v1, private)
    files, name_raw, source, name_alt = view or _slow_view(
        layout, info, name, v2 is not None, piece_length
    )
    trackers = announce.trackers(data, params, info)
    web_seeds = announce.web_seeds(data, params, info)
    # Positional on purpose: this runs for every torrent and keywords cost 0.7 us;
    # test_parse_torrent pins the field order of TorrentMeta.
    return TorrentMeta(
        v1 or v2,
        v1,
        v2,
        name,
        name_raw,
        True,
        ti.total_size(),
        piece_length,
        private,
        params.created_by or None,
        _creation_date(params.creation_date),
        params.comment or None,
        source,
        trackers,
        web_seeds,
        len(info),
        files,
        name_alt,
    )


def _magnet_only_meta(params: lt.add_torrent_params, source_ref: str) -> TorrentMeta:
    """A .torrent holding only a ``magnet-uri`` (libtorrent accepts it as a magnet)."""
    v1, v2 = _hashes(params)
    if not (v1 or v2):
        raise InputRejected("info.missing", describe("info.missing"), source_ref=source_ref)
    # The link's text fields are capped as parse_magnet caps a magnet line's.
    trackers = _text_or(lambda: params.trackers, [])
    web_seeds = _text_or(lambda: params.url_seeds, [])
    return TorrentMeta(
        infohash=v1 or v2,
        infohash_v1=v1,
        infohash_v2=v2,
        name=cap_text(_text_or(lambda: params.name, "")),
        has_metadata=False,
        trackers=tuple(dict.fromkeys(cap_text(t) for t in trackers)),
        web_seeds=tuple(dict.fromkeys(cap_text(w) for w in web_seeds)),
    )


def _creation_date(value: int) -> datetime | None:
    """UTC datetime, or None when absent (libtorrent reports 0) or not representable."""
    if value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- the fast path: v1 torrents whose names libtorrent left untouched ------------


def _fast_view(
    ti: lt.torrent_info,
    layout: lt.file_storage,
    info: bytes,
    name: str,
    v1: str | None,
    private: bool,
) -> _RawView | None:
    """libtorrent's view alone, when it provably equals the raw bytes; else None."""
    count = layout.num_files()
    indices = range(count)
    try:
        paths = tuple(map(layout.file_path, indices))
    except UnicodeDecodeError:
        return None
    joined = "\n".join(paths)
    if not _untouched_v1(ti, info, name, paths, joined, v1, private):
        return None
    nothing = (None,) * count
    sizes = tuple(map(layout.file_size, indices))
    # Flags come only from an 'attr' key, which _untouched_v1 admits only on a pad
    # entry without a path (listed as ".pad/<size>"), or from a BitComet
    # "_____padding_file_" name; padding itself is decided by the name (raw here).
    if _hints_padding(joined):
        flags = tuple(map(layout.file_flags, indices))
        columns = _flag_columns(paths, sizes, flags, ti.piece_length())
        files = FileList(paths, sizes, *columns, nothing, nothing, nothing, nothing)
        return files, None, None, None
    clear = (False,) * count
    files = FileList(paths, sizes, clear, clear, clear, clear, nothing, nothing, nothing, nothing)
    return files, None, None, None


def _untouched_v1(
    ti: lt.torrent_info,
    info: bytes,
    name: str,
    paths: tuple[str, ...],
    joined: str,
    v1: str | None,
    private: bool,
) -> bool:
    """True when every name and path libtorrent reports is byte-for-byte the torrent's.

    The test counts bytes instead of decoding. It applies to a canonical v1 info dict
    (pieces the last key but 'private'), and before the pieces string it needs:
    (1) only printable ASCII without separators, or UTF-8 whose count of non-ASCII
    bytes equals that of the reported names (libtorrent replaces invalid and bidi
    sequences, lowering it); (2) exactly the colons of a canonical dict with these
    names and no colon inside them (:func:`_canonical_colons`): any other key ('attr',
    'source', 'name.utf-8', 'md5sum', a duplicate...) brings one more string and so
    one more colon, and libtorrent never adds a colon to a name; (3) no element that
    libtorrent replaced by ``_`` (for ``.``, ``..`` or empty), none of 240 bytes or
    more (it truncates those), no name replaced by the infohash, and every path under
    the name: a pad file without a path is listed as ``.pad/<size>``, and its 'attr'
    key makes up for the missing 'path' in the count. ``joined``: paths joined by
    newlines.
    """
    if name == v1:
        return False
    found = _head_before_pieces(ti, info, private)
    if found is None:
        return False
    head, first = found
    marks = head.translate(None, _PLAIN_BUT_COLON)
    colons = marks.count(b":")
    # A copy of the first hash inside the head is impossible when the hash has a byte
    # that the head, being plain, has not; else look for one.
    plain_head = colons == len(marks)
    if (not plain_head or not first.translate(None, _PLAIN_OR_COLON)) and first in head:
        return False
    if not plain_head:
        if not _same_non_ascii(marks.replace(b":", b""), joined, name, len(paths)):
            return False
    elif max(map(len, paths)) >= _LONGEST_UNTOUCHED:
        return False
    if colons != _canonical_colons(paths, joined):
        return False
    if "_" in joined and _UNDERSCORE_ELEMENT.search(joined):
        return False
    return _all_under(paths, name)


def _all_under(paths: tuple[str, ...], name: str) -> bool:
    """Every path starts with ``name/`` (single-file torrents: trivially true).

    Paths with a common prefix form one interval in sorted order, so the smallest and
    the largest path decide; a ``.pad/`` path sorts first whenever the name sorts
    after ``.pad/``, so then the smallest alone does.
    """
    if len(paths) == 1:
        return True
    prefix = name + "/"
    if not min(paths).startswith(prefix):
        return False
    return name > ".pad/" or max(paths).startswith(prefix)


def _head_before_pieces(
    ti: lt.torrent_info, info: bytes, private: bool
) -> tuple[bytes, bytes] | None:
    """The info section up to its pieces string, and the first piece hash, if that
    string is where a canonical dict puts it: last, or followed only by 'private'.

    The first hash must start there and nowhere else a pieces string of this length
    could start, or a copy planted in a name could pass for the pieces string and
    hide the bytes around it from the test. This checks the places near ``start``;
    the caller checks the head itself (see :func:`_untouched_v1`).
    """
    first = ti.hash_for_piece(0)
    end = len(info) - (13 if private else 1)
    start = end - 20 * ti.num_pieces()
    if start < 0 or not info.startswith(first, start):
        return None
    # Copies overlapping ``start``; and the real pieces string ends before the dict's
    # final "e", so it starts at most 12 bytes (a 'private' entry) after ``start``.
    if info.find(first, max(0, start - 19), start + 19) >= 0:
        return None
    if info.find(first, start + 1, start + 32) >= 0:
        return None
    return info[:start], first


def _same_non_ascii(unusual: bytes, joined: str, name: str, count: int) -> bool:
    """Only non-ASCII bytes, every one kept by libtorrent, and no element too long."""
    if unusual.translate(None, _HIGH):
        return False  # control characters or separators: libtorrent rewrites them
    reported = joined.encode()
    if max(map(len, reported.split(b"\n"))) >= _LONGEST_UNTOUCHED:
        return False
    in_name = len(name.encode().translate(None, _ASCII))
    return len(unusual) == len(reported.translate(None, _ASCII)) - (count - 1) * in_name


def _canonical_colons(paths: tuple[str, ...], joined: str) -> int:
    """Colons before the pieces string of a canonical v1 info dict with these names,
    assuming the names hold no colon (if they do, the raw count is higher: slow path).

    Single file: the keys length, name, piece length and pieces, the name, and the
    pieces string's length: 6. Multi-file: files, name, piece length, pieces, the name,
    the pieces length (6); per file the keys length and path (2n); and one per path
    element, that is per ``/`` in a reported path.
    """
    if len(paths) == 1 and "/" not in joined:
        return 6
    return 6 + 2 * len(paths) + joined.count("/")


# --- the slow path: decode the info section again and compare ----------------------


def _slow_view(
    layout: lt.file_storage, info: bytes, name: str, has_v2: bool, piece_length: int
) -> _RawView:
    """Compare libtorrent's view with the torrent's own bytes, file by file."""
    indices = range(layout.num_files())
    flags = tuple(map(layout.file_flags, indices))
    sizes = tuple(map(layout.file_size, indices))
    decoded = decode_info(info, has_v2)
    raw_name, alt_name = _raw_names(decoded)
    readings = _readings(decoded, raw_name, alt_name, flags, b".utf-8" in info)
    raw_paths = readings[0]
    paths = _reported_paths(layout, raw_paths)
    differing = tuple(_differing(raw, path) for raw, path in zip(raw_paths, paths, strict=True))
    shown = paths
    if differing.count(None) != len(differing):
        shown = tuple(
            path if raw is None else raw.decode("utf-8", "replace")
            for raw, path in zip(differing, paths, strict=True)
        )
    files = FileList(
        paths,
        sizes,
        *_flag_columns(shown, sizes, flags, piece_length),
        _symlink_targets(layout, flags),
        _roots(layout, indices) if has_v2 else (None,) * len(indices),
        differing,
        _alternatives(readings, paths),
    )
    source = decoded.get(b"source")
    source_text = source.decode("utf-8", "replace") if isinstance(source, bytes) else None
    name_raw = _differing(raw_name, name)
    name_alt = alt_name if alt_name not in (None, raw_name, name.encode()) else None
    return files, name_raw, source_text, name_alt


def _differing(raw: bytes | None, reported: str) -> bytes | None:
    return raw if raw is not None and raw != reported.encode() else None


def _roots(layout: lt.file_storage, indices: range) -> tuple[str | None, ...]:
    """BEP 52 pieces roots as hex; None for pad and empty files, which have none."""
    digests = (layout.root(i).to_bytes() for i in indices)
    return tuple(None if d == _ZERO_ROOT else d.hex() for d in digests)


def _raw_names(info: dict[bytes, object]) -> tuple[bytes | None, bytes | None]:
    """The name key libtorrent reads ('name.utf-8', else 'name') and the other one
    (what a client that ignores 'name.utf-8' shows), each None when absent."""
    found = [info.get(key) for key in (b"name.utf-8", b"name")]
    utf8, plain = (value if isinstance(value, bytes) else None for value in found)
    if utf8 is None:
        return plain, None
    return utf8, plain


# One raw path (or None) per entry of libtorrent's file list.
_Reading = list[bytes | None]


def _readings(
    info: dict[bytes, object],
    raw_name: bytes | None,
    alt_name: bytes | None,
    flags: tuple[int, ...],
    utf8_keys: bool,
) -> list[_Reading]:
    """Every way a client may read the torrent's names, aligned with libtorrent's list.

    The first is libtorrent's own (a v2 file tree, else 'path.utf-8' before 'path',
    under 'name.utf-8' before 'name'); then a hybrid's v1 part (libtorrent checks it
    against the tree only once sanitised, so it may hide a bidi control or a control
    character); then the names a client that knows no '.utf-8' key reads ('name' and
    'path'), needed only when the info section holds such a key (``utf8_keys``).
    """
    count = len(flags)
    tree = info.get(b"file tree")
    version = info.get(b"meta version")
    readings: list[_Reading] = []
    if isinstance(version, int) and version >= 2 and isinstance(tree, dict):
        has_files = isinstance(info.get(b"files"), list)
        for prefix in (raw_name, alt_name)[: 2 if alt_name is not None else 1]:
            leaves = iter(_tree_paths(tree, [prefix or b""], has_files))
            readings.append([None if f & _FLAG_PAD else next(leaves, None) for f in flags])
    v1_prefixes = [(raw_name, _UTF8_FIRST)]
    if utf8_keys:
        v1_prefixes.append((alt_name or raw_name, _PLAIN_FIRST))
    entries = info.get(b"files")
    if isinstance(entries, list):
        for prefix, keys in v1_prefixes:
            paths = [_v1_path(prefix or b"", entry, keys) for entry in entries]
            readings.append(paths if len(paths) == count else [None] * count)
    elif not readings or isinstance(info.get(b"length"), int):  # v1 or a hybrid's single file
        for prefix, _ in v1_prefixes:
            readings.append([prefix, *([None] * (count - 1))])
    return readings


_UTF8_FIRST = (b"path.utf-8", b"path")
_PLAIN_FIRST = (b"path", b"path.utf-8")


def _v1_path(raw_name: bytes, entry: object, keys: tuple[bytes, bytes]) -> bytes | None:
    """The first usable path key of ``keys`` (the torrent's own bytes) under the name."""
    if type(entry) is not dict:
        return None
    for key in keys:
        parts = entry.get(key)
        if type(parts) is list and parts:
            try:
                return b"/".join([raw_name, *parts])
            except TypeError:  # an element that is not a string
                continue
    return None


def _alternatives(
    readings: list[_Reading], paths: tuple[str, ...]
) -> tuple[tuple[bytes, ...] | None, ...]:
    """Per file, the other readings' bytes that differ from the first and the reported
    path; None where there are none (the usual case: a reading equal to the first is
    skipped whole)."""
    first = readings[0]
    others = [reading for reading in readings[1:] if reading != first]
    if not others:
        return (None,) * len(paths)
    out: list[list[bytes] | None] = [None] * len(paths)
    for reading in others:
        for index, (raw, mine) in enumerate(zip(reading, first, strict=True)):
            if raw is None or raw == mine or raw == paths[index].encode():
                continue
            held = out[index]
            if held is None:
                out[index] = [raw]
            elif raw not in held:
                held.append(raw)
    return tuple(None if held is None else tuple(held) for held in out)


def _tree_paths(tree: dict[bytes, object], prefix: list[bytes], has_files: bool) -> Iterator[bytes]:
    """Leaf paths of a BEP 52 file tree in libtorrent's order and with its root rule."""
    for key, node in tree.items():
        if not isinstance(node, dict):
            continue
        leaf = len(node) == 1 and b"" in node
        single = leaf and not has_files and len(tree) == 1
        path = [key] if single else [*prefix, key]
        if leaf:
            yield b"/".join(path)
        else:
            yield from _tree_paths(node, path, True)


def _reported_paths(layout: lt.file_storage, raw_paths: _Reading) -> tuple[str, ...]:
    """libtorrent's paths; should one not convert to str, the raw bytes with U+FFFD."""
    try:
        return tuple(map(layout.file_path, range(layout.num_files())))
    except UnicodeDecodeError:
        pass
    paths = []
    for index, raw in enumerate(raw_paths):
        try:
            paths.append(layout.file_path(index))
        except UnicodeDecodeError:
            paths.append((raw or b"").decode("utf-8", "replace"))
    return tuple(paths)


_FlagColumns = tuple[tuple[bool, ...], tuple[bool, ...], tuple[bool, ...], tuple[bool, ...]]


def _flag_columns(
    shown: tuple[str, ...], sizes: tuple[int, ...], flags: tuple[int, ...], piece_length: int
) -> _FlagColumns:
    """is_pad, is_symlink, is_executable, is_hidden: one shared tuple when all clear.

    ``is_pad`` is not libtorrent's pad flag: a file is padding when its name as a
    client would write it (``shown``) and its size look like padding, with or
    without a BEP 47 attribute (``parsers/padding.py``).
    """
    pads = _pad_column(shown, sizes, piece_length)
    if not any(flags):
        clear = (False,) * len(flags)
        return pads, clear, clear, clear
    return (
        pads,
        tuple(bool(f & _FLAG_SYMLINK) for f in flags),
        tuple(bool(f & _FLAG_EXECUTABLE) for f in flags),
        tuple(bool(f & _FLAG_HIDDEN) for f in flags),
    )


def _hints_padding(joined: str) -> bool:
    """Does a name in ``joined`` look like padding's? A search for one character is a
    ``memchr`` and nearly free, a longer one costs about 1 us per 1,000 characters:
    BitComet's names are looked for only where an underscore is."""
    return ".pad/" in joined or ("_" in joined and "_____padding_file_" in joined)


def _pad_column(shown: tuple[str, ...], sizes: tuple[int, ...], piece_length: int) -> tuple:
    """:func:`looks_like_padding` per file; one shared all-False tuple when no name
    hints at padding (the common case costs one substring search)."""
    joined = "\n".join(shown)
    if not _hints_padding(joined):
        return (False,) * len(shown)
    return tuple(
        "pad" in path and _padding(path, size, piece_length)
        for path, size in zip(shown, sizes, strict=True)
    )


def _padding(path: str, size: int, piece_length: int) -> bool:
    """:func:`looks_like_padding`, answered without a regex for the ``.pad/<size>``
    paths libtorrent lists for every v2 and hybrid pad file (tested to agree)."""
    tail = f".pad/{size}"
    if path.endswith(tail) and (len(path) == len(tail) or path[-len(tail) - 1] == "/"):
        return piece_length <= 0 or size < piece_length
    return looks_like_padding(path, size, piece_length)


def _symlink_targets(layout: lt.file_storage, flags: tuple[int, ...]) -> tuple[str | None, ...]:
    if not any(f & _FLAG_SYMLINK for f in flags):
        return (None,) * len(flags)
    return tuple(
        _text_or(lambda i=i: layout.symlink(i), None) if f & _FLAG_SYMLINK else None
        for i, f in enumerate(flags)
    )


def _text_or(getter: Callable[[], T], default: T) -> T:
    """``getter()``, or ``default`` where libtorrent holds bytes that are not UTF-8
    (its binding then raises while converting them to str)."""
    try:
        return getter()
    except UnicodeDecodeError:
        return default
