"""The workbench's admin pages, request by request: users (add, role, disable/enable,
password reset) and the operator rule packs (upload linted before it is kept, removal),
with roles checked server-side, CSRF, audit rows that never hold a password, and
hostile names rendered inert. The same account functions behind `torrentwatch users`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from warehouse_copies import file_catalog_lake
from workbench_site import PASSWORD, build_warehouse, copy_warehouse, csrf_of, log_in, make_app

from common.errors import AccountInvalid
from rules.ruleset import load_packs
from torrentwatch.cli import app as cli_app
from torrentwatch.workbench import accounts
from torrentwatch.workbench.home import workbench_home
from warehouse.pending_reviews import sidecar_path

NEW_PASSWORD = "a fresh long passphrase"
GOOD_PACK = """\
rules:
  - id: ops.sample-exe
    version: 1
    title: Sample bundles with a program inside
    description: A synthetic operator rule for the workbench tests.
    level: low
    when:
      all:
        - double_extension: {final: [exe]}
        - regex: {pattern: 'sample'}
    tests:
      flag:
        - {name: "Sample.Pack.2020", files: [["clip.avi.exe", 1MB]]}
      pass:
        - {name: "Harbor.Lights.2019", files: [["movie.mkv", 1MB]]}
"""
# (what is wrong, the pack, the line:col and code the page must show)
BAD_PACKS = {
    "yaml": ("rules: [\n  - {id: x\n", "bad.yaml:2:3", "rules.yaml_syntax"),
    "predicate": (
        GOOD_PACK.replace("double_extension", "no_such_predicate"),
        "bad.yaml:9:11",
        "rules.unknown_key",
    ),
    "lookahead": (GOOD_PACK.replace("'sample'", "'x(?=y)'"), "bad.yaml:10:19", "rules.bad_regex"),
}
ADMIN_GETS = ("/admin/users", "/admin/packs")
ADMIN_POSTS = (
    "/admin/users/add",
    "/admin/users/role",
    "/admin/users/disable",
    "/admin/users/enable",
    "/admin/users/password",
    "/admin/packs/upload",
    "/admin/packs/remove",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("workbench-admin"))


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    return copy_warehouse(template, tmp_path)


@pytest.fixture
def app(db: Path):
    return make_app(db)


def _as(app, name: str, password: str = PASSWORD) -> TestClient:
    c = TestClient(app)
    assert log_in(c, name, password).url.path == "/queue"
    return c


def _post(c: TestClient, url: str, files=None, **data):
    """POST with the session's CSRF token (from the admin page), not following redirects."""
    token = csrf_of(c.get("/queue").text)
    return c.post(url, data={"csrf": token, **data}, files=files, follow_redirects=False)


def _audit(db: Path) -> list[tuple]:
    con = sqlite3.connect(sidecar_path(db))
    try:
        return con.execute("SELECT user, action, target, detail FROM audit ORDER BY id").fetchall()
    finally:
        con.close()


def _no_secret_in_audit(db: Path, *passwords: str) -> None:
    for row in _audit(db):
        text = json.dumps(row)
        assert "argon2" not in text
        for secret in passwords:
            assert secret not in text


def _upload(c: TestClient, text: str | bytes, name: str = "ops.yaml"):
    data = text.encode() if isinstance(text, str) else text
    return _post(c, "/admin/packs/upload", files={"file": (name, data)}, name=name)


# --- users -------------------------------------------------------------------------


def test_admin_adds_a_user_who_can_then_log_in(app, db):
    adm = _as(app, "adm")
    done = _post(adm, "/admin/users/add", name="zoe", role="lead", password=NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=added"
    page = adm.get(done.headers["location"]).text
    assert "<td>zoe</td><td>lead</td>" in page and "Account added." in page
    zoe = _as(app, "zoe", NEW_PASSWORD)
    assert zoe.get("/audit").status_code == 200  # a lead
    assert ("adm", "user_add", "zoe") in [r[:3] for r in _audit(db)]
    # the same name again is refused (the CLI's `users add` replaces; the page does not)
    again = _post(adm, "/admin/users/add", name="zoe", role="admin", password=NEW_PASSWORD)
    assert again.status_code == 400 and "already exists" in again.text
    assert accounts.users_list(db)[-1].role == "lead"
    # the checks of `users add`
    short = _post(adm, "/admin/users/add", name="yan", role="analyst", password="short")
    assert short.status_code == 400 and "10 to 1024" in short.text
    boss = _post(adm, "/admin/users/add", name="yan", role="boss", password=NEW_PASSWORD)
    assert boss.status_code == 400 and "yan" not in {u.name for u in accounts.users_list(db)}
    _no_secret_in_audit(db, PASSWORD, NEW_PASSWORD, "short")


def test_users_page_lists_role_created_last_login_and_status(app, db):
    adm = _as(app, "adm")
    page = adm.get("/admin/users").text
    for name, role in (("ana", "analyst"), ("lea", "lead"), ("adm", "admin")):
        assert f"<td>{name}</td><td>{role}</td>" in page
    (row,) = [a for a in accounts.account_rows(app.state.store) if a.name == "adm"]
    assert row.last_login and row.created_at and row.disabled_at is None
    assert row.last_login[:19].replace("T", " ") in page


def test_a_role_change_takes_effect_at_the_next_request(app, db):
    ana, adm = _as(app, "ana"), _as(app, "adm")
    assert ana.get("/audit").status_code == 403
    assert _post(adm, "/admin/users/role", name="ana", role="lead").status_code == 303
    assert ana.get("/audit").status_code == 200  # the same session, now a lead
    assert _post(adm, "/admin/users/role", name="ana", role="analyst").status_code == 303
    assert ana.get("/audit").status_code == 403
    rows = [r for r in _audit(db) if r[1] == "user_role"]
    assert [(r[0], r[2], json.loads(r[3])) for r in rows] == [
        ("adm", "ana", {"role": "lead", "was": "analyst"}),
        ("adm", "ana", {"role": "analyst", "was": "lead"}),
    ]
    bad = _post(adm, "/admin/users/role", name="ana", role="boss")
    assert bad.status_code == 400 and "is not one of" in bad.text


def test_a_disabled_user_cannot_log_in_and_their_session_ends(app, db):
    ana, adm = _as(app, "ana"), _as(app, "adm")
    assert ana.get("/queue").url.path == "/queue"
    assert _post(adm, "/admin/users/disable", name="ana").status_code == 303
    assert ana.get("/queue").url.path == "/login"  # the old session is refused
    assert log_in(TestClient(app), "ana").status_code == 401  # and a new login
    assert "disabled" in adm.get("/admin/users").text
    assert _post(adm, "/admin/users/enable", name="ana").status_code == 303
    assert _as(app, "ana").get("/queue").status_code == 200
    actions = [r[:3] for r in _audit(db)]
    assert ("adm", "user_disable", "ana") in actions and ("adm", "user_enable", "ana") in actions


def test_a_disabled_user_is_refused_through_the_trusted_proxy_header(db):
    app = make_app(db, trusted_user_header="X-Remote-User")
    accounts.users_disable(db, "ana")
    with TestClient(app) as c:
        assert c.get("/queue", headers={"X-Remote-User": "ana"}).url.path == "/login"
        assert c.get("/queue", headers={"X-Remote-User": "ben"}).url.path == "/queue"


def test_an_admin_cannot_disable_or_demote_themselves(app, db):
    adm = _as(app, "adm")
    for url, data in (
        ("/admin/users/disable", {"name": "adm"}),
        ("/admin/users/role", {"name": "adm", "role": "lead"}),
    ):
        refused = _post(adm, url, **data)
        assert refused.status_code == 400 and "cannot" in refused.text
    assert adm.get("/admin/users").status_code == 200  # still an admin, still logged in
    # and from the command line, the last enabled admin stays one
    with pytest.raises(AccountInvalid, match="only enabled admin"):
        accounts.users_disable(db, "adm")
    with pytest.raises(AccountInvalid, match="only enabled admin"):
        accounts.users_role(db, "adm", "analyst")
    with pytest.raises(AccountInvalid, match="only enabled admin"):
        accounts.users_add(db, "adm", role="lead", password=PASSWORD)
    assert accounts.users_role(db, "lea", "admin").was == "lead"
    assert accounts.users_role(db, "adm", "lead").was == "admin"  # another admin exists now
    assert not [r for r in _audit(db) if r[1] == "user_disable"]


def test_a_password_reset_ends_the_sessions_and_changes_the_password(app, db):
    ben, adm = _as(app, "ben"), _as(app, "adm")
    short = _post(adm, "/admin/users/password", name="ben", password="short")
    assert short.status_code == 400
    assert _post(adm, "/admin/users/password", name="ben", password=NEW_PASSWORD).status_code == 303
    assert ben.get("/queue").url.path == "/login"
    assert log_in(TestClient(app), "ben").status_code == 401
    assert _as(app, "ben", NEW_PASSWORD).get("/queue").status_code == 200
    (row,) = [r for r in _audit(db) if r[1] == "user_password"]
    assert row[:3] == ("adm", "user_password", "ben") and json.loads(row[3]) == {}
    _no_secret_in_audit(db, PASSWORD, NEW_PASSWORD)


def test_analysts_and_leads_get_403_on_every_admin_route(app, db):
    for name in ("ana", "lea"):
        c = _as(app, name)
        for url in ADMIN_GETS:
            assert c.get(url).status_code == 403, (name, url)
        for url in ADMIN_POSTS:
            files = {"file": ("ops.yaml", GOOD_PACK.encode())} if "upload" in url else None
            answer = _post(c, url, files=files, name="ben", role="admin", password=NEW_PASSWORD)
            assert answer.status_code == 403, (name, url)
        assert "/admin/users" not in c.get("/queue").text  # not offered either
    assert {u.name: u.role for u in accounts.users_list(db)}["ben"] == "analyst"
    assert not workbench_home(db).packs.exists()
    assert not [r for r in _audit(db) if r[0] != "cli" and r[1].startswith(("user_", "pack_"))]


def test_admin_posts_without_the_csrf_token_are_refused(app, db):
    adm = _as(app, "adm")
    for url in ADMIN_POSTS:
        files = {"file": ("ops.yaml", GOOD_PACK.encode())} if "upload" in url else None
        for token in ({}, {"csrf": "not-the-token"}):
            answer = adm.post(
                url, data={**token, "name": "ben", "role": "admin", "password": NEW_PASSWORD},
                files=files, follow_redirects=False,
            )  # fmt: skip
            assert answer.status_code == 403, url
    assert {u.name: u.role for u in accounts.users_list(db)}["ben"] == "analyst"
    assert not workbench_home(db).packs.exists()


def test_hostile_user_names_render_escaped(app, db):
    adm = _as(app, "adm")
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    refused = _post(adm, "/admin/users/add", name=hostile, role="analyst", password=NEW_PASSWORD)
    assert refused.status_code == 400 and "user name" in refused.text
    assert "<script>alert(1)" not in refused.text and "<img src=x" not in refused.text
    assert "&lt;script&gt;" in refused.text
    missing = _post(adm, "/admin/users/disable", name=hostile)
    assert missing.status_code == 400 and "<script>alert(1)" not in missing.text


def test_the_cli_users_commands_mirror_the_page(db):
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli_app, ["users", *args, "--db", str(db)])
        assert (result.exit_code == 0) is ok, result.output
        return result.output if ok else str(result.exception)

    assert "analyst -> lead" in run("role", "ben", "lead")
    assert "disabled" in run("disable", "ben")
    assert "ben" in run("list") and "disabled" in run("list")
    assert "enabled" in run("enable", "ben")
    assert "password reset" in run("password", "ben", "--password", NEW_PASSWORD)
    assert accounts.verify_password(make_app(db).state.store, "ben", NEW_PASSWORD) is not None
    assert "only enabled admin" in run("disable", "adm", ok=False)
    assert "no user named" in run("enable", "nobody", ok=False)
    assert [r[:3] for r in _audit(db) if r[2] == "ben"][-4:] == [
        ("cli", "user_role", "ben"),
        ("cli", "user_disable", "ben"),
        ("cli", "user_enable", "ben"),
        ("cli", "user_password", "ben"),
    ]
    _no_secret_in_audit(db, PASSWORD, NEW_PASSWORD)


# --- rule packs --------------------------------------------------------------------


def test_a_valid_pack_is_linted_kept_and_listed(app, db):
    adm = _as(app, "adm")
    kept = _upload(adm, GOOD_PACK)
    assert kept.status_code == 303
    folder = workbench_home(db).packs
    assert folder == Path(f"{db}.workbench-packs")
    assert (folder / "ops.yaml").read_text() == GOOD_PACK
    page = adm.get(kept.headers["location"]).text
    assert "ops.yaml" in page and "ops.sample-exe" in page and "Pack kept" in page
    assert "ops.sample-exe" in load_packs([folder]).rules  # what `flag <folder>` will run
    (row,) = [r for r in _audit(db) if r[1] == "pack_add"]
    assert row[:3] == ("adm", "pack_add", "ops.yaml")
    assert json.loads(row[3])["replaced"] is None
    # a new version replaces it; the old one is kept aside, not lost
    assert _upload(adm, GOOD_PACK.replace("version: 1", "version: 2")).status_code == 303
    (kept,) = (folder / ".previous").iterdir()
    assert kept.read_text() == GOOD_PACK
    # others see the page of rules as before, not the packs page
    assert _as(app, "ana").get("/rules").status_code == 200


def test_removing_a_pack_moves_it_out_of_force(app, db):
    adm = _as(app, "adm")
    _upload(adm, GOOD_PACK)
    assert _post(adm, "/admin/packs/remove", name="ops.yaml").status_code == 303
    folder = workbench_home(db).packs
    assert not (folder / "ops.yaml").exists()
    assert [p.read_text() for p in (folder / ".previous").iterdir()] == [GOOD_PACK]
    assert "No operator packs here yet" in adm.get("/admin/packs").text
    assert ("adm", "pack_remove", "ops.yaml") in [r[:3] for r in _audit(db)]
    gone = _post(adm, "/admin/packs/remove", name="ops.yaml")
    assert gone.status_code == 400 and "no pack named" in gone.text


def test_a_removal_that_would_break_the_folder_is_refused(app, db):
    adm = _as(app, "adm")
    _upload(adm, GOOD_PACK, "a.yaml")
    switch_off = "rules:\n  - {id: ops.sample-exe, disabled: true}\n"
    assert _upload(adm, switch_off, "b.yaml").status_code == 303
    refused = _post(adm, "/admin/packs/remove", name="a.yaml")
    assert refused.status_code == 400 and "b.yaml:2:" in refused.text
    assert (workbench_home(db).packs / "a.yaml").exists()


@pytest.mark.parametrize("wrong", sorted(BAD_PACKS))
def test_an_invalid_pack_is_refused_with_every_problem_and_nothing_written(app, db, wrong):
    adm = _as(app, "adm")
    text, where, code = BAD_PACKS[wrong]
    refused = _upload(adm, text, "bad.yaml")
    assert refused.status_code == 400
    assert f"<code>{where}</code>" in refused.text and f"<code>{code}</code>" in refused.text
    assert "nothing was written" in refused.text
    folder = workbench_home(db).packs
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".lock")] == []
    (row,) = [r for r in _audit(db) if r[1] == "pack_refused"]
    assert row[:3] == ("adm", "pack_refused", "bad.yaml") and code in json.loads(row[3])["codes"]


def test_hostile_pack_names_and_problems_render_escaped(app, db):
    adm = _as(app, "adm")
    hostile_id = GOOD_PACK.replace("ops.sample-exe", "<script>alert(1)</script>")
    refused = _upload(adm, hostile_id, "ops.yaml")
    assert refused.status_code == 400 and "rules." in refused.text
    assert "<script>alert(1)" not in refused.text and "&lt;script&gt;" in refused.text
    bad_name = _upload(adm, GOOD_PACK, "<script>x</script>.yaml")
    assert bad_name.status_code == 400 and "pack name" in bad_name.text
    assert "<script>x" not in bad_name.text
    for name in ("../ops.yaml", ".hidden.yaml", "ops.txt", "a/b.yaml"):
        assert _upload(adm, GOOD_PACK, name).status_code == 400, name
    assert not (workbench_home(db).packs / "ops.yaml").exists()


def test_an_oversized_pack_is_refused(app, db):
    from torrentwatch.workbench.packs import MAX_UPLOAD_BYTES

    adm = _as(app, "adm")
    big = GOOD_PACK + "#" * MAX_UPLOAD_BYTES + "\n"
    refused = _upload(adm, big)
    assert refused.status_code == 400 and "larger than" in refused.text
    assert not (workbench_home(db).packs / "ops.yaml").exists()


def test_a_lake_workbench_keeps_its_packs_in_its_home(tmp_path):
    from torrentwatch.workbench.packs import add_pack, list_packs

    lake = file_catalog_lake(tmp_path)
    place = workbench_home(lake, tmp_path / "home")
    assert place.packs == (tmp_path / "home" / "packs").resolve()
    add_pack(place.packs, "ops.yaml", GOOD_PACK.encode())
    assert [p.rule_ids for p in list_packs(place.packs).packs] == [("ops.sample-exe",)]
