"""Predicates: one frozen dataclass per YAML keyword, registered in ``rules.registry``.

Each class reads its YAML value with ``from_dict`` (recording problems, returning
``None`` when the value is wrong), says what it accepts with ``json_schema`` (the
pack schema is generated from these) and compiles to a DuckDB boolean expression
with the pure ``sql()``. Expressions read the torrent alias ``t`` (``torrents``);
file predicates use a correlated ``EXISTS`` over ``files f`` (pad files left out).
``evidence_sql()`` (pure too) is the DuckDB expression of the JSON value showing why
the predicate holds for ``t`` (the columns it read, or the files that matched), so
``torrentwatch flag`` computes evidence set-wise in the same query as the match; the
classmethod ``describe`` reads that value back in words for ``explain``, so the shape
of the JSON is known in one place. ``args()`` are the arguments stored beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from parsers.extensions import KINDS, taxonomy
from parsers.normalize import client_text, display_safe
from parsers.release import CATEGORIES, vocabulary
from rules import values as v
from rules.source import KeyPath


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lits(items: tuple[str, ...]) -> str:
    return ", ".join(lit(i) for i in items)


# Above this many values DuckDB turns ``x IN (...)`` into a join against the list and
# evaluates it for every row, before cheaper filters (a file's shown extension against
# 300 media extensions: 0.13 s over 537,000 files, 0.01 s as list_contains).
LONG_IN = 50


def one_of(expr: str, items: tuple[str, ...]) -> str:
    """``expr`` is one of ``items``: ``IN`` for a short list, ``list_contains`` for a
    long one (the same truth for a non-NULL ``expr``; NULL is false either way where
    rules read it, inside ``coalesce`` or a WHERE)."""
    if len(items) > LONG_IN:
        return f"list_contains([{lits(items)}], {expr})"
    return f"{expr} IN ({lits(items)})"


def _bounds_sql(column: str, low: Any, high: Any) -> str:
    parts = []
    if low is not None:
        parts.append(f"{column} >= {low!r}")
    if high is not None:
        parts.append(f"{column} <= {high!r}")
    return " AND ".join(parts) if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


# Files listed in one predicate's evidence; the count says how many matched in all.
EVIDENCE_FILES = 20


@dataclass(frozen=True, slots=True)
class EvidenceContext:
    """What a reader of stored evidence knows beyond it: the torrent's raw file paths
    by index, where they differ from libtorrent's text (evidence written before
    ``raw_path`` was stored holds the text only)."""

    raw_paths: Mapping[int, bytes] = field(default_factory=dict)


def _columns_json(columns: tuple[str, ...] | list[str]) -> str:
    """A JSON object of torrent columns by name: the facts a torrent predicate read."""
    return "json_object(" + ", ".join(f"{lit(c)}, t.{c}" for c in columns) + ")"


def columns_words(values: Mapping[str, Any], percent: str = "") -> list[str]:
    """``_columns_json`` in words: ``column = value``, columns starting with ``percent``
    (shares, 0-1) shown as percentages."""
    parts = []
    for column, value in values.items():
        if percent and column.startswith(percent) and value is not None:
            value = f"{value:.0%}"
        parts.append(f"{column} = {value}")
    return [display_safe(", ".join(parts))]


def _files_json(condition: str) -> str:
    """The matching non-pad files (index, path, extension chain) as JSON, the first
    ``EVIDENCE_FILES`` by index, with their total count. ``raw_path`` is the torrent's
    own path when libtorrent's differs (it drops bidi controls, the very evidence)."""
    item = (
        "{'file_index': f.file_index, 'path': f.path,"
        " 'raw_path': try(decode(f.path_raw)), 'exts': f.exts}"
    )
    return (
        "(SELECT json_object('count', count(*), 'files',"
        f" to_json(list_slice(list({item} ORDER BY f.file_index), 1, {EVIDENCE_FILES})))"
        " FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        f" AND {condition})"
    )


def files_words(values: Mapping[str, Any], context: EvidenceContext) -> list[str]:
    """``_files_json`` in words: how many files matched, then each listed file as a
    client shows its path (raw bytes where they differ), made display-safe."""
    lines = [f"{values.get('count', 0)} matching file(s)"]
    for item in values.get("files") or []:
        exts = ".".join(item["exts"] or [])
        raw = item.get("raw_path")
        if raw is None:  # evidence holds text only: bytes that are not UTF-8 come
            # from the files table, decoded as a client would (U+FFFD for a bad byte)
            raw = client_text(item["path"], context.raw_paths.get(item["file_index"]))
        lines.append(f"file {item['file_index']}: {display_safe(raw)} [{exts}]")
    return lines


# How every file predicate asks "some non-pad file of ``t`` meets a condition": the
# flag stage finds this text in compiled rules and answers all of them from one pass
# over ``files`` (``rules.compile.file_facts_sql``), so it must stay the one spelling.
FILES_EXIST = "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad AND "


def _files_exist(condition: str) -> str:
    return f"{FILES_EXIST}{condition})"


def tokens_sql(column: str, words: tuple[str, ...], *, text: str | None = None) -> str:
    """Any token of the ``column`` list equals a word (``*`` matches any run of
    letters/digits). ``text``: the same tokens as one space-separated string, when
    the caller has it (a path's ``path_norm``), so no list is built per row.

    One RE2 alternation over the tokens joined by spaces, each word between spaces or
    the ends: ``list_has_any`` against a list of a hundred words cost about 10 µs a
    row (a set built per row), 40 times the regular expression (BENCHMARKS.md)."""
    joined = text if text is not None else f"array_to_string({column}, ' ')"
    alternation = "|".join(_word_re(w) for w in dict.fromkeys(words))
    return f"regexp_matches({joined}, {lit(f'(^| )({alternation})( |$)')})"


def _word_re(word: str) -> str:
    """A word as RE2: literal text, ``*`` any run of characters within one token."""
    return "[^ ]*".join(re.escape(part) for part in word.split("*"))


def read_final(ctx: v.Ctx, value: object, path: KeyPath) -> tuple[str, ...] | None:
    """A ``final:`` argument: ``exec_or_shortcut`` (the program and shortcut extensions)
    or a list of extensions; None, with the problem recorded, for anything else."""
    if value == "exec_or_shortcut":
        return v.exec_or_shortcut()
    if isinstance(value, str):
        ctx.error(
            "rules.bad_value",
            path,
            f"{v.shown(value)}: write exec_or_shortcut or a list of extensions",
        )
        return None
    return v.exts(ctx, value, path)


def _bounds_schema(kind: str) -> dict:
    if kind == "share":
        number = {"type": "number", "minimum": 0, "maximum": 1}
    elif kind == "count":
        number = {"type": "integer", "minimum": 0, "maximum": v.MAX_COUNT}
    else:
        number = {"$ref": "#/$defs/size"}
    return {"at_least": number, "at_most": number}


def _object(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    out = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def _enum_list(values: tuple[str, ...]) -> dict:
    return {"type": "array", "minItems": 1, "items": {"enum": list(values)}}


_STR_LIST = {"type": "array", "minItems": 1, "items": {"type": "string"}}
_ANY_BOUND = [{"required": ["at_least"]}, {"required": ["at_most"]}]


def bare_on(value: Any) -> Any:
    """YAML 1.1 reads a bare ``on`` key as the boolean true; read it back as "on"."""
    if isinstance(value, dict) and True in value:
        return {("on" if k is True else k): x for k, x in value.items()}
    return value


class Predicate:
    """Base of every predicate; subclasses set ``keyword`` and implement ``from_dict``,
    ``json_schema``, ``sql``, ``evidence_sql`` and ``describe`` (its evidence in words:
    a predicate without words cannot be registered: tests/test_rules_describe.py checks)."""

    keyword: ClassVar[str]
    # What its verdict and evidence for a torrent depend on besides the rule: "torrent"
    # (that torrent's own rows: torrents, files, sightings), "lists" (also the hash
    # lists), "time" (also the clock) or "population" (also every other torrent). An
    # incremental flag run re-evaluates a "torrent" predicate only for torrents that
    # changed, and a "time" or "population" one everywhere (torrentwatch.flag).
    reads: ClassVar[str] = "torrent"

    @classmethod
    def from_dict(cls, ctx: v.Ctx, value: Any, path: KeyPath) -> Predicate | None:
        raise NotImplementedError

    @classmethod
    def json_schema(cls) -> dict:
        raise NotImplementedError

    def sql(self) -> str:
        raise NotImplementedError

    def evidence_sql(self) -> str:
        raise NotImplementedError

    def args(self) -> dict[str, Any]:
        """The arguments stored in evidence beside the values (all fields by default)."""
        return asdict(self)

    @classmethod
    def describe(
        cls, args: Mapping[str, Any], values: Mapping[str, Any], context: EvidenceContext
    ) -> list[str]:
        """The ``values`` this predicate's ``evidence_sql`` wrote (with the ``args``
        stored beside them), in words: a summary, then one line per item it lists
        (file, sighting, match), unindented. A classmethod: a flag's evidence outlives
        the rule that raised it."""
        raise NotImplementedError


class _TorrentColumns(Predicate):
    """A predicate over columns of the torrent row itself: its evidence is those
    columns' values, said as ``column = value``."""

    __slots__ = ()

    def evidence_columns(self) -> tuple[str, ...]:
        return (self.column,)

    def evidence_sql(self):
        return _columns_json(self.evidence_columns())

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values)


class _FileCondition(Predicate):
    """A predicate over the torrent's files: some non-pad file meets ``condition()``;
    its evidence is those files, said as a count and one line per file."""

    __slots__ = ()

    def condition(self) -> str:
        raise NotImplementedError

    def sql(self):
        return _files_exist(self.condition())

    def evidence_sql(self):
        return _files_json(self.condition())

    @classmethod
    def describe(cls, args, values, context):
        return files_words(values, context)


@dataclass(frozen=True, slots=True)
class _Claimed(_TorrentColumns):
    values: tuple[str, ...]
    column: ClassVar[str]
    what: ClassVar[str]

    @classmethod
    def allowed(cls) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("in",), ("in",))
        if body is None or "in" not in body:
            return None
        found = v.choices(ctx, body["in"], (*path, "in"), cls.allowed(), cls.what)
        return None if found is None else cls(found)

    @classmethod
    def json_schema(cls):
        return _object({"in": _enum_list(cls.allowed())}, ("in",))

    def sql(self):
        return f"t.{self.column} IN ({lits(self.values)})"


@dataclass(frozen=True, slots=True)
class ClaimedPlatform(_Claimed):
    """The platform the name claims is one of ``in`` (ids of release_tags.yaml)."""

    keyword = "claimed.platform"
    column = "claimed_platform"
    what = "platform"

    @classmethod
    def allowed(cls):
        return v.platforms()


@dataclass(frozen=True, slots=True)
class ClaimedCategory(_Claimed):
    """The category the name claims is one of ``in``."""

    keyword = "claimed.category"
    column = "claimed_category"
    what = "category"

    @classmethod
    def allowed(cls):
        return CATEGORIES


@dataclass(frozen=True, slots=True)
class ClaimedNature(_Claimed):
    """The nature the name declares for its payload is one of ``in`` (``natures`` of
    release_tags.yaml: textures, soundtrack, gameplay_video, …); NULL never matches."""

    keyword = "claimed.nature"
    column = "claimed_nature"
    what = "nature"

    @classmethod
    def allowed(cls):
        return tuple(sorted(vocabulary().natures))


@dataclass(frozen=True, slots=True)
class VideoAboutGame(_TorrentColumns):
    """The name says (true) or does not say (false) it is video/audio about a game."""

    keyword = "video_about_game"
    value: bool

    @classmethod
    def from_dict(cls, ctx, value, path):
        found = v.boolean(ctx, value, path)
        return None if found is None else cls(found)

    @classmethod
    def json_schema(cls):
        return {"type": "boolean"}

    def sql(self):
        return f"coalesce(t.video_about_game, false) = {str(self.value).lower()}"

    def evidence_columns(self):
        return ("video_about_game",)


@dataclass(frozen=True, slots=True)
class _KindBounds(Predicate):
    kinds: tuple[str, ...]
    at_least: float | int | None
    at_most: float | int | None
    prefix: ClassVar[str]
    number: ClassVar[str]

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("kinds", "at_least", "at_most"), ("kinds",))
        if body is None:
            return None
        found = v.kinds(ctx, body["kinds"], (*path, "kinds")) if "kinds" in body else None
        limits = v.bounds(ctx, body, path, cls.number)
        if found is None or limits is None:
            return None
        return cls(found, *limits)

    @classmethod
    def json_schema(cls):
        props = {"kinds": _enum_list(KINDS), **_bounds_schema(cls.number)}
        return _object(props, ("kinds",), anyOf=_ANY_BOUND)

    def sql(self):
        terms = [f"coalesce(t.{self.prefix}{kind}, 0)" for kind in self.kinds]
        total = terms[0] if len(terms) == 1 else "(" + " + ".join(terms) + ")"
        return _bounds_sql(total, self.at_least, self.at_most)

    def evidence_sql(self):
        return _columns_json([f"{self.prefix}{kind}" for kind in self.kinds])


@dataclass(frozen=True, slots=True)
class BytesShare(_KindBounds):
    """Share (0-1) of the non-pad bytes in files of ``kinds``, summed."""

    keyword = "bytes_share"
    prefix = "share_bytes_"
    number = "share"

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values, percent=cls.prefix)


@dataclass(frozen=True, slots=True)
class Count(_KindBounds):
    """Number of non-pad files of ``kinds``, summed."""

    keyword = "count"
    prefix = "count_"
    number = "count"

    def evidence_sql(self):
        # The files themselves say more than the summed count columns.
        return _files_json(f"f.kind IN ({lits(self.kinds)})")

    @classmethod
    def describe(cls, args, values, context):
        return files_words(values, context)


@dataclass(frozen=True, slots=True)
class _TorrentBounds(_TorrentColumns):
    at_least: int | None
    at_most: int | None
    column: ClassVar[str]
    number: ClassVar[str]

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("at_least", "at_most"))
        limits = None if body is None else v.bounds(ctx, body, path, cls.number)
        return None if limits is None else cls(*limits)

    @classmethod
    def json_schema(cls):
        return _object(_bounds_schema(cls.number), anyOf=_ANY_BOUND)

    def sql(self):
        return _bounds_sql(f"t.{self.column}", self.at_least, self.at_most)


@dataclass(frozen=True, slots=True)
class FileCount(_TorrentBounds):
    """Number of real files (pad files left out)."""

    keyword = "file_count"
    column = "file_count"
    number = "count"


@dataclass(frozen=True, slots=True)
class TotalSize(_TorrentBounds):
    """Bytes of the whole torrent."""

    keyword = "total_size"
    column = "total_size"
    number = "size"


@dataclass(frozen=True, slots=True)
class LargestFile(_TorrentBounds):
    """Bytes of the largest non-pad file."""

    keyword = "largest_file"
    column = "largest_file_size"
    number = "size"


@dataclass(frozen=True, slots=True)
class HasFile(_FileCondition):
    """A non-pad file with all of: a kind in ``kind``, an extension in ``ext``, a
    token of its normalised path in ``name_token`` (whole tokens, ``*`` wildcards)."""

    keyword = "has_file"
    kind: tuple[str, ...] = ()
    ext: tuple[str, ...] = ()
    name_token: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("kind", "ext", "name_token"))
        if body is None:
            return None
        if not body:
            ctx.error("rules.missing_key", path, "give kind, ext or name_token")
            return None
        readers = {"kind": v.kinds, "ext": v.exts, "name_token": v.words}
        found = {k: readers[k](ctx, body[k], (*path, k)) for k in readers if k in body}
        if any(x is None for x in found.values()) or len(found) != len(body):
            return None
        return cls(**found)

    @classmethod
    def json_schema(cls):
        props = {
            "kind": _enum_list(KINDS),
            "ext": {**_STR_LIST, "items": {"type": "string", "pattern": v.EXT_PATTERN}},
            "name_token": {**_STR_LIST, "items": {"type": "string", "pattern": v.WORD_PATTERN}},
        }
        return _object(props, minProperties=1)

    def condition(self) -> str:
        parts = []
        if self.kind:
            parts.append(f"f.kind IN ({lits(self.kind)})")
        if self.ext:
            parts.append(one_of("f.ext", self.ext))
        if self.name_token:
            parts.append(
                tokens_sql("string_split(f.path_norm, ' ')", self.name_token, text="f.path_norm")
            )
        return " AND ".join(parts)


@dataclass(frozen=True, slots=True)
class NoFile(HasFile):
    """No non-pad file matches (``has_file`` negated; true for magnet-only rows)."""

    keyword = "no_file"

    def sql(self):
        return f"NOT {_files_exist(self.condition())}"


_MARKS = ("bidi", "zero_width", "trailing_dot_space", "control")


@dataclass(frozen=True, slots=True)
class NameMarks(_TorrentColumns):
    """Hidden-character marks of the name: each listed mark present (true) or absent
    (false); all listed must hold. Use ``any:`` for either-or."""

    keyword = "name_marks"
    marks: tuple[tuple[str, bool], ...]

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, _MARKS)
        if body is None:
            return None
        if not body:
            ctx.error("rules.missing_key", path, f"give one or more of {', '.join(_MARKS)}")
            return None
        found = [(k, v.boolean(ctx, body[k], (*path, k))) for k in _MARKS if k in body]
        if any(b is None for _, b in found) or len(found) != len(body):
            return None
        return cls(tuple(found))

    @classmethod
    def json_schema(cls):
        return _object({m: {"type": "boolean"} for m in _MARKS}, minProperties=1)

    def terms(self, column_prefix: str) -> str:
        parts = [
            f"{'' if want else 'NOT '}coalesce({column_prefix}{mark}, false)"
            for mark, want in self.marks
        ]
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def sql(self):
        return self.terms("t.name_has_")

    def evidence_columns(self):
        return tuple(f"name_has_{mark}" for mark, _ in self.marks)


@dataclass(frozen=True, slots=True)
class FileMarks(_FileCondition, NameMarks):
    """A non-pad file whose path has all the listed marks (as ``name_marks``)."""

    keyword = "file_marks"

    def condition(self) -> str:
        return self.terms("f.has_")


def exts_of_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The listed extensions of ``file_kinds.yaml`` of those kinds, sorted."""
    kind_of = taxonomy().kind_of_ext
    return tuple(sorted(e for e, k in kind_of.items() if k in kinds))


@dataclass(frozen=True, slots=True)
class DoubleExtension(_FileCondition):
    """A non-pad file whose extension chain has two or more parts and ends in one of
    ``final``: a list of extensions, or ``exec_or_shortcut`` (file_kinds.yaml). With
    ``shown`` (kinds), the part before the final one, the extension a reader sees when
    the final one is hidden, must be of one of those kinds: "clip.avi.exe" shows a
    video, while "Visit site.com.url" (com, a domain) or "Tool.v2.exe" show none."""

    keyword = "double_extension"
    final: tuple[str, ...]
    shown: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("final", "shown"), ("final",))
        if body is None or "final" not in body:
            return None
        shown: tuple[str, ...] | None = ()
        if "shown" in body:
            shown = v.kinds(ctx, body["shown"], (*path, "shown"))
        final = read_final(ctx, body["final"], (*path, "final"))
        return None if final is None or shown is None else cls(final, shown)

    @classmethod
    def json_schema(cls):
        ext_list = {**_STR_LIST, "items": {"type": "string", "pattern": v.EXT_PATTERN}}
        return _object(
            {
                "final": {"oneOf": [{"const": "exec_or_shortcut"}, ext_list]},
                "shown": _enum_list(KINDS),
            },
            ("final",),
        )

    def condition(self) -> str:
        out = f"len(f.exts) >= 2 AND {one_of('f.ext', self.final)}"
        if self.shown:
            out += f" AND {one_of('f.exts[-2]', exts_of_kinds(self.shown))}"
        return out

    @classmethod
    def describe(cls, args, values, context):
        lines = files_words(values, context)
        if args.get("shown"):
            lines[0] += f" (an extension of kind {', '.join(args['shown'])} shown first)"
        return lines


# A zero-width character (the set of parsers.normalize's ``has_zero_width`` mark)
# with Latin-script text or ASCII (letters, digits, dot, space, punctuation) on both
# sides, runs of them counted as one.
_LATIN_SIDE = r"[\x{20}-\x{7E}\p{Latin}]"
HIDDEN_ZERO_WIDTH_RE2 = _LATIN_SIDE + r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}]+" + _LATIN_SIDE
ZERO_WIDTH_ON = ("name", "paths", "any")
# The text a client shows: libtorrent's report drops zero-width characters, the
# torrent's own bytes (stored where they differ) keep them. Bytes that are not UTF-8
# fall back to the report.
_NAME_TEXT = "coalesce(try(decode(t.name_raw)), t.name)"
_PATH_TEXT = "coalesce(try(decode(f.path_raw)), f.path)"


@dataclass(frozen=True, slots=True)
class HiddenZeroWidth(Predicate):
    """A zero-width character (U+200B-U+200D, U+2060, U+FEFF) inside Latin-script or
    ASCII text, in the name (``on: name``), a non-pad file path (``paths``) or either
    (``any``). There it has no typographic work to do: it hides an extension
    ("clip.mp4<ZWSP>.exe", "d<ZWSP>ocx") or splits a word against matching. The
    non-joiner and joiner that Persian, Indic scripts and emoji need sit between
    their own script's characters and do not count. ``final`` (paths only) asks the
    file's final extension to be one of a list, or ``exec_or_shortcut``. Only names
    and paths with the parser's ``zero_width`` mark are searched."""

    keyword = "hidden_zero_width"
    on: str = "any"
    final: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, bare_on(value), path, ("on", "final"))
        if body is None:
            return None
        on = body.get("on", "any")
        if on not in ZERO_WIDTH_ON:
            ctx.error(
                "rules.bad_value",
                (*path, "on"),
                f"{v.shown(on)}: on is one of {', '.join(ZERO_WIDTH_ON)}",
            )
            return None
        final: tuple[str, ...] | None = ()
        if "final" in body:
            if on != "paths":
                ctx.error(
                    "rules.bad_value", (*path, "final"), "final asks about files: write on: paths"
                )
                return None
            final = read_final(ctx, body["final"], (*path, "final"))
        return None if final is None else cls(on, final)

    @classmethod
    def json_schema(cls):
        ext_list = {**_STR_LIST, "items": {"type": "string", "pattern": v.EXT_PATTERN}}
        return _object(
            {
                "on": {"enum": list(ZERO_WIDTH_ON)},
                "final": {"oneOf": [{"const": "exec_or_shortcut"}, ext_list]},
            }
        )

    def _name(self) -> str:
        return (
            "(coalesce(t.name_has_zero_width, false)"
            f" AND regexp_matches({_NAME_TEXT}, {lit(HIDDEN_ZERO_WIDTH_RE2)}))"
        )

    def _file(self) -> str:
        out = (
            "coalesce(f.has_zero_width, false)"
            f" AND regexp_matches({_PATH_TEXT}, {lit(HIDDEN_ZERO_WIDTH_RE2)})"
        )
        if self.final:
            out = f"{one_of('f.ext', self.final)} AND {out}"
        return out

    def sql(self):
        if self.on == "name":
            return self._name()
        if self.on == "paths":
            return _files_exist(self._file())
        return f"({self._name()} OR {_files_exist(self._file())})"

    def evidence_sql(self):
        name = f"json_object('name', CASE WHEN {self._name()} THEN {_NAME_TEXT} END)"
        if self.on == "name":
            return name
        files = _files_json(self._file())
        if self.on == "paths":
            return files
        return f"json_object('name', {name}, 'paths', {files})"

    @classmethod
    def describe(cls, args, values, context):
        def name_words(found: Mapping[str, Any]) -> str:
            name = found.get("name")
            if name is None:
                return "the name has none"
            return f"name {display_safe(name)}"

        if args.get("on") == "paths":
            return files_words(values, context)
        if args.get("on") == "any":
            files = files_words(values.get("paths") or {}, context)
            return [f"{name_words(values.get('name') or {})}; {files[0]}", *files[1:]]
        return [name_words(values)]


_MATCH = {
    "infohash": ("infohash_v1", "infohash_v2"),
    "pieces_root": ("pieces_root",),
    "any": ("infohash_v1", "infohash_v2", "pieces_root"),
}


# ``known_list: {list: any}`` matches every loaded list.
ANY_LIST = "any"


@dataclass(frozen=True, slots=True)
class KnownList(Predicate):
    """The torrent (``infohash``), one of its files (``pieces_root``) or either
    (``any``) is on the latest version of hash list ``list``; ``list: any`` means the
    latest version of every loaded list (so no list can be named ``any``)."""

    keyword = "known_list"
    reads = "lists"
    list: str
    match: str = "any"

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("list", "match"), ("list",))
        if body is None or "list" not in body:
            return None
        name = v.string(ctx, body["list"], (*path, "list"), v.LIST_NAME_PATTERN)
        match = body.get("match", "any")
        if match not in _MATCH:
            ctx.error(
                "rules.bad_value",
                (*path, "match"),
                f"{v.shown(match)}: match is one of {', '.join(_MATCH)}",
            )
            return None
        return None if name is None else cls(name, match)

    @classmethod
    def json_schema(cls):
        props = {
            "list": {"type": "string", "pattern": v.LIST_NAME_PATTERN},
            "match": {"enum": list(_MATCH)},
        }
        return _object(props, ("list",))

    def _where(self) -> str:
        named = "" if self.list == ANY_LIST else f" AND m.list_name = {lit(self.list)}"
        return f"m.infohash = t.infohash{named} AND m.kind IN ({lits(_MATCH[self.match])})"

    def sql(self):
        return f"EXISTS (SELECT 1 FROM torrent_hash_list_matches m WHERE {self._where()})"

    def evidence_sql(self):
        item = (
            "{'list': m.list_name, 'version': m.list_version, 'kind': m.kind, 'hash': m.hash,"
            " 'label': m.label, 'file_index': m.file_index, 'path': m.path}"
        )
        return (
            f"(SELECT json_object('matches', to_json(list({item}"
            " ORDER BY m.kind, m.hash, m.file_index)))"
            f" FROM torrent_hash_list_matches m WHERE {self._where()})"
        )

    @classmethod
    def describe(cls, args, values, context):
        matches = values.get("matches") or []
        lines = ["on a known list" if matches else "on no known list"]
        for m in matches:
            where = f" (file {m['file_index']}: {display_safe(m['path'])})" if m["path"] else ""
            lines.append(f"list {m['list']} v{m['version']}: {m['kind']} {m['hash']}{where}")
        return lines


@dataclass(frozen=True, slots=True)
class WholeToken(Predicate):
    """A token of the normalised name (``name_tokens``) equals one of the words;
    ``*`` matches any run of letters/digits (``kart*`` matches ``karts``)."""

    keyword = "whole_token"
    words: tuple[str, ...]

    @classmethod
    def from_dict(cls, ctx, value, path):
        found = v.words(ctx, value, path)
        return None if found is None else cls(found)

    @classmethod
    def json_schema(cls):
        return {**_STR_LIST, "items": {"type": "string", "pattern": v.WORD_PATTERN}}

    def sql(self):
        # ``name_tokens`` is ``name_norm`` split at its single spaces (both written by
        # parsers.columnar from one string), so the joined tokens ARE ``name_norm``:
        # read it, not the list, which costs a list fetch and a join on every row
        # (60% of a torrent-only rule's scan, BENCHMARKS.md issue 14).
        return tokens_sql("t.name_tokens", self.words, text="t.name_norm")

    def evidence_sql(self):
        matched = tokens_sql("[tok]", self.words)
        return f"json_object('name_tokens', list_filter(t.name_tokens, lambda tok: {matched}))"

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values)


# A source's category as whole tokens: lower case, accents stripped, split at anything
# that is not a letter or digit ("Games > PS2" -> games, ps2), empty pieces dropped.
SOURCE_CATEGORY_TOKENS = (
    "list_filter(string_split_regex(strip_accents(lower(o.category)), '[^a-z0-9]+'),"
    " lambda x: x != '')"
)


@dataclass(frozen=True, slots=True)
class SourceCategory(Predicate):
    """A source that saw the torrent (any row of ``observations``) called its category
    something with a token equal to one of the words (``*`` wildcards, as
    ``whole_token``); a torrent no source gave a category for does not match."""

    keyword = "source_category"
    words: tuple[str, ...]

    @classmethod
    def from_dict(cls, ctx, value, path):
        found = v.words(ctx, value, path)
        return None if found is None else cls(found)

    @classmethod
    def json_schema(cls):
        return {**_STR_LIST, "items": {"type": "string", "pattern": v.WORD_PATTERN}}

    def condition(self) -> str:
        return f"o.category IS NOT NULL AND {tokens_sql(SOURCE_CATEGORY_TOKENS, self.words)}"

    def sql(self):
        return (
            "EXISTS (SELECT 1 FROM observations o WHERE o.infohash = t.infohash"
            f" AND {self.condition()})"
        )

    def evidence_sql(self):
        item = "{'source': o.source, 'source_ref': o.source_ref, 'category': o.category}"
        return (
            "(SELECT json_object('count', count(*), 'observations',"
            f" to_json(list_slice(list(DISTINCT {item} ORDER BY {item}), 1, {EVIDENCE_FILES})))"
            f" FROM observations o WHERE o.infohash = t.infohash AND {self.condition()})"
        )

    @classmethod
    def describe(cls, args, values, context):
        lines = [f"{values.get('count', 0)} matching sighting(s)"]
        for item in values.get("observations") or []:
            lines.append(
                f"source {display_safe(item['source'])} ({display_safe(item['source_ref'])})"
                f" said category {display_safe(item['category'] or '')!r}"
            )
        return lines


# Text predicates (regular expressions, fuzzy term lists) live in rules.text_predicates;
# the keyword registry that joins both is rules.registry.PREDICATES.
