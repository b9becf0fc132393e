"""Checking the plain values of a pack: mappings, lists, sizes, bounds, names.

Every checker takes the document, the key path and the rule id, records a problem
when the value is wrong and returns ``None`` (or a safe default), so that loading
goes on and reports every problem of every pack at once.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from common.checks import is_whole
from common.textcap import capped_repr
from parsers.extensions import KINDS, taxonomy
from parsers.hashlist import LIST_NAME_PATTERN  # noqa: F401 (re-exported: packs check list names by it)
from parsers.release import vocabulary
from rules.source import Document, KeyPath, Problem, format_path

_SIZE_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*")
SIZE_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}
SIZE_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"
EXT_PATTERN = r"^[a-z0-9]{1,16}$"
WORD_PATTERN = r"^[a-z0-9*]+$"

# Every number a pack holds ends up in DuckDB: compared with a column, stored in
# ``flags``, or written into a rule test's torrent. Its range is the column's, so a
# value that passes lint cannot overflow there when ``flag`` runs.
INT32_MAX = 2**31 - 1  # DuckDB INTEGER: flags.rule_version, torrents.file_count, count_*
INT64_MAX = 2**63 - 1  # DuckDB BIGINT: total_size, largest_file_size, files.size
MAX_VERSION = INT32_MAX
MAX_COUNT = INT32_MAX
MAX_SIZE = INT64_MAX
# Characters of the number of a size string: any size up to MAX_SIZE needs far fewer,
# so a longer one (a hostile 400-digit "1000…B") is refused without being converted.
_MAX_SIZE_DIGITS = 100


@functools.cache
def platforms() -> tuple[str, ...]:
    """Canonical platform ids of ``parsers/data/release_tags.yaml``."""
    return tuple(sorted(vocabulary().platform_category))


@functools.cache
def exec_or_shortcut() -> tuple[str, ...]:
    return tuple(sorted(taxonomy().exec_or_shortcut))


@dataclass(slots=True)
class Ctx:
    """Where checking is: the document and the rule being read."""

    doc: Document
    rule_id: str | None = None

    def error(self, code: str, path: KeyPath, message: str) -> None:
        self.doc.add(code, path, message, self.rule_id)

    def warn(self, code: str, path: KeyPath, message: str) -> None:
        """A value that loads but is almost surely a mistake (a share written as a
        percentage, a fuzzy threshold on the 0-1 scale): shown by lint, not fatal."""
        line, col = self.doc.mark(path)
        self.doc.warnings.append(
            Problem(code, self.doc.name, line, col, self.rule_id, format_path(path), message)
        )

    def error_at(
        self, code: str, file: str, line: int, col: int, path: KeyPath, message: str
    ) -> None:
        """A problem inside another file the pack names (a term file): its place there,
        with the pack's key path and rule id."""
        self.doc.problems.append(
            Problem(code, file, line, col, self.rule_id, format_path(path), message)
        )


def nearest(value: Any, known: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean X?)`` for the known word closest to ``value``, or ``""``."""
    if not isinstance(value, str):
        return ""
    found = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    if not found and value.lower() in known:
        found = [value.lower()]
    return f" (did you mean {found[0]}?)" if found else ""


# RE2 (DuckDB's regular expressions) refuses these Perl constructs; what to write instead.
_RE2_MISSING = (
    (
        ("(?=", "(?!", "(?<=", "(?<!"),
        "RE2 (the regex engine) has no lookaround;"
        " match the text itself, or combine two conditions: all: [regex A, not: regex B]",
    ),
    (("\\1", "\\2", "(?P="), "RE2 has no backreferences; list the alternatives instead"),
    (
        ("(?>", "*+", "++", "?+"),
        "RE2 has no atomic groups or possessive quantifiers;"
        " drop them (RE2 never backtracks, so they are not needed)",
    ),
)


def regex_hint(pattern: str) -> str:
    """What to write instead of a Perl construct RE2 lacks, or ``""``."""
    for starts, hint in _RE2_MISSING:
        if any(s in pattern for s in starts):
            return f"; {hint}"
    return ""


def shown(value: Any) -> str:
    """``value`` quoted for a problem message, cut to a readable length."""
    return capped_repr(value)


# An integer that is not a boolean (YAML ``true`` is the int 1 in Python): the
# project's one whole-number test, under the name the predicates use.
is_integer = is_whole


def is_real(value: Any) -> bool:
    """A finite int or float that is not a boolean (YAML ``.nan``/``.inf`` are floats)."""
    return (is_integer(value) or isinstance(value, float)) and math.isfinite(value)


def integer(ctx: Ctx, value: Any, path: KeyPath, low: int, high: int, what: str) -> int | None:
    """An integer from ``low`` to ``high``: ``rules.wrong_type`` for anything else
    than an integer, ``rules.out_of_range`` for one outside the range."""
    if not is_integer(value):
        ctx.error("rules.wrong_type", path, f"expected {what}, got {shown(value)}")
        return None
    if not low <= value <= high:
        ctx.error(
            "rules.out_of_range", path, f"{shown(value)} is outside {low:,}..{high:,} ({what})"
        )
        return None
    return value


def type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def mapping(
    ctx: Ctx, value: Any, path: KeyPath, allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> dict | None:
    """``value`` as a mapping with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(value, dict):
        ctx.error("rules.wrong_type", path, f"expected a mapping, got {type_name(value)}")
        return None
    for key in value:
        if key not in allowed:
            ctx.error(
                "rules.unknown_key",
                (*path, str(key)),
                f"unknown key {shown(key)}{nearest(key, allowed)}; allowed: {', '.join(allowed)}",
            )
    for key in required:
        if key not in value:
            ctx.error("rules.missing_key", path, f"missing required key {shown(key)}")
    return value


def listing(ctx: Ctx, value: Any, path: KeyPath, *, non_empty: bool = True) -> list | None:
    if not isinstance(value, list):
        ctx.error("rules.wrong_type", path, f"expected a list, got {type_name(value)}")
        return None
    if non_empty and not value:
        ctx.error("rules.empty_list", path, "the list is empty")
        return None
    return value


def string(ctx: Ctx, value: Any, path: KeyPath, pattern: str | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        ctx.error("rules.wrong_type", path, f"expected a non-empty string, got {shown(value)}")
        return None
    if pattern and not re.match(pattern, value):
        ctx.error("rules.bad_value", path, f"{shown(value)} does not match {pattern}")
        return None
    return value


def text(ctx: Ctx, value: Any, path: KeyPath, limit: int, pattern: str | None = None) -> str | None:
    """A non-empty string (matching ``pattern``) of at most ``limit`` characters;
    a longer one is ``rules.too_long``, checked before the pattern is tried."""
    if isinstance(value, str) and len(value) > limit:
        ctx.error(
            "rules.too_long",
            path,
            f"{shown(value)} has {len(value):,} characters; at most {limit:,} are allowed",
        )
        return None
    return string(ctx, value, path, pattern)


def boolean(ctx: Ctx, value: Any, path: KeyPath) -> bool | None:
    if not isinstance(value, bool):
        ctx.error("rules.wrong_type", path, f"expected true or false, got {shown(value)}")
        return None
    return value


def choices(
    ctx: Ctx, value: Any, path: KeyPath, allowed: tuple[str, ...], what: str
) -> tuple[str, ...] | None:
    """A non-empty list of values out of ``allowed`` (duplicates dropped, order kept)."""
    items = listing(ctx, value, path)
    if items is None:
        return None
    out: list[str] = []
    ok = True
    for i, item in enumerate(items):
        if item not in allowed:
            ctx.error(
                f"rules.unknown_{what}",
                (*path, i),
                f"unknown {what} {shown(item)}{nearest(item, allowed)};"
                f" known: {', '.join(allowed)}",
            )
            ok = False
        elif item not in out:
            out.append(item)
    return tuple(out) if ok else None


def kinds(ctx: Ctx, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    return choices(ctx, value, path, KINDS, "kind")


def exts(ctx: Ctx, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    items = listing(ctx, value, path)
    if items is None:
        return None
    ok = [string(ctx, item, (*path, i), EXT_PATTERN) for i, item in enumerate(items)]
    return tuple(dict.fromkeys(ok)) if all(ok) else None


def words(ctx: Ctx, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    """Whole-token words: lower-case letters and digits, ``*`` for any run of them."""
    items = listing(ctx, value, path)
    if items is None:
        return None
    out = []
    for i, item in enumerate(items):
        word = string(ctx, item, (*path, i), WORD_PATTERN)
        if word is not None and word.strip("*") == "":
            ctx.error("rules.bad_value", (*path, i), f"{shown(word)} would match every token")
            word = None
        out.append(word)
    return tuple(dict.fromkeys(out)) if all(out) else None


def size(ctx: Ctx, value: Any, path: KeyPath) -> int | None:
    """Bytes: an integer from 0 to ``MAX_SIZE`` (DuckDB BIGINT), or a number with a
    unit ("700MB", "4.2GB", "1GiB"), computed exactly (no float rounding to infinity)."""
    found: int | None = None
    if is_integer(value):
        found = value
    elif isinstance(value, str):
        m = _SIZE_RE.fullmatch(value)
        if m and len(m.group(1)) <= _MAX_SIZE_DIGITS:
            found = round(Fraction(m.group(1)) * SIZE_UNITS[m.group(2)])
        elif m:
            found = MAX_SIZE + 1
    if found is None or found < 0:
        ctx.error(
            "rules.bad_size",
            path,
            f"{shown(value)} is not a size: write bytes (700000000) or a number and a unit "
            f'({", ".join(SIZE_UNITS)}), as in "700MB"',
        )
        return None
    if found > MAX_SIZE:
        ctx.error(
            "rules.out_of_range",
            path,
            f"{shown(value)} is above the largest size, {MAX_SIZE:,} bytes (DuckDB BIGINT)",
        )
        return None
    return found


def number(ctx: Ctx, value: Any, path: KeyPath, kind: str) -> float | int | None:
    """``kind``: ``share`` (0 to 1), ``count`` (integer 0..``MAX_COUNT``) or ``size``."""
    if kind == "size":
        return size(ctx, value, path)
    if kind == "count":
        if is_integer(value) and value > MAX_COUNT:
            ctx.error(
                "rules.out_of_range",
                path,
                f"{shown(value)} is above the largest count, {MAX_COUNT:,} (DuckDB INTEGER)",
            )
            return None
        if is_integer(value) and value >= 0:
            return value
        ctx.error(
            "rules.wrong_type",
            path,
            f"expected a count (a whole number of files, >= 0), got {shown(value)}",
        )
        return None
    if is_real(value) and 0 <= value <= 1:
        return value
    hint = ""
    if is_real(value) and 1 < value <= 100:
        hint = f" (a share is on the 0-1 scale: {value}% is {value / 100:g})"
    ctx.error(
        "rules.bad_value",
        path,
        f"expected a share on the 0-1 scale (0.6 is 60%), got {shown(value)}{hint}",
    )
    return None


def threshold(ctx: Ctx, value: Any, path: KeyPath) -> float | int | None:
    """A fuzzy score threshold on the 0-100 scale (rapidfuzz scores). A value from 0 to
    1 loads but is almost surely a share written for a score (0.88 meant 88): a warning,
    since such a threshold lets nearly every token match."""
    if not is_real(value) or not 0 <= value <= 100:
        ctx.error(
            "rules.bad_value",
            path,
            f"{shown(value)}: threshold is a score on the 0-100 scale (90 is a close match)",
        )
        return None
    if 0 < value <= 1:
        ctx.warn(
            "rules.unit_mistake",
            path,
            f"threshold {value} is on the 0-100 scale, where {value} matches nearly any"
            f" token; did you mean {value * 100:g}? (scores in evidence are 0-100, a"
            " flag's score 0-1)",
        )
    return value


# A size bound written as a bare number below this is almost surely a unit left out.
SMALL_SIZE = 10_000


def bounds(ctx: Ctx, value: dict, path: KeyPath, kind: str) -> tuple | None:
    """``at_least`` / ``at_most`` of a predicate: at least one, and in order."""
    if "at_least" not in value and "at_most" not in value:
        ctx.error("rules.missing_key", path, "give at_least, at_most or both")
        return None
    low = number(ctx, value["at_least"], (*path, "at_least"), kind) if "at_least" in value else None
    high = number(ctx, value["at_most"], (*path, "at_most"), kind) if "at_most" in value else None
    if ("at_least" in value and low is None) or ("at_most" in value and high is None):
        return None
    for key, found in (("at_least", low), ("at_most", high)):
        if kind == "size" and is_integer(value.get(key)) and 0 < found < SMALL_SIZE:
            ctx.warn(
                "rules.unit_mistake",
                (*path, key),
                f"{found} is a size in bytes (a bare number counts bytes); for"
                f' megabytes write "{found}MB"',
            )
    if low is not None and high is not None and low > high:
        ctx.error("rules.bad_range", (*path, "at_least"), f"at_least {low} is above at_most {high}")
        return None
    return low, high
