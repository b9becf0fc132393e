"""The workbench's routes: a thin skin over review, explain, export and hashlist.

Reads go to the newest snapshot (``snapshot.Snapshots``); decisions go to the store and
are folded into the warehouse as soon as it is free; exports and hash-list imports run
the stage functions on the warehouse itself and say so plainly when a load holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from common.errors import TorrentwatchError, WarehouseLocked
from torrentwatch import export as export_stage
from torrentwatch import hashlist as hashlist_stage
from torrentwatch.explain import explain
from torrentwatch.review_codes import DECISIONS, RATIONALES
from torrentwatch.workbench import decide, reads
from torrentwatch.workbench.accounts import verify_password
from torrentwatch.workbench.admin import admin_routes
from torrentwatch.workbench.home import Home, workbench_home
from torrentwatch.workbench.snapshot import LEVELS, Snapshots
from torrentwatch.workbench.store import Store
from torrentwatch.workbench.web import (
    LOGIN_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Forbidden,
    NotLoggedIn,
    Settings,
    checked_form,
    client,
    render,
    require,
    secure,
    see_other,
    set_session_cookie,
    templates,
)

NOTICES = {
    "decided": "Decision recorded.",
    "bulk": "Bulk decision recorded.",
    "exported": "Export written.",
    "nothing": "Nothing new to export for that target.",
    "imported": "Hash list imported.",
    "mask": "Setting saved.",
}
FAILURE_WINDOW = timedelta(minutes=15)


def create_app(settings: Settings, *, start_refresher: bool = True) -> FastAPI:
    """The workbench for ``settings.db``; ``start_refresher`` False leaves snapshot
    refreshes to the caller (tests call ``app.state.snapshots.refresh()``)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with contextlib.suppress(WarehouseLocked):
            await run_in_threadpool(app.state.snapshots.refresh, force=True)
        if start_refresher:
            app.state.snapshots.start()
        yield
        app.state.snapshots.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    home = workbench_home(settings.db, settings.home)
    store = Store(settings.db, path=home.store)
    app.state.settings = settings
    app.state.home = home
    app.state.store = store
    app.state.snapshots = Snapshots(
        settings.db,
        store,
        interval=settings.refresh_interval,
        min_rebuild=settings.min_rebuild,
        folder=home.snapshots,
    )
    app.state.templates = templates()
    app.mount(
        "/static",
        StaticFiles(packages=[("torrentwatch.workbench", "static")]),
        name="static",
    )
    _install_handlers(app)
    _routes(app)
    admin_routes(app)
    return app


def _install_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if secure(request):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        token = getattr(request.state, "new_token", None)
        if token:
            set_session_cookie(response, request, token)
        return response

    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, exc: NotLoggedIn):
        return see_other("/login")

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden):
        return render(request, "error.html", status=403, message=str(exc))

    @app.exception_handler(WarehouseLocked)
    async def busy(request: Request, exc: WarehouseLocked):
        return render(request, "error.html", status=503, message=str(exc))

    @app.exception_handler(TorrentwatchError)
    async def refused(request: Request, exc: TorrentwatchError):
        return render(request, "error.html", status=400, message=str(exc))


def _login_delay(settings: Settings, failures: int) -> float:
    """Seconds to wait before answering a login attempt after ``failures`` recent failures."""
    if failures <= 0:
        return 0.0
    return min(settings.login_delay * 2 ** (failures - 1), settings.login_delay_max)


def _routes(app: FastAPI) -> None:
    store: Store = app.state.store
    snaps: Snapshots = app.state.snapshots
    settings: Settings = app.state.settings
    place: Home = app.state.home

    @app.get("/login")
    async def login_page(request: Request):
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html", login_csrf=token, failed=False)
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
        )
        return response

    @app.post("/login")
    async def login(request: Request):
        form = await request.form()
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        given = form.get("csrf")
        if not cookie or not isinstance(given, str) or not secrets.compare_digest(given, cookie):
            raise Forbidden("the login form's CSRF token is missing or wrong: reload the page")
        name = str(form.get("name", ""))[:64]
        password = str(form.get("password", ""))
        failures = await run_in_threadpool(store.failures, name, FAILURE_WINDOW)
        await asyncio.sleep(_login_delay(settings, failures))
        user = await run_in_threadpool(verify_password, store, name, password)
        if user is None:
            await run_in_threadpool(store.record_failure, name, client(request))
            token = secrets.token_urlsafe(32)
            response = render(request, "login.html", 401, login_csrf=token, failed=True)
            response.set_cookie(
                LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure(request)
            )
            return response
        token = secrets.token_urlsafe(32)
        store.open_session(user.name, token, secrets.token_urlsafe(32), client(request), "password")
        response = see_other("/queue")
        set_session_cookie(response, request, token)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout")
    async def logout(request: Request):
        session, _ = await checked_form(request)
        store.close_session(request.cookies.get(SESSION_COOKIE, ""), session.user.name)
        response = see_other("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/")
    async def home(request: Request):
        require(request)
        return see_other("/queue")

    @app.get("/queue")
    def queue(request: Request):
        session = require(request)
        flt = reads.QueueFilter.from_query(dict(request.query_params))
        cur = snaps.cursor()
        try:
            page = reads.queue_page(cur, flt)
            keys = [r["infohash"] for r in page.rows]
            pending = {p["infohash"]: p for p in snaps.pending(cur, keys)}
        finally:
            cur.close()
        return render(
            request,
            "queue.html",
            flt=flt,
            page=page,
            pending=pending,
            levels=LEVELS,
            statuses=reads.STATUSES,
            sorts=reads.SORTS,
            q=lambda **kw: urlencode(flt.query(**kw)),
            mask=session.user.mask_names,
            decisions=DECISIONS,
            rationales=list(RATIONALES.values()),
            notice=NOTICES.get(request.query_params.get("done", "")),
        )

    @app.get("/torrent/{infohash}")
    def torrent(request: Request, infohash: str):
        session = require(request)
        flt = reads.QueueFilter.from_query(dict(request.query_params))
        cur = snaps.cursor()
        try:
            key = reads.torrent_key(cur, infohash)
            if key is None:
                return render(request, "error.html", 404, message="no such torrent")
            path = snaps.current.path
            context = dict(
                t=reads.torrent(cur, key),
                row=reads.queue_row(cur, key),
                files=reads.files(cur, key),
                evidence_files=reads.evidence_files(cur, key),
                sightings=reads.sightings(cur, key),
                hits=reads.hash_hits(cur, key),
                history=reads.history(cur, key),
                neighbours=reads.neighbours(cur, flt, key),
                pending=snaps.pending(cur, [key]),
            )
        finally:
            cur.close()
        return render(
            request,
            "torrent.html",
            key=key,
            explained=explain(path, key),
            q=urlencode(flt.query()),
            mask=session.user.mask_names,
            decisions=DECISIONS,
            rationales=list(RATIONALES.values()),
            notice=NOTICES.get(request.query_params.get("done", "")),
            **context,
        )

    @app.post("/torrent/{infohash}/decide")
    async def decide_route(request: Request, infohash: str):
        session, form = await checked_form(request)
        flt = reads.QueueFilter.from_query(dict(request.query_params))
        note = str(form.get("note", "")).strip() or None

        def work():
            cur = snaps.cursor()
            try:
                key = reads.torrent_key(cur, infohash) or infohash
                _, after = reads.neighbours(cur, flt, key)
                decide.decide_one(
                    snaps,
                    cur,
                    session.user.name,
                    key,
                    str(form.get("decision", "")),
                    str(form.get("rationale", "")),
                    note,
                )
                return key, after
            finally:
                cur.close()

        key, after = await run_in_threadpool(work)
        snaps.wake()
        query = urlencode({**flt.query(), "done": "decided"})
        if form.get("then") == "next" and after:
            return see_other(f"/torrent/{after}?{query}")
        return see_other(f"/torrent/{key}?{query}")

    @app.post("/bulk/preview")
    async def bulk_preview(request: Request):
        session, form = await checked_form(request, "lead")
        flt = reads.QueueFilter.from_query({k: str(v) for k, v in form.items()})
        decision = str(form.get("decision", ""))

        def work():
            cur = snaps.cursor()
            try:
                return decide.plan_bulk(snaps, cur, session.user.name, flt, decision)
            finally:
                cur.close()

        plan = await run_in_threadpool(work)
        return render(
            request,
            "bulk.html",
            flt=flt,
            plan=plan,
            shown=plan.take[:500],
            decision=decision,
            rationale=str(form.get("rationale", "")),
            note=str(form.get("note", "")),
            hidden=flt.query(),
            mask=session.user.mask_names,
        )

    @app.post("/bulk/apply")
    async def bulk_apply(request: Request):
        session, form = await checked_form(request, "lead")
        flt = reads.QueueFilter.from_query({k: str(v) for k, v in form.items()})

        def work():
            cur = snaps.cursor()
            try:
                return decide.apply_bulk(
                    snaps,
                    cur,
                    session.user.name,
                    flt,
                    decision=str(form.get("decision", "")),
                    rationale=str(form.get("rationale", "")),
                    note=str(form.get("note", "")).strip() or None,
                    digest=str(form.get("digest", "")),
                )
            finally:
                cur.close()

        await run_in_threadpool(work)
        snaps.wake()
        return see_other(f"/queue?{urlencode({**flt.query(page=1), 'done': 'bulk'})}")

    def exports_page(request: Request, *, verified=None, notice: str | None = None):
        """The exports page: the batches from the snapshot, and a verification's report."""
        cur = snaps.cursor()
        try:
            rows = reads.exports(cur)
        finally:
            cur.close()
        return render(
            request,
            "exports.html",
            rows=rows,
            formats=list(export_stage.FORMATS),
            verified=verified,
            notice=notice,
        )

    @app.get("/exports")
    def exports(request: Request):
        require(request)
        return exports_page(request, notice=NOTICES.get(request.query_params.get("done", "")))

    @app.post("/exports/run")
    async def export_run(request: Request):
        session, form = await checked_form(request, "lead")
        target = str(form.get("target", "")).strip()
        fmt = str(form.get("format", "csv"))
        escalated = form.get("escalated") == "on"

        def work():
            with snaps.lake_access():
                return export_stage.export(
                    settings.db,
                    target=target,
                    fmt=fmt,
                    out_dir=settings.exports_dir,
                    escalated=escalated,
                )

        result = await run_in_threadpool(work)
        store.audit(
            session.user.name,
            "export",
            target,
            {"format": fmt, "batch_id": result.batch_id, "items": result.items,
             "escalated": escalated},
        )  # fmt: skip
        await run_in_threadpool(_refresh_quietly, snaps)
        return see_other(f"/exports?done={'exported' if result.batch_id else 'nothing'}")

    def _export_path(batch: str, name: str) -> Path:
        cur = snaps.cursor()
        try:
            found = reads.export_file(cur, batch, name)
        finally:
            cur.close()
        if found is None:
            raise Forbidden("no such export file")
        return Path(found["out_dir"]) / name

    @app.get("/exports/{batch}/{name}")
    def export_download(request: Request, batch: str, name: str):
        session = require(request, "lead")
        path = _export_path(batch, name)
        store.audit(session.user.name, "export_download", batch, {"file": name})
        return FileResponse(path, filename=name, media_type="application/octet-stream")

    @app.get("/exports/{batch}/{name}/verify")
    def export_verify(request: Request, batch: str, name: str):
        require(request, "lead")
        path = _export_path(batch, name)
        return exports_page(request, verified=export_stage.export_verify(path))

    @app.get("/hashlists")
    def hashlists(request: Request):
        require(request)
        cur = snaps.cursor()
        try:
            rows = reads.hash_lists(cur)
        finally:
            cur.close()
        return render(
            request,
            "hashlists.html",
            rows=rows,
            notice=NOTICES.get(request.query_params.get("done", "")),
        )

    @app.post("/hashlists/import")
    async def hashlist_import(request: Request):
        session, form = await checked_form(request, "admin")
        upload = form.get("file")
        name = str(form.get("name", "")).strip()
        if upload is None or isinstance(upload, str):
            raise Forbidden("choose a list file to import")
        hashlist_stage.check_name(name)
        data = await upload.read(hashlist_stage.MAX_LIST_BYTES + 1)
        # Kept (the list's version records the file it came from), beside the warehouse
        # (a lake: in the workbench's home).
        folder = place.uploads
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{secrets.token_hex(8)}.txt"
        path.write_bytes(data)

        def work():
            with snaps.lake_access():
                return hashlist_stage.hashlist_import(path, settings.db, name=name)

        done = await run_in_threadpool(work)
        store.audit(
            session.user.name,
            "hashlist_import",
            name,
            {"version": done.summary.version, "entries": done.summary.entries},
        )
        await run_in_threadpool(_refresh_quietly, snaps)
        return see_other("/hashlists?done=imported")

    @app.get("/rules")
    def rules(request: Request):
        require(request)
        cur = snaps.cursor()
        try:
            rows, runs = reads.rules(cur), reads.runs(cur)
        finally:
            cur.close()
        hits = {r["rule_id"]: r for r in rows}
        shipped = _shipped_rules()
        others = [r for r in rows if r["rule_id"] not in {rule["id"] for rule in shipped}]
        return render(request, "rules.html", shipped=shipped, hits=hits, others=others, runs=runs)

    @app.get("/audit")
    def audit(request: Request):
        require(request, "lead")
        return render(request, "audit.html", rows=store.audit_rows())

    @app.post("/prefs/mask")
    async def mask(request: Request):
        session, form = await checked_form(request)
        store.set_mask(session.user.name, form.get("mask") == "on")
        back = str(form.get("back", "/queue"))
        return see_other(back if back.startswith("/") and not back.startswith("//") else "/queue")

    @app.get("/favicon.ico")
    async def favicon():
        return Response(status_code=204)


@functools.cache
def _shipped_rules() -> list[dict]:
    """The rules of the shipped packs (what `torrentwatch flag` runs without --rules)."""
    from rules.ruleset import load_packs

    return [
        {"id": r.id, "version": r.version, "level": r.level, "title": r.title, "where": r.where}
        for r in sorted(load_packs().rules.values(), key=lambda r: (-LEVELS.index(r.level), r.id))
    ]


def _refresh_quietly(snaps: Snapshots) -> None:
    with contextlib.suppress(WarehouseLocked):
        snaps.refresh(force=True)
