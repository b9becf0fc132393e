"""The HTML indicator report as a reader sees it, in a real browser (Debian's chromium).

The page is opened from a file inside the loopback-only namespace; the browser must
fetch nothing (no resource entries), every chart must be drawn with a real size, and
a screenshot is kept in the test's tmp folder to look at.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.browser import BROWSER_MARKS, chromium
from tests.indicator_warehouse import build
from torrentwatch.indicator_report import report_html
from torrentwatch.indicators import INDICATORS, indicators

pytestmark = BROWSER_MARKS
webdriver = pytest.importorskip("selenium.webdriver")


def test_report_renders_offline_with_every_chart(tmp_path):
    db = build(tmp_path / "w.duckdb")
    page = tmp_path / "report.html"
    page.write_text(report_html(indicators(db, since="2026-01-05", until="2026-02-01")))
    browser = chromium(Path(tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)), size="1200,1600")
    try:
        browser.get(page.as_uri())
        assert browser.title == "torrentwatch indicators"
        fetched = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert fetched == []
        sizes = browser.execute_script(
            "return [...document.querySelectorAll('section svg')].map("
            "s => [s.closest('section').id, s.getBoundingClientRect().width,"
            " s.getBoundingClientRect().height, s.querySelectorAll('path').length])"
        )
        assert [s[0] for s in sizes] == [i.key for i in INDICATORS]
        for key, width, height, paths in sizes:
            assert width > 600 and height > 150 and paths > 20, key
        browser.save_screenshot(str(tmp_path / "report.png"))
    finally:
        browser.quit()
    assert (tmp_path / "report.png").stat().st_size > 10_000
