"""Rule packs read with node marks: every value keeps the ``line:col`` it was written at.

The reading itself is the project's one marked-YAML reader (``common.marked_yaml``);
this module gives it the rules' dialect, so its problems are filed as ``rules.*``
(``rules.yaml_syntax``, ``rules.yaml_alias``, ``rules.too_deep``,
``rules.duplicate_key``, ``rules.out_of_range``), and reads the files a pack names
(term lists) the one way files from outside are read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from common import files, marked_yaml
from common.errors import FileTooLarge, NotRegularFile
from common.marked_yaml import (
    MAX_DEPTH,
    MAX_MESSAGE,
    Dialect,
    Document,
    KeyPath,
    Problem,
    format_path,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "RULES",
    "Document",
    "FileRefused",
    "KeyPath",
    "Problem",
    "format_path",
    "parse_document",
    "read_regular",
    "recording_reads",
]

RULES = Dialect("rules")


class FileRefused(Exception):
    """A file a pack names, refused as a whole: ``what`` is ``not_file`` or
    ``too_large``; the caller turns it into its own problem code."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


# The files read while :func:`recording_reads` is open: (path, SHA-256 of the bytes).
_READS: ContextVar[list[tuple[str, str]] | None] = ContextVar("rules_reads", default=None)


@contextmanager
def recording_reads() -> Iterator[list[tuple[str, str]]]:
    """While open, every file :func:`read_regular` reads is listed with the digest of its
    bytes: the files a pack names (term lists), which the rule set cache
    (``rules.pack_cache``) checks again before it hands out a kept set."""
    reads: list[tuple[str, str]] = []
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(file: str | Path, max_bytes: int) -> str:
    """The digest :func:`recording_reads` lists for ``file``, read again (raises as
    ``common.files.read_regular`` does)."""
    return _digest(files.read_regular(file, max_bytes))


def read_regular(file: Path, max_bytes: int) -> bytes:
    """The bytes of ``file`` if it is a regular file of at most ``max_bytes``.

    The project's one reader of files it does not control (``common.files``:
    opened without blocking, checked with ``fstat``, the size checked while reading),
    its refusals turned into :class:`FileRefused` for the pack's problem list."""
    try:
        data = files.read_regular(file, max_bytes)
    except NotRegularFile as exc:
        raise FileRefused("not_file", f"is {exc.args[0]}") from exc
    except FileTooLarge as exc:
        raise FileRefused("too_large", f"is larger than the {max_bytes:,}-byte maximum") from exc
    reads = _READS.get()
    if reads is not None:
        reads.append((str(file), _digest(data)))
    return data


def parse_pack_bytes(data: bytes, name: str) -> Document:
    """:func:`parse_document` of a pack file's bytes: bytes that are not UTF-8 are one
    ``rules.not_utf8`` problem at the line and column of the first bad byte."""
    return marked_yaml.parse_bytes(data, name, RULES)


def parse_document(text: str, name: str) -> Document:
    """Parse a pack's YAML ``text`` (called ``name`` in errors) into a
    :class:`Document`; every problem of the text is in its ``problems``."""
    return marked_yaml.parse_document(text, name, RULES)
