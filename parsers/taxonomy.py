"""Loading the parsers' packaged YAML data with errors that point at the line.

The file-kind taxonomy, the release-tag aliases and the skeleton keep-list are data
(``parsers/data/*.yaml``) so that adding an extension or an alias needs no Python.
Data that is wrong must fail loudly and precisely: every error names the file, the
line and column and the key path (``platforms.ps2.aliases[3]``), and all errors of a
file are reported together so that one fix-and-rerun cycle finds them all.

The text is read by the project's one marked-YAML reader (``common.marked_yaml``).
PyYAML silently keeps the last of two equal mapping keys; that reader refuses them,
because a second ``video:`` key would quietly drop half of a kind's extensions.
Nothing is read at import time: files are read on first use and cached.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from typing import Any

from common import marked_yaml
from common.errors import ConfigError
from common.marked_yaml import Dialect, Document, KeyPath, format_path

__all__ = [
    "DataFile",
    "KeyPath",
    "expect_list",
    "expect_mapping",
    "format_path",
    "load_data",
    "parse_yaml",
    "raise_if_errors",
]

DATA_PACKAGE = "parsers"
DATA_DIR = "data"
ERROR_CODE = "config.parser_data"
# The codes of the reader's own problems; only their text is shown (in one ConfigError).
PARSER_DATA = Dialect("parser_data")


class DataFile(Document):
    """A parsed packaged data file plus where each key path sits in the text."""

    __slots__ = ()

    def problem(self, path: KeyPath, message: str) -> str:
        """One error line: location, key path, message."""
        return self.located(path, message)


def raise_if_errors(name: str, errors: Iterable[str]) -> None:
    """Raise one ConfigError carrying every problem found in ``name``."""
    found = list(errors)
    if found:
        listing = "\n  ".join(found)
        raise ConfigError(
            f"{len(found)} problem(s) in parser data {name}:\n  {listing}", code=ERROR_CODE
        )


def parse_yaml(text: str, name: str) -> DataFile:
    """Parse YAML ``text`` (called ``name`` in errors) with the one marked-YAML reader:
    duplicate keys, aliases, deep nesting and invalid YAML are errors at their line.

    Pure: tests feed broken documents through here without touching the package.
    """
    doc = marked_yaml.parse_document(text, name, PARSER_DATA)
    raise_if_errors(name, (problem.located() for problem in doc.problems))
    return DataFile(name=doc.name, data=doc.data, marks=doc.marks)


@functools.cache
def load_data(filename: str) -> DataFile:
    """The packaged ``parsers/data/<filename>``, parsed once per process."""
    ref = resources.files(DATA_PACKAGE).joinpath(DATA_DIR, filename)
    try:
        text = ref.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"parsers/data/{filename}: cannot read packaged data: {exc}", code=ERROR_CODE
        ) from exc
    return parse_yaml(text, f"parsers/data/{filename}")


def expect_mapping(doc: DataFile, path: KeyPath, value: Any, errors: list[str]) -> dict:
    """``value`` if it is a mapping, else record an error and return ``{}``."""
    if isinstance(value, dict):
        return value
    errors.append(doc.problem(path, f"expected a mapping, got {type(value).__name__}"))
    return {}


def expect_list(doc: DataFile, path: KeyPath, value: Any, errors: list[str]) -> list:
    """``value`` if it is a list (None counts as empty), else record an error."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    errors.append(doc.problem(path, f"expected a list, got {type(value).__name__}"))
    return []
