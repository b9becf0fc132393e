"""Rule packs read with node marks: every value keeps the ``line:col`` it was written at.

The reading itself is the project's one marked-YAML reader (``common.marked_yaml``);
this module gives it the rules' dialect, so its problems are filed as ``rules.*``
(``rules.yaml_syntax``, ``rules.yaml_alias``, ``rules.too_deep``,
``rules.duplicate_key``, ``rules.out_of_range``), and reads the files a pack names
(term lists) the one way files from outside are read.
"""

from __future__ import annotations

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
]

RULES = Dialect("rules")


class FileRefused(Exception):
    """A file a pack names, refused as a whole: ``what`` is ``not_file`` or
    ``too_large``; the caller turns it into its own problem code."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


def read_regular(file: Path, max_bytes: int) -> bytes:
    """The bytes of ``file`` if it is a regular file of at most ``max_bytes``.

    The project's one reader of files it does not control (``common.files``:
    opened without blocking, checked with ``fstat``, the size checked while reading),
    its refusals turned into :class:`FileRefused` for the pack's problem list."""
    try:
        return files.read_regular(file, max_bytes)
    except NotRegularFile as exc:
        raise FileRefused("not_file", f"is {exc.args[0]}") from exc
    except FileTooLarge as exc:
        raise FileRefused("too_large", f"is larger than the {max_bytes:,}-byte maximum") from exc


def parse_pack_bytes(data: bytes, name: str) -> Document:
    """:func:`parse_document` of a pack file's bytes: bytes that are not UTF-8 are one
    ``rules.not_utf8`` problem at the line and column of the first bad byte."""
    return marked_yaml.parse_bytes(data, name, RULES)


def parse_document(text: str, name: str) -> Document:
    """Parse a pack's YAML ``text`` (called ``name`` in errors) into a
    :class:`Document`; every problem of the text is in its ``problems``."""
    return marked_yaml.parse_document(text, name, RULES)
