"""The DuckLake warehouse: the same pipeline, the same answers as the DuckDB file.

Every lake here is a real one: a catalog in a DuckDB file (quick loop) or in a real
PostgreSQL 15 started on 127.0.0.1 (slow), data in Parquet files in a temporary folder,
the extensions loaded from their PyPI wheels. The whole suite runs in a network namespace
holding only loopback (scripts/isolated.sh), so a code path that fetched an extension
would fail here.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from warehouse_copies import file_catalog_lake as file_catalog

from common.errors import (
    ExtensionMissing,
    LakeTargetInvalid,
    QueryExternalAccess,
    WarehouseMissing,
)
from torrentwatch.demo import demo_data_dir
from torrentwatch.export import export
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.review import review_decide, review_queue
from warehouse.db import connect, latest_known_version
from warehouse.extensions import extension_file
from warehouse.guarded import run_guarded
from warehouse.lake import parse_target

# What both backends must agree on, row for row (times and run ids differ by nature).
SAME_ROWS = {
    "torrents": "SELECT infohash, infohash_v1, infohash_v2, name, name_norm, total_size,"
    " file_count, claimed_category, claimed_platform, claimed_nature, dominant_kind"
    " FROM torrents ORDER BY infohash",
    "files": "SELECT infohash, file_index, path, size, kind FROM files ORDER BY ALL",
    "flags": "SELECT infohash, rule_id, rule_version, level, score, evidence::VARCHAR,"
    " active FROM flags ORDER BY ALL",
    "rejects": "SELECT source, source_ref, sha256, reason, detail FROM rejects ORDER BY ALL",
    "review_status": "SELECT infohash, rule_ids, levels, current_evidence_sha256, latest_seq,"
    " latest_decision, latest_analyst, decisions, confirmers, confirmed, status"
    " FROM review_status ORDER BY ALL",
}


def test_a_target_names_its_catalog_and_data_path() -> None:
    lake = parse_target("ducklake:postgres:dbname=tw host=127.0.0.1;data_path=/srv/lake/")
    assert (lake.catalog, lake.data_path, lake.catalog_kind) == (
        "postgres:dbname=tw host=127.0.0.1",
        "/srv/lake/",
        "postgres",
    )
    assert parse_target("ducklake:/srv/meta.ducklake").catalog_kind == "duckdb"
    shown = parse_target("ducklake:postgres:dbname=tw password=s3cret").shown
    assert "s3cret" not in shown and "password=***" in shown
    hidden = parse_target("ducklake:/srv/\u202egpj.ducklake").shown
    assert "\u202e" not in hidden and "<U+202E>" in hidden
    assert len(parse_target("ducklake:/srv/" + "b" * 5000).shown) < 400


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("ducklake:" + "a" * 100_000, "a lake target .* has at most 8,192"),
        ("ducklake:", "names no catalog"),
        ("ducklake:;data_path=/x", "names no catalog"),
        ("ducklake:postgres:dbname=tw;datapath=/x", "only ';data_path=PATH' may follow"),
        ("ducklake:postgres:dbname=tw;data_path=", "only ';data_path=PATH' may follow"),
    ],
)
def test_a_bad_target_is_refused_with_what_to_write(target: str, words: str) -> None:
    with pytest.raises(LakeTargetInvalid, match=words) as caught:
        connect(target)
    assert caught.value.code == "warehouse.lake_target"


def test_a_missing_extension_wheel_names_the_package_to_install() -> None:
    with pytest.raises(ExtensionMissing, match=r"duckdb-extension-no-such-thing==1\.5\.5"):
        extension_file("no_such_thing")
    assert extension_file("ducklake").is_file()


def _rows(db: str | Path) -> dict[str, list[tuple]]:
    con = connect(db, read_only=True)
    try:
        return {name: con.execute(query).fetchall() for name, query in SAME_ROWS.items()}
    finally:
        con.close()


def _export_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ignored = {"batch_id", "first_seen", "last_seen", "sources", "decided_at", "reviews"}
    return [{k: v for k, v in row.items() if k not in ignored} for row in rows]


def _pipeline(db: str, out: Path) -> list[dict[str, str]]:
    """Ingest and flag the demo data, two analysts confirm the first queued torrent, one
    dismisses the second; export. The exported rows."""
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    queue = review_queue(db).column("infohash").to_pylist()
    assert len(queue) >= 2
    for analyst in ("alice", "bob"):
        review_decide(
            db, queue[0], decision="confirm", rationale="disguised-payload", analyst=analyst
        )
    review_decide(db, queue[1], decision="dismiss", rationale="rule-misfire", analyst="carol")
    result = export(db, target="hotline-a", out_dir=out)
    assert result.items == 1 and result.file is not None
    assert export(db, target="hotline-a", out_dir=out).batch_id is None
    return _export_rows(result.file)


def _magnetico(db: str, export_path: Path) -> tuple:
    """A magnetico export imported twice, the second time resumed (nothing new)."""
    from torrentwatch.import_magnetico import import_magnetico

    first = import_magnetico(export_path, db, workers=1)
    again = import_magnetico(export_path, db, workers=1, resume=True)
    return first.as_dict() | {"run_id": None}, again.as_dict() | {"run_id": None}


def _lake_same_as_file(lake: str, tmp_path: Path) -> None:
    from testkit.magnetico_exports import write_synthetic_export

    file_db = str(tmp_path / "file.duckdb")
    assert _pipeline(lake, tmp_path / "lake-out") == _pipeline(file_db, tmp_path / "file-out")
    export_path = write_synthetic_export(tmp_path / "export.jsonl", 300, varied=True)
    assert _magnetico(lake, export_path) == _magnetico(file_db, export_path)
    lake_rows, file_rows = _rows(lake), _rows(file_db)
    for name in SAME_ROWS:
        assert lake_rows[name] == file_rows[name], name
    assert lake_rows["flags"] and lake_rows["files"]


def _schema(db: str) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns()"
            " WHERE database_name = current_database() AND schema_name = 'main'"
            " ORDER BY table_name, column_index"
        ).fetchall()
    finally:
        con.close()


def _lake_schema_is_the_files(lake: str, tmp_path: Path) -> None:
    connect(lake, create=True).close()
    file_db = tmp_path / "schema.duckdb"
    connect(file_db, create=True).close()
    assert _schema(lake) == _schema(str(file_db))
    con = connect(lake, read_only=True)
    try:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            latest_known_version(),
        )
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
            latest_known_version(),
        )
    finally:
        con.close()


def _missing_lake_is_not_made(lake: str) -> None:
    """Only the gathering commands create a warehouse; a mistyped target elsewhere is an
    error, not an empty lake."""
    for read_only in (True, False):
        with pytest.raises(WarehouseMissing, match="no lake warehouse in the catalog"):
            connect(lake, read_only=read_only)
    with pytest.raises(WarehouseMissing):
        flag(lake)


def _guarded_reads_the_lake_only(lake: str) -> None:
    assert run_guarded(lake, "SELECT count(*) AS n FROM torrents").column("n")[0].as_py() > 0
    with pytest.raises(QueryExternalAccess):
        run_guarded(lake, "SELECT * FROM read_text('/etc/hostname')")


# --- a lake with its catalog in a DuckDB file: the quick loop ----------------------------


@pytest.fixture
def file_catalog_lake(tmp_path: Path) -> str:
    return file_catalog(tmp_path)


def test_file_catalog_lake_runs_the_pipeline_like_a_file(
    file_catalog_lake: str, tmp_path: Path
) -> None:
    _lake_same_as_file(file_catalog_lake, tmp_path)
    _guarded_reads_the_lake_only(file_catalog_lake)


def test_file_catalog_lake_schema_is_the_migrations(file_catalog_lake: str, tmp_path) -> None:
    _missing_lake_is_not_made(file_catalog_lake)
    _lake_schema_is_the_files(file_catalog_lake, tmp_path)
    # opening again applies nothing twice
    _lake_schema_is_the_files(file_catalog_lake, tmp_path)


@pytest.mark.slow  # needs the loopback-only namespace (scripts/isolated.sh)
def test_the_lake_runs_air_gapped_from_the_installed_wheels(
    loopback_only, file_catalog_lake: str, tmp_path: Path
) -> None:
    """In a network namespace with only loopback (the fixture fails otherwise), with
    DuckDB's extension folder pointed at an empty one: the lake opens, loads and reads,
    so nothing was fetched or taken from an install; the extension is loaded, never
    installed, and DuckDB may not fetch or autoload anything on its own."""
    empty = tmp_path / "no-extensions-here"
    empty.mkdir()
    con = connect(file_catalog_lake, create=True, settings={"extension_directory": str(empty)})
    try:
        loaded = dict(
            con.execute(
                "SELECT extension_name, install_mode FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        )
        assert loaded["ducklake"] == "NOT_INSTALLED"
        assert con.execute(
            "SELECT current_setting('autoinstall_known_extensions'),"
            " current_setting('autoload_known_extensions')"
        ).fetchone() == (False, False)
        assert con.execute("SELECT count(*) FROM torrents").fetchone() == (0,)
    finally:
        con.close()
    assert list(empty.iterdir()) == []


# --- a lake with its catalog in a real PostgreSQL -----------------------------------------


@pytest.fixture
def pg_lake(postgres, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    name = "lake_" + request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    return postgres.new_lake(name[:60].lower(), tmp_path)


@pytest.mark.slow
def test_postgres_lake_runs_the_pipeline_like_a_file(pg_lake: str, tmp_path: Path) -> None:
    _lake_same_as_file(pg_lake, tmp_path)
    _guarded_reads_the_lake_only(pg_lake)


@pytest.mark.slow
def test_postgres_lake_schema_is_the_migrations(pg_lake: str, tmp_path: Path) -> None:
    _missing_lake_is_not_made(pg_lake)
    _lake_schema_is_the_files(pg_lake, tmp_path)


@pytest.mark.slow
def test_postgres_lake_takes_two_loaders_and_a_reader_at_once(
    pg_lake: str, tmp_path: Path, torrent_writer
) -> None:
    """Two ingest processes (disjoint inputs) and a reader on one lake at the same time:
    every torrent in, nobody refused (a DuckDB file would lock out all but one)."""
    from torrentwatch.synth import synthetic_specs

    specs = list(synthetic_specs(120, files_per_torrent=3))
    torrent_writer(tmp_path / "a", specs[:60])
    torrent_writer(tmp_path / "b", specs[60:])
    connect(pg_lake, create=True).close()  # made and migrated once, before the race
    reader = (
        "import sys, time\n"
        "from warehouse.db import connect\n"
        "for _ in range(20):\n"
        "    con = connect(sys.argv[1], read_only=True)\n"
        "    con.execute('SELECT count(*) FROM torrents').fetchone()\n"
        "    con.close()\n"
        "    time.sleep(0.05)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "torrentwatch", "ingest", "--db", pg_lake, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in (tmp_path / "a", tmp_path / "b")
    ]
    procs.append(
        subprocess.Popen(
            [sys.executable, "-c", reader, pg_lake],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    con = connect(pg_lake, read_only=True)
    try:
        counts = con.execute("SELECT count(*), count(DISTINCT infohash) FROM torrents").fetchone()
        runs = con.execute(
            "SELECT count(*) FROM runs WHERE command = 'ingest' AND status = 'completed'"
        ).fetchone()
    finally:
        con.close()
    assert counts == (120, 120)
    assert runs == (2,)


# --- write lanes: overlapping writes of one kind are ordered, none lost, none doubled ----


@pytest.mark.slow
def test_a_write_overtaken_by_another_runs_again_on_the_newer_snapshot(pg_lake: str) -> None:
    """Two sessions on one lake both add 'the next number' to a table. B commits while A
    is in the middle of its transaction: A's commit is refused and A runs again, now
    seeing B's row, so the numbers come out 1 and 2 (without the lane both would be 1)."""
    from warehouse.lanes import serialized

    a = connect(pg_lake, create=True)
    b = connect(pg_lake)
    a.execute("CREATE TABLE numbers (n INTEGER)")
    attempts = []

    def add_next(con):
        con.execute("INSERT INTO numbers SELECT coalesce(max(n), 0) + 1 FROM numbers")

    def a_body():
        attempts.append(1)
        add_next(a)
        if len(attempts) == 1:  # B overtakes A once
            serialized(b, "load", "b's write", lambda: add_next(b))

    try:
        serialized(a, "load", "a's write", a_body)
        assert len(attempts) == 2
        assert a.execute("SELECT n FROM numbers ORDER BY n").fetchall() == [(1,), (2,)]
        assert a.execute("SELECT commits FROM lane_load").fetchone() == (2,)
    finally:
        a.close()
        b.close()


@pytest.mark.slow
def test_writes_of_other_lanes_do_not_wait_for_each_other(pg_lake: str) -> None:
    from warehouse.lanes import serialized

    a = connect(pg_lake, create=True)
    b = connect(pg_lake)
    attempts = []

    def a_body():
        attempts.append(1)
        if len(attempts) == 1:
            serialized(b, "review", "b's write", lambda: None)

    try:
        serialized(a, "load", "a's write", a_body)
        assert len(attempts) == 1
    finally:
        a.close()
        b.close()


@pytest.mark.slow
def test_postgres_lake_two_loaders_racing_on_the_same_torrents_add_each_once(
    pg_lake: str, tmp_path: Path, torrent_writer
) -> None:
    """Two ingest processes of the same 300 torrents at once: each torrent and file once,
    two sightings each, exactly as the two ingests one after the other on a file."""
    from torrentwatch.synth import synthetic_specs

    specs = list(synthetic_specs(300, files_per_torrent=3))
    torrent_writer(tmp_path / "same", specs)
    connect(pg_lake, create=True).close()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "torrentwatch",
                "ingest",
                "--db",
                pg_lake,
                "--batch",
                "50",
                str(tmp_path / "same"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    file_db = tmp_path / "file.duckdb"
    for _ in range(2):
        ingest([tmp_path / "same"], file_db, workers=1, batch_size=50)
    counts = (
        "SELECT (SELECT count(*) FROM torrents), (SELECT count(DISTINCT infohash) FROM torrents),"
        " (SELECT count(*) FROM files), (SELECT count(*) FROM observations),"
        " (SELECT count(*) FROM (SELECT infohash FROM observations GROUP BY ALL"
        "  HAVING count(*) <> 2))"
    )
    seen = {}
    for db in (pg_lake, str(file_db)):
        con = connect(db, read_only=True)
        try:
            seen[db] = con.execute(counts).fetchone()
        finally:
            con.close()
    assert seen[pg_lake] == seen[str(file_db)] == (300, 300, 900, 600, 0)
