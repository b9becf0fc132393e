"""The warehouse: migrations, the single-writer lock, atomic batches, documented columns."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from common.errors import WarehouseError, WarehouseLocked
from parsers.profile import PROFILE_COLUMNS
from warehouse.db import connect, migrate, migrations
from warehouse.load import insert_torrents_sql, load_batch, upgrade_torrents_sql

DOCS = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"


def test_migrations_apply_once_and_are_recorded(db_path):
    con = connect(db_path, create=True)
    assert migrate(con) == []  # already applied by connect
    versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()]
    assert versions == [m.version for m in migrations()]


def _storage_version(con) -> str:
    return con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases()"
        " WHERE database_name = current_database()"
    ).fetchone()[0]


def test_a_new_warehouse_is_written_in_the_running_duckdbs_format(db_path):
    """Not DuckDB's default 1.0 format: checkpoints cost a third there (BENCHMARKS)."""
    major, minor = duckdb.__version__.split(".")[:2]
    connect(db_path, create=True).close()
    con = connect(db_path, read_only=True)
    assert _storage_version(con) == f"v{major}.{minor}.0+"
    con.close()


def test_a_warehouse_in_the_old_format_is_migrated_and_keeps_its_format(db_path):
    old = duckdb.connect(str(db_path))  # DuckDB's default format for a new file
    assert _storage_version(old) == "v1.0.0+"
    old.close()
    con = connect(db_path)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == max(
        m.version for m in migrations()
    )
    con.execute(
        "INSERT INTO runs (run_id, command, started_at, status) VALUES ('r', 'x', now(), 'ok')"
    )
    con.close()
    con = connect(db_path, read_only=True)
    assert _storage_version(con) == "v1.0.0+"
    assert con.execute("SELECT count(*) FROM runs WHERE run_id = 'r'").fetchone() == (1,)
    con.close()


def test_every_warehouse_column_is_documented():
    """Every table and view analysts can query, and each of their columns."""
    con = connect(":memory:")
    documented = DOCS.read_text(encoding="utf-8")
    names = {
        table
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_name != 'schema_migrations'"
        ).fetchall()
    }
    assert {"torrents", "files", "observations", "rejects", "runs"} <= names
    assert {"hash_lists", "hash_list_entries", "hash_list_rejects"} <= names
    assert {"hash_list_latest_entries", "torrent_hash_list_matches"} <= names
    missing = [
        f"{name} (table or view)"
        for name in sorted(names)
        if f"## `{name}`" not in documented and not re.search(rf"^## .*`{name}`", documented, re.M)
    ]
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_name != 'schema_migrations'"
    ).fetchall():
        if not re.search(rf"`{re.escape(column)}`", documented):
            missing.append(f"{table}.{column}")
    assert missing == []


def test_profile_columns_exist_in_schema():
    con = connect(":memory:")
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'torrents'"
        ).fetchall()
    )
    for name, sql_type in PROFILE_COLUMNS:
        assert name in types, name
        assert types[name] == sql_type, (name, types[name], sql_type)


def test_second_writer_gets_a_clear_error(db_path):
    con = connect(db_path, create=True)
    code = (
        "import sys\n"
        "from warehouse.db import connect\n"
        "from common.errors import WarehouseLocked\n"
        "try:\n"
        f"    connect({str(db_path)!r})\n"
        "except WarehouseLocked as exc:\n"
        "    print(exc.code, exc); sys.exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    con.close()
    assert result.returncode == 3, result.stderr
    assert "warehouse.locked" in result.stdout
    assert "only one writer" in result.stdout
    assert issubclass(WarehouseLocked, WarehouseError)


def test_load_sql_inserts_new_and_only_upgrades_magnet_rows():
    assert insert_torrents_sql(["infohash", "name"]) == (
        "INSERT INTO torrents (infohash, name, first_seen, last_seen, first_run_id, last_run_id)\n"
        "SELECT infohash, name, first_seen, last_seen, $run_id, $run_id\n"
        "FROM batch_torrents ANTI JOIN batch_known USING (infohash)"
    )
    upgrade = upgrade_torrents_sql(["infohash", "has_metadata", "name"])
    assert upgrade.startswith("UPDATE torrents SET has_metadata = b.has_metadata, name = b.name\n")
    assert upgrade.endswith("AND b.has_metadata AND NOT torrents.has_metadata")


def test_a_failing_batch_leaves_the_warehouse_as_it_was(db_path, torrent_folder):
    from parsers.inputs import discover
    from torrentwatch.ingest import ingest, parse_chunk

    ingest([torrent_folder], db_path, workers=1)
    con = connect(db_path)
    before = con.execute(
        "SELECT (SELECT count(*) FROM torrents), (SELECT count(*) FROM files),"
        " (SELECT count(*) FROM observations)"
    ).fetchone()
    batch = parse_chunk(list(discover([torrent_folder]))).batch
    # Sabotage the files table of the batch after torrents were upserted.
    bad_files = batch.files.set_column(
        batch.files.schema.get_field_index("size"),
        "size",
        pa.array(["not a number"] * batch.files.num_rows),
    )
    broken = type(batch)(batch.torrents, bad_files, batch.observations, batch.rejects)
    con.execute("DELETE FROM files")  # so the batch must insert files again
    con.execute("UPDATE torrents SET has_metadata = false")
    snapshot = con.execute(
        "SELECT (SELECT count(*) FROM torrents), (SELECT count(*) FROM files),"
        " (SELECT count(*) FROM observations)"
    ).fetchone()
    with pytest.raises(WarehouseError):
        load_batch(con, broken, "run-x")
    after = con.execute(
        "SELECT (SELECT count(*) FROM torrents), (SELECT count(*) FROM files),"
        " (SELECT count(*) FROM observations)"
    ).fetchone()
    assert after == snapshot
    assert con.execute("SELECT bool_and(NOT has_metadata) FROM torrents").fetchone()[0]
    assert before[0] == snapshot[0]
    con.close()


def test_read_only_queries_cannot_write(db_path, torrent_folder):
    from torrentwatch.ingest import ingest
    from torrentwatch.query import QueryError, sql

    ingest([torrent_folder], db_path, workers=1)
    with pytest.raises(QueryError):
        sql(db_path, "DELETE FROM torrents")
    assert sql(db_path, "SELECT count(*) AS n FROM torrents").column("n")[0].as_py() == 40


def test_bulk_loads_leave_no_table_pages_cached(tmp_path):
    """A writer opened with a memory limit drops the pages each load wrote from DuckDB's
    buffer pool (they are on disk), so its memory does not grow with the run; the
    configured limit is restored exactly."""
    from datetime import UTC, datetime

    from testkit.magnetico_exports import write_synthetic_export
    from torrentwatch.import_magnetico import load_magnetico
    from warehouse.runs import start_run

    export = write_synthetic_export(tmp_path / "e.jsonl", 20_000)
    con = connect(tmp_path / "w.duckdb", create=True, memory_limit="256MB")
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    run_id = start_run(con, "test")
    load_magnetico(
        con, export, source="s", source_ref="e", seen_at=datetime.now(UTC), run_id=run_id
    )
    cached = con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'BASE_TABLE'"
    ).fetchone()[0]
    assert con.execute("SELECT count(*) FROM files").fetchone()[0] > 100_000
    assert cached < 1 << 20  # without the release: about 9 MB for this load
    assert con.execute("SELECT current_setting('memory_limit')").fetchone() == limit
    con.close()


def test_no_session_prints_a_progress_bar(tmp_path):
    """DuckDB prints its progress bar to standard output after two seconds: it landed in
    `sql --format csv` output and among a command's lines. Off for every session."""
    from warehouse_copies import file_catalog_lake

    lake = file_catalog_lake(tmp_path)
    db = tmp_path / "w.duckdb"
    for target, options in [
        (":memory:", {}),
        (db, {"create": True}),
        (db, {"read_only": True}),
        (lake, {"create": True}),
        (lake, {"read_only": True}),
    ]:
        con = connect(target, **options)
        try:
            shown = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
            assert shown == (False,), (target, options)
        finally:
            con.close()


def test_the_documented_copy_moves_an_old_format_warehouse_to_the_new_one(tmp_path):
    """data-dictionary.md's recipe: the copy keeps every row, and flag runs on it
    incrementally from the flag run made before the copy."""
    from conftest import write_torrents

    from torrentwatch.flag import flag
    from torrentwatch.ingest import ingest
    from torrentwatch.synth import synthetic_specs

    old_path, new_path = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    duckdb.connect(str(old_path)).close()  # made by DuckDB's default: the 1.0 format
    ingest(
        write_torrents(tmp_path / "in", list(synthetic_specs(20, files_per_torrent=3))), old_path
    )
    flag(old_path)
    counts = "SELECT " + ", ".join(
        f"(SELECT count(*) FROM {t})" for t in ("torrents", "files", "flags")
    )
    con = connect(old_path, read_only=True)
    before = con.execute(counts).fetchone()
    con.close()
    copier = duckdb.connect()
    copier.execute(
        f"ATTACH '{old_path}' AS old (READ_ONLY); ATTACH '{new_path}' AS new"
        " (STORAGE_VERSION 'v1.5.0'); COPY FROM DATABASE old TO new;"
    )
    copier.close()
    con = connect(new_path, read_only=True)
    assert _storage_version(con) == "v1.5.0+"
    assert con.execute(counts).fetchone() == before
    con.close()
    ingest(write_torrents(tmp_path / "more", list(synthetic_specs(5, seed=99))), new_path)
    assert flag(new_path).mode == "incremental"
