"""sources.yaml: what to watch, checked whole before anything runs.

The file is read by the one marked-YAML reader (``common.marked_yaml``) in the
``sources`` dialect, so every problem names ``file:line:col``, the key path and a
``sources.*`` code; all problems are collected and raised together as one
:class:`SourcesInvalid`. Each source's ``settings`` are checked against its kind's
declared ``SETTINGS`` by the one settings checker (``common.settings``), whose problems
carry their key, so a typo in a feed URL fails at load, at its line, not at 3 a.m.
Relative paths (``landing``, a folder source's ``path``) are relative to the
folder holding the config file, so a config means the same from any working folder.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from common.checks import is_number, is_whole
from common.errors import ConfigError, SourcesInvalid, SourceUnknown
from common.marked_yaml import Dialect, Document, KeyPath, parse_bytes
from common.textcap import capped_repr
from monitors.kinds import KindUnavailable, load_kind

TOP_KEYS = frozenset({"landing", "defaults", "parallel", "interval", "sources"})
DEFAULT_KEYS = frozenset({"rate_limit", "timeout"})
SOURCE_KEYS = frozenset({"name", "kind", "settings", "rate_limit", "timeout"})
DEFAULT_LANDING = "landing"
DEFAULT_TIMEOUT = 300.0  # seconds for one source's whole gather
DEFAULT_PARALLEL = 4  # sources gathering at the same time
DEFAULT_INTERVAL = 900.0  # seconds between rounds when not run --once
# Bounds of the numbers read here, so that no value that passes the check can overflow
# a sleep, a select() timeout or a process pool later on.
MAX_SECONDS = 30 * 24 * 3600.0  # interval and timeout: 30 days
MIN_RATE, MAX_RATE = 1 / 86400, 1_000_000.0  # requests per second: one a day .. a million
MAX_PARALLEL = 256
# A name becomes a file name in the landing zone and a key in logs: plain characters
# only, no separators, no '..', so it can never climb out of its folder.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_CONFIG_BYTES = 4 * 1024 * 1024
# The reader's own problems (syntax, aliases, nesting, duplicate keys, non-UTF-8) are
# filed under sources.* and worded for this file.
SOURCES = Dialect(
    "sources",
    alias_message="YAML aliases (*name) are not allowed in a sources config",
    too_deep_message="the sources config nests more than {limit} levels deep",
)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One source as configured; ``where`` is ``file:line:col`` of its entry."""

    name: str
    kind: str
    settings: Mapping[str, Any]
    rate_limit: float | None  # requests per second; None: not limited
    timeout: float  # seconds for the whole gather
    where: str = ""


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    path: Path
    landing: Path
    parallel: int
    interval: float
    sources: tuple[SourceConfig, ...] = field(default_factory=tuple)

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the config are read from."""
        return self.path.parent

    def names(self) -> list[str]:
        return [source.name for source in self.sources]

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(self.names()) or "none"
        raise SourceUnknown(f"{self.path}: no source named {name!r} (sources: {known})")

    def selected(self, names: list[str] | None) -> list[SourceConfig]:
        """The sources called ``names`` in the order given (all of them for None)."""
        if not names:
            return list(self.sources)
        return [self.source(name) for name in dict.fromkeys(names)]


def load_sources(path: str | Path) -> SourcesConfig:
    """Read and check ``path``; raise :class:`SourcesInvalid` listing every problem."""
    path = Path(path).absolute()
    doc = parse_bytes(_read_bytes(path), str(path), SOURCES)
    config = None if doc.problems else _read_top(doc, path)
    if doc.problems:
        count = len(doc.problems)
        listed = "\n".join(f"  {p}" for p in doc.problems)
        raise SourcesInvalid(
            f"{path}: {count} problem(s) in the sources config:\n{listed}",
            problems=tuple(doc.problems),
        )
    assert config is not None
    return config


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the sources config {path}: {exc}") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: the sources config is over {MAX_CONFIG_BYTES} bytes")
    return data


def _add(doc: Document, code: str, path: KeyPath, message: str) -> None:
    doc.add(f"sources.{code}", path, message)


def _unknown_keys(doc: Document, data: Mapping, allowed: frozenset[str], path: KeyPath) -> None:
    for key in data:
        if key not in allowed:
            listed = ", ".join(sorted(allowed))
            _add(doc, "unknown_key", (*path, str(key)), f"unknown key {key!r} (allowed: {listed})")


def _read_top(doc: Document, path: Path) -> SourcesConfig | None:
    data = doc.data
    if not isinstance(data, dict):
        _add(doc, "not_mapping", (), "the config must be a mapping with a 'sources' list")
        return None
    _unknown_keys(doc, data, TOP_KEYS, ())
    landing = data.get("landing", DEFAULT_LANDING)
    if not isinstance(landing, str) or not landing.strip():
        _add(doc, "bad_value", ("landing",), "landing must be a folder path (text)")
        landing = DEFAULT_LANDING
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        _add(doc, "not_mapping", ("defaults",), "defaults must be a mapping")
        defaults = {}
    _unknown_keys(doc, defaults, DEFAULT_KEYS, ("defaults",))
    default_rate = _rate(doc, defaults, ("defaults",), None)
    default_timeout = _positive(doc, defaults, ("defaults",), "timeout", DEFAULT_TIMEOUT)
    parallel = _count(doc, data, "parallel", DEFAULT_PARALLEL)
    interval = _positive(doc, data, (), "interval", DEFAULT_INTERVAL)
    sources = _read_sources(doc, data.get("sources"), default_rate, default_timeout)
    return SourcesConfig(
        path=path,
        landing=Path(os.path.normpath(path.parent / Path(landing).expanduser())),
        parallel=parallel,
        interval=interval,
        sources=tuple(sources),
    )


def _read_sources(
    doc: Document, entries: object, default_rate: float | None, default_timeout: float
) -> list[SourceConfig]:
    if not isinstance(entries, list) or not entries:
        _add(doc, "missing_key", ("sources",), "sources must be a non-empty list of sources")
        return []
    sources: list[SourceConfig] = []
    first_at: dict[str, str] = {}
    for i, entry in enumerate(entries):
        where: KeyPath = ("sources", i)
        if not isinstance(entry, dict):
            _add(doc, "not_mapping", where, "each source must be a mapping (name, kind, ...)")
            continue
        _unknown_keys(doc, entry, SOURCE_KEYS, where)
        name = _name(doc, entry, where)
        if name is not None and name in first_at:
            _add(
                doc,
                "duplicate_name",
                (*where, "name"),
                f"{name!r} is already the name of the "
                f"source at {first_at[name]}; names must be unique",
            )
        elif name is not None:
            first_at[name] = doc.where((*where, "name"))
        kind = entry.get("kind")
        settings = entry.get("settings", {})
        if settings is None:
            settings = {}
        settings_ok = isinstance(settings, dict)
        if not settings_ok:
            _add(doc, "not_mapping", (*where, "settings"), "settings must be a mapping")
            settings = {}
        if not isinstance(kind, str) or not kind:
            _add(doc, "missing_key", (*where, "kind"), "every source needs a kind (text)")
        elif settings_ok:
            _check_kind(doc, kind, settings, where)
        rate = _rate(doc, entry, where, default_rate)
        timeout = _positive(doc, entry, where, "timeout", default_timeout)
        if name is not None and isinstance(kind, str):
            settings_view = MappingProxyType(settings)
            sources.append(SourceConfig(name, kind, settings_view, rate, timeout, doc.where(where)))
    return sources


def _name(doc: Document, entry: Mapping, where: KeyPath) -> str | None:
    name = entry.get("name")
    if name is None:
        _add(doc, "missing_key", (*where, "name"), "every source needs a name")
        return None
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        _add(
            doc,
            "bad_name",
            (*where, "name"),
            f"name {name!r} must be 1-64 letters, digits, '.', '_' or '-', start with a letter "
            "or digit, and hold no '..' (it names files in the landing zone)",
        )
        return None
    return name


def _check_kind(doc: Document, kind: str, settings: Mapping, where: KeyPath) -> None:
    try:
        loaded = load_kind(kind)
    except KindUnavailable as exc:
        _add(doc, "bad_kind", (*where, "kind"), str(exc))
        return
    try:
        problems = loaded.settings.check(MappingProxyType(settings))
    except Exception as exc:  # a kind's checks must not crash config loading
        _add(doc, "bad_settings", (*where, "settings"), f"kind {kind!r} could not check: {exc!r}")
        return
    for problem in problems:
        # At the key when it is written; a missing key at the settings it is missing from.
        at = (*where, "settings", problem.key) if problem.key in settings else (*where, "settings")
        _add(doc, "bad_settings", at, f"{kind}: {problem}")


def _number(value: object) -> float | None:
    """A finite number as float; None for anything else (booleans, NaN, infinity, and
    integers too large for a float, which ``math.isfinite`` would raise on)."""
    if not is_number(value):
        return None
    try:
        return float(value) if math.isfinite(value) else None
    except OverflowError:
        return None


def _rate(doc: Document, data: Mapping, where: KeyPath, default: float | None) -> float | None:
    if "rate_limit" not in data:
        return default
    value = data["rate_limit"]
    if value is None:
        return None
    number = _number(value)
    if number is None or not MIN_RATE <= number <= MAX_RATE:
        _add(
            doc,
            "bad_value",
            (*where, "rate_limit"),
            f"rate_limit must be a number of requests per second from {MIN_RATE:.6g} (one a "
            f"day) to {MAX_RATE:,.0f} (or null), not {capped_repr(value)}",
        )
        return default
    return number


def _positive(doc: Document, data: Mapping, where: KeyPath, key: str, default: float) -> float:
    if key not in data:
        return default
    number = _number(data[key])
    if number is None or not 0 < number <= MAX_SECONDS:
        _add(
            doc,
            "bad_value",
            (*where, key),
            f"{key} must be a positive number of seconds up to {MAX_SECONDS:,.0f} (30 days), "
            f"not {capped_repr(data[key])}",
        )
        return default
    return number


def _count(doc: Document, data: Mapping, key: str, default: int) -> int:
    if key not in data:
        return default
    value = data[key]
    if not is_whole(value) or not 1 <= value <= MAX_PARALLEL:
        _add(
            doc,
            "bad_value",
            (key,),
            f"{key} must be a whole number from 1 to {MAX_PARALLEL}, not {capped_repr(value)}",
        )
        return default
    return value
