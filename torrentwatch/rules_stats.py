"""`rules stats`: how each rule's flags fared with analysts, and the shadow flags.

A decision is made on a torrent, with the evidence of every stable flag on it stored
beside it (``reviews.flag_evidence``, keyed by rule id). A rule's flag counts as
confirmed or dismissed by the latest decision on its torrent whose stored evidence
names the rule; with none it is pending. Precision is confirmed / (confirmed +
dismissed), None before any decision. ``period`` splits the flags by the week or month
they were first raised, so a rule's quality can be followed over time. Set-wise SQL,
on a read-only connection.

``experimental_flags``: the active flags of shadow rules (``status: experimental``),
which the review queue and exports leave out; the CLI and the workbench show them when
asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.checks import check_int
from common.errors import ValueOutOfRange
from warehouse.db import connect

PERIODS = ("all", "week", "month")
MAX_LIMIT = 1_000_000_000

STATS_SQL = """\
WITH decided AS (
    SELECT f.rule_id, f.infohash,
           arg_max(r.decision, r.seq) AS decision
    FROM flags f JOIN torrent_reviews r USING (infohash)
    WHERE list_contains(json_keys(r.flag_evidence), f.rule_id)
    GROUP BY f.rule_id, f.infohash
), per_flag AS (
    SELECT f.rule_id, f.status, f.active, {period} AS period, d.decision
    FROM flags f LEFT JOIN decided d USING (rule_id, infohash)
    WHERE f.first_flagged_at >= $since
)
SELECT rule_id, period, any_value(status) AS status,
       count(*) AS raised, count(*) FILTER (WHERE active) AS active,
       count(*) FILTER (WHERE decision = 'confirm') AS confirmed,
       count(*) FILTER (WHERE decision = 'dismiss') AS dismissed,
       count(*) FILTER (WHERE decision IS NOT NULL
                        AND decision NOT IN ('confirm', 'dismiss')) AS other_decision,
       count(*) FILTER (WHERE decision IS NULL) AS pending,
       round(count(*) FILTER (WHERE decision = 'confirm') / nullif(
           count(*) FILTER (WHERE decision IN ('confirm', 'dismiss')), 0), 3) AS precision
FROM per_flag GROUP BY rule_id, period ORDER BY rule_id, period"""

PERIOD_SQL = {
    "all": "NULL::DATE",
    "week": "date_trunc('week', f.first_flagged_at)::DATE",
    "month": "date_trunc('month', f.first_flagged_at)::DATE",
}

SHADOW_SQL = """\
SELECT infohash, rule_id, rule_version, level, score, name, total_size, file_count,
       first_flagged_at, last_matched_at
FROM experimental_flags
WHERE len($rule_ids) = 0 OR list_contains($rule_ids, rule_id)
ORDER BY rule_id, score DESC, infohash"""


def _since(value: str | datetime | None) -> datetime:
    """``since`` as a time (an ISO date or date and time; UTC when no zone is given)."""
    if value is None:
        return datetime(1, 1, 1, tzinfo=UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueOutOfRange(
                f"since {value!r} is not a date: write 2026-01-31 or 2026-01-31T12:00"
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rules_stats(
    db: str | Path, *, since: str | datetime | None = None, period: str = "all"
) -> pa.Table:
    """`torrentwatch rules stats`: per rule (and ``period``), flags raised since
    ``since`` (first raised), active now, confirmed, dismissed, other decisions,
    pending, and precision."""
    floor = _since(since)
    if period not in PERIODS:
        raise ValueOutOfRange(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    con = connect(db, read_only=True)
    try:
        sql = STATS_SQL.format(period=PERIOD_SQL[period])
        table = con.execute(sql, {"since": floor}).to_arrow_table()
    finally:
        con.close()
    return table.drop_columns(["period"]) if period == "all" else table


def experimental_flags(
    db: str | Path, rule_ids: Iterable[str] = (), *, limit: int | None = None
) -> pa.Table:
    """The active flags of shadow rules (all, or of ``rule_ids``), best score first
    within each rule: what the review queue leaves out."""
    if limit is not None:
        limit = check_int("limit", limit, low=0, high=MAX_LIMIT)
    con = connect(db, read_only=True)
    try:
        sql = SHADOW_SQL + (f"\nLIMIT {int(limit)}" if limit else "")
        return con.execute(sql, {"rule_ids": list(rule_ids)}).to_arrow_table()
    finally:
        con.close()
