"""The indicator report: one chart per indicator as SVG text, and one self-contained HTML.

Charts are drawn by matplotlib's SVG backend on a private Figure (no pyplot, no global
state), with text as paths (no font file or font name reaches the reader) and the
metadata, DOCTYPE and namespace URLs stripped, so the page holds no reference to
anything outside itself and no script: it reads the same offline, in any browser.
:func:`indicator_charts` is what a web page needs (the workbench shows the same charts):
each indicator's title, its sentence, its chart as SVG text and its table.
"""

from __future__ import annotations

import html
import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from common.errors import IndicatorsInvalid
from parsers.normalize import display_safe
from torrentwatch.indicators import IndicatorSet, IndicatorTable

# Series a stacked chart shows on their own; the rest are summed as "other".
MAX_SERIES = 8
# Tables longer than this start folded (<details>): every row is still in the page.
FOLD_ROWS = 40
PALETTE = (
    "#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee",
    "#aa3377", "#332288", "#994f00", "#117733",
)  # fmt: skip
OTHER = "#c8c8c8"  # the summed small series, drawn quiet
NO_CONTENT = (
    "Metadata only: these figures count public BitTorrent metadata, sightings and "
    "analysts' decisions; no content was downloaded, stored or viewed."
)
_RC = {
    "svg.fonttype": "path",  # glyphs as paths: no font is named or fetched
    "svg.hashsalt": "torrentwatch",  # stable element ids: the same data, the same bytes
    "font.family": "sans-serif",
    "font.size": 9,
    "text.parse_math": False,  # a '$' in a source or rule name is text, not TeX
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True, slots=True)
class ChartView:
    """One indicator as a page shows it: ``svg`` is an inline ``<svg>`` element."""

    key: str
    title: str
    what: str
    svg: str
    table: pa.Table


def indicator_charts(result: IndicatorSet) -> list[ChartView]:
    """Every indicator's chart (SVG text) and table, in the report's order."""
    return [
        ChartView(item.indicator.key, item.indicator.title, item.indicator.what,
                  chart_svg(item), item.table)
        for item in result.tables
    ]  # fmt: skip


def _labels(periods: list, every: str) -> list[str]:
    fmt = "%Y-%m" if every == "month" else "%Y-%m-%d"
    return [p.strftime(fmt) for p in periods]


def _series(item: IndicatorTable) -> tuple[list, dict[str, list[float]]]:
    """Periods, and per series the values to draw (summed over the other dimensions
    for line charts, top series plus 'other' for stacked ones)."""
    ind, rows = item.indicator, item.table.to_pylist()
    periods = sorted({r["period"] for r in rows})
    index = {p: i for i, p in enumerate(periods)}
    series: dict[str, list[float]] = {}
    if ind.chart.kind == "lines":
        for column in ind.chart.columns:
            values = [math.nan] * len(periods)
            for r in rows:
                if r[column] is not None:
                    i = index[r["period"]]
                    values[i] = (0 if math.isnan(values[i]) else values[i]) + r[column]
            series[column.replace("_", " ")] = values
        return periods, series
    column = ind.chart.columns[0]
    for r in rows:
        if not ind.dims or all(r[d] is None for d in ind.dims):
            continue
        name = " / ".join(display_safe(str(r[d])) for d in ind.dims)
        series.setdefault(name, [0.0] * len(periods))[index[r["period"]]] += r[column] or 0
    ranked = sorted(series, key=lambda s: (-sum(series[s]), s))
    if len(ranked) > MAX_SERIES:
        other = [sum(v) for v in zip(*(series[s] for s in ranked[MAX_SERIES - 1 :]), strict=True)]
        series = {s: series[s] for s in ranked[: MAX_SERIES - 1]} | {"other": other}
    else:
        series = {s: series[s] for s in ranked}
    return periods, series


def chart_svg(item: IndicatorTable, every: str | None = None) -> str:
    """The indicator's chart as an inline ``<svg>`` element (no XML prolog, no
    namespace URLs, no metadata)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    periods, series = _series(item)
    every = every or _guess_every(periods)
    with rc_context(_RC):
        fig = Figure(figsize=(9, 2.8))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        x = list(range(len(periods)))
        if item.indicator.chart.kind == "stack":
            bottom = [0.0] * len(x)
            for n, (name, values) in enumerate(series.items()):
                color = OTHER if name == "other" else PALETTE[n % len(PALETTE)]
                ax.bar(x, values, bottom=bottom, label=name, color=color, width=0.8)
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        else:
            for n, (name, values) in enumerate(series.items()):
                ax.plot(x, values, label=name, color=PALETTE[n % len(PALETTE)], marker="o",
                        markersize=3, linewidth=1.5)  # fmt: skip
        _axes(ax, periods, every, item.indicator.chart.ylabel, bool(series))
        # The same plot area in every chart (the legend sits in the right margin).
        fig.subplots_adjust(left=0.09, right=0.76, bottom=0.24, top=0.95)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), item.indicator.title, item.indicator.key)


def _guess_every(periods: list) -> str:
    return "month" if len(periods) > 1 and (periods[1] - periods[0]).days > 7 else "week"


def _axes(ax, periods: list, every: str, ylabel: str, legend: bool) -> None:
    labels = _labels(periods, every)
    step = max(1, math.ceil(len(labels) / 14))
    ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=30, ha="right")
    ax.set_xlim(-0.6, max(len(labels) - 0.4, 0.6))
    ax.set_ylim(bottom=0)
    ax.set_ylabel(ylabel)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)


_PROLOG = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


_IDS = re.compile(r'(id="|url\(#|href="#)([^")]+)')


def _inline(svg: str, title: str, key: str) -> str:
    """An SVG document as an element for an HTML page: the HTML parser puts ``<svg>``
    in the SVG namespace itself, so the namespace URLs go, with the prolog and the
    RDF metadata (its vocabulary URLs). Element ids get the indicator's key in front:
    one page holds every chart, and ids must be unique in it."""
    svg = _NAMESPACES.sub("", _METADATA.sub("", _PROLOG.sub("", svg)))
    svg = _IDS.sub(lambda m: f"{m[1]}{key}-{m[2]}", svg)
    label = html.escape(display_safe(title), quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip()


_CSS = """
body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.6em 0 .2em}
p.what{margin:.2em 0 .6em;color:#444}p.meta{color:#555;margin-top:0}
section{border-top:1px solid #ccc}svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0 1em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f2f2f2}td.dim{text-align:left}summary{cursor:pointer;color:#333}
footer{margin-top:2em;border-top:1px solid #ccc;color:#555;font-size:.85em}
"""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return html.escape(display_safe(str(value)))


def table_html(table: pa.Table, dims: tuple[str, ...] = ()) -> str:
    """A table as HTML text, every value display-safe and escaped."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.column_names)
    left = {"period", *dims}
    body = []
    for row in table.to_pylist():
        cells = "".join(
            f'<td class="dim">{_cell(v)}</td>' if c in left else f"<td>{_cell(v)}</td>"
            for c, v in row.items()
        )
        body.append(f"<tr>{cells}</tr>")
    inner = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if table.num_rows <= FOLD_ROWS:
        return inner
    return f"<details><summary>table: {table.num_rows} rows</summary>{inner}</details>"


def report_html(result: IndicatorSet, *, title: str = "torrentwatch indicators") -> str:
    """The whole report: a chart per indicator with its table beneath, one file."""
    win = result.window
    last = win.last.date()
    sections = []
    for item, view in zip(result.tables, indicator_charts(result), strict=True):
        sections.append(
            f'<section id="{view.key}"><h2>{html.escape(view.title)}</h2>'
            f'<p class="what">{html.escape(view.what)}</p>{view.svg}'
            f"{table_html(view.table, item.indicator.dims)}</section>"
        )
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">{win.periods} {win.every}s (UTC), from {win.start.date()} to the '
        f"{win.every} of {last}; periods without events are rows of zeros. Made {made}.</p>"
        + "".join(sections)
        + f"<footer><p>{html.escape(NO_CONTENT)}</p></footer></body></html>\n"
    )


FORMATS = ("table", "csv", "json", "html")


def render_text(
    result: IndicatorSet, fmt: str, *, shareable: bool = False, min_cell: int = 5
) -> str:
    """The text of ``--format csv|json|html`` (``table`` is drawn by the CLI), or of the
    shareable aggregates (JSON, whatever ``fmt`` says besides)."""
    import json

    from torrentwatch import indicator_share

    if shareable:
        if fmt not in ("json", "table"):
            raise IndicatorsInvalid("--shareable writes JSON: leave out --format or use json")
        data = indicator_share.shareable(result, min_cell=min_cell)
        return json.dumps(data, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return indicator_share.to_csv(result)
    if fmt == "json":
        return json.dumps(indicator_share.to_json(result), ensure_ascii=False) + "\n"
    if fmt == "html":
        return report_html(result)
    raise IndicatorsInvalid(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
