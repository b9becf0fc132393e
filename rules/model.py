"""Rules as data: conditions (all/any/not over predicates), test torrents, rules.

``read_rule`` turns one YAML rule into a ``Rule`` (or records why it cannot);
conditions are parsed through the predicate registry, so a new predicate needs
only a class (in ``rules.predicates``, ``rules.text_predicates`` or
``rules.metadata_predicates``) and its entry in ``rules.registry``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rules import values as v
from rules.predicates import Predicate
from rules.registry import PREDICATES
from rules.source import KeyPath

LEVELS = ("informational", "low", "medium", "high", "critical")
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
RULE_KEYS = (
    "id",
    "version",
    "title",
    "description",
    "level",
    "status",
    "when",
    "tests",
    "disabled",
)
# A rule's status: ``stable`` (the default) flags reach the review queue and exports;
# ``experimental`` (a shadow rule) is evaluated and stored by every flag run but kept
# out of both unless asked for, so a new rule can be watched on real data first.
STATUSES = ("stable", "experimental")
REQUIRED = ("id", "version", "title", "description", "level", "when", "tests")
GROUPS = ("all", "any", "not")
# Longest id, title and description: they are printed by lint and explain and stored
# in every flag's evidence, so a pack cannot put megabytes into each one.
MAX_ID_CHARS = 200
TEXT_CHARS = {"title": 300, "description": 5_000}
# A rule test's torrent is built and ingested by `rules test`: its files' sizes must
# add up to what a .torrent can describe (libtorrent refuses much past 2**42 bytes
# with the largest piece it accepts, 256 MiB) and it may list this many files.
MAX_TEST_BYTES = 2**42
MAX_TEST_FILES = 10_000
# A background item of a rule's tests stands for this many torrents at most (it is
# ingested once and counted ``count`` times), and a rule lists this many items at most.
MAX_BACKGROUND_COUNT = 1_000_000
MAX_BACKGROUND_ITEMS = 1_000


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " AND ".join(i.sql() for i in self.items) + ")"


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(i.sql() for i in self.items) + ")"


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition

    def sql(self) -> str:
        # NULL (a column unknown for a magnet-only row) counts as false before negating.
        return f"NOT coalesce({self.item.sql()}, false)"


Condition = All | AnyOf | Not | Predicate


def facts(condition: Condition, negated: bool = False) -> Iterator[tuple[Predicate, bool]]:
    """Every predicate of ``condition``, in order, with whether an odd number of ``not``
    wraps it: the facts a flag's evidence lists, and what the fuzzy step must score."""
    if isinstance(condition, (All, AnyOf)):
        for item in condition.items:
            yield from facts(item, negated)
    elif isinstance(condition, Not):
        yield from facts(condition.item, not negated)
    else:
        yield condition, negated


@dataclass(frozen=True, slots=True)
class TestSighting:
    """A sighting of a test torrent: the source, the category it showed, its seeders."""

    source: str
    category: str | None = None
    seeders: int | None = None


@dataclass(frozen=True, slots=True)
class TestTorrent:
    """A torrent written in a rule's tests: a name and (path, bytes) pairs, and the
    hash lists its infohash is put on in the test warehouse (for ``known_list`` rules).
    ``single_file``: the single-file layout (one file, named as the torrent);
    ``magnet``: only a magnet link was seen (no files, no metadata); ``sightings``:
    sources that saw it (``source_category``, ``seeders``)."""

    name: str
    files: tuple[tuple[str, int], ...]
    on_lists: tuple[str, ...] = ()
    single_file: bool = False
    magnet: bool = False
    sightings: tuple[TestSighting, ...] = ()


@dataclass(frozen=True, slots=True)
class BackgroundTorrent:
    """A torrent of a rule's test population, not itself a test: ``rules test`` ingests
    it once and counts it ``count`` times in the population ``rare_for_claim`` judges
    the rule's tests against (as ``count`` torrents of that name and files would be)."""

    torrent: TestTorrent
    count: int


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    version: int
    title: str
    description: str
    level: str
    when: Condition
    flag_tests: tuple[TestTorrent, ...]
    pass_tests: tuple[TestTorrent, ...]
    where: str  # file:line:col of the rule
    sql: str  # the compiled condition (rules.compile.condition_sql)
    background: tuple[BackgroundTorrent, ...] = ()  # the tests' population, not asserted
    status: str = "stable"  # one of STATUSES


def read_condition(ctx: v.Ctx, value: Any, path: KeyPath) -> Condition | None:
    """One condition node: a mapping with exactly one key, a group or a predicate."""
    if not isinstance(value, dict):
        ctx.error("rules.wrong_type", path, f"expected a mapping, got {v.type_name(value)}")
        return None
    if len(value) != 1:
        keys = ", ".join(map(str, value)) or "none"
        ctx.error(
            "rules.bad_condition",
            path,
            f"a condition has exactly one key (all, any, not or a predicate), got: {keys}",
        )
        return None
    ((key, body),) = value.items()
    here = (*path, str(key))
    if key in ("all", "any"):
        items = v.listing(ctx, body, here, non_empty=False)
        if items is None:
            return None
        if not items:
            ctx.error("rules.empty_group", here, f"{key}: needs at least one condition")
            return None
        parsed = [read_condition(ctx, item, (*here, i)) for i, item in enumerate(items)]
        if any(p is None for p in parsed):
            return None
        return All(tuple(parsed)) if key == "all" else AnyOf(tuple(parsed))
    if key == "not":
        inner = read_condition(ctx, body, here)
        return None if inner is None else Not(inner)
    cls = PREDICATES.get(key)
    if cls is None:
        known = ", ".join((*GROUPS, *PREDICATES))
        close = v.nearest(key, (*GROUPS, *PREDICATES))
        ctx.error(
            "rules.unknown_key", here, f"unknown predicate {v.shown(key)}{close}; known: {known}"
        )
        return None
    return cls.from_dict(ctx, body, here)


TEST_KEYS = ("name", "files", "on_lists", "single_file", "magnet", "sightings")
SIGHTING_KEYS = ("source", "category", "seeders")


def read_sightings(ctx: v.Ctx, value: Any, path: KeyPath) -> tuple[TestSighting, ...] | None:
    """``sightings: [{source, category, seeders}]`` of a test torrent."""
    items = v.listing(ctx, value, path)
    if items is None:
        return None
    out = []
    for i, item in enumerate(items):
        here = (*path, i)
        body = v.mapping(ctx, item, here, SIGHTING_KEYS, ("source",))
        if body is None or "source" not in body:
            return None
        source = v.text(ctx, body["source"], (*here, "source"), 200)
        category = None
        if "category" in body:
            category = v.text(ctx, body["category"], (*here, "category"), 500)
        seeders = None
        if "seeders" in body:
            seeders = v.integer(
                ctx, body["seeders"], (*here, "seeders"), 0, v.MAX_COUNT, "a whole number >= 0"
            )
        if source is None or ("category" in body and category is None):
            return None
        if "seeders" in body and seeders is None:
            return None
        out.append(TestSighting(source, category, seeders))
    return tuple(out)


def _test_flags(ctx: v.Ctx, body: dict, path: KeyPath) -> dict | None:
    """``single_file``, ``magnet`` and ``sightings`` of a test torrent, checked."""
    out: dict[str, Any] = {}
    for key in ("single_file", "magnet"):
        if key in body:
            out[key] = v.boolean(ctx, body[key], (*path, key))
            if out[key] is None:
                return None
    if "sightings" in body:
        out["sightings"] = read_sightings(ctx, body["sightings"], (*path, "sightings"))
        if out["sightings"] is None:
            return None
    if out.get("magnet") and "files" in body:
        ctx.error("rules.bad_value", (*path, "files"), "a magnet-only torrent has no files")
        return None
    if out.get("magnet") and out.get("single_file"):
        ctx.error("rules.bad_value", (*path, "single_file"), "a magnet-only torrent has no files")
        return None
    if not out.get("magnet") and "files" not in body:
        ctx.error("rules.missing_key", path, "missing required key 'files' (or magnet: true)")
        return None
    return out


def read_test(ctx: v.Ctx, value: Any, path: KeyPath) -> TestTorrent | None:
    body = v.mapping(ctx, value, path, TEST_KEYS, ("name",))
    if body is None or "name" not in body:
        return None
    flags = _test_flags(ctx, body, path)
    if flags is None:
        return None
    if flags.get("magnet"):
        name = v.string(ctx, body["name"], (*path, "name"))
        lists = _on_lists(ctx, body, path)
        return None if name is None or lists is None else TestTorrent(name, (), lists, **flags)
    torrent = _read_files_test(ctx, body, path)
    if torrent is None:
        return None
    if flags.get("single_file") and (
        len(torrent.files) != 1 or torrent.files[0][0] != torrent.name
    ):
        ctx.error(
            "rules.bad_value",
            (*path, "files"),
            "a single-file torrent has one file, named as the torrent (name)",
        )
        return None
    return TestTorrent(torrent.name, torrent.files, torrent.on_lists, **flags)


def _on_lists(ctx: v.Ctx, body: dict, path: KeyPath) -> tuple[str, ...] | None:
    lists = v.listing(ctx, body.get("on_lists", []), (*path, "on_lists"), non_empty=False)
    if lists is None:
        return None
    found = [
        v.string(ctx, item, (*path, "on_lists", i), v.LIST_NAME_PATTERN)
        for i, item in enumerate(lists)
    ]
    return None if None in found else tuple(found)


def _read_files_test(ctx: v.Ctx, body: dict, path: KeyPath) -> TestTorrent | None:
    """The name, files and lists of a test torrent that has files."""
    on_lists = _on_lists(ctx, body, path)
    if on_lists is None:
        return None
    name = v.string(ctx, body["name"], (*path, "name"))
    items = v.listing(ctx, body["files"], (*path, "files"))
    if name is None or items is None:
        return None
    if len(items) > MAX_TEST_FILES:
        ctx.error(
            "rules.out_of_range",
            (*path, "files"),
            f"{len(items):,} files; a test torrent holds at most {MAX_TEST_FILES:,}",
        )
        return None
    files = []
    for i, item in enumerate(items):
        here = (*path, "files", i)
        if not isinstance(item, list) or len(item) != 2:
            ctx.error("rules.wrong_type", here, f"expected [path, size], got {v.shown(item)}")
            return None
        file_path = v.string(ctx, item[0], (*here, 0))
        size = v.size(ctx, item[1], (*here, 1))
        if file_path is None or size is None:
            return None
        files.append((file_path, size))
    total = sum(size for _, size in files)
    if total > MAX_TEST_BYTES:
        ctx.error(
            "rules.out_of_range",
            (*path, "files"),
            f"the files add up to {total:,} bytes; a test torrent holds at most "
            f"{MAX_TEST_BYTES:,} (2**42, what a .torrent can describe)",
        )
        return None
    return TestTorrent(name, tuple(files), on_lists)


def read_background(ctx: v.Ctx, value: Any, path: KeyPath) -> BackgroundTorrent | None:
    """``{name, files, count}``: a test torrent standing for ``count`` torrents."""
    body = v.mapping(ctx, value, path, ("name", "files", "count"), ("name", "files", "count"))
    if body is None or any(k not in body for k in ("name", "files", "count")):
        return None
    count = v.integer(
        ctx,
        body["count"],
        (*path, "count"),
        1,
        MAX_BACKGROUND_COUNT,
        "count: how many torrents the item stands for, a whole number >= 1",
    )
    torrent = read_test(ctx, {"name": body["name"], "files": body["files"]}, path)
    return None if count is None or torrent is None else BackgroundTorrent(torrent, count)


def read_tests(ctx: v.Ctx, value: Any, path: KeyPath) -> tuple[tuple, tuple, tuple] | None:
    """``(flag, pass, background)`` of a rule's ``tests``."""
    body = v.mapping(ctx, value, path, ("flag", "pass", "background"))
    if body is None:
        return None
    out: dict[str, tuple] = {}
    for key in ("flag", "pass"):
        items = v.listing(ctx, body.get(key, []), (*path, key), non_empty=False) or []
        parsed = [read_test(ctx, item, (*path, key, i)) for i, item in enumerate(items)]
        if any(p is None for p in parsed):
            return None
        out[key] = tuple(parsed)
    if not out["flag"] and not out["pass"]:
        ctx.error("rules.no_tests", path, "a rule needs at least one flag or pass test")
        return None
    here = (*path, "background")
    items = v.listing(ctx, body.get("background", []), here, non_empty=False)
    if items is None:
        return None
    if len(items) > MAX_BACKGROUND_ITEMS:
        ctx.error(
            "rules.out_of_range",
            here,
            f"{len(items):,} background items; a rule lists at most {MAX_BACKGROUND_ITEMS:,}"
            " (each may stand for many torrents: count)",
        )
        return None
    background = [read_background(ctx, item, (*here, i)) for i, item in enumerate(items)]
    if any(b is None for b in background):
        return None
    return out["flag"], out["pass"], tuple(background)


def read_header(ctx: v.Ctx, body: dict, path: KeyPath) -> dict | None:
    """version, title, description, level and status (when given), checked (absent
    keys were reported)."""
    out: dict[str, Any] = {}
    for key in ("title", "description"):
        if key in body:
            out[key] = v.text(ctx, body[key], (*path, key), TEXT_CHARS[key])
    if "version" in body:
        out["version"] = v.integer(
            ctx, body["version"], (*path, "version"), 1, v.MAX_VERSION, "a whole number >= 1"
        )
    level = body.get("level")
    if "level" in body:
        if level not in LEVELS:
            ctx.error(
                "rules.unknown_level",
                (*path, "level"),
                f"unknown level {v.shown(level)}; levels: {', '.join(LEVELS)}",
            )
            level = None
        out["level"] = level
    if "status" in body:
        status = body["status"]
        if status not in STATUSES:
            ctx.error(
                "rules.bad_value",
                (*path, "status"),
                f"unknown status {v.shown(status)}; statuses: {', '.join(STATUSES)}"
                " (experimental: a shadow rule, kept out of the review queue and exports)",
            )
            return None
        out["status"] = status
    complete = (
        len({k: x for k, x in out.items() if k != "status"}) == 4 and None not in out.values()
    )
    return out if complete else None
