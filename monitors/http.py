"""A small HTTP(S) client for monitors: bounded in time and size, polite on retry.

Feeds and tracker scrapes are other people's servers, some slow, some broken, a few
hostile. Every request here has a total time limit, a hard cap on the body (read in
chunks, never trusting Content-Length), a content-type check, and retries with
exponential backoff and jitter only where a retry can help (5xx, 429, connection
errors, timeouts). Conditional requests (ETag, Last-Modified) make an unchanged
feed cost one 304. The standard library is enough for this and keeps the behaviour
in view; redirects are limited to http(s), except that a redirect to a ``magnet:``
URI (as Torznab indexers do for magnet-only results) is reported, not followed.
"""

from __future__ import annotations

import http.client
import os
import random
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from urllib.parse import quote, urlsplit

from common.errors import (
    FetchBadContentType,
    FetchBadStatus,
    FetchBadUrl,
    FetchError,
    FetchTimeout,
    FetchTlsError,
    FetchTooLarge,
)
from common.settings import Setting, number, whole

USER_AGENT = "torrentwatch/0.1 (public metadata monitor)"
_CHUNK = 64 * 1024
_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """How patient and how trusting to be with one server."""

    timeout: float = 30.0  # seconds for a whole request: connect, headers and body
    retries: int = 3  # further attempts after the first, on transient failures only
    max_bytes: int = 8 * 1024 * 1024  # the body is cut off (an error) past this
    backoff: float = 0.5  # first retry waits about this long, doubling each time
    backoff_cap: float = 30.0
    ca_file: str | None = None  # PEM bundle to trust instead of the system's (private CAs)


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said identifies this version of the document."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str | None  # the media type alone, lower case; None when not sent
    validators: Validators
    magnet: str | None = None  # the server redirected to this magnet URI instead

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _MagnetRedirect(Exception):
    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.uri = uri


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow http(s) redirects only; hand a redirect to a magnet URI back to the caller."""

    def http_error_302(self, req, fp, code, msg, headers):
        location = (headers.get("location") or headers.get("uri") or "").strip()
        if location[:7].lower() == "magnet:":
            fp.close()
            raise _MagnetRedirect(location)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in _SCHEMES:
            fp.close()
            raise FetchBadUrl(f"{req.full_url}: redirected to a non-http(s) URL: {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_url(url: object) -> str | None:
    """A problem with ``url`` as a fetch target, or None when it is a usable http(s) URL."""
    if not isinstance(url, str) or not url.strip():
        return "must be an http:// or https:// URL"
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        return f"must be an http:// or https:// URL with a host, not {url[:200]!r}"
    return None


def fetch(
    url: str,
    policy: HttpPolicy,
    *,
    accept: frozenset[str] | None = None,
    validators: Validators | None = None,
    pace: Callable[[], None] = lambda: None,
    deadline: float | None = None,
) -> Response:
    """GET ``url``, retrying transient failures; raise a :class:`FetchError` subclass.

    ``accept``: media types the body may have (a response without Content-Type is let
    through for the parser to judge). ``pace`` is called before every attempt, so a
    source's rate limit counts retries too. ``deadline`` (``time.monotonic()``) bounds
    the whole thing, backoff sleeps included.
    """
    problem = check_url(url)
    if problem:
        raise FetchBadUrl(f"{url!r}: {problem}")
    attempt = 0
    while True:
        pace()
        try:
            return _attempt(url, policy, accept, validators, deadline)
        except FetchError as exc:
            if not exc.transient or attempt >= policy.retries:
                raise
            delay = _backoff(policy, attempt, exc.retry_after)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise
            time.sleep(delay)
            attempt += 1


def _backoff(policy: HttpPolicy, attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, so many
    monitors retrying one server spread out instead of arriving together."""
    ceiling = min(policy.backoff_cap, policy.backoff * (2**attempt))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.backoff_cap))
    return delay


def _attempt(
    url: str,
    policy: HttpPolicy,
    accept: frozenset[str] | None,
    validators: Validators | None,
    deadline: float | None,
) -> Response:
    started = time.monotonic()
    ends = started + policy.timeout
    if deadline is not None:
        ends = min(ends, deadline)
    if ends <= started:
        raise FetchTimeout(f"{url}: no time left before the source's deadline", transient=True)
    try:
        request = urllib.request.Request(_requote(url), headers=_headers(accept, validators))
    except ValueError as exc:
        raise FetchBadUrl(f"{url!r}: not a usable URL: {exc}") from None
    opener = urllib.request.build_opener(_Redirects, *_tls_handlers(policy))
    try:
        response = opener.open(request, timeout=ends - started)
    except _MagnetRedirect as redirect:
        return Response(url, 302, b"", None, Validators(), magnet=redirect.uri)
    except urllib.error.HTTPError as err:
        with err:
            return _error_status(url, err)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise _connection_error(url, err) from err
    except ValueError as exc:  # http.client refuses what it cannot send (control bytes...)
        raise FetchBadUrl(f"{url!r}: not a usable URL: {exc}") from None
    with response:
        headers = response.headers
        content_type = _media_type(headers)
        _check_headers(url, headers, content_type, accept, policy.max_bytes)
        body = _read_capped(response, url, policy.max_bytes, ends)
        return Response(
            response.geturl(), response.status, body, content_type, _validators(headers)
        )


def _requote(url: str) -> str:
    """Percent-encode spaces, control bytes and non-ASCII the way browsers do (feeds
    carry such links), keeping reserved characters and existing escapes."""
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def _tls_handlers(policy: HttpPolicy) -> list[urllib.request.BaseHandler]:
    """Certificates are always verified; ``ca_file`` only changes whom to trust."""
    if policy.ca_file is None:
        return []
    try:
        context = ssl.create_default_context(cafile=policy.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise FetchTlsError(f"cannot use the CA file {policy.ca_file}: {exc}") from exc
    return [urllib.request.HTTPSHandler(context=context)]


def _headers(accept: frozenset[str] | None, validators: Validators | None) -> dict[str, str]:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "Accept": ", ".join(sorted(accept)) + ", */*;q=0.1" if accept else "*/*",
    }
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _error_status(url: str, err: urllib.error.HTTPError) -> Response:
    if err.code == 304:
        return Response(url, 304, b"", None, _validators(err.headers))
    transient = err.code >= 500 or err.code in (408, 429)
    raise FetchBadStatus(
        f"{url}: HTTP {err.code} {err.reason}",
        transient=transient,
        status=err.code,
        retry_after=_retry_after(err.headers),
    )


def _connection_error(url: str, err: BaseException) -> FetchError:
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, FetchError):
        return reason
    if isinstance(reason, ssl.SSLError):
        return FetchTlsError(f"{url}: TLS failed: {reason}")
    if isinstance(reason, TimeoutError):
        return FetchTimeout(f"{url}: timed out", transient=True)
    return FetchError(f"{url}: cannot fetch: {reason}", transient=True)


def _media_type(headers: Message) -> str | None:
    raw = headers.get("Content-Type")
    if not raw:
        return None
    return raw.split(";", 1)[0].strip().lower() or None


def _check_headers(
    url: str,
    headers: Message,
    content_type: str | None,
    accept: frozenset[str] | None,
    max_bytes: int,
) -> None:
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError(f"{url}: the server sent a {encoding!r} body though asked not to")
    if accept and content_type is not None and content_type not in accept:
        wanted = ", ".join(sorted(accept))
        raise FetchBadContentType(f"{url}: content type {content_type!r} is not one of {wanted}")
    length = headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchTooLarge(f"{url}: {int(length)} bytes announced, over the {max_bytes}-byte cap")


def _read_capped(response, url: str, max_bytes: int, ends: float) -> bytes:
    """The body, chunk by chunk, stopping one byte past the cap and at the time limit."""
    chunks: list[bytes] = []
    total = 0
    try:
        # read1: one socket read at a time, so a server dripping bytes meets the time limit
        while chunk := response.read1(min(_CHUNK, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise FetchTooLarge(f"{url}: body is over the {max_bytes}-byte cap")
            if time.monotonic() > ends:
                raise FetchTimeout(f"{url}: body still arriving at the time limit", transient=True)
    except (http.client.HTTPException, OSError) as err:
        raise _connection_error(url, err) from err
    return b"".join(chunks)


def _validators(headers: Message) -> Validators:
    return Validators(
        etag=(headers.get("ETag") or "").strip() or None,
        last_modified=(headers.get("Last-Modified") or "").strip() or None,
    )


def _retry_after(headers: Message) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _pem_file(value: object) -> str | None:
    if isinstance(value, str) and os.path.isfile(value):
        return None
    return f"must be the path of a PEM certificate file, not {value!r}"


def policy_settings(*, timeout: float, retries: int) -> tuple[Setting, ...]:
    """The request settings a source shares with this client, as declared rows of its
    :class:`~common.settings.SettingsSpec` (with the kind's own defaults); the byte
    caps are each kind's own rows (:func:`byte_cap`)."""
    return (
        Setting(
            "timeout",
            number(0, 3600, "must be a number of seconds above 0 and at most 3600, not {value!r}"),
            default=timeout,
            doc="seconds for a whole request (connect, headers and body), at most 3600",
        ),
        Setting(
            "retries",
            whole(0, 10, "must be a whole number from {low} to {high}, not {value!r}"),
            default=retries,
            doc="further attempts after a transient failure (5xx, 429, timeout), 0-10",
        ),
        Setting(
            "ca_file",
            _pem_file,
            doc="a PEM bundle to trust instead of the system's (a private CA)",
        ),
    )


def byte_cap(key: str, default: int, doc: str) -> Setting:
    """A size cap setting: a whole number of bytes above 0."""
    check = whole(1, None, "must be a whole number of bytes above 0, not {value!r}")
    return Setting(key, check, default=default, doc=doc)


def policy_from(values: Mapping[str, object], size_key: str) -> HttpPolicy:
    """An :class:`HttpPolicy` from read settings (``SettingsSpec.read``: checked,
    defaults filled in), its body cap from ``size_key``."""
    ca_file = values.get("ca_file")
    return HttpPolicy(
        timeout=float(values["timeout"]),  # type: ignore[arg-type]
        retries=int(values["retries"]),  # type: ignore[call-overload]
        max_bytes=int(values[size_key]),  # type: ignore[call-overload]
        ca_file=ca_file if isinstance(ca_file, str) else None,
    )
