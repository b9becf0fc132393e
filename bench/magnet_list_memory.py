"""Peak memory of ingesting one long magnet list: flat in the list's length?

    .venv/bin/python bench/magnet_list_memory.py --lines 1000000 100000 --workers 2
    .venv/bin/python bench/magnet_list_memory.py --lines 1000000 100000 --monitor

Writes a list of ``lines`` benign magnet links (made-up hashes, no names: 61 bytes a
line, so a million lines stay under the 64 MiB that ingest read whole before it
streamed lists), then runs ``ingest`` on it in a child process and prints the
child's peak RSS (the writer, ``ru_maxrss``) and the peak of its workers' RSS summed
(sampled from /proc every 50 ms), the time, and what was loaded, as a Markdown table.
``--code`` runs another checkout of the project (e.g. an exported older commit) to
compare before and after. ``--monitor`` measures the monitor's loader instead: the list
is landed (as the folder kind lands a large file) and ``torrentwatch.monitor_load.load_landing``
loads it; the writer is the only process, so the workers' column is 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, os, resource, sys, threading, time
from torrentwatch.ingest import ingest

peak = {"mb": 0.0}
done = threading.Event()

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def children():
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        kids.append(int(name))
            except OSError:
                pass
    return kids

def sample():
    while not done.wait(0.05):
        total = 0.0
        for pid in children():
            try:
                total += rss_mb(pid)
            except OSError:
                pass
        peak["mb"] = max(peak["mb"], total)

threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
summary = ingest([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]))
elapsed = time.perf_counter() - start
done.set()
print(json.dumps({
    "seconds": elapsed,
    "torrents": summary.torrents_new,
    "rejected": summary.rejected_total,
    "rss_writer_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_workers_mb": peak["mb"],
}))
"""

_MONITOR_CHILD = """
import json, resource, sys, time
from datetime import UTC, datetime
from monitors.base import Gathered
from monitors.landing import LandingZone
from torrentwatch.monitor_load import load_landing

zone = LandingZone.local(sys.argv[2] + ".landing")
path = sys.argv[1]
zone.land(Gathered("magnet", "bench", path, b"", datetime.now(UTC), payload_file=path))
start = time.perf_counter()
summary = load_landing(zone, sys.argv[2])
elapsed = time.perf_counter() - start
print(json.dumps({
    "seconds": elapsed,
    "torrents": summary.torrents_new,
    "rejected": summary.rejected_total,
    "rss_writer_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_workers_mb": 0.0,
}))
"""


def write_list(path: Path, lines: int) -> int:
    """``lines`` magnet links, written in blocks; returns the file's size."""
    with open(path, "wb") as out:
        block = []
        for i in range(lines):
            infohash = hashlib.sha1(i.to_bytes(8, "big")).hexdigest()
            block.append(f"magnet:?xt=urn:btih:{infohash}\n")
            if len(block) == 100_000:
                out.write("".join(block).encode())
                block = []
        out.write("".join(block).encode())
    return path.stat().st_size


def measure(
    lines: int, workers: int, code: Path, scratch: Path, *, monitor: bool = False
) -> dict[str, object]:
    listing = scratch / f"links-{lines}.magnet"
    size = write_list(listing, lines)
    db = scratch / f"w-{lines}.duckdb"
    env = {**os.environ, "PYTHONPATH": str(code)}
    if monitor:
        command = [sys.executable, "-c", _MONITOR_CHILD, str(listing), str(db)]
    else:
        command = [sys.executable, "-c", _CHILD, str(listing), str(db), str(workers)]
    # From the scratch folder: ``-c`` puts the working folder first on sys.path, which
    # would shadow ``--code`` when run from a checkout.
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, cwd=scratch
    )
    if result.returncode != 0:
        return {"lines": lines, "bytes": size, "error": result.stderr.strip().splitlines()[-1]}
    return {"lines": lines, "bytes": size, **json.loads(result.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument(
        "--monitor", action="store_true", help="the monitor's loader on the landed list"
    )
    args = parser.parse_args()
    print("| lines | MB | seconds | loaded | rejected | writer peak MB | workers peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for lines in args.lines:
            row = measure(lines, args.workers, args.code, Path(scratch), monitor=args.monitor)
            if "error" in row:
                print(f"| {lines} | {row['bytes'] / 1e6:.0f} | error: {row['error']} |")
                continue
            print(
                f"| {lines} | {row['bytes'] / 1e6:.0f} | {row['seconds']:.1f} | "
                f"{row['torrents']} | {row['rejected']} | {row['rss_writer_mb']:.0f} | "
                f"{row['rss_workers_mb']:.0f} |"
            )


if __name__ == "__main__":
    main()
