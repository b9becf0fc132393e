"""`torrentwatch rules ...`: a thin skin over the rule stages (lint, test, diff, stats,
shadow), registered in the torrentwatch.cli package. The rule engine is imported
inside the commands (a fifth of a second), so other commands start without it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from common.errors import RulesDiffRegression, RuleTestsFailed
from torrentwatch.cli.shared import DbOption, FormatOption, console, print_table
from torrentwatch.rules_stats import MAX_LIMIT

# torrentwatch.rules_diff.MAX_EXAMPLES (which checks it again), written here so the
# CLI starts without importing the rule engine; tests/test_rules_diff.py keeps them equal.
MAX_EXAMPLES = 1_000

rules_app = typer.Typer(
    help="Rule packs: check them (lint), run each rule's tests (test), backtest a change"
    " on the warehouse (diff), rule quality from decisions (stats), shadow flags (shadow).",
    no_args_is_help=True,
)
PacksArgument = Annotated[
    list[Path] | None,
    typer.Argument(help="Operator packs: YAML files or folders, layered after the shipped packs."),
]


@rules_app.command("lint")
def rules_lint(paths: PacksArgument = None) -> None:
    """Load and compile the shipped packs and PATHS; list every problem with file:line:col.

    Exit 1 when any pack has a problem (all of them are printed). Warnings (a value
    that is almost surely a unit mistake) are printed and do not fail.
    """
    from rules.ruleset import rules_lint as lint

    ruleset = lint(paths or [])
    console.print(
        Text(
            f"{len(ruleset.rules)} rules in force from {len(ruleset.packs)} pack(s); "
            f"{len(ruleset.overridden)} overridden, {len(ruleset.disabled)} disabled"
        )
    )
    for rule in ruleset.rules.values():
        status = "" if rule.status == "stable" else f" ({rule.status})"
        console.print(Text(f"  {rule.id} v{rule.version} [{rule.level}]{status} {rule.where}"))
    for warning in ruleset.warnings:
        console.print(Text(f"warning {warning}"))


@rules_app.command("test")
def rules_test(paths: PacksArgument = None) -> None:
    """Run each rule's shipped tests on real parsed torrents; report per rule.

    Exit 1 when a rule cannot load or any test does not come out as written.
    """
    from torrentwatch import rule_tests

    report = rule_tests.rules_test(paths or [])
    for result in report.results:
        status = "ok" if result.ok else "FAIL"
        console.print(Text(f"{status:4} {result.rule_id} ({result.tests} tests) {result.where}"))
        for failure in result.failures:
            console.print(Text(f"     {failure}"))
    failed = report.failed
    if failed:
        raise RuleTestsFailed(f"{len(failed)} of {len(report.results)} rule(s) failed their tests")
    console.print(f"all {len(report.results)} rules passed their tests")


@rules_app.command("diff")
def rules_diff(
    paths: PacksArgument = None,
    base: Annotated[
        list[Path] | None,
        typer.Option(
            "--base",
            help="Base packs (repeatable), layered after the shipped packs; default: the"
            " flags in force, as the last flag runs left them.",
        ),
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
    fmt: Annotated[str, typer.Option("--format", help="table, markdown or json.")] = "table",
    examples: Annotated[
        int,
        typer.Option(
            "--examples", help="Example torrents per rule and change.", min=0, max=MAX_EXAMPLES
        ),
    ] = 3,
    accept_cleared: Annotated[
        bool,
        typer.Option(
            "--accept-cleared",
            help="Exit 0 even when flags on confirmed torrents would be cleared.",
        ),
    ] = False,
) -> None:
    """Backtest candidate packs (shipped, then PATHS) on the warehouse without flagging.

    Per changed rule: flags raised, cleared, changed and kept, with example torrents
    and their evidence; flags on confirmed torrents it would clear, dismissed torrents
    it would raise again, new flags on unreviewed torrents. Nothing is written. Exit 1
    when a flag on a confirmed torrent would be cleared (unless --accept-cleared).
    """
    from torrentwatch import rules_diff_render as render
    from torrentwatch.rules_diff import rules_diff as diff

    report = diff(db, paths or [], base_paths=base, examples=examples)
    if fmt not in render.DIFF_FORMATS:
        raise typer.BadParameter(f"--format must be table, markdown or json, not {fmt!r}")
    if fmt == "markdown":
        sys.stdout.write(render.markdown(report))
    elif fmt == "json":
        sys.stdout.write(render.json_text(report))
    else:
        console.print(render.table_renderable(report))
    if report.regression and not accept_cleared:
        raise RulesDiffRegression(
            f"{report.confirmed_cleared} flag(s) on confirmed torrents would be cleared;"
            " pass --accept-cleared to accept that knowingly"
        )


@rules_app.command("stats")
def rules_stats(
    db: DbOption = "torrentwatch.duckdb",
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only flags first raised at or after this date (ISO)."),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="all, week or month.")] = "all",
    fmt: FormatOption = "table",
) -> None:
    """Per rule: flags raised, active, confirmed, dismissed, pending, and precision
    (confirmed / decided), from the analysts' decisions; by week or month with --period."""
    from torrentwatch.rules_stats import rules_stats as stats

    table = stats(db, since=since, period=period)
    print_table(table, fmt, title=f"rule stats: {table.num_rows} row(s)")


@rules_app.command("shadow")
def rules_shadow(
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule id (repeatable).")
    ] = None,
    db: DbOption = "torrentwatch.duckdb",
    limit: Annotated[
        int, typer.Option(help="Show at most N flags (0: all).", min=0, max=MAX_LIMIT)
    ] = 0,
    fmt: FormatOption = "table",
) -> None:
    """Active flags of shadow rules (status: experimental): kept out of the review
    queue and exports, shown here. Promote a rule by changing its status to stable."""
    from torrentwatch.rules_stats import experimental_flags

    table = experimental_flags(db, rule or [], limit=limit or None)
    print_table(table, fmt, title=f"shadow flags: {table.num_rows}")
