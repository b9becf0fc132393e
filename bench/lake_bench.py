"""Lake benchmark: the same work on a DuckDB file and on a DuckLake warehouse whose
catalog is a real PostgreSQL 15 (started here on 127.0.0.1, data in a temp folder).

    .venv/bin/python bench/lake_bench.py --torrents 20000 --records 50000 --repeat 3 \\
        --query-db /work/benchdata/lake/bench_1000000.duckdb --query-torrents 1000000

In one run, alternating file and lake so that both meet the same machine noise:
  * ingest   - ``torrentwatch ingest`` of ``--torrents`` synthetic .torrent files into a
               fresh warehouse: CPU-seconds per 1,000 torrents (the loader process and
               its parse workers; on the lake also the PostgreSQL server's CPU);
  * magnetico- ``torrentwatch import magnetico`` of a synthetic ``--records`` export;
  * loaders  - a landing zone of ``--torrents`` items loaded into a fresh lake by one
               loader (``load --part 1/1``) and by two at once (``1/2`` and ``2/2``):
               wall time, and the catalog's share of the CPU;
  * queries  - the demo's three example queries and a whole-table aggregate, run as
               analysts run them (the guarded runner, open included) on a warehouse of
               ``--query-torrents`` torrents (built once with bench/flag_bench.py's
               builder, flagged, then copied into a lake).
Medians of ``--repeat`` runs; each loaded warehouse is checked to hold every torrent once.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import kit_path  # noqa: F401  (testkit on sys.path)

from testkit.magnetico_exports import write_synthetic_export
from testkit.pg_server import PgServer, running_postgres
from torrentwatch.demo import EXAMPLE_QUERIES
from torrentwatch.synth import encode, synthetic_specs
from warehouse.db import connect
from warehouse.guarded import run_guarded
from warehouse.lake import copy_into_lake

AGGREGATE = (
    "SELECT claimed_category, dominant_kind, count(*) AS torrents, sum(total_size) AS bytes,"
    " avg(file_count) AS files FROM torrents GROUP BY ALL ORDER BY torrents DESC"
)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "torrentwatch", *args]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(server: PgServer) -> float:
    """CPU-seconds the PostgreSQL server has used so far (from /proc): the postmaster's
    own and its reaped children's (each client's backend exits with its connection), and
    the children still running."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
                stats[int(entry.name)] = (cmd, (entry / "stat").read_text().rsplit(")", 1)[1])
            except OSError:
                continue
    folder = str(server.folder).encode()
    masters = [pid for pid, (cmd, _) in stats.items() if b"bin/postgres" in cmd and folder in cmd]
    total = 0
    for pid, (_, stat) in stats.items():
        fields = stat.split()
        if pid in masters:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) in masters:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _timed(command: list[str], server: PgServer) -> tuple[float, float, float]:
    """Run ``command``: (wall s, its CPU s incl. children, the catalog server's CPU s)."""
    cpu0, pg0, t0 = _children_cpu(), _server_cpu(server), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{' '.join(command[2:5])} failed: {done.stderr[-2000:]}")
    return wall, _children_cpu() - cpu0, _server_cpu(server) - pg0


class Lakes:
    """A fresh lake (its own catalog database and data folder) per call."""

    def __init__(self, server: PgServer, work: Path) -> None:
        self.server, self.work, self.made = server, work, 0

    def new(self) -> str:
        self.made += 1
        return self.server.new_lake(f"bench_{self.made}", self.work)


def _count(db: str | Path, expected: int) -> None:
    con = connect(db, read_only=True)
    try:
        rows, distinct = con.execute(
            "SELECT count(*), count(DISTINCT infohash) FROM torrents"
        ).fetchone()
    finally:
        con.close()
    if rows != distinct or rows != expected:
        raise SystemExit(f"{db}: {rows} torrent rows, {distinct} distinct, {expected} expected")


def _alternate(
    repeat: int, runs: dict[str, Callable[[], tuple[float, float, float]]]
) -> dict[str, list[tuple[float, float, float]]]:
    out: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            out[name].append(run())
    return out


def _median(values: list[tuple[float, float, float]], index: int) -> float:
    return statistics.median(v[index] for v in values)


def bench_loads(args, server: PgServer, lakes: Lakes, work: Path) -> None:
    folder = work / "torrents"
    folder.mkdir()
    for i, spec in enumerate(synthetic_specs(args.torrents, files_per_torrent=5)):
        (folder / f"{i:06d}.torrent").write_bytes(encode(spec))
    export = work / "export.jsonl"
    write_synthetic_export(export, args.records)
    files = iter(range(10**6))

    def ingest(target_of: Callable[[], str]) -> Callable[[], tuple[float, float, float]]:
        def run():
            target = target_of()
            got = _timed(_cli("ingest", "--db", target, str(folder)), server)
            _count(target, args.torrents)
            return got

        return run

    def magnetico(target_of: Callable[[], str]) -> Callable[[], tuple[float, float, float]]:
        def run():
            return _timed(_cli("import", "magnetico", "--db", target_of(), str(export)), server)

        return run

    def file_target() -> str:
        return str(work / f"file_{next(files)}.duckdb")

    print(f"ingest of {args.torrents:,} torrents (5 files each), medians of {args.repeat}:")
    got = _alternate(args.repeat, {"file": ingest(file_target), "lake": ingest(lakes.new)})
    _report(got, args.torrents)
    print(f"magnetico import of {args.records:,} records, medians of {args.repeat}:")
    got = _alternate(args.repeat, {"file": magnetico(file_target), "lake": magnetico(lakes.new)})
    _report(got, args.records)


def _report(got: dict[str, list[tuple[float, float, float]]], count: int) -> None:
    for name, values in got.items():
        wall, cpu, pg = (_median(values, i) for i in range(3))
        print(
            f"  {name:5} wall {wall:7.2f} s  CPU {1000 * cpu / count:6.3f} s/1k"
            f"  catalog CPU {1000 * pg / count:6.3f} s/1k  (total {1000 * (cpu + pg) / count:.3f})"
        )
    file_cpu = _median(got["file"], 1) + _median(got["file"], 2)
    lake_cpu = _median(got["lake"], 1) + _median(got["lake"], 2)
    print(f"  lake/file CPU ratio {lake_cpu / file_cpu:.2f}")


def bench_loaders(args, server: PgServer, lakes: Lakes, work: Path) -> None:
    inbox = work / "inbox"
    inbox.mkdir()
    for i, spec in enumerate(synthetic_specs(args.torrents, files_per_torrent=5, seed=7)):
        (inbox / f"{i:06d}.torrent").write_bytes(encode(spec))
    sources = work / "sources.yaml"
    sources.write_text(
        f"landing: {work / 'landing'}\nsources:\n"
        f"  - {{name: inbox, kind: folder, settings: {{path: {inbox}}}}}\n",
        encoding="utf-8",
    )
    from torrentwatch.monitor import gather_source

    gather_source(sources, "inbox")

    copies = iter(range(10**6))

    def fresh_zone() -> Path:
        """A copy of the gathered landing zone without load journals (a load marks the
        zone's items loaded, so each timed load needs its own)."""
        n = next(copies)
        shutil.copytree(work / "landing", work / f"landing-{n}", ignore=_journals)
        config = work / f"sources-{n}.yaml"
        config.write_text(
            sources.read_text(encoding="utf-8").replace(
                f"landing: {work / 'landing'}", f"landing: {work / f'landing-{n}'}"
            ),
            encoding="utf-8",
        )
        return config

    def loaders(count: int) -> Callable[[], tuple[float, float, float]]:
        def run():
            target = lakes.new()
            connect(target, create=True).close()
            config = fresh_zone()
            cpu0, pg0, t0 = _children_cpu(), _server_cpu(server), time.perf_counter()
            procs = [
                subprocess.Popen(
                    [
                        *_cli("load", "--config", str(config), "--db", target),
                        "--part",
                        f"{k}/{count}",
                        "--batch",
                        "2000",
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for k in range(1, count + 1)
            ]
            for proc in procs:
                _, err = proc.communicate()
                if proc.returncode:
                    raise SystemExit(f"load failed: {err[-2000:]}")
            wall = time.perf_counter() - t0
            got = (wall, _children_cpu() - cpu0, _server_cpu(server) - pg0)
            _count(target, args.torrents)
            return got

        return run

    print(f"landing zone of {args.torrents:,} items into a lake, medians of {args.repeat}:")
    got = _alternate(args.repeat, {"1 loader": loaders(1), "2 loaders": loaders(2)})
    for name, values in got.items():
        wall, cpu, pg = (_median(values, i) for i in range(3))
        print(
            f"  {name:9} wall {wall:7.2f} s  loaders' CPU {cpu:6.2f} s  catalog CPU {pg:5.2f} s"
            f"  ({args.torrents / wall:,.0f} torrents/s)"
        )
    one, two = _median(got["1 loader"], 0), _median(got["2 loaders"], 0)
    print(f"  speed-up with 2 loaders {one / two:.2f}x (machine: {os.cpu_count()} cores)")


def _journals(folder: str, names: list[str]) -> list[str]:
    return ["loaded"] if Path(folder).name.startswith("landing") else []


def bench_queries(args, lakes: Lakes) -> None:
    db = Path(args.query_db)
    if not db.exists():
        sys.path.insert(0, str(Path(__file__).parent))
        from flag_bench import build_warehouse

        from torrentwatch.flag import flag

        db.parent.mkdir(parents=True, exist_ok=True)
        build_warehouse(db, args.query_torrents)
        flag(db)
    lake = lakes.new()
    started = time.perf_counter()
    _copy_into_lake(db, lake)
    print(f"queries on {args.query_torrents:,} torrents (copied into the lake in "
          f"{time.perf_counter() - started:.0f} s), guarded runner incl. open, medians of "
          f"{args.repeat}:")  # fmt: skip
    queries = {**{title[:48]: q for title, q in EXAMPLE_QUERIES.items()}, "aggregate": AGGREGATE}
    for title, query in queries.items():
        times: dict[str, list[float]] = {"file": [], "lake": []}
        rows = {}
        for _ in range(args.repeat):
            for name, target in (("file", str(db)), ("lake", lake)):
                t0 = time.perf_counter()
                table = run_guarded(target, query)
                times[name].append(time.perf_counter() - t0)
                rows[name] = table.num_rows
        if rows["file"] != rows["lake"]:
            raise SystemExit(
                f"{title}: {rows['file']} rows on the file, {rows['lake']} on the lake"
            )
        file_t, lake_t = (statistics.median(times[n]) for n in ("file", "lake"))
        print(
            f"  {title:48} file {file_t:6.3f} s  lake {lake_t:6.3f} s  "
            f"ratio {lake_t / file_t:5.2f}  ({rows['file']:,} rows)"
        )


def _copy_into_lake(db: Path, lake: str) -> None:
    """The file's tables into a new lake (``warehouse.lake.copy_into_lake``), the file
    first brought to this code's schema."""
    connect(db).close()
    con = connect(lake, create=True)
    try:
        copy_into_lake(str(db), con)
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--torrents", type=int, default=20_000)
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--query-db", default="/work/benchdata/lake/bench_1000000.duckdb")
    ap.add_argument("--query-torrents", type=int, default=1_000_000)
    ap.add_argument("--skip", action="append", default=[], help="loads, loaders or queries")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lake-bench-") as tmp, running_postgres() as pg:
        work = Path(tmp)
        work.chmod(0o777)
        lakes = Lakes(pg, work)
        if "loads" not in args.skip:
            bench_loads(args, pg, lakes, work)
        if "loaders" not in args.skip:
            bench_loaders(args, pg, lakes, work)
        if "queries" not in args.skip:
            bench_queries(args, lakes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
