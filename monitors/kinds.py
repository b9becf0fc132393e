"""Which module gathers each kind of source, imported only when a config names it.

Each kind's module declares its settings as data (``SETTINGS``, a
:class:`common.settings.SettingsSpec`, checked by the one settings checker) and gathers
with ``gather(ctx)``. Kinds live in their own modules so a source's dependencies
(libtorrent sessions, HTTP clients) load only when a config uses that kind, and a kind
whose module is missing or broken becomes a config problem naming the kind rather than
a crash at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from common.settings import SettingsSpec
from monitors.base import GatherContext

# kind name in sources.yaml -> module declaring SETTINGS (a SettingsSpec) and gather(ctx)
KIND_MODULES: dict[str, str] = {
    "folder": "monitors.folder",
    "feed": "monitors.feed",
    "scrape": "monitors.scrape",
    "fetch": "monitors.fetch",
    "dht": "monitors.dht",
    "magnetico": "monitors.magnetico",
}


@dataclass(frozen=True, slots=True)
class Kind:
    """A loaded kind: its declared settings and how to run it."""

    name: str
    settings: SettingsSpec
    gather: Callable[[GatherContext], None]


class KindUnavailable(Exception):
    """The kind is unknown, or its module cannot be imported or lacks the contract."""


def load_kind(name: str) -> Kind:
    """The kind called ``name``; :class:`KindUnavailable` says why it cannot be used."""
    module_name = KIND_MODULES.get(name)
    if module_name is None:
        known = ", ".join(sorted(KIND_MODULES))
        raise KindUnavailable(f"unknown kind {name!r} (known kinds: {known})")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise KindUnavailable(
            f"kind {name!r} is not available: its module {module_name} cannot be imported ({exc})"
        ) from exc
    return Kind(name, _settings(module, name), _member(module, name, "gather"))


def _settings(module: ModuleType, kind: str) -> SettingsSpec:
    found = getattr(module, "SETTINGS", None)
    if not isinstance(found, SettingsSpec):
        raise KindUnavailable(
            f"kind {kind!r} is not available: {module.__name__} declares no SETTINGS "
            "(a common.settings.SettingsSpec)"
        )
    return found


def _member(module: ModuleType, kind: str, attribute: str) -> Callable:
    found = getattr(module, attribute, None)
    if not callable(found):
        raise KindUnavailable(
            f"kind {kind!r} is not available: {module.__name__} has no {attribute}() function"
        )
    return found
