"""The admin pages: users (torrentwatch.workbench.accounts) and the workbench's operator
rule packs (torrentwatch.workbench.packs). Thin skins: each action is one library call
the CLI also makes (accounts) or could make (packs); every one needs the admin role
(checked here, server-side, before the form is read) and the session's CSRF token, and
leaves an audit row naming who did what, never a password.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from common.errors import RulesInvalid, TorrentwatchError
from torrentwatch.workbench import accounts, packs
from torrentwatch.workbench.home import Home
from torrentwatch.workbench.store import ROLES, Store
from torrentwatch.workbench.web import checked_form, render, require, see_other

NOTICES = {
    "added": "Account added.",
    "role": "Role changed.",
    "disable": "Account disabled; its sessions ended.",
    "enable": "Account enabled.",
    "password": "Password reset; the account's sessions ended.",
    "kept": "Pack kept: the packs in force lint clean with it.",
    "removed": "Pack removed (kept in .previous/ of the packs folder).",
}


def admin_routes(app: FastAPI) -> None:
    store: Store = app.state.store
    place: Home = app.state.home

    def users_page(request: Request, status: int = 200, error: str | None = None):
        return render(
            request,
            "users.html",
            status,
            rows=accounts.account_rows(store),
            roles=ROLES,
            error=error,
            notice=NOTICES.get(request.query_params.get("done", "")),
        )

    @app.get("/admin/users")
    def users(request: Request):
        require(request, "admin")
        return users_page(request)

    async def _user_action(request: Request, action: str):
        session, form = await checked_form(request, "admin")
        by = session.user.name
        name = str(form.get("name", "")).strip()

        def work():
            if action == "added":
                password = str(form.get("password", ""))
                role = str(form.get("role", ""))
                accounts.add_account(store, name, role, password, by=by)
            elif action == "role":
                accounts.change_role(store, name, str(form.get("role", "")), by=by)
            elif action in ("disable", "enable"):
                accounts.set_disabled(store, name, action == "disable", by=by)
            else:
                accounts.reset_password(store, name, str(form.get("password", "")), by=by)

        try:
            await run_in_threadpool(work)  # argon2 takes a while: off the event loop
        except TorrentwatchError as exc:
            return users_page(request, 400, str(exc))
        return see_other(f"/admin/users?done={action}")

    @app.post("/admin/users/add")
    async def user_add(request: Request):
        return await _user_action(request, "added")

    @app.post("/admin/users/role")
    async def user_role(request: Request):
        return await _user_action(request, "role")

    @app.post("/admin/users/disable")
    async def user_disable(request: Request):
        return await _user_action(request, "disable")

    @app.post("/admin/users/enable")
    async def user_enable(request: Request):
        return await _user_action(request, "enable")

    @app.post("/admin/users/password")
    async def user_password(request: Request):
        return await _user_action(request, "password")

    def packs_page(request: Request, status: int = 200, **refused):
        listing = packs.list_packs(place.packs)
        return render(
            request,
            "packs.html",
            status,
            listing=listing,
            max_bytes=packs.MAX_UPLOAD_BYTES,
            refused=refused.get("refused"),
            problems=refused.get("problems", ()),
            error=refused.get("error"),
            notice=NOTICES.get(request.query_params.get("done", "")),
        )

    @app.get("/admin/packs")
    def packs_list(request: Request):
        require(request, "admin")
        return packs_page(request)

    @app.post("/admin/packs/upload")
    async def pack_upload(request: Request):
        session, form = await checked_form(request, "admin")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return packs_page(request, 400, error="choose a pack file (YAML) to upload")
        name = str(form.get("name", "")).strip() or str(upload.filename or "")
        data = await upload.read(packs.MAX_UPLOAD_BYTES + 1)
        try:
            done = await run_in_threadpool(packs.add_pack, place.packs, name, data)
        except RulesInvalid as exc:
            store.audit(
                session.user.name,
                "pack_refused",
                name,
                {"problems": len(exc.problems), "codes": sorted({p.code for p in exc.problems})},
            )
            return packs_page(request, 400, refused=name, problems=exc.problems)
        except TorrentwatchError as exc:
            return packs_page(request, 400, error=str(exc))
        store.audit(
            session.user.name,
            "pack_add",
            done.name,
            {"sha256": done.sha256, "replaced": done.previous_sha256, "rules": done.rules},
        )
        return see_other("/admin/packs?done=kept")

    @app.post("/admin/packs/remove")
    async def pack_remove(request: Request):
        session, form = await checked_form(request, "admin")
        name = str(form.get("name", "")).strip()
        try:
            done = await run_in_threadpool(packs.remove_pack, place.packs, name)
        except RulesInvalid as exc:
            return packs_page(request, 400, refused=name, problems=exc.problems)
        except TorrentwatchError as exc:
            return packs_page(request, 400, error=str(exc))
        store.audit(
            session.user.name,
            "pack_remove",
            done.name,
            {"sha256": done.previous_sha256, "rules": done.rules},
        )
        return see_other("/admin/packs?done=removed")
