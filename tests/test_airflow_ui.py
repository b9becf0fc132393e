"""The Airflow UI as an operator meets it, in a real browser (Debian's chromium + Selenium).

scripts/airflow-standalone.sh is started as the docs say; the test logs in as admin with
the password standalone generated, opens torrent_ingest, presses Trigger and submits the
form untouched (the path Params are empty: the Variables the script set apply), then
waits until torrent_ingest, torrent_flag (started by the warehouse Asset) and
hotline_export (started by the flags Asset) have each finished a successful run. A
screenshot of each page is kept in the test's tmp folder. At the end, one SIGINT stops
the script and every process it started.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.airflow_standalone import AIRFLOW, pids_of, session_pids, start
from tests.browser import BROWSER_MARKS, chromium

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(not AIRFLOW.exists(), reason="needs the airflow extra"),
]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# Bounded waits: a page element, and the three DAG runs one after the other.
PAGE_WAIT = 60
RUNS_WAIT = 300
CHAIN = ("torrent_ingest", "torrent_flag", "hotline_export")
# torrent_ingest runs every 15 minutes once unpaused (the trigger form unpauses it), and a
# scheduled run during the test would be a second run of each DAG of the chain: the test
# starts only when the next quarter hour is further off than it takes.
QUARTER = 15 * 60
TEST_TAKES = 4 * 60


def clear_of_the_quarter_hour() -> None:
    """Sleep past the next quarter hour when it comes within ``TEST_TAKES``."""
    left = QUARTER - time.time() % QUARTER
    if left < TEST_TAKES:
        time.sleep(left + 5)


def admin_password(home: Path) -> str:
    """The password standalone generated for ``admin`` (simple auth manager)."""
    path = home / "simple_auth_manager_passwords.json.generated"
    deadline = time.monotonic() + PAGE_WAIT
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(1)
    return json.loads(path.read_text())["admin"]


def api(url: str, token: str, path: str) -> dict:
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def api_token(url: str, password: str) -> str:
    body = json.dumps({"username": "admin", "password": password}).encode()
    request = urllib.request.Request(
        url + "/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


def run_states(url: str, token: str, dag_id: str) -> list[str]:
    runs = api(url, token, f"/api/v2/dags/{dag_id}/dagRuns?limit=20")["dag_runs"]
    return [run["state"] for run in runs]


def mapped_names(url: str, token: str, dag_id: str, task_id: str) -> list[str]:
    """The names the UI shows for the map indexes of a task in the DAG's only run."""
    (run,) = api(url, token, f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances?task_id={task_id}"
    return sorted(ti["rendered_map_index"] for ti in api(url, token, path)["task_instances"])


def wait_for(condition, timeout: float, what: str, step: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def clickable_button(browser, text: str, within: str = "") -> object:
    """The enabled button whose text is ``text`` (inside the CSS ``within``, if given)."""
    xpath = f"{within}//button[normalize-space(.)='{text}' and not(@disabled)]"
    return WebDriverWait(browser, PAGE_WAIT).until(ready.element_to_be_clickable((By.XPATH, xpath)))


def log_in(browser, url: str, password: str) -> None:
    browser.get(url)
    WebDriverWait(browser, PAGE_WAIT).until(
        ready.presence_of_element_located((By.NAME, "username"))
    ).send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.XPATH, "//button[@type='submit']").click()
    WebDriverWait(browser, PAGE_WAIT).until(lambda b: "/login" not in b.current_url)


def trigger_from_the_form(browser, url: str, shots: Path) -> None:
    """Trigger torrent_ingest from its page: the Trigger button, then the form's Trigger."""
    browser.get(f"{url}/dags/torrent_ingest")
    clickable_button(browser, "Trigger").click()
    dialog = "//*[@role='dialog']"
    WebDriverWait(browser, PAGE_WAIT).until(ready.presence_of_element_located((By.XPATH, dialog)))
    time.sleep(2)  # the form renders its Params after the dialog opens
    browser.save_screenshot(str(shots / "1-trigger-form.png"))
    clickable_button(browser, "Trigger", within=dialog).click()


def test_trigger_form_starts_the_chain_without_typing(tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    clear_of_the_quarter_hour()
    standalone = start(tmp_path)
    sid = None
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=tmp_path))
    browser = None
    try:
        standalone.wait_healthy()
        sid = standalone.airflow_session()
        url = standalone.url
        password = admin_password(standalone.home)
        token = api_token(url, password)
        # The script unpauses the DAGs the Assets start, once the DAG processor parsed them.
        wait_for(
            lambda: all(not api(url, token, f"/api/v2/dags/{d}")["is_paused"] for d in CHAIN[1:]),
            RUNS_WAIT,
            "torrent_flag and hotline_export unpaused by the script",
        )
        browser = chromium(profile)
        log_in(browser, url, password)
        trigger_from_the_form(browser, url, shots)
        for dag_id in CHAIN:
            wait_for(
                lambda dag_id=dag_id: (
                    "success" in run_states(url, token, dag_id)
                    or "failed" in run_states(url, token, dag_id)
                ),
                RUNS_WAIT,
                f"a finished run of {dag_id}",
            )
            assert run_states(url, token, dag_id) == ["success"], dag_id
        ingest_runs = api(url, token, "/api/v2/dags/torrent_ingest/dagRuns")["dag_runs"]
        assert [r["run_type"] for r in ingest_runs] == ["manual"]
        for dag_id in CHAIN[1:]:
            runs = api(url, token, f"/api/v2/dags/{dag_id}/dagRuns")["dag_runs"]
            assert [r["run_type"] for r in runs] == ["asset_triggered"], dag_id
        # Mapped tasks are named after their source and target, not 0, 1, ...
        assert mapped_names(url, token, "torrent_ingest", "gather") == ["demo"]
        assert mapped_names(url, token, "hotline_export", "export") == ["demo-hotline"]
        browser.get(f"{url}/dags/hotline_export")
        time.sleep(3)
        browser.save_screenshot(str(shots / "2-hotline-export.png"))
        browser.get(f"{url}/dags")
        # The card of each DAG shows its description when the pointer rests on its name;
        # hotline_export's says the daily time the card's schedule (the Asset) leaves out.
        name = WebDriverWait(browser, PAGE_WAIT).until(
            ready.visibility_of_element_located((By.LINK_TEXT, "hotline_export"))
        )
        ActionChains(browser).move_to_element(name).perform()
        WebDriverWait(browser, PAGE_WAIT).until(
            lambda b: "daily 06:00 UTC and after every flag update" in b.page_source
        )
        time.sleep(1)
        browser.save_screenshot(str(shots / "3-dags.png"))
    finally:
        if browser is not None:
            browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
        if standalone.process.poll() is None:
            took = standalone.interrupt()
            assert took < 15 and session_pids(sid or 0) == [], pids_of(sid or 0)
        standalone.kill_all(sid)
