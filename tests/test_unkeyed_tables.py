"""`flags` and `torrents` without keys (migrations 018, 019): a warehouse of the schema
before them keeps every row in order with the same columns, the views and the next flag
run work on the rebuilt tables, a lake renames like a file, a load holds no key index in
memory, and a flag run or a load batch that would write one key twice writes nothing."""

from __future__ import annotations

import duckdb
import pytest
from conftest import write_torrents
from warehouse_copies import older_warehouse

from common.errors import FlagMatchesRepeat
from torrentwatch import flag as flag_stage
from torrentwatch.demo import demo_data_dir
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from warehouse.db import connect, latest_known_version, migrations
from warehouse.lake import lake_statements

ALL_FLAGS = "SELECT * FROM flags ORDER BY infohash, rule_id"


def _keys(con, table: str = "flags") -> list[tuple]:
    return con.execute(
        "SELECT constraint_type FROM duckdb_constraints()"
        " WHERE table_name = $t AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
        {"t": table},
    ).fetchall()


def _columns(con, table: str) -> list[tuple]:
    return con.execute(
        "SELECT column_name, data_type, is_nullable OR column_name = 'infohash', column_default"
        " FROM duckdb_columns() WHERE table_name = $t AND database_name = current_database()"
        " ORDER BY column_index",
        {"t": table},
    ).fetchall()


def test_a_warehouse_from_before_keeps_every_flag_and_works_on(tmp_path):
    # Flags raised by the current stage, carried into a warehouse of schema 017.
    current = tmp_path / "current.duckdb"
    ingest([demo_data_dir()], current)
    flag(current)
    older = tmp_path / "older.duckdb"
    older_warehouse(older, 17)
    con = duckdb.connect(str(older))
    assert _keys(con) == [("PRIMARY KEY",)] == _keys(con, "torrents")
    con.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
    for table in ("torrents", "files", "observations", "runs", "flag_run_rules", "flags"):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM cur.{table}")
    before = con.execute(ALL_FLAGS).fetchall()
    torrents = con.execute("SELECT * FROM torrents").fetchall()  # in stored order
    columns = _columns(con, "torrents")
    queue = con.execute("SELECT * FROM review_queue ORDER BY ALL").fetchall()
    con.close()
    assert len(before) >= 5

    con = connect(older)  # upgrades
    try:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            latest_known_version(),
        )
        # The rows stay in `flag_rows` since migration 020 (`flags` is a view of them).
        assert _keys(con, "flag_rows") == [] == _keys(con, "torrents")
        assert con.execute(ALL_FLAGS).fetchall() == before
        assert con.execute("SELECT * FROM torrents").fetchall() == torrents
        assert _columns(con, "torrents") == columns
        assert con.execute("SELECT * FROM review_queue ORDER BY ALL").fetchall() == queue
        nullable = dict(
            con.execute(
                "SELECT column_name, is_nullable FROM duckdb_columns()"
                " WHERE table_name = 'flag_rows'"
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


@pytest.mark.parametrize(("version", "table"), [(18, "flags"), (19, "torrents")])
def test_a_lake_renames_the_rebuilt_table_as_a_file_does(version, table):
    scratch = duckdb.connect(":memory:")
    for migration in migrations()[: version - 1]:
        scratch.execute(migration.sql)
    (rebuild,) = [m for m in migrations() if m.version == version]
    statements = [s.strip().rstrip(";") for s in lake_statements(rebuild.sql, scratch)]
    assert statements[0].startswith(f'CREATE TABLE "{table}_unkeyed" (')
    assert "PRIMARY KEY" not in statements[0]
    assert statements[-2:] == [
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_unkeyed RENAME TO {table}",
    ]


def test_a_load_holds_no_key_index_in_memory(tmp_path):
    """The writer's memory does not grow with the warehouse: with the key of torrents,
    a load held its index in the buffer pool, 77 bytes a torrent (765 MB at 10,000,000,
    past the writer's 512 MB)."""
    from parsers.inputs import discover
    from torrentwatch.ingest import parse_chunk
    from torrentwatch.synth import synthetic_specs
    from warehouse.db import WRITER_MEMORY
    from warehouse.load import load_batch

    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db)
    folder = tmp_path / "in"
    write_torrents(folder, list(synthetic_specs(300, files_per_torrent=2)))
    batch = parse_chunk(list(discover([folder]))).batch
    con = connect(db, memory_limit=WRITER_MEMORY)
    try:
        assert load_batch(con, batch, "run-x").torrents_new == 300
        held = "SELECT memory_usage_bytes FROM duckdb_memory() WHERE tag = 'ART_INDEX'"
        assert con.execute(held).fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone() == (0,)
    finally:
        con.close()


def test_a_batch_naming_a_new_torrent_twice_writes_nothing(tmp_path):
    import pyarrow as pa

    from common.errors import DuplicateTorrent
    from parsers.inputs import discover
    from torrentwatch.ingest import parse_chunk
    from torrentwatch.synth import synthetic_specs
    from warehouse.load import load_batch

    folder = tmp_path / "in"
    write_torrents(folder, list(synthetic_specs(3, files_per_torrent=2)))
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db)
    batch = parse_chunk(list(discover([folder]))).batch
    twice = pa.concat_tables([batch.torrents, batch.torrents.slice(0, 1)])
    broken = type(batch)(twice, batch.files, batch.observations, batch.rejects)
    con = connect(db)
    try:
        counts = "SELECT (SELECT count(*) FROM torrents), (SELECT count(*) FROM files)"
        before = con.execute(counts).fetchone()
        with pytest.raises(DuplicateTorrent, match=r"more than once: [0-9a-f]{40} \(2 times\)"):
            load_batch(con, broken, "run-x")
        assert con.execute(counts).fetchone() == before
    finally:
        con.close()


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
