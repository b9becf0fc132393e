"""`flags` without a key (migration 018): a warehouse of the schema before it keeps every
flag, the views and the next flag run work on the rebuilt table, a lake renames like a
file, and a run whose matches name one (torrent, rule) pair twice writes nothing."""

from __future__ import annotations

import duckdb
import pytest
from warehouse_copies import older_warehouse

from common.errors import FlagMatchesRepeat
from torrentwatch import flag as flag_stage
from torrentwatch.demo import demo_data_dir
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from warehouse.db import connect, latest_known_version, migrations
from warehouse.lake import lake_statements

ALL_FLAGS = "SELECT * FROM flags ORDER BY infohash, rule_id"


def _keys(con) -> list[tuple]:
    return con.execute(
        "SELECT constraint_type FROM duckdb_constraints()"
        " WHERE table_name = 'flags' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
    ).fetchall()


def test_a_warehouse_from_before_keeps_every_flag_and_works_on(tmp_path):
    # Flags raised by the current stage, carried into a warehouse of schema 017.
    current = tmp_path / "current.duckdb"
    ingest([demo_data_dir()], current)
    flag(current)
    older = tmp_path / "older.duckdb"
    older_warehouse(older, 17)
    con = duckdb.connect(str(older))
    assert _keys(con) == [("PRIMARY KEY",)]
    con.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
    for table in ("torrents", "files", "observations", "runs", "flag_run_rules", "flags"):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM cur.{table}")
    before = con.execute(ALL_FLAGS).fetchall()
    queue = con.execute("SELECT * FROM review_queue ORDER BY ALL").fetchall()
    con.close()
    assert len(before) >= 5

    con = connect(older)  # upgrades
    try:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            latest_known_version(),
        )
        assert _keys(con) == []
        assert con.execute(ALL_FLAGS).fetchall() == before
        assert con.execute("SELECT * FROM review_queue ORDER BY ALL").fetchall() == queue
        nullable = dict(
            con.execute(
                "SELECT column_name, is_nullable FROM duckdb_columns() WHERE table_name = 'flags'"
            ).fetchall()
        )
        assert nullable["infohash"] is False and nullable["last_run_id"] is True
    finally:
        con.close()
    summary = flag(older, full=True)
    assert (summary.new, summary.changed, summary.deactivated) == (0, 0, 0)
    con = connect(older, read_only=True)
    try:
        pairs = con.execute("SELECT count(*), count(DISTINCT (infohash, rule_id)) FROM flags")
        assert pairs.fetchone() == (len(before), len(before))
    finally:
        con.close()


def test_a_lake_renames_the_rebuilt_table_as_a_file_does():
    scratch = duckdb.connect(":memory:")
    for migration in migrations()[:17]:
        scratch.execute(migration.sql)
    (rebuild,) = [m for m in migrations() if m.version == 18]
    statements = [s.strip().rstrip(";") for s in lake_statements(rebuild.sql, scratch)]
    assert statements[0].startswith('CREATE TABLE "flags_unkeyed" (')
    assert "PRIMARY KEY" not in statements[0]
    assert statements[-2:] == ["DROP TABLE flags", "ALTER TABLE flags_unkeyed RENAME TO flags"]


def test_a_run_matching_one_pair_twice_writes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db)
    flag(db)
    con = connect(db, read_only=True)
    before = con.execute(ALL_FLAGS).fetchall()
    runs = con.execute("SELECT count(*) FROM runs").fetchone()
    con.close()
    real = flag_stage._match_planned

    def repeating(con, rules, plan):
        real(con, rules, plan)
        con.execute("INSERT INTO flag_matches SELECT * FROM flag_matches LIMIT 1")

    monkeypatch.setattr(flag_stage, "_match_planned", repeating)
    with pytest.raises(FlagMatchesRepeat, match=r"more than once: .+ on [0-9a-f]{40} 2 times"):
        flag(db, full=True)
    con = connect(db, read_only=True)
    try:
        assert con.execute(ALL_FLAGS).fetchall() == before
        failed = con.execute("SELECT count(*) FROM runs WHERE status = 'failed'").fetchone()
        assert failed == (1,) and con.execute("SELECT count(*) FROM runs").fetchone() == (
            runs[0] + 1,
        )
    finally:
        con.close()
