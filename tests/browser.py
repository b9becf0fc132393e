"""The one way tests drive a real browser: Debian's chromium through Selenium, headless,
talking to nothing but the pages it is sent to (the tests run in a loopback-only
namespace anyway). Used by the Airflow UI, workbench and indicator-report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.airflow_standalone import in_isolated_namespace

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Every browser test: slow, and only where the browser and the namespace are (CI has both).
BROWSER_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver (scripts/test.sh installs them)",
    ),
    pytest.mark.skipif(
        not in_isolated_namespace(), reason="starts a browser: run inside scripts/isolated.sh"
    ),
]
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium(profile: Path, *, size: str = "1400,1000", downloads: Path | None = None):
    """A headless chromium with its own ``profile`` folder and window ``size``; with
    ``downloads``, files it downloads land there without asking. Its console is kept
    (``get_log("browser")``), so a test can read CSP refusals."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*_FLAGS, f"--window-size={size}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "download.prompt_for_download": False},
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(options=options, service=service)
