"""Incremental flag benchmark: after 10,000 new torrents on a warehouse of 1,000,000,
`flag` (evaluating what changed) against `flag --full`, on copies of the same state.

    .venv/bin/python bench/flag_incremental_bench.py \\
        --base /work/benchdata/s16/base_1m.duckdb --new 10000 --repeat 3

The base warehouse is bench/flag_bench.py's (built there with ``--torrents 1000000``;
made here when missing). Once per run: a copy of it is flagged in full (the baseline,
with the shipped packs and flag_bench's 1,000-term fuzzy pack), then ``--new`` benign
synthetic torrents (5 files each, names unlike the base's) are ingested into it. Then,
alternating, ``--repeat`` times each on a fresh copy of that state (synced to disk
before the clock starts): ``flag`` (it finds
the rules unchanged and evaluates the changed torrents) and ``flag --full``. The flags
of both must be equal (rule, torrent, version, level, score, evidence, active); the
script exits 1 if not. Medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import kit_path  # noqa: F401  (testkit and bench modules on sys.path)
from flag_bench import build_warehouse, write_extra_pack

from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.synth import encode, synthetic_specs
from warehouse.db import connect

CONTENT = (
    "SELECT infohash, rule_id, rule_version, level, score, evidence::VARCHAR, active"
    " FROM flags ORDER BY ALL"
)


def _content(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(CONTENT).fetchall()
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=Path("/work/benchdata/lake/bench_1000000.duckdb"))
    ap.add_argument("--torrents", type=int, default=1_000_000, help="base size, when built")
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not args.base.exists():
        args.base.parent.mkdir(parents=True, exist_ok=True)
        build_warehouse(args.base, args.torrents)
    with tempfile.TemporaryDirectory(prefix="flag-incr-", dir=args.base.parent) as tmp:
        work = Path(tmp)
        packs = [write_extra_pack(work)]
        state = work / "state.duckdb"
        shutil.copy(args.base, state)
        t0 = time.perf_counter()
        baseline = flag(state, packs, full=True)
        print(f"baseline full flag: {time.perf_counter() - t0:.1f} s, {baseline.active:,} active")
        inbox = work / "new"
        inbox.mkdir()
        for i, spec in enumerate(synthetic_specs(args.new, files_per_torrent=5, seed=5_000_000)):
            (inbox / f"{i:06d}.torrent").write_bytes(encode(spec))
        t0 = time.perf_counter()
        added = ingest([inbox], state)
        print(f"ingest of {added.torrents_new:,} new torrents: {time.perf_counter() - t0:.1f} s")
        times: dict[str, list[float]] = {"incremental": [], "full": []}
        results: dict[str, list[tuple]] = {}
        for _ in range(args.repeat):
            for mode in ("incremental", "full"):
                copy = work / f"{mode}.duckdb"
                shutil.copy(state, copy)
                # The copy's dirty pages written back before the clock starts: otherwise
                # the kernel's writeback of 0.8 GB competes with the run timed (0.25 s
                # of an incremental run's 1.0 s was that).
                os.sync()
                t0 = time.perf_counter()
                summary = flag(copy, packs, full=mode == "full")
                times[mode].append(time.perf_counter() - t0)
                if summary.mode != mode:
                    print(f"expected a {mode} run, got {summary.mode} ({summary.reason})")
                    return 1
                if mode == "incremental":
                    evaluated = summary.evaluated
                results[mode] = _content(copy)
                copy.unlink()
        if results["incremental"] != results["full"]:
            print("FLAGS DIFFER between the incremental and the full run")
            return 1
        incremental, full = (statistics.median(times[m]) for m in ("incremental", "full"))
        shown = {m: ", ".join(f"{t:.2f}" for t in times[m]) for m in times}
        print(
            f"flag after {args.new:,} new torrents on {args.torrents:,}"
            f" ({evaluated:,} evaluated), medians of {args.repeat}:\n"
            f"  incremental {incremental:6.2f} s  ({shown['incremental']})\n"
            f"  full        {full:6.2f} s  ({shown['full']})\n"
            f"  ratio {incremental / full:.3f} (1/{full / incremental:.0f}); flags equal:"
            f" {len(results['full']):,} rows"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
