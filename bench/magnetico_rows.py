"""What storing the warehouse's rows costs, against the magnetico floor.

The magnetico target compares an import with DuckDB reading the export into one table
(``read_json``). The warehouse keeps more: one ``torrents`` row per record and one
``files`` row per file with the path, its normalised form, extension chain, kind and
marks. This benchmark prepares one block of records exactly as the importer does
(parse, check, normalise, in this process), then times, each in a fresh DuckDB file:

  floor          CREATE TABLE ... AS SELECT * FROM read_json(export)
  files rows     the warehouse's INSERT of the prepared ``files`` rows alone, in a
                 fresh warehouse, as ``warehouse.load`` runs it
  whole load     ``warehouse.load.load_batch`` of the block: torrents, files,
                 observations, commit
  per column     a plain table of one prepared column, inserted alone

    .venv/bin/python bench/magnetico_rows.py --records 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import kit_path  # noqa: F401  (the repository root on sys.path, for testkit/)
import pyarrow as pa
from magnetico_bench import time_floor

import parsers.magnetico as records
import torrentwatch.import_magnetico as stage
from parsers.columnar import ParsedBatch
from testkit.magnetico_exports import write_synthetic_export
from warehouse.db import WRITER_MEMORY, connect
from warehouse.load import INSERT_ALL_FILES_SQL, load_batch


def prepared_batch(export: Path) -> ParsedBatch:
    """The export's first block as the four tables the importer loads."""
    origin = records.Origin("bench", str(export), datetime.now(UTC))
    con = duckdb.connect(config={"threads": 1})
    blocks = records.jsonl_blocks(export, compressed=False)
    block = next(iter(blocks))
    batch = records.prepare_block(block, origin, con).batch
    return replace(
        batch, torrents=stage._rechunked(batch.torrents), files=stage._rechunked(batch.files)
    )


def _fresh_warehouse(work: Path):
    target = work / "rows.duckdb"
    target.unlink(missing_ok=True)
    Path(f"{target}.wal").unlink(missing_ok=True)
    return connect(target, create=True, memory_limit=WRITER_MEMORY)


def time_files_rows(batch: ParsedBatch, work: Path) -> float:
    con = _fresh_warehouse(work)
    con.register("batch_files", batch.files)
    con.execute("SET preserve_insertion_order = false")
    start = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute(INSERT_ALL_FILES_SQL)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def time_whole_load(batch: ParsedBatch, work: Path) -> float:
    con = _fresh_warehouse(work)
    start = time.perf_counter()
    load_batch(con, batch, "bench")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def time_column(column: pa.Table, work: Path) -> float:
    target = work / "column.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("SET preserve_insertion_order = false")
    con.register("prepared", column)
    con.execute("CREATE TABLE t AS SELECT * FROM prepared LIMIT 0")
    start = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO t SELECT * FROM prepared")
    con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    export = args.data / f"magnetico-bench-{args.records}.jsonl"
    if not export.exists():
        write_synthetic_export(export, args.records)
    batch = prepared_batch(export)
    files = batch.files
    med = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floor = med(time_floor(export, work) for _ in range(args.repeats))
        rows = {
            "INSERT of the prepared files rows (warehouse table)": med(
                time_files_rows(batch, work) for _ in range(args.repeats)
            ),
            "whole load of the block (`load_batch`, commit included)": med(
                time_whole_load(batch, work) for _ in range(args.repeats)
            ),
        }
        columns = {
            name: med(time_column(files.select([name]), work) for _ in range(args.repeats))
            for name in files.column_names
        }
    print(
        f"# {args.records} records ({batch.torrents.num_rows} torrents, {files.num_rows} "
        f"files rows in the first block), median of {args.repeats}\n"
    )
    print("| what | seconds | vs floor |\n|---|---:|---:|")
    print(f"| floor: `read_json` of the whole export into a table | {floor:.2f} | 1.0x |")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} | {seconds / floor:.1f}x |")
    print("\n| column alone, plain table | seconds |\n|---|---:|")
    for name, seconds in sorted(columns.items(), key=lambda item: -item[1]):
        print(f"| `{name}` | {seconds:.2f} |")


if __name__ == "__main__":
    main()
