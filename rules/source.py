"""YAML with node marks: every value keeps the ``line:col`` it was written at.

Rule errors must point at the text, so packs are composed node by node (PyYAML's
safe loader) and each key path remembers its mark. Duplicate mapping keys are
refused instead of silently keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common import files
from common.errors import FileTooLarge, NotRegularFile
from common.textcap import cap_text

KeyPath = tuple[str | int, ...]
# Packs nest a handful of levels; PyYAML composes recursively, so a hostile file
# 100,000 brackets deep would end in RecursionError rather than a message.
MAX_DEPTH = 64
# A problem is one line: whatever a message quotes from the pack is cut to this.
MAX_MESSAGE = 500


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


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a pack; ``code`` is stable (``rules.unknown_key``, ...)."""

    code: str
    file: str
    line: int
    col: int
    rule_id: str | None
    path: str
    message: str

    def __post_init__(self) -> None:
        # Messages quote pack text (a 1 MB pattern, a huge list): keep them one line long.
        object.__setattr__(self, "message", cap_text(self.message, MAX_MESSAGE))
        object.__setattr__(self, "path", cap_text(self.path, MAX_MESSAGE))
        if self.rule_id is not None:
            object.__setattr__(self, "rule_id", cap_text(self.rule_id, MAX_MESSAGE))

    def __str__(self) -> str:
        rule = f"rule {self.rule_id}: " if self.rule_id else ""
        return (
            f"{self.file}:{self.line}:{self.col}: {rule}{self.path or '<top>'}: "
            f"{self.message} [{self.code}]"
        )


def format_path(path: KeyPath) -> str:
    """``("rules", 2, "when", "all", 1)`` → ``rules[2].when.all[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(slots=True)
class Document:
    """A parsed pack: plain data plus the mark of every key path; problems collect here."""

    name: str
    data: Any = None
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Values YAML could not construct (reported once, where they were read): checkers
    # that later see their ``None`` add no second problem for them.
    unreadable: set[KeyPath] = field(default_factory=set)

    def mark(self, path: KeyPath) -> tuple[int, int]:
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def where(self, path: KeyPath) -> str:
        line, col = self.mark(path)
        return f"{self.name}:{line}:{col}"

    def add(self, code: str, path: KeyPath, message: str, rule_id: str | None = None) -> None:
        if path in self.unreadable:
            return
        line, col = self.mark(path)
        self.problems.append(
            Problem(code, self.name, line, col, rule_id, format_path(path), message)
        )


def parse_document(text: str, name: str) -> Document:
    """Parse YAML ``text`` (called ``name`` in errors). Syntax errors become a
    ``rules.yaml_syntax`` problem at the line and column the parser stopped at."""
    doc = Document(name=name)
    loader = yaml.SafeLoader(text)
    try:
        refused = _refused_shape(text, name)
        if refused:
            doc.problems.append(refused)
            return doc
        root = loader.get_single_node()
        doc.data = None if root is None else _build(root, (), loader, doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        doc.problems.append(
            Problem("rules.yaml_syntax", name, line, col, None, "", f"not valid YAML: {what}")
        )
    except yaml.YAMLError as exc:
        doc.problems.append(
            Problem("rules.yaml_syntax", name, 1, 1, None, "", f"not valid YAML: {exc}")
        )
    finally:
        loader.dispose()
    return doc


def _refused_shape(text: str, name: str) -> Problem | None:
    """Aliases and deep nesting, found from the event stream before anything is built.

    Aliases are refused outright: a few lines of nested aliases expand to billions of
    nodes ("billion laughs"), and a rule pack has no need for them.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(event, yaml.AliasEvent):
            message = f"YAML aliases (*{event.anchor}) are not allowed"
            return Problem("rules.yaml_alias", name, *where, None, "", message)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep"
                return Problem("rules.too_deep", name, *where, None, "", message)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _build(node: yaml.Node, path: KeyPath, loader: yaml.SafeLoader, doc: Document) -> Any:
    doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = _construct(key_node, path, loader, doc, key_mark, is_key=True)
            if not isinstance(key, str | int | bool | float) or key is None:
                key = str(key)
            key_path = (*path, str(key))
            doc.marks[key_path] = key_mark
            if key in out:
                doc.add("rules.duplicate_key", key_path, f"duplicate key {key!r}")
                continue
            out[key] = _build(value_node, key_path, loader, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), loader, doc) for i, item in enumerate(node.value)]
    return _construct(node, path, loader, doc, doc.mark(path))


def _construct(
    node: yaml.Node,
    path: KeyPath,
    loader: yaml.SafeLoader,
    doc: Document,
    mark: tuple[int, int],
    *,
    is_key: bool = False,
) -> Any:
    """The scalar at ``node``; one YAML cannot build is a problem at ``mark`` (the
    key's place, as every other problem of a value), and ``None``."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        # An integer of thousands of digits: Python refuses to convert it (4,300 max).
        if not is_key:
            doc.unreadable.add(path)
        doc.problems.append(
            Problem(
                "rules.out_of_range",
                doc.name,
                *mark,
                None,
                format_path(path),
                f"cannot read this value: {str(exc).split(';')[0]}",
            )
        )
        return None
