"""Cheap prechecks that let a release name skip regular expressions it cannot match.

Most names match none of the vocabulary's name patterns (fansub brackets, CJK episode
markers, audio bit depths written ``24/96``), yet one search of their alternation
costs more than the rest of the parse of an ASCII scene name (Python's ``re`` tries
every position when an alternative starts with a look-behind). ``needed_chars`` reads
a pattern's syntax tree and returns characters one of which every match must contain
(a ``[`` for a bracket pattern, ``第`` or ``話`` for a Japanese marker); a name holding
none of them cannot match, and a set test says so in a fraction of the search's cost.
Derived from the patterns themselves, so a pattern added to ``release_tags.yaml``
stays correct: one whose every element is optional, cased or a category gets no
precheck (None), and the searches run as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from re import _constants as sre_c  # the parser re itself uses; public since 3.11 as private
from re import _parser as sre_parse

# A range wider than this is not worth a set (``[\u4e00-\u9fff]`` is ideographs).
_MAX_RANGE = 256
# Characters most names hold: a set of them tests little, so another needed element
# is preferred (the `` - `` of a fansub episode is also its opening bracket).
_COMMON = frozenset(" .-_0123456789")
_REPEATS = (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None))


def _uncased(chars: set[str], fold: bool) -> frozenset[str] | None:
    """``chars``; when the pattern ignores case (``fold``), only if case-insensitive
    matching cannot reach them through another character (digits, punctuation,
    ideographs, Hangul), else None."""
    if not fold:
        return frozenset(chars)
    for c in chars:
        cased = unicodedata.category(c) in ("Lu", "Ll", "Lt")
        if cased or c.lower() != c or c.upper() != c or c.casefold() != c:
            return None
    return frozenset(chars)


def _in_set(items: list, fold: bool) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is sre_c.LITERAL:
            chars.add(chr(av))
        elif op is sre_c.RANGE and av[1] - av[0] <= _MAX_RANGE:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:  # a negation, a category (\d, \s) or a wide range
            return None
    return _uncased(chars, fold)


def _item(op, av, fold: bool) -> frozenset[str] | None:
    """Characters one of which any match of this one element contains, or None."""
    if op is sre_c.LITERAL:
        return _uncased({chr(av)}, fold)
    if op is sre_c.IN:
        return _in_set(list(av), fold)
    if op in _REPEATS:
        low, _, body = av
        return _sequence(body, fold) if low >= 1 else None
    if op is sre_c.SUBPATTERN:
        return _sequence(av[-1], fold)
    if op is sre_c.BRANCH:
        found: set[str] = set()
        for branch in av[1]:
            chars = _sequence(branch, fold)
            if chars is None:
                return None
            found |= chars
        return frozenset(found)
    return None  # anchors, look-arounds, any character, back references


def _cost(chars: frozenset[str]) -> int:
    return len(chars) + 100 * len(chars & _COMMON)


def _sequence(items: Iterable, fold: bool) -> frozenset[str] | None:
    """The rarest set one element of a sequence needs (every element is needed)."""
    best: frozenset[str] | None = None
    for op, av in items:
        chars = _item(op, av, fold)
        if chars is not None and (best is None or _cost(chars) < _cost(best)):
            best = chars
    return best


def needed_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Characters one of which every match of ``pattern`` contains, or None when its
    syntax promises none (then a name must be searched)."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, TypeError, ValueError):  # pragma: no cover - compiled already
        return None
    return _sequence(parsed, bool(pattern.flags & re.IGNORECASE))


def any_needed(patterns: Iterable[re.Pattern[str]]) -> frozenset[str] | None:
    """Characters one of which any match of any of ``patterns`` contains: a text
    holding none of them matches none of the patterns. None if some pattern has no
    such characters."""
    found: set[str] = set()
    for pattern in patterns:
        chars = needed_chars(pattern)
        if chars is None:
            return None
        found |= chars
    return frozenset(found)


def needed_class(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """``any_needed`` as a character class to search for (None without a set)."""
    chars = any_needed(patterns)
    if not chars:  # no such set, or no patterns
        return None
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


_DIGITS = frozenset("0123456789")


def _first_item(op, av) -> tuple[frozenset[str] | None, bool]:
    """(characters a match of this element can start with, whether it can match
    empty); None for the characters when they cannot be told."""
    if op is sre_c.LITERAL:
        return frozenset(chr(av)), False
    if op is sre_c.IN:
        chars: set[str] = set()
        for item_op, item in av:
            if item_op is sre_c.LITERAL:
                chars.add(chr(item))
            elif item_op is sre_c.RANGE and item[1] - item[0] <= _MAX_RANGE:
                chars.update(map(chr, range(item[0], item[1] + 1)))
            elif item_op is sre_c.CATEGORY and item is sre_c.CATEGORY_DIGIT:
                chars |= _DIGITS
            else:
                return None, False
        return frozenset(chars), False
    if op in _REPEATS:
        low, _, body = av
        chars, empty = _first_sequence(body)
        return chars, empty or low == 0
    if op is sre_c.SUBPATTERN:
        return _first_sequence(av[-1])
    if op is sre_c.BRANCH:
        found: set[str] = set()
        empty = False
        for branch in av[1]:
            chars, branch_empty = _first_sequence(branch)
            if chars is None:
                return None, False
            found |= chars
            empty = empty or branch_empty
        return frozenset(found), empty
    if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
        return frozenset(), True  # zero width: the next element starts the match
    return None, False


def _first_sequence(items: Iterable) -> tuple[frozenset[str] | None, bool]:
    found: set[str] = set()
    for op, av in items:
        chars, empty = _first_item(op, av)
        if chars is None:
            return None, False
        found |= chars
        if not empty:
            return frozenset(found), False
    return frozenset(found), True


def first_chars(patterns: Iterable[re.Pattern[str]]) -> frozenset[str] | None:
    """Characters every match of one of ``patterns`` starts with, for text of ASCII
    letters, digits and spaces (a normalised name: ``\\d`` is 0-9 there); None when
    some pattern ignores case, can match empty or starts with what cannot be told."""
    found: set[str] = set()
    for pattern in patterns:
        if pattern.flags & re.IGNORECASE:
            return None
        try:
            chars, empty = _first_sequence(sre_parse.parse(pattern.pattern, pattern.flags))
        except (re.error, TypeError, ValueError):  # pragma: no cover - compiled already
            return None
        if chars is None or empty:
            return None
        found |= chars
    return frozenset(found)


def misses_digit_words(patterns: Iterable[re.Pattern[str]]) -> bool:
    """Whether no word of digits alone can match any of ``patterns`` (each needs some
    character that is not an ASCII digit): such words (episode numbers, ids, years)
    then skip the search."""
    for pattern in patterns:
        chars = needed_chars(pattern)
        if chars is None or chars & _DIGITS:
            return False
    return True
