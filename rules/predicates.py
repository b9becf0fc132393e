"""Predicates: one frozen dataclass per YAML keyword, registered in ``PREDICATES``.

Each class reads its YAML value with ``from_dict`` (recording problems, returning
``None`` when the value is wrong), says what it accepts with ``json_schema`` (the
pack schema is generated from these) and compiles to a DuckDB boolean expression
with the pure ``sql()``. Expressions read the torrent alias ``t`` (``torrents``);
file predicates use a correlated ``EXISTS`` over ``files f`` (pad files left out).
``evidence_sql()`` (pure too) is the DuckDB expression of the JSON value showing why
the predicate holds for ``t`` (the columns it read, or the files that matched), so
``torrentwatch flag`` computes evidence set-wise in the same query as the match.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from parsers.extensions import KINDS
from parsers.normalize import normalize_text, skeleton_text
from parsers.release import CATEGORIES
from rules import values as v
from rules.source import KeyPath


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lits(items: tuple[str, ...]) -> str:
    return ", ".join(lit(i) for i in items)


def _bounds_sql(column: str, low: Any, high: Any) -> str:
    parts = []
    if low is not None:
        parts.append(f"{column} >= {low!r}")
    if high is not None:
        parts.append(f"{column} <= {high!r}")
    return " AND ".join(parts) if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


# Files listed in one predicate's evidence; the count says how many matched in all.
EVIDENCE_FILES = 20


def _columns_json(columns: tuple[str, ...] | list[str]) -> str:
    """A JSON object of torrent columns by name: the facts a torrent predicate read."""
    return "json_object(" + ", ".join(f"{lit(c)}, t.{c}" for c in columns) + ")"


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


def _files_exist(condition: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
        f" AND {condition})"
    )


def tokens_sql(column: str, words: tuple[str, ...]) -> str:
    """Any token of the ``column`` list equals a word (``*`` matches any run of
    letters/digits): exact words → ``list_has_any``, wildcards → ``LIKE`` in a filter."""
    exact = tuple(w for w in words if "*" not in w)
    wild = tuple(w for w in words if "*" in w)
    parts = []
    if exact:
        parts.append(f"list_has_any({column}, [{lits(exact)}])")
    for word in wild:
        pattern = lit(word.replace("*", "%"))
        parts.append(f"len(list_filter({column}, lambda tok: tok LIKE {pattern})) > 0")
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _bounds_schema(kind: str) -> dict:
    if kind == "share":
        number = {"type": "number", "minimum": 0, "maximum": 1}
    elif kind == "count":
        number = {"type": "integer", "minimum": 0}
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


class Predicate:
    """Base of every predicate; subclasses set ``keyword`` and implement the three."""

    keyword: ClassVar[str]

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


@dataclass(frozen=True, slots=True)
class _Claimed(Predicate):
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

    def evidence_sql(self):
        return _columns_json((self.column,))


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
class VideoAboutGame(Predicate):
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

    def evidence_sql(self):
        return _columns_json(("video_about_game",))


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


@dataclass(frozen=True, slots=True)
class Count(_KindBounds):
    """Number of non-pad files of ``kinds``, summed."""

    keyword = "count"
    prefix = "count_"
    number = "count"

    def evidence_sql(self):
        # The files themselves say more than the summed count columns.
        return _files_json(f"f.kind IN ({lits(self.kinds)})")


@dataclass(frozen=True, slots=True)
class _TorrentBounds(Predicate):
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

    def evidence_sql(self):
        return _columns_json((self.column,))


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
class HasFile(Predicate):
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
            parts.append(f"f.ext IN ({lits(self.ext)})")
        if self.name_token:
            parts.append(tokens_sql("string_split(f.path_norm, ' ')", self.name_token))
        return " AND ".join(parts)

    def sql(self):
        return _files_exist(self.condition())

    def evidence_sql(self):
        return _files_json(self.condition())


@dataclass(frozen=True, slots=True)
class NoFile(HasFile):
    """No non-pad file matches (``has_file`` negated; true for magnet-only rows)."""

    keyword = "no_file"

    def sql(self):
        return f"NOT {_files_exist(self.condition())}"


_MARKS = ("bidi", "zero_width", "trailing_dot_space", "control")


@dataclass(frozen=True, slots=True)
class NameMarks(Predicate):
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

    def evidence_sql(self):
        return _columns_json([f"name_has_{mark}" for mark, _ in self.marks])


@dataclass(frozen=True, slots=True)
class FileMarks(NameMarks):
    """A non-pad file whose path has all the listed marks (as ``name_marks``)."""

    keyword = "file_marks"

    def sql(self):
        return _files_exist(self.terms("f.has_"))

    def evidence_sql(self):
        return _files_json(self.terms("f.has_"))


@dataclass(frozen=True, slots=True)
class DoubleExtension(Predicate):
    """A non-pad file whose extension chain has two or more parts and ends in one of
    ``final``: a list of extensions, or ``exec_or_shortcut`` (file_kinds.yaml)."""

    keyword = "double_extension"
    final: tuple[str, ...]

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("final",), ("final",))
        if body is None or "final" not in body:
            return None
        if body["final"] == "exec_or_shortcut":
            return cls(v.exec_or_shortcut())
        if isinstance(body["final"], str):
            ctx.error(
                "rules.bad_value",
                (*path, "final"),
                f"{body['final']!r}: write exec_or_shortcut or a list of extensions",
            )
            return None
        found = v.exts(ctx, body["final"], (*path, "final"))
        return None if found is None else cls(found)

    @classmethod
    def json_schema(cls):
        ext_list = {**_STR_LIST, "items": {"type": "string", "pattern": v.EXT_PATTERN}}
        return _object({"final": {"oneOf": [{"const": "exec_or_shortcut"}, ext_list]}}, ("final",))

    def condition(self) -> str:
        return f"len(f.exts) >= 2 AND f.ext IN ({lits(self.final)})"

    def sql(self):
        return _files_exist(self.condition())

    def evidence_sql(self):
        return _files_json(self.condition())


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
                f"{match!r}: match is one of {', '.join(_MATCH)}",
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
        return tokens_sql("t.name_tokens", self.words)

    def evidence_sql(self):
        matched = tokens_sql("[tok]", self.words)
        return f"json_object('name_tokens', list_filter(t.name_tokens, lambda tok: {matched}))"


REGEX_ON = ("name", "paths", "any")
REGEX_FORMS = ("raw", "norm")
_REGEX_COLUMNS = {
    ("name", "raw"): "t.name",
    ("name", "norm"): "t.name_norm",
    ("paths", "raw"): "f.path",
    ("paths", "norm"): "f.path_norm",
}


@functools.cache
def _re2() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that compiles patterns with RE2, as the flag
    run will (one per process, used only for checking)."""
    return duckdb.connect(":memory:")


def regex_error(pattern: str, options: str) -> str | None:
    """Why DuckDB (RE2) will not compile ``pattern`` embedded as a SQL literal, or
    ``None`` when it compiles."""
    if "\x00" in pattern:
        return "a pattern cannot hold a NUL character"
    try:
        _re2().execute(f"SELECT regexp_matches('', {lit(pattern)}, {lit(options)})").fetchall()
    except duckdb.Error as exc:
        return str(exc).removeprefix("Invalid Input Error: ")
    return None


@dataclass(frozen=True, slots=True)
class Regex(Predicate):
    """The name (``on: name``), a non-pad file path (``paths``) or either (``any``)
    matches the RE2 regular expression ``pattern`` (linear time: no backreferences,
    no lookarounds; unanchored unless written with ``^``/``$``), on the normalised
    (``norm``, the default) or the raw text; case-insensitive unless
    ``case_sensitive: true``. Every pattern is compiled by DuckDB when loaded."""

    keyword = "regex"
    pattern: str
    on: str = "name"
    form: str = "norm"
    case_sensitive: bool = False

    @classmethod
    def from_dict(cls, ctx, value, path):
        keys = ("pattern", "on", "form", "case_sensitive")
        if isinstance(value, dict) and True in value:
            # YAML 1.1 reads a bare ``on`` key as the boolean true.
            value = {("on" if k is True else k): x for k, x in value.items()}
        body = v.mapping(ctx, value, path, keys, ("pattern",))
        if body is None or "pattern" not in body:
            return None
        ok = True
        for key, allowed in (("on", REGEX_ON), ("form", REGEX_FORMS)):
            if key in body and body[key] not in allowed:
                ctx.error(
                    "rules.bad_value",
                    (*path, key),
                    f"{body[key]!r}: {key} is one of {', '.join(allowed)}",
                )
                ok = False
        case = body.get("case_sensitive", False)
        if "case_sensitive" in body and v.boolean(ctx, case, (*path, "case_sensitive")) is None:
            ok = False
        pattern = body["pattern"]
        if not isinstance(pattern, str) or not pattern:
            ctx.error(
                "rules.wrong_type",
                (*path, "pattern"),
                f"expected a non-empty string, got {pattern!r}",
            )
            return None
        problem = regex_error(pattern, "c" if case is True else "i")
        if problem is not None:
            ctx.error("rules.bad_regex", (*path, "pattern"), f"{pattern!r}: {problem}")
            return None
        if not ok:
            return None
        return cls(pattern, body.get("on", "name"), body.get("form", "norm"), case)

    @classmethod
    def json_schema(cls):
        props = {
            "pattern": {"type": "string", "minLength": 1},
            "on": {"enum": list(REGEX_ON)},
            "form": {"enum": list(REGEX_FORMS)},
            "case_sensitive": {"type": "boolean"},
        }
        return _object(props, ("pattern",))

    def _args(self) -> str:
        return f"{lit(self.pattern)}, {lit('c' if self.case_sensitive else 'i')}"

    def _matches(self, where: str) -> str:
        return f"regexp_matches({_REGEX_COLUMNS[(where, self.form)]}, {self._args()})"

    def sql(self):
        if self.on == "name":
            return self._matches("name")
        if self.on == "paths":
            return _files_exist(self._matches("paths"))
        return f"({self._matches('name')} OR {_files_exist(self._matches('paths'))})"

    def evidence_sql(self):
        column = _REGEX_COLUMNS[("name", self.form)]
        name = (
            f"json_object({lit(column.removeprefix('t.'))}, {column}, 'matched',"
            f" CASE WHEN {self._matches('name')} THEN regexp_extract({column},"
            f" {lit(self.pattern)}, 0, {lit('c' if self.case_sensitive else 'i')}) END)"
        )
        if self.on == "name":
            return name
        files = _files_json(self._matches("paths"))
        if self.on == "paths":
            return files
        return f"json_object('name', {name}, 'paths', {files})"


FUZZY_ON = ("name", "paths", "any")
FUZZY_FORMS = ("norm", "skeleton", "both")
FUZZY_SCORERS = ("ratio", "partial_ratio", "token_set_ratio", "WRatio")
SHIPPED_PREFIX = "rules/packs/"


def pack_folder(doc_name: str) -> Path:
    """The folder a pack was read from (shipped packs live in the ``rules`` package)."""
    if doc_name.startswith(SHIPPED_PREFIX):
        return Path(str(resources.files("rules").joinpath("packs")))
    return Path(doc_name).parent


def read_terms(ctx: v.Ctx, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    """The terms of a UTF-8 term file (one a line, ``#`` comments, blanks skipped),
    relative to the pack's folder; a missing, unreadable, non-UTF-8 or empty file is
    a problem at the ``terms`` key."""
    name = v.string(ctx, value, path)
    if name is None:
        return None
    file = pack_folder(ctx.doc.name) / name
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        ctx.error("rules.terms_missing", path, f"term file {str(file)!r} does not exist")
        return None
    except OSError as exc:
        ctx.error("rules.terms_unreadable", path, f"cannot read term file {str(file)!r}: {exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.error("rules.terms_encoding", path, f"term file {str(file)!r} is not UTF-8: {exc}")
        return None
    terms: list[str] = []
    for line in text.splitlines():
        term = line.split("#", 1)[0].strip()
        if term and term not in terms:
            terms.append(term)
    if not any(normalize_text(t) for t in terms):
        ctx.error("rules.terms_empty", path, f"term file {str(file)!r} has no terms")
        return None
    return tuple(terms)


@dataclass(frozen=True, slots=True)
class FuzzyTerms(Predicate):
    """A token (or run of as many tokens as a multi-word term has) of the name
    (``on: name``), of a file path (``paths``) or of either (``any``) scores at least
    ``threshold`` (rapidfuzz ``scorer``) against a term of the file ``terms``, in the
    normalised form, the leetspeak-folded skeleton form, or ``both``. The scores are
    computed before the SQL runs (``rules.fuzzy.prepare``) into ``fuzzy_hits``."""

    keyword = "fuzzy_terms"
    terms: str  # the file as written in the pack
    term_list: tuple[str, ...]
    on: str = "name"
    form: str = "both"
    scorer: str = "ratio"
    threshold: float = 90

    @classmethod
    def from_dict(cls, ctx, value, path):
        keys = ("terms", "on", "form", "scorer", "threshold")
        if isinstance(value, dict) and True in value:
            # YAML 1.1 reads a bare ``on`` key as the boolean true.
            value = {("on" if k is True else k): x for k, x in value.items()}
        body = v.mapping(ctx, value, path, keys, ("terms",))
        if body is None or "terms" not in body:
            return None
        ok = True
        for key, allowed in (("on", FUZZY_ON), ("form", FUZZY_FORMS), ("scorer", FUZZY_SCORERS)):
            if key in body and body[key] not in allowed:
                ctx.error(
                    "rules.bad_value",
                    (*path, key),
                    f"{body[key]!r}: {key} is one of {', '.join(allowed)}",
                )
                ok = False
        threshold = body.get("threshold", 90)
        if (
            not isinstance(threshold, (int, float))
            or isinstance(threshold, bool)
            or not 0 <= threshold <= 100
        ):
            ctx.error(
                "rules.bad_value",
                (*path, "threshold"),
                f"{threshold!r}: threshold is a number from 0 to 100",
            )
            ok = False
        found = read_terms(ctx, body["terms"], (*path, "terms"))
        if found is None or not ok:
            return None
        return cls(
            body["terms"],
            found,
            body.get("on", "name"),
            body.get("form", "both"),
            body.get("scorer", "ratio"),
            threshold,
        )

    @classmethod
    def json_schema(cls):
        props = {
            "terms": {"type": "string", "minLength": 1},
            "on": {"enum": list(FUZZY_ON)},
            "form": {"enum": list(FUZZY_FORMS)},
            "scorer": {"enum": list(FUZZY_SCORERS)},
            "threshold": {"type": "number", "minimum": 0, "maximum": 100},
        }
        return _object(props, ("terms",))

    def args(self) -> dict:
        """The arguments shown in evidence (the term list itself left out)."""
        return {
            "terms": self.terms,
            "term_count": len(self.term_list),
            "on": self.on,
            "form": self.form,
            "scorer": self.scorer,
            "threshold": self.threshold,
        }

    @property
    def key(self) -> str:
        """Stable id of what is scored: the same terms and settings, the same key."""
        data = json.dumps(
            [self.term_list, self.on, self.form, self.scorer, self.threshold], sort_keys=True
        )
        return "fz" + hashlib.sha1(data.encode()).hexdigest()[:16]

    def forms(self) -> tuple[str, ...]:
        return ("norm", "skeleton") if self.form == "both" else (self.form,)

    def folded_terms(self, form: str) -> list[tuple[str, str]]:
        """(term as written, folded term) of every term non-empty in ``form``."""
        fold = normalize_text if form == "norm" else skeleton_text
        return [(t, f) for t in self.term_list if (f := fold(t))]

    def _hits(self, source: str) -> str:
        return f"h.predicate_key = {lit(self.key)} AND h.source = {lit(source)}"

    def _name_cond(self) -> str:
        column = {"norm": "t.name_tokens", "skeleton": "t.skeleton_tokens"}
        parts = [
            f"(h.source = {lit('name_' + form)} AND contains("
            f"' ' || array_to_string({column[form]}, ' ') || ' ', ' ' || h.token || ' '))"
            for form in self.forms()
        ]
        inner = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        return f"h.predicate_key = {lit(self.key)} AND {inner}"

    def _path_cond(self) -> str:
        return (
            f"{self._hits('path')} AND EXISTS (SELECT 1 FROM files f"
            " WHERE f.infohash = t.infohash AND NOT f.is_pad"
            " AND contains(' ' || f.path_norm || ' ', ' ' || h.token || ' '))"
        )

    def _condition(self) -> str:
        if self.on == "name":
            return self._name_cond()
        if self.on == "paths":
            return self._path_cond()
        return f"(({self._name_cond()}) OR ({self._path_cond()}))"

    def sql(self):
        return f"EXISTS (SELECT 1 FROM fuzzy_hits h WHERE {self._condition()})"

    def best_sql(self) -> str:
        """The best score (0-100) of the hits for ``t``, NULL when none."""
        return f"(SELECT max(h.score) FROM fuzzy_hits h WHERE {self._condition()})"

    def evidence_sql(self):
        item = "{'token': h.token, 'term': h.term, 'score': h.score, 'source': h.source}"
        return (
            "(SELECT json_object('matches', to_json(list_slice(list("
            f"{item} ORDER BY h.score DESC, h.token, h.term, h.source), 1, {EVIDENCE_FILES})),"
            " 'best_score', max(h.score))"
            f" FROM fuzzy_hits h WHERE {self._condition()})"
        )


PREDICATES: dict[str, type[Predicate]] = {
    cls.keyword: cls
    for cls in (
        ClaimedPlatform,
        ClaimedCategory,
        VideoAboutGame,
        BytesShare,
        Count,
        HasFile,
        NoFile,
        FileCount,
        TotalSize,
        LargestFile,
        NameMarks,
        FileMarks,
        DoubleExtension,
        KnownList,
        WholeToken,
        Regex,
        FuzzyTerms,
    )
}
