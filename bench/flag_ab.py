"""A/B of one flag run between two checkouts: this one and ``--code OLD`` (a git worktree
of an earlier commit), each run in its own process on a fresh synced copy of ``--state``,
alternating A-B / B-A round by round so a drift of the machine falls on both. With
``--state-b OTHER.duckdb`` the other side runs on that state instead (and on this
checkout unless ``--code`` is given): two warehouses of the same rows, e.g. in two
on-disk formats, under the same code.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/flag_ab.py --code /tmp/old --state STATE.duckdb \\
        --pack bench-fuzzy.yaml --rounds 6 [--full]
    .venv/bin/python bench/flag_ab.py --state STATE.duckdb --state-b OTHER.duckdb ...

STATE is a warehouse flagged once and then loaded (flag_incremental_bench.py makes one in
its temporary folder; keep a copy). Each process runs ``--per-process`` flag runs after
one untimed (imports and caches warm, as in a benchmark's later runs); the medians of
all timed runs are printed, with their ratio. Both sides must take the same path
(incremental unless ``--full``), or the script stops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# The timed side: one process, ``runs`` flag runs after an untimed one.
RUNNER = """
import json, os, shutil, sys, time
from pathlib import Path
import torrentwatch.flag as stage
state, copy, runs, full = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
packs = [Path(p) for p in sys.argv[5:]]
times = []
for i in range(runs + 1):
    shutil.copy(state, copy)
    os.sync()
    start = time.perf_counter()
    summary = stage.flag(copy, packs, full=full)
    took = time.perf_counter() - start
    if summary.mode != ("full" if full else "incremental"):
        sys.exit(f"expected a {'full' if full else 'incremental'} run, got {summary.mode}")
    if i:
        times.append(took)
    copy.unlink()
print(json.dumps(times))
"""


def _side(code: Path, state: Path, copy: Path, runs: int, full: bool, packs) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(code)}
    args = [sys.executable, "-c", RUNNER, str(state), str(copy), str(runs), "1" if full else "0"]
    done = subprocess.run(
        [*args, *map(str, packs)], cwd=code, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"{code}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, help="the other checkout (B)")
    ap.add_argument("--state", type=Path, required=True)
    ap.add_argument("--state-b", type=Path, help="the other side's state (default --state)")
    ap.add_argument("--pack", type=Path, action="append", default=[])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--per-process", type=int, default=3)
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    if args.code is None and args.state_b is None:
        ap.error("give --code, --state-b or both: the two sides would be the same")
    other_code = args.code.resolve() if args.code else HERE
    sides = {"this": (HERE, args.state), "other": (other_code, args.state_b or args.state)}
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="flag-ab-", dir=args.state.parent) as tmp:
        copy = Path(tmp) / "copy.duckdb"
        for round_no in range(args.rounds):
            order = list(sides) if round_no % 2 == 0 else list(sides)[::-1]
            for name in order:
                code, state = sides[name]
                times[name] += _side(code, state, copy, args.per_process, args.full, args.pack)
    this, other = (statistics.median(times[n]) for n in ("this", "other"))
    label = {n: f"{code} on {state.name}" for n, (code, state) in sides.items()}
    print(f"A {label['this']}  {this * 1000:7.1f} ms  ({len(times['this'])} runs)")
    print(f"B {label['other']}  {other * 1000:7.1f} ms  ({len(times['other'])} runs)")
    print(f"ratio A/B {this / other:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
