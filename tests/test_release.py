"""Release-name claims, from tests/cases/release.yaml, plus the vocabulary checks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from common.errors import ConfigError
from parsers.normalize import normalize_array, tokens_array
from parsers.release import (
    CATEGORIES,
    ReleaseClaim,
    claim_type,
    compile_vocabulary,
    parse_release,
    parse_release_array,
    vocabulary,
)
from parsers.taxonomy import parse_yaml

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "release.yaml").read_text("utf-8"))
FIELDS = ("platform", "category", "video_about_game", "tags", "nature")


def _check(claim: ReleaseClaim, expected: dict) -> None:
    for key, value in expected.items():
        if key == "has_tags":
            assert set(value) <= set(claim.tags), (key, claim)
        elif key.startswith("-"):
            assert getattr(claim, key[1:]) != value, (key, claim)
        else:
            assert key in FIELDS, f"unknown field {key!r} in release.yaml"
            got = list(claim.tags) if key == "tags" else getattr(claim, key)
            assert got == value, (key, claim)


@pytest.mark.parametrize("name", list(CASES), ids=[k[:40] for k in CASES])
def test_case(name: str) -> None:
    _check(parse_release(name), CASES[name])


def test_case_file_is_big_enough_and_has_negative_cases() -> None:
    assert len(CASES) >= 60
    assert sum(any(k.startswith("-") for k in v) for v in CASES.values()) >= 10


def test_array_agrees_with_scalar() -> None:
    names = [*CASES, None, "Kart.Racer.PS2.PAL-GRP", "Карт Рейсер PS2"]
    rows = parse_release_array(pa.array(names)).to_pylist()
    assert rows[len(CASES)] is None
    for name, row in zip(names, rows, strict=True):
        if name is None:
            continue
        claim = parse_release(name)
        assert row == {
            "platform": claim.platform,
            "category": claim.category,
            "tags": list(claim.tags),
            "video_about_game": claim.video_about_game,
            "nature": claim.nature,
        }
    assert parse_release_array(pa.array(names)).type == claim_type()
    assert parse_release_array(pa.array([], pa.string())).to_pylist() == []


def test_array_from_precomputed_tokens_agrees() -> None:
    """The importers hand over the names' normalised tokens; the claims are the same
    as when each name is normalised again (nulls, repeats and non-ASCII names too)."""
    names = pa.array([*CASES, None, "Карт Рейсер PS2", "Карт Рейсер PS2", "", "  .  "])
    tokens = tokens_array(normalize_array(names))
    assert parse_release_array(names, tokens).equals(parse_release_array(names))
    empty = pa.array([], pa.string())
    assert parse_release_array(empty, tokens_array(normalize_array(empty))).to_pylist() == []


def test_claims_only_use_known_values() -> None:
    vocab = vocabulary()
    for name in CASES:
        claim = parse_release(name)
        assert claim.category in (None, *CATEGORIES)
        assert claim.platform in (None, *vocab.platform_category)


def test_unicode_names_are_transliterated_first() -> None:
    assert parse_release("Карт.Рейсер.PS2.PAL").platform == "ps2"
    assert (
        parse_release(
            "\uff2b\uff21\uff32\uff34 \uff32\uff21\uff23\uff25\uff32 \uff30\uff33\uff12"
        ).platform
        == "ps2"
    )
    assert parse_release("").category is None


BAD = """\
categories:
  precedence: [tv, film, comics]
  media: [tv]
platforms:
  ps2:
    aliases: [PS2, PS-2]
    category: game_handheld
  psp:
    aliases: [ps2, '--']
    alias: [typo]
cues:
  tv:
    patterns:
      - {match: 's(\\d+', tag: 's{0}'}
      - {match: '(\\d+) season', tag: 's{0}'}
    markers:
      season: [Saison]
      chapter: [Kapitel]
  film:
    tags:
      x264: [x264]
  music:
    tags:
      flac: [FLAC]
natures:
  gameplay_video: {category: film, aliases: [Gameplay]}
  podcast: {category: podcast, aliases: [Episode]}
  saves: {aliases: [Saves], colour: blue}
from_content:
  video_share_at_least: lots
"""


def test_bad_vocabulary_reports_every_problem_with_location() -> None:
    with pytest.raises(ConfigError) as info:
        compile_vocabulary(parse_yaml(BAD, "tags-test.yaml"))
    message = str(info.value)
    for expected in (
        "tags-test.yaml:2:26: categories.precedence[2]: unknown category 'comics'",
        "platforms.ps2.category: a platform is game_console or game_pc",
        "tags-test.yaml:9:15: platforms.psp.aliases[0]: alias 'ps2' ('ps2') already at "
        "tags-test.yaml:6:15",
        "platforms.psp.aliases[1]: alias '--' has no letters or digits",
        "platforms.psp.alias: unknown key 'alias'",
        "cues.tv.patterns[0]: bad pattern or tag",
        "cues.tv.patterns[1]: a pattern spanning words must start with a literal word",
        "cues.music: category 'music' is not in categories.precedence",
        "cues.tv.markers.chapter: unknown key 'chapter'",
        "natures.podcast.category: unknown category 'podcast'",
        "natures.saves.colour: unknown key 'colour'",
        "from_content.video_share_at_least: video_share_at_least must be a non-negative",
    ):
        assert expected in message
    assert "12 problem(s)" in message
