"""Indicators over time: what `torrentwatch indicators` computes, per UTC week or month.

Each indicator is one aggregate query over the ``indicator_*`` views (migration 016),
bucketed into periods and joined to a spine of every period of the window, so a period
without events is a row of zeros, never a missing row. Every query has a pure twin
(:func:`indicator_sql`) that returns its SQL; :func:`indicators` runs them all on one
read-only connection. Rendering (text, CSV, JSON, HTML with charts, the shareable
aggregates) lives in the modules that import this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from common.errors import IndicatorsInvalid
from torrentwatch.query import open_read

EVERY = ("week", "month")
# A window longer than this many periods is refused: a typo in --since (0206 for 2026)
# would otherwise ask for tens of thousands of empty rows per indicator.
MAX_PERIODS = 1200
DEFAULT_PERIODS = {"week": 52, "month": 12}


@dataclass(frozen=True, slots=True)
class Window:
    """Whole periods: ``start`` is the first period's first instant, ``end`` the instant
    after the last period (both UTC); ``periods`` is how many there are."""

    every: str
    start: datetime
    end: datetime
    periods: int

    @property
    def last(self) -> datetime:
        """The start of the last period."""
        return _step(self.end, self.every, -1)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One measure column: its name, its SQL over the events, whether it is a count
    (counts of empty periods are 0, and only counts go into the shareable file)."""

    name: str
    sql: str
    count: bool = True


@dataclass(frozen=True, slots=True)
class Chart:
    """How the report draws an indicator: ``stack`` stacks ``value`` by the table's
    dimensions (the largest series kept, the rest summed as 'other'); ``lines`` draws
    each of ``columns`` as a line."""

    kind: str
    columns: tuple[str, ...]
    ylabel: str


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    title: str
    what: str  # one sentence: what a row counts (the report and the docs show it)
    views: tuple[str, ...]
    dims: tuple[str, ...]
    measures: tuple[Aggregate, ...]
    chart: Chart
    derived: tuple[Aggregate, ...] = ()  # computed over the measures (ratios)
    custom: str | None = None  # a query of its own instead of the generic count

    @property
    def counts(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.measures if m.count)


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    indicator: Indicator
    table: pa.Table


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    window: Window
    tables: tuple[IndicatorTable, ...]

    def get(self, key: str) -> pa.Table:
        for item in self.tables:
            if item.indicator.key == key:
                return item.table
        raise KeyError(key)


def _count(name: str, where: str | None = None) -> Aggregate:
    return Aggregate(name, f"count(*) FILTER (WHERE {where})" if where else "count(*)")


_HOURS = (
    Aggregate("torrents", "count(*)"),
    Aggregate("median_hours", "round(quantile_cont(hours, 0.5), 2)", count=False),
    Aggregate("p90_hours", "round(quantile_cont(hours, 0.9), 2)", count=False),
)

_DECISIONS_SQL = """
d AS (
    SELECT rule_id, infohash, decision, seq, make_timestamp(epoch_us(event_at)) AS at_utc
    FROM indicator_decisions WHERE event_at < $end_tz
), in_period AS (
    SELECT date_trunc('{every}', at_utc) AS period, rule_id, infohash,
           arg_max(decision, seq) AS decision
    FROM d WHERE at_utc >= $start GROUP BY ALL
), per AS (
    SELECT period, rule_id,
           count(*) FILTER (WHERE decision = 'confirm') AS confirmed,
           count(*) FILTER (WHERE decision = 'dismiss') AS dismissed,
           count(*) FILTER (WHERE decision = 'escalate') AS escalated
    FROM in_period GROUP BY ALL
), standing AS (
    SELECT p.period, d.rule_id, d.infohash, arg_max(d.decision, d.seq) AS decision
    FROM periods p JOIN d ON d.at_utc < p.period + INTERVAL 1 {every}
    GROUP BY ALL
), to_date AS (
    SELECT period, rule_id,
           count(*) FILTER (WHERE decision = 'confirm') AS confirmed_to_date,
           count(*) FILTER (WHERE decision = 'dismiss') AS dismissed_to_date
    FROM standing GROUP BY ALL
), keys AS (SELECT DISTINCT rule_id FROM d)
SELECT p.period::DATE AS period, k.rule_id,
       coalesce(a.confirmed, 0) AS confirmed, coalesce(a.dismissed, 0) AS dismissed,
       coalesce(a.escalated, 0) AS escalated,
       round(a.confirmed / nullif(a.confirmed + a.dismissed, 0), 4) AS precision,
       coalesce(t.confirmed_to_date, 0) AS confirmed_to_date,
       coalesce(t.dismissed_to_date, 0) AS dismissed_to_date,
       round(t.confirmed_to_date / nullif(t.confirmed_to_date + t.dismissed_to_date, 0), 4)
           AS precision_to_date
FROM periods p LEFT JOIN keys k ON true
LEFT JOIN per a ON a.period = p.period AND a.rule_id = k.rule_id
LEFT JOIN to_date t ON t.period = p.period AND t.rule_id = k.rule_id
ORDER BY p.period, k.rule_id
"""

# Confirmations are read once (review_status is the costly part); ``s`` is the view
# indicator_seen_after_confirmation over them.
_PERSISTENCE_SQL = """
c AS MATERIALIZED (
    SELECT infohash, event_at, make_timestamp(epoch_us(event_at)) AS at_utc
    FROM indicator_confirmations WHERE event_at < $end_tz
), s AS MATERIALIZED (
    SELECT c.infohash, o.seen_at AS event_at, coalesce(o.seeders, 0) > 0 AS seeded
    FROM c JOIN observations o ON o.infohash = c.infohash AND o.seen_at > c.event_at
    WHERE o.seen_at < $end_tz
), seen AS (
    SELECT date_trunc('{every}', make_timestamp(epoch_us(event_at))) AS period,
           count(DISTINCT infohash) AS still_seen,
           count(DISTINCT infohash) FILTER (WHERE seeded) AS still_seeded
    FROM s WHERE event_at >= $start_tz GROUP BY ALL
), life AS (
    SELECT date_trunc('{every}', c.at_utc) AS period, c.infohash,
           coalesce(epoch(max(s.event_at) - c.event_at) / 86400.0, 0) AS days_seen,
           coalesce(epoch(max(s.event_at) FILTER (WHERE s.seeded) - c.event_at) / 86400.0, 0)
               AS days_seeded
    FROM c LEFT JOIN s USING (infohash)
    WHERE c.event_at >= $start_tz GROUP BY c.infohash, c.event_at, c.at_utc
), cohort AS (
    SELECT period, round(median(days_seen), 2) AS median_days_seen_after,
           round(median(days_seeded), 2) AS median_days_seeded_after
    FROM life GROUP BY ALL
), confirmed AS (
    SELECT p.period,
           count(c.infohash) FILTER (WHERE c.at_utc < p.period + INTERVAL 1 {every})
               AS confirmed_to_date,
           count(c.infohash) FILTER (WHERE c.at_utc >= p.period
                                      AND c.at_utc < p.period + INTERVAL 1 {every})
               AS confirmed_in_period
    FROM periods p LEFT JOIN c ON true GROUP BY p.period
)
SELECT p.period::DATE AS period, f.confirmed_to_date, f.confirmed_in_period,
       coalesce(s.still_seen, 0) AS still_seen, coalesce(s.still_seeded, 0) AS still_seeded,
       h.median_days_seen_after, h.median_days_seeded_after
FROM periods p JOIN confirmed f USING (period)
LEFT JOIN seen s USING (period) LEFT JOIN cohort h USING (period)
ORDER BY p.period
"""

_EXPORTS_SQL = """
b AS (
    SELECT date_trunc('{every}', make_timestamp(epoch_us(event_at))) AS period, target,
           count(*) AS batches, sum(rows) AS rows
    FROM indicator_exports WHERE event_at >= $start_tz AND event_at < $end_tz GROUP BY ALL
), r AS (
    SELECT date_trunc('{every}', make_timestamp(epoch_us(event_at))) AS period, target,
           count(*) AS retractions
    FROM indicator_retractions WHERE event_at >= $start_tz AND event_at < $end_tz GROUP BY ALL
), keys AS (SELECT target FROM b UNION SELECT target FROM r)
SELECT p.period::DATE AS period, k.target,
       coalesce(b.batches, 0) AS batches, coalesce(b.rows, 0)::BIGINT AS rows,
       coalesce(r.retractions, 0) AS retractions
FROM periods p LEFT JOIN keys k ON true
LEFT JOIN b ON b.period = p.period AND b.target = k.target
LEFT JOIN r ON r.period = p.period AND r.target = k.target
ORDER BY p.period, k.target
"""

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "first_seen_by_source",
        "Torrents first seen, by source",
        "Torrents whose first sighting falls in the period, by the source that saw them first.",
        ("indicator_first_sightings",),
        ("source",),
        (_count("torrents"),),
        Chart("stack", ("torrents",), "torrents"),
    ),
    Indicator(
        "first_seen_by_claim",
        "Torrents first seen, by claimed category and platform",
        "Torrents first seen in the period, by what their name claims (category, platform).",
        ("indicator_first_seen",),
        ("claimed_category", "claimed_platform"),
        (_count("torrents"),),
        Chart("stack", ("torrents",), "torrents"),
    ),
    Indicator(
        "console_contradicted",
        "Console releases whose content contradicts the claim",
        "Torrents first seen in the period that claim a console game, and those of them whose "
        "bytes are mostly video or images with no game image (share = contradicted / claims).",
        ("indicator_first_seen",),
        (),
        (
            _count("console_releases", "console_claim"),
            _count("contradicted", "console_contradicted"),
        ),
        Chart("lines", ("console_releases", "contradicted"), "torrents"),
        derived=(
            Aggregate("share", "round(contradicted / nullif(console_releases, 0), 4)", count=False),
        ),
    ),
    Indicator(
        "flags_raised",
        "Flags raised, by rule and level",
        "Flags first raised in the period, by rule and by the flag's level.",
        ("indicator_flags_raised",),
        ("rule_id", "level"),
        (_count("flags"),),
        Chart("stack", ("flags",), "flags"),
    ),
    Indicator(
        "decisions_by_rule",
        "Decisions by rule, and each rule's precision",
        "Torrents per rule whose decision standing at the period's end was made in it "
        "(confirmed, dismissed, escalated); precision = confirmed / (confirmed + dismissed), "
        "in the period and over every decision up to its end.",
        ("indicator_decisions",),
        ("rule_id",),
        (_count("confirmed"), _count("dismissed"), _count("escalated")),
        Chart("lines", ("confirmed", "dismissed", "escalated"), "torrents"),
        custom=_DECISIONS_SQL,
    ),
    Indicator(
        "time_to_flag",
        "Time from first sighting to first flag",
        "Torrents first flagged in the period; hours from their first sighting to that flag "
        "(median and 90th percentile).",
        ("indicator_time_to_flag",),
        (),
        _HOURS,
        Chart("lines", ("median_hours", "p90_hours"), "hours"),
    ),
    Indicator(
        "time_to_decision",
        "Time from flag to decision",
        "Torrents first decided on in the period; hours from their first flag to that "
        "decision (median and 90th percentile).",
        ("indicator_time_to_decision",),
        (),
        _HOURS,
        Chart("lines", ("median_hours", "p90_hours"), "hours"),
    ),
    Indicator(
        "persistence",
        "Confirmed torrents still seen and still seeded",
        "Confirmed torrents (up to the period's end, and in it) and how many of them were "
        "sighted in the period after their confirmation, and seeded (seeders > 0) at such a "
        "sighting; for those confirmed in the period, median days from confirmation to "
        "their last sighting and last seeded sighting.",
        ("indicator_confirmations",),
        (),
        (
            _count("confirmed_to_date"),
            _count("confirmed_in_period"),
            _count("still_seen"),
            _count("still_seeded"),
        ),
        Chart("lines", ("confirmed_to_date", "still_seen", "still_seeded"), "torrents"),
        custom=_PERSISTENCE_SQL,
    ),
    Indicator(
        "hash_list_hits",
        "Hash-list hits, by list and version",
        "Torrents sighted in the period that are on a hash list, counted against the list "
        "version in force at the sighting (distinct torrents and sightings).",
        ("indicator_hash_list_hits",),
        ("list_name", "list_version"),
        (Aggregate("torrents", "count(DISTINCT infohash)"), _count("sightings")),
        Chart("stack", ("torrents",), "torrents"),
    ),
    Indicator(
        "exports",
        "Exports sent per target, rows and retractions",
        "Export batches recorded in the period per target, their rows, and retractions owed "
        "(a torrent the target received, dismissed in the period).",
        ("indicator_exports", "indicator_retractions"),
        ("target",),
        (_count("batches"), _count("rows"), _count("retractions")),
        Chart("lines", ("rows", "retractions"), "rows"),
        custom=_EXPORTS_SQL,
    ),
)
KEYS = tuple(i.key for i in INDICATORS)


def _step(moment: datetime, every: str, n: int = 1) -> datetime:
    if every == "week":
        return moment + timedelta(weeks=n)
    months = moment.year * 12 + moment.month - 1 + n
    return moment.replace(year=months // 12, month=months % 12 + 1)


def _period_start(day: date, every: str) -> datetime:
    # ISO weeks start on Monday
    day = day - timedelta(days=day.weekday()) if every == "week" else day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def as_date(value: date | str | None, what: str) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise IndicatorsInvalid(f"{what} {value!r}: write a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise IndicatorsInvalid(f"{what} {value!r}: {exc}") from None


def window(
    since: date | str | None = None,
    until: date | str | None = None,
    every: str = "week",
    *,
    today: date | None = None,
) -> Window:
    """The whole periods from the one holding ``since`` to the one holding ``until``
    (default: today, UTC; ``since`` defaults to 52 weeks or 12 months before)."""
    if every not in EVERY:
        raise IndicatorsInvalid(f"--every {every!r}: use one of {', '.join(EVERY)}")
    last_day = as_date(until, "--until") or today or datetime.now(UTC).date()
    end = _step(_period_start(last_day, every), every)
    first_day = as_date(since, "--since")
    start = (
        _period_start(first_day, every) if first_day else _step(end, every, -DEFAULT_PERIODS[every])
    )
    if start >= end:
        raise IndicatorsInvalid(f"--since {first_day} is after --until {last_day}")
    periods = 0
    moment = start
    while moment < end and periods <= MAX_PERIODS:
        moment, periods = _step(moment, every), periods + 1
    if periods > MAX_PERIODS:
        raise IndicatorsInvalid(
            f"{first_day} to {last_day} is over {MAX_PERIODS} {every}s; narrow --since/--until"
        )
    return Window(every, start, end, periods)


def _spine(every: str) -> str:
    return (
        "WITH periods AS (SELECT p AS period FROM generate_series("
        f"$start, $last, INTERVAL 1 {every}) g(p)),\n"
    )


def _generic_sql(ind: Indicator, every: str) -> str:
    """Count the events of the indicator's view per period and dimension values; every
    (period, values) pair seen anywhere in the window gets a row."""
    aggs = ", ".join(f"{m.sql} AS {m.name}" for m in ind.measures)
    ctes = [
        f"ev AS (SELECT date_trunc('{every}', make_timestamp(epoch_us(event_at))) AS period, * "
        f"FROM {ind.views[0]} WHERE event_at >= $start_tz AND event_at < $end_tz)"
    ]
    measures = ", ".join(
        f"coalesce(a.{m.name}, 0) AS {m.name}" if m.count else f"a.{m.name}" for m in ind.measures
    )
    if ind.dims:
        dims = ", ".join(ind.dims)
        shown = ", ".join(f"k.{d}" for d in ind.dims)
        on = " AND ".join(f"a.{d} IS NOT DISTINCT FROM k.{d}" for d in ind.dims)
        ctes.append(f"keys AS (SELECT DISTINCT {dims} FROM ev)")
        ctes.append(f"agg AS (SELECT period, {dims}, {aggs} FROM ev GROUP BY ALL)")
        select = (
            f"SELECT p.period::DATE AS period, {shown}, {measures}\n"
            "FROM periods p LEFT JOIN keys k ON true\n"
            f"LEFT JOIN agg a ON a.period = p.period AND {on}"
        )
        order = f"period, {dims}"
    else:
        ctes.append(f"agg AS (SELECT period, {aggs} FROM ev GROUP BY period)")
        select = (
            f"SELECT p.period::DATE AS period, {measures}\n"
            "FROM periods p LEFT JOIN agg a ON a.period = p.period"
        )
        order = "period"
    extra = "".join(f", {m.sql} AS {m.name}" for m in ind.derived)
    ctes.append(f"result AS ({select})")
    return _spine(every) + ",\n".join(ctes) + f"\nSELECT *{extra} FROM result ORDER BY {order}"


def indicator_sql(key: str, every: str = "week") -> str:
    """The SQL of one indicator (parameters ``$start``, ``$last``: naive UTC period
    starts; ``$start_tz``, ``$end_tz``: the window's bounds)."""
    if every not in EVERY:
        raise IndicatorsInvalid(f"--every {every!r}: use one of {', '.join(EVERY)}")
    ind = _by_key(key)
    if ind.custom:
        return _spine(every) + ind.custom.format(every=every)
    return _generic_sql(ind, every)


def _by_key(key: str) -> Indicator:
    for ind in INDICATORS:
        if ind.key == key:
            return ind
    raise IndicatorsInvalid(f"indicator {key!r}: use one of {', '.join(KEYS)}")


def _params(win: Window) -> dict[str, datetime]:
    return {
        "start": win.start.replace(tzinfo=None),
        "last": win.last.replace(tzinfo=None),
        "start_tz": win.start,
        "end_tz": win.end,
    }


def compute(con, win: Window, keys: tuple[str, ...] | None = None) -> IndicatorSet:
    """Every indicator (or those named) over ``win`` on an open connection."""
    chosen = [_by_key(k) for k in keys] if keys else list(INDICATORS)
    params = _params(win)
    tables = []
    for ind in chosen:
        sql = indicator_sql(ind.key, win.every)
        used = {k: v for k, v in params.items() if f"${k}" in sql}  # DuckDB refuses extras
        tables.append(IndicatorTable(ind, con.execute(sql, used).to_arrow_table()))
    return IndicatorSet(win, tuple(tables))


def indicators(
    db: str | Path,
    *,
    since: date | str | None = None,
    until: date | str | None = None,
    every: str = "week",
    keys: tuple[str, ...] | None = None,
) -> IndicatorSet:
    """Every indicator per period of the window, from the warehouse at ``db`` (read-only)."""
    win = window(since, until, every)
    con = open_read(db)
    try:
        return compute(con, win, keys)
    finally:
        con.close()
