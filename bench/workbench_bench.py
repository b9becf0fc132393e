"""Workbench benchmark: queue page, torrent page and a bulk decision of 10,000 on a
warehouse of 1,000,000 torrents with 100,000 flagged torrents.

    PYTHONPATH=. .venv/bin/python bench/workbench_bench.py --db /work/benchdata/s15/wb_1m.duckdb

Builds once (kept in ``--db``): ``flag_bench.build_warehouse`` (1,000,000 benign
synthetic torrents, set-wise), ``torrentwatch flag`` with the shipped packs, then
synthetic active flags on more torrents until ``--flagged`` torrents have one (rule
``bench.synthetic``; exactly 10,000 of them under ``bench.bulk``, the bulk target).
Each run works on a fresh copy and times, in one process, server side (the ASGI app
called in-process through Starlette's TestClient; no network):
  * refresh  - one snapshot build (fold + copy of what the pages read);
  * queue    - GET /queue with ``--requests`` filters in turn (default, a level, a rule,
               a platform, page 200, sort by newest, a first-seen range, hash-list hit);
  * baseline - the library's ``review.review_queue(db, limit=50)`` (the CLI's `review
               queue`, straight from the warehouse views) for the same first page;
  * torrent  - GET /torrent/INFOHASH for ``--requests`` random flagged torrents;
  * bulk     - a lead's preview and apply of one decision for the 10,000 torrents of
               rule ``bench.bulk`` (recorded in the store: the decision is durable), the
               fold into the warehouse's ``reviews`` (what the refresher does at once),
               then the next snapshot (which shows them decided).
Prints medians and p95 as a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import kit_path  # noqa: F401  (testkit/ and bench/ on sys.path)
from flag_bench import build_warehouse
from starlette.testclient import TestClient

from torrentwatch.flag import flag
from torrentwatch.review import review_queue
from torrentwatch.workbench.accounts import users_add
from torrentwatch.workbench.app import create_app
from torrentwatch.workbench.web import Settings
from warehouse.db import connect

PASSWORD = "bench password 1"
BULK = 10_000

SYNTHETIC_FLAGS_SQL = """\
INSERT INTO flag_rows (infohash, rule_id, rule_version, level, score, evidence,
                   first_flagged_at, last_evaluated_at, last_matched_at, active)
SELECT infohash, CASE WHEN n <= $bulk THEN 'bench.bulk' ELSE 'bench.synthetic' END, 1,
       CASE n % 3 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' ELSE 'high' END, 1.0,
       json_object('rule_id', 'bench.synthetic', 'version', 1,
                   'title', 'Synthetic benchmark flag', 'level', 'medium', 'facts', []),
       now(), now(), now(), true
FROM (SELECT t.infohash, row_number() OVER (ORDER BY hash(t.infohash)) AS n
      FROM torrents t ANTI JOIN flags f ON f.infohash = t.infohash AND f.active)
WHERE n <= $more"""


def prepare(db: Path, count: int, flagged: int) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_suffix(".building.duckdb")
    partial.unlink(missing_ok=True)
    build_warehouse(partial, count)
    t0 = time.perf_counter()
    summary = flag(partial)
    print(f"  flag: {time.perf_counter() - t0:.1f} s, {summary.matched:,} flags", file=sys.stderr)
    con = connect(partial)
    try:
        (have,) = con.execute("SELECT count(DISTINCT infohash) FROM flags WHERE active").fetchone()
        con.execute(SYNTHETIC_FLAGS_SQL, {"bulk": BULK, "more": max(flagged - have, BULK)})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    partial.rename(db)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call) -> float:
    t0 = time.perf_counter()
    answer = call()
    elapsed = time.perf_counter() - t0
    if getattr(answer, "status_code", 200) != 200:
        raise SystemExit(f"request failed: {answer.status_code} {answer.text[-400:]}")
    return elapsed


def log_in(c: TestClient, name: str) -> str:
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)[1]
    page = c.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]


QUEUE_FILTERS = (
    "",
    "?level=high",
    "?rule=bench.synthetic",
    "?platform=ps2",
    "?page=200",
    "?sort=newest",
    "?seen_from=2000-01-01&seen_to=2100-01-01",
    "?hit=no&status=all",
)


def run_once(db: Path, work: Path, requests: int) -> dict[str, list[float]]:
    copy = work / "copy.duckdb"
    for path in work.glob("copy.duckdb*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copy(db, copy)
    users_add(copy, "lead1", role="lead", password=PASSWORD)
    app = create_app(Settings(db=copy, exports_dir=work / "exports"), start_refresher=False)
    out: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    app.state.snapshots.refresh(force=True)
    out["refresh"] = [time.perf_counter() - t0]
    c = TestClient(app)
    csrf = log_in(c, "lead1")
    filters = [QUEUE_FILTERS[i % len(QUEUE_FILTERS)] for i in range(requests)]
    out["queue"] = [timed(lambda f=f: c.get("/queue" + f)) for f in filters]
    out["baseline"] = [
        timed(lambda: review_queue(copy, limit=50)) for _ in range(max(3, requests // 10))
    ]
    cur = app.state.snapshots.cursor()
    keys = [k for (k,) in cur.execute("SELECT infohash FROM wb_queue").fetchall()]
    cur.close()
    picks = random.Random(7).sample(keys, requests)
    out["torrent"] = [timed(lambda k=k: c.get(f"/torrent/{k}")) for k in picks]
    form = {"csrf": csrf, "rule": "bench.bulk", "decision": "dismiss",
            "rationale": "rule-misfire"}  # fmt: skip
    t0 = time.perf_counter()
    preview = c.post("/bulk/preview", data=form)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.text)[1]
    assert f"for {BULK} torrent(s)" in preview.text, preview.text[:2000]
    out["bulk_preview"] = [time.perf_counter() - t0]
    t0 = time.perf_counter()
    done = c.post("/bulk/apply", data={**form, "digest": digest}, follow_redirects=False)
    out["bulk_apply"] = [time.perf_counter() - t0]
    assert done.status_code == 303, done.text[-400:]
    t0 = time.perf_counter()
    assert app.state.snapshots.fold()
    out["bulk_fold"] = [time.perf_counter() - t0]
    t0 = time.perf_counter()
    app.state.snapshots.refresh()
    out["bulk_snapshot"] = [time.perf_counter() - t0]
    con = connect(copy, read_only=True)
    try:
        (n,) = con.execute(
            "SELECT count(*) FROM review_status WHERE status = 'dismissed'"
        ).fetchone()
    finally:
        con.close()
    assert n == BULK, n
    app.state.snapshots.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/work/benchdata/s15/wb_1m.duckdb"))
    ap.add_argument("--torrents", type=int, default=1_000_000)
    ap.add_argument("--flagged", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    prepare(args.db, args.torrents, args.flagged)
    con = connect(args.db, read_only=True)
    try:
        (torrents,) = con.execute("SELECT count(*) FROM torrents").fetchone()
        (flagged,) = con.execute(
            "SELECT count(DISTINCT infohash) FROM flags WHERE active"
        ).fetchone()
    finally:
        con.close()
    print(f"warehouse: {torrents:,} torrents, {flagged:,} with active flags", file=sys.stderr)
    work = args.db.parent / "work"
    work.mkdir(exist_ok=True)
    runs = [run_once(args.db, work, args.requests) for _ in range(args.repeat)]
    print("| measure | median | p95 | runs x samples |")
    print("|---|---|---|---|")
    for name in runs[0]:
        values = [v for run in runs for v in run[name]]
        print(
            f"| {name} | {statistics.median(values) * 1000:.0f} ms | "
            f"{pct(values, 0.95) * 1000:.0f} ms | {len(runs)} x {len(runs[0][name])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
