"""The guarded query runner (`sql`, `stats`, `review bulk`): an analyst's SQL reads the
warehouse and nothing else. Every hostile query is refused with its code, and the
warehouse file's sha256 and the files around it are unchanged afterwards."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runner import run_cli

from common.errors import QueryError, QueryRefused, ReviewInvalid
from torrentwatch.query import sql, stats
from torrentwatch.review import review_bulk
from warehouse.guarded import GUARD_SETTINGS, open_guarded

# {w}: the warehouse file, {d}: its folder (which also holds a CSV and a Parquet file).
HOSTILE: list[tuple[str, str]] = [
    ("COPY (SELECT 'gone' x) TO '{w}' (FORMAT csv)", "query.not_read_only"),
    ("copy (select 1 as x) to '{d}/out.csv'", "query.not_read_only"),
    ("/* tidy up */ COPY torrents TO '{d}/t.parquet' (FORMAT parquet)", "query.not_read_only"),
    ("ATTACH '{d}/other.duckdb' AS a (READ_WRITE)", "query.not_read_only"),
    ("attach '{d}/brand-new.duckdb' as n", "query.not_read_only"),
    ("ATTACH '{d}/other.duckdb' AS a (READ_WRITE); DELETE FROM a.torrents",
     "query.multiple_statements"),
    ("EXPORT DATABASE '{d}/exported'", "query.not_read_only"),
    ("DELETE FROM torrents", "query.not_read_only"),
    ("-- harmless, surely\ndelete from flags", "query.not_read_only"),
    ("WITH x AS (SELECT infohash FROM torrents) DELETE FROM torrents WHERE infohash IN "
     "(SELECT infohash FROM x)", "query.not_read_only"),
    ("UPDATE torrents SET name = 'x'", "query.not_read_only"),
    ("CREATE TEMP TABLE t AS SELECT 1", "query.not_read_only"),
    ("DROP VIEW review_queue", "query.not_read_only"),
    ("CHECKPOINT", "query.not_read_only"),
    ("CALL pragma_version()", "query.not_read_only"),
    ("DETACH warehouse", "query.not_read_only"),
    ("BEGIN TRANSACTION", "query.not_read_only"),
    ("SELECT * FROM read_text('/etc/passwd')", "query.external_access"),
    ("select * from glob('/root/*')", "query.external_access"),
    ("WITH h AS (SELECT * FROM read_text('/etc/hostname')) SELECT * FROM h",
     "query.external_access"),
    ("SELECT * FROM (SELECT * FROM glob('{d}/*'))", "query.external_access"),
    ("FROM '{d}/file.csv'", "query.external_access"),
    ("SELECT * FROM read_csv('{d}/file.csv')", "query.external_access"),
    ("SELECT * FROM read_parquet('{d}/x.parquet')", "query.external_access"),
    ("SELECT * FROM query('SELECT * FROM read_blob(''/etc/hostname'')')",
     "query.external_access"),
    ("SET threads = 1", "query.settings"),
    ("set enable_external_access = true", "query.settings"),
    ("RESET memory_limit", "query.settings"),
    ("SET VARIABLE x = 1", "query.settings"),
    ("USE memory", "query.settings"),
    ("PRAGMA enable_profiling", "query.settings"),
    ("INSTALL httpfs", "query.extension"),
    ("load httpfs", "query.extension"),
    ("UPDATE EXTENSIONS", "query.extension"),
    ("SELECT 1; SELECT 2", "query.multiple_statements"),
    ("SELECT 1; DROP TABLE flags", "query.multiple_statements"),
    ("EXPLAIN ANALYZE COPY torrents TO '{d}/e.csv'", "query.not_a_query"),
    ("", "query.empty"),
    (" ; -- nothing here\n", "query.empty"),
    ("SELEC nonsense", "query.syntax"),
]  # fmt: skip

ALLOWED = [
    "SELECT count(*) AS n FROM torrents",
    "select count(*) as n from torrents;",
    "SELECT count(*) AS n FROM torrents -- how many?",
    "/* the queue */ SELECT count(*) AS n FROM review_queue;",
    "WITH t AS (SELECT * FROM torrents) SELECT count(*) AS n FROM t",
    "FROM files SELECT count(*) AS n",
    "SELECT count(*) AS n FROM flagged_torrents",
    "DESCRIBE torrents",
    "SHOW TABLES",
    "SUMMARIZE files",
    "PRAGMA table_info('torrents')",
    "SELECT * FROM duckdb_tables()",
    "VALUES (1, 'a')",
]


@pytest.fixture(scope="module")
def warehouse(flagged_demo_template: Path, tmp_path_factory) -> Path:
    """A copy of the flagged demo in a folder of its own, with files a query might try."""
    folder = tmp_path_factory.mktemp("guarded")
    path = folder / "w.duckdb"
    path.write_bytes(flagged_demo_template.read_bytes())
    (folder / "other.duckdb").write_bytes(flagged_demo_template.read_bytes())
    (folder / "file.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    pq.write_table(pa.table({"a": [1]}), folder / "x.parquet")
    return path


def _state(path: Path) -> tuple[str, str, list[str]]:
    """The warehouse's and its neighbour's sha256, and every file under their folder."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    other = hashlib.sha256((path.parent / "other.duckdb").read_bytes()).hexdigest()
    return digest, other, sorted(str(p) for p in path.parent.rglob("*"))


def _text(query: str, warehouse: Path) -> str:
    return query.format(w=warehouse, d=warehouse.parent)


@pytest.mark.parametrize(("query", "code"), HOSTILE, ids=[q[:40] for q, _ in HOSTILE])
def test_the_library_refuses_hostile_queries_and_changes_nothing(warehouse, query, code):
    before = _state(warehouse)
    with pytest.raises(QueryRefused) as refused:
        sql(warehouse, _text(query, warehouse))
    assert refused.value.code == code, str(refused.value)
    assert "refused" in str(refused.value)
    assert _state(warehouse) == before


CLI_HOSTILE = [HOSTILE[i] for i in (0, 3, 5, 6, 17, 18, 25, 31, 34)]


@pytest.mark.parametrize(("query", "code"), CLI_HOSTILE, ids=[q[:40] for q, _ in CLI_HOSTILE])
def test_the_cli_refuses_hostile_queries_and_changes_nothing(warehouse, query, code):
    before = _state(warehouse)
    out = run_cli(
        "sql", _text(query, warehouse), "--db", warehouse, cwd=warehouse.parent, columns=200
    )
    assert out.returncode == 1, out.stderr
    assert f"[{code}]" in out.stderr and "Traceback" not in out.stderr
    assert out.stdout == ""
    assert _state(warehouse) == before


@pytest.mark.parametrize("query", ALLOWED)
def test_analysts_queries_over_tables_and_views_still_run(warehouse, query):
    before = _state(warehouse)
    table = sql(warehouse, query)
    assert table.num_rows >= 1
    if "AS n" in query or " as n" in query:
        assert table.column("n")[0].as_py() > 0
    assert _state(warehouse) == before


def test_stats_runs_under_the_same_guard(warehouse):
    before = _state(warehouse)
    sections = stats(warehouse).sections
    assert sections["tables"].num_rows > 0
    assert _state(warehouse) == before


def test_the_lock_down_holds_after_the_warehouse_is_open(warehouse):
    """DuckDB 1.5.5 keeps every guard setting on a read-only open (checked, not assumed)."""
    with open_guarded(warehouse) as guarded:
        for name, value in GUARD_SETTINGS.items():
            shown = guarded.con.execute(f"SELECT current_setting('{name}')").fetchone()[0]
            assert shown == value, name
        with pytest.raises(QueryRefused):
            guarded.run("SELECT * FROM read_text('/etc/passwd')")
        assert guarded.run("SELECT count(*) AS n FROM torrents").num_rows == 1


def test_a_failing_query_is_a_query_error_not_a_refusal(warehouse):
    with pytest.raises(QueryError) as failed:
        sql(warehouse, "SELECT no_such_column FROM torrents")
    assert failed.value.code == "query.failed"
    assert "no_such_column" in str(failed.value)


# --- review bulk (item 15): the selector goes through the same runner ----------------

BULK = {"decision": "dismiss", "rationale": "insufficient-evidence", "analyst": "ana"}
SELECTOR = "SELECT infohash FROM review_queue WHERE top_level IN ('high', 'critical')"


@pytest.mark.parametrize(
    "query", [f"{SELECTOR};", f"{SELECTOR} -- the severe ones", f"{SELECTOR}; -- done\n"]
)
def test_bulk_takes_a_trailing_semicolon_or_comment(flagged_demo, query):
    plain = review_bulk(flagged_demo, SELECTOR, **BULK)
    assert plain.decided >= 2
    assert review_bulk(flagged_demo, query, **BULK) == plain


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("SELECT infohash FROM no_such_table", "query.failed", "no_such_table"),
        ("SELECT infohash FROM flags; DROP TABLE flags", "query.multiple_statements", "2"),
        ("SELECT name FROM torrents", "review.invalid", "infohash"),
        ("DELETE FROM flags", "query.not_read_only", "DELETE"),
    ],
)
def test_bulk_errors_name_the_users_query_never_ours(flagged_demo, query, code, words):
    with pytest.raises(ReviewInvalid) as caught:
        review_bulk(flagged_demo, query, yes=True, **BULK)
    message = str(caught.value)
    assert caught.value.code == code and words in message
    for internal in ("bulk_selected", "bulk_query", "CREATE OR REPLACE", "lower(trim"):
        assert internal not in message


def test_bulk_cli_shows_no_internal_sql(flagged_demo):
    out = run_cli(
        "review",
        "bulk",
        "SELECT infohash FROM nope; -- x",
        "dismiss",
        "--rationale",
        "duplicate",
        "--analyst",
        "ana",
        "--db",
        flagged_demo,
    )
    assert out.returncode == 1
    assert "nope" in out.stderr and "bulk_selected" not in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "query", ["SELECT * FROM checkpoint()", "FROM force_checkpoint()", "SELECT setseed(0.5)"]
)
def test_table_functions_that_would_write_change_nothing(warehouse, query):
    """A SELECT may call functions that write on a writable database: on the read-only,
    locked-down warehouse they do nothing or fail, and the file stays as it was."""
    before = _state(warehouse)
    with contextlib.suppress(QueryError):
        sql(warehouse, query)
    assert _state(warehouse) == before
