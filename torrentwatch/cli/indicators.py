"""`torrentwatch indicators`: a thin skin over torrentwatch.indicators and
torrentwatch.indicator_report (registered in the torrentwatch.cli package)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from torrentwatch import indicator_report, indicator_share
from torrentwatch import indicators as indicators_stage
from torrentwatch.cli.shared import DbOption, console, err_console
from torrentwatch.export_files import write_atomic
from torrentwatch.render import rich_table


def indicators(
    since: Annotated[
        str | None, typer.Option("--since", help="First day (YYYY-MM-DD); its whole period counts.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last day (YYYY-MM-DD; default today, UTC).")
    ] = None,
    every: Annotated[str, typer.Option("--every", help="week or month (UTC).")] = "week",
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or html.")] = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
    share: Annotated[
        bool,
        typer.Option(
            "--shareable",
            help="Counts only, small cells suppressed, no infohash, name or path (JSON); "
            "with --out, its JSON Schema is written beside it.",
        ),
    ] = False,
    min_cell: Annotated[
        int,
        typer.Option(
            "--min-cell", help="Suppress counts below this (--shareable).", min=1, max=1_000_000
        ),
    ] = indicator_share.DEFAULT_MIN_CELL,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Indicators per week or month: torrents first seen, flags, decisions and precision,
    times to flag and to decision, persistence of confirmed torrents, hash-list hits,
    exports. Periods without events are rows of zeros (docs/indicators.md).
    """
    result = indicators_stage.indicators(db, since=since, until=until, every=every)
    if fmt == "table" and not share:
        if out is not None:
            raise typer.BadParameter("--format table is for the terminal; use csv, json or html")
        for item in result.tables:
            console.print(rich_table(item.table, title=item.indicator.title))
        return
    text = indicator_report.render_text(result, fmt, shareable=share, min_cell=min_cell)
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, [text.encode("utf-8")])
    err_console.print(f"wrote {out}")
    if share:
        schema = out.with_name(f"{out.stem}.schema.json")
        body = json.dumps(indicator_share.shareable_schema(), indent=1) + "\n"
        write_atomic(schema, [body.encode("utf-8")])
        err_console.print(f"wrote {schema}")
