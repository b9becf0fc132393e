"""Parts of a flag run measured alone: the fuzzy terms' scoring (``rules.fuzzy.hits_table``)
on the newest torrents and on all of them, and DuckDB's own fixed costs (opening a
database, a checkpoint after one small write, an ``fsync``), medians.

    .venv/bin/python bench/flag_parts_bench.py --state STATE.duckdb --pack bench-fuzzy.yaml \\
        --new 10000 [--repeat 7] [--skip-all]

STATE is a warehouse flagged once and then loaded (flag_incremental_bench.py makes one in
its temporary folder; keep a copy). The state is only read; the checkpoint is timed on
fresh copies of it in a temporary folder beside it.
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

import duckdb
import kit_path  # noqa: F401  (testkit and bench modules on sys.path)

from rules import fuzzy
from rules.ruleset import load_packs, select_rules
from warehouse.db import connect


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _hits(state: Path, packs: list[Path], new: int, repeat: int, everything: bool) -> None:
    predicates = fuzzy.collect(select_rules(load_packs(packs), []))
    con = connect(state, read_only=True)
    try:
        (total,) = con.execute("SELECT count(*) FROM torrents").fetchone()
        database = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(
            f'CREATE TEMP TABLE torrents AS SELECT * FROM "{database}".main.torrents'
            f" WHERE rowid >= {max(0, total - new)}"
        )
        took = _median_ms(lambda: fuzzy.hits_table(con, predicates), repeat)
        print(f"hits_table on the newest {min(new, total):,} torrents: {took:.1f} ms")
        con.execute("DROP TABLE temp.main.torrents")
        if everything:
            took = _median_ms(lambda: fuzzy.hits_table(con, predicates), 3)
            print(f"hits_table on all {total:,} torrents: {took / 1000:.2f} s (3 runs)")
    finally:
        con.close()


# One small write to an existing table, as a run's row is.
RUN_ROW = (
    "INSERT INTO runs (run_id, command, started_at, status)"
    " VALUES ('bench-' || random(), 'flag', now(), 'running')"
)


def _checkpoint_ms(path: Path, repeat: int, source: Path | None, write: str) -> float:
    times = []
    for _ in range(repeat):
        if source is not None:
            shutil.copy(source, path)
            os.sync()
        con = duckdb.connect(str(path))
        con.execute(write)
        start = time.perf_counter()
        con.execute("CHECKPOINT")
        times.append(time.perf_counter() - start)
        con.close()
    return statistics.median(times) * 1000


def _fixed(state: Path, repeat: int) -> None:
    print(
        f"DuckDB in-memory connect: {_median_ms(lambda: duckdb.connect().close(), repeat):.1f} ms"
    )

    def open_state() -> None:
        duckdb.connect(str(state), read_only=True).close()

    print(f"DuckDB connect to the state (read-only): {_median_ms(open_state, repeat):.1f} ms")
    with tempfile.TemporaryDirectory(prefix="flag-parts-", dir=state.parent) as tmp:
        tiny = Path(tmp) / "tiny.duckdb"
        con = duckdb.connect(str(tiny))
        con.execute("CREATE TABLE a AS SELECT range AS x FROM range(1000)")
        con.close()
        took = _checkpoint_ms(tiny, repeat, None, "INSERT INTO a VALUES (1)")
        print(f"checkpoint after one small write, tiny file: {took:.1f} ms")
        copy = Path(tmp) / "copy.duckdb"
        took = _checkpoint_ms(copy, min(repeat, 5), state, RUN_ROW)
        print(f"checkpoint after one run row, the state: {took:.1f} ms")
        probe = Path(tmp) / "fsync.bin"
        fd = os.open(probe, os.O_RDWR | os.O_CREAT)
        try:
            times = []
            for i in range(20):
                os.pwrite(fd, b"x" * 4096, i * 4096)
                start = time.perf_counter()
                os.fsync(fd)
                times.append(time.perf_counter() - start)
        finally:
            os.close(fd)
        print(f"fsync of one 4 KiB write: {statistics.median(times) * 1000:.2f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state", type=Path, required=True)
    ap.add_argument("--pack", type=Path, action="append", default=[])
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--skip-all", action="store_true", help="not the whole warehouse's hits")
    args = ap.parse_args()
    _hits(args.state, args.pack, args.new, args.repeat, not args.skip_all)
    _fixed(args.state, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
