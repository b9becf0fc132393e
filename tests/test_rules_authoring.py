"""What a first rule pack ran into: unit mistakes warned with the scale named, nearest-key
suggestions, RE2's missing lookaround said plainly, `rules test` FAIL lines naming the
facts, test torrents that are magnet-only, single-file or sighted, and a JSON Schema
that describes every key and agrees with lint."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from cli_runner import run_cli
from rule_packs import PASSES, pack_problems, rule_pack

from rules.ruleset import load_packs, shipped_packs
from rules.schema import json_schema
from torrentwatch.rule_tests import rules_test

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def _write(folder: Path, text: str, name: str = "pack.yaml") -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def _terms(folder: Path) -> None:
    (folder / "titles.txt").write_text("cobalt drift\n", "utf-8")


def test_fuzzy_threshold_on_the_wrong_scale_is_warned_with_the_scale(tmp_path):
    _terms(tmp_path)
    pack = _write(
        tmp_path, rule_pack("fuzzy_terms: {terms: titles.txt, threshold: 0.88}", tests=PASSES)
    )
    ruleset = load_packs([pack], shipped=False)
    (warning,) = ruleset.warnings
    assert warning.code == "rules.unit_mistake"
    assert warning.path == "rules[0].when.fuzzy_terms.threshold"
    assert "0-100 scale" in warning.message and "did you mean 88?" in warning.message
    assert (warning.line, warning.col) == (8, 40)
    done = run_cli("rules", "lint", pack)
    assert done.returncode == 0, done.stderr
    assert "warning" in done.stdout and "rules.unit_mistake" in done.stdout
    fine = _write(tmp_path, rule_pack("fuzzy_terms: {terms: titles.txt, threshold: 88}"), "b.yaml")
    assert load_packs([fine], shipped=False).warnings == []


def test_bare_small_size_is_warned_and_shares_name_their_scale(tmp_path):
    pack = _write(tmp_path, rule_pack("largest_file: {at_least: 700}", tests=PASSES))
    (warning,) = load_packs([pack], shipped=False).warnings
    assert warning.code == "rules.unit_mistake" and '"700MB"' in warning.message
    _, problems = pack_problems(tmp_path, rule_pack("bytes_share: {kinds: [video], at_least: 60}"))
    (problem,) = problems
    assert "0-1 scale" in problem.message and "60% is 0.6" in problem.message
    _, problems = pack_problems(tmp_path, rule_pack("count: {kinds: [video], at_least: 0.5}"))
    assert "whole number of files" in problems[0].message


@pytest.mark.parametrize(
    ("when", "suggestion"),
    [
        ("has_fil: {kind: [video]}", "did you mean has_file?"),
        ("bytes_share: {kinds: [video], at_lest: 0.5}", "did you mean at_least?"),
        ("has_file: {kind: [vidoe]}", "did you mean video?"),
        ("regex: {patern: x}", "did you mean pattern?"),
    ],
)
def test_unknown_keys_suggest_the_nearest(tmp_path, when, suggestion):
    _, problems = pack_problems(tmp_path, rule_pack(when))
    assert any(suggestion in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("kart(?!racer)", "RE2 (the regex engine) has no lookaround"),
        ("(?<=x)kart", "no lookaround"),
        ("(a)\\\\1", "no backreferences"),
    ],
)
def test_re2_missing_features_say_what_to_write(tmp_path, pattern, words):
    _, problems = pack_problems(tmp_path, rule_pack(f'regex: {{pattern: "{pattern}"}}'))
    (problem,) = problems
    assert problem.code == "rules.bad_regex" and words in problem.message


FAILING = """\
rules:
  - id: test.watch
    version: 1
    title: Watched title
    description: Benign test rule.
    level: medium
    when:
      fuzzy_terms: {terms: titles.txt, threshold: 80}
    tests:
      flag: [{name: "Harbor.Lights.2019", files: [["movie.mkv", 1GB]]}]
      pass: [{name: "Cobalt.Drfit.PC-SYNTH", files: [["setup.exe", 10MB]]}]
"""


def test_rules_test_fail_lines_name_the_facts(tmp_path):
    _terms(tmp_path)
    pack = _write(tmp_path, FAILING)
    report = rules_test([pack])
    (result,) = [r for r in report.results if r.rule_id == "test.watch"]
    flagged, passed = sorted(result.failures, key=lambda f: f.startswith("should flag"))
    assert flagged.startswith("should pass but flagged: 'Cobalt.Drfit.PC-SYNTH'")
    assert "fired: fuzzy_terms" in flagged and "'drfit' ~ 'drift'" not in flagged
    assert "~ 'cobalt drift'" in flagged and "(of 100)" in flagged
    assert passed.startswith("should flag but passed: 'Harbor.Lights.2019'")
    assert "did not hold: fuzzy_terms" in passed


SHAPES = """\
rules:
  - id: test.magnet-only
    version: 1
    title: Seen as a magnet link only
    description: Benign test rule.
    level: low
    when:
      all:
        - whole_token: [kart]
        - not: {file_count: {at_least: 0}}
    tests:
      flag: [{name: "Kart.Racer.PS2", magnet: true}]
      pass: [{name: "Kart.Racer.PS2", files: [["kart.iso", 1GB]]}]
  - id: test.single-file
    version: 1
    title: A single-file torrent
    description: Benign test rule.
    level: low
    when:
      regex: {pattern: '^Kart\\.Racer\\.iso$', on: paths, form: raw}
    tests:
      flag: [{name: "Kart.Racer.iso", single_file: true, files: [["Kart.Racer.iso", 700MB]]}]
      pass: [{name: "Kart.Racer.iso", files: [["Kart.Racer.iso", 700MB]]}]
  - id: test.sighted
    version: 1
    title: Well seeded and called a game
    description: Benign test rule.
    level: low
    when:
      all:
        - seeders: {at_least: 10}
        - source_category: [games]
    tests:
      flag:
        - name: "Robot.Castle.PS3"
          files: [["castle.iso", 1GB]]
          sightings: [{source: feed, category: "Games > PS3", seeders: 12}]
      pass:
        - name: "Robot.Castle.PS3-B"
          files: [["castle.iso", 1GB]]
          sightings: [{source: feed, category: "Games > PS3", seeders: 3}]
        - {name: "Robot.Castle.PS3-C", files: [["castle.iso", 1GB]]}
"""


def test_rule_tests_describe_magnet_only_single_file_and_sightings(tmp_path):
    pack = _write(tmp_path, SHAPES)
    report = rules_test([pack])
    mine = {r.rule_id: r for r in report.results if r.rule_id.startswith("test.")}
    assert set(mine) == {"test.magnet-only", "test.single-file", "test.sighted"}
    for result in mine.values():
        assert result.ok, (result.rule_id, result.failures)


@pytest.mark.parametrize(
    ("test", "code"),
    [
        ('{name: "x", magnet: true, files: [["a", 1]]}', "rules.bad_value"),
        ('{name: "x"}', "rules.missing_key"),
        ('{name: "x", single_file: true, files: [["a", 1], ["b", 1]]}', "rules.bad_value"),
        ('{name: "x", files: [["a", 1]], sightings: [{category: y}]}', "rules.missing_key"),
        (
            '{name: "x", files: [["a", 1]], sightings: [{source: s, seeders: -1}]}',
            "rules.out_of_range",
        ),
    ],
)
def test_bad_test_torrents_fail_to_compile(tmp_path, test, code):
    tests = f"    tests:\n      pass: [{test}]\n"
    _, problems = pack_problems(tmp_path, rule_pack("file_count: {at_least: 1}", tests=tests))
    assert code in [p.code for p in problems], problems
    # and the schema refuses it too
    data = yaml.safe_load(rule_pack("file_count: {at_least: 1}", tests=tests))
    assert list(_validator().iter_errors(data))


# --- the JSON Schema ------------------------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema())


def _as_editor_reads(text: str) -> object:
    """The pack as a YAML 1.1 editor reads it (PyYAML: an unquoted ``on`` is true),
    with keys as JSON has them."""
    return json.loads(json.dumps(yaml.safe_load(text)))


def test_every_key_of_the_schema_has_a_description():
    missing = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if not sub.get("description"):  # present, and says something
                    missing.append(f"{where}.{key}")
            for key, sub in node.items():
                if key not in ("if", "then"):  # conditions on keys, not keys
                    walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(json_schema(), "$")
    assert missing == []
    conditions = json_schema()["$defs"]["condition"]["properties"]
    assert "0-100 scale" in conditions["fuzzy_terms"]["properties"]["threshold"]["description"]
    assert "0-1 scale" in conditions["bytes_share"]["properties"]["at_least"]["description"]


def test_shipped_and_example_packs_are_schema_valid():
    validator = _validator()
    texts = [data.decode() for _, data in shipped_packs()]
    texts += [
        (EXAMPLES / n).read_text("utf-8") for n in ("watch-titles.yaml", "rare-for-claim.yaml")
    ]
    for text in texts:
        errors = list(validator.iter_errors(_as_editor_reads(text)))
        assert errors == [], [e.message for e in errors[:3]]


AGREE = [
    ("regex: {pattern: kart, on: paths}", True),  # a bare on: (YAML 1.1 reads true)
    ("hidden_zero_width: {on: name}", True),
    ("bytes_share: {kinds: [video], at_least: 0.6}", True),
    ("file_size: {kinds: [video], at_least: 1GB}", True),
    ("age: {at_least: 30}", True),
    ("all: [{seeders: {at_least: 1}}, {not: {comment: {pattern: x}}}]", True),
    ("bytes_share: {kinds: [video], at_least: 60}", False),
    ("has_fil: {kind: [video]}", False),
    ("has_file: {kind: [video], size: 1}", False),
    ("{file_count: {at_least: 1}, total_size: {at_least: 1}}", False),
    ("any: []", False),
    ("count_share: {at_least: 0.5}", False),
    ("regex: {on: paths}", False),
]


@pytest.mark.parametrize(("when", "valid"), AGREE, ids=[w for w, _ in AGREE])
def test_schema_and_lint_agree(tmp_path, when, valid):
    text = rule_pack(when)
    errors = list(_validator().iter_errors(_as_editor_reads(text)))
    if valid:
        assert errors == [], [e.message for e in errors]
        load_packs([_write(tmp_path, text)], shipped=False)
    else:
        assert errors
        pack_problems(tmp_path, text)


def test_schema_errors_point_at_the_argument():
    """Dispatch by key: a wrong argument is reported at its own path, not as "not valid
    under any of the given schemas" for the whole rule."""
    data = _as_editor_reads(rule_pack("bytes_share: {kinds: [video], at_least: 60}"))
    (error,) = _validator().iter_errors(data)
    assert list(error.absolute_path) == ["rules", 0, "when", "bytes_share", "at_least"]
    assert "not valid under any" not in error.message
    disable = {"rules": [{"id": "demo.rule", "disabled": True}]}
    assert list(_validator().iter_errors(disable)) == []
