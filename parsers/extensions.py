"""File extensions: the whole extension chain of a path, and the kind of file it is.

The taxonomy is data (``parsers/data/file_kinds.yaml``); this module only reads it.
The chain matters because the oldest disguise is a second extension: ``clip.avi.exe``
shows as a video to a careless reader and runs as a program. A part of a name counts
as an extension only when the taxonomy knows it, except the final part, which counts
when it looks like one (1-8 ASCII letters or digits): ``Kart.Racer.2023.mkv`` has
the chain ``["mkv"]``, ``movie.avi.exe`` has ``["avi", "exe"]``.

The vectorised path handles the common case (one extension) with one RE2 extract and
one end-anchored RE2 match; only paths whose chain may be longer, or whose stem is all
dots, go through the Python reference ``chain_of_name`` (over distinct values).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from parsers.normalize import (
    INT_0,
    INT_1,
    INVISIBLE_CHARS,
    ZERO_WIDTH_CHARS,
    StringLike,
    as_string_array,
)
from parsers.taxonomy import (
    DataFile,
    expect_list,
    expect_mapping,
    load_data,
    raise_if_errors,
)

KINDS: tuple[str, ...] = (
    "video",
    "image",
    "audio",
    "archive",
    "disc_image",
    "game_package",
    "executable",
    "document",
    "subtitle",
    "text",
    "other",
)

_EXT = "[a-z0-9]{1,8}"
_EXT_RE = re.compile(_EXT)
_LISTED_RE = re.compile("[a-z0-9]{1,16}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# The final extension: a dot, 1-8 ASCII alphanumerics, then only dots/spaces to the end.
_LAST_RE2 = rf"\.(?P<ext>{_EXT})[. ]*$"

# The parts before the final extension are read as a client shows them: characters
# that render as nothing (zero-width, direction marks, soft hyphen, blank letters)
# are dropped, so ``photo.jp<U+200B>g.exe`` reads ``jpg.exe``, and spaces other than
# U+0020 (no-break, en/em/thin, ideographic) are padding like underscores, pushing
# the real extension out of sight (``clip.gif<U+2002><U+2002>.scr``). The final
# extension is read as the system reads it, to say what runs: such a character
# there spoils it (``name.ex<U+200B>e`` and ``clip.exe<U+3000>`` do not run).
# The hidden-mark columns are computed from the name as written, not from this.
_UNSEEN = ZERO_WIDTH_CHARS + INVISIBLE_CHARS + "\u200e\u200f\u061c\u00ad"
_WIDE_SPACES = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_AS_SHOWN = str.maketrans(dict.fromkeys(_UNSEEN) | dict.fromkeys(_WIDE_SPACES, "_"))
_AS_SHOWN_RE2 = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in _UNSEEN + _WIDE_SPACES) + "]"


@dataclass(frozen=True, slots=True, eq=False)
class Taxonomy:
    """The compiled contents of ``file_kinds.yaml``, with the Arrow lookup arrays."""

    kind_of_ext: dict[str, str]
    patterns: tuple[tuple[str, str], ...]
    exec_or_shortcut: frozenset[str]
    ext_values: pa.StringArray
    kind_values: pa.StringArray
    tricky_re2: str


def _tricky_re2(known: list[str]) -> str:
    """Paths whose chain is not just the last part: a listed extension before it, or
    a stem of dots only (``.hidden``). ``chain_of_name`` decides those."""
    alternation = "|".join(sorted(known, key=lambda e: (-len(e), e)))
    return rf"(?:(?:^|/)\.*|\.(?:{alternation})[ _]*)\.{_EXT}[. ]*$"


def compile_taxonomy(doc: DataFile) -> Taxonomy:
    """Check and compile a file-kind data file; all problems are reported at once."""
    errors: list[str] = []
    top = expect_mapping(doc, (), doc.data, errors)
    kind_of_ext: dict[str, str] = {}
    first_seen: dict[str, tuple] = {}
    for kind, exts in expect_mapping(doc, ("kinds",), top.get("kinds"), errors).items():
        if kind not in KINDS:
            errors.append(doc.problem(("kinds", kind), f"unknown kind {kind!r}; kinds: {KINDS}"))
            continue
        for i, ext in enumerate(expect_list(doc, ("kinds", kind), exts, errors)):
            path = ("kinds", kind, i)
            if not _valid_ext(doc, path, ext, errors):
                continue
            if ext in kind_of_ext:
                errors.append(
                    doc.problem(
                        path,
                        f"extension {ext!r} listed twice (first under {kind_of_ext[ext]!r} "
                        f"at {doc.where(first_seen[ext])})",
                    )
                )
                continue
            kind_of_ext[ext], first_seen[ext] = kind, path
    patterns = _compile_patterns(doc, top.get("patterns"), errors)
    shortcut = expect_list(doc, ("exec_or_shortcut",), top.get("exec_or_shortcut"), errors)
    for i, ext in enumerate(shortcut):
        _valid_ext(doc, ("exec_or_shortcut", i), ext, errors)
    raise_if_errors(doc.name, errors)
    exts = list(kind_of_ext)
    return Taxonomy(
        kind_of_ext=kind_of_ext,
        patterns=patterns,
        exec_or_shortcut=frozenset(map(str, shortcut)),
        ext_values=pa.array(exts, pa.string()),
        kind_values=pa.array([kind_of_ext[e] for e in exts], pa.string()),
        tricky_re2=_tricky_re2(exts),
    )


def _valid_ext(doc: DataFile, path: tuple, ext: object, errors: list[str]) -> bool:
    if not isinstance(ext, str):
        errors.append(doc.problem(path, f"{ext!r} is not a string (quote numeric extensions)"))
        return False
    if not _LISTED_RE.fullmatch(ext):
        errors.append(doc.problem(path, f"{ext!r}: write extensions lower-case, no dot"))
        return False
    return True


def _compile_patterns(doc: DataFile, value: object, errors: list[str]) -> tuple:
    out = []
    for kind, patterns in expect_mapping(doc, ("patterns",), value or {}, errors).items():
        if kind not in KINDS:
            errors.append(doc.problem(("patterns", kind), f"unknown kind {kind!r}"))
            continue
        for i, pattern in enumerate(expect_list(doc, ("patterns", kind), patterns, errors)):
            try:
                re.compile(str(pattern))
            except re.error as exc:
                errors.append(doc.problem(("patterns", kind, i), f"bad regular expression: {exc}"))
                continue
            out.append((kind, str(pattern)))
    return tuple(out)


@functools.cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, loaded on first use."""
    return compile_taxonomy(load_data("file_kinds.yaml"))


# ------------------------------------------------------------------------ chains


def chain_of_name(path: str, known: dict[str, str] | frozenset[str] | None = None) -> list[str]:
    """The Python reference for one path's extension chain.

    The final ``/`` component loses trailing dots and spaces (Windows drops them
    when it writes the file, so ``clip.avi.exe. `` *is* ``clip.avi.exe``) and its
    leading dots (a dot-file's stem, as in ``pathlib``: ``.hidden`` has no
    extension, ``.config.json`` has ``["json"]``). The last part counts when it is
    1-8 ASCII letters or digits; earlier parts only while the taxonomy lists them,
    once padding of spaces or underscores is dropped from their end: padding pushes the
    real extension out of sight in a narrow column (``IMG_1234.jpg      .exe``).
    """
    known = taxonomy().kind_of_ext if known is None else known
    name = path.rsplit("/", 1)[-1].rstrip(". ")
    if not name.isascii():
        stem, dot, last = name.rpartition(".")
        name = stem.translate(_AS_SHOWN) + dot + last
    name = name.translate(_ASCII_LOWER).lstrip(".")
    parts = name.split(".")
    if len(parts) < 2 or not _EXT_RE.fullmatch(parts[-1]):
        return []
    chain = [parts[-1]]
    for part in reversed(parts[1:-1]):
        part = part.rstrip(" _")
        if part not in known:
            break
        chain.append(part)
    return chain[::-1]


def ext_chain_array(paths: StringLike) -> pa.ListArray:
    """The extension chain of each path's final component, lower-case (ASCII only).

    ``movie.avi.exe`` → ``["avi", "exe"]``, ``archive.tar.gz`` → ``["tar", "gz"]``,
    ``Kart.Racer.2023.mkv`` → ``["mkv"]``, ``noext`` and ``.hidden`` → ``[]``.
    Null paths give null. See ``chain_of_name`` for the exact rule.
    """
    a = as_string_array(paths)
    low = pc.ascii_lower(a)
    last = pc.struct_field(pc.extract_regex(low, _LAST_RE2), [0])
    has = pc.is_valid(last)
    ends = pc.cumulative_sum(pc.cast(has, pa.int32()))
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends])
    simple = pa.ListArray.from_arrays(offsets, last.filter(has), mask=pc.is_null(a))
    tricky = pc.fill_null(pc.match_substring_regex(low, taxonomy().tricky_re2), False)
    tricky = pc.or_(tricky, _hides_something(a))
    if not pc.any(tricky).as_py():
        return simple
    distinct = pc.unique(a.filter(tricky))
    chains = pa.array([chain_of_name(p) for p in distinct.to_pylist()], pa.list_(pa.string()))
    return pc.if_else(tricky, pc.take(chains, pc.index_in(a, distinct)), simple)


def _hides_something(a: pa.StringArray) -> pa.BooleanArray:
    """Paths holding a character a client does not show, or a wide space: their
    chain is read by ``chain_of_name`` (rare; the regex runs only when some path is
    not ASCII)."""
    if pc.all(pc.fill_null(pc.string_is_ascii(a), True)).as_py():
        return pa.array([False] * len(a), pa.bool_())
    return pc.fill_null(pc.match_substring_regex(a, _AS_SHOWN_RE2), False)


def ext_chain(path: str) -> list[str]:
    """``ext_chain_array`` for one path: ``chain_of_name``, which the vectorised path
    itself uses for every path whose chain may be longer than one (tested to agree)."""
    return chain_of_name(path)


# ------------------------------------------------------------------------- kinds


def _final_exts(values: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """The last extension of each chain (null for an empty or null chain), or the
    values themselves when they are already single extensions."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_list(values.type) and not pa.types.is_large_list(values.type):
        return as_string_array(values)
    lengths = pc.list_value_length(values)
    ends = pc.subtract(values.offsets.slice(1), INT_1)
    picked = pc.if_else(pc.greater(lengths, INT_0), ends, pa.scalar(None, ends.type))
    return as_string_array(pc.take(values.values, picked))


def kind_array(exts: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """The kind (one of ``KINDS``) of each final extension; unknown → ``"other"``.

    Takes extension chains (``ext_chain_array`` output; the last element decides)
    or plain final extensions. An empty chain or ``""`` is ``"other"``; a null
    chain (a null path) stays null.
    """
    tax = taxonomy()
    rows = exts.combine_chunks() if isinstance(exts, pa.ChunkedArray) else exts
    final = _final_exts(rows)
    kinds = pc.take(tax.kind_values, pc.index_in(final, tax.ext_values))
    unknown = pc.fill_null(pc.and_(pc.is_null(kinds), pc.is_valid(final)), False)
    if tax.patterns and pc.any(unknown).as_py():
        kinds = _kinds_by_pattern(final, kinds, unknown, tax.patterns)
    other = pc.fill_null(kinds, "other")
    return pc.if_else(pc.is_valid(rows), other, pa.scalar(None, pa.string()))


def _kinds_by_pattern(
    final: pa.StringArray,
    kinds: pa.StringArray,
    unknown: pa.BooleanArray,
    patterns: tuple[tuple[str, str], ...],
) -> pa.StringArray:
    """Fill unknown kinds from the whole-extension patterns (split archive parts)."""
    sub = final.filter(unknown)
    found = pa.nulls(len(sub), pa.string())
    for kind, pattern in patterns:
        hit = pc.match_substring_regex(sub, f"^(?:{pattern})$")
        found = pc.if_else(pc.and_(hit, pc.is_null(found)), pa.scalar(kind, pa.string()), found)
    return pc.replace_with_mask(kinds, unknown, found)


def kind_of_ext(ext: str) -> str:
    """The kind of one final extension (``kind_array`` for one value, in Python)."""
    tax = taxonomy()
    kind = tax.kind_of_ext.get(ext)
    if kind is not None:
        return kind
    for pattern_kind, pattern in tax.patterns:
        if ext and re.fullmatch(pattern, ext):
            return pattern_kind
    return "other"


def kind_of(path: str) -> str:
    """The kind of one path: ``kind_array(ext_chain_array([path]))``, in Python."""
    chain = chain_of_name(path)
    return kind_of_ext(chain[-1] if chain else "")


def is_exec_or_shortcut_array(exts: pa.Array | pa.ChunkedArray) -> pa.BooleanArray:
    """Does the final extension run or open something when double-clicked?

    The list is ``exec_or_shortcut`` in ``file_kinds.yaml``: launchable programs,
    scripts and installers plus internet/desktop shortcuts. Null stays null.
    """
    rows = exts.combine_chunks() if isinstance(exts, pa.ChunkedArray) else exts
    final = _final_exts(rows)
    value_set = pa.array(sorted(taxonomy().exec_or_shortcut), pa.string())
    found = pc.fill_null(pc.is_in(final, value_set), False)
    return pc.if_else(pc.is_valid(rows), found, pa.scalar(None, pa.bool_()))


def is_exec_or_shortcut(path: str) -> bool:
    """``is_exec_or_shortcut_array`` for one path's extension chain, in Python."""
    chain = chain_of_name(path)
    return bool(chain) and chain[-1] in taxonomy().exec_or_shortcut
