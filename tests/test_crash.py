"""A kill -9 in the middle of an ingest leaves no partial batch behind."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from torrentwatch.synth import synthetic_specs
from warehouse.db import connect

CHUNK = 50


def _invariants(db) -> tuple[int, int]:
    con = connect(db)
    try:
        observations = con.execute("SELECT count(*) FROM observations").fetchone()[0]
        torrents = con.execute("SELECT count(*) FROM torrents").fetchone()[0]
        # Every batch holds exactly CHUNK inputs, all valid: whole batches only.
        assert observations % CHUNK == 0, observations
        missing_files = con.execute(
            """SELECT count(*) FROM torrents t
               WHERE file_count <> (SELECT count(*) FROM files f
                                    WHERE f.infohash = t.infohash AND NOT f.is_pad)"""
        ).fetchone()[0]
        assert missing_files == 0
        orphans = con.execute(
            "SELECT count(*) FROM observations o ANTI JOIN torrents t USING (infohash)"
        ).fetchone()[0]
        assert orphans == 0
        return torrents, observations
    finally:
        con.close()


@pytest.mark.slow
def test_kill_during_ingest_leaves_whole_batches(tmp_path, torrent_writer):
    folder = tmp_path / "in"
    torrent_writer(folder, list(synthetic_specs(3000, files_per_torrent=30)))
    db = tmp_path / "w.duckdb"
    command = [
        sys.executable,
        "-m",
        "torrentwatch",
        "ingest",
        str(folder),
        "--db",
        str(db),
        "--chunk",
        str(CHUNK),
        "--batch",
        str(CHUNK),
        "--workers",
        "1",
    ]
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        _invariants(db)
    assert kills >= 1
    subprocess.run(command, check=True, capture_output=True)
    torrents, _ = _invariants(db)
    assert torrents == 3000
