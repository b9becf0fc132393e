"""Workbench on a lake beside the workbench on a file: the same warehouse of 1,000,000
torrents with 100,000 flagged (bench/workbench_bench.py builds it), once as the DuckDB
file and once copied into a lake (catalog in a DuckDB file, data in Parquet files;
``warehouse.lake.copy_into_lake``, built once and kept).

    PYTHONPATH=. .venv/bin/python bench/workbench_lake_bench.py \\
        --db /work/benchdata/s15/wb_1m.duckdb --lake-folder /work/benchdata/s19 \\
        [--catalog duckdb|postgres]

With ``--catalog postgres`` the lake's catalog is a PostgreSQL 15 started for the run
(testkit.pg_server, 127.0.0.1, a temporary folder), the copy made anew each time.

Runs alternate file / lake. Each times, in one process, server side (the ASGI app through
Starlette's TestClient; no network):
  * refresh - one snapshot build (on the file: fold + copy; on the lake: a read-only
              session's copy, and the snapshot id read);
  * queue, torrent - page requests (they read the snapshot on both backends);
  * decide  - POST of one decision (escalate) on a random flagged torrent: on the file
              the store's commit (the refresher folds it later); on the lake the store's
              commit and the fold into the lake's ``reviews`` in the review lane;
  * check   - the refresher's change check when nothing changed (file: two stat calls;
              lake: ``ducklake_current_snapshot`` read in its session: kept open for a
              PostgreSQL catalog, opened per check for a DuckDB-file catalog).
The file is copied fresh for each run; the lake is not (decisions accumulate there,
on different torrents each run). Prints medians and p95 per backend.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import kit_path  # noqa: F401  (testkit/ and bench/ on sys.path)
from starlette.testclient import TestClient
from workbench_bench import PASSWORD, QUEUE_FILTERS, log_in, pct, prepare, timed

from torrentwatch.workbench.accounts import users_add
from torrentwatch.workbench.app import create_app
from torrentwatch.workbench.snapshot import _stamp, lake_snapshot_id
from torrentwatch.workbench.web import Settings
from warehouse.db import connect
from warehouse.lake import copy_into_lake


def lake_of(db: Path, folder: Path, catalog: str | None = None) -> str:
    """The lake copy of ``db`` in ``folder`` (made once), or with ``catalog`` (a
    PostgreSQL connection string) a new copy with its catalog there."""
    if catalog is not None:
        data = folder / "pg-data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        data.chmod(0o777)
        target = f"ducklake:postgres:{catalog};data_path={data}/"
        done = folder / "never"
    else:
        target = f"ducklake:{folder / 'wb_1m.ducklake'};data_path={folder / 'wb_1m-data'}/"
        done = folder / "wb_1m.lake-complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        con = connect(target, create=True)
        try:
            copy_into_lake(str(db), con)
        finally:
            con.close()
        print(f"  lake copy: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if catalog is None:
            done.touch()
    return target


def run_once(db: str | Path, lake: bool, work: Path, requests: int, seed: int) -> dict:
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    if not lake:
        for path in work.glob("copy.duckdb*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        shutil.copy(db, work / "copy.duckdb")
        db = work / "copy.duckdb"
    users_add(db, "lead1", role="lead", password=PASSWORD, home=home if lake else None)
    settings = Settings(db=db, exports_dir=work / "exports", home=home if lake else None)
    app = create_app(settings, start_refresher=False)
    snaps = app.state.snapshots
    out: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    snaps.refresh(force=True)
    out["refresh"] = [time.perf_counter() - t0]
    c = TestClient(app)
    csrf = log_in(c, "lead1")
    filters = [QUEUE_FILTERS[i % len(QUEUE_FILTERS)] for i in range(requests)]
    out["queue"] = [timed(lambda f=f: c.get("/queue" + f)) for f in filters]
    cur = snaps.cursor()
    keys = [k for (k,) in cur.execute("SELECT infohash FROM wb_queue").fetchall()]
    cur.close()
    picks = random.Random(seed).sample(keys, 2 * requests)
    out["torrent"] = [timed(lambda k=k: c.get(f"/torrent/{k}")) for k in picks[:requests]]
    form = {"csrf": csrf, "decision": "escalate", "rationale": "other", "note": "bench"}
    out["decide"] = []
    for key in picks[requests : requests + max(5, requests // 4)]:
        t0 = time.perf_counter()
        answer = c.post(f"/torrent/{key}/decide", data=form, follow_redirects=False)
        out["decide"].append(time.perf_counter() - t0)
        if answer.status_code != 303:
            raise SystemExit(f"decide failed: {answer.status_code} {answer.text[-400:]}")
    if lake:
        assert snaps.store.unfolded() == [], "a lake decision was not folded at once"
    snaps.refresh()  # after the decisions: the check below then finds nothing new
    if lake:  # what the refresher does: its kept session where the catalog allows one

        def check():
            return snaps.checker.run(lake_snapshot_id)
    else:

        def check():
            return _stamp(Path(db))

    out["check"] = [timed(check) for _ in range(10)]
    snaps.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/work/benchdata/s15/wb_1m.duckdb"))
    ap.add_argument("--lake-folder", type=Path, default=Path("/work/benchdata/s19"))
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--catalog", choices=("duckdb", "postgres"), default="duckdb")
    args = ap.parse_args(argv)
    prepare(args.db, 1_000_000, 100_000)
    if args.catalog == "postgres":
        from testkit.pg_server import running_postgres

        with running_postgres() as server:
            lake = lake_of(args.db, args.lake_folder, server.create_database("wb_bench"))
            return measure(args, lake)
    return measure(args, lake_of(args.db, args.lake_folder))


def measure(args: argparse.Namespace, lake: str) -> int:
    runs: dict[str, list[dict]] = {"file": [], "lake": []}
    with tempfile.TemporaryDirectory(dir=args.lake_folder) as scratch:
        work = Path(scratch)
        for n in range(args.repeat):
            for name in ("file", "lake"):  # alternated: the machine is shared and noisy
                target = lake if name == "lake" else args.db
                runs[name].append(run_once(target, name == "lake", work, args.requests, n))
    print("| measure | file median | file p95 | lake median | lake p95 | lake / file |")
    print("|---|---|---|---|---|---|")
    for measure in runs["file"][0]:
        row = []
        for name in ("file", "lake"):
            values = [v for run in runs[name] for v in run[measure]]
            row.append((statistics.median(values), pct(values, 0.95)))
        ratio = row[1][0] / row[0][0] if row[0][0] else float("nan")
        print(
            f"| {measure} | {row[0][0] * 1000:.1f} ms | {row[0][1] * 1000:.1f} ms | "
            f"{row[1][0] * 1000:.1f} ms | {row[1][1] * 1000:.1f} ms | {ratio:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
