"""scripts/airflow-standalone.sh stops every process it started on one Ctrl-C (SIGINT).

Airflow runs in a session of its own; the script, on the signal, sends SIGTERM to the
whole session, waits a few seconds and SIGKILLs what is left. The test starts the
script as an operator does, waits until the API server answers on 127.0.0.1, sends one
SIGINT and checks that within seconds the script has exited and no process of
Airflow's session (scheduler, triggerer, DAG processor, API server, their workers)
remains — none orphaned to PID 1.
"""

from __future__ import annotations

import pytest

from tests.airflow_standalone import AIRFLOW, in_isolated_namespace, pids_of, session_pids, start

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not AIRFLOW.exists(), reason="needs the airflow extra"),
    pytest.mark.skipif(
        not in_isolated_namespace(), reason="starts Airflow: run inside scripts/isolated.sh"
    ),
]


def test_one_sigint_stops_every_process_the_script_started(tmp_path):
    standalone = start(tmp_path)
    sid = None
    try:
        standalone.wait_healthy()
        sid = standalone.airflow_session()
        assert sid is not None, standalone.output()
        running = session_pids(sid)
        assert len(running) >= 4, pids_of(sid)  # standalone and its components at least
        took = standalone.interrupt()
        assert standalone.process.returncode == 130, standalone.output()
        assert took < 15, f"took {took:.1f}s to stop"
        assert session_pids(sid) == [], pids_of(sid)
        assert "no Airflow process is left" in standalone.output()
        assert "Traceback" not in standalone.output().split("stopping every Airflow")[-1]
    finally:
        standalone.kill_all(sid)
