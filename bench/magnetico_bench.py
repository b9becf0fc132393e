"""magnetico import against its floor: DuckDB's read_json of the same JSON lines.

Generates N benign records (1-20 files each: game, Linux-image and photo-album
names; with ``--varied`` nearly all names distinct and most in Cyrillic, CJK or Greek
script, as in a real crawl) once, then, in the same run and alternating, times

  floor   CREATE TABLE ... AS SELECT * FROM read_json(export) into a fresh DuckDB file
  import  torrentwatch.import_magnetico.import_magnetico(export, fresh DuckDB file)

and prints the median of each over the repeats and their ratio. ``--stages`` also
splits the import's time into its parts (reading lines, DuckDB parse and checks,
column-wise normalisation, the load into the warehouse).

    .venv/bin/python bench/magnetico_bench.py --records 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import kit_path  # noqa: F401  (the repository root on sys.path, for testkit/)

import parsers.magnetico as records
import torrentwatch.import_magnetico as stage
from testkit.magnetico_exports import write_synthetic_export

FLOOR_SQL = """
CREATE TABLE floor AS SELECT * FROM read_json(
    ?, format = 'newline_delimited',
    columns = {infoHash: 'VARCHAR', name: 'VARCHAR',
               files: 'STRUCT(size BIGINT, path VARCHAR)[]'})
"""


def time_floor(export: Path, work: Path) -> float:
    target = work / "floor.duckdb"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    con = duckdb.connect(str(target))
    con.execute(FLOOR_SQL, [str(export)])
    con.close()
    return time.perf_counter() - start


def time_import(export: Path, work: Path, workers: int | None = None) -> tuple[float, int]:
    target = work / "import.duckdb"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    counts = stage.import_magnetico(export, target, workers=workers)
    return time.perf_counter() - start, counts.files


def _timed(stages: dict[str, float], name: str, func):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            stages[name] += time.perf_counter() - start

    return wrapper


def stage_times(export: Path, work: Path) -> dict[str, float]:
    """One import, all in this process (workers=1), with its parts timed: reading
    lines, DuckDB's parse and checks, normalisation (``parsers.magnetico``) and the
    load (the stage's ``load_batch``)."""
    stages: dict[str, float] = defaultdict(float)
    patched = [(records, name) for name in ("split_lines", "check_block", "prepare")]
    patched.append((stage, "load_batch"))
    originals = [(module, name, getattr(module, name)) for module, name in patched]
    for module, name, func in originals:
        setattr(module, name, _timed(stages, name, func))
    try:
        total, _ = time_import(export, work, workers=1)
    finally:
        for module, name, func in originals:
            setattr(module, name, func)
    stages["total"] = total
    return dict(stages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--stages", action="store_true", help="also time the import's parts")
    parser.add_argument(
        "--varied",
        action="store_true",
        help="names nearly all distinct, most in Cyrillic, CJK or Greek (as real crawls are)",
    )
    args = parser.parse_args()
    kind = "-varied" if args.varied else ""
    export = args.data / f"magnetico-bench-{args.records}{kind}.jsonl"
    if not export.exists():
        start = time.perf_counter()
        write_synthetic_export(export, args.records, varied=args.varied)
        print(f"generated {export} in {time.perf_counter() - start:.1f} s")
    size_mb = export.stat().st_size / 1e6
    floors, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = 0
        for _ in range(args.repeats):
            floors.append(time_floor(export, work))
            seconds, files = time_import(export, work)
            imports.append(seconds)
            print(f"  floor {floors[-1]:.2f} s   import {imports[-1]:.2f} s")
        floor, full = statistics.median(floors), statistics.median(imports)
        print(
            f"{args.records} records, {files} files, {size_mb:.0f} MB: "
            f"floor (read_json) {floor:.2f} s, import {full:.2f} s, "
            f"ratio {full / floor:.1f}x (target 3x), {args.records / full:,.0f} records/s"
        )
        if args.stages:
            for name, seconds in stage_times(export, work).items():
                print(f"  stage {name:12s} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
