"""The one-rule pack the rules tests write, load and compile: one template, so a problem's
line and column mean the same in every test (the ``when`` body starts on line 8, column 7).

``rule_pack(when)`` is its text; ``HEAD`` and ``TESTS`` its parts, for a test that bends
them (a bad level, a missing title); ``pack_problems`` loads a pack that must be refused;
``compile_rule`` reads one rule without writing a file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.errors import RulesInvalid
from rules.model import Rule
from rules.ruleset import load_packs, read_pack
from rules.source import parse_document

HEAD = """\
rules:
  - id: demo.rule
    version: 1
    title: A demo rule
    description: Benign example.
    level: high
"""
# The rule's own test: it flags a made-up console release (the loader checks its shape).
TESTS = """\
    tests:
      flag: [{name: "Kart.Racer.PS2-GRP", files: [["a.avi", 700MB]]}]
"""
# A test any rule passes: for rules compiled or flagged, not judged by `rules test`.
PASSES = '    tests:\n      pass: [{name: "x", files: [["a.txt", 1]]}]\n'
# An operator pack with one rule: a torrent on the (imported) hash list "demo-list".
KNOWN_DEMO_LIST = """\
rules:
  - id: known.demo-list
    version: 1
    title: On the demo list
    description: Benign test rule.
    level: high
    when:
      known_list: {list: demo-list}
    tests:
      pass: [{name: "Comet.River.2021.720p-BENIGN", files: [["Comet.River.2021.avi", 1MB]]}]
"""


def rule_pack(when: str, *, head: str = HEAD, tests: str = TESTS) -> str:
    """The pack text of one rule whose ``when`` is ``when`` (YAML, dedented)."""
    body = textwrap.dedent(when)
    if not body.endswith("\n"):
        body += "\n"
    return head + "    when:\n" + textwrap.indent(body, "      ") + tests


def pack_problems(folder: Path, text: str, name: str = "pack.yaml"):
    """Write ``text`` as ``folder/name`` and load it, which must fail: (path, problems)."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesInvalid) as info:
        load_packs([path], shipped=False)
    assert info.value.code == "rules.invalid"
    return path, info.value.problems


def compile_rule(when: str, *, folder: Path | None = None) -> Rule:
    """The one rule of ``rule_pack(when)``, read as if from ``folder/inline.yaml`` (term
    files named in it are relative to ``folder``); fails the test on any problem."""
    where = str(folder / "inline.yaml") if folder is not None else "inline.yaml"
    doc = parse_document(rule_pack(when, tests=PASSES), where)
    (rule,) = read_pack(doc)
    assert not doc.problems, doc.problems
    return rule
