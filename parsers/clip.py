"""Capping text that is printed or stored: keep the head, say how much was cut.

Anything that echoes text it did not write (a rule pack's 1 MB regex in a lint
message, a pattern copied into a flag's evidence, a gathered field in a reject's
detail) cuts it here, so a reader always learns that, and how much, text is missing.
"""

from __future__ import annotations

# A value quoted inside a one-line message (a lint problem, a reject's detail).
SHOWN_CHARS = 200


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` when it has at most ``limit`` characters; else its first ``limit``
    characters and ``… (1,048,000 more characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def clip_repr(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` clipped to ``limit`` characters. A string is cut before it is
    quoted, so a huge value is never copied whole just to be shown."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value) - limit:,} more characters)"
    return clip(repr(value), limit)
