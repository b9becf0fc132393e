"""`rules diff` in words: a terminal table, Markdown for a pull-request comment, JSON.

Every name and evidence line of the report is display-safe already (``display_name``,
``Predicate.describe``); Markdown escapes what it would read as markup on top of that,
so a hostile torrent name cannot add a link, an image, a table cell or raw HTML to the
comment a rules repository's CI posts.
"""

from __future__ import annotations

import json
import re

from rich.console import Group
from rich.table import Table
from rich.text import Text

from torrentwatch.rules_diff import DiffReport, RuleDiff

DIFF_FORMATS = ("table", "markdown", "json")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown: punctuation Markdown reads as markup escaped with a
    backslash, ``<`` and ``&`` as HTML entities, line breaks as spaces."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = re.sub(r"[\r\n]+", " ", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _verdict(report: DiffReport) -> str:
    if report.regression:
        return (
            f"REGRESSION: {report.confirmed_cleared} flag(s) on confirmed torrents would be cleared"
        )
    if report.empty:
        return "no change: the candidate raises and clears exactly what the base does"
    return "no confirmed flag would be cleared"


def _state(rule: RuleDiff) -> str:
    out = rule.state
    if rule.base_status and rule.base_status != rule.status:
        out += f", {rule.base_status} -> {rule.status}"
    elif rule.status != "stable":
        out += f", {rule.status}"
    return out


COLUMNS = (
    ("raised", "raised"),
    ("cleared", "cleared"),
    ("changed", "changed"),
    ("kept", "kept"),
    ("confirmed_cleared", "confirmed cleared"),
    ("dismissed_again", "dismissed raised again"),
    ("unreviewed_raised", "new on unreviewed"),
)


def _header(report: DiffReport) -> list[str]:
    return [
        f"base: {report.base}",
        f"{report.candidate_rules} candidate rule(s); {report.unchanged} unchanged (same"
        f" compiled SQL and status as the base, not evaluated); {len(report.rules)} compared",
        _verdict(report),
    ]


def _example_lines(rule: RuleDiff) -> list[str]:
    lines = []
    for e in rule.examples:
        decided = f", latest decision {e.decision}" if e.decision else ", not reviewed"
        was = f" ({e.was})" if e.was else ""
        lines.append(f"{e.change}{was}: {e.infohash} {e.name}{decided}")
        lines.extend("    " + w for w in e.words)
    return lines


def table_renderable(report: DiffReport) -> Group:
    """The report for a terminal: a header, one row per rule, then the examples."""
    table = Table(show_lines=False)
    table.add_column("rule", overflow="fold")
    table.add_column("state")
    for _, title in COLUMNS:
        table.add_column(title, justify="right")
    for rule in report.rules:
        cells = [Text(rule.rule_id), Text(_state(rule))]
        cells += [Text(str(getattr(rule, key))) for key, _ in COLUMNS]
        table.add_row(*cells)
    parts: list = [Text(line) for line in _header(report)]
    parts.append(table)
    for rule in report.rules:
        if rule.examples:
            parts.append(Text(f"examples of {rule.rule_id}:"))
            parts.extend(Text("  " + line) for line in _example_lines(rule))
    return Group(*parts)


def markdown(report: DiffReport) -> str:
    """The report as GitHub-flavoured Markdown (a pull-request comment)."""
    head = _header(report)
    mark = "❌" if report.regression else "✅"
    out = [f"### {mark} rules diff: {markdown_text(head[2])}", ""]
    out += [markdown_text(head[0]) + "  ", markdown_text(head[1]), ""]
    if report.rules:
        out.append("| rule | state | " + " | ".join(t for _, t in COLUMNS) + " |")
        out.append("|---|---|" + "---:|" * len(COLUMNS))
        for rule in report.rules:
            cells = [markdown_text(rule.rule_id), markdown_text(_state(rule))]
            cells += [str(getattr(rule, key)) for key, _ in COLUMNS]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    for rule in report.rules:
        if not rule.examples:
            continue
        out += [f"<details><summary>examples of {markdown_text(rule.rule_id)}</summary>", ""]
        for e in rule.examples:
            decided = f", latest decision {e.decision}" if e.decision else ", not reviewed"
            was = f" ({e.was})" if e.was else ""
            out.append(
                f"- **{e.change}**{markdown_text(was)}: `{e.infohash}`"
                f" {markdown_text(e.name)}{markdown_text(decided)}"
            )
            for w in e.words:  # a fact, its items (files, matches) one level deeper
                depth = "    " if w.startswith("    ") else "  "
                out.append(f"{depth}- {markdown_text(w.strip())}")
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def json_text(report: DiffReport) -> str:
    """The report as JSON (ASCII only: every other character escaped)."""
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=True) + "\n"
