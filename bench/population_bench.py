"""What ``rare_for_claim`` costs a flag run, and whether it flags what it should.

    .venv/bin/python bench/population_bench.py --torrents 300000 --repeat 3 --db bench.duckdb

Uses the synthetic warehouse of ``bench/flag_bench.py`` (built once into ``--db``, or
reused) and its rules (the shipped packs plus the fuzzy pack), and times
``torrentwatch.flag.flag`` on a fresh copy each repeat: without, then with one more
rule, ``rare_for_claim: {content_at_least: 0.9, at_most: 0.01, min_support: 500}``.
The torrents that rule flags must EQUAL a plain Python count over every torrent's
(claim, dominant kind, dominant share), each torrent left out of its own population;
the script exits 1 if not. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import flag_bench

from parsers.extensions import KINDS
from torrentwatch.flag import flag
from warehouse.db import connect

CONTENT, AT_MOST, SUPPORT = 0.9, 0.01, 500
RULE_ID = "bench.rare-for-claim"
PACK = f"""\
rules:
  - id: {RULE_ID}
    version: 1
    title: Content rare for the claimed category
    description: Benchmark rule.
    level: medium
    when:
      rare_for_claim: {{content_at_least: {CONTENT}, at_most: {AT_MOST}, min_support: {SUPPORT}}}
    tests:
      pass: [{{name: "Garden.Birds.Field.Guide.EPUB", files: [["guide.epub", 4MB]]}}]
"""


def expected(db: Path) -> set[str]:
    """The torrents the rule should flag, counted in Python from the rows."""
    shares = ", ".join(f"share_bytes_{k}" for k in KINDS)
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            f"SELECT infohash, claimed_category, dominant_kind, greatest({shares})"
            " FROM torrents WHERE claimed_category IS NOT NULL AND dominant_kind IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    claimed: dict[str, int] = {}
    mostly: dict[tuple[str, str], int] = {}
    for _, claim, kind, share in rows:
        claimed[claim] = claimed.get(claim, 0) + 1
        if share >= CONTENT:
            mostly[claim, kind] = mostly.get((claim, kind), 0) + 1
    out = set()
    for infohash, claim, kind, share in rows:
        if share < CONTENT:
            continue
        others, same = claimed[claim] - 1, mostly[claim, kind] - 1
        if others >= SUPPORT and Fraction(same, others) <= Fraction(repr(AT_MOST)):
            out.add(infohash)
    return out


def _flagged(db: Path) -> set[str]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT infohash FROM flags WHERE active AND rule_id = $rule", {"rule": RULE_ID}
        ).fetchall()
    finally:
        con.close()
    return {h for (h,) in rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torrents", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--db", type=Path, default=None, help="warehouse to build or reuse")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="population_bench_"))
    db = args.db or (work / f"bench_{args.torrents}.duckdb")
    if not db.exists():
        flag_bench.build_warehouse(db, args.torrents)
    pack = flag_bench.write_extra_pack(work / "bench-pack")
    rare = work / "rare.yaml"
    rare.write_text(PACK, "utf-8")
    times: dict[str, list[float]] = {"without": [], "with": []}
    copy = work / "flag_copy.duckdb"
    flagged: set[str] = set()
    for _ in range(args.repeat):
        for label, paths in (("without", [pack]), ("with", [pack, rare])):
            shutil.copy(db, copy)
            t0 = time.perf_counter()
            flag(copy, paths)
            times[label].append(time.perf_counter() - t0)
            print(f"  flag {label}: {times[label][-1]:.2f} s", file=sys.stderr)
            if label == "with":
                flagged = _flagged(copy)
    want = expected(db)
    medians = {k: statistics.median(x) for k, x in times.items()}
    report = {
        "torrents": args.torrents,
        "flag_s_median_without": round(medians["without"], 2),
        "flag_s_median_with": round(medians["with"], 2),
        "runs": {k: [round(t, 2) for t in x] for k, x in times.items()},
        "cost_s": round(medians["with"] - medians["without"], 2),
        "cost_share": round(medians["with"] / medians["without"] - 1, 3),
        "rare_flags": len(flagged),
        "equal_to_python": flagged == want,
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if flagged == want else 1


if __name__ == "__main__":
    sys.exit(main())
