"""Ingest into a large warehouse: ``--new`` benign synthetic torrents loaded into a copy
of ``--base`` by `torrentwatch ingest` (a child process, the writer's own 512 MB memory
limit), ``--repeat`` times on fresh copies. Prints each run's wall seconds and peak
resident memory, or the error it ended with.

    .venv/bin/python bench/ingest_scale_bench.py \\
        --base /work/benchdata/s10m/base_10m.duckdb --new 10000 --repeat 3

The base is bench/flag_bench.py's warehouse (``--torrents 10000000`` there). Each copy
is synced to disk before the clock starts. A copy of an older schema is migrated first,
outside the timing (one `torrentwatch sql` opening it). ``--code``: the checkout whose
`torrentwatch` runs (an older one, to compare).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kit_path  # noqa: F401  (testkit and bench modules on sys.path)

from torrentwatch.synth import encode, synthetic_specs

ROOT = Path(__file__).resolve().parent.parent


def _run(code: Path, args: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run the CLI of ``code`` with ``args``; wall seconds and the child's peak RSS in KB."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "torrentwatch", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    peak = int(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else 0
    return wall, peak, done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--code", type=Path, default=ROOT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest-scale-", dir=args.base.parent) as tmp:
        work = Path(tmp)
        inbox = work / "new"
        inbox.mkdir()
        for i, spec in enumerate(synthetic_specs(args.new, files_per_torrent=5, seed=7_000_000)):
            (inbox / f"{i:06d}.torrent").write_bytes(encode(spec))
        migrated = work / "base.duckdb"
        shutil.copy(args.base, migrated)
        count = ["sql", "SELECT count(*) FROM torrents", "--db", str(migrated), "--format", "csv"]
        wall, _, done = _run(args.code, count)
        held = int(done.stdout.split()[-1])
        print(f"opened (migrated if older) in {wall:.1f} s: {held:,} torrents")
        walls, peaks = [], []
        for _ in range(args.repeat):
            copy = work / "copy.duckdb"
            shutil.copy(migrated, copy)
            os.sync()
            wall, peak, done = _run(args.code, ["ingest", str(inbox), "--db", str(copy)])
            copy.unlink()
            if done.returncode:
                print(f"ingest failed after {wall:.1f} s: {done.stderr.strip()[-400:]}")
                return 1
            walls.append(wall)
            peaks.append(peak)
        shown = ", ".join(f"{w:.2f}" for w in walls)
        print(
            f"ingest of {args.new:,} new torrents, median of {args.repeat}:"
            f" {statistics.median(walls):.2f} s ({shown}), peak RSS"
            f" {statistics.median(peaks) / 1024:.0f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
