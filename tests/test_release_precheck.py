"""Prechecks that let release names skip patterns they cannot match: read from the
patterns' syntax, and never wrong (a name a pattern matches always passes)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from parsers.normalize import normalize_text
from parsers.release import vocabulary
from parsers.release_precheck import (
    any_needed,
    first_chars,
    misses_digit_words,
    needed_chars,
    needed_class,
)

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "release.yaml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"^\s*\[[^\]]+\].*?\s(0\d{1,2})", re.I, {"["}),
        (r"[\[(]\s*(16|24)", re.I, {"[", "("}),
        (r"第\s*(\d{1,4})\s*[話话]", re.I, {"第"}),
        (r"(?:^|\D)(\d{1,4})\s*[화회]", re.I, {"화", "회"}),
        # the bracket is rarer than the " - " every scene name has
        (r"[\[(][^\])]+[\])].*?\s-\s(\d{1,4})", re.I, {"[", "("}),
        (r"(?:ab|cd)\d", 0, {"a", "c"}),  # one needed character per branch
        (r"x?\d+", 0, None),  # nothing needed but digits (a category)
        (r"holiday\d{4}", re.I, None),  # letters ignoring case: no set is safe
        (r"holiday \d{4}", re.I, {" "}),
        (r"(?:a|\d)x", 0, {"x"}),
    ],
)
def test_needed_chars(pattern, flags, expected):
    found = needed_chars(re.compile(pattern, flags))
    assert (None if found is None else set(found)) == expected


def test_any_needed_is_none_when_one_pattern_has_no_set():
    assert any_needed([re.compile(r"\["), re.compile(r"\d+")]) is None
    assert any_needed([re.compile(r"\["), re.compile("/")]) == {"[", "/"}
    assert needed_class([]) is None


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ([r"(\d{2,4}) ?kbps", r"v\d+(?: \d+)", r"(?:incl|with) dlcs?"], set("0123456789viw")),
        ([r"(?:^|x)y"], {"x", "y"}),  # an anchor is zero width
        ([r"a?"], None),  # can match empty
        ([r"\w+"], None),  # a category that cannot be told
    ],
)
def test_first_chars(patterns, expected):
    found = first_chars(re.compile(p) for p in patterns)
    assert (None if found is None else set(found)) == expected
    assert first_chars([re.compile("kbps", re.I)]) is None


def test_digit_words_skip_only_when_every_pattern_needs_a_letter():
    assert misses_digit_words([re.compile(r"s(\d{1,2})"), re.compile(r"(\d+)x(\d+)")])
    assert not misses_digit_words([re.compile(r"s(\d{1,2})"), re.compile(r"(19|20)\d\d")])
    assert vocabulary().digit_words_miss  # the shipped digit patterns all need one


def _names() -> list[str]:
    """Names that exercise the patterns: the parser cases, and variants written with
    the brackets, CJK markers and bit depths the name patterns look for."""
    names = [str(n) for n in CASES]
    names += [
        "[Grp] Title - 05 [1080p]",
        "【Grp】Title - 12 (1080p)",
        "Title 第01話",
        "타이틀 3화",
        "Album (24-96) FLAC",
        "Album 24/96 FLAC",
        "\uff34\uff49\uff54\uff4c\uff45\u3000第\uff10\uff13話",  # full width
        "Summer Holiday 2019",
    ]
    return names


def test_prechecks_never_skip_a_name_a_pattern_matches():
    vocab = vocabulary()
    for name in _names():
        written = name if name.isascii() else unicodedata.normalize("NFKC", name)
        norm = normalize_text(name)
        for pattern in vocab.name_patterns:
            if pattern.regex.search(written):
                assert vocab.name_needed.search(written), (name, pattern.regex.pattern)
                if name.isascii() and pattern in vocab.ascii_name_patterns:
                    assert vocab.ascii_name_needed.search(written), name
        for pattern in vocab.text_patterns:
            for m in pattern.regex.finditer(norm):
                if m.start() == 0 or norm[m.start() - 1] == " ":
                    assert vocab.text_any.search(" " + norm), (name, pattern.regex.pattern)
        for word in norm.split():
            if word.isdigit():
                assert not any(p.regex.fullmatch(word) for p in vocab.digit_patterns), word
