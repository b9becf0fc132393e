"""Settings declared as data and checked by one checker that names the key.

Every source kind declares its ``settings`` as a table (:class:`SettingsSpec`): each
key with the check of its value, its default, whether it is required and a line of
documentation, plus the few rules that tie keys together ("give infohashes, or set
from_warehouse"). :func:`SettingsSpec.check` returns problems as records carrying the
key (:class:`SettingProblem`), so ``sources.yaml`` loading points at the key's
``file:line:col`` without reading it back out of a message, and
:func:`SettingsSpec.read` gives the checked values with their defaults filled in, so a
kind's defaults live in the same table as its checks. The value checks here
(:func:`whole`, :func:`number`, :func:`boolean`, :func:`items`) word their problems
from a template, so each kind keeps its own sentences.
May import only from ``common``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from common.checks import is_number, is_whole
from common.errors import ConfigError, TorrentwatchError

# A value's check: None or () when it is fine, else one problem sentence or several.
Check = Callable[[object], "str | Iterable[str] | None"]


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One thing wrong with a kind's settings: the ``key`` it is about and what."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True, slots=True)
class Setting:
    """One key of a kind's settings.

    ``check`` runs on a given value; a missing key (or one set to null, unless
    ``nullable`` is False, when null is checked like any other value) takes
    ``default``, or is the problem ``required`` when that is set.
    """

    key: str
    check: Check | None = None
    default: object = None
    required: str | None = None
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A problem about ``key`` that depends on several keys: ``message`` when
    ``broken(settings)`` is true (checked after every key's own check)."""

    key: str
    message: str
    broken: Callable[[Mapping[str, object]], bool]


@dataclass(frozen=True, slots=True)
class SettingsSpec:
    """The settings of one source kind, as data."""

    kind: str
    settings: tuple[Setting, ...]
    rules: tuple[Rule, ...] = ()
    unknown: str = "not a {kind} setting"  # problem of a key not declared; {allowed} too
    error: type[TorrentwatchError] = ConfigError  # what :meth:`read` raises

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(setting.key for setting in self.settings)

    def check(self, settings: Mapping[str, object]) -> list[SettingProblem]:
        """Every problem with ``settings``, unknown keys first, then key by key in the
        order declared, then the rules; [] when they are fine."""
        known = self.keys
        allowed = ", ".join(known)
        problems = [
            SettingProblem(str(key), self.unknown.format(kind=self.kind, allowed=allowed))
            for key in settings
            if key not in known
        ]
        for setting in self.settings:
            problems += _problems(setting, settings)
        problems += [SettingProblem(r.key, r.message) for r in self.rules if r.broken(settings)]
        return problems

    def messages(self, settings: Mapping[str, object]) -> list[str]:
        """:meth:`check` as ``"key: message"`` lines."""
        return [str(problem) for problem in self.check(settings)]

    def read(self, settings: Mapping[str, object]) -> dict[str, object]:
        """Every declared key's value (its default when missing or null), after
        :meth:`check`; raises ``error`` listing the problems when there are any."""
        problems = self.messages(settings)
        if problems:
            raise self.error(f"{self.kind} settings: " + "; ".join(problems))
        values = {}
        for setting in self.settings:
            value = settings.get(setting.key)
            values[setting.key] = setting.default if value is None else value
        return values


def _problems(setting: Setting, settings: Mapping[str, object]) -> list[SettingProblem]:
    value = settings.get(setting.key)
    if value is None and (setting.nullable or setting.key not in settings):
        if setting.required is None:
            return []
        return [SettingProblem(setting.key, setting.required)]
    if setting.check is None:
        return []
    found = setting.check(value)
    if found is None:
        return []
    if isinstance(found, str):
        found = (found,)
    return [SettingProblem(setting.key, message) for message in found]


# --- value checks ------------------------------------------------------------------------


def whole(low: int, high: int | None, message: str) -> Check:
    """A whole number (not a boolean) from ``low`` to ``high`` (None: no top);
    ``message`` may name ``{low}``, ``{high}`` and ``{value}``."""

    def check(value: object) -> str | None:
        if is_whole(value) and low <= value and (high is None or value <= high):
            return None
        return message.format(low=low, high=high, value=value)

    return check


def number(above: float, high: float, message: str) -> Check:
    """A number (not a boolean, not NaN) above ``above`` and at most ``high``."""

    def check(value: object) -> str | None:
        if is_number(value) and above < value <= high:
            return None
        return message.format(above=above, high=high, value=value)

    return check


def boolean(message: str = "must be true or false, not {value!r}") -> Check:
    """``true`` or ``false``, never a number or a word that reads like one."""

    def check(value: object) -> str | None:
        return None if isinstance(value, bool) else message.format(value=value)

    return check


def items(parse: Callable[[object], object]) -> Check:
    """A list whose every item ``parse`` accepts (it raises ValueError saying why not):
    ``item <n>: <why>`` for each one it refuses."""

    def check(value: object) -> list[str]:
        if not isinstance(value, list):
            return [f"must be a list, not {type(value).__name__}"]
        problems = []
        for index, item in enumerate(value):
            try:
                parse(item)
            except ValueError as exc:
                problems.append(f"item {index + 1}: {exc}")
        return problems

    return check
