"""Indicators benchmark: every indicator for a year by week on 1,000,000 torrents and
10,000,000 sightings (target: under 5 s).

    .venv/bin/python bench/indicators_bench.py --torrents 1000000 --sightings 10 --repeat 5

Builds (once, kept in ``--db``) a benign synthetic warehouse set-wise in DuckDB SQL,
straight into the warehouse schema (``warehouse.db.connect``): torrents first seen over
2026 with claims drawn from a few categories and platforms (console releases among
them, some with video payloads), ``--sightings`` sightings per torrent from four
sources (one of them scrapes with seeders), one file each, 2% of torrents flagged by
five rules, half of those decided (confirm / dismiss / escalate), weekly export batches
to two targets, and four quarterly versions of a 5,000-entry hash list. Picks are
hash-based, so the warehouse is the same every time.

It times, on one read-only connection as `torrentwatch indicators` opens it:
  * week  - ``torrentwatch.indicators.compute`` for 2026 by week (52 periods), every
            indicator, and each indicator on its own;
  * month - the same by month;
  * html  - the HTML report (charts drawn) from the weekly result.
Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import kit_path  # noqa: F401  (the repository root on sys.path)

from torrentwatch.indicator_report import report_html
from torrentwatch.indicators import INDICATORS, compute, window
from warehouse.db import connect

START = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
YEAR_S = 364 * 86400

BUILD = [
    # torrents: claims from a small vocabulary; 1 in 8 claims a console, and a quarter
    # of those carry mostly video (the contradicted share).
    f"""
    INSERT INTO torrents (infohash, infohash_v1, has_metadata, name, name_norm, total_size,
        file_count, claimed_category, claimed_platform, share_bytes_video, share_bytes_image,
        share_bytes_disc_image, share_bytes_game_package, video_about_game, first_seen,
        last_seen)
    SELECT ih, ih, true, 'Synthetic Release ' || i, 'synthetic release ' || i, 1000000, 1,
           ['game_console', 'film', 'tv', 'music', 'software', 'game_pc', 'ebook',
            'photos'][1 + i % 8],
           CASE WHEN i % 8 = 0 THEN ['ps2', 'ps4', 'nsw', 'wii'][1 + (i // 8) % 4] END,
           CASE WHEN i % 32 = 0 THEN 0.9 ELSE 0.0 END, 0.0,
           CASE WHEN i % 8 = 0 AND i % 32 <> 0 THEN 1.0 ELSE 0.0 END, 0.0, false,
           {START} + to_seconds((hash(i) % {YEAR_S})::BIGINT),
           {START} + to_seconds((hash(i) % {YEAR_S})::BIGINT + 90 * 86400)
    FROM (SELECT i, md5(i::VARCHAR) || substr(md5((i + 7)::VARCHAR), 1, 8) AS ih
          FROM range($torrents) r(i))
    """,
    """
    INSERT INTO files (infohash, file_index, path, ext, kind, size, is_pad, is_symlink)
    SELECT infohash, 0, 'file.bin', 'bin', 'other', 1000000, false, false FROM torrents
    """,
    # sightings: the first at first_seen, the rest within 90 days after it.
    """
    INSERT INTO observations (infohash, source, source_ref, seen_at, seeders)
    SELECT infohash, ['feed-a', 'feed-b', 'inbox', 'scrape'][1 + (h % 4)::BIGINT],
           'synthetic',
           first_seen + to_seconds(CASE WHEN k = 0 THEN 0 ELSE (h % 7776000)::BIGINT END),
           CASE WHEN (h % 4)::BIGINT = 3 THEN ((h2 % 5)::BIGINT)::INTEGER END
    FROM (SELECT t.infohash, t.first_seen, k, hash(t.infohash || k::VARCHAR) AS h,
                 hash('s' || k::VARCHAR || t.infohash) AS h2
          FROM torrents t, range($sightings) s(k))
    """,
    """
    INSERT INTO flag_rows
    SELECT infohash, 'synthetic.rule-' || ((hash(infohash) % 5)::BIGINT), 1,
           ['low', 'medium', 'high'][1 + (hash(infohash || '1') % 3)::BIGINT], 1.0,
           '{"rule_id": "synthetic"}',
           first_seen + to_seconds((hash(infohash || '2') % 259200)::BIGINT),
           first_seen + to_seconds((hash(infohash || '2') % 259200)::BIGINT),
           first_seen + to_seconds((hash(infohash || '2') % 259200)::BIGINT), true, NULL, NULL
    FROM torrents WHERE (hash(infohash || '3') % 50)::BIGINT = 0
    """,
    """
    INSERT INTO reviews
    SELECT 'r' || row_number() OVER (ORDER BY infohash), row_number() OVER (ORDER BY infohash),
           infohash, ['confirm', 'confirm', 'confirm', 'dismiss', 'dismiss', 'escalate']
               [1 + (hash(infohash || '4') % 6)::BIGINT], 'other', NULL, 'analyst1',
           first_flagged_at + to_seconds((hash(infohash || '5') % 345600)::BIGINT),
           json_object(rule_id, json_object('version', 1))
    FROM flags WHERE (hash(infohash || '6') % 2)::BIGINT = 0
    """,
    f"""
    INSERT INTO export_batches
    SELECT md5(target || w), target, 'torrentwatch.export/1', 0, '{{}}',
           {START} + to_days(7 * w) + INTERVAL 3 DAY, NULL
    FROM range(52) r(w), (VALUES ('hotline-x'), ('hotline-y')) t(target)
    """,
    f"""
    INSERT INTO export_items
    SELECT b.batch_id, b.target, row_number() OVER (PARTITION BY b.batch_id), r.infohash,
           r.review_id, 'sha', 'confirmed', '{{}}'
    FROM reviews r JOIN export_batches b
      ON b.recorded_at = {START} + to_days(7 * (datediff('day', {START}, r.decided_at) // 7 + 1))
                         + INTERVAL 3 DAY
    WHERE r.decision = 'confirm'
    """,
    """
    UPDATE export_batches b SET items = (SELECT count(*) FROM export_items i
                                         WHERE i.batch_id = b.batch_id)
    """,
    f"""
    INSERT INTO hash_lists (name, version, file_path, sha256, format, loaded_at, lines,
                            entries, duplicates, rejected_lines)
    SELECT 'partner', v, '/lists/partner.txt', 'x', 'text', {START} + to_days(91 * (v - 1)),
           5000, 5000, 0, 0
    FROM range(1, 5) r(v)
    """,
    """
    INSERT INTO hash_list_entries
    SELECT 'partner', v, 'infohash_v1', infohash, NULL, row_number() OVER (PARTITION BY v)
    FROM (SELECT infohash FROM torrents WHERE (hash(infohash || '9') % 200)::BIGINT = 0 LIMIT 5000),
         range(1, 5) r(v)
    """,
]


def build(db: Path, torrents: int, sightings: int) -> None:
    con = connect(db, create=True)
    try:
        for step in BUILD:
            started = time.perf_counter()
            sql = step.replace("$torrents", str(torrents)).replace("$sightings", str(sightings))
            con.execute(sql)
            print(f"  built in {time.perf_counter() - started:5.1f} s: {sql.split()[2]}")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--torrents", type=int, default=1_000_000)
    parser.add_argument("--sightings", type=int, default=10, help="per torrent")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=Path("/work/benchdata/s17/indicators.duckdb"))
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {args.db}")
        build(args.db, args.torrents, args.sightings)
    con = connect(args.db, read_only=True)
    try:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("torrents", "observations", "flags", "reviews", "export_items")
        }
        print("warehouse:", ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        week = window("2026-01-01", "2026-12-31", "week")
        month = window("2026-01-01", "2026-12-31", "month")
        compute(con, week)  # warm the cache once, as a second run of the command would
        t_week, result = timed(lambda: compute(con, week), args.repeat)
        t_month, _ = timed(lambda: compute(con, month), args.repeat)
        each = {
            ind.key: timed(lambda k=ind.key: compute(con, week, (k,)), args.repeat)[0]
            for ind in INDICATORS
        }
    finally:
        con.close()
    t_html, page = timed(lambda: report_html(result), max(1, args.repeat // 2))
    print(f"every indicator, {week.periods} weeks: median {t_week:.2f} s (target < 5 s)")
    print(f"every indicator, {month.periods} months: median {t_month:.2f} s")
    for key, seconds in each.items():
        print(f"  {key:24} {seconds:.3f} s")
    print(f"HTML report with charts: median {t_html:.2f} s, {len(page) / 1e6:.1f} MB")
    return 0 if t_week < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
