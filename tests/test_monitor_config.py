"""sources.yaml: a good file loads; every bad one fails with file:line:col and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError, SourcesInvalid, SourceUnknown
from monitors import kinds
from monitors.config import DEFAULT_TIMEOUT, load_sources

GOOD = """\
landing: spool/landing
defaults:
  rate_limit: 2
  timeout: 30
parallel: 2
sources:
  - name: inbox
    kind: folder
    settings:
      path: watch
  - name: slow-inbox.2
    kind: folder
    rate_limit: 0.5
    timeout: 5
    settings: {path: /srv/other}
"""


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "sources.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str | bytes) -> list:
    path = _write(tmp_path, text)
    with pytest.raises(SourcesInvalid) as raised:
        load_sources(path)
    assert str(path) in str(raised.value)
    return list(raised.value.problems)


def _one(problems: list, code: str):
    found = [p for p in problems if p.code == code]
    assert found, f"no {code} among {[str(p) for p in problems]}"
    return found[0]


def test_good_config_loads_with_defaults_and_paths_from_its_folder(tmp_path):
    config = load_sources(_write(tmp_path, GOOD))
    assert config.landing == tmp_path / "spool" / "landing"
    assert config.parallel == 2
    assert config.names() == ["inbox", "slow-inbox.2"]
    inbox, slow = config.sources
    assert (inbox.kind, inbox.rate_limit, inbox.timeout) == ("folder", 2.0, 30.0)
    assert dict(inbox.settings) == {"path": "watch"}
    assert (slow.rate_limit, slow.timeout) == (0.5, 5.0)
    assert inbox.where.endswith(":7:5")
    assert [s.name for s in config.selected(["slow-inbox.2"])] == ["slow-inbox.2"]
    with pytest.raises(SourceUnknown, match="no source named 'nope'"):
        config.selected(["nope"])


def test_minimal_config_takes_defaults(tmp_path):
    config = load_sources(
        _write(tmp_path, "sources:\n  - {name: a, kind: folder, settings: {path: x}}\n")
    )
    assert config.landing == tmp_path / "landing"
    assert config.sources[0].timeout == DEFAULT_TIMEOUT
    assert config.sources[0].rate_limit is None


def test_unknown_keys_are_errors_at_their_line(tmp_path):
    text = GOOD.replace("parallel: 2", "paralel: 2").replace(
        "    rate_limit: 0.5", "    rate_limt: 0.5"
    )
    problems = _problems(tmp_path, text)
    top = next(p for p in problems if p.path == "paralel")
    assert (top.code, top.line, top.col) == ("sources.unknown_key", 5, 1)
    nested = next(p for p in problems if p.path == "sources[1].rate_limt")
    assert (nested.code, nested.line) == ("sources.unknown_key", 13)
    assert "allowed:" in nested.message


def test_missing_name_and_missing_kind(tmp_path):
    problems = _problems(
        tmp_path, "sources:\n  - kind: folder\n    settings: {path: x}\n  - name: b\n"
    )
    assert _one(problems, "sources.missing_key").path in {"sources[0].name", "sources[1].kind"}
    paths = {p.path for p in problems if p.code == "sources.missing_key"}
    assert paths == {"sources[0].name", "sources[1].kind"}


def test_duplicate_names_point_at_both(tmp_path):
    text = (
        "sources:\n"
        "  - {name: inbox, kind: folder, settings: {path: a}}\n"
        "  - {name: inbox, kind: folder, settings: {path: b}}\n"
    )
    problem = _one(_problems(tmp_path, text), "sources.duplicate_name")
    assert (problem.line, problem.path) == (3, "sources[1].name")
    assert ":2:" in problem.message


@pytest.mark.parametrize(
    "name",
    ["../escape", "a/b", "..", "a..b", ".hidden", "", "x" * 65, "sp ace", "nul\0", 7, "é"],
)
def test_unsafe_names_are_refused(tmp_path, name):
    text = f"sources:\n  - name: {name!r}\n    kind: folder\n    settings: {{path: x}}\n"
    if isinstance(name, int):
        text = text.replace(f"{name!r}", str(name))
    elif "\0" in name:
        text = text.replace(repr(name), '"nul\\0"')
    problem = _one(_problems(tmp_path, text), "sources.bad_name")
    assert (problem.line, problem.path) == (2, "sources[0].name")


def test_unknown_kind_and_unimportable_kind(tmp_path, monkeypatch):
    monkeypatch.setitem(kinds.KIND_MODULES, "ghost", "monitors.no_such_module_xyz")
    text = (
        "sources:\n"
        "  - {name: a, kind: telepathy}\n"
        "  - {name: b, kind: ghost}\n"
        "  - {name: c, kind: [folder]}\n"
    )
    problems = _problems(tmp_path, text)
    bad = {p.path: p.message for p in problems if p.code == "sources.bad_kind"}
    assert "unknown kind 'telepathy'" in bad["sources[0].kind"]
    assert "folder" in bad["sources[0].kind"]  # lists the known kinds
    assert "monitors.no_such_module_xyz cannot be imported" in bad["sources[1].kind"]
    assert _one(problems, "sources.missing_key").path == "sources[2].kind"


def test_kind_settings_are_checked_by_the_kind(tmp_path):
    text = (
        "sources:\n"
        "  - name: a\n"
        "    kind: folder\n"
        "    settings:\n"
        "      colour: blue\n"
        "      size: -1\n"
        "  - {name: b, kind: folder, settings: [path, x]}\n"
    )
    problems = [p for p in _problems(tmp_path, text)]
    by_path = {p.path: p for p in problems}
    assert by_path["sources[0].settings.colour"].line == 5
    assert by_path["sources[0].settings.size"].line == 6
    missing = by_path["sources[0].settings"]
    assert "path: required" in missing.message
    assert by_path["sources[1].settings"].code == "sources.not_mapping"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ("rate_limit: -1", "rate_limit"),
        ("rate_limit: fast", "rate_limit"),
        ("rate_limit: true", "rate_limit"),
        ("rate_limit: .nan", "rate_limit"),
        ("timeout: 0", "timeout"),
        ("timeout: [1]", "timeout"),
        # Out of range: each would overflow a sleep or a select() timeout later on.
        ("timeout: 99999999999999999999999", "timeout"),
        (f"timeout: {10**400}", "timeout"),  # too large for a float: math.isfinite raised
        ("timeout: 2592001", "timeout"),
        ("rate_limit: 1.0e-300", "rate_limit"),
        ("rate_limit: 1.0e+300", "rate_limit"),
        (f"rate_limit: {10**400}", "rate_limit"),
    ],
)
def test_bad_numbers_name_the_key(tmp_path, entry, key):
    text = f"sources:\n  - name: a\n    kind: folder\n    settings: {{path: x}}\n    {entry}\n"
    problem = _one(_problems(tmp_path, text), "sources.bad_value")
    assert (problem.path, problem.line) == (f"sources[0].{key}", 5)


@pytest.mark.parametrize(
    "line", ["interval: 99999999999999999999999", "interval: -1", "parallel: 100000", "parallel: 0"]
)
def test_top_level_numbers_out_of_range_name_the_key(tmp_path, line):
    text = f"{line}\nsources:\n  - {{name: a, kind: folder, settings: {{path: x}}}}\n"
    problem = _one(_problems(tmp_path, text), "sources.bad_value")
    assert (problem.path, problem.line) == (line.split(":")[0], 1)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("sources:\n  - name: a\n   kind: folder\n", 3),
        ("sources: [\n", 2),
        ("sources:\n\t- name: a\n", 2),
        ('sources:\n  - name: "unterminated\n', 3),
    ],
)
def test_invalid_yaml_gives_the_position(tmp_path, text, line):
    problem = _one(_problems(tmp_path, text), "sources.yaml_syntax")
    assert problem.line == line
    assert "not valid YAML" in problem.message


def test_duplicate_keys_and_wrong_shapes(tmp_path):
    assert _one(_problems(tmp_path, "sources: []\nsources: []\n"), "sources.duplicate_key")
    assert _one(_problems(tmp_path, "- just\n- a list\n"), "sources.not_mapping")
    assert _one(_problems(tmp_path, ""), "sources.not_mapping")
    assert _one(_problems(tmp_path, "sources: []\n"), "sources.missing_key").path == "sources"
    assert _one(_problems(tmp_path, "sources: [42]\n"), "sources.not_mapping")


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    lines.append("sources: [*i]")
    problem = _one(_problems(tmp_path, "\n".join(lines) + "\n"), "sources.yaml_alias")
    assert problem.line == 2


def test_unreadable_non_utf8_and_huge_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_sources(_write(tmp_path, b"sources:\n  - name: caf\xe9\n"))
    with pytest.raises(ConfigError, match="bytes"):
        load_sources(_write(tmp_path, "# " + "x" * (5 * 1024 * 1024)))


def test_deeply_nested_settings_are_an_error_not_a_crash(tmp_path):
    nested = "[" * 5000 + "]" * 5000
    text = f"sources:\n  - {{name: a, kind: folder, settings: {{path: x, deep: {nested}}}}}\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="nests more than"):
        load_sources(path)
    # Block nesting (indentation) is not bracket-counted: RecursionError is caught.
    block = "".join(f"{' ' * i}- \n" for i in range(0, 3000, 1))
    with pytest.raises(ConfigError):
        load_sources(_write(tmp_path, "sources:\n" + block))


def test_the_documented_example_loads():
    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "sources.yaml"
    config = load_sources(example)
    assert config.landing == example.parent.parent.parent / "var" / "landing"
    assert {s.kind for s in config.sources} == {
        "folder",
        "feed",
        "scrape",
        "fetch",
        "dht",
        "magnetico",
    }
    assert all(s.timeout > 0 for s in config.sources)
