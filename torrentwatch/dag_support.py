"""Where the Airflow DAGs find the files the CLI reads.

A DAG run's Params win (a person triggering a run can point it elsewhere); an empty
Param falls back to the Airflow Variable ``torrentwatch_<name>`` (asset- and
time-triggered runs have no run conf, so Variables are the operator's standing
configuration); the warehouse path finally falls back to ``$TORRENTWATCH_DB`` as the
CLI's ``--db`` does. Nothing here guesses a path relative to the scheduler's working
folder: a missing setting is a ``ConfigError`` naming the Param and the Variable.

Part of the DAG skin (with ``dags/``): may import every layer below; no stage imports it.

This module imports nothing from Airflow at import time, so the CLI never needs it;
the DAGs hand in :func:`airflow_variable` as the Variable lookup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from common.errors import ConfigError, TorrentwatchError
from warehouse.lake import is_lake

# The one pool every task that writes DuckDB runs in; one slot, so writers queue
# instead of failing on the warehouse's single-writer lock (scripts/airflow-setup.sh).
DUCKDB_POOL = "torrentwatch_duckdb"
VARIABLE_PREFIX = "torrentwatch_"
# Asset names: the load task updates the warehouse, the flag task the flags.
WAREHOUSE_ASSET = "torrentwatch_warehouse"
FLAGS_ASSET = "torrentwatch_flags"
TAGS = ["torrentwatch"]

# Retries back off exponentially (1, 2, 4 min ... at most 30): a locked warehouse or a
# briefly unreachable source heals itself; a real bug fails after three tries. Errors no
# retry can fix skip them (retry_only_transient below).
DEFAULT_ARGS: dict[str, object] = {
    "owner": "torrentwatch",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=1),
}

# What every torrentwatch DAG shares: all of them write DuckDB (through the one-slot
# pool), so one run at a time, and no catch-up of missed intervals. No start_date on
# purpose: with one, Airflow 3.3.2 runs the latest past cron time the moment a DAG is
# first unpaused (catchup=False keeps only that one run); without one, the cron
# timetables' run_immediately decides (FIRST_RUN_WAITS below).
# run_immediately of every CronTriggerTimetable: a DAG first unpaused waits for its next
# cron time instead of running at once. A zero timedelta, not False: in Airflow 3.3.2
# False still runs the latest past cron time when it is at most 5 minutes (or a tenth of
# the cron period) ago (CronTriggerTimetable._calc_first_run).
FIRST_RUN_WAITS = timedelta(0)

DAG_SETTINGS: dict[str, object] = {
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
    "tags": TAGS,
}

# The only project errors a retry can fix: a lock or a full disk another process may
# release, a network, a peer or a source that may answer next time. Every other
# TorrentwatchError (a missing or invalid setting, invalid input, no warehouse, a
# warehouse of a newer schema, invalid rules, a number out of range ...) fails the task
# at once; an exception of another type (a bug, an OSError) keeps the retries.
RETRYABLE_CODES = frozenset(
    {
        "warehouse.locked",
        "warehouse.schema_older",
        "warehouse.disk_full",
        "landing.error",
        "export.write_failed",
        "source.failed",
        "source.timeout",
        "fetch.failed",
        "fetch.timeout",
        "fetch.http_status",
        "fetch.tls",
        "scrape.failed",
        "scrape.timeout",
        "scrape.bad_response",
        "swarm.session",
    }
)

Lookup = Callable[[str], str | None]


def retryable(exc: BaseException) -> bool:
    """Whether a retry may fix ``exc``: see RETRYABLE_CODES.

    The project errors it was raised from count too: a hash list at a URL that timed out
    is ``hashlist.unreadable`` raised from ``fetch.timeout``, which a retry may fix.
    """
    if not isinstance(exc, TorrentwatchError):
        return True
    seen: BaseException | None = exc
    for _ in range(10):  # a cause chain is short; never loop on a cyclic one
        if seen is None:
            break
        if isinstance(seen, TorrentwatchError) and seen.code in RETRYABLE_CODES:
            return True
        seen = seen.__cause__
    return False


@contextmanager
def retry_only_transient() -> Iterator[None]:
    """Run a task's stage; an error no retry can fix fails the task now, not after 3 tries.

    Airflow's task SDK does not retry a task that raises ``AirflowFailException``; the
    project error is kept as its cause, so the log shows its code and message.
    """
    try:
        yield
    except TorrentwatchError as exc:
        if retryable(exc):
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(f"{exc} (not retried: a retry cannot fix this)") from exc


def log_summary(line: str) -> None:
    """Log a stage's one-line summary (torrentwatch.summaries) in the task's log."""
    import logging

    logging.getLogger("torrentwatch").info("%s", line)


@dataclass(frozen=True, slots=True)
class HashListSpec:
    """One known-hash list to (re)import: the arguments of `torrentwatch hashlist import`."""

    name: str
    path: str
    source: str | None = None
    format: str = "auto"


@dataclass(frozen=True, slots=True)
class ExportTarget:
    """One recipient of hotline exports: the arguments of `torrentwatch export`."""

    target: str
    format: str = "csv"
    include_escalated: bool = False


def optional_path(what: str, variable: str) -> dict[str, object]:
    """Keyword arguments of a DAG ``Param`` for a path that may be left empty.

    Empty means "use the Airflow Variable", so the value must be nullable: Airflow's
    trigger form marks a Param whose type has no ``null`` as required and will not
    submit while it is empty. Used as ``Param(**optional_path(...))``."""
    return {
        "default": None,
        "type": ["null", "string"],
        "description": f"{what}; empty: Variable {variable}",
    }


def airflow_variable(key: str) -> str | None:
    """The Airflow Variable ``key`` or None; only callable inside a running task."""
    from airflow.sdk import Variable

    return Variable.get(key, default=None)


def _raw(params: Mapping[str, object], key: str, variable: Lookup) -> object:
    value = params.get(key)
    if value not in (None, "", [], {}):
        return value
    return variable(VARIABLE_PREFIX + key)


def _missing(key: str) -> ConfigError:
    return ConfigError(
        f"no {key!r} configured: set the DAG Param {key!r} or the Airflow Variable "
        f"{VARIABLE_PREFIX + key!r}",
        code="airflow.config_missing",
    )


def required_path(params: Mapping[str, object], key: str, variable: Lookup) -> Path:
    """The path in Param ``key``, else Variable ``torrentwatch_<key>``; an error when neither."""
    value = _raw(params, key, variable)
    if value in (None, ""):
        raise _missing(key)
    if not isinstance(value, str):
        raise ConfigError(
            f"{key!r} must be a path (text), not {type(value).__name__}",
            code="airflow.config_invalid",
        )
    return Path(value).expanduser()


def warehouse_path(params: Mapping[str, object], variable: Lookup) -> str | Path:
    """The warehouse: Param ``db``, Variable ``torrentwatch_db``, then ``$TORRENTWATCH_DB``.

    A DuckDB file comes back as a Path; a lake target (``ducklake:…``, docs/lake.md) as
    the text it was given, since a Path would fold the slashes of its catalog string."""
    raw = _raw(params, "db", variable)
    if raw in (None, "") and os.environ.get("TORRENTWATCH_DB"):
        raw = os.environ["TORRENTWATCH_DB"]
        return raw.strip() if is_lake(raw.strip()) else Path(raw).expanduser()
    if isinstance(raw, str) and is_lake(raw.strip()):
        return raw.strip()
    return required_path(params, "db", variable)


# Loaders of a lake warehouse when neither the Param nor the Variable says.
DEFAULT_LOADERS = 2
MAX_LOADERS = 64


def load_parts(params: Mapping[str, object], variable: Lookup) -> list[str]:
    """The parts the load fans out to (``monitor_load.LoadPart`` text): none on a DuckDB
    file, whose single writer loads everything in the one-slot pool; ``loaders`` parts
    (Param, else Variable ``torrentwatch_loaders``, else 2) on a lake, loaded at once."""
    if not is_lake(str(warehouse_path(params, variable))):
        return []
    raw = _raw(params, "loaders", variable)
    if raw in (None, ""):
        return [f"{k}/{DEFAULT_LOADERS}" for k in range(1, DEFAULT_LOADERS + 1)]
    try:
        count = int(str(raw))
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_LOADERS:
        raise ConfigError(
            f"'loaders' must be a whole number from 1 to {MAX_LOADERS}, not {raw!r}",
            code="airflow.config_invalid",
        )
    return [f"{k}/{count}" for k in range(1, count + 1)]


def _decoded(key: str, value: object) -> object:
    """Variables hold text; lists and mappings are stored in them as JSON."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Airflow Variable {VARIABLE_PREFIX + key!r} is not valid JSON: {exc}",
            code="airflow.config_invalid",
        ) from exc


def path_list(params: Mapping[str, object], key: str, variable: Lookup) -> list[Path]:
    """Paths (rule packs): Param ``key`` or the JSON list in the Variable; [] when unset."""
    value = _raw(params, key, variable)
    if value in (None, ""):
        return []
    value = _decoded(key, value)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(
            f"{key!r} must be a list of paths, got {value!r}", code="airflow.config_invalid"
        )
    return [Path(v).expanduser() for v in value]


def hash_list_specs(params: Mapping[str, object], variable: Lookup) -> list[HashListSpec]:
    """The lists to import: ``{name: path}`` or ``{name: {path, source, format}}``."""
    value = _raw(params, "hash_lists", variable)
    if value in (None, ""):
        raise _missing("hash_lists")
    value = _decoded("hash_lists", value)
    if not isinstance(value, dict) or not value:
        raise ConfigError(
            f"'hash_lists' must map list names to files, got {value!r}",
            code="airflow.config_invalid",
        )
    specs = []
    for name, entry in value.items():
        spec = {"path": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise ConfigError(
                f"hash list {name!r}: give a file path or {{path, source, format}}, got {entry!r}",
                code="airflow.config_invalid",
            )
        unknown = set(spec) - {"path", "source", "format"}
        if unknown:
            raise ConfigError(
                f"hash list {name!r}: unknown keys {sorted(unknown)} (allowed: path, source, "
                "format)",
                code="airflow.config_invalid",
            )
        specs.append(
            HashListSpec(str(name), spec["path"], spec.get("source"), spec.get("format", "auto"))
        )
    return specs


def export_targets(params: Mapping[str, object], variable: Lookup) -> list[ExportTarget]:
    """Who gets exports: ``{target: format}`` or ``{target: {format, include_escalated}}``."""
    value = _decoded("export_targets", _raw(params, "export_targets", variable))
    if value in (None, ""):
        raise _missing("export_targets")
    if not isinstance(value, dict) or not value:
        raise ConfigError(
            f"'export_targets' must map target names to a format, got {value!r}",
            code="airflow.config_invalid",
        )
    targets = []
    for name, entry in value.items():
        spec = {"format": entry} if isinstance(entry, str) else entry
        if (
            not isinstance(spec, dict)
            or set(spec) - {"format", "include_escalated"}
            or not isinstance(spec.get("format", "csv"), str)
            or not isinstance(spec.get("include_escalated", False), bool)
        ):
            raise ConfigError(
                f"export target {name!r}: give a format or {{format, include_escalated}}, "
                f"got {entry!r}",
                code="airflow.config_invalid",
            )
        targets.append(
            ExportTarget(str(name), spec.get("format", "csv"), spec.get("include_escalated", False))
        )
    return targets
