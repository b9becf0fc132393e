"""The one shape of a record that says what a run or a step did.

Stages, loaders and sources each report counts (read, new, rejected by reason, …) that
the CLI prints, DAG tasks return as XCom and ``runs.detail`` stores as JSON. They are
dataclasses that inherit :class:`Summary`, so each turns into plain JSON values the same
way instead of by a hand-written ``as_dict`` that a new field can be forgotten in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


class Summary:
    """Mixin for a dataclass of counts: ``as_dict`` gives every field as JSON values
    (mappings sorted by key, tuples and lists as lists, nested records as dicts)."""

    __slots__ = ()

    def as_dict(self) -> dict[str, object]:
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @property
    def rejected_total(self) -> int:
        """The sum of a ``rejected`` field that counts rejects by reason code."""
        rejected = getattr(self, "rejected", None)
        if isinstance(rejected, Mapping):
            return sum(rejected.values())
        return int(rejected or 0)


def plain(value: object) -> object:
    """``value`` as JSON-ready data; order of mappings fixed so output is stable."""
    if isinstance(value, Summary):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
