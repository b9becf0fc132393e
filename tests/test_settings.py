"""Source settings are data: every kind declares its keys in a SettingsSpec, one checker
checks them all and names the key of each problem, ``sources.yaml`` points at that
key's line, and the kinds read their values (defaults included) from the same table."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from common.checks import is_number, is_whole
from common.errors import ConfigError, SourcesInvalid
from common.settings import (
    Rule,
    Setting,
    SettingProblem,
    SettingsSpec,
    boolean,
    items,
    number,
    whole,
)
from monitors import kinds
from monitors.config import load_sources

ROOT = Path(__file__).resolve().parent.parent
KINDS = sorted(kinds.KIND_MODULES)


def _module(kind: str):
    return importlib.import_module(kinds.KIND_MODULES[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_its_settings_as_data(kind):
    module = _module(kind)
    spec = module.SETTINGS
    assert isinstance(spec, SettingsSpec) and spec.kind == kind
    assert kinds.load_kind(kind).settings is spec
    assert len(set(spec.keys)) == len(spec.keys), "a key declared twice"
    for setting in spec.settings:
        assert isinstance(setting, Setting)
        assert setting.doc.strip(), f"{kind}.{setting.key} has no doc"
        assert setting.check is not None, f"{kind}.{setting.key} is never checked"
    # The module's check_settings is the one checker's, as "key: message" lines.
    assert module.check_settings({"no_such_key": 1}) == spec.messages({"no_such_key": 1})


@pytest.mark.parametrize("kind", KINDS)
def test_the_one_checker_names_the_key_of_every_wrong_value(kind):
    spec = _module(kind).SETTINGS
    unknown = [p for p in spec.check({"no_such_key": 1}) if p.key == "no_such_key"]
    assert len(unknown) == 1
    for key in spec.keys:
        # A mapping is a valid value of no setting of any kind.
        problems = spec.check({key: {"a": 1}})
        assert any(p.key == key for p in problems), (kind, key, problems)
        assert all(isinstance(p, SettingProblem) for p in problems)


@pytest.mark.parametrize(
    ("kind", "good"),
    [
        ("feed", {"url": "https://127.0.0.1/rss"}),
        ("scrape", {"trackers": ["udp://127.0.0.1:6969/announce"], "from_warehouse": True}),
        ("fetch", {"listen_interface": "127.0.0.1", "from_warehouse": True}),
        ("dht", {"listen_interface": "127.0.0.1", "dht_bootstrap_nodes": ["127.0.0.1:6881"]}),
    ],
)
def test_read_settings_takes_its_defaults_from_the_declaration(kind, good):
    module = _module(kind)
    spec = module.SETTINGS
    values = spec.read(good)
    assert set(values) == set(spec.keys)
    declared = {s.key: s.default for s in spec.settings}
    assert all(values[key] == declared[key] for key in spec.keys if key not in good)
    read = module.read_settings(good)
    for key in ("remember", "batch", "concurrency", "max_queries", "warehouse_limit"):
        if key in declared:
            assert getattr(read, key) == declared[key], key


def test_a_null_number_takes_the_default_instead_of_crashing():
    """Before: ``int(None)`` (TypeError) in read_settings after the check had let null
    through."""
    fetch = _module("fetch")
    read = fetch.read_settings(
        {"listen_interface": "127.0.0.1", "from_warehouse": True, "concurrency": None}
    )
    assert read.concurrency == fetch.CONCURRENCY
    dht = _module("dht")
    read = dht.read_settings(
        {
            "listen_interface": "127.0.0.1",
            "dht_bootstrap_nodes": ["127.0.0.1:6881"],
            "max_queries": None,
        }
    )
    assert read.max_queries == dht.MAX_QUERIES


def test_the_checker_itself():
    spec = SettingsSpec(
        "demo",
        (
            Setting("size", whole(1, 10, "from {low} to {high}, not {value!r}"), default=5),
            Setting("ratio", number(0, 1, "above {above}, at most {high}: {value!r}")),
            Setting("on", boolean(), default=False, nullable=False),
            Setting("hosts", items(_host), default=(), required="list some hosts"),
        ),
        rules=(Rule("size", "too big for one host", lambda s: s.get("size", 0) > 3),),
        unknown="unknown; allowed: {allowed}",
    )
    assert spec.messages({"hosts": ["a"]}) == []
    assert spec.messages({"hosts": ["a"], "size": True, "ratio": float("nan"), "on": None}) == [
        "size: from 1 to 10, not True",
        "ratio: above 0, at most 1: nan",
        "on: must be true or false, not None",
    ]
    assert spec.messages({"hosts": "a", "x": 1}) == [
        "x: unknown; allowed: size, ratio, on, hosts",
        "hosts: must be a list, not str",
    ]
    assert spec.messages({"hosts": ["a", "", "b", 7], "size": 4}) == [
        "hosts: item 2: empty",
        "hosts: item 4: not text",
        "size: too big for one host",
    ]
    assert spec.messages({"hosts": None}) == ["hosts: list some hosts"]
    assert spec.read({"hosts": ["a"], "ratio": None}) == {
        "size": 5,
        "ratio": None,
        "on": False,
        "hosts": ["a"],
    }
    with pytest.raises(ConfigError, match=r"^\[config.invalid\] demo settings: hosts: list"):
        spec.read({})


def _host(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    if not value:
        raise ValueError("empty")
    return value


def test_config_points_at_the_key_and_reports_the_kinds_words(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - name: f\n"
        "    kind: feed\n"
        "    settings:\n"
        "      url: https://127.0.0.1/rss\n"
        "      remember: 5\n"
        "  - name: d\n"
        "    kind: dht\n"
        "    settings: {listen_interface: 127.0.0.1}\n",
        encoding="utf-8",
    )
    with pytest.raises(SourcesInvalid) as caught:
        load_sources(path)
    found = {(p.path, p.line, p.col, p.message) for p in caught.value.problems}
    assert found == {
        (
            "sources[0].settings.remember",
            6,
            7,
            "feed: remember: must be a whole number of item ids, at least 100: 5",
        ),
        (
            # A missing key is reported at the settings it is missing from.
            "sources[1].settings",
            9,
            5,
            "dht: dht_bootstrap_nodes: required: the nodes ('host:port') to start from; "
            "the public DHT's routers are used only when listed here",
        ),
    }
    assert {p.code for p in caught.value.problems} == {"sources.bad_settings"}


def test_whole_and_real_numbers_are_one_test():
    assert [is_whole(v) for v in (1, 0, -3, True, 1.0, "1", None)] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert [is_number(v) for v in (1, 1.5, float("inf"), float("nan"), False, "2")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def _mixes_int_and_bool(node: ast.BoolOp) -> bool:
    """``isinstance(x, int) and not isinstance(x, bool)`` and its variants: one
    isinstance test for int, another for bool, in one condition."""
    calls = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) == "isinstance":
            calls.append({n.id for n in ast.walk(sub.args[1]) if isinstance(n, ast.Name)})
    return any("int" in a for a in calls) and any(a == {"bool"} for a in calls)


def test_no_copy_of_the_whole_number_test_below_the_stages():
    """``common.checks.is_whole`` is the one whole-number test of the lower layers."""
    copies = []
    for package in ("common", "parsers", "warehouse", "rules", "monitors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "common" / "checks.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            copies += [
                f"{path.relative_to(ROOT)}:{node.lineno}"
                for node in ast.walk(tree)
                if isinstance(node, ast.BoolOp) and _mixes_int_and_bool(node)
            ]
    assert copies == []
