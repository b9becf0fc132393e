"""What every page shares: settings, templates, security headers, sessions and CSRF.

Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the page
came over HTTPS), only its SHA-256 stored. CSRF: every state-changing request carries
the session's own token in a form field, compared in constant time; the login form uses
a double-submit cookie. The Content-Security-Policy allows nothing but this origin's
own script and style files: no inline script or style, nothing from another origin.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from torrentwatch.workbench import present
from torrentwatch.workbench.store import Session, Store

SESSION_COOKIE = "tw_session"
LOGIN_COOKIE = "tw_login"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """How `torrentwatch serve` runs (docs/workbench.md)."""

    db: Path | str  # a warehouse file, or a lake target (warehouse.lake)
    exports_dir: Path
    # The header a trusted reverse proxy sets to the authenticated user's name; None
    # (the default): every user logs in with a password here.
    trusted_user_header: str | None = None
    login_delay: float = 0.5  # seconds after the first failure, doubled per failure
    login_delay_max: float = 8.0
    refresh_interval: float = 1.0  # how often the warehouse is checked for changes
    min_rebuild: float = 2.0  # the least age of a snapshot before the next copy
    # The workbench's own folder (accounts, audit, snapshots): needed for a lake; a
    # file's workbench keeps them beside it (torrentwatch.workbench.home).
    home: Path | None = None


class NotLoggedIn(Exception):
    """Raised inside a page when the request has no valid session: sent to /login."""


class Forbidden(Exception):
    """The user's role does not allow this, or the CSRF token is missing or wrong."""


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("torrentwatch.workbench", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        safe_text=present.safe_text,
        size=present.size,
        when=present.when,
        epoch=present.epoch,
    )
    env.globals.update(torrent_name=present.torrent_name, file_path=present.file_path)
    return env


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    env: Environment = request.app.state.templates
    session: Session | None = getattr(request.state, "session", None)
    html = env.get_template(name).render(
        session=session,
        user=session.user if session else None,
        csrf=session.csrf if session else "",
        snapshot=request.app.state.snapshots,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
        max_age=12 * 3600,
    )


def client(request: Request) -> str:
    return request.client.host if request.client else "?"


def session_of(request: Request) -> Session:
    """The request's session, or NotLoggedIn. With a trusted proxy header, the header
    names the user (an existing local account) and a session is opened for it."""
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    token = request.cookies.get(SESSION_COOKIE)
    found = store.session(token) if token else None
    header = settings.trusted_user_header
    if header:
        name = request.headers.get(header, "")
        if found is not None and found.user.name == name:
            return found
        known = store.user(name)
        if known is None or known.disabled:
            raise NotLoggedIn
        token = secrets.token_urlsafe(32)
        store.open_session(name, token, secrets.token_urlsafe(32), client(request), "proxy")
        request.state.new_token = token
        found = store.session(token)
    if found is None:
        raise NotLoggedIn
    return found


def require(request: Request, role: str = "analyst") -> Session:
    session = session_of(request)
    request.state.session = session
    if not session.user.may(role):
        raise Forbidden(f"this needs the {role} role; {session.user.name} is {session.user.role}")
    return session


async def checked_form(request: Request, role: str = "analyst") -> tuple[Session, dict]:
    """The session and the submitted form of a state-changing request, after the CSRF
    check (Forbidden when the token is missing or not this session's)."""
    session = require(request, role)
    form = await request.form()
    given = form.get("csrf")
    if not isinstance(given, str) or not hmac.compare_digest(given, session.csrf):
        raise Forbidden("the form's CSRF token is missing or does not match your session")
    return session, {k: v for k, v in form.multi_items()}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
