"""Numbers given to the CLI and to the stage functions are range-checked where they are
read: a clear usage error (exit 2) or a typed error, never a traceback."""

from __future__ import annotations

import pytest
import typer.main
from cli_runner import run_cli

from common.errors import ValueOutOfRange
from torrentwatch.cli import app
from torrentwatch.ingest import ingest
from torrentwatch.review import review_queue

HUGE = "9" * 30

NUMERIC_OPTIONS = [
    ("ingest", "--workers", ["-1", HUGE]),  # 0 means one worker per core
    ("ingest", "--chunk", ["0", "-1", HUGE]),
    ("ingest", "--batch", ["0", "-1", HUGE]),
    ("load", "--batch", ["0", "-1", HUGE]),
    ("review queue", "--limit", ["-1", HUGE]),  # 0 means all
    ("rules diff", "--examples", ["-1", "1001", HUGE]),  # 0 means none
    ("rules shadow", "--limit", ["-1", HUGE]),  # 0 means all
    ("indicators", "--min-cell", ["0", "-1", "1000001", HUGE]),
    ("serve", "--port", ["0", "-1", "65536", HUGE]),
]


def _numeric_params() -> list[tuple[str, object]]:
    """(command, parameter) for every int or float parameter of every command."""

    def walk(group, prefix=""):
        for name, command in group.commands.items():
            full = f"{prefix}{name}"
            if hasattr(command, "commands"):
                yield from walk(command, f"{full} ")
                continue
            for param in command.params:
                annotation = param.type_descriptor.annotation
                if annotation in (int, float, int | None, float | None):
                    yield full, param

    return list(walk(typer.main.get_command(app)))


def test_every_numeric_option_has_a_range_and_is_tested_here():
    found = {(command, param.opts[0]) for command, param in _numeric_params()}
    ranged = {
        (command, param.opts[0])
        for command, param in _numeric_params()
        if param.min is not None and param.max is not None
    }
    assert found == ranged, f"numeric options without both bounds: {sorted(found - ranged)}"
    assert found == {(command, option) for command, option, _ in NUMERIC_OPTIONS}


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [(c, o, v) for c, o, values in NUMERIC_OPTIONS for v in values],
)
def test_out_of_range_option_is_a_usage_error(tmp_path, command, option, value):
    args = [*command.split(), str(tmp_path)] if command == "ingest" else command.split()
    result = run_cli(*args, "--db", tmp_path / "w.duckdb", f"{option}={value}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert option in result.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything started


def _id(value: float) -> str:
    if isinstance(value, int) and value.bit_length() > 64:
        return f"{value.bit_length()}-bit"
    return str(value)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("workers", -1),
        ("workers", 10**6),
        ("chunk_size", 0),
        ("chunk_size", -1),
        ("chunk_size", 10**5000),  # too long for str(): the message must still work
        ("batch_size", 0),
        ("batch_size", -1),
        ("batch_size", 10**12),
        ("batch_size", 2.5),
    ],
    ids=lambda v: v if isinstance(v, str) else _id(v),
)
def test_ingest_refuses_bad_numbers_before_opening_anything(tmp_path, keyword, value):
    with pytest.raises(ValueOutOfRange) as caught:
        ingest([tmp_path], tmp_path / "w.duckdb", **{keyword: value})
    assert caught.value.code == "value.out_of_range" and keyword in str(caught.value)
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("value", [-1, 10**30])
def test_review_queue_refuses_bad_limits(tmp_path, value):
    with pytest.raises(ValueOutOfRange, match="limit"):
        review_queue(tmp_path / "w.duckdb", limit=value)


def test_zero_workers_and_zero_limit_keep_their_meaning(tmp_path, torrent_folder):
    """0 is in range where it means something: one worker per core, no limit."""
    db = str(tmp_path / "w.duckdb")
    for args in (
        ["ingest", str(torrent_folder), "--workers", "0"],
        ["review", "queue", "--limit", "0"],
    ):
        result = run_cli(*args, "--db", db)
        assert result.returncode == 0, result.stderr
