"""Normalisation, skeleton, tokens, hidden marks and display escapes.

Cases live in tests/cases/normalize.yaml; each runs through the vectorised
function and its scalar twin. Property tests check that the twins agree on many
generated strings, because the twin is how single names get the bulk behaviour.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from common.errors import ConfigError
from parsers.normalize import (
    MARK_FIELDS,
    compile_skeleton_rules,
    display_safe,
    first_rows,
    name_marks,
    name_marks_array,
    normalize_array,
    normalize_text,
    normalized_tokens,
    skeleton_array,
    skeleton_text,
    skeleton_token,
    tokens,
    tokens_array,
)
from parsers.taxonomy import parse_yaml

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "normalize.yaml").read_text("utf-8"))


@pytest.mark.parametrize("text", list(CASES), ids=[repr(k)[:40] for k in CASES])
def test_case(text: str) -> None:
    expected = CASES[text]
    arr = pa.array([text], pa.string())
    if "norm" in expected:
        assert normalize_array(arr).to_pylist() == [expected["norm"]]
        assert normalize_text(text) == expected["norm"]
    if "skeleton" in expected:
        assert skeleton_array(arr).to_pylist() == [expected["skeleton"]]
        assert skeleton_text(text) == expected["skeleton"]
    if "tokens" in expected:
        norm = normalize_text(text)
        assert tokens_array(pa.array([norm])).to_pylist() == [expected["tokens"]]
        assert tokens(norm) == expected["tokens"]
        assert normalized_tokens(text) == expected["tokens"]
    if "marks" in expected:
        got = name_marks_array(arr).to_pylist()[0]
        assert {k: got[k] for k in expected["marks"]} == expected["marks"]
        assert name_marks(text) == got
    if "display" in expected:
        assert display_safe(text) == expected["display"]


# ---------------------------------------------------------------- generated strings

ALPHABET = (
    "abcXYZ019 ._-[]()'`@$!/\\,;:&+~#%\t\n\x00\x1f\x7f"
    "\u00e9\u00df\u0130\u212a\u0444\u044c\u4e2d\u00bd\ufb01\uff26\u3000\u00a0\u2019"
    "\u202e\u2066\u200b\u200d\ufeff\u061c\u0085\u009f\u0301"
)


def _random_strings(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        length = rnd.randrange(0, 24)
        out.append("".join(rnd.choice(ALPHABET) for _ in range(length)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_normalize_text_agrees_with_array(seed: int) -> None:
    texts = _random_strings(3000, seed) + [
        t.encode("ascii", "ignore").decode() for t in _random_strings(3000, seed + 100)
    ]
    bulk = normalize_array(pa.array(texts)).to_pylist()
    assert [normalize_text(t) for t in texts] == bulk
    for text, norm in zip(texts, bulk, strict=True):
        assert "  " not in norm and norm == norm.strip(" ")
        assert normalize_text(norm) == norm  # idempotent
        assert normalized_tokens(text) == tokens(norm)


def test_tokens_agree_with_array() -> None:
    norms = normalize_array(pa.array(_random_strings(2000, 7))).to_pylist()
    assert tokens_array(pa.array(norms)).to_pylist() == [tokens(n) for n in norms]


def test_skeleton_twin_and_idempotence() -> None:
    words = ["k4rt", "r@c3r", "kaaart", "n00b", "$pider", "!nvader", "wow!", "ps2", "aac"]
    rnd = random.Random(3)
    leet = [" ".join(rnd.choice(words) for _ in range(4)) for _ in range(500)]
    texts = _random_strings(3000, 11) + leet + ["K4rt R@c3r", "Kaaart", "n00b l33t", "$pider"]
    bulk = skeleton_array(pa.array(texts)).to_pylist()
    assert bulk[-4:] == ["kart racer", "kart", "nob let", "spider"]
    assert [skeleton_text(t) for t in texts] == bulk
    assert skeleton_array(pa.array(bulk)).to_pylist() == bulk


def _marks_reference(text: str) -> dict[str, bool]:
    """The definition of each mark, written the obvious (slow) way."""
    parts = text.split("/")
    return {
        "has_bidi": any(
            c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for c in text
        ),
        "has_zero_width": any(c in "\u200b\u200c\u200d\u2060\ufeff" for c in text),
        "has_trailing_dot_space": any(p.endswith((".", " ")) for p in parts),
        "has_control": any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text),
    }


@pytest.mark.parametrize("seed", range(3))
def test_marks_agree_with_reference(seed: int) -> None:
    texts = _random_strings(3000, seed + 50)
    got = name_marks_array(pa.array(texts)).to_pylist()
    assert got == [_marks_reference(t) for t in texts]
    assert got == [name_marks(t) for t in texts]


@pytest.mark.parametrize("prefix", ["", "x", "xy", "xyz"])
def test_trailing_dot_before_slash_at_every_byte_offset(prefix: str) -> None:
    texts = [f"{prefix}dir./file", f"{prefix}dir /file", f"{prefix}dir/file.", f"{prefix}d/f"]
    got = name_marks_array(pa.array(texts)).field("has_trailing_dot_space").to_pylist()
    assert got == [True, True, True, False]


# ------------------------------------------------------------------- array shapes


def test_nulls_slices_chunks_and_large_strings() -> None:
    values = ["A.B", None, "  C--D ", "É", ""]
    expected = ["a b", None, "c d", "e", ""]
    assert normalize_array(pa.array(values)).to_pylist() == expected
    assert normalize_array(pa.array(["zz", *values])[1:]).to_pylist() == expected
    assert normalize_array(pa.chunked_array([values[:2], values[2:]])).to_pylist() == expected
    assert normalize_array(pa.array(values, pa.large_string())).to_pylist() == expected
    assert tokens_array(pa.array(expected)).to_pylist() == [["a", "b"], None, ["c", "d"], ["e"], []]
    marks = name_marks_array(pa.array(values))
    assert marks.to_pylist()[1] is None
    assert marks.type.names == list(MARK_FIELDS)
    assert skeleton_array(pa.array(values)).to_pylist() == expected
    assert normalize_array(pa.array([], pa.string())).to_pylist() == []
    assert name_marks_array(pa.array([], pa.string())).to_pylist() == []


def test_display_safe_leaves_plain_text_alone() -> None:
    assert display_safe("Kart Racer (2023) [PS2].iso") == "Kart Racer (2023) [PS2].iso"
    assert display_safe("Kárt Фильм 中文") == "Kárt Фильм 中文"
    assert display_safe("a\u202eb\nc") == "a<U+202E>b<U+000A>c"


# ---------------------------------------------------------------- skeleton rules


def test_skeleton_keeps_tags_and_numbers() -> None:
    for token in ["ps2", "x264", "1080p", "2023", "s01e02", "3ds", "aac", "wii", "mp3"]:
        assert skeleton_token(token) == token
    assert skeleton_token("r4c3r") == "racer"
    assert skeleton_token("g4m3") == "gam3"  # a trailing digit run is left alone


def test_skeleton_rules_report_every_problem_with_location() -> None:
    doc = parse_yaml(
        "leet_digits:\n  '0': o\n  x: y\nleet_symbols:\n  '@': '12'\n"
        "keep_tokens: [ok, 'Two Words']\nkeep_patterns: ['(unclosed']\n",
        "skeleton-test.yaml",
    )
    with pytest.raises(ConfigError) as info:
        compile_skeleton_rules(doc)
    message = str(info.value)
    assert "4 problem(s)" in message
    assert "skeleton-test.yaml:3:3: leet_digits.x" in message
    assert "skeleton-test.yaml:5:3: leet_symbols.@" in message
    assert "keep_tokens[1]" in message and "keep_patterns[0]" in message
    assert info.value.code == "config.parser_data"


def test_yaml_loader_refuses_duplicate_keys() -> None:
    with pytest.raises(ConfigError, match=r"dup\.yaml:3:1: video: duplicate key 'video'"):
        parse_yaml("video: [mkv]\naudio: [mp3]\nvideo: [avi]\n", "dup.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_yaml("a: [unclosed\n", "broken.yaml")


def test_first_rows_of_each_distinct_value() -> None:
    values = pa.array(["b", None, "a", "b", None, "c", "a"])
    encoded = pc.dictionary_encode(values)
    assert first_rows(encoded.indices).to_pylist() == [0, 2, 5]
    assert encoded.dictionary.to_pylist() == ["b", "a", "c"]
    assert first_rows(pc.dictionary_encode(pa.array([], pa.string())).indices).to_pylist() == []
