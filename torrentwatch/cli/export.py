"""`torrentwatch export ...`: a thin skin over torrentwatch.export (registered in the
torrentwatch.cli package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from common.errors import ExportVerifyFailed
from torrentwatch import export as export_stage
from torrentwatch.cli.shared import DbOption, console
from torrentwatch.summaries import export_text

export_app = typer.Typer(
    help="Hotline exports of confirmed flags (csv, jsonl, parquet) with a manifest; verify.",
    invoke_without_command=True,
)


@export_app.callback()
def export(
    ctx: typer.Context,
    target: Annotated[
        str | None, typer.Option("--target", help="Who receives it (names the files).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet.")] = "csv",
    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("exports"),
    escalated: Annotated[
        bool, typer.Option("--include-escalated", help="Also escalated items.")
    ] = False,
    batch: Annotated[
        str | None, typer.Option("--batch", help="Write an earlier batch again (same bytes).")
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Export what TARGET has not received yet (confirmed items) as one batch.

    Writes NAME-BATCH.FORMAT and its .manifest.json into --out; nothing new writes
    nothing. `export verify MANIFEST` checks files against a manifest.
    """
    if ctx.invoked_subcommand is not None:
        return
    result = export_stage.export(
        db, target=target, fmt=fmt, out_dir=out, escalated=escalated, batch=batch
    )
    console.print(Text(export_text(result)))
    if result.batch_id is not None:
        console.print(Text(f"  {result.file}\n  {result.manifest}"))


@export_app.command("verify")
def verify(
    manifest: Annotated[Path, typer.Argument(help="A .manifest.json written by export.")],
) -> None:
    """Recompute SHA-256, sizes and rows of a manifest's files; list every mismatch.

    Exit 1 when any file does not match (or the manifest cannot be read).
    """
    report = export_stage.export_verify(manifest)
    for problem in report.problems:
        console.print(Text(f"MISMATCH {problem}"), soft_wrap=True)
    if not report.ok:
        raise ExportVerifyFailed(
            f"{manifest}: {len(report.problems)} mismatch(es) in {report.files} file(s)"
        )
    console.print(Text(f"ok: {report.files} file(s) match {manifest}"))
