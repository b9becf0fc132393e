"""Hostile YAML in rule packs (and any file read through rules.source) becomes a
problem naming the file and place, never a hang or a RecursionError."""

from __future__ import annotations

import time

import pytest

from common.errors import RulesInvalid
from rules.ruleset import load_packs
from rules.source import MAX_DEPTH, parse_document


def _alias_bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_once():
    started = time.monotonic()
    doc = parse_document(_alias_bomb(), "bomb.yaml")
    assert time.monotonic() - started < 2
    assert [(p.code, p.line) for p in doc.problems] == [("rules.yaml_alias", 2)]
    assert doc.data is None


def test_even_a_harmless_alias_is_refused():
    doc = parse_document("a: &x 1\nb: *x\n", "alias.yaml")
    assert [p.code for p in doc.problems] == ["rules.yaml_alias"]


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, "{a: " * 5_000 + "1" + "}" * 5_000, "- " * 1_000 + "x"],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_deep_nesting_is_a_problem_not_a_recursion_error(text):
    doc = parse_document(text, "deep.yaml")
    assert [p.code for p in doc.problems] == ["rules.too_deep"]
    assert str(MAX_DEPTH) in doc.problems[0].message


def test_nesting_up_to_the_limit_still_parses():
    text = "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH
    doc = parse_document(text, "ok.yaml")
    assert doc.problems == []


def test_a_pack_with_a_bomb_fails_lint_naming_the_file(tmp_path):
    pack = tmp_path / "bomb.yaml"
    pack.write_text(_alias_bomb())
    with pytest.raises(RulesInvalid) as caught:
        load_packs([pack])
    assert f"{pack}:2:" in str(caught.value.problems[0])
    assert caught.value.problems[0].code == "rules.yaml_alias"
