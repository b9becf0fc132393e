"""Indicators on a warehouse of hand-counted events (tests/indicator_warehouse.py).

Every expected figure below is counted by hand from that file's docstring and tables;
week W3 (Jan 19) has no event at all and must still be there, as zeros.
"""

from __future__ import annotations

from datetime import date

import pytest

from common.errors import IndicatorsInvalid
from tests.indicator_warehouse import CONSOLE_RULE, FILM_RULE, build
from torrentwatch.indicators import INDICATORS, KEYS, indicator_sql, indicators, window

W1, W2, W3, W4 = (date(2026, 1, d) for d in (5, 12, 19, 26))


@pytest.fixture(scope="module")
def weekly(tmp_path_factory):
    db = build(tmp_path_factory.mktemp("ind") / "w.duckdb")
    return indicators(db, since="2026-01-05", until="2026-02-01", every="week")


def rows(result, key: str, *columns: str) -> list[tuple]:
    return [tuple(r[c] for c in ("period", *columns)) for r in result.get(key).to_pylist()]


def test_every_indicator_has_every_period_even_the_empty_one(weekly):
    assert weekly.window.periods == 4
    for item in weekly.tables:
        periods = sorted(set(item.table.column("period").to_pylist()))
        assert periods == [W1, W2, W3, W4], item.indicator.key
        counts = item.indicator.counts
        w3 = [r for r in item.table.to_pylist() if r["period"] == W3]
        assert w3, item.indicator.key
        if item.indicator.key != "persistence":  # to-date counts carry over W3
            assert all(r[c] == 0 for r in w3 for c in counts), item.indicator.key


def test_first_seen_by_source_and_claim(weekly):
    assert rows(weekly, "first_seen_by_source", "source", "torrents") == [
        (W1, "feed-a", 1), (W1, "inbox", 1),
        (W2, "feed-a", 1), (W2, "inbox", 0),
        (W3, "feed-a", 0), (W3, "inbox", 0),
        (W4, "feed-a", 0), (W4, "inbox", 1),
    ]  # fmt: skip
    claims = rows(weekly, "first_seen_by_claim", "claimed_category", "claimed_platform", "torrents")
    assert [r for r in claims if r[3]] == [
        (W1, "game_console", "ps2", 2),
        (W2, "film", "(none)", 1),
        (W4, "software", "(none)", 1),
    ]
    assert rows(weekly, "console_contradicted", "console_releases", "contradicted", "share") == [
        (W1, 2, 1, 0.5), (W2, 0, 0, None), (W3, 0, 0, None), (W4, 0, 0, None),
    ]  # fmt: skip


def test_flags_and_decisions_a_flag_later_dismissed(weekly):
    raised = rows(weekly, "flags_raised", "rule_id", "level", "flags")
    assert [r for r in raised if r[3]] == [
        (W1, CONSOLE_RULE, "high", 1),
        (W2, FILM_RULE, "medium", 1),
        (W4, CONSOLE_RULE, "high", 1),
    ]
    assert len(raised) == 8  # both (rule, level) pairs in every week
    decided = rows(
        weekly, "decisions_by_rule", "rule_id", "confirmed", "dismissed", "escalated", "precision"
    )
    # C was escalated, then dismissed in the same week: the dismissal stands.
    assert [r for r in decided if r[2] or r[3] or r[4]] == [
        (W1, CONSOLE_RULE, 1, 0, 0, 1.0),
        (W2, FILM_RULE, 0, 1, 0, 0.0),
    ]
    to_date = rows(weekly, "decisions_by_rule", "rule_id", "precision_to_date")
    assert (W4, CONSOLE_RULE, 1.0) in to_date and (W4, FILM_RULE, 0.0) in to_date
    assert (W1, FILM_RULE, None) in to_date


def test_times_to_flag_and_to_decision(weekly):
    assert rows(weekly, "time_to_flag", "torrents", "median_hours", "p90_hours") == [
        (W1, 1, 6.0, 6.0), (W2, 1, 24.0, 24.0), (W3, 0, None, None), (W4, 1, 12.0, 12.0),
    ]  # fmt: skip
    assert rows(weekly, "time_to_decision", "torrents", "median_hours") == [
        (W1, 1, 72.0), (W2, 1, 2.0), (W3, 0, None), (W4, 0, None),
    ]  # fmt: skip


def test_a_torrent_confirmed_then_still_seen_and_seeded(weekly):
    assert rows(
        weekly, "persistence", "confirmed_to_date", "confirmed_in_period", "still_seen",
        "still_seeded", "median_days_seen_after", "median_days_seeded_after",
    ) == [
        (W1, 1, 1, 0, 0, 19.0, 6.0),
        (W2, 1, 0, 1, 1, None, None),
        (W3, 1, 0, 0, 0, None, None),
        (W4, 1, 0, 1, 0, None, None),
    ]  # fmt: skip


def test_hash_list_hits_count_against_the_version_in_force(weekly):
    assert rows(weekly, "hash_list_hits", "list_name", "list_version", "torrents", "sightings") == [
        (W1, "partner", 1, 1, 2), (W1, "partner", 2, 0, 0),
        (W2, "partner", 1, 2, 2), (W2, "partner", 2, 0, 0),
        (W3, "partner", 1, 0, 0), (W3, "partner", 2, 0, 0),
        (W4, "partner", 1, 0, 0), (W4, "partner", 2, 1, 1),
    ]  # fmt: skip


def test_exports_rows_and_retractions(weekly):
    assert rows(weekly, "exports", "target", "batches", "rows", "retractions") == [
        (W1, "hotline-x", 1, 1, 0), (W2, "hotline-x", 1, 1, 1),
        (W3, "hotline-x", 0, 0, 0), (W4, "hotline-x", 0, 0, 0),
    ]  # fmt: skip


def test_by_month_one_row_holds_the_whole_of_january(tmp_path):
    db = build(tmp_path / "m.duckdb")
    monthly = indicators(db, since="2026-01-05", until="2026-01-31", every="month")
    jan = date(2026, 1, 1)
    assert monthly.window.periods == 1
    assert rows(monthly, "first_seen_by_source", "source", "torrents") == [
        (jan, "feed-a", 2), (jan, "inbox", 2),
    ]  # fmt: skip
    assert rows(monthly, "time_to_flag", "torrents", "median_hours") == [(jan, 3, 12.0)]
    assert rows(monthly, "exports", "target", "rows", "retractions") == [(jan, "hotline-x", 2, 1)]
    # December holds E's first sighting only; February nothing: zero rows, not none.
    around = indicators(db, since="2025-12-01", until="2026-02-28", every="month")
    assert rows(around, "first_seen_by_source", "source", "torrents") == [
        (date(2025, 12, 1), "feed-a", 1), (date(2025, 12, 1), "inbox", 0),
        (jan, "feed-a", 2), (jan, "inbox", 2),
        (date(2026, 2, 1), "feed-a", 0), (date(2026, 2, 1), "inbox", 0),
    ]  # fmt: skip


def test_an_empty_warehouse_gives_zero_rows_for_every_period(tmp_path):
    from warehouse.db import connect

    connect(tmp_path / "e.duckdb", create=True).close()
    result = indicators(tmp_path / "e.duckdb", since="2026-01-05", until="2026-02-01")
    for item in result.tables:
        assert item.table.num_rows == 4, item.indicator.key


def test_window_is_whole_periods_and_bad_input_is_named():
    win = window("2026-01-07", "2026-01-07", "week")
    assert (win.start.date(), win.end.date(), win.periods) == (W1, W2, 1)
    assert window(until="2026-12-31", every="month").periods == 12
    assert window(until="2026-12-31", every="week").periods == 52
    for since, until, every, words in (
        ("2026-02-01", "2026-01-01", "week", "after --until"),
        ("2026/01/01", None, "week", "YYYY-MM-DD"),
        ("2026-02-30", None, "week", "--since"),
        ("2026-01-01", None, "day", "--every"),
        ("0206-01-01", "2026-01-01", "week", "narrow"),
    ):
        with pytest.raises(IndicatorsInvalid, match=words):
            window(since, until, every, today=date(2026, 3, 1))


def test_every_indicator_has_sql_over_documented_views():
    from pathlib import Path

    docs = (Path(__file__).parent.parent / "docs" / "indicators.md").read_text("utf-8")
    assert len(KEYS) == len(set(KEYS)) == len(INDICATORS)
    for ind in INDICATORS:
        sql = indicator_sql(ind.key, "month")
        assert "INTERVAL 1 month" in sql
        for view in ind.views:
            assert view in sql and f"`{view}`" in docs, view
        assert f"`{ind.key}`" in docs, ind.key
