"""What every `torrentwatch` command shares: the consoles, the --db option, table output."""

from __future__ import annotations

import sys
from typing import Annotated

import pyarrow as pa
import typer
from rich.console import Console

from torrentwatch.render import csv_text, jsonl_text, rich_table

# Piped output is read by scripts and people's pagers: don't fold names at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 240)
err_console = Console(stderr=True)

# Text, not a Path: a lake target ("ducklake:postgres:…;data_path=…") must reach the
# warehouse as written (a Path would fold its slashes).
DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="DuckDB warehouse file, or a ducklake: target (docs/lake.md).",
        envvar="TORRENTWATCH_DB",
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="table, csv or jsonl.")]


def print_table(table: pa.Table, fmt: str, *, title: str | None = None) -> None:
    """``table`` on stdout as a rich table, CSV or JSON lines (``--format``)."""
    if fmt == "csv":
        sys.stdout.write(csv_text(table))
    elif fmt == "jsonl":
        sys.stdout.write(jsonl_text(table))
    elif fmt == "table":
        console.print(rich_table(table, title=title))
    else:
        raise typer.BadParameter(f"--format must be table, csv or jsonl, not {fmt!r}")
