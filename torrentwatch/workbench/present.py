"""Text for the pages: display-safe, HTML-escaped, hidden characters as visible marks.

The one path from a warehouse string to HTML: ``display_safe`` (the CLI's and explain's)
turns bidi, zero-width and control characters into ``<U+202E>`` marks, the result is
HTML-escaped, and only then are the marks wrapped in a styled element. A name can
therefore never add markup, reorder the page or hide a character.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from markupsafe import Markup, escape

from parsers.normalize import client_text, display_name, display_safe

_MARK = re.compile(r"&lt;U\+([0-9A-F]{4,6})&gt;")
# Dots and spaces that end a name or a path part: Windows drops them when it writes the
# file, so "clip.avi." or "clip.avi " is written as "clip.avi" (and shown as if normal).
_TRAILING = re.compile(r"([. ]+)(?=/|$)")


def marked(shown: str, *, trailing: bool = False) -> Markup:
    """Display-safe text as HTML: escaped, each ``<U+XXXX>`` mark styled as one; with
    ``trailing``, dots and spaces ending a path part marked too."""
    html = str(escape(shown))
    if trailing:
        html = _TRAILING.sub(
            lambda m: (
                '<span class="mark" title="trailing dots or spaces">'
                + m[1].replace(" ", "\u2423")
                + "</span>"
            ),
            html,
        )
    return Markup(_MARK.sub(r'<span class="mark" title="hidden character U+\1">U+\1</span>', html))


def safe_text(value: object) -> Markup:
    """Any value from the warehouse or a person, ready for a page."""
    if value is None:
        return Markup("")
    return marked(display_safe(str(value)))


def torrent_name(name: str | None, raw: bytes | None, alt: bytes | None) -> Markup:
    """A torrent's name as a client shows it (explain's ``display_name``)."""
    return marked(display_name(name or "", raw, alt), trailing=True)


def file_path(path: str | None, raw: bytes | None) -> Markup:
    return marked(display_safe(client_text(path or "", raw)), trailing=True)


def size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""


def when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:19].replace("T", " ")
    return value.strftime("%Y-%m-%d %H:%M")


def epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
