"""The workbench in a real browser (Debian's chromium + Selenium) against a real
`torrentwatch serve`: two analysts confirm a torrent (the two-person rule), a lead
exports, downloads and verifies it; hostile names render as inert text; keyboard triage
works under the strict CSP. Screenshots of the main pages are kept in the test's tmp
folder, and written to docs/ when WORKBENCH_SCREENSHOTS=docs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from workbench_site import PASSWORD, build_warehouse, serving

from tests.browser import BROWSER_MARKS, chromium

ROOT = Path(__file__).resolve().parent.parent
pytestmark = BROWSER_MARKS
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    NoAlertPresentException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

WAIT = 30


@pytest.fixture
def server(tmp_path: Path):
    db = build_warehouse(tmp_path / "site")
    with serving(db, tmp_path / "exports") as url:
        yield url, db


@pytest.fixture
def browser(tmp_path: Path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chromium(tmp_path / "profile", downloads=downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()


def shot(driver, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"workbench-{name}.png"
    driver.save_screenshot(str(path))
    if os.environ.get("WORKBENCH_SCREENSHOTS") == "docs":
        shutil.copy(path, ROOT / "docs" / path.name)


def log_in(driver, url: str, name: str) -> None:
    driver.get(url + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, WAIT).until(ready.url_contains("/queue"))


def log_out(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    WebDriverWait(driver, WAIT).until(ready.url_contains("/login"))


def confirm_with_keys(driver, rationale: str) -> None:
    """The keyboard path: c picks confirm and focuses the rationale, then submit."""
    driver.find_element(By.TAG_NAME, "body").send_keys("c")
    assert driver.find_element(By.ID, "decision-confirm").is_selected()
    Select(driver.find_element(By.ID, "rationale")).select_by_value(rationale)
    driver.find_element(By.CSS_SELECTOR, "input[name='then']").click()  # stay on this one
    driver.find_element(By.ID, "submit-decision").click()
    WebDriverWait(driver, WAIT).until(ready.url_contains("done=decided"))


def replaced(element):
    """A wait condition: ``element`` has left the document (its page was replaced)."""

    def gone(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            return "does not belong to the document" in str(error)
        return False

    return gone


def status_text(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "p.status strong").text


def test_two_analysts_confirm_a_lead_exports_and_hostile_names_stay_inert(
    server, browser, tmp_path
):
    url, _ = server
    log_in(browser, url, "ana")
    # Filter the queue to one rule, open the first torrent with the keyboard.
    Select(browser.find_element(By.NAME, "level")).select_by_value("critical")
    browser.find_element(By.NAME, "rule").send_keys("disguise.double-extension")
    browser.find_element(By.CSS_SELECTOR, "#filters button").click()
    WebDriverWait(browser, WAIT).until(ready.url_contains("rule=disguise.double-extension"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tr.row")
    shot(browser, tmp_path, "queue")
    assert rows, browser.current_url
    assert "torrent(s)" in browser.find_element(By.TAG_NAME, "h1").text
    shot(browser, tmp_path, "queue")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    assert "current" in rows[0].get_attribute("class")
    body.send_keys("o")
    WebDriverWait(browser, WAIT).until(ready.url_contains("/torrent/"))
    torrent_url = browser.current_url.split("?")[0]
    infohash = torrent_url.rsplit("/", 1)[1]
    shot(browser, tmp_path, "torrent")

    confirm_with_keys(browser, "disguised-executable")
    assert status_text(browser) == "awaiting_confirmation" or "pending" in browser.page_source
    log_out(browser)

    log_in(browser, url, "ben")
    browser.get(torrent_url)
    confirm_with_keys(browser, "disguised-executable")
    deadline = time.monotonic() + WAIT
    while status_text(browser) != "confirmed":  # folded and re-read once the warehouse is free
        assert time.monotonic() < deadline, status_text(browser)
        time.sleep(0.5)
        browser.get(torrent_url)
    log_out(browser)

    log_in(browser, url, "lea")
    # A bulk decision's preview lists exactly what it would decide (not applied here).
    browser.get(url + "/queue?rule=disguise.executable-in-video-release")
    Select(
        browser.find_element(By.CSS_SELECTOR, "form.bulk select[name='decision']")
    ).select_by_value("escalate")
    Select(
        browser.find_element(By.CSS_SELECTOR, "form.bulk select[name='rationale']")
    ).select_by_value("needs-second-opinion")
    browser.find_element(By.CSS_SELECTOR, "form.bulk button").click()
    WebDriverWait(browser, WAIT).until(ready.url_contains("/bulk/preview"))
    assert "Preview: escalate" in browser.find_element(By.TAG_NAME, "h1").text
    shot(browser, tmp_path, "bulk")
    browser.get(url + "/exports")
    browser.find_element(By.ID, "target").send_keys("hotline-e2e")
    browser.find_element(By.ID, "run-export").click()
    WebDriverWait(browser, WAIT).until(ready.url_contains("done=exported"))
    shot(browser, tmp_path, "exports")
    browser.find_element(By.CSS_SELECTOR, "a.download").click()
    deadline = time.monotonic() + WAIT
    while not list(browser.downloads.glob("hotline-e2e-*.csv")):
        assert time.monotonic() < deadline, "the export was not downloaded"
        time.sleep(0.3)
    (downloaded,) = browser.downloads.glob("hotline-e2e-*.csv")
    assert infohash in downloaded.read_text()
    browser.find_element(By.CSS_SELECTOR, "a.verify").click()
    assert "OK, 1 file(s) match" in browser.find_element(By.ID, "verified").text
    manifest = next((tmp_path / "exports").glob("*.manifest.json"))
    listed = json.loads(manifest.read_text())
    assert hashlib.sha256(downloaded.read_bytes()).hexdigest() in json.dumps(listed)

    # Hostile names: shown as text, nothing runs, nothing loads, marks visible.
    browser.get(url + "/queue?status=all")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.find_elements(By.TAG_NAME, "img") == []
    text = browser.find_element(By.ID, "queue").text
    assert "<script>alert(1)</script>.Film.2020.1080p" in text
    assert '"><img src=x onerror=alert(2)>.Film.2021.720p' in text
    assert "HolidayU+202Egpj" in text and "QuietU+200BNight" in text
    assert "\u202e" not in text and "\u200b" not in text
    shot(browser, tmp_path, "hostile")
    browser.get(url + "/rules")
    shot(browser, tmp_path, "rules")

    # Masking: the header box saves the setting (script, no inline handler); names stay
    # covered until one is clicked.
    browser.get(url + "/queue?status=all")
    before = browser.find_element(By.TAG_NAME, "body")
    browser.find_element(By.CSS_SELECTOR, "input.autosubmit").click()
    # The box submits its form: wait for the page it loads, then read that page's body.
    # Mid-navigation chromedriver may answer for the old node with an inspector error ("does
    # not belong to the document") rather than a stale reference: both mean it is gone.
    WebDriverWait(browser, WAIT).until(replaced(before))
    WebDriverWait(
        browser, WAIT, ignored_exceptions=(StaleElementReferenceException, WebDriverException)
    ).until(lambda d: "masking" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    first = browser.find_element(By.CSS_SELECTOR, "#queue .name")
    assert not first.find_element(By.CSS_SELECTOR, ".real").is_displayed()
    assert first.find_element(By.CSS_SELECTOR, ".cover").is_displayed()
    first.click()
    assert first.find_element(By.CSS_SELECTOR, ".real").is_displayed()
    others = browser.find_elements(By.CSS_SELECTOR, "#queue .name .real")
    assert not others[1].is_displayed()
    refused = [
        e["message"]
        for e in browser.get_log("browser")
        if "Content Security Policy" in e["message"]
    ]
    assert refused == []
