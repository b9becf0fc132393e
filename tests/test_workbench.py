"""The analyst workbench, request by request (FastAPI's TestClient): login, sessions and
CSRF, roles, every page and action, the two-person rule, the audit trail, hostile names,
and decisions taken while another process holds the warehouse."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from warehouse_rows import query_rows
from workbench_site import (
    HOSTILE,
    PASSWORD,
    build_warehouse,
    copy_warehouse,
    csrf_of,
    log_in,
    make_app,
)

from torrentwatch.export import export
from torrentwatch.workbench.app import _login_delay
from torrentwatch.workbench.web import CSP, Settings
from warehouse.pending_reviews import fold_pending, sidecar_path

PAGES = ("/queue", "/exports", "/hashlists", "/rules")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("workbench"))


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    return copy_warehouse(template, tmp_path)


@pytest.fixture
def app(db: Path):
    return make_app(db)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def _as(app, name: str) -> TestClient:
    c = TestClient(app)
    assert log_in(c, name).status_code == 200
    return c


def _queue_keys(c: TestClient, query: str = "") -> list[str]:
    html = c.get(f"/queue{query}").text
    return list(dict.fromkeys(re.findall(r'href="/torrent/([0-9a-f]{40,64})\?', html)))


def _decide(c: TestClient, key: str, decision: str, rationale: str, **extra):
    page = c.get(f"/torrent/{key}")
    data = {"csrf": csrf_of(page.text), "decision": decision, "rationale": rationale, **extra}
    return c.post(f"/torrent/{key}/decide", data=data)


def _audit(db: Path) -> list[tuple]:
    con = sqlite3.connect(sidecar_path(db))
    try:
        return con.execute("SELECT user, action, target, detail FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def _status(db: Path, key: str) -> str:
    return query_rows(db, "SELECT status FROM review_status WHERE infohash = $k", {"k": key})[0][0]


# --- login, sessions, CSRF ----------------------------------------------------------


def test_every_page_needs_a_login(client):
    for path in (*PAGES, "/torrent/00", "/audit"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path


def test_login_sets_a_strict_httponly_session_cookie(app):
    c = TestClient(app)
    answer = log_in(c, "ana")
    assert answer.url.path == "/queue"
    cookie = answer.history[0].headers["set-cookie"]
    assert "tw_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    secure = TestClient(app, base_url="https://testserver")
    assert "Secure" in log_in(secure, "ana").history[0].headers["set-cookie"]


def test_wrong_password_is_refused_slowed_and_audited(app, db):
    c = TestClient(app)
    answer = log_in(c, "ana", "wrong password!")
    assert answer.status_code == 401 and "Wrong name or password" in answer.text
    assert log_in(c, "nobody-here").status_code == 401
    assert c.get("/queue", follow_redirects=False).status_code == 303
    assert ("ana", "login_failed") in [row[:2] for row in _audit(db)]
    assert app.state.store.failures("ana", __import__("datetime").timedelta(minutes=5)) == 1
    settings = Settings(db=db, exports_dir=db.parent, login_delay=0.5, login_delay_max=8)
    assert [_login_delay(settings, n) for n in range(6)] == [0, 0.5, 1, 2, 4, 8]


def test_login_without_its_csrf_token_is_refused(app):
    c = TestClient(app)
    c.get("/login")
    answer = c.post("/login", data={"name": "ana", "password": PASSWORD})
    assert answer.status_code == 403
    assert c.get("/queue", follow_redirects=False).status_code == 303


def test_state_changes_without_the_sessions_csrf_token_are_refused(app, db):
    ana = _as(app, "ana")
    ana.app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    for data in ({}, {"csrf": "forged"}):
        answer = ana.post(
            f"/torrent/{key}/decide",
            data={**data, "decision": "dismiss", "rationale": "rule-misfire"},
        )
        assert answer.status_code == 403
        assert ana.post("/logout", data=data).status_code == 403
    # another user's valid token is not this session's
    ben = _as(app, "ben")
    answer = ana.post(
        f"/torrent/{key}/decide",
        data={"csrf": csrf_of(ben.get("/queue").text), "decision": "dismiss",
              "rationale": "rule-misfire"},
    )  # fmt: skip
    assert answer.status_code == 403
    assert app.state.store.unfolded() == []


def test_logout_ends_the_session(app):
    ana = _as(app, "ana")
    ana.post("/logout", data={"csrf": csrf_of(ana.get("/queue").text)})
    assert ana.get("/queue", follow_redirects=False).status_code == 303


def test_trusted_proxy_header_is_off_by_default(db):
    plain = TestClient(make_app(db))
    assert (
        plain.get("/queue", headers={"X-Remote-User": "lea"}, follow_redirects=False).status_code
        == 303
    )
    proxied = TestClient(make_app(db, trusted_user_header="X-Remote-User"))
    answer = proxied.get("/queue", headers={"X-Remote-User": "lea"})
    assert answer.status_code == 200 and "lea (lead)" in answer.text
    unknown = proxied.get("/queue", headers={"X-Remote-User": "mallory"}, follow_redirects=False)
    assert unknown.status_code == 303


# --- safety of what is shown ----------------------------------------------------------


def test_security_headers_and_no_inline_script_or_style(client, app):
    log_in(client, "lea")
    key = _queue_keys(client, "?status=all")[0]
    for path in (*PAGES, f"/torrent/{key}", "/audit", "/login"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-frame-options"] == "DENY"
        html = answer.text
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), path
        assert not re.search(r"<[^>]*\sstyle=|<style", html), path
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path
        assert not re.search(r"<[^>]*\son[a-z]+=", html), path
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert client.get("/static/workbench.js").status_code == 200


def test_hostile_names_are_inert_and_hidden_characters_visible(client):
    log_in(client, "ana")
    html = client.get("/queue?status=all").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'title="hidden character U+202E">U+202E</span>' in html
    assert 'title="hidden character U+200B">U+200B</span>' in html
    assert "\u202e" not in html and "\u200b" not in html
    bidi = re.search(r'href="/torrent/([0-9a-f]+)\?[^"]*">[^\n]*U\+202E', html)[1]
    page = client.get(f"/torrent/{bidi}").text
    assert "\u202e" not in page and "U+202E</span>" in page
    assert len(HOSTILE) == 4


def test_masking_hides_names_until_clicked(client):
    log_in(client, "ana")
    page = client.get("/queue")
    assert '<body class="">' in page.text
    client.post("/prefs/mask", data={"csrf": csrf_of(page.text), "mask": "on"})
    masked = client.get("/queue").text
    assert '<body class="masking">' in masked and "[name hidden: click to show]" in masked
    key = _queue_keys(client)[0]
    page = client.get(f"/torrent/{key}").text
    assert '<span class="cover">[names and paths hidden: click to show]</span>' in page


# --- queue and torrent pages ---------------------------------------------------------------


def test_queue_filters_counts_sort_and_pages(client, db):
    log_in(client, "ana")
    flagged = query_rows(db, "SELECT count(DISTINCT infohash) FROM flags WHERE active")[0][0]
    html = client.get("/queue").text
    assert f"{flagged} torrent(s)" in html
    high = query_rows(
        db,
        "SELECT count(*) FROM review_queue WHERE top_level = 'high'",
    )[0][0]
    assert f"{high} torrent(s)" in client.get("/queue?level=high").text
    rule = "disguise.bidi-control"
    keys = _queue_keys(client, f"?rule={rule}")
    expected = query_rows(
        db,
        "SELECT infohash FROM review_queue WHERE list_contains(rule_ids, $r)"
        " ORDER BY level_rank DESC, top_score DESC, infohash",
        {"r": rule},
    )
    assert keys == [k for (k,) in expected] and len(keys) == 2
    double = query_rows(
        db, "SELECT count(*) FROM flags WHERE rule_id = 'disguise.double-extension' AND active"
    )[0][0]
    assert re.search(
        rf">disguise\.double-extension</a> <span class=\"count\">{double}</span>", html
    )
    assert client.get("/queue?sort=bogus").status_code == 400
    assert client.get("/queue?seen_from=yesterday").status_code == 400
    assert "page 1 of 1" in html
    assert _queue_keys(client, "?page=2") == []
    assert _queue_keys(client, "?hit=yes") == []


def test_torrent_page_says_why_with_files_and_history(client, db):
    log_in(client, "ana")
    (key,) = query_rows(db, "SELECT infohash FROM torrents WHERE name LIKE 'Quiet%'")[0]
    page = client.get(f"/torrent/{key}").text
    assert "Rule disguise.double-extension" in page  # explain's words
    assert re.search(r'<tr class="evidence">\s*<td>0</td>', page)
    assert "Trailer.avi.exe" in page and "readme.txt" in page
    assert "No decisions yet." in page
    assert client.get("/torrent/" + "0" * 40).status_code == 404


# --- decisions -------------------------------------------------------------------------


def test_two_person_rule_confirm_by_a_then_b_and_audit(app, db):
    ana, ben = _as(app, "ana"), _as(app, "ben")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    assert _decide(ana, key, "confirm", "disguised-payload").status_code == 200
    again = _decide(ana, key, "confirm", "disguised-payload")
    assert again.status_code == 400 and "two-person rule" in again.text
    assert app.state.snapshots.refresh()  # folds ana's decision into the warehouse
    assert _status(db, key) == "awaiting_confirmation"
    refused = _decide(ana, key, "confirm", "disguised-payload")  # now from the warehouse
    assert refused.status_code == 400
    assert _decide(ben, key, "confirm", "known-list").status_code == 200
    app.state.snapshots.refresh()
    assert _status(db, key) == "confirmed"
    rows = query_rows(
        db, "SELECT analyst, decision FROM reviews WHERE infohash = $k ORDER BY seq", {"k": key}
    )
    assert rows == [("ana", "confirm"), ("ben", "confirm")]
    decides = [(u, t) for u, a, t, _ in _audit(db) if a == "decide"]
    assert decides == [("ana", key), ("ben", key)]
    page = ben.get(f"/torrent/{key}").text
    assert "<strong>confirmed</strong>" in page


def test_a_refused_decision_records_nothing(app, db):
    ana = _as(app, "ana")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    assert _decide(ana, key, "confirm", "honest-release").status_code == 400
    assert _decide(ana, key, "dismiss", "other").status_code == 400  # needs a note
    assert _decide(ana, key, "ban", "other", note="x").status_code == 400
    assert app.state.store.unfolded() == []
    ok = _decide(ana, key, "dismiss", "other", note="a <b>note</b>")
    assert ok.status_code == 200 and "a &lt;b&gt;note&lt;/b&gt;" in ok.text


def test_the_audit_trail_is_append_only(db, client):
    log_in(client, "ana")
    con = sqlite3.connect(sidecar_path(db))
    try:
        for sql in ("UPDATE audit SET user = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()


def test_roles(app, db):
    ana, lea, adm = _as(app, "ana"), _as(app, "lea"), _as(app, "adm")
    token = csrf_of(ana.get("/queue").text)
    assert ana.post("/bulk/preview", data={"csrf": token, "decision": "dismiss"}).status_code == 403
    assert ana.post("/exports/run", data={"csrf": token, "target": "x"}).status_code == 403
    assert ana.get("/audit").status_code == 403
    assert "Decide all" not in ana.get("/queue").text and "Decide all" in lea.get("/queue").text
    files = {"file": ("l.txt", b"0" * 40 + b"\n")}
    lead_token = csrf_of(lea.get("/hashlists").text)
    assert lea.post("/hashlists/import", data={"csrf": lead_token, "name": "l"},
                    files=files).status_code == 403  # fmt: skip
    admin_token = csrf_of(adm.get("/hashlists").text)
    done = adm.post("/hashlists/import", data={"csrf": admin_token, "name": "hotline-a"},
                    files=files)  # fmt: skip
    assert done.status_code == 200 and "hotline-a" in done.text
    assert ("adm", "hashlist_import", "hotline-a") in [r[:3] for r in _audit(db)]


def test_bulk_decision_previews_exactly_what_it_records(app, db):
    lea = _as(app, "lea")
    app.state.snapshots.refresh(force=True)
    form = {"csrf": csrf_of(lea.get("/queue").text), "rule": "disguise.double-extension",
            "decision": "dismiss", "rationale": "rule-misfire"}  # fmt: skip
    preview = lea.post("/bulk/preview", data=form)
    (expected,) = query_rows(
        db, "SELECT count(*) FROM flags WHERE rule_id = 'disguise.double-extension' AND active"
    )[0]
    assert f"for {expected} torrent(s)" in preview.text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview.text)[1]
    assert lea.post("/bulk/apply", data={**form, "digest": "0" * 64}).status_code == 400
    assert app.state.store.unfolded() == []
    assert lea.post("/bulk/apply", data={**form, "digest": digest}).status_code == 200
    app.state.snapshots.refresh()
    dismissed = query_rows(db, "SELECT count(*) FROM review_status WHERE status = 'dismissed'")[0][
        0
    ]
    assert dismissed == expected
    (audit,) = [json.loads(d) for _, a, _, d in _audit(db) if a == "bulk_decide"]
    assert audit["count"] == expected and audit["selection_sha256"] == digest


def test_export_run_download_verify(app, db):
    ana, ben, lea = _as(app, "ana"), _as(app, "ben"), _as(app, "lea")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    _decide(ana, key, "confirm", "disguised-payload")
    _decide(ben, key, "confirm", "disguised-payload")
    page = lea.get("/exports")
    done = lea.post("/exports/run", data={"csrf": csrf_of(page.text), "target": "hotline-x",
                                          "format": "csv"})  # fmt: skip
    assert done.status_code == 200 and "Export written." in done.text
    link = re.search(r'href="(/exports/[0-9a-f]+/[^"]+\.csv)" class="download"', done.text)[1]
    body = lea.get(link)
    assert body.status_code == 200 and key in body.text
    verify = re.search(r'href="([^"]+/verify)"', done.text)[1]
    assert "OK, 1 file(s) match" in lea.get(verify).text
    assert ("lea", "export", "hotline-x") in [r[:3] for r in _audit(db)]
    assert lea.get("/exports/ffff/../../etc/passwd").status_code in (403, 404)


# --- the warehouse busy in another process --------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    import duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE IF NOT EXISTS holder_probe (x INTEGER)")
    print("holding", flush=True)
    sys.stdin.readline()
    con.close()
    """
)


def test_decisions_taken_while_a_writer_holds_the_warehouse_reach_the_next_export(app, db):
    ana, ben = _as(app, "ana"), _as(app, "ben")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "holding"
        assert _decide(ana, key, "confirm", "disguised-payload").status_code == 200
        assert _decide(ben, key, "confirm", "disguised-payload").status_code == 200
        assert not app.state.snapshots.refresh()  # locked: nothing folded, still serving
        page = ana.get("/queue")
        assert page.status_code == 200 and "pending: confirm by ben" in page.text
        assert "being written by another process" in page.text
        # a workbench started now has no snapshot yet: it says why instead of failing
        late = TestClient(make_app(db))
        answer = log_in(late, "ana")
        assert answer.status_code == 503 and "nothing to show yet" in answer.text
    finally:
        writer.communicate("\n", timeout=60)
    result = export(db, target="hotline-y", out_dir=db.parent / "out")  # folds first
    assert result.items == 1
    assert key in result.file.read_text()
    assert app.state.store.unfolded() == []


def test_folding_is_exactly_once(db, app):
    ana = _as(app, "ana")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    _decide(ana, key, "escalate", "legal-review")
    from warehouse.db import connect

    con = connect(db)
    try:
        assert fold_pending(con, db) == 1
        assert fold_pending(con, db) == 0
        # a crash after the warehouse committed but before the store marked the row
        sqlite3.connect(sidecar_path(db), isolation_level=None).execute(
            "UPDATE pending_reviews SET folded_at = NULL"
        )
        assert fold_pending(con, db) == 0
        n = con.execute("SELECT count(*) FROM reviews WHERE infohash = $k", {"k": key}).fetchone()
    finally:
        con.close()
    assert n[0] == 1


def test_rules_page_lists_the_rules_in_force_with_their_flags(client, db):
    log_in(client, "ana")
    page = client.get("/rules").text
    (double,) = query_rows(
        db, "SELECT count(*) FROM flags WHERE rule_id = 'disguise.double-extension' AND active"
    )[0]
    assert re.search(
        rf"disguise\.double-extension</a></td><td>\d+</td>.*?<td class=\"num\">{double}</td>",
        page,
        re.S,
    )
    assert "disguise.trailing-dot-space" in page  # in force, no flags here
    assert "<td>flag</td>" in page and "<td>ingest</td>" in page  # recent runs


def test_users_add_refuses_bad_accounts(tmp_path, db):
    from common.errors import AccountInvalid, WarehouseMissing
    from torrentwatch.workbench.accounts import users_add, users_list

    with pytest.raises(AccountInvalid, match="role"):
        users_add(db, "zoe", role="boss", password=PASSWORD)
    with pytest.raises(AccountInvalid, match="10 to 1024"):
        users_add(db, "zoe", role="analyst", password="short")
    with pytest.raises(AccountInvalid, match="user name"):
        users_add(db, "<b>zoe", role="analyst", password=PASSWORD)
    with pytest.raises(WarehouseMissing):
        users_add(tmp_path / "none.duckdb", "zoe", role="analyst", password=PASSWORD)
    assert users_add(db, "ana", role="lead", password=PASSWORD + "!").new is False
    assert {(u.name, u.role) for u in users_list(db)} >= {("ana", "lead"), ("ben", "analyst")}


def test_a_decision_folded_before_the_next_snapshot_still_shows_and_counts(app, db):
    """The refresher folds decisions at once but copies a new snapshot less often: in
    between, the page shows the decision as pending and the two-person rule sees it."""
    ana = _as(app, "ana")
    app.state.snapshots.refresh(force=True)
    key = _queue_keys(ana)[0]
    assert _decide(ana, key, "confirm", "disguised-payload").status_code == 200
    assert app.state.snapshots.fold()
    assert app.state.store.unfolded() == []
    assert query_rows(db, "SELECT count(*) FROM reviews WHERE infohash = $k", {"k": key}) == [(1,)]
    page = ana.get(f"/torrent/{key}").text
    assert page.count("in this view after the next refresh") == 1
    assert _decide(ana, key, "confirm", "disguised-payload").status_code == 400
    app.state.snapshots.refresh()
    page = ana.get(f"/torrent/{key}").text
    assert "in this view after the next refresh" not in page
    assert "<strong>awaiting_confirmation</strong>" in page
