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
    assert "disguise.double-extension" in out.stdout and "8 active flags" in out.stdout
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
