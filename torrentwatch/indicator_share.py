"""Indicators as files: CSV and JSON for analysts, and the shareable aggregates.

The shareable file is built for pooling figures between hotlines in different
jurisdictions: counts only, per period and per a whitelist of dimensions (source
names, claimed category and platform, rule ids and levels, list names and versions,
export targets) -- never an infohash, a name or a path, because no column that could
hold one is ever selected (:data:`SHAREABLE_DIMS`), and the tests scan the output too.
A count from 1 to ``min_cell - 1`` is suppressed (null): a small cell can point at one
torrent or one decision. Where a period of a table would show exactly one suppressed
cell, the next smallest non-zero count of that period is suppressed as well, so the
one cannot be recovered from a total. Ratios and medians are left out (they can be
recomputed from the counts, or would be computed from small groups); so are running
totals (their differences are per-period counts).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from common.errors import IndicatorsInvalid
from torrentwatch.indicators import INDICATORS, IndicatorSet, IndicatorTable

SHAREABLE_SCHEMA_ID = "torrentwatch.indicators.shareable/1"
DEFAULT_MIN_CELL = 5
# The only dimension columns a shareable file may hold.
SHAREABLE_DIMS = frozenset(
    {"source", "claimed_category", "claimed_platform", "rule_id", "level", "list_name",
     "list_version", "target"}
)  # fmt: skip
# Counts that are running totals: their differences would give suppressed cells back.
RUNNING_TOTALS = frozenset({"confirmed_to_date"})


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def to_json(result: IndicatorSet) -> dict:
    """Every indicator with its columns and rows (values as JSON has them)."""
    win = result.window
    return {
        "every": win.every,
        "from": win.start.date().isoformat(),
        "to": win.end.date().isoformat(),
        "periods": win.periods,
        "indicators": [
            {
                "key": item.indicator.key,
                "title": item.indicator.title,
                "what": item.indicator.what,
                "columns": item.table.column_names,
                "rows": [[_jsonable(v) for v in row.values()] for row in item.table.to_pylist()],
            }
            for item in result.tables
        ],
    }


def to_csv(result: IndicatorSet) -> str:
    """One long table: indicator, period, dimensions (as a JSON object), measure, value.

    Indicators differ in their columns; the long form holds them all in one file that
    a spreadsheet or pandas can pivot. No cell can start a spreadsheet formula: the
    operator's words (source, list and target names) sit inside the JSON object."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["indicator", "period", "dimensions", "measure", "value"])
    for item in result.tables:
        dims = item.indicator.dims
        for row in item.table.to_pylist():
            where = json.dumps({d: row[d] for d in dims}, ensure_ascii=False, sort_keys=True)
            for column, value in row.items():
                if column == "period" or column in dims:
                    continue
                writer.writerow([item.indicator.key, row["period"].isoformat(), where, column,
                                 "" if value is None else value])  # fmt: skip
    return out.getvalue()


def _shareable_table(item: IndicatorTable, min_cell: int) -> tuple[dict, int]:
    ind = item.indicator
    dims = [d for d in ind.dims if d in SHAREABLE_DIMS]
    if len(dims) != len(ind.dims):  # a new indicator with a dimension nobody vetted
        raise IndicatorsInvalid(f"indicator {ind.key}: dimensions {ind.dims} are not shareable")
    counts = [c for c in ind.counts if c not in RUNNING_TOTALS]
    rows = [
        [r["period"].isoformat(), *(r[d] for d in dims), *(int(r[c]) for c in counts)]
        for r in item.table.to_pylist()
    ]
    suppressed = _suppress(rows, len(dims) + 1, min_cell)
    return {"key": ind.key, "columns": ["period", *dims, *counts], "rows": rows}, suppressed


def _suppress(rows: list[list], first: int, min_cell: int) -> int:
    """Null counts 1..min_cell-1 (from column ``first`` on); then, in a period with
    exactly one such cell, also its smallest shown count. Returns how many were nulled."""
    hidden = 0
    small: dict[str, int] = {}
    shown: dict[str, list[tuple[int, int, int]]] = {}
    for n, row in enumerate(rows):
        for i in range(first, len(row)):
            if 0 < row[i] < min_cell:
                row[i] = None
                hidden += 1
                small[row[0]] = small.get(row[0], 0) + 1
            elif row[i] >= min_cell:
                shown.setdefault(row[0], []).append((row[i], n, i))
    for period, count in small.items():
        if count == 1 and shown.get(period):
            _, n, i = min(shown[period])
            rows[n][i] = None
            hidden += 1
    return hidden


def shareable(result: IndicatorSet, *, min_cell: int = DEFAULT_MIN_CELL) -> dict:
    """Counts only, small cells suppressed: a file hotlines can pool (see the module
    docstring for what is left out and why)."""
    if min_cell < 1:
        raise IndicatorsInvalid(f"--min-cell {min_cell}: use 1 or more")
    tables, hidden = [], 0
    for item in result.tables:
        table, n = _shareable_table(item, min_cell)
        tables.append(table)
        hidden += n
    win = result.window
    return {
        "schema": SHAREABLE_SCHEMA_ID,
        "every": win.every,
        "from": win.start.date().isoformat(),
        "to": win.end.date().isoformat(),
        "periods": win.periods,
        "min_cell": min_cell,
        "suppressed_cells": hidden,
        "indicators": tables,
    }


def _allowed_columns() -> list[str]:
    counts = {c for i in INDICATORS for c in i.counts} - RUNNING_TOTALS
    return ["period", *sorted(SHAREABLE_DIMS), *sorted(counts)]


def shareable_schema() -> dict:
    """The JSON Schema (2020-12) of :func:`shareable`'s output."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SHAREABLE_SCHEMA_ID,
        "title": "torrentwatch shareable indicators",
        "description": "Counts per period; no infohash, name or path; counts from 1 to "
        "min_cell - 1 (and the cells that would reveal them) are null.",
        "type": "object",
        "additionalProperties": False,
        "required": [
            "schema",
            "every",
            "from",
            "to",
            "periods",
            "min_cell",
            "suppressed_cells",
            "indicators",
        ],
        "properties": {
            "schema": {"const": SHAREABLE_SCHEMA_ID},
            "every": {"enum": ["week", "month"]},
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date", "description": "exclusive"},
            "periods": {"type": "integer", "minimum": 1},
            "min_cell": {"type": "integer", "minimum": 1},
            "suppressed_cells": {"type": "integer", "minimum": 0},
            "indicators": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "columns", "rows"],
                    "properties": {
                        "key": {"enum": [i.key for i in INDICATORS]},
                        "columns": {
                            "type": "array",
                            "prefixItems": [{"const": "period"}],
                            "items": {"enum": _allowed_columns()},
                        },
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "prefixItems": [{"type": "string", "format": "date"}],
                                "items": {
                                    "anyOf": [
                                        {"type": "integer", "minimum": 0},
                                        {"type": "string", "maxLength": 200},
                                        {"type": "null"},
                                    ]
                                },
                            },
                        },
                    },
                },
            },
        },
    }
