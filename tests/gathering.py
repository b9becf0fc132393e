"""A GatherContext the way the runner builds one, for the source-kind tests: a
JSON-checked state over a dict, and an emit that collects what a source gathered."""

from __future__ import annotations

import json
import time

from monitors.base import GatherContext, Gathered


class DictState:
    """The StateStore contract over a dict, JSON-checked like the real one."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def set(self, key: str, value: object) -> None:
        json.dumps(value)  # the real store keeps JSON; so must we
        self.values[key] = value


def make_ctx(
    settings: dict,
    *,
    seconds: float = 60,
    extra: dict | None = None,
    state: DictState | None = None,
    name: str = "swarm-test",
) -> tuple[GatherContext, list[Gathered], list[float]]:
    """The context, the items it emitted and the times ``pace`` was called."""
    items: list[Gathered] = []
    paced: list[float] = []

    def emit(item: Gathered) -> bool:
        items.append(item)
        return True

    ctx = GatherContext(
        name=name,
        settings=settings,
        state=state or DictState(),
        emit=emit,
        deadline=time.monotonic() + seconds,
        pace=lambda: paced.append(time.monotonic()),
        extra=extra or {},
    )
    return ctx, items, paced
