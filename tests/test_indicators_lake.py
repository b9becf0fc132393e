"""Indicators on a lake warehouse (warehouse.lake) equal those on a DuckDB file, row for
row, for the hand-counted warehouse of tests/indicator_warehouse.py: copied into a lake
with ``warehouse.lake.copy_into_lake``, or written into the lake directly. The catalog
is a DuckDB file in the quick loop and a real PostgreSQL 15 on 127.0.0.1 when slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner
from warehouse_copies import copy_into_new_lake, file_catalog_lake

from tests.indicator_warehouse import build
from torrentwatch.cli import app as cli_app
from torrentwatch.indicators import KEYS, indicators

WINDOWS = (("2026-01-05", "2026-02-01", "week"), ("2025-12-01", "2026-02-28", "month"))


@pytest.fixture(scope="module")
def file_db(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("ind-file") / "w.duckdb")


def _tables(db: str | Path, since: str, until: str, every: str) -> dict[str, list[dict]]:
    result = indicators(db, since=since, until=until, every=every)
    return {item.indicator.key: item.table.to_pylist() for item in result.tables}


def _same_as_file(lake: str, file_db: Path) -> None:
    for since, until, every in WINDOWS:
        on_file = _tables(file_db, since, until, every)
        on_lake = _tables(lake, since, until, every)
        assert list(on_lake) == list(KEYS)
        for key in KEYS:
            assert on_lake[key] == on_file[key], (every, key)
        # not vacuous: the hand-counted events are there
        assert any(r["torrents"] for r in on_lake["first_seen_by_source"])


def test_indicators_on_a_copied_lake_equal_the_file(file_db: Path, tmp_path: Path) -> None:
    _same_as_file(copy_into_new_lake(file_db, file_catalog_lake(tmp_path)), file_db)


def test_indicators_on_a_lake_written_directly_equal_the_file(file_db: Path, tmp_path) -> None:
    lake = file_catalog_lake(tmp_path)
    build(lake)
    _same_as_file(lake, file_db)


def test_the_indicators_command_runs_on_a_lake(file_db: Path, tmp_path: Path) -> None:
    lake = copy_into_new_lake(file_db, file_catalog_lake(tmp_path))
    runner = CliRunner()
    common = ["--since", "2026-01-05", "--until", "2026-02-01", "--format", "csv"]
    on_file = runner.invoke(cli_app, ["indicators", *common, "--db", str(file_db)])
    on_lake = runner.invoke(cli_app, ["indicators", *common, "--db", lake])
    assert on_file.exit_code == 0 and on_lake.exit_code == 0, on_lake.output
    assert on_lake.output == on_file.output and "feed-a" in on_lake.output
    share = ["indicators", "--since", "2026-01-05", "--until", "2026-02-01", "--shareable"]
    shared_file = runner.invoke(cli_app, [*share, "--min-cell", "1", "--db", str(file_db)])
    shared_lake = runner.invoke(cli_app, [*share, "--min-cell", "1", "--db", lake])
    assert shared_lake.exit_code == 0, shared_lake.output
    assert _without_time(shared_lake.output) == _without_time(shared_file.output)


def test_list_exchange_from_a_lake_equals_the_files(file_db: Path, tmp_path: Path) -> None:
    """`hashlist export` (issue 17's list exchange) reads the same on both backends."""
    from torrentwatch.exchange import exchange_export

    lake = copy_into_new_lake(file_db, file_catalog_lake(tmp_path))
    on_file = exchange_export(file_db, tmp_path / "file.txt", issuer="hotline-a")
    on_lake = exchange_export(lake, tmp_path / "lake.txt", issuer="hotline-a")
    assert on_lake.entries == on_file.entries == 1
    assert (on_lake.batch, on_lake.provenance) == (on_file.batch, on_file.provenance)
    assert (tmp_path / "lake.txt").read_bytes() == (tmp_path / "file.txt").read_bytes()


def _without_time(text: str) -> list[str]:
    return [line for line in text.splitlines() if "generated" not in line]


# --- a real PostgreSQL catalog (slow) ---------------------------------------------------


@pytest.mark.slow  # a PostgreSQL server, in the loopback-only namespace (scripts/isolated.sh)
def test_indicators_on_a_postgres_lake_equal_the_file(
    postgres, file_db: Path, tmp_path: Path
) -> None:
    lake = copy_into_new_lake(file_db, postgres.new_lake("lake_indicators", tmp_path))
    _same_as_file(lake, file_db)
