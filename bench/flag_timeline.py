"""Where a flag run's time goes: every statement it sends to DuckDB, with the time spent
in it and the Python time before it ("gap"), medians over ``--repeat`` runs, each on a
fresh copy of ``--state`` synced to disk before the clock starts.

    .venv/bin/python bench/flag_timeline.py --state STATE.duckdb --pack bench-fuzzy.yaml \\
        --repeat 7 [--full]

STATE is a warehouse flagged once and then loaded (flag_incremental_bench.py makes one
in its temporary folder; keep a copy of it to use here). Statements under ``--min-ms``
(gap and time together) are left out of the listing, not the total. ``--detail`` turns on
DuckDB's detailed profiling (which costs time itself) and adds, per statement, what DuckDB
says it spent binding and optimizing ("plan") and executing ("cpu"), with their sums.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import kit_path  # noqa: F401  (testkit and bench modules on sys.path)

import torrentwatch.flag as flag_stage
from rules.ruleset import load_packs


class _Timed:
    """A connection that notes (start, end, statement, (plan, cpu) in seconds or None) of
    every ``execute``; the last from DuckDB's profile when ``detail``."""

    def __init__(self, con, log: list, detail: bool = False) -> None:
        self._con, self._log, self._detail = con, log, detail
        if detail:
            con.execute("PRAGMA enable_profiling = 'no_output'")
            con.execute("SET profiling_mode = 'detailed'")

    def execute(self, sql, *args, **kwargs):
        start = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        end, spent = time.perf_counter(), None
        if self._detail:
            try:
                info = json.loads(self._con.get_profiling_information(format="json"))
                plan = (info.get("planner") or 0) + (info.get("all_optimizers") or 0)
                spent = (plan, info.get("cpu_time") or 0)
            except Exception:  # statements DuckDB keeps no profile of (COMMIT, ...)
                spent = (0.0, 0.0)
        self._log.append((start, end, " ".join(str(sql).split())[:90], spent))
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", type=Path, required=True)
    ap.add_argument("--pack", type=Path, action="append", default=[])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--min-ms", type=float, default=3.0)
    ap.add_argument("--detail", action="store_true", help="DuckDB's own plan and CPU times")
    args = ap.parse_args()
    load_packs(args.pack)  # imports and caches warm, as in a benchmark's later runs
    opened = flag_stage.connect
    runs: list[tuple[float, list[tuple]]] = []
    with tempfile.TemporaryDirectory(prefix="flag-timeline-", dir=args.state.parent) as tmp:
        copy = Path(tmp) / "copy.duckdb"
        for _ in range(args.repeat):
            log: list[tuple] = []

            def connect(*a, _log=log, **k):
                start = time.perf_counter()
                con = opened(*a, **k)
                _log.append((start, time.perf_counter(), "CONNECT", None))
                return _Timed(con, _log, args.detail)

            flag_stage.connect = connect
            shutil.copy(args.state, copy)
            os.sync()
            t0 = time.perf_counter()
            flag_stage.flag(copy, args.pack, full=args.full)
            end = time.perf_counter()
            rows, previous = [], t0
            for start, stop, sql, spent in log:
                rows.append((start - previous, stop - start, sql, spent or (0.0, 0.0)))
                previous = stop
            rows.append((end - previous, 0.0, "(close: checkpoint)", (0.0, 0.0)))
            runs.append((end - t0, rows))
            copy.unlink()
    flag_stage.connect = opened
    totals = [total for total, _ in runs]
    print(
        f"total median {statistics.median(totals) * 1000:.0f} ms (runs: "
        + ", ".join(f"{t * 1000:.0f}" for t in totals)
        + ")"
    )
    print("   gap ms  stmt ms" + ("  plan ms   cpu ms" if args.detail else "") + "  statement")
    sums = [0.0, 0.0, 0.0]
    for i in range(min(len(rows) for _, rows in runs)):
        gap = statistics.median(rows[i][0] for _, rows in runs) * 1000
        took = statistics.median(rows[i][1] for _, rows in runs) * 1000
        plan, cpu = (statistics.median(r[i][3][k] for _, r in runs) * 1000 for k in (0, 1))
        sums = [sums[0] + took, sums[1] + plan, sums[2] + cpu]
        if gap + took >= args.min_ms:
            shown = f" {plan:8.1f} {cpu:8.1f}" if args.detail else ""
            print(f"{gap:9.1f} {took:8.1f}{shown}  {runs[0][1][i][2]}")
    if args.detail:
        print(
            f"statements together: {sums[0]:.0f} ms, DuckDB plan {sums[1]:.0f}, cpu {sums[2]:.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
