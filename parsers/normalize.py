"""Name and path normalisation, vectorised over Arrow string arrays.

Ingest handles about a million file paths a second on two cores, so each function
here works on a whole ``pa.Array`` at once. Arrow's regex kernels cost a few hundred
nanoseconds per string, too slow for the common case, so the ASCII work is done on
the bytes of the array's data buffer: a 256-entry lookup table lower-cases and turns
separators into spaces in one ``take``; runs of spaces are dropped with one
``filter``, and the new string lengths are counted with ``utf8_length`` over a
buffer where every dropped byte is marked as a UTF-8 continuation byte. Python runs
only over the rare subset that needs it: the distinct non-ASCII chunks that
``anyascii`` transliterates, and the distinct tokens that skeleton folding changes.

Every vectorised function has a scalar twin for single strings, written in plain
Python because the release parser and the rule tests call them one name at a time
(an Arrow call costs more than the work on one string). The twins share the parts
that carry meaning (``fold_chunk``, ``skeleton_token``, the same tables) and the
tests check on thousands of generated strings that twin and array agree.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from anyascii import anyascii

from parsers.taxonomy import DataFile, expect_list, expect_mapping, load_data, raise_if_errors

MARK_FIELDS = ("has_bidi", "has_zero_width", "has_trailing_dot_space", "has_control")

# Unicode facts, not taxonomy: the characters that reorder or hide text.
# Embeddings, overrides and isolates reorder whole runs (``clip\u202egpj.exe``): the mark.
BIDI_CONTROL_CHARS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Direction marks (LRM, RLM, ALM) only place neutral characters and are everyday in
# Arabic and Hebrew text: escaped for display, but no disguise mark.
BIDI_CHARS = BIDI_CONTROL_CHARS + "\u200e\u200f\u061c"
ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
# Letters and marks that render as nothing in most fonts.
INVISIBLE_CHARS = "\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0"

_BIDI_RE2 = "[\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}]"
_ZERO_WIDTH_RE2 = "[\\x{200B}-\\x{200D}\\x{2060}\\x{FEFF}]"
_C1_RE2 = "[\\x{80}-\\x{9F}]"
_INTERIOR_DIGITS = re.compile(r"(?<=[a-z])[0-9]+(?=[a-z])")
# RE2 has no back-references, so "a letter twice" is spelled out.
_NEEDS_TOKEN_FOLD = "[a-z][0-9]+[a-z]|" + "|".join(c * 2 for c in "abcdefghijklmnopqrstuvwxyz")
_REPEATED_LETTER = re.compile(r"([a-z])\1+")

StringLike = pa.Array | pa.ChunkedArray

# Typed scalars for the kernels below. Given a bare Python value, pyarrow infers its
# type, and each inference retries importing python-dateutil (not installed here):
# about 50 us a call, a few milliseconds per batch. These are what it would infer.
FALSE = pa.scalar(False, pa.bool_())
INT_0 = pa.scalar(0, pa.int64())
INT_1 = pa.scalar(1, pa.int64())
_INT_0X80 = pa.scalar(0x80, pa.int64())
_EMPTY = pa.scalar("", pa.string())
_SPACE = pa.scalar(" ", pa.string())


# --------------------------------------------------------------------------- bytes


def as_string_array(values: StringLike) -> pa.StringArray:
    """``values`` as one compact ``StringArray`` whose offsets start at 0.

    The byte-level helpers below rely on the data buffer holding exactly the
    array's strings, so slices are copied and large strings cast down.
    """
    if isinstance(values, pa.ChunkedArray):
        chunks = values.chunks
        values = chunks[0] if len(chunks) == 1 else values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    if values.offset != 0 or (len(values) and _offsets(values)[0].as_py() != 0):
        values = pa.concat_arrays([values, pa.array([], pa.string())])
    return values


def first_rows(indices: pa.Array) -> pa.Int64Array:
    """For each entry of a ``pc.dictionary_encode`` result (its ``indices``), the row
    where it first occurs. Entries are numbered in order of first occurrence, so the
    rows come out ascending: the first row of each distinct value, in input order."""
    valid = pc.is_valid(indices)
    rows = np.flatnonzero(valid.to_numpy(zero_copy_only=False))
    codes = indices.filter(valid).to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    return pa.array(rows[first], pa.int64())


def _offsets(arr: pa.StringArray) -> pa.Int32Array:
    buffer = arr.buffers()[1]
    if buffer is None:
        return pa.array([0] * (len(arr) + 1), pa.int32())
    return pa.Array.from_buffers(pa.int32(), len(arr) + 1, [None, buffer], offset=arr.offset)


def _data(arr: pa.StringArray) -> pa.UInt8Array:
    """The string bytes of a compact array as a zero-copy ``uint8`` array."""
    size = _offsets(arr)[-1].as_py() if len(arr) else 0
    buffer = arr.buffers()[2]
    if not size or buffer is None:
        return pa.array([], pa.uint8())
    return pa.Array.from_buffers(pa.uint8(), size, [None, buffer])


def _with_data(arr: pa.StringArray, data: pa.UInt8Array) -> pa.StringArray:
    """``arr`` with its bytes replaced by ``data`` (same length, same offsets)."""
    if len(data) == 0:
        return arr
    buffers = arr.buffers()
    return pa.Array.from_buffers(
        pa.string(), len(arr), [buffers[0], buffers[1], data.buffers()[1]], arr.null_count
    )


_APOSTROPHES = b"'`"


def _is_word_byte(b: int) -> bool:
    """Bytes that survive ``separate``: letters, digits and the apostrophes to delete."""
    return 65 <= b <= 90 or 97 <= b <= 122 or 48 <= b <= 57 or b in _APOSTROPHES


def _lut_value_separate(b: int) -> int:
    """A-Z to a-z; letters, digits and apostrophes kept; every other byte a space."""
    return b + 32 if 65 <= b <= 90 else b if _is_word_byte(b) else 32


def _lut_value_class(b: int) -> int:
    """0 for a letter or digit, 1 for a separator, 2 for an apostrophe (deleted)."""
    return 2 if b in _APOSTROPHES else 0 if _is_word_byte(b) else 1


@functools.cache
def _lut(kind: str) -> pa.UInt8Array:
    """256-entry byte tables used with ``pc.take`` as a vectorised ``str.translate``."""
    if kind == "separate":
        table = [_lut_value_separate(b) for b in range(256)]
    elif kind == "class":
        table = [_lut_value_class(b) for b in range(256)]
    elif kind == "is_apostrophe_class":  # indexed by class
        table = [1 if b == 2 else 0 for b in range(256)]
    elif kind == "chunk":  # the one-byte chunk separators -> space, others unchanged
        separators = set(_chunk_separators())
        table = [32 if b < 0x80 and b in separators else b for b in range(256)]
    elif kind.startswith("set:"):  # bytes of the set -> 0x80, others -> 0
        members = bytes.fromhex(kind[4:])
        table = [0x80 if b in members else 0 for b in range(256)]
    else:
        raise KeyError(kind)
    return pa.array(table, pa.uint8())


def _byte_set(chars: bytes) -> str:
    return "set:" + chars.hex()


_CONTROL_BYTES = _byte_set(bytes([*range(0x20), 0x7F]))
_LEET_SYMBOL_BYTES = _byte_set(b"@$!")
_END_DOT_SPACE = _byte_set(b". ")
_MARK_LEAD_BYTES = _byte_set(b"\xc2\xe2\xef")


def _has_high_bytes(arr: pa.StringArray) -> bool:
    data = _data(arr)
    return bool(len(data)) and pc.max(data).as_py() >= 0x80


def _rows_with_bytes(arr: pa.StringArray, byte_set: str) -> pa.BooleanArray | None:
    """Which strings contain a byte of ``byte_set``; None when no string does.

    Marked bytes become 0x80, so ``utf8_length`` counts only the unmarked ones: a
    string holds a marked byte exactly when that count is below its byte length.
    """
    data = _data(arr)
    if not len(data):
        return None
    marks = pc.take(_lut(byte_set), data)
    if pc.max(marks).as_py() == 0:
        return None
    counter = pa.Array.from_buffers(
        pa.string(), len(arr), [None, arr.buffers()[1], marks.buffers()[1]]
    )
    return pc.less(pc.utf8_length(counter), pc.binary_length(counter))


def _shifted(mask: pa.BooleanArray, by: int) -> pa.BooleanArray:
    """``mask`` moved ``by`` places later: position i holds what was at i - by."""
    if len(mask) <= by:
        return pa.repeat(FALSE, len(mask))
    return pa.concat_arrays([pa.repeat(FALSE, by), mask.slice(0, len(mask) - by)])


def _drop_mask(classes: pa.UInt8Array, apostrophes: bool) -> tuple[pa.BooleanArray, bool]:
    """Bytes to delete: apostrophes, and each space whose previous kept byte is a space.

    Returns the mask and whether it may be inexact: one apostrophe between spaces
    is looked through, but a run of two or more (rare) can leave two spaces side
    by side, so ``_separate`` squeezes once more when such a run exists.
    """
    not_word = pc.cast(classes, pa.bool_())
    if not apostrophes:
        return pc.and_(not_word, _shifted(not_word, 1)), False
    apostrophe = pc.cast(pc.take(_lut("is_apostrophe_class"), classes), pa.bool_())
    space = pc.and_not(not_word, apostrophe)
    before = pc.or_(_shifted(space, 1), pc.and_(_shifted(apostrophe, 1), _shifted(space, 2)))
    drop = pc.or_(apostrophe, pc.and_(space, before))
    runs = pc.any(pc.and_(apostrophe, _shifted(apostrophe, 1))).as_py()
    return drop, bool(runs)


def _keep_bytes(arr: pa.StringArray, data: pa.UInt8Array, drop: pa.BooleanArray) -> pa.StringArray:
    """``arr`` (whose bytes are ``data``) without the bytes where ``drop`` is set."""
    marks = pc.if_else(drop, pa.scalar(0x80, pa.uint8()), pa.scalar(0, pa.uint8()))
    counter = pa.Array.from_buffers(
        pa.string(), len(arr), [None, arr.buffers()[1], marks.buffers()[1]]
    )
    ends = pc.cumulative_sum(pc.utf8_length(counter))
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends.cast(pa.int32())])
    kept = pc.filter(data, pc.invert(drop))
    return pa.Array.from_buffers(
        pa.string(),
        len(arr),
        [arr.buffers()[0], offsets.buffers()[1], kept.buffers()[1]],
        arr.null_count,
    )


def _separate(arr: pa.StringArray) -> pa.StringArray:
    """ASCII in: lower-case, apostrophes deleted, other non-alphanumerics a separator;
    separators become single spaces and the ends are trimmed."""
    data = _data(arr)
    if not len(data):
        return arr
    text = pc.take(_lut("separate"), data)
    classes = pc.take(_lut("class"), data)
    top = pc.max(classes).as_py()
    if top == 0:
        return _with_data(arr, text)
    drop, inexact = _drop_mask(classes, apostrophes=top == 2)
    out = _with_data(arr, text)
    if pc.any(drop).as_py():
        out = _keep_bytes(out, text, drop)
        if inexact:
            return _separate(out)
    return pc.ascii_trim(out, " ")


# ------------------------------------------------------------------- folding to ASCII


def _chunk_separators() -> list[int]:
    """The characters that separate chunks before transliteration.

    Every ASCII character except letters, digits, apostrophes (deleted later, never
    separators) and the leet symbols (skeleton folding still needs them), plus the
    C1 controls: all are separators in every output, so splitting there changes
    nothing but makes the chunks repeat, and each distinct chunk is folded once.
    """
    kept = {*range(48, 58), *range(65, 91), *range(97, 123), *b"@$!", *_APOSTROPHES}
    return [b for b in range(0xA0) if b not in kept]


@functools.cache
def _chunk_re2() -> str:
    return "[" + "".join(f"\\x{{{b:02X}}}" for b in _chunk_separators()) + "]+"


@functools.cache
def _chunk_re() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(b)) for b in _chunk_separators()) + "]+")


def fold_chunk(chunk: str) -> str:
    """One non-ASCII chunk to ASCII: NFKC, lower-case, ``anyascii``.

    The single definition of transliteration: the vectorised path calls it once
    per distinct chunk, the scalar path once per chunk of its string.
    """
    return anyascii(unicodedata.normalize("NFKC", chunk).lower())


def _chunks(values: pa.StringArray) -> pa.ListArray:
    """``values`` split at separators (``_chunk_separators``), for ``_transliterate``.

    Without a C1 control (bytes C2 80-C2 9F) every separator is one ASCII byte: they
    are all turned into spaces with a byte table and split there, several times faster
    than the regex split. A run of separators then leaves empty chunks, which fold to
    themselves and become extra spaces: the same words once separators are squeezed.
    """
    data = _data(values)
    if not len(data) or _any_byte_pair(data, b"\xc2", bytes(range(0x80, 0xA0))):
        return pc.split_pattern_regex(values, _chunk_re2())
    return pc.split_pattern(_with_data(values, pc.take(_lut("chunk"), data)), " ")


def _transliterate(values: pa.StringArray) -> pa.StringArray:
    """Fold strings that are not pure ASCII, one distinct chunk at a time."""
    parts = _chunks(values)
    flat = parts.values
    foreign = pc.invert(pc.string_is_ascii(flat))
    todo = flat.filter(foreign)
    distinct = pc.unique(todo)
    ascii_ = pa.array([fold_chunk(v) for v in distinct.to_pylist()], pa.string())
    flat = pc.replace_with_mask(flat, foreign, pc.take(ascii_, pc.index_in(todo, distinct)))
    return pc.binary_join(pa.ListArray.from_arrays(parts.offsets, flat), _SPACE)


def _fold_text(s: str) -> str:
    """The scalar twin of ``_fold_non_ascii`` for one string."""
    if s.isascii():
        return s
    return " ".join(c if c.isascii() else fold_chunk(c) for c in _chunk_re().split(s))


def _fold_non_ascii(arr: pa.StringArray) -> pa.StringArray:
    """``arr`` with every non-ASCII string folded to ASCII; ASCII strings untouched."""
    if not _has_high_bytes(arr):
        return arr
    foreign = pc.fill_null(pc.invert(pc.string_is_ascii(arr)), False)
    folded = _transliterate(arr.filter(foreign))
    return as_string_array(pc.replace_with_mask(arr, foreign, folded))


# ------------------------------------------------------------------------ normalise


def normalize_array(arr: StringLike) -> pa.StringArray:
    """NFKC, lower-case, ASCII transliteration, separators to single spaces, trimmed.

    ``"Kárt.Racer_[PS2].PAL-GRP"`` → ``"kart racer ps2 pal grp"``. Apostrophes are
    deleted (``Don't`` → ``dont``, and the ``'`` that ``anyascii`` writes for a
    soft sign: ``Фильм`` → ``film``). Every other character that is not an ASCII
    letter or digit after transliteration (``. _ - [ (``, punctuation, whitespace,
    controls) separates words. Bidi and zero-width characters vanish without
    separating, so a hidden character cannot split a word (``name_marks_array``
    records that they were there). Nulls stay null.
    """
    return _separate(_fold_non_ascii(as_string_array(arr)))


@functools.cache
def _ascii_table() -> dict[int, int | None]:
    """``str.translate`` twin of the ``separate`` byte table, apostrophes deleted."""
    table: dict[int, int | None] = {b: _lut_value_separate(b) for b in range(128)}
    table.update({b: None for b in _APOSTROPHES})
    return table


def normalize_text(s: str) -> str:
    """``normalize_array`` for one string, in pure Python (tested to agree).

    It shares ``fold_chunk`` with the vectorised path; the rest is one
    ``str.translate`` and one split/join, about a microsecond for ASCII names,
    because the release parser calls it once per name.
    """
    return " ".join(_fold_text(s).translate(_ascii_table()).split())


def normalized_tokens(s: str) -> list[str]:
    """``tokens(normalize_text(s))`` without building the joined string first."""
    return _fold_text(s).translate(_ascii_table()).split()


def tokens_array(norm_arr: StringLike) -> pa.ListArray:
    """Normalised text split at single spaces; ``""`` gives ``[]``, null stays null."""
    norm = as_string_array(norm_arr)
    parts = pc.split_pattern(norm, " ")
    empty = pc.fill_null(pc.equal(norm, _EMPTY), False)
    if not pc.any(empty).as_py():
        return parts
    owner = pc.list_parent_indices(parts)
    values = parts.values.filter(pc.invert(pc.take(empty, owner)))
    lengths = pc.if_else(empty, INT_0, pc.list_value_length(parts))
    ends = pc.cumulative_sum(pc.fill_null(lengths, 0)).cast(pa.int32())
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends])
    return pa.ListArray.from_arrays(offsets, values, mask=pc.is_null(norm))


def tokens(norm: str) -> list[str]:
    """``tokens_array`` for one normalised string."""
    return norm.split(" ") if norm else []


# ------------------------------------------------------------------------- skeleton


@dataclass(frozen=True, slots=True)
class SkeletonRules:
    """The compiled contents of ``parsers/data/skeleton.yaml``."""

    digits: dict[int, str]
    symbols: tuple[tuple[str, str], ...]
    keep_tokens: frozenset[str]
    keep_pattern: re.Pattern[str] | None


def compile_skeleton_rules(doc: DataFile) -> SkeletonRules:
    """Check and compile a skeleton data file; every problem is reported at once."""
    errors: list[str] = []
    top = expect_mapping(doc, (), doc.data, errors)
    digits = _single_chars(doc, "leet_digits", top.get("leet_digits"), "0123456789", errors)
    symbols = _single_chars(doc, "leet_symbols", top.get("leet_symbols"), "@$!", errors)
    keep = expect_list(doc, ("keep_tokens",), top.get("keep_tokens"), errors)
    patterns = expect_list(doc, ("keep_patterns",), top.get("keep_patterns"), errors)
    for i, token in enumerate(keep):
        if not isinstance(token, str) or normalize_text(token) != token or " " in token:
            errors.append(doc.problem(("keep_tokens", i), f"{token!r} is not one normalised token"))
    compiled = []
    for i, pattern in enumerate(patterns):
        try:
            compiled.append(f"(?:{re.compile(str(pattern)).pattern})")
        except re.error as exc:
            errors.append(doc.problem(("keep_patterns", i), f"bad regular expression: {exc}"))
    raise_if_errors(doc.name, errors)
    return SkeletonRules(
        digits={ord(k): v for k, v in digits.items()},
        symbols=tuple(symbols.items()),
        keep_tokens=frozenset(keep),
        keep_pattern=re.compile("|".join(compiled)) if compiled else None,
    )


def _single_chars(
    doc: DataFile, key: str, value: Any, allowed: str, errors: list[str]
) -> dict[str, str]:
    """A mapping of one allowed character to one lower-case letter."""
    out: dict[str, str] = {}
    for char, letter in expect_mapping(doc, (key,), value or {}, errors).items():
        char = str(char)
        if char not in allowed or len(char) != 1:
            errors.append(doc.problem((key, char), f"key must be one of {allowed!r}"))
        elif not (isinstance(letter, str) and len(letter) == 1 and "a" <= letter <= "z"):
            errors.append(doc.problem((key, char), f"{letter!r} is not one letter a-z"))
        else:
            out[char] = letter
    return out


@functools.cache
def skeleton_rules() -> SkeletonRules:
    """The shipped skeleton rules, loaded on first use."""
    return compile_skeleton_rules(load_data("skeleton.yaml"))


def skeleton_token(token: str, rules: SkeletonRules | None = None) -> str:
    """One normalised token folded: interior leet digits read, repeated letters once.

    ``"r4c3r"`` → ``"racer"``, ``"kaaart"`` → ``"kart"``; ``"ps2"``, ``"2023"``
    and the keep-list are untouched (see ``parsers/data/skeleton.yaml``).
    """
    rules = rules or skeleton_rules()
    if token in rules.keep_tokens or (
        rules.keep_pattern is not None and rules.keep_pattern.fullmatch(token)
    ):
        return token
    token = _INTERIOR_DIGITS.sub(lambda m: m.group(0).translate(rules.digits), token)
    return _REPEATED_LETTER.sub(r"\1", token)


def _fold_symbols(arr: pa.StringArray, rules: SkeletonRules) -> pa.StringArray:
    """``@ $ !`` read as letters where a letter follows (lower-case ASCII input)."""
    rows = _rows_with_bytes(arr, _LEET_SYMBOL_BYTES)
    if rows is None or not rules.symbols:
        return arr
    rows = pc.fill_null(rows, False)
    sub = arr.filter(rows)
    for symbol, letter in rules.symbols:
        sub = pc.replace_substring_regex(sub, f"[{symbol}]([a-z])", f"{letter}\\1")
    return as_string_array(pc.replace_with_mask(arr, rows, sub))


def _fold_tokens(norm: pa.StringArray, rules: SkeletonRules) -> pa.StringArray:
    """Apply ``skeleton_token`` to every distinct token of the rows it may change."""
    rows = pc.fill_null(pc.match_substring_regex(norm, _NEEDS_TOKEN_FOLD), False)
    if not pc.any(rows).as_py():
        return norm
    parts = pc.split_pattern(norm.filter(rows), " ")
    distinct = pc.unique(parts.values)
    folded = pa.array([skeleton_token(t, rules) for t in distinct.to_pylist()], pa.string())
    values = pc.take(folded, pc.index_in(parts.values, distinct))
    joined = pc.binary_join(pa.ListArray.from_arrays(parts.offsets, values), _SPACE)
    return as_string_array(pc.replace_with_mask(norm, rows, joined))


def skeleton_array(arr: StringLike) -> pa.StringArray:
    """A matching key that undoes leetspeak: ``"K4rt R@c3r"`` → ``"kart racer"``.

    Steps: fold to ASCII and lower-case as ``normalize_array`` does; read ``@ $ !``
    as letters where a letter follows; turn separators into single spaces; then per
    token read digits between letters (``r4c3r`` → ``racer``) and write repeated
    letters once (``kaaart`` → ``kart``). Leading and trailing digit runs stay
    (``ps2``, ``1080p``, ``2023``), and so do tokens on the keep-list.
    """
    rules = skeleton_rules()
    folded = pc.ascii_lower(_fold_non_ascii(as_string_array(arr)))
    return _fold_tokens(_separate(_fold_symbols(as_string_array(folded), rules)), rules)


def skeleton_text(s: str) -> str:
    """``skeleton_array`` for one string, in Python (tested to agree)."""
    rules = skeleton_rules()
    text = _fold_text(s).lower()
    for symbol, letter in rules.symbols:
        if symbol in text:
            text = re.sub(f"[{re.escape(symbol)}]([a-z])", f"{letter}\\1", text)
    words = text.translate(_ascii_table()).split()
    return " ".join(skeleton_token(w, rules) for w in words)


# ---------------------------------------------------------------------- hidden marks


def name_marks_array(arr: StringLike) -> pa.StructArray:
    """Per string: does it hide or reorder text? Fields are ``MARK_FIELDS``.

    ``has_bidi``: a bidi embedding, override or isolate (U+202A-U+202E,
    U+2066-U+2069), the classic ``clip\\u202Egpj.exe`` trick; the direction marks
    U+200E/F and U+061C are ordinary in right-to-left text and do not count.
    ``has_zero_width``: U+200B-U+200D, U+2060, U+FEFF. ``has_trailing_dot_space``:
    the name or a ``/``-separated component ends in ``.`` or a space, which Windows
    drops when it writes the file. ``has_control``: a C0 control, DEL or a C1
    control. Null in, null out.
    """
    a = as_string_array(arr)
    false = pa.repeat(FALSE, len(a))
    bidi, zero_width, c1 = _non_ascii_marks(a, false)
    c0 = _rows_with_bytes(a, _CONTROL_BYTES)
    control = c1 if c0 is None else pc.or_(c0, c1)
    fields = [bidi, zero_width, _trailing_dot_space(a), control]
    fields = [pc.fill_null(f, False) for f in fields]
    return pa.StructArray.from_arrays(fields, names=list(MARK_FIELDS), mask=pc.is_null(a))


def _non_ascii_marks(
    a: pa.StringArray, false: pa.BooleanArray
) -> tuple[pa.BooleanArray, pa.BooleanArray, pa.BooleanArray]:
    """Bidi, zero-width and C1 marks: regexes over the strings that can hold one.

    In UTF-8 every character they look for starts with byte 0xE2 (U+2000-U+2FFF),
    0xEF (U+F000-U+FFFF) or 0xC2 (U+0080-U+00BF), so only strings with such a byte are
    searched: Cyrillic, Greek, CJK or accented text without them is never scanned.
    """
    if not _has_high_bytes(a):
        return false, false, false
    foreign = _rows_with_bytes(a, _MARK_LEAD_BYTES)
    if foreign is None:
        return false, false, false
    foreign = pc.fill_null(foreign, False)
    sub = a.filter(foreign)
    return tuple(
        pc.replace_with_mask(false, foreign, pc.match_substring_regex(sub, pattern))
        for pattern in (_BIDI_RE2, _ZERO_WIDTH_RE2, _C1_RE2)
    )


def _trailing_dot_space(a: pa.StringArray) -> pa.BooleanArray:
    """The last byte is ``.``/space, or some ``.``/space is followed by ``/``."""
    data = _data(a)
    if not len(data):
        return pa.repeat(FALSE, len(a))
    offsets = _offsets(a)
    ends = pc.subtract(offsets.slice(1), INT_1)
    nonempty = pc.greater(pc.binary_length(a), INT_0)
    last = pc.take(data, pc.if_else(nonempty, ends, pa.scalar(None, pa.int32())))
    ending = pc.equal(pc.take(_lut(_END_DOT_SPACE), last), _INT_0X80)
    if not _any_byte_pair(data, b". ", b"/"):
        return pc.fill_null(ending, False)
    inner = pc.match_substring_regex(a, "[. ]/")
    return pc.fill_null(pc.or_(ending, inner), False)


@functools.cache
def _pair_lut(firsts: bytes, seconds: bytes) -> pa.UInt8Array:
    """65,536 entries, one per byte pair read as a native-endian ``uint16``."""
    table = bytearray(65536)
    for a in firsts:
        for b in seconds:
            table[(a | b << 8) if sys.byteorder == "little" else (a << 8 | b)] = 1
    return pa.array(table, pa.uint8())


def _any_byte_pair(data: pa.UInt8Array, firsts: bytes, seconds: bytes) -> bool:
    """Is a byte of ``firsts`` directly followed by one of ``seconds`` anywhere?

    The bytes are read as native-endian ``uint16`` pairs twice: as they lie (pairs
    starting at even positions) and from an aligned copy shifted by one byte.
    """
    lut = _pair_lut(firsts, seconds)
    shifted = pa.concat_arrays([data.slice(1), pa.array([0], pa.uint8())])
    for view in (data, shifted):
        pairs = pa.Array.from_buffers(pa.uint16(), len(view) // 2, [None, view.buffers()[1]])
        if len(pairs) and pc.max(pc.take(lut, pairs)).as_py():
            return True
    return False


def name_marks(s: str) -> dict[str, bool]:
    """``name_marks_array`` for one string, as a dict (Python, tested to agree)."""
    return {
        "has_bidi": any(c in BIDI_CONTROL_CHARS for c in s),
        "has_zero_width": any(c in ZERO_WIDTH_CHARS for c in s),
        "has_trailing_dot_space": any(p.endswith((".", " ")) for p in s.split("/")),
        "has_control": any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s),
    }


# --------------------------------------------------------------------- display


def _needs_escape(char: str) -> bool:
    if char in BIDI_CHARS or char in ZERO_WIDTH_CHARS or char in INVISIBLE_CHARS:
        return True
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or (
        category == "Zs" and char != " "
    )


def display_safe(s: str) -> str:
    """``s`` with invisible and reordering characters shown as ``<U+202E>``.

    For terminals and CSV files read by people: bidi controls, zero-width and
    other format characters, controls (tab and newline included), unassigned and
    private-use code points, spaces other than U+0020, and letters that render as
    nothing. A literal ``<U+`` in the text is escaped as ``<U+003C>U+`` so that an
    escape in the output always means a hidden character in the input.
    """
    if s.isascii() and s.isprintable() and "<U+" not in s:
        return s
    out = []
    for i, char in enumerate(s):
        if _needs_escape(char) or (char == "<" and s.startswith("U+", i + 1)):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)


def client_text(reported: str, raw: bytes | None) -> str:
    """What a client shows for a name: its raw bytes decoded leniently (U+FFFD for a
    byte that is not UTF-8) when the torrent's bytes differ from libtorrent's report,
    which drops bidi controls and rewrites what it cannot decode; else the report."""
    return reported if raw is None else raw.decode("utf-8", "replace")


def display_name(reported: str, raw: bytes | None = None, other: bytes | None = None) -> str:
    """A torrent's name for a person: what a client shows (``client_text``), made
    display-safe, then the torrent's other name key when it reads differently, so a
    hidden character in either key is visible (``Clip<U+202E>gpj.exe``)."""
    shown = display_safe(client_text(reported, raw))
    if other is None:
        return shown
    alternative = display_safe(other.decode("utf-8", "replace"))
    return shown if alternative == shown else f"{shown} (other name key: {alternative})"
