"""`torrentwatch review ...`: a thin skin over torrentwatch.review (registered in the
torrentwatch.cli package)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from torrentwatch import review
from torrentwatch.cli.shared import DbOption, FormatOption, console, print_table
from torrentwatch.review_codes import DECISIONS

review_app = typer.Typer(
    help="Analyst review of flags: the queue, one torrent, decisions (single, bulk), policy.",
    no_args_is_help=True,
)
AnalystOption = Annotated[
    str,
    typer.Option("--analyst", help="Your analyst id (required).", envvar="TORRENTWATCH_ANALYST"),
]
RationaleOption = Annotated[
    str, typer.Option("--rationale", help="A rationale code (`review codes` lists them).")
]
NoteOption = Annotated[str | None, typer.Option("--note", help="Free text, kept with it.")]
DecisionArgument = Annotated[str, typer.Argument(help=" | ".join(DECISIONS))]


@review_app.command("queue")
def queue(
    db: DbOption = "torrentwatch.duckdb",
    limit: Annotated[
        int,
        typer.Option(help="Show at most N torrents (0: all).", min=0, max=review.MAX_QUEUE_LIMIT),
    ] = 0,
    fmt: FormatOption = "table",
    include_experimental: Annotated[
        bool,
        typer.Option(
            "--include-experimental",
            help="Also list torrents only shadow rules (status: experimental) flagged.",
        ),
    ] = False,
) -> None:
    """Torrents waiting for a decision, highest level then score first, one line each.

    Unreviewed, evidence changed since the last decision, awaiting a second
    confirmation, or escalated. Dismissed torrents stay out until their evidence changes.
    Shadow rules' flags are left out unless --include-experimental.
    """
    table = review.review_queue(db, limit=limit or None, include_experimental=include_experimental)
    print_table(table, fmt, title=f"review queue: {table.num_rows} torrent(s)")


@review_app.command("show")
def show(
    infohash: Annotated[str, typer.Argument(help="v1 or v2 infohash (hex).")],
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """One torrent: why it was flagged, in words, its files and its decisions so far."""
    for line in review.review_show(db, infohash):
        console.print(Text(line), soft_wrap=True)


@review_app.command("decide")
def decide(
    infohash: Annotated[str, typer.Argument(help="v1 or v2 infohash (hex).")],
    decision: DecisionArgument,
    rationale: RationaleOption,
    analyst: AnalystOption,
    note: NoteOption = None,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Record a decision (confirm, dismiss, escalate) on a flagged torrent.

    Appended to `reviews`; the latest decision stands and the history stays.
    """
    done = review.review_decide(
        db, infohash, decision=decision, rationale=rationale, analyst=analyst, note=note
    )
    console.print(
        Text(
            f"review {done.review_id}: {done.infohash} is now {done.status} "
            f"({done.confirmers} of {done.required_confirmers} confirmation(s))"
        )
    )


@review_app.command("bulk")
def bulk(
    query: Annotated[str, typer.Argument(help="One SELECT with a column named infohash.")],
    decision: DecisionArgument,
    rationale: RationaleOption,
    analyst: AnalystOption,
    note: NoteOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Record the decisions.")] = False,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """One decision for every flagged torrent a SQL query selects.

    Without --yes only prints how many torrents would be decided; with it, records
    them all in one transaction.
    """
    result = review.review_bulk(
        db, query, decision=decision, rationale=rationale, analyst=analyst, note=note, yes=yes
    )
    verb = "decided" if result.applied else "would be decided"
    console.print(
        Text(
            f"{result.selected} infohash(es) selected: {result.decided} {verb} as {decision}, "
            f"{result.not_flagged} without an active flag (left alone), "
            f"{result.unknown} not in the warehouse"
        )
    )
    if not yes and result.decided:
        console.print("nothing recorded: re-run with --yes to record these decisions")


@review_app.command("policy")
def policy(
    two_person: Annotated[
        bool | None,
        typer.Option(
            "--two-person/--one-person",
            help="Require two different analysts' confirmations (or one).",
        ),
    ] = None,
    analyst: Annotated[
        str | None,
        typer.Option(
            "--analyst", help="Who changes it (required to change).", envvar="TORRENTWATCH_ANALYST"
        ),
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Show or set the two-person rule (kept in the warehouse, with who set it)."""
    current = review.review_policy(db, two_person=two_person, analyst=analyst)
    who = f", set by {current.set_by} (version {current.version})" if current.version else ""
    console.print(Text(f"confirmations required: {current.required_confirmers}{who}"))


@review_app.command("codes")
def codes() -> None:
    """List the rationale codes and which decisions each may go with."""
    for code, decisions, meaning in review.rationale_table():
        console.print(Text(f"{code:<22} {decisions:<24} {meaning}"))
