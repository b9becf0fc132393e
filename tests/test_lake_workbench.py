"""The analyst workbench on a lake warehouse (warehouse.lake), request by request.

A lake has no single-writer lock, so the workbench writes each decision into ``reviews``
at once, in the review lane; accounts, sessions, the audit trail and the page snapshots
live in the workbench's ``--home`` folder. Every lake here is real: a catalog in a
DuckDB file (quick loop) or in a real PostgreSQL 15 on 127.0.0.1 (slow), data in Parquet
files, the same warehouse as the file workbench's tests (tests/workbench_site.py) copied
into it with ``warehouse.lake.copy_into_lake``.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from warehouse_copies import copy_into_new_lake, file_catalog_lake
from warehouse_rows import query_rows
from workbench_site import PASSWORD, USERS, build_warehouse, csrf_of, log_in

from common.errors import WarehouseMissing, WorkbenchError
from torrentwatch.cli import app as cli_app
from torrentwatch.export import export
from torrentwatch.workbench.accounts import users_add, users_list
from torrentwatch.workbench.app import create_app
from torrentwatch.workbench.home import workbench_home
from torrentwatch.workbench.web import Settings
from warehouse.db import connect


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The workbench tests' warehouse file: demo data, hostile names, the two-person rule."""
    return build_warehouse(tmp_path_factory.mktemp("lake-workbench"))


def _lake_from(template: Path, target: str, home: Path) -> str:
    copy_into_new_lake(template, target)
    for name, role in USERS.items():
        users_add(target, name, role=role, password=PASSWORD, home=home)
    return target


@pytest.fixture
def lake(template: Path, tmp_path: Path) -> str:
    return _lake_from(template, file_catalog_lake(tmp_path), tmp_path / "home")


def _app(lake: str, tmp_path: Path):
    return create_app(
        Settings(
            db=lake, exports_dir=tmp_path / "exports", login_delay=0.01, home=tmp_path / "home"
        ),
        start_refresher=False,
    )


def _as(app, name: str) -> TestClient:
    c = TestClient(app)
    assert log_in(c, name).status_code == 200
    return c


def _decide(c: TestClient, key: str, decision: str, rationale: str):
    page = c.get(f"/torrent/{key}")
    data = {"csrf": csrf_of(page.text), "decision": decision, "rationale": rationale}
    return c.post(f"/torrent/{key}/decide", data=data)


def _audit(home: Path) -> list[tuple]:
    con = sqlite3.connect(home / "workbench.sqlite")
    try:
        return con.execute("SELECT user, action, target FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def _first_queued(lake: str) -> str:
    return query_rows(
        lake,
        "SELECT infohash FROM review_queue ORDER BY level_rank DESC, top_score DESC, infohash"
        " LIMIT 1",
    )[0][0]


def _decide_then_export(lake: str, tmp_path: Path) -> None:
    """Login; A confirms, A again is refused, B confirms (two-person rule); each decision
    is in the lake's ``reviews`` as soon as the page says so; a lead's export from the
    workbench and a later `export` run both see it; the audit trail has it all."""
    home = tmp_path / "home"
    app = _app(lake, tmp_path)
    key = _first_queued(lake)
    with TestClient(app):  # the lifespan builds the first snapshot
        ana, ben, lea = _as(app, "ana"), _as(app, "ben"), _as(app, "lea")
        snaps = app.state.snapshots
        assert not snaps.refresh()  # nothing changed since the first snapshot
        assert key in ana.get("/queue").text

        assert _decide(ana, key, "confirm", "disguised-payload").status_code == 200
        # in the warehouse at once: no fold waits for the warehouse to be free
        assert query_rows(lake, "SELECT analyst FROM reviews WHERE infohash = $k", {"k": key}) == [
            ("ana",)
        ]
        assert app.state.store.unfolded() == []
        again = _decide(ana, key, "confirm", "disguised-payload")
        assert again.status_code == 400 and "two-person rule" in again.text
        assert snaps.refresh()  # the lake's snapshot id moved: a new copy
        assert not snaps.refresh()
        assert _decide(ana, key, "confirm", "disguised-payload").status_code == 400
        status = query_rows(
            lake, "SELECT status FROM review_status WHERE infohash = $k", {"k": key}
        )
        assert status == [("awaiting_confirmation",)]

        assert _decide(ben, key, "confirm", "known-list").status_code == 200
        rows = query_rows(
            lake,
            "SELECT seq, analyst, decision FROM reviews WHERE infohash = $k ORDER BY seq",
            {"k": key},
        )
        assert [r[1:] for r in rows] == [("ana", "confirm"), ("ben", "confirm")]
        assert rows[1][0] == rows[0][0] + 1
        status = query_rows(
            lake, "SELECT status FROM review_status WHERE infohash = $k", {"k": key}
        )
        assert status == [("confirmed",)]
        assert snaps.refresh()
        assert "<strong>confirmed</strong>" in ben.get(f"/torrent/{key}").text
        # a PostgreSQL catalog's sessions are kept for the next use; a DuckDB file's are
        # closed after each (another process may need the catalog)
        kept = "ducklake:postgres:" in lake
        assert snaps.checker.is_open is kept and snaps.writer.is_open is kept

        form = {"csrf": csrf_of(lea.get("/exports").text), "target": "hotline-a"}
        assert lea.post("/exports/run", data=form).status_code == 200
        written = sorted((tmp_path / "exports").rglob("*.csv"))
        assert len(written) == 1
        with written[0].open(encoding="utf-8", newline="") as handle:
            exported = [row["infohash"] for row in csv.DictReader(handle)]
        assert exported == [key]
        assert "hotline-a" in lea.get("/exports").text
        assert lea.get("/audit").status_code == 200

    # a later export elsewhere has nothing new for that target; another target gets it
    assert export(lake, target="hotline-a", out_dir=tmp_path / "later").batch_id is None
    again = export(lake, target="hotline-b", out_dir=tmp_path / "later")
    assert again.items == 1
    audit = _audit(home)
    assert [r for r in audit if r[1] == "decide"] == [
        ("ana", "decide", key),
        ("ben", "decide", key),
    ]
    assert ("lea", "export", "hotline-a") in audit
    assert {r[0] for r in audit if r[1] == "login"} == {"ana", "ben", "lea"}
    names = {p.name for p in home.iterdir()}
    assert {"warehouse.txt", "workbench.sqlite", "snapshots"} <= names
    assert list((home / "snapshots").glob("snap-*.duckdb"))


def test_lake_workbench_decides_a_then_b_and_exports(lake: str, tmp_path: Path) -> None:
    _decide_then_export(lake, tmp_path)


def test_a_decision_waits_in_the_home_while_the_lake_is_away_and_goes_in_later(
    lake: str, tmp_path: Path
) -> None:
    """The store is the decision's first home: a lake that does not answer (here: its
    catalog held by another session of this process) loses nothing; the next fold puts
    it in, once."""
    app = _app(lake, tmp_path)
    key = _first_queued(lake)
    with TestClient(app):
        ana = _as(app, "ana")
        page = ana.get(f"/torrent/{key}")
        holder = connect(lake, read_only=True)  # the catalog file: one session at a time
        try:
            data = {"csrf": csrf_of(page.text), "decision": "escalate", "rationale": "other",
                    "note": "needs a second look"}  # fmt: skip
            assert ana.post(f"/torrent/{key}/decide", data=data).status_code == 200
            assert len(app.state.store.unfolded()) == 1
            assert app.state.snapshots.last_error
        finally:
            holder.close()
        assert query_rows(lake, "SELECT count(*) FROM reviews WHERE infohash = $k", {"k": key}) == [
            (0,)
        ]
        assert app.state.snapshots.refresh()  # folds first, then copies
        assert app.state.store.unfolded() == []
        assert app.state.snapshots.fold() is False
    rows = query_rows(lake, "SELECT decision FROM reviews WHERE infohash = $k", {"k": key})
    assert rows == [("escalate",)]


def test_a_lake_workbench_needs_its_own_home(lake: str, tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="needs a home folder"):
        workbench_home(lake)
    with pytest.raises(WorkbenchError, match="needs a home folder"):
        users_list(lake)
    other = file_catalog_lake(tmp_path, "other")
    with pytest.raises(WorkbenchError, match="not of ducklake:"):
        workbench_home(other, tmp_path / "home")
    with pytest.raises(WarehouseMissing):
        users_list(other, home=tmp_path / "other-home")
    assert not (tmp_path / "other-home").exists()
    file_db = tmp_path / "file.duckdb"
    with pytest.raises(WorkbenchError, match="--home is for a lake warehouse"):
        workbench_home(file_db, tmp_path / "home")
    assert {u.name for u in users_list(lake, home=tmp_path / "home")} == set(USERS)


def test_users_and_serve_take_home_on_the_command_line(lake: str, tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "home")
    added = runner.invoke(
        cli_app,
        ["users", "add", "zed", "--role", "lead", "--db", lake, "--home", home],
        env={"TORRENTWATCH_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(
        cli_app, ["users", "list", "--db", lake], env={"TORRENTWATCH_WORKBENCH_HOME": home}
    )
    assert listed.exit_code == 0 and "zed" in listed.output and "lead" in listed.output
    refused = runner.invoke(cli_app, ["serve", "--db", lake, "--port", "1"])
    assert isinstance(refused.exception, WorkbenchError)
    assert "needs a home folder" in str(refused.exception)


# --- a real PostgreSQL catalog (slow) ---------------------------------------------------


@pytest.mark.slow  # a PostgreSQL server, in the loopback-only namespace (scripts/isolated.sh)
def test_postgres_lake_workbench_decides_and_exports(
    postgres, template: Path, tmp_path: Path
) -> None:
    lake = _lake_from(template, postgres.new_lake("lake_workbench", tmp_path), tmp_path / "home")
    _decide_then_export(lake, tmp_path)


@pytest.mark.slow  # a PostgreSQL server, in the loopback-only namespace (scripts/isolated.sh)
def test_two_workbenches_folding_into_one_lake_at_once_take_distinct_seqs(
    postgres, template: Path, tmp_path: Path
) -> None:
    """Two workbench stores (two servers, say) fold their decisions into one lake at the
    same moment: ``seq`` is max(seq) + 1, so without the review lane both would take the
    same numbers; with it every decision gets its own, each exactly once."""
    import threading

    from torrentwatch.workbench.store import PendingDecision, Store
    from warehouse.pending_reviews import fold_pending

    lake = copy_into_new_lake(template, postgres.new_lake("lake_fold_race", tmp_path))
    con = connect(lake)
    try:
        flagged = con.execute(
            "SELECT infohash, evidence::VARCHAR FROM flagged_torrents ORDER BY infohash LIMIT 6"
        ).fetchall()
        before = con.execute("SELECT count(*) FROM reviews").fetchone()[0]
    finally:
        con.close()
    stores = [Store(lake, path=tmp_path / f"store-{n}.sqlite") for n in range(2)]
    for n, store in enumerate(stores):
        store.record_decisions(
            f"analyst{n}",
            [PendingDecision(key, "escalate", "other", f"from {n}", ev) for key, ev in flagged],
            action="decide",
            detail={},
        )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def fold(store: Store) -> None:
        try:
            session = connect(lake)
            try:
                start.wait()
                fold_pending(session, lake, store=store.path)
            finally:
                session.close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=fold, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = [r[0] for r in query_rows(lake, "SELECT seq FROM reviews ORDER BY seq")]
    assert len(seqs) == before + 2 * len(flagged)
    assert len(set(seqs)) == len(seqs)
    assert all(s.unfolded() == [] for s in stores)
    # folding again adds nothing
    again = connect(lake)
    try:
        assert fold_pending(again, lake, store=stores[0].path) == 0
    finally:
        again.close()


def test_a_real_serve_process_on_a_lake(lake: str, tmp_path: Path) -> None:
    """`torrentwatch serve --db LAKE --home DIR` as a process: log in, the queue from its
    refresher's snapshot, a decision that lands in the lake."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    from workbench_site import serving

    key = _first_queued(lake)
    home = tmp_path / "home"
    with serving(lake, tmp_path / "exports", extra=("--home", str(home))) as url:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def post(path: str, form: dict) -> str:
            body = urllib.parse.urlencode(form).encode()
            with opener.open(url + path, data=body, timeout=30) as answer:
                return answer.read().decode()

        with opener.open(url + "/login", timeout=30) as answer:
            token = csrf_of(answer.read().decode())
        queue = post("/login", {"csrf": token, "name": "ana", "password": PASSWORD})
        assert key in queue and "ana (analyst)" in queue
        with opener.open(f"{url}/torrent/{key}", timeout=30) as answer:
            token = csrf_of(answer.read().decode())
        page = post(
            f"/torrent/{key}/decide",
            {"csrf": token, "decision": "confirm", "rationale": "disguised-payload"},
        )
        assert "Decision recorded." in page
        assert re.search(r"\bana\b", page)
    rows = query_rows(lake, "SELECT analyst, decision FROM reviews WHERE infohash = $k", {"k": key})
    assert rows == [("ana", "confirm")]


def test_an_admin_imports_a_hash_list_into_the_lake(lake: str, tmp_path: Path) -> None:
    app = _app(lake, tmp_path)
    key = _first_queued(lake)
    with TestClient(app):
        adm = _as(app, "adm")
        token = csrf_of(adm.get("/hashlists").text)
        files = {"file": ("l.txt", (key + "\n").encode())}
        done = adm.post("/hashlists/import", data={"csrf": token, "name": "hotline-a"}, files=files)
        assert done.status_code == 200 and "hotline-a" in done.text
    assert len(list((tmp_path / "home" / "uploads").glob("hotline-a-*.txt"))) == 1
    hits = query_rows(
        lake, "SELECT list_name FROM torrent_hash_list_matches WHERE infohash = $k", {"k": key}
    )
    assert ("hotline-a",) in hits
    assert ("adm", "hashlist_import", "hotline-a") in _audit(tmp_path / "home")
