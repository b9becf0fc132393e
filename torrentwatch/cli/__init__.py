"""The `torrentwatch` command: a thin skin over the library functions of the same names.

Each command parses its options, calls one stage function of the stage library and
prints what it returns; the words printed come from ``torrentwatch.summaries`` and
``torrentwatch.render``, which the DAGs share. May import: every layer below (the stage
library and under); nothing imports it but ``torrentwatch.__main__``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from common.errors import SourceFailed, TorrentwatchError
from torrentwatch import hashlist, query, summaries
from torrentwatch import import_magnetico as magnetico_stage
from torrentwatch import ingest as ingest_stage
from torrentwatch.cli.exchange import hashlist_export
from torrentwatch.cli.export import export_app
from torrentwatch.cli.indicators import indicators as indicators_command
from torrentwatch.cli.review import review_app
from torrentwatch.cli.rules import PacksArgument, rules_app
from torrentwatch.cli.serve import serve as serve_command
from torrentwatch.cli.serve import users_app
from torrentwatch.cli.shared import DbOption, FormatOption, console, err_console, print_table
from torrentwatch.render import rich_table

# Stages that need the rule engine (a fifth of a second to import) are imported inside
# their commands, so `ingest` and the other commands start without it.
app = typer.Typer(
    help="Metadata-only monitoring of public BitTorrent metadata.",
    no_args_is_help=True,
    add_completion=False,
)
hashlist_app = typer.Typer(
    help="Known-hash lists (infohashes, v2 pieces roots): import versions, list them.",
    no_args_is_help=True,
)
app.add_typer(hashlist_app, name="hashlist")
hashlist_app.command("export")(hashlist_export)
app.add_typer(rules_app, name="rules")
import_app = typer.Typer(
    help="Import what other crawlers collected (magnetico exports and databases).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")
app.add_typer(review_app, name="review")
app.add_typer(export_app, name="export")
app.command("indicators")(indicators_command)
app.add_typer(users_app, name="users")
app.command("serve")(serve_command)
# Rejected lines shown by `hashlist import`; all of them are in hash_list_rejects.
SHOWN_REJECTS = 50


@contextmanager
def _ingest_progress() -> Iterator[Callable[[ingest_stage.IngestSummary], None]]:
    """A progress line on stderr; yields the ``on_progress`` callback that updates it."""
    columns = (
        TextColumn("[bold]ingest"),
        BarColumn(),
        TextColumn("{task.fields[read]} read, {task.fields[new]} new, {task.fields[rej]} rejected"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task("ingest", total=None, read=0, new=0, rej=0)

        def update(summary: ingest_stage.IngestSummary) -> None:
            progress.update(
                task,
                read=summary.items_read,
                new=summary.torrents_new,
                rej=summary.rejected_total,
            )

        yield update


def _print_summary(summary: ingest_stage.IngestSummary) -> None:
    console.print(
        f"[bold]run {summary.run_id}[/bold]: read {summary.items_read}, "
        f"new {summary.torrents_new}, updated {summary.torrents_updated}, "
        f"files {summary.files}, rejected {summary.rejected_total}, "
        f"skipped (not torrents or magnet lists) {summary.skipped}"
    )
    for reason, count in sorted(summary.rejected.items()):
        console.print(f"  rejected {reason}: {count}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=".torrent files, magnet lists, folders.")],
    db: DbOption = "torrentwatch.duckdb",
    workers: Annotated[
        int,
        typer.Option(
            help="Parser processes (0: one per core).", min=0, max=ingest_stage.MAX_WORKERS
        ),
    ] = 0,
    chunk: Annotated[
        int,
        typer.Option(help="Inputs a worker parses at a time.", min=1, max=ingest_stage.MAX_CHUNK),
    ] = ingest_stage.DEFAULT_CHUNK,
    batch: Annotated[
        int,
        typer.Option(
            help="Inputs per load transaction (all of it lands, or none).",
            min=1,
            max=ingest_stage.MAX_BATCH,
        ),
    ] = ingest_stage.DEFAULT_BATCH,
) -> None:
    """Ingest .torrent files and magnet-link lists (files or folders, recursively).

    Bad inputs are recorded in `rejects` with a reason and do not stop the run; the
    exit code is 0 whenever the run itself completed.
    """
    with _ingest_progress() as update:
        summary = ingest_stage.ingest(
            paths, db, workers=workers, chunk_size=chunk, batch_size=batch, on_progress=update
        )
    _print_summary(summary)


@app.command()
def stats(db: DbOption = "torrentwatch.duckdb") -> None:
    """Row counts, rejects by reason, claimed categories and dominant content kinds."""
    for title, table in query.stats(db).sections.items():
        console.print(rich_table(table, title=title))


@app.command()
def sql(
    statement: Annotated[
        str, typer.Argument(help="One read-only query (SELECT, WITH, FROM, DESCRIBE ...).")
    ],
    db: DbOption = "torrentwatch.duckdb",
    fmt: FormatOption = "table",
) -> None:
    """Run one read-only query against the warehouse and print the result.

    The query reads the warehouse and nothing else: writes, host files, extensions,
    settings and second statements are refused with a reason code (docs/sql.md).
    """
    print_table(query.sql(db, statement), fmt)


@app.command()
def demo(db: DbOption = "torrentwatch.duckdb") -> None:
    """Ingest and flag the bundled benign demo data, then show three example queries."""
    from torrentwatch import demo as demo_stage

    with _ingest_progress() as update:
        ingested, flagged = demo_stage.demo(db, on_progress=update)
    _print_summary(ingested)
    _print_flag_summary(flagged)
    console.print(f"\nWarehouse: {db}. Three queries to start from:\n")
    for title, statement, table in demo_stage.examples(db):
        console.print(f"[bold]-- {title}[/bold]\n{statement.strip()}\n")
        console.print(rich_table(table))
    console.print(f'Try your own: torrentwatch sql "SELECT * FROM torrents LIMIT 5" --db {db}')
    console.print(Text("\n" + "\n".join(demo_stage.workbench_hint(db))))


@hashlist_app.command("import")
def hashlist_import(
    file: Annotated[
        str, typer.Argument(help="Text or CSV file (or http(s) URL) of hashes or magnet links.")
    ],
    name: Annotated[str, typer.Option("--name", help="The list's name (rules refer to it).")],
    source: Annotated[
        str | None, typer.Option("--source", help="Where the list came from (provenance).")
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
    fmt: Annotated[str, typer.Option("--format", help="auto, text or csv.")] = "auto",
    if_changed: Annotated[
        bool,
        typer.Option("--if-changed", help="Store no new version when the list is unchanged."),
    ] = False,
) -> None:
    """Import a known-hash list (file or URL) as the next version of list NAME.

    Malformed lines are reported with their line numbers and stored in
    `hash_list_rejects`; the rest is loaded. Exit 1 when nothing could be loaded.
    """
    done = hashlist.hashlist_import(
        file, db, name=name, source=source, fmt=fmt, if_changed=if_changed
    )
    summary = done.summary
    console.print(Text(summaries.hashlist_text(summary)))
    if done.provenance:
        console.print(Text(summaries.provenance_text(done.provenance)))
    if summary.unchanged:
        return
    for reject in done.rejects[:SHOWN_REJECTS]:
        console.print(
            Text(f"  line {reject.line} {reject.reason}: {reject.detail} | {reject.text}")
        )
    if len(done.rejects) > SHOWN_REJECTS:
        console.print(
            Text(
                f"  ... and {len(done.rejects) - SHOWN_REJECTS} more: SELECT * FROM "
                f"hash_list_rejects WHERE list_name = '{summary.name}' "
                f"AND list_version = {summary.version} ORDER BY line_number"
            )
        )


@import_app.command("magnetico")
def import_magnetico(
    path: Annotated[
        Path, typer.Argument(help="magnetico JSON-lines export (.zst too) or SQLite database.")
    ],
    db: DbOption = "torrentwatch.duckdb",
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an import of this same (unchanged) file that stopped part-way: "
            "the records an earlier import committed are skipped, not sighted twice.",
        ),
    ] = False,
) -> None:
    """Import a magnetico export or database; bad records go to `rejects`, the rest loads."""
    counts = magnetico_stage.import_magnetico(path, db, resume=resume)
    for line in summaries.magnetico_lines(path, counts):
        console.print(Text(line))


@hashlist_app.command("list")
def hashlist_list(db: DbOption = "torrentwatch.duckdb") -> None:
    """Show every hash list: latest version, provenance, entries by kind, rejects."""
    table = hashlist.hashlist_list(db)
    if table.num_rows == 0:
        console.print("no hash lists yet: torrentwatch hashlist import FILE --name NAME")
        return
    console.print(rich_table(table))


@app.command()
def flag(
    paths: PacksArgument = None,
    db: DbOption = "torrentwatch.duckdb",
    rule: Annotated[
        list[str] | None,
        typer.Option(
            "--rule",
            help="Evaluate only this rule id (repeatable); other rules' flags stay as they are.",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Evaluate every torrent, not only those changed since the last run.",
        ),
    ] = False,
) -> None:
    """Evaluate every rule in force (shipped packs, then PATHS) and update `flags`.

    One transaction: new matches are raised, still-matching flags refreshed, and flags
    whose rule no longer matches kept with active = false. Re-running changes nothing.
    When the rules are those of the last run, only torrents changed since are evaluated
    (the same flags as a full run; --full evaluates all). Shadow rules (status:
    experimental) are stored too, out of the review queue.
    """
    from torrentwatch import flag as flag_stage

    _print_flag_summary(flag_stage.flag(db, paths or [], rule_ids=rule or [], full=full))


def _print_flag_summary(summary) -> None:
    console.print(Text(summaries.flag_text(summary)))


@app.command()
def explain(
    infohash: Annotated[str, typer.Argument(help="v1 or v2 infohash (hex).")],
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Say in words what a torrent is and why each active flag on it was raised.

    Exit 1 when no torrent has that infohash.
    """
    from torrentwatch import explain as explain_stage

    for line in explain_stage.explain(db, infohash):
        console.print(Text(line), soft_wrap=True)


@app.command()
def monitor(
    config: Annotated[
        Path, typer.Option("--config", help="The sources file (see docs/monitors.md).")
    ] = Path("sources.yaml"),
    once: Annotated[
        bool, typer.Option("--once", help="One round, then exit (default: every `interval`).")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Gather from the configured sources into the landing zone, then load the warehouse.

    Sources run side by side, each in its own process with its own timeout; a failed or
    hung source is reported and the others go on. Exit 1 when any source failed.
    """
    from torrentwatch import monitor as monitor_stage

    columns = (
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        tasks: dict[str, object] = {}

        def update(event) -> None:
            name = getattr(event, "source", None)
            if name is None:
                name, detail = "load", f"{event.loaded} of {event.pending} landed items loaded"
            else:
                detail = f"{event.status}: {event.new} new, {event.seen} seen before"
            if name not in tasks:
                tasks[name] = progress.add_task(escape(name), total=None, detail=detail)
            progress.update(tasks[name], detail=detail)

        summary = monitor_stage.monitor(config, db, sources=source, once=once, on_progress=update)
    console.print(rich_table(pa.Table.from_pylist(summary.rows()), title="sources"))
    load = summary.load
    console.print(Text(summaries.load_text(load)))
    for error in load.errors:
        console.print(Text(f"  load: {error}"))
    failed = summary.failed_sources
    if failed:
        raise SourceFailed(
            f"{len(failed)} source(s) failed: {', '.join(failed)} (what they landed is loaded)"
        )


@app.command()
def load(
    config: Annotated[
        Path, typer.Option("--config", help="The sources file (see docs/monitors.md).")
    ] = Path("sources.yaml"),
    part: Annotated[
        str | None,
        typer.Option(
            "--part",
            help="K/N: only loader K of N's share of the landing zone, so N loaders "
            "work at once on a lake warehouse (docs/lake.md).",
        ),
    ] = None,
    batch: Annotated[
        int,
        typer.Option(
            "--batch",
            min=1,
            max=1_000_000,
            help="Landed items per load transaction (all of it lands, or none).",
        ),
    ] = 5_000,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Load what the landing zone holds and no load has taken (what `monitor` does after
    gathering), without gathering."""
    from torrentwatch import monitor as monitor_stage

    summary = monitor_stage.load_landing(config, db, part=part, batch_items=batch)
    console.print(Text(summaries.load_text(summary)))
    for error in summary.errors:
        console.print(Text(f"  load: {error}"))


INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def main() -> None:
    """Entry point: typed project errors become one clear line and exit code 1."""
    try:
        # Commands return None; typer's click hands back 130 instead of raising when
        # the user interrupted (Ctrl-C) outside standalone mode.
        if app(standalone_mode=False) == INTERRUPTED:
            raise KeyboardInterrupt
    except TorrentwatchError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from exc
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from exc
    except (typer.Abort, KeyboardInterrupt) as exc:
        # Every stage commits whole batches only, so an interrupted run leaves nothing
        # half-written: say so in a line, not a traceback.
        err_console.print("interrupted: whole batches stay, the rest can be run again")
        raise SystemExit(INTERRUPTED) from exc
    except typer.TyperException as exc:
        # Usage errors: typer 0.29 vendors click, whose exceptions derive from this.
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        raise SystemExit(getattr(exc, "exit_code", 2)) from exc
