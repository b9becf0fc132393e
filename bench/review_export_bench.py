"""Review and export benchmark: the queue, a bulk decision and exports at scale.

    .venv/bin/python bench/review_export_bench.py --copies 2000 --repeat 3

Builds the demo warehouse (``torrentwatch.demo.demo``: benign synthetic torrents, flagged
by the shipped packs) and multiplies it set-wise in SQL: every torrent with its files,
sightings and flags is copied ``--copies`` times under new infohashes (SHA-1 of the copy
number and the original hash), so the queue holds ``copies x flagged demo torrents``
torrents with the demo's real evidence. On fresh copies of that warehouse it times, each
``--repeat`` times (medians):

  * queue   - ``review_queue`` (the `review queue` view, ordered);
  * bulk    - ``review_bulk`` confirming every queued torrent in one transaction;
  * decide  - the baseline: ``review_decide`` one torrent at a time (what an analyst
              script without bulk would do), on ``--sample`` torrents, extrapolated;
  * export  - ``export`` of everything confirmed as csv, jsonl and parquet (a new
              target each), then ``export_verify`` of each manifest.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from torrentwatch.demo import demo
from torrentwatch.export import export, export_verify
from torrentwatch.review import review_bulk, review_decide, review_queue

KEY = "sha1(c.i::VARCHAR || ':' || {col})"


def _copy_sql(table: str, columns: list[str], keyed: list[str]) -> str:
    shown = ", ".join(
        KEY.format(col=f"x.{c}") + f" AS {c}" if c in keyed else f"x.{c}" for c in columns
    )
    return f"INSERT INTO {table} SELECT {shown} FROM {table} x, copies c"


def build(path: Path, copies: int) -> int:
    demo(path, workers=1)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TEMP TABLE copies AS SELECT range AS i FROM range(1, $n)", {"n": copies}
        )
        con.execute("CREATE TEMP TABLE base_torrents AS SELECT infohash FROM torrents")
        for table, keyed in (
            ("torrents", ["infohash", "infohash_v1"]),
            ("files", ["infohash"]),
            ("observations", ["infohash"]),
            ("flags", ["infohash"]),
        ):
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
                    "ORDER BY ordinal_position",
                    {"t": table},
                ).fetchall()
            ]
            con.execute(_copy_sql(table, columns, keyed))
        return con.execute("SELECT count(*) FROM flagged_torrents").fetchone()[0]
    finally:
        con.close()


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_once(template: Path, work: Path, sample: int) -> dict[str, float]:
    db = work / "run.duckdb"
    shutil.copy(template, db)
    out: dict[str, float] = {}
    out["queue"], table = _timed(lambda: review_queue(db))
    queued = table.column("infohash").to_pylist()
    base = work / "base.duckdb"
    shutil.copy(template, base)
    t, _ = _timed(
        lambda: [
            review_decide(base, ih, decision="confirm", rationale="disguised-payload", analyst="b")
            for ih in queued[:sample]
        ]
    )
    out["decide_each"] = t / sample * len(queued)
    out["bulk"], result = _timed(
        lambda: review_bulk(
            db,
            "SELECT infohash FROM review_queue",
            decision="confirm",
            rationale="disguised-payload",
            analyst="a",
            yes=True,
        )
    )
    assert result.decided == len(queued)
    for fmt in ("csv", "jsonl", "parquet"):
        out[f"export_{fmt}"], done = _timed(
            lambda fmt=fmt: export(db, target=f"t-{fmt}", fmt=fmt, out_dir=work / "out")
        )
        assert done.items == len(queued)
        out[f"verify_{fmt}"], report = _timed(lambda done=done: export_verify(done.manifest))
        assert report.ok
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = work / "template.duckdb"
        _, flagged = _timed(lambda: build(template, args.copies))
        runs = [run_once(template, work, args.sample) for _ in range(args.repeat)]
        print(f"{flagged} flagged torrents in the queue; medians of {args.repeat} runs")
        for key in runs[0]:
            median = statistics.median(r[key] for r in runs)
            print(f"  {key:<14} {median:8.2f} s  ({flagged / median:,.0f} torrents/s)")
        ratio = statistics.median(r["decide_each"] for r in runs) / statistics.median(
            r["bulk"] for r in runs
        )
        print(f"  bulk is {ratio:,.0f}x faster than one review_decide per torrent")


if __name__ == "__main__":
    main()
