"""Loading the parsers' packaged YAML data with errors that point at the line.

The file-kind taxonomy, the release-tag aliases and the skeleton keep-list are data
(``parsers/data/*.yaml``) so that adding an extension or an alias needs no Python.
Data that is wrong must fail loudly and precisely: every error names the file, the
line and column and the key path (``platforms.ps2.aliases[3]``), and all errors of a
file are reported together so that one fix-and-rerun cycle finds them all.

PyYAML silently keeps the last of two equal mapping keys; this loader refuses them,
because a second ``video:`` key would quietly drop half of a kind's extensions.
Nothing is read at import time: files are read on first use and cached.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from common.errors import ConfigError

DATA_PACKAGE = "parsers"
DATA_DIR = "data"
ERROR_CODE = "config.parser_data"

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class DataFile:
    """A parsed YAML document plus where each key path sits in the text."""

    name: str
    data: Any
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath) -> str:
        """``file:line:col`` of ``path``, or of its nearest ancestor that has a mark."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return f"{self.name}:{mark[0]}:{mark[1]}"
        return self.name

    def problem(self, path: KeyPath, message: str) -> str:
        """One error line: location, key path, message."""
        return f"{self.where(path)}: {format_path(path) or '<top>'}: {message}"


def format_path(path: KeyPath) -> str:
    """``("platforms", "ps2", "aliases", 3)`` → ``platforms.ps2.aliases[3]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def raise_if_errors(name: str, errors: Iterable[str]) -> None:
    """Raise one ConfigError carrying every problem found in ``name``."""
    found = list(errors)
    if found:
        listing = "\n  ".join(found)
        raise ConfigError(
            f"{len(found)} problem(s) in parser data {name}:\n  {listing}", code=ERROR_CODE
        )


def parse_yaml(text: str, name: str) -> DataFile:
    """Parse YAML ``text`` (called ``name`` in errors), refusing duplicate keys.

    Pure: tests feed broken documents through here without touching the package.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        marks: dict[KeyPath, tuple[int, int]] = {}
        errors: list[str] = []
        data = None if root is None else _build(root, (), loader, marks, errors, name)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}", code=ERROR_CODE) from exc
    finally:
        loader.dispose()
    result = DataFile(name=name, data=data, marks=marks)
    raise_if_errors(name, errors)
    return result


def _build(
    node: yaml.Node,
    path: KeyPath,
    loader: yaml.SafeLoader,
    marks: dict[KeyPath, tuple[int, int]],
    errors: list[str],
    name: str,
) -> Any:
    """Turn a composed node into plain Python, recording marks and duplicate keys."""
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                key = str(key)
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                where = format_path((*path, key))
                errors.append(f"{name}:{line}:{col}: {where}: duplicate key {key!r}")
                continue
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, (*path, key), loader, marks, errors, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, i), loader, marks, errors, name)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


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
