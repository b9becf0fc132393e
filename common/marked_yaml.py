"""The one reader of YAML files a person writes: every value keeps its ``line:col``.

Rule packs, ``sources.yaml`` and the parsers' packaged data are all read here, so an
error in any of them names ``file:line:col`` and the key path the same way. The file
is composed node by node with PyYAML's safe loader (never the full loader: no Python
objects from a file) and each key path remembers where it was written. What a person
never needs and an attacker would use is refused before anything is built, each as a
coded problem at its place:

- aliases (``*name``): a few lines of nested aliases expand to billions of nodes
  (the "billion laughs");
- nesting deeper than :data:`MAX_DEPTH`: PyYAML composes recursively, so a file
  100,000 brackets deep would end in RecursionError rather than a message;
- duplicate mapping keys (PyYAML silently keeps the last one);
- bytes that are not UTF-8, and values YAML cannot construct (a 5,000-digit integer).

Each kind of file files these problems under its own code prefix (``rules.yaml_alias``,
``sources.yaml_alias``) and may word the refusals its own way: that is data, a
:class:`Dialect`, given to the reader, never a renaming of codes afterwards.
May import only from ``common``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from common.textcap import cap_text

KeyPath = tuple[str | int, ...]
# Packs and configs nest a handful of levels; deeper is refused (see the docstring).
MAX_DEPTH = 64
# A problem is one line: whatever a message quotes from the file is cut to this.
MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one kind of file names and words the reader's own problems.

    Codes are ``<prefix>.<what>`` with ``what`` one of ``yaml_syntax``, ``yaml_alias``,
    ``too_deep``, ``duplicate_key``, ``out_of_range`` and ``not_utf8``. The messages
    are format strings: ``{anchor}`` is the alias's name, ``{limit}`` the depth limit.
    """

    prefix: str
    alias_message: str = "YAML aliases (*{anchor}) are not allowed"
    too_deep_message: str = "nested more than {limit} levels deep"
    max_depth: int = MAX_DEPTH

    def code(self, what: str) -> str:
        return f"{self.prefix}.{what}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, at ``file:line:col`` and a key path; ``code`` is
    stable (``rules.unknown_key``, ``sources.bad_value``, ...). ``rule_id`` names the
    entry of the file the problem belongs to (a pack's rule), None when there is none."""

    code: str
    file: str
    line: int
    col: int
    rule_id: str | None
    path: str
    message: str

    def __post_init__(self) -> None:
        # Messages quote file text (a 1 MB pattern, a huge list): keep them one line long.
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

    def located(self) -> str:
        """The problem without its code: ``file:line:col: path: message``."""
        return f"{self.file}:{self.line}:{self.col}: {self.path or '<top>'}: {self.message}"


def format_path(path: KeyPath) -> str:
    """``("rules", 2, "when", "all", 1)`` → ``rules[2].when.all[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(slots=True)
class Document:
    """A parsed file: plain data plus the mark of every key path; problems collect here.

    Mapping keys appear in key paths as text (``str(key)``), list positions as ints.
    """

    name: str
    data: Any = None
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Values YAML could not construct (reported once, where they were read): checkers
    # that later see their ``None`` add no second problem for them.
    unreadable: set[KeyPath] = field(default_factory=set)
    # Values that load but are almost surely a mistake (a unit slip): shown, not fatal.
    warnings: list[Problem] = field(default_factory=list)

    def mark(self, path: KeyPath) -> tuple[int, int]:
        """``(line, col)`` of ``path``, or of its nearest ancestor that has a mark."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def where(self, path: KeyPath) -> str:
        line, col = self.mark(path)
        return f"{self.name}:{line}:{col}"

    def located(self, path: KeyPath, message: str) -> str:
        """One line naming the place and the key path: ``file:line:col: path: message``."""
        return f"{self.where(path)}: {format_path(path) or '<top>'}: {message}"

    def add(self, code: str, path: KeyPath, message: str, rule_id: str | None = None) -> None:
        """Record a problem at ``path`` (none for a value already reported unreadable)."""
        if path in self.unreadable:
            return
        line, col = self.mark(path)
        self.problems.append(
            Problem(code, self.name, line, col, rule_id, format_path(path), message)
        )

    def add_at(self, code: str, line: int, col: int, message: str) -> None:
        """Record a problem of the file as a whole, found at ``line:col``."""
        self.problems.append(Problem(code, self.name, line, col, None, "", message))


def parse_bytes(data: bytes, name: str, dialect: Dialect) -> Document:
    """:func:`parse_document` of UTF-8 ``data``; bytes that are not UTF-8 are one
    ``<prefix>.not_utf8`` problem at the line and column of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        doc = Document(name=name)
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        doc.add_at(dialect.code("not_utf8"), line, col, f"not UTF-8 text ({exc.reason})")
        return doc
    return parse_document(text, name, dialect)


def parse_document(text: str, name: str, dialect: Dialect) -> Document:
    """Parse YAML ``text`` (called ``name`` in problems) with marks; see the module
    docstring for what is refused. Never raises for anything in ``text``."""
    doc = Document(name=name)
    try:
        if _refused_shape(text, doc, dialect):
            return doc
        if _LIBYAML is not yaml.SafeLoader and _composed(text, doc, dialect, _LIBYAML):
            return doc
        _composed(text, doc, dialect, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        doc.add_at(dialect.code("yaml_syntax"), line, col, f"not valid YAML: {what}")
    except yaml.YAMLError as exc:
        doc.add_at(dialect.code("yaml_syntax"), 1, 1, f"not valid YAML: {exc}")
    except RecursionError:  # not reachable past the depth check; never a traceback
        message = dialect.too_deep_message.format(limit=dialect.max_depth)
        doc.add_at(dialect.code("too_deep"), 1, 1, message)
    return doc


def _composed(text: str, doc: Document, dialect: Dialect, loader_class: type) -> bool:
    """Compose and build ``text`` into ``doc`` with ``loader_class``. False, with ``doc``
    as it was, when a libyaml loader met an error the pure-Python loader must word."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        doc.data = None if root is None else _build(root, (), loader, doc, dialect)
    except yaml.YAMLError:
        if loader_class is yaml.SafeLoader:
            raise
        doc.data, doc.marks, doc.problems, doc.unreadable = None, {}, [], set()
        return False
    finally:
        loader.dispose()
    return True


def _refused_shape(text: str, doc: Document, dialect: Dialect) -> bool:
    """Aliases and deep nesting, found from the event stream before anything is built
    (the event parser is not recursive). True when one was found and recorded."""
    if _LIBYAML is not yaml.SafeLoader:
        try:
            return _scan_shape(yaml.parse(text, Loader=_LIBYAML), doc, dialect)
        except yaml.YAMLError:
            pass  # scanned again by PyYAML's own parser, whose words the problem keeps
    return _scan_shape(yaml.parse(text, Loader=yaml.SafeLoader), doc, dialect)


# libyaml's loader, when PyYAML was built with it, scans a file for aliases and depth
# about ten times faster than the pure-Python one, and composes a pack several times
# faster (a flag run loads every pack). Whatever it refuses is read again by the
# pure-Python loader, whose wording every problem keeps; both give the same nodes and
# marks (the marked-YAML tests run on both).
_LIBYAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _scan_shape(events, doc: Document, dialect: Dialect) -> bool:
    depth = 0
    for event in events:
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(event, yaml.AliasEvent):
            message = dialect.alias_message.format(anchor=event.anchor)
            doc.add_at(dialect.code("yaml_alias"), line, col, message)
            return True
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > dialect.max_depth:
                message = dialect.too_deep_message.format(limit=dialect.max_depth)
                doc.add_at(dialect.code("too_deep"), line, col, message)
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


def _build(
    node: yaml.Node, path: KeyPath, loader: yaml.SafeLoader, doc: Document, dialect: Dialect
) -> Any:
    doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            key = _construct(key_node, path, loader, doc, dialect, key_mark, is_key=True)
            if not isinstance(key, str | int | bool | float) or key is None:
                key = str(key)
            key_path = (*path, str(key))
            doc.marks[key_path] = key_mark
            if key in out:
                doc.add(dialect.code("duplicate_key"), key_path, f"duplicate key {key!r}")
                continue
            out[key] = _build(value_node, key_path, loader, doc, dialect)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), loader, doc, dialect) for i, item in enumerate(node.value)]
    return _construct(node, path, loader, doc, dialect, doc.mark(path))


def _construct(
    node: yaml.Node,
    path: KeyPath,
    loader: yaml.SafeLoader,
    doc: Document,
    dialect: Dialect,
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
                dialect.code("out_of_range"),
                doc.name,
                *mark,
                None,
                format_path(path),
                f"cannot read this value: {str(exc).split(';')[0]}",
            )
        )
        return None
