"""Predicates over what a torrent says besides its name and file kinds, and over sightings.

What real rules asked for and the language could not say: a size bound on one file
(``file_size``: a video above 1 GB, not only the largest file of any kind), a kind's
share of the file count (``count_share``, where ``bytes_share`` weighs by bytes), the
client that made the torrent (``created_by``) and its comment (``comment``) as RE2
patterns, its trackers (``trackers``), its age (``age``: days since it was created or
first seen) and its seeders (``seeders``: the most any sighting reported). Each is one
registered class, as in ``rules.predicates``: read with ``from_dict``, described by
``json_schema``, compiled by the pure ``sql``/``evidence_sql`` and read back in words
by ``describe``. NULL (a magnet-only torrent has no files, a source may report no
seeders) never matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from common.textcap import QUOTE_CAP, cap_text
from parsers.extensions import KINDS
from parsers.normalize import display_safe
from rules import values as v
from rules.predicates import (
    _ANY_BOUND,
    _STR_LIST,
    EVIDENCE_FILES,
    Predicate,
    _bounds_schema,
    _bounds_sql,
    _enum_list,
    _files_exist,
    _object,
    _TorrentColumns,
    columns_words,
    lit,
    lits,
    one_of,
)
from rules.source import KeyPath

# Characters of a text column (a comment may be long) a flag's evidence keeps.
EVIDENCE_TEXT = 500
MAX_DAYS = 100 * 366
_EXT_LIST = {**_STR_LIST, "items": {"type": "string", "pattern": v.EXT_PATTERN}}


def _pattern(ctx: v.Ctx, body: dict, path: KeyPath) -> tuple[str, bool] | None:
    """``pattern`` (compiled by RE2 now, as a flag run will) and ``case_sensitive``."""
    from rules.text_predicates import MAX_PATTERN_CHARS, regex_error

    pattern = body.get("pattern")
    case = body.get("case_sensitive", False)
    if "case_sensitive" in body and v.boolean(ctx, case, (*path, "case_sensitive")) is None:
        return None
    if v.text(ctx, pattern, (*path, "pattern"), MAX_PATTERN_CHARS) is None:
        return None
    problem = regex_error(pattern, "c" if case else "i")
    if problem is not None:
        ctx.error(
            "rules.bad_regex",
            (*path, "pattern"),
            f"{v.shown(pattern)}: {cap_text(problem, QUOTE_CAP)}{v.regex_hint(pattern)}",
        )
        return None
    return pattern, case


def _pattern_schema() -> dict:
    return {
        "pattern": {"type": "string", "minLength": 1},
        "case_sensitive": {"type": "boolean"},
    }


@dataclass(frozen=True, slots=True)
class FileSize(Predicate):
    """A non-pad file of one of ``kinds`` (any kind when left out) and, when given, with
    an extension in ``ext``, whose size is within ``at_least``/``at_most`` (bytes, or a
    number with a unit: "1GB"): "a video above 1 GB", which ``largest_file`` (any kind)
    and ``bytes_share`` (a share) cannot say."""

    keyword = "file_size"
    kinds: tuple[str, ...]
    ext: tuple[str, ...]
    at_least: int | None
    at_most: int | None

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("kinds", "ext", "at_least", "at_most"))
        if body is None:
            return None
        kinds = v.kinds(ctx, body["kinds"], (*path, "kinds")) if "kinds" in body else ()
        ext = v.exts(ctx, body["ext"], (*path, "ext")) if "ext" in body else ()
        limits = v.bounds(ctx, body, path, "size")
        if kinds is None or ext is None or limits is None:
            return None
        return cls(kinds, ext, *limits)

    @classmethod
    def json_schema(cls):
        props = {"kinds": _enum_list(KINDS), "ext": _EXT_LIST, **_bounds_schema("size")}
        return _object(props, anyOf=_ANY_BOUND)

    def condition(self) -> str:
        parts = [_bounds_sql("f.size", self.at_least, self.at_most)]
        if self.kinds:
            parts.append(f"f.kind IN ({lits(self.kinds)})")
        if self.ext:
            parts.append(one_of("f.ext", self.ext))
        return " AND ".join(parts)

    def sql(self):
        return _files_exist(self.condition())

    def evidence_sql(self):
        item = "{'file_index': f.file_index, 'path': f.path, 'size': f.size, 'kind': f.kind}"
        return (
            "(SELECT json_object('count', count(*), 'files',"
            f" to_json(list_slice(list({item} ORDER BY f.size DESC, f.file_index), 1,"
            f" {EVIDENCE_FILES}))) FROM files f WHERE f.infohash = t.infohash AND NOT f.is_pad"
            f" AND {self.condition()})"
        )

    @classmethod
    def describe(cls, args, values, context):
        lines = [f"{values.get('count', 0)} file(s) of that size (bytes)"]
        for item in values.get("files") or []:
            lines.append(
                f"file {item['file_index']}: {display_safe(item['path'])}"
                f" ({item['kind']}, {item['size']:,} bytes)"
            )
        return lines


@dataclass(frozen=True, slots=True)
class CountShare(_TorrentColumns):
    """Share (0-1) of the torrent's non-pad files that are of ``kinds``, by number of
    files, where ``bytes_share`` weighs them by bytes: "most files are images" even
    when one video holds most bytes. A torrent without files (magnet-only) never
    matches."""

    keyword = "count_share"
    kinds: tuple[str, ...]
    at_least: float | None
    at_most: float | None

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("kinds", "at_least", "at_most"), ("kinds",))
        if body is None:
            return None
        found = v.kinds(ctx, body["kinds"], (*path, "kinds")) if "kinds" in body else None
        limits = v.bounds(ctx, body, path, "share")
        if found is None or limits is None:
            return None
        return cls(found, *limits)

    @classmethod
    def json_schema(cls):
        props = {"kinds": _enum_list(KINDS), **_bounds_schema("share")}
        return _object(props, ("kinds",), anyOf=_ANY_BOUND)

    def _share(self) -> str:
        total = " + ".join(f"coalesce(t.count_{k}, 0)" for k in self.kinds)
        return f"(({total}) / nullif(t.file_count, 0))"

    def sql(self):
        return _bounds_sql(self._share(), self.at_least, self.at_most)

    def evidence_columns(self):
        return (*(f"count_{k}" for k in self.kinds), "file_count")

    def evidence_sql(self):
        cols = ", ".join(f"{lit(c)}, t.{c}" for c in self.evidence_columns())
        return f"json_object({cols}, 'count_share', round({self._share()}, 4))"

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values, percent="count_share")


@dataclass(frozen=True, slots=True)
class _TextColumn(_TorrentColumns):
    """A torrent text column matches the RE2 ``pattern`` (case-insensitive unless
    ``case_sensitive``); NULL (the torrent does not say) never matches."""

    pattern: str
    case_sensitive: bool = False
    column: ClassVar[str]

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("pattern", "case_sensitive"), ("pattern",))
        if body is None or "pattern" not in body:
            return None
        found = _pattern(ctx, body, path)
        return None if found is None else cls(*found)

    @classmethod
    def json_schema(cls):
        return _object(_pattern_schema(), ("pattern",))

    def _args(self) -> str:
        return f"{lit(self.pattern)}, {lit('c' if self.case_sensitive else 'i')}"

    def sql(self):
        return f"coalesce(regexp_matches(t.{self.column}, {self._args()}), false)"

    def evidence_sql(self):
        return f"json_object({lit(self.column)}, left(t.{self.column}, {EVIDENCE_TEXT}))"


@dataclass(frozen=True, slots=True)
class CreatedBy(_TextColumn):
    """The client that made the torrent (``created by``: "mktorrent 1.1", a
    release group's own tool) matches ``pattern``."""

    keyword = "created_by"
    column = "created_by"


@dataclass(frozen=True, slots=True)
class Comment(_TextColumn):
    """The torrent's ``comment`` matches ``pattern``."""

    keyword = "comment"
    column = "comment"


@dataclass(frozen=True, slots=True)
class Trackers(_TextColumn):
    """One of the torrent's tracker URLs (``announce`` and ``announce-list``) matches
    ``pattern``; a torrent without trackers (DHT only) never matches."""

    keyword = "trackers"
    column = "trackers"

    def _matching(self) -> str:
        return f"list_filter(t.trackers, x -> coalesce(regexp_matches(x, {self._args()}), false))"

    def sql(self):
        return f"coalesce(len({self._matching()}) > 0, false)"

    def evidence_sql(self):
        return f"json_object('trackers', list_slice({self._matching()}, 1, {EVIDENCE_FILES}))"

    @classmethod
    def describe(cls, args, values, context):
        found = values.get("trackers") or []
        return [f"{len(found)} matching tracker(s)", *(display_safe(t) for t in found)]


AGE_OF = {"created": "t.creation_date", "first_seen": "t.first_seen"}


@dataclass(frozen=True, slots=True)
class Age(Predicate):
    """Whole days from the torrent's ``creation_date`` (``of: created``, the default) or
    from when the warehouse first saw it (``first_seen``) to the flag run, within
    ``at_least``/``at_most`` days. A torrent without a creation date never matches."""

    keyword = "age"
    reads = "time"
    of: str
    at_least: int | None
    at_most: int | None

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("of", "at_least", "at_most"))
        if body is None:
            return None
        of = body.get("of", "created")
        if of not in AGE_OF:
            ctx.error(
                "rules.bad_value",
                (*path, "of"),
                f"{v.shown(of)}{v.nearest(of, tuple(AGE_OF))}: of is one of {', '.join(AGE_OF)}",
            )
            return None
        if "at_least" not in body and "at_most" not in body:
            ctx.error("rules.missing_key", path, "give at_least, at_most or both (days)")
            return None
        found = {}
        for key in ("at_least", "at_most"):
            if key in body:
                what = "a number of days (a whole number >= 0)"
                found[key] = v.integer(ctx, body[key], (*path, key), 0, MAX_DAYS, what)
                if found[key] is None:
                    return None
        low, high = found.get("at_least"), found.get("at_most")
        if low is not None and high is not None and low > high:
            ctx.error(
                "rules.bad_range", (*path, "at_least"), f"at_least {low} is above at_most {high}"
            )
            return None
        return cls(of, low, high)

    @classmethod
    def json_schema(cls):
        days = {"type": "integer", "minimum": 0, "maximum": MAX_DAYS}
        props = {"of": {"enum": list(AGE_OF)}, "at_least": days, "at_most": days}
        return _object(props, anyOf=_ANY_BOUND)

    def _days(self) -> str:
        return f"date_diff('day', {AGE_OF[self.of]}, current_timestamp)"

    def sql(self):
        return _bounds_sql(self._days(), self.at_least, self.at_most)

    def evidence_sql(self):
        column = AGE_OF[self.of].removeprefix("t.")
        return f"json_object({lit(column)}, t.{column}, 'age_days', {self._days()})"

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values)


@dataclass(frozen=True, slots=True)
class Seeders(Predicate):
    """The most seeders any sighting reported (``observations.seeders``: a feed's
    count, a tracker scrape) is within ``at_least``/``at_most``; a torrent no source
    reported seeders for never matches."""

    keyword = "seeders"
    at_least: int | None
    at_most: int | None

    @classmethod
    def from_dict(cls, ctx, value, path):
        body = v.mapping(ctx, value, path, ("at_least", "at_most"))
        limits = None if body is None else v.bounds(ctx, body, path, "count")
        return None if limits is None else cls(*limits)

    @classmethod
    def json_schema(cls):
        return _object(_bounds_schema("count"), anyOf=_ANY_BOUND)

    _MOST = "(SELECT max(o.seeders) FROM observations o WHERE o.infohash = t.infohash)"

    def sql(self):
        return f"coalesce({_bounds_sql(self._MOST, self.at_least, self.at_most)}, false)"

    def evidence_sql(self):
        return (
            "(SELECT json_object('max_seeders', max(o.seeders), 'sightings_with_seeders',"
            " count(o.seeders)) FROM observations o WHERE o.infohash = t.infohash)"
        )

    @classmethod
    def describe(cls, args, values, context):
        return columns_words(values)


METADATA_PREDICATES: tuple[type[Predicate], ...] = (
    FileSize,
    CountShare,
    CreatedBy,
    Comment,
    Trackers,
    Age,
    Seeders,
)
