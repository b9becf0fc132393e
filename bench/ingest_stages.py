"""Where ingest time goes: each stage timed alone, single process, on the same torrents.

    .venv/bin/python bench/ingest_stages.py --count 10000 --files 20

Prints microseconds per torrent for: reading the files, the libtorrent floor,
``parse_torrent``, building the Arrow batch (files then torrents table), and the
DuckDB load into a fresh warehouse file (the commit included). These are CPU costs
of one core; ``ingest_bench.py`` measures the whole pipeline on all cores.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import libtorrent as lt

from parsers import columnar
from parsers.inputs import discover, read_found
from parsers.records import Sighting
from parsers.torrent import parse_torrent
from torrentwatch.synth import encode, synthetic_specs
from warehouse.db import connect
from warehouse.load import load_batch


def _timed(fn, repeat: int) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "in")
        folder.mkdir()
        for i, spec in enumerate(synthetic_specs(args.count, files_per_torrent=args.files)):
            (folder / f"{i:07d}.torrent").write_bytes(encode(spec))
        found = list(discover([folder]))
        stages: dict[str, float] = {}
        stages["read files"], items = _timed(
            lambda: [read_found(f, now) for f in found], args.repeat
        )
        stages["floor: lt.torrent_info"], _ = _timed(
            lambda: [lt.torrent_info(i.data) for i in items], args.repeat
        )
        stages["parse_torrent"], metas = _timed(
            lambda: [parse_torrent(i.data, source_ref=i.source_ref) for i in items], args.repeat
        )
        parsed = [
            (m, Sighting("folder", i.source_ref, now)) for m, i in zip(metas, items, strict=False)
        ]
        stages["files table (paths normalised, exts, kinds, marks)"], files = _timed(
            lambda: columnar.files_table(metas), args.repeat
        )
        stages["torrents table (names, release tags, profile)"], _ = _timed(
            lambda: columnar.torrents_table(metas, files, parsed), args.repeat
        )
        batch = columnar.build_batch(parsed, [])
        loads = []
        for k in range(args.repeat):
            con = connect(Path(tmp, f"w{k}.duckdb"), create=True)
            start = time.perf_counter()
            load_batch(con, batch, "bench")
            loads.append(time.perf_counter() - start)
            con.close()
        stages["DuckDB load into a fresh file (with commit)"] = statistics.median(loads)
    n = args.count
    print(
        f"# ingest stages: {n} torrents of ~{args.files} files, one core, median of {args.repeat}\n"
    )
    print("| stage | µs per torrent |")
    print("|---|---:|")
    for label, seconds in stages.items():
        print(f"| {label} | {seconds / n * 1e6:.0f} |")


if __name__ == "__main__":
    main()
