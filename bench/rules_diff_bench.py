"""`rules diff` benchmark: a backtest of one changed rule against one full `flag` run.

    PYTHONPATH=$PWD .venv/bin/python bench/rules_diff_bench.py \
        --db /work/benchdata/s16/base_1m.duckdb --repeat 3

The warehouse is flag_bench.py's synthetic one (built once into ``--db`` when missing,
with ``--torrents``), and the rules are the same: the shipped packs plus flag_bench's
1,000-term fuzzy pack. A flagged copy (``<db>.flagged.duckdb``, kept) holds the flags
and recorded rules of one full flag run: the base `rules diff` reads by default.

The candidate is those packs plus one changed rule: an operator pack overriding
``disguise.double-extension`` with a narrower condition (a new version). Alternating,
``--repeat`` times each:
  * flag      - ``torrentwatch.flag.flag`` over a fresh copy of the unflagged warehouse
                (every rule, all cores): the baseline, one full flag run;
  * diff      - ``torrentwatch.rules_diff.rules_diff`` of the candidate over the
                flagged copy (default base: the flags in force), what `rules diff` runs;
  * diff-full - the same with no rule recorded (``flag_run_rules`` emptied in a copy),
                so every rule is evaluated and compared: the worst case.
Medians, and the ratios diff / flag and diff-full / flag. The target: diff <= 2x flag.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flag_bench import build_warehouse, write_extra_pack

from torrentwatch.flag import flag
from torrentwatch.rules_diff import rules_diff
from warehouse.db import connect

CHANGED = """\
rules:
  - id: disguise.double-extension
    version: 9
    title: A video file name followed by a program extension (benchmark change)
    description: The shipped rule narrowed to video shown first; benign benchmark pack.
    level: critical
    when:
      double_extension: {final: exec_or_shortcut, shown: [video]}
    tests:
      flag: [{name: "Comet.River.2021.720p-BENIGN", files: [["Comet.River.2021.avi.exe", 3MB]]}]
"""


def _flagged(db: Path, pack: Path) -> Path:
    """A copy of ``db`` after one full flag run (built once, kept beside it)."""
    out = db.with_name(db.stem + ".flagged.duckdb")
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        shutil.copy(db, tmp)
        flag(tmp, [pack])
        tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="warehouse to build or reuse")
    ap.add_argument("--torrents", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    if not args.db.exists():
        build_warehouse(args.db, args.torrents)
    pack = write_extra_pack(args.db.parent / "bench-pack")
    changed = args.db.parent / "bench-changed" / "changed.yaml"
    changed.parent.mkdir(exist_ok=True)
    changed.write_text(CHANGED, "utf-8")
    flagged = _flagged(args.db, pack)
    work = Path(tempfile.mkdtemp(prefix="rules_diff_bench_", dir=args.db.parent))
    unrecorded = work / "unrecorded.duckdb"
    shutil.copy(flagged, unrecorded)
    con = connect(unrecorded)
    con.execute("DELETE FROM flag_run_rules")
    (torrents,) = con.execute("SELECT count(*) FROM torrents").fetchone()
    con.close()

    times: dict[str, list[float]] = {"flag": [], "diff": [], "diff_full": []}
    reports = {}
    try:
        for _ in range(args.repeat):
            copy = work / "flag.duckdb"
            shutil.copy(args.db, copy)
            t0 = time.perf_counter()
            flag(copy, [pack])
            times["flag"].append(time.perf_counter() - t0)
            copy.unlink()
            for key, db in (("diff", flagged), ("diff_full", unrecorded)):
                t0 = time.perf_counter()
                reports[key] = rules_diff(db, [pack, changed])
                times[key].append(time.perf_counter() - t0)
            print({k: round(v[-1], 2) for k, v in times.items()}, file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    rule = next(r for r in reports["diff"].rules if r.rule_id == "disguise.double-extension")
    out = {
        "torrents": torrents,
        "repeat": args.repeat,
        "flag_s_median": round(med["flag"], 2),
        "diff_s_median": round(med["diff"], 2),
        "diff_full_s_median": round(med["diff_full"], 2),
        "runs": {k: [round(x, 2) for x in v] for k, v in times.items()},
        "diff_over_flag": round(med["diff"] / med["flag"], 2),
        "diff_full_over_flag": round(med["diff_full"] / med["flag"], 2),
        "rules_evaluated": len(reports["diff"].rules),
        "rules_evaluated_full": len(reports["diff_full"].rules),
        "changed_rule": {k: getattr(rule, k) for k in ("raised", "cleared", "changed", "kept")},
    }
    print(json.dumps(out, indent=2))
    return 0 if med["diff"] <= 2 * med["flag"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
