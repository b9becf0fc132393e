"""The CLI: commands work end to end, every command is documented, errors are one clear line."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_cli
from typer.core import TyperGroup

from torrentwatch.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _walk(group: TyperGroup, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command and group by its full name (``hashlist import``), groups walked."""
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        yield full, command
        if isinstance(command, TyperGroup):
            yield from _walk(command, f"{full} ")


def _commands() -> dict[str, Any]:
    import typer.main

    return dict(_walk(typer.main.get_command(app)))


def test_every_command_has_help_and_documentation():
    readme = README.read_text(encoding="utf-8")
    commands = _commands()
    assert {"ingest", "hashlist import", "hashlist list", "rules lint", "rules test"} <= set(
        commands
    )
    for name, command in commands.items():
        assert (command.help or "").strip(), f"{name} has no help text"
        if isinstance(command, TyperGroup):
            continue  # a group is documented through its commands
        assert re.search(rf"`{re.escape(name)}`", readme), f"{name} is not documented in README.md"


def test_ingest_stats_sql(tmp_path, torrent_folder):
    db = tmp_path / "cli.duckdb"
    out = _run("ingest", str(torrent_folder), "--db", str(db))
    assert "new 40" in out.stdout and "rejected 0" in out.stdout
    stats = _run("stats", "--db", str(db))
    assert "torrents" in stats.stdout and "40" in stats.stdout
    assert "known lists" in stats.stdout
    csv = _run("sql", "SELECT count(*) AS n FROM files", "--db", str(db), "--format", "csv")
    assert csv.stdout.splitlines()[0] == "n"
    assert int(csv.stdout.splitlines()[1]) > 40


def test_demo_prints_summary_and_queries(tmp_path):
    db = tmp_path / "demo.duckdb"
    out = _run("demo", "--db", str(db))
    assert "rejected 5" in out.stdout
    assert "Winter.Garden.Racing.PS2.NTSC-FAKEGRP" in out.stdout
    assert "disguise.double-extension" in out.stdout and "9 active flags" in out.stdout
    assert f"torrentwatch serve --db {db}" in out.stdout
    assert db.exists()


def test_errors_are_one_clear_line(tmp_path):
    out = _run("sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb"), check=False)
    assert out.returncode == 1
    assert "warehouse.missing" in out.stderr and "none.duckdb" in out.stderr
    assert "Traceback" not in out.stderr
    bad = _run("sql", "SELEC nonsense", "--db", str(tmp_path / "none.duckdb"), check=False)
    assert bad.returncode == 1


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_sql_formats(tmp_path, torrent_folder, fmt):
    db = tmp_path / "f.duckdb"
    _run("ingest", str(torrent_folder), "--db", str(db))
    out = _run(
        "sql", "SELECT name FROM torrents ORDER BY name LIMIT 1", "--db", str(db), "--format", fmt
    )
    assert "Kart" in out.stdout


def test_sql_csv_neutralises_formula_text_but_not_numbers(tmp_path, torrent_folder):
    db = tmp_path / "f.duckdb"
    _run("ingest", str(torrent_folder), "--db", str(db))
    query = "SELECT '=HYPERLINK(\"x\")' AS name, -5 AS n, '\uff1dSUM(A1)' AS wide, 'Kart' AS plain"
    out = _run("sql", query, "--db", str(db), "--format", "csv")
    row = next(csv.reader(io.StringIO(out.stdout.splitlines()[1])))
    assert row == ['\'=HYPERLINK("x")', "-5", "'\uff1dSUM(A1)", "Kart"]


def test_an_interrupted_run_ends_with_one_line_and_code_130(monkeypatch, capsys):
    """Ctrl-C in the middle of a command: one line and exit 130, no traceback."""
    from torrentwatch import cli, query

    def interrupted(db):
        raise KeyboardInterrupt

    monkeypatch.setattr(query, "stats", interrupted)
    monkeypatch.setattr(sys, "argv", ["torrentwatch", "stats", "--db", "x.duckdb"])
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


# --- every option reaches its stage ---------------------------------------------------

# The stage function each command hands its options to (module, function).
STAGES = {
    "demo": ("torrentwatch.demo", "demo"),
    "explain": ("torrentwatch.explain", "explain"),
    "export": ("torrentwatch.export", "export"),
    "export verify": ("torrentwatch.export", "export_verify"),
    "flag": ("torrentwatch.flag", "flag"),
    "hashlist export": ("torrentwatch.exchange", "exchange_export"),
    "hashlist import": ("torrentwatch.hashlist", "hashlist_import"),
    "hashlist list": ("torrentwatch.hashlist", "hashlist_list"),
    "import magnetico": ("torrentwatch.import_magnetico", "import_magnetico"),
    "indicators": ("torrentwatch.indicators", "indicators"),
    "ingest": ("torrentwatch.ingest", "ingest"),
    "load": ("torrentwatch.monitor", "load_landing"),
    "monitor": ("torrentwatch.monitor", "monitor"),
    "review bulk": ("torrentwatch.review", "review_bulk"),
    "review codes": ("torrentwatch.review", "rationale_table"),
    "review decide": ("torrentwatch.review", "review_decide"),
    "review policy": ("torrentwatch.review", "review_policy"),
    "review queue": ("torrentwatch.review", "review_queue"),
    "review show": ("torrentwatch.review", "review_show"),
    "rules lint": ("rules.ruleset", "rules_lint"),
    "serve": ("torrentwatch.workbench.server", "serve"),
    "users add": ("torrentwatch.workbench.accounts", "users_add"),
    "users list": ("torrentwatch.workbench.accounts", "users_list"),
    "users role": ("torrentwatch.workbench.accounts", "users_role"),
    "users disable": ("torrentwatch.workbench.accounts", "users_disable"),
    "users enable": ("torrentwatch.workbench.accounts", "users_enable"),
    "users password": ("torrentwatch.workbench.accounts", "users_password"),
    "rules test": ("torrentwatch.rule_tests", "rules_test"),
    "rules diff": ("torrentwatch.rules_diff", "rules_diff"),
    "rules stats": ("torrentwatch.rules_stats", "rules_stats"),
    "rules shadow": ("torrentwatch.rules_stats", "experimental_flags"),
    "sql": ("torrentwatch.query", "sql"),
    "stats": ("torrentwatch.query", "stats"),
}
# Options that shape the output, not the work: the command itself uses them.
PRINTING_ONLY = {
    ("sql", "fmt"),
    ("review queue", "fmt"),
    ("rules diff", "fmt"),
    ("rules diff", "accept_cleared"),
    ("rules stats", "fmt"),
    ("rules shadow", "fmt"),
}
# indicators: the stage computes; the format, the file and the shareable cut are output.
PRINTING_ONLY |= {("indicators", p) for p in ("fmt", "out", "share", "min_cell")}


class StageReached(Exception):
    """Raised by a stand-in stage once it has recorded what it was called with."""


def _values(command) -> tuple[list[str], list[object]]:
    """Command-line arguments giving every parameter a value unlike its default, and the
    values the stage should then receive (typer's parameters, read as typer describes them)."""
    args: list[str] = []
    expected: list[object] = []
    for number, param in enumerate(command.params):
        is_option = param.opts[0].startswith("-")
        if getattr(param, "is_flag", False):
            args.append(param.opts[0])
            expected.append(True)
            continue
        if param.type_descriptor.annotation in (int, int | None):
            value: object = (param.min or 0) + 7 + number
        else:
            value = f"value-{param.name}"
        expected.append(value)
        for item in [str(value)] * (2 if param.multiple or param.nargs == -1 else 1):
            args.extend([param.opts[0], item] if is_option else [item])
    return args, expected


def _received(call: tuple[tuple, dict]) -> list[object]:
    """Every value a stage was called with, lists opened up, paths as text."""
    flat: list[object] = []
    for value in [*call[0], *call[1].values()]:
        for item in value if isinstance(value, list | tuple) else [value]:
            flat.append(str(item) if isinstance(item, Path) else item)
    return flat


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_option_reaches_the_stage(name, monkeypatch):
    """No option is accepted and then dropped (as `ingest --batch` once was): each
    command, given a value unlike the default for every parameter, hands each value on
    to its stage function. A new command must be added to STAGES."""
    import importlib

    from typer.testing import CliRunner

    commands = _commands()
    runnable = {n for n, c in commands.items() if not isinstance(c, TyperGroup)} | {"export"}
    assert runnable == set(STAGES)
    calls: list[tuple[tuple, dict]] = []

    def stand_in(*args, **kwargs):
        calls.append((args, kwargs))
        raise StageReached

    module, function = STAGES[name]
    monkeypatch.setattr(importlib.import_module(module), function, stand_in)
    monkeypatch.delenv("TORRENTWATCH_DB", raising=False)
    monkeypatch.delenv("TORRENTWATCH_ANALYST", raising=False)
    args, expected = _values(commands[name])
    params = [p.name for p in commands[name].params]
    result = CliRunner().invoke(app, [*name.split(), *args])
    assert isinstance(result.exception, StageReached), result.output
    (call,) = calls
    received = _received(call)
    for param, value in zip(params, expected, strict=True):
        if (name, param) in PRINTING_ONLY:
            continue
        if value is True:
            assert any(v is True for v in received), f"{name}: {param} did not reach the stage"
        else:
            assert value in received, f"{name}: {param}={value!r} did not reach the stage"
