"""`torrentwatch serve` and `torrentwatch users ...`: thin skins over the analyst
workbench (torrentwatch.workbench; docs/workbench.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from torrentwatch.cli.shared import DbOption, console

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="TORRENTWATCH_WORKBENCH_HOME",
        help="The workbench's folder for accounts, audit and snapshots: required for a "
        "lake warehouse (the same for serve and users); a file's stay beside it.",
    ),
]
# The password of `users add` and `users password`: asked for twice, never shown.
PasswordOption = Annotated[
    str,
    typer.Option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        show_default=False,
        envvar="TORRENTWATCH_PASSWORD",
        help="Asked for when not given (TORRENTWATCH_PASSWORD for scripts).",
    ),
]

users_app = typer.Typer(
    help="Workbench accounts: add one (or change its role and password), list them, change "
    "a role, disable or enable one, reset a password (the users page does the same).",
    no_args_is_help=True,
)


def serve(
    db: DbOption = "torrentwatch.duckdb",
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless told).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8765,
    exports: Annotated[
        Path | None,
        typer.Option("--exports", help="Folder exports are written to (default: beside --db)."),
    ] = None,
    trusted_user_header: Annotated[
        str | None,
        typer.Option(
            "--trusted-user-header",
            help="Trust this header (set by an authenticating reverse proxy) to name the "
            "user. Off by default; see docs/workbench.md before using it.",
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Start the analyst workbench (web) for the warehouse: queue, torrent, decide,
    exports, hash lists, rules; for admins, users and rule packs. Add accounts first
    with `torrentwatch users add`."""
    from torrentwatch.workbench import server
    from warehouse.lake import is_lake, parse_target

    shown = parse_target(db).shown if is_lake(db) else db  # no password printed
    console.print(Text(f"workbench for {shown}: http://{host}:{port}/ (Ctrl-C stops it)"))
    server.serve(
        db,
        host=host,
        port=port,
        exports_dir=exports,
        trusted_user_header=trusted_user_header,
        home=home,
    )


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The user's name (their analyst id).")],
    role: Annotated[str, typer.Option("--role", help="analyst, lead or admin.")] = "analyst",
    password: PasswordOption = "",
    db: DbOption = "torrentwatch.duckdb",
    home: HomeOption = None,
) -> None:
    """Add a workbench account (or set an existing one's role and password).

    Analysts decide; leads also run exports and bulk decisions; admins also import
    hash lists and manage accounts and rule packs. Passwords are stored as argon2id
    hashes beside the warehouse.
    """
    from torrentwatch.workbench import accounts

    done = accounts.users_add(db, name, role=role, password=password, home=home)
    verb = "added" if done.new else "updated (its sessions ended)"
    console.print(Text(f"user {done.name} ({done.role}) {verb}"))


@users_app.command("list")
def list_users(db: DbOption = "torrentwatch.duckdb", home: HomeOption = None) -> None:
    """List the workbench accounts and their roles (and which are disabled)."""
    from torrentwatch.workbench import accounts

    for user in accounts.users_list(db, home=home):
        console.print(Text(f"{user.name:<32} {user.role}{'  disabled' if user.disabled else ''}"))


NameArgument = Annotated[str, typer.Argument(help="The user's name.")]


@users_app.command("role")
def role(
    name: NameArgument,
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help="analyst, lead or admin.")],
    db: DbOption = "torrentwatch.duckdb",
    home: HomeOption = None,
) -> None:
    """Give an account another role (from its next request on). The last enabled admin
    stays one."""
    from torrentwatch.workbench import accounts

    done = accounts.users_role(db, name, new_role, home=home)
    console.print(Text(f"user {done.name}: {done.was} -> {new_role}"))


@users_app.command("disable")
def disable(
    name: NameArgument, db: DbOption = "torrentwatch.duckdb", home: HomeOption = None
) -> None:
    """Disable an account: it cannot log in and its sessions end (the last enabled
    admin cannot be disabled). Its decisions and audit rows stay."""
    from torrentwatch.workbench import accounts

    done = accounts.users_disable(db, name, home=home)
    console.print(Text(f"user {done.name} disabled" + (" (it was)" if done.was else "")))


@users_app.command("enable")
def enable(
    name: NameArgument, db: DbOption = "torrentwatch.duckdb", home: HomeOption = None
) -> None:
    """Enable a disabled account again."""
    from torrentwatch.workbench import accounts

    done = accounts.users_enable(db, name, home=home)
    console.print(Text(f"user {done.name} enabled" + ("" if done.was else " (it was)")))


@users_app.command("password")
def password(
    name: NameArgument,
    new_password: PasswordOption = "",
    db: DbOption = "torrentwatch.duckdb",
    home: HomeOption = None,
) -> None:
    """Reset an account's password (same checks as `users add`); its sessions end."""
    from torrentwatch.workbench import accounts

    done = accounts.users_password(db, name, new_password, home=home)
    console.print(Text(f"user {done.name}: password reset (its sessions ended)"))
