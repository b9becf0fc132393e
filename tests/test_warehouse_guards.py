"""What `warehouse.db.connect` refuses for every command: a missing warehouse (only the
gathering commands create one), a warehouse written by a newer schema (an older one is
brought up to date, even by a reader); and a full disk
during a load, which says so and keeps the warehouse as it was (a real full tmpfs)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from cli_runner import run_cli
from conftest import write_torrents
from warehouse_copies import older_warehouse

from common.errors import (
    WarehouseLocked,
    WarehouseMissing,
    WarehouseSchemaNewer,
    WarehouseSchemaOlder,
)
from torrentwatch.synth import synthetic_specs
from warehouse.db import connect, latest_known_version

INFOHASH = "0123456789abcdef0123456789abcdef01234567"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- item 12: only the gathering commands (and demo) create a warehouse -----------

# Every command that reads or writes an existing warehouse, with the arguments it needs.
NEEDS_A_WAREHOUSE: dict[str, list[str]] = {
    "flag": ["flag"],
    "explain": ["explain", INFOHASH],
    "stats": ["stats"],
    "sql": ["sql", "SELECT 1"],
    "review queue": ["review", "queue"],
    "review show": ["review", "show", INFOHASH],
    "review decide": ["review", "decide", INFOHASH, "confirm", "--rationale",
                      "disguised-payload", "--analyst", "ana"],
    "review bulk": ["review", "bulk", "SELECT 1 AS infohash", "dismiss", "--rationale",
                    "duplicate", "--analyst", "ana"],
    "review policy": ["review", "policy"],
    "review policy set": ["review", "policy", "--two-person", "--analyst", "ana"],
    "export": ["export", "--target", "hotline"],
    "hashlist list": ["hashlist", "list"],
}  # fmt: skip


@pytest.mark.parametrize("command", NEEDS_A_WAREHOUSE, ids=list(NEEDS_A_WAREHOUSE))
def test_commands_that_need_a_warehouse_refuse_a_missing_one(tmp_path, command):
    (tmp_path / "list.txt").write_text(f"{INFOHASH}\n", encoding="utf-8")
    args = [str(tmp_path / "list.txt") if a == "LIST" else a for a in NEEDS_A_WAREHOUSE[command]]
    typo = tmp_path / "typo.duckdb"
    out = run_cli(*args, "--db", str(typo), cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "[warehouse.missing]" in out.stderr and str(typo) in out.stderr
    assert "torrentwatch ingest" in out.stderr and "Traceback" not in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.txt"]


def test_library_functions_refuse_a_missing_warehouse_too(tmp_path):
    from torrentwatch.flag import flag
    from torrentwatch.hashlist import hashlist_list
    from torrentwatch.review import review_queue

    typo = tmp_path / "typo.duckdb"
    for call in (lambda: flag(typo), lambda: review_queue(typo), lambda: hashlist_list(typo)):
        with pytest.raises(WarehouseMissing, match=r"typo\.duckdb"):
            call()
    with pytest.raises(WarehouseMissing):
        connect(typo)
    assert list(tmp_path.iterdir()) == []


def test_the_gathering_commands_still_create_a_warehouse(tmp_path):
    write_torrents(tmp_path / "in", list(synthetic_specs(3, files_per_torrent=2)))
    made = run_cli("ingest", str(tmp_path / "in"), "--db", str(tmp_path / "i.duckdb"))
    assert made.returncode == 0, made.stderr
    export = tmp_path / "m.jsonl"
    from testkit.magnetico_exports import write_synthetic_export

    write_synthetic_export(export, 5)
    imported = run_cli("import", "magnetico", str(export), "--db", str(tmp_path / "m.duckdb"))
    assert imported.returncode == 0, imported.stderr
    (tmp_path / "list.txt").write_text(f"{INFOHASH}\n", encoding="utf-8")
    listed = run_cli(
        "hashlist", "import", str(tmp_path / "list.txt"), "--name", "known",
        "--db", str(tmp_path / "h.duckdb"),
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    connect(tmp_path / "c.duckdb", create=True).close()
    for name in ("i.duckdb", "m.duckdb", "h.duckdb", "c.duckdb"):
        con = connect(tmp_path / name, read_only=True)
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
            latest_known_version(),
        )
        con.close()


# --- item 11: a warehouse written by a newer schema is refused ------------------------


@pytest.fixture
def newer_warehouse(tmp_path) -> Path:
    path = tmp_path / "newer.duckdb"
    con = connect(path, create=True)
    con.execute(
        "INSERT INTO schema_migrations (version, name) VALUES (?, 'from_the_future')",
        [latest_known_version() + 1],
    )
    con.close()
    return path


@pytest.mark.parametrize("read_only", [False, True])
def test_connect_refuses_a_newer_schema_naming_both_versions(newer_warehouse, read_only):
    before = _sha256(newer_warehouse)
    with pytest.raises(WarehouseSchemaNewer) as refused:
        connect(newer_warehouse, read_only=read_only)
    known = latest_known_version()
    assert f"schema version {known + 1}" in str(refused.value)
    assert f"versions up to {known}" in str(refused.value)
    assert _sha256(newer_warehouse) == before


@pytest.mark.parametrize(
    "args", [["flag"], ["ingest", "IN"], ["sql", "SELECT 1"], ["review", "queue"]]
)
def test_commands_refuse_a_newer_schema_and_leave_it_alone(newer_warehouse, tmp_path, args):
    write_torrents(tmp_path / "in", list(synthetic_specs(2, files_per_torrent=2)))
    args = [str(tmp_path / "in") if a == "IN" else a for a in args]
    before = _sha256(newer_warehouse)
    out = run_cli(*args, "--db", str(newer_warehouse))
    assert out.returncode == 1
    assert "[warehouse.schema_newer]" in out.stderr and "Traceback" not in out.stderr
    assert _sha256(newer_warehouse) == before


# --- a warehouse an older torrentwatch wrote is brought up to date, even by readers -----


def test_a_reader_upgrades_an_older_warehouse_before_reading(tmp_path):
    path = tmp_path / "older.duckdb"
    older_warehouse(path, 8)
    out = run_cli("sql", "SELECT count(*) AS n FROM torrents", "--db", str(path))
    assert out.returncode == 0, out.stderr
    out = run_cli("explain", INFOHASH, "--db", str(path))
    assert out.returncode == 1 and "Binder" not in out.stderr, out.stderr
    con = connect(path, read_only=True)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (
        latest_known_version(),
    )
    con.close()


def test_a_reader_of_an_older_warehouse_a_writer_took_meanwhile_is_told_why(tmp_path, monkeypatch):
    """While a process writes, DuckDB lets no other process open the file at all
    (WarehouseLocked); a writer that starts between the reader's look and its upgrade
    makes the upgrade's own open fail like that, and the reader says what to do."""
    import warehouse.db as db

    path = tmp_path / "older.duckdb"
    older_warehouse(path, 8)
    real_open = db._open

    def writer_took_it(target, read_only, config):
        if not read_only:
            raise WarehouseLocked(f"{target} is open for writing in another process")
        return real_open(target, read_only, config)

    monkeypatch.setattr(db, "_open", writer_took_it)
    with pytest.raises(WarehouseSchemaOlder, match=r"another process is writing it"):
        connect(path, read_only=True)


def test_a_reader_leaves_a_file_that_is_no_warehouse_alone(tmp_path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE notes (x INTEGER)").close()
    before = _sha256(path)
    connect(path, read_only=True).close()
    assert _sha256(path) == before


# --- item 10: a full disk during a load -----------------------------------------------

# In a private mount namespace: a tmpfs too small for the input, with ballast to free
# afterwards. Prints nothing; writes rc and outputs next to the test's files.
FILL_SCRIPT = """
set -u
mount -t tmpfs -o size=8m tmpfs "$MNT"
head -c 3000000 /dev/zero > "$MNT/ballast"
"$PY" -m torrentwatch ingest "$IN1" --db "$MNT/w.duckdb" --workers 1 --chunk 100 --batch 100 \
    > "$OUT/out1" 2> "$OUT/err1"
echo $? > "$OUT/rc1"
rm "$MNT/ballast"
"$PY" -c "$COUNT" "$MNT/w.duckdb" > "$OUT/counts1"
"$PY" -m torrentwatch ingest "$IN2" --db "$MNT/w.duckdb" --workers 1 > "$OUT/out2" 2> "$OUT/err2"
echo $? > "$OUT/rc2"
"$PY" -c "$COUNT" "$MNT/w.duckdb" > "$OUT/counts2"
"""

COUNT = """
import json, sys
from warehouse.db import connect
con = connect(sys.argv[1], read_only=True)
row = con.execute(
    "SELECT (SELECT count(*) FROM torrents), (SELECT sum(file_count) FROM torrents),"
    " (SELECT count(*) FROM files), (SELECT count(*) FROM observations),"
    " (SELECT list(status ORDER BY started_at) FROM runs)"
).fetchone()
print(json.dumps(dict(zip(["torrents", "file_count", "files", "observations", "runs"], row))))
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_a_full_disk_says_so_and_keeps_whole_batches(tmp_path):
    import os

    write_torrents(tmp_path / "in1", list(synthetic_specs(1000, files_per_torrent=20)))
    write_torrents(tmp_path / "in2", list(synthetic_specs(20, files_per_torrent=3, seed=5000)))
    (tmp_path / "mnt").mkdir()
    env = os.environ | {
        "MNT": str(tmp_path / "mnt"),
        "OUT": str(tmp_path),
        "IN1": str(tmp_path / "in1"),
        "IN2": str(tmp_path / "in2"),
        "PY": sys.executable,
        "COUNT": COUNT,
    }
    ran = subprocess.run(
        ["unshare", "-m", "sh", "-c", FILL_SCRIPT], env=env, capture_output=True, text=True
    )
    if "unshare" in ran.stderr and not (tmp_path / "rc1").exists():
        pytest.fail(f"unshare -m is not permitted here: {ran.stderr}")

    def read(name: str) -> str:
        return (tmp_path / name).read_text(encoding="utf-8")

    err1 = read("err1")
    assert read("rc1").strip() == "1", err1
    assert "[warehouse.disk_full]" in err1 and "w.duckdb" in err1
    assert "No space left on device" in err1
    assert "Traceback" not in err1 and "cannot rollback" not in err1
    first = json.loads(read("counts1"))
    # Some batches committed before the disk filled; each of them whole, none in part.
    assert 0 < first["torrents"] < 1000 and first["torrents"] % 100 == 0, first
    assert first["files"] == first["file_count"] and first["observations"] == first["torrents"]
    assert first["runs"] == ["failed"]
    assert read("rc2").strip() == "0", read("err2")
    second = json.loads(read("counts2"))
    assert second["torrents"] == first["torrents"] + 20
    assert second["files"] == second["file_count"]
    assert second["runs"] == ["failed", "completed"]
