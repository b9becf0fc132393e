"""Indicator output: the HTML report refers to nothing outside itself and holds no
script; the shareable file holds counts only (no infohash, name, path or small cell)
and matches its JSON Schema; CSV and JSON carry every row."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.cli_runner import run_cli
from tests.indicator_warehouse import NAMES, PATHS, T, build
from torrentwatch.indicator_report import indicator_charts, render_text, report_html
from torrentwatch.indicator_share import (
    SHAREABLE_DIMS,
    shareable,
    shareable_schema,
    to_csv,
    to_json,
)
from torrentwatch.indicators import INDICATORS, indicators

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("rep") / "w.duckdb")


@pytest.fixture(scope="module")
def weekly(db):
    return indicators(db, since="2026-01-05", until="2026-02-01", every="week")


# Anything that would make a browser fetch or run something: URLs of any scheme,
# protocol-relative references, script, frames, objects, links, CSS imports, event
# handlers, and href/src/url() that point anywhere but at an element of the page.
OUTSIDE = re.compile(
    r"[a-z][a-z0-9+.-]*://|//[a-z0-9]|<script|<iframe|<object|<embed|<link|<img|<image"
    r"|<foreignobject|@import|@font-face|javascript:|data:|\son[a-z]+=",
    re.I,
)
REFS = re.compile(r"""(?:href|src)\s*=\s*["']?([^"'\s>]*)|url\(\s*["']?([^"')\s]*)""", re.I)


def outside_references(page: str) -> list[str]:
    found = [m.group(0) for m in OUTSIDE.finditer(page)]
    for m in REFS.finditer(page):
        target = m.group(1) if m.group(1) is not None else m.group(2)
        if not target.startswith("#"):
            found.append(m.group(0))
    return found


def test_the_checker_finds_what_it_must():
    bad_pages = (
        '<img src="x.png">', "<svg><use href='https://a/b'/></svg>", "url(font.woff)",
        "<script>1</script>", '<a href="//host/x">', "@import 'a.css'",
        '<rect onload="x()"/>', '<use xlink:href="data:image/png;base64,AA"/>',
    )  # fmt: skip
    for bad in bad_pages:
        assert outside_references(bad), bad
    assert not outside_references('<use xlink:href="#g-1"/><g clip-path="url(#c1)"/>')


def test_html_report_refers_to_nothing_outside_itself(weekly):
    page = report_html(weekly)
    assert outside_references(page) == []
    assert page.count("<svg") == len(INDICATORS)
    assert "<text" not in page  # glyphs are paths: no font is named or needed
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # every chart's ids are its own
    for ind in INDICATORS:
        assert f'<section id="{ind.key}">' in page
    # the table beneath each chart holds its rows, the empty week included
    assert page.count('<td class="dim">2026-01-19</td>') >= len(INDICATORS)


def test_hostile_dimension_values_are_text(tmp_path):
    from warehouse.db import connect

    db = build(tmp_path / "h.duckdb")
    con = connect(db)
    try:
        con.execute(
            "UPDATE observations SET source = '<script>x</script>$\\alpha$\u202e' "
            "WHERE source = 'inbox'"
        )
    finally:
        con.close()
    result = indicators(db, since="2026-01-05", until="2026-02-01")
    page = report_html(result)
    assert "<script" not in page and "\u202e" not in page
    assert "&lt;script&gt;" in page and "&lt;U+202E&gt;" in page


def test_library_gives_each_chart_as_svg_and_its_table(weekly):
    charts = indicator_charts(weekly)
    assert [c.key for c in charts] == [i.key for i in INDICATORS]
    for chart in charts:
        assert chart.svg.startswith("<svg ") and chart.svg.endswith("</svg>")
        assert outside_references(chart.svg) == []
        assert chart.table.num_rows >= 4 and chart.title and chart.what
    again = indicator_charts(weekly)
    assert [c.svg for c in charts] == [c.svg for c in again]  # same data, same bytes


def _scan_for_identities(text: str) -> list[str]:
    found = re.findall(r"[0-9a-fA-F]{32,}", text)
    found += [v for k in NAMES for v in (NAMES[k], NAMES[k].lower(), PATHS[k]) if v in text]
    found += [T[k] for k in T if T[k] in text]
    found += re.findall(r"/srv/|\.torrent|\.avi|\.mkv|\.iso|\.flac", text)
    return found


@pytest.mark.parametrize("min_cell", [1, 2, 5])
def test_shareable_holds_counts_only_and_no_small_cell(weekly, min_cell):
    data = shareable(weekly, min_cell=min_cell)
    text = json.dumps(data)
    assert _scan_for_identities(text) == []
    jsonschema.Draft202012Validator(shareable_schema()).validate(data)
    suppressed = 0
    for table in data["indicators"]:
        columns = table["columns"]
        assert set(columns) - {"period"} - SHAREABLE_DIMS <= {
            c for i in INDICATORS for c in i.counts
        }
        first = 1 + sum(c in SHAREABLE_DIMS for c in columns)
        for row in table["rows"]:
            for value in row[first:]:
                if value is None:
                    suppressed += 1
                else:
                    assert value == 0 or value >= min_cell, (table["key"], row)
    assert suppressed == data["suppressed_cells"]
    if min_cell == 1:
        assert suppressed == 0
    else:  # the fixture's counts are 1s and 2s: every non-zero one goes at 5
        assert suppressed > 0
    if min_cell == 5:
        assert all(v in (0, None) for t in data["indicators"] for r in t["rows"] for v in r[-1:])


def test_shareable_never_leaves_one_cell_alone_in_a_period(weekly):
    data = shareable(weekly, min_cell=2)
    by_source = next(t for t in data["indicators"] if t["key"] == "first_seen_by_source")
    # W2: feed-a 1 (small) and inbox 0: nothing else to hide; W1: both 1, both hidden.
    assert by_source["rows"][:4] == [
        ["2026-01-05", "feed-a", None], ["2026-01-05", "inbox", None],
        ["2026-01-12", "feed-a", None], ["2026-01-12", "inbox", 0],
    ]  # fmt: skip
    hits = next(t for t in data["indicators"] if t["key"] == "hash_list_hits")
    # W1 v1: 1 torrent (hidden) beside 2 sightings: the 2 goes too.
    assert hits["rows"][0] == ["2026-01-05", "partner", 1, None, None]


def test_schema_in_docs_is_the_one_the_code_writes():
    committed = json.loads((ROOT / "docs" / "indicators-shareable.schema.json").read_text())
    assert committed == shareable_schema()


def test_csv_and_json_hold_every_row(weekly):
    rows = list(csv.DictReader(io.StringIO(to_csv(weekly))))
    data = to_json(weekly)
    for item, block in zip(weekly.tables, data["indicators"], strict=True):
        assert block["key"] == item.indicator.key
        assert len(block["rows"]) == item.table.num_rows
        measures = len(item.table.column_names) - 1 - len(item.indicator.dims)
        got = [r for r in rows if r["indicator"] == item.indicator.key]
        assert len(got) == item.table.num_rows * measures
    flags = [r for r in rows if r["indicator"] == "flags_raised" and r["value"] == "1"]
    assert [json.loads(r["dimensions"])["level"] for r in flags] == ["high", "medium", "high"]


def test_cli_writes_each_format_and_the_shareable_schema(db, tmp_path):
    window = ["--since", "2026-01-05", "--until", "2026-02-01", "--db", db]
    for fmt in ("csv", "json", "html"):
        out = tmp_path / f"i.{fmt}"
        done = run_cli("indicators", "--format", fmt, "--out", out, *window)
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 100
    done = run_cli("indicators", "--shareable", "--out", tmp_path / "s.json", *window)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "s.schema.json").read_text()) == shareable_schema()
    assert _scan_for_identities((tmp_path / "s.json").read_text()) == []
    table = run_cli("indicators", *window, columns=200)
    assert table.returncode == 0 and "Hash-list hits, by list and version" in table.stdout
    bad = run_cli("indicators", "--every", "day", *window)
    assert bad.returncode == 1 and "indicators.invalid" in bad.stderr
    assert render_text(weekly_from(db), "json").startswith('{"every": "week"')


def weekly_from(db):
    return indicators(db, since="2026-01-05", until="2026-02-01")
