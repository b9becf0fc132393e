"""`torrentwatch hashlist export`: a thin skin over torrentwatch.exchange (registered on
the hashlist command group in the torrentwatch.cli package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from torrentwatch import exchange as exchange_stage
from torrentwatch.cli.shared import DbOption, console


def hashlist_export(
    issuer: Annotated[
        str, typer.Option("--issuer", help="Who sends the list (your hotline's short name).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    list_name: Annotated[
        str | None, typer.Option("--list", help="The list's name (default: the issuer).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only torrents confirmed from this day on.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only torrents confirmed up to this day.")
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
) -> None:
    """Write the confirmed torrents as a list-exchange file, with provenance (issuer,
    batch, time window, rule and list versions); another torrentwatch imports it with
    `hashlist import FILE --name NAME` (docs/indicators.md#list-exchange).
    """
    done = exchange_stage.exchange_export(
        db, out, issuer=issuer, list_name=list_name, since=since, until=until
    )
    console.print(
        Text(
            f"wrote {done.path}: {done.torrents} confirmed torrents, {done.entries} hashes, "
            f"batch {done.batch}"
        )
    )
