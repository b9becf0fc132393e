"""Start scripts/airflow-standalone.sh as an operator does, wait for it, stop it, check it.

Used by the tests that need a whole running Airflow (the stop test, the browser test).
The script runs with its own AIRFLOW_HOME in a temporary folder and free ports on
127.0.0.1; the tests run inside scripts/isolated.sh, so Airflow's log servers, which
listen on every interface, are reachable from loopback only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.swarm import free_port

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "airflow-standalone.sh"
AIRFLOW = Path(sys.executable).with_name("airflow")
# Generous but bounded: on a loaded 2-core machine the first start migrates the
# database and parses the DAGs, which has taken up to about two minutes.
START_TIMEOUT = 300.0
STOP_TIMEOUT = 20.0


def in_isolated_namespace() -> bool:
    """True inside scripts/isolated.sh (where nothing can leave loopback)."""
    return os.environ.get("TORRENTWATCH_ISOLATED") == "1"


def session_pids(sid: int) -> list[int]:
    """Live processes whose session is ``sid`` (read from /proc, as the script does)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return sorted(pids)


def pids_of(sid: int) -> str:
    """``pid command`` lines of a session, for a failure message."""
    lines = []
    for pid in session_pids(sid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        lines.append(f"{pid} {cmd.decode(errors='replace')[:120]}")
    return "\n".join(lines)


@dataclass
class Standalone:
    """A running scripts/airflow-standalone.sh and what a test needs to reach it."""

    process: subprocess.Popen
    home: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def airflow_session(self) -> int | None:
        """The session the script started Airflow in: that of its child ``setsid bash``."""
        for pid in Path("/proc").glob("[0-9]*/stat"):
            try:
                stat = pid.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(stat[1]) == self.process.pid and int(stat[3]) == int(pid.parent.name):
                return int(pid.parent.name)
        return None

    def healthy(self) -> bool:
        """The API server answers and reports the scheduler and DAG processor healthy."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as r:
                health = json.loads(r.read())
        except (OSError, urllib.error.URLError, ValueError):
            return False
        parts = ("metadatabase", "scheduler", "dag_processor", "triggerer")
        return all(
            (health.get(part) or {}).get("status") == "healthy" for part in parts if part in health
        )

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"the script exited {code}:\n{self.output()}")
            if self.healthy():
                return
            time.sleep(2)
        raise AssertionError(f"no healthy API server after {timeout:.0f}s:\n{self.output()}")

    def interrupt(self, timeout: float = STOP_TIMEOUT) -> float:
        """One SIGINT, as one Ctrl-C; returns the seconds until the script exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the script had not exited {timeout:.0f}s after one SIGINT:\n{self.output()}"
            ) from None
        return time.monotonic() - started

    def kill_all(self, sid: int | None) -> None:
        """Clean-up after a failed test: whatever is left of the session, killed."""
        if self.process.poll() is None:
            self.process.kill()
        for pid in session_pids(sid) if sid else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def start(tmp: Path, **env: str) -> Standalone:
    """Run the script with its own AIRFLOW_HOME under ``tmp`` and free ports."""
    home = tmp / "airflow"
    port = free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TORRENTWATCH_DB"))
    }
    environment |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_BIN": str(AIRFLOW),
        "AIRFLOW_PORT": str(port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        **env,
    }
    log = tmp / "standalone.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(SCRIPT)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_interruptible,
        )
    return Standalone(process, home, port, log)


def _interruptible() -> None:
    """The script as a terminal starts it, with Ctrl-C's SIGINT at its default: a shell
    started with SIGINT ignored cannot trap it, and the suite run in the background (a
    `nohup ... &` job, which ignores SIGINT) would pass that on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
