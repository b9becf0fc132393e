"""Rule packs that must fail to load (exact code, file:line:col, key path), and layering."""

from __future__ import annotations

import pytest
from rule_packs import HEAD, TESTS
from rule_packs import pack_problems as _problems
from rule_packs import rule_pack as _rule

from common.errors import RulesInvalid
from rules.ruleset import load_packs

# (case, pack text, problem code, line, col, key path)
MUST_FAIL = [
    (
        "unknown predicate",
        _rule("all:\n  - claimed.platfrom: {in: [ps2]}\n"),
        "rules.unknown_key",
        9,
        11,
        "rules[0].when.all[0].claimed.platfrom",
    ),
    (
        "unknown key in predicate",
        _rule("bytes_share: {kinds: [video], at_least: 0.5, atleast: 1}\n"),
        "rules.unknown_key",
        8,
        52,
        "rules[0].when.bytes_share.atleast",
    ),
    (
        "share above 1",
        _rule(
            "all:\n  - count: {kinds: [video], at_least: 1}\n"
            "  - bytes_share: {kinds: [video], at_least: 1.5}\n"
        ),
        "rules.bad_value",
        10,
        41,
        "rules[0].when.all[1].bytes_share.at_least",
    ),
    (
        "unknown kind",
        _rule("count: {kinds: [video, movie], at_least: 1}\n"),
        "rules.unknown_kind",
        8,
        30,
        "rules[0].when.count.kinds[1]",
    ),
    (
        "unknown platform",
        _rule("claimed.platform: {in: [ps9]}\n"),
        "rules.unknown_platform",
        8,
        31,
        "rules[0].when.claimed.platform.in[0]",
    ),
    (
        "unknown category",
        _rule("claimed.category: {in: [game]}\n"),
        "rules.unknown_category",
        8,
        31,
        "rules[0].when.claimed.category.in[0]",
    ),
    (
        "unknown level",
        HEAD.replace("level: high", "level: severe")
        + "    when: {video_about_game: true}\n"
        + TESTS,
        "rules.unknown_level",
        6,
        5,
        "rules[0].level",
    ),
    (
        "bad size",
        _rule("total_size: {at_most: 30 megabytes}\n"),
        "rules.bad_size",
        8,
        20,
        "rules[0].when.total_size.at_most",
    ),
    (
        "bad size in a test torrent",
        _rule("video_about_game: true\n", tests=TESTS.replace("700MB", "7OOMB")),
        "rules.bad_size",
        10,
        61,
        "rules[0].tests.flag[0].files[0][1]",
    ),
    (
        "at_least above at_most",
        _rule("file_count: {at_least: 10, at_most: 2}\n"),
        "rules.bad_range",
        8,
        20,
        "rules[0].when.file_count.at_least",
    ),
    (
        "empty all",
        _rule("all: []\n"),
        "rules.empty_group",
        8,
        7,
        "rules[0].when.all",
    ),
    (
        "wrong type",
        _rule("video_about_game: yes please\n"),
        "rules.wrong_type",
        8,
        7,
        "rules[0].when.video_about_game",
    ),
    (
        "two keys in one condition",
        _rule("video_about_game: true\nfile_count: {at_least: 1}\n"),
        "rules.bad_condition",
        7,
        5,
        "rules[0].when",
    ),
    (
        "unknown rule key",
        HEAD + "    severity: high\n    when: {video_about_game: true}\n" + TESTS,
        "rules.unknown_key",
        7,
        5,
        "rules[0].severity",
    ),
    (
        "missing key",
        HEAD.replace("    title: A demo rule\n", "")
        + "    when: {video_about_game: true}\n"
        + TESTS,
        "rules.missing_key",
        2,
        5,
        "rules[0]",
    ),
    (
        "duplicate id in a pack",
        _rule("video_about_game: true\n")
        + _rule("video_about_game: false\n").replace("rules:\n", ""),
        "rules.duplicate_id",
        11,
        5,
        "rules[1].id",
    ),
    (
        "invalid YAML",
        _rule("all:\n  - count: {kinds: [video], at_least: 1\n"),
        "rules.yaml_syntax",
        10,
        10,
        "",
    ),
    (
        "double extension final not a list",
        _rule("double_extension: {final: executables}\n"),
        "rules.bad_value",
        8,
        26,
        "rules[0].when.double_extension.final",
    ),
    (
        "wildcard matching everything",
        _rule("whole_token: [kart, '**']\n"),
        "rules.bad_value",
        8,
        27,
        "rules[0].when.whole_token[1]",
    ),
    (
        "no tests",
        _rule("video_about_game: true\n", tests="    tests: {}\n"),
        "rules.no_tests",
        9,
        5,
        "rules[0].tests",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "col", "path"),
    [case[1:] for case in MUST_FAIL],
    ids=[case[0] for case in MUST_FAIL],
)
def test_rule_must_fail_to_load(tmp_path, text, code, line, col, path):
    file, problems = _problems(tmp_path, text)
    found = [(p.code, p.line, p.col, p.path) for p in problems]
    assert (code, line, col, path) in found, found
    problem = next(p for p in problems if p.code == code)
    assert problem.file == str(file)
    if code != "rules.yaml_syntax":
        assert problem.rule_id == "demo.rule"
        assert f"{file}:{line}:{col}: rule demo.rule: {path}:" in str(problem)


def test_all_problems_are_collected_across_packs(tmp_path):
    (tmp_path / "a.yaml").write_text(_rule("count: {kinds: [movie], at_least: 1}\n"))
    (tmp_path / "b.yaml").write_text(_rule("total_size: {at_most: lots}\n"))
    with pytest.raises(RulesInvalid) as info:
        load_packs([tmp_path], shipped=False)
    codes = sorted(p.code for p in info.value.problems)
    assert codes == ["rules.bad_size", "rules.unknown_kind"]
    assert "2 problem(s)" in str(info.value)


def test_missing_pack_is_a_problem(tmp_path):
    with pytest.raises(RulesInvalid) as info:
        load_packs([tmp_path / "nope.yaml"], shipped=False)
    assert [p.code for p in info.value.problems] == ["rules.unreadable"]


def test_shipped_packs_load():
    ruleset = load_packs()
    assert "disguise.console-release-media-payload" in ruleset.rules
    assert all(rule.sql for rule in ruleset.rules.values())


def test_later_pack_overrides_by_id_and_disables(tmp_path):
    operator = tmp_path / "ops"
    operator.mkdir()
    override = _rule("total_size: {at_most: 10MB}\n").replace(
        "demo.rule", "disguise.double-extension"
    )
    (operator / "10-override.yaml").write_text(override)
    (operator / "20-disable.yaml").write_text(
        "rules:\n  - {id: disguise.bidi-control, disabled: true}\n"
    )
    shipped = load_packs()
    ruleset = load_packs([operator])
    assert set(ruleset.rules) == set(shipped.rules) - {"disguise.bidi-control"}
    assert ruleset.rules["disguise.double-extension"].sql == "t.total_size <= 10000000"
    assert ruleset.rules["disguise.double-extension"].where.endswith("10-override.yaml:2:5")
    assert "disguise.double-extension" in ruleset.overridden
    assert "disguise.bidi-control" in ruleset.disabled
    # Order matters: a later pack can bring a disabled rule back.
    (operator / "30-back.yaml").write_text(
        _rule("video_about_game: true\n").replace("demo.rule", "disguise.bidi-control")
    )
    assert "disguise.bidi-control" in load_packs([operator]).rules


def test_disabling_an_unknown_rule_is_an_error(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("rules:\n  - {id: disguise.no-such-rule, disabled: true}\n")
    with pytest.raises(RulesInvalid) as info:
        load_packs([path])
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.col) == ("rules.unknown_rule", 2, 5)


def test_a_full_rule_can_be_written_disabled(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        _rule("video_about_game: true\n").replace("level: high", "level: high\n    disabled: true")
    )
    ruleset = load_packs([path], shipped=False)
    assert ruleset.rules == {}
    assert "demo.rule" in ruleset.disabled
    # ... and it is still checked.
    path.write_text(
        _rule("count: {kinds: [movie], at_least: 1}\n").replace(
            "level: high", "level: high\n    disabled: true"
        )
    )
    with pytest.raises(RulesInvalid) as info:
        load_packs([path], shipped=False)
    assert [p.code for p in info.value.problems] == ["rules.unknown_kind"]


def test_a_pack_that_is_not_utf8_names_the_line_and_column_of_the_bad_byte(tmp_path):
    pack = tmp_path / "latin1.yaml"
    pack.write_bytes(b"rules:\n  - id: demo.caf\xe9\n")
    with pytest.raises(RulesInvalid) as info:
        load_packs([pack], shipped=False)
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.col) == ("rules.not_utf8", 2, 17)
    assert f"{pack}:2:17" in str(info.value)
