"""Ingest benchmark: end-to-end `ingest` against the libtorrent floor and a bencode.py baseline.

    .venv/bin/python bench/ingest_bench.py --count 50000 --files 20 --repeat 3

Generates ``count`` benign synthetic multi-file torrents into a folder, then times, in
the same run and on the same bytes:
  * floor    - libtorrent decoding each torrent (``lt.torrent_info``) and nothing else,
               bytes already in memory, one core;
  * baseline - pure-Python bencode.py decoding each torrent, one core;
  * ingest   - ``torrentwatch ingest`` end to end (read files, parse, normalise,
               profile, load DuckDB) into a fresh warehouse, all cores, in a child
               process so its peak memory (parent and workers) can be read.
Peak memory is measured at ``count`` and at ``count // 2`` (both past the point where
the pipeline is full: 2 chunks per worker in flight) to show it does not grow
with N. Medians of ``repeat`` runs are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

_CHILD = """
import json, os, resource, sys, threading, time
from torrentwatch.ingest import ingest

peak = {"workers_mb": 0.0}
done = threading.Event()

def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def descendants(root):
    parent = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parent.items() if pp == pid]
        found += kids
        frontier += kids
    return found

def sample():
    # Sum of the RSS of every descendant (forkserver and workers), at its peak.
    while not done.wait(0.05):
        total = 0.0
        for pid in descendants(os.getpid()):
            try:
                total += rss_mb(pid)
            except OSError:
                pass
        peak["workers_mb"] = max(peak["workers_mb"], total)

threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
summary = ingest([sys.argv[1]], sys.argv[2], workers=int(sys.argv[3]))
elapsed = time.perf_counter() - start
done.set()
print(json.dumps({
    "seconds": elapsed,
    "torrents": summary.torrents_new,
    "files": summary.files,
    "rejected": summary.rejected_total,
    "rss_parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_worker_mb": peak["workers_mb"],
}))
"""


def _write_range(args: tuple[str, int, int, int]) -> int:
    from torrentwatch.synth import encode, synthetic_specs

    folder, start, count, files = args
    for i, spec in enumerate(synthetic_specs(count, files_per_torrent=files, seed=start)):
        sub = Path(folder, f"{(start + i) // 1000:04d}")
        sub.mkdir(exist_ok=True)
        (sub / f"{start + i:07d}.torrent").write_bytes(encode(spec))
    return count


def generate(folder: Path, count: int, files: int) -> None:
    step = 5000
    jobs = [(str(folder), s, min(step, count - s), files) for s in range(0, count, step)]
    with ProcessPoolExecutor() as pool:
        sum(pool.map(_write_range, jobs))


def load_bytes(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.rglob("*.torrent"))]


def time_floor(blobs: list[bytes]) -> float:
    import libtorrent as lt

    start = time.perf_counter()
    for blob in blobs:
        lt.torrent_info(blob)
    return time.perf_counter() - start


def time_bencodepy(blobs: list[bytes]) -> float:
    import bencodepy

    start = time.perf_counter()
    for blob in blobs:
        bencodepy.decode(blob)
    return time.perf_counter() - start


def time_ingest(folder: Path, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp, "bench.duckdb")
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(folder), str(db), str(workers)],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="reuse/keep generated torrents here")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="tw-bench-"))
    small = folder.with_name(folder.name + "-half")
    for target, n in ((folder, args.count), (small, args.count // 2)):
        if not any(target.glob("*/*.torrent")):
            target.mkdir(parents=True, exist_ok=True)
            generate(target, n, args.files)
    blobs = load_bytes(folder)
    n = len(blobs)
    mb = sum(map(len, blobs)) / 1e6

    floor = [time_floor(blobs) for _ in range(args.repeat)]
    baseline = [time_bencodepy(blobs) for _ in range(args.repeat)]
    runs = [time_ingest(folder, args.workers) for _ in range(args.repeat)]
    small_run = time_ingest(small, args.workers)
    del blobs

    med = statistics.median
    t_floor, t_base = med(floor), med(baseline)
    t_ingest = med(r["seconds"] for r in runs)
    files = runs[0]["files"]
    print(
        f"# ingest benchmark: {n} torrents, {files} files, {mb:.0f} MB of .torrent, "
        f"{args.workers} workers, median of {args.repeat}\n"
    )
    print("| what | seconds | torrents/s | vs floor |")
    print("|---|---:|---:|---:|")
    for label, t in (
        ("floor: lt.torrent_info, 1 core", t_floor),
        ("baseline: bencode.py decode, 1 core", t_base),
        (f"torrentwatch ingest end to end, {args.workers} workers", t_ingest),
    ):
        print(f"| {label} | {t:.2f} | {n / t:,.0f} | {t_floor / t:.2f}x |")
    print()
    print(f"ingest speed / floor speed = {t_floor / t_ingest:.2f} (target >= 0.5)")
    print("| peak RSS | N | parent MB | workers MB (sum, sampled) |")
    print("|---|---:|---:|---:|")
    print(f"| full | {n} | {runs[0]['rss_parent_mb']:.0f} | {runs[0]['rss_worker_mb']:.0f} |")
    print(
        f"| half | {small_run['torrents']} | {small_run['rss_parent_mb']:.0f} | "
        f"{small_run['rss_worker_mb']:.0f} |"
    )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(small, ignore_errors=True)


if __name__ == "__main__":
    main()
