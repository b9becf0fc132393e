"""Showing Arrow results to a person: rich tables, CSV or JSON lines.

Every cell goes through ``display_safe`` so a name carrying bidi or control
characters cannot reorder or hide text on the analyst's terminal.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import datetime

import pyarrow as pa
from rich.table import Table
from rich.text import Text

from parsers.normalize import BIDI_CHARS, INVISIBLE_CHARS, ZERO_WIDTH_CHARS, display_safe

# A spreadsheet runs a cell starting with one of these as a formula (full-width and
# minus-sign look-alikes included): CSV text cells get a leading ' instead.
FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b\u2212")


def neutralise(cell: str) -> str:
    """``cell`` prefixed with ``'`` when its first non-blank character starts a formula."""
    stripped = cell.lstrip(" \u3000")
    if stripped and stripped[0] in FORMULA_START:
        return "'" + cell
    return cell


def _re2_char(code: int) -> str:
    return f"\\x{{{code:X}}}"


# Code points from here up are mostly unassigned or private use: the hidden-character
# class below takes them all (a superset is safe: it only picks the strings that go
# through display_safe itself), which keeps building it to about 50 ms.
_CLASS_SCANNED_BELOW = 0x30000


@functools.cache
def hidden_re2() -> str:
    """An RE2 pattern matching every string ``display_safe`` may change: one holding a
    literal ``<U+`` or a character it shows as ``<U+...>``. Those characters are the
    non-printable ones (Unicode "Other" and "Separator" but the space, exactly what
    ``str.isprintable`` refuses) and the letters that render as nothing; the test suite
    checks this against display_safe for every code point. Strings that do not match
    are their own display-safe form, so a column needs Python only for the rest."""
    hidden = [not c.isprintable() for c in map(chr, range(_CLASS_SCANNED_BELOW))]
    for char in INVISIBLE_CHARS + BIDI_CHARS + ZERO_WIDTH_CHARS:
        hidden[ord(char)] = True
    ranges, start = [], None
    for code, flag in enumerate([*hidden, True]):
        if flag and start is None:
            start = code
        elif not flag and start is not None:
            ranges.append((start, code - 1))
            start = None
    ranges.append((start, 0x10FFFF))
    parts = []
    for low, high in ranges:
        # Surrogates cannot occur in UTF-8 text (and RE2 refuses them in a class).
        for lo, hi in ((low, min(high, 0xD7FF)), (max(low, 0xE000), high)):
            if lo <= hi:
                parts.append(_re2_char(lo) if lo == hi else f"{_re2_char(lo)}-{_re2_char(hi)}")
    return "<U\\+|[" + "".join(parts) + "]"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return display_safe(json.dumps(value, default=str, ensure_ascii=False))
    return display_safe(str(value))


def rich_table(table: pa.Table, title: str | None = None) -> Table:
    out = Table(title=title, show_lines=False)
    for name in table.column_names:
        out.add_column(name, overflow="fold")
    for row in table.to_pylist():
        # Text, not markup: a torrent name like '[red]x' must show as written.
        out.add_row(*(Text(_cell(v)) for v in row.values()))
    return out


def csv_text(table: pa.Table) -> str:
    """CSV for a spreadsheet or a script: display-safe, formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        # Only text is neutralised: a negative number must stay a number.
        writer.writerow(
            [neutralise(_cell(v)) if isinstance(v, str) else _cell(v) for v in row.values()]
        )
    return buffer.getvalue()


def jsonl_text(table: pa.Table) -> str:
    return "".join(
        json.dumps(row, default=_json_default, ensure_ascii=True) + "\n"
        for row in table.to_pylist()
    )


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
