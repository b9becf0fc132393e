#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite (slow tests included).
# The README's test command and .ci/run both call exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian tools the tests use: torrents made by other programs (interop), real peers and
# trackers on loopback (monitors), iproute2 to bring loopback up in the test namespace.
need=()
command -v mktorrent >/dev/null || need+=(mktorrent)
command -v transmission-create >/dev/null || need+=(transmission-cli)
command -v transmission-daemon >/dev/null || need+=(transmission-daemon)
command -v opentracker >/dev/null || need+=(opentracker)
command -v ip >/dev/null || need+=(iproute2)
# A real browser for the Airflow UI test (tests/test_airflow_ui.py, driven by Selenium)
# and the workbench browser test (tests/test_workbench_browser.py).
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
# A real PostgreSQL for the DuckLake catalog tests (tests/pg_server.py starts it on loopback).
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "scripts/test.sh: please install ${need[*]} (Debian packages) first" >&2
    exit 2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev,airflow,lake]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Every test runs in a network namespace with only loopback: no traffic leaves 127.0.0.1.
bash scripts/isolated.sh .venv/bin/python -m pytest "$@"
