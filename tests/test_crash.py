"""A kill -9 in the middle of an ingest leaves no partial batch behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

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


# Run the CLI with one change: the process kills itself (SIGKILL) inside the
# transaction of its KILL_AT-th batch, after every insert of it and before its COMMIT.
_KILLED_IN_BATCH = """
import os, signal, sys
import warehouse.load as load
kill_at, real, loads = int(sys.argv.pop(1)), load.LoadCounts, []
def counted(*args):
    loads.append(args)
    if len(loads) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args)
load.LoadCounts = counted
from torrentwatch.cli import main
sys.argv[0] = "torrentwatch"
main()
"""


@pytest.mark.parametrize("kill_at, workers", [(2, "1"), (4, "2")])
def test_kill_9_inside_a_batch_keeps_exactly_the_batches_before_it(
    tmp_path, torrent_writer, kill_at, workers
):
    """``--batch`` sets the transaction: killed in batch K, the warehouse holds batches
    1..K-1 whole and nothing of K. (An ingest that ignored ``--batch`` loads all 300
    inputs in one transaction, is never killed, and fails this.)"""
    folder = tmp_path / "in"
    torrent_writer(folder, list(synthetic_specs(300, files_per_torrent=3)))
    db = tmp_path / "w.duckdb"
    args = ["ingest", str(folder), "--db", str(db), "--chunk", "10", "--batch", str(CHUNK)]
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_IN_BATCH, str(kill_at), *args, "--workers", workers],
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert _invariants(db) == ((kill_at - 1) * CHUNK, (kill_at - 1) * CHUNK)
    subprocess.run([sys.executable, "-m", "torrentwatch", *args], check=True, capture_output=True)
    torrents, _ = _invariants(db)
    assert torrents == 300


def _children(pid: int) -> list[int]:
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(name))
    return kids


def _batch_committed(db: Path) -> bool:
    """Some batch of the ingest into the new warehouse ``db`` has committed: its log holds
    more than the schema, or a checkpoint has moved it into the file."""
    sizes = {}
    for path in (db, Path(f"{db}.wal")):
        try:
            sizes[path.suffix] = path.stat().st_size
        except FileNotFoundError:
            sizes[path.suffix] = 0
    return sizes[".wal"] > 1_000_000 or sizes[".duckdb"] > 1_000_000


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody has reaped yet (dead all the same)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_kill_9_takes_the_workers_along_and_the_next_run_settles_up(tmp_path, torrent_writer):
    folder = tmp_path / "in"
    torrent_writer(folder, list(synthetic_specs(3000, files_per_torrent=30)))
    db = tmp_path / "w.duckdb"
    command = [sys.executable, "-m", "torrentwatch", "ingest", str(folder), "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--workers", "2", "--chunk", "20", "--batch", "200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 2, "the workers never started"
        # Mid-ingest: the run row is written, batches are loading. The first batch's
        # commit is the sign (the run row commits before any batch): a batch adds ~2 MB
        # to the write-ahead log, the new warehouse's schema ~64 KB. A fixed pause was
        # not it: on a busy machine 1.5 s after the workers started found no run row.
        deadline = time.monotonic() + 60
        while not _batch_committed(db) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _batch_committed(db), "no batch was loaded"
        assert proc.poll() is None, "the ingest finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers), "workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _children(proc.pid) if proc.poll() is None else workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)  # a failed check leaves none behind
    con = connect(db)
    (killed,) = con.execute("SELECT run_id FROM runs WHERE status = 'running'").fetchone()
    con.close()
    # DuckDB spills to <warehouse>.tmp/ when a load outgrows its memory; a kill leaves the
    # files. Whether this kill found any depends on timing, so one stands in for them.
    spill = Path(f"{db}.tmp")
    spill.mkdir(exist_ok=True)
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 17_000_000)
    subprocess.run([*command, "--workers", "1"], check=True, capture_output=True)
    con = connect(db)
    runs = dict(con.execute("SELECT run_id, status FROM runs").fetchall())
    detail = con.execute("SELECT detail FROM runs WHERE run_id = ?", [killed]).fetchone()[0]
    con.close()
    assert runs.pop(killed) == "abandoned" and "no longer held" in detail
    assert list(runs.values()) == ["completed"]
    assert not list(tmp_path.glob("w.duckdb.tmp*/*")) and not spill.exists()
