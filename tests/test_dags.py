"""The Airflow DAGs: they parse, are wired as documented, and run the real stages.

Airflow configures logging and its settings once per process, so everything that
imports Airflow runs in a subprocess with its own AIRFLOW_HOME (a temporary folder
prepared by scripts/airflow-setup.sh, as an operator would); this process only checks
the results in DuckDB. `dag.test()` runs every task in-process against that SQLite
metadata database: no scheduler, no API server, no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from common.errors import ConfigError
from torrentwatch.dag_support import (
    DEFAULT_ARGS,
    DUCKDB_POOL,
    ExportTarget,
    HashListSpec,
    export_targets,
    hash_list_specs,
    load_parts,
    path_list,
    required_path,
    warehouse_path,
)
from torrentwatch.demo import demo_data_dir
from torrentwatch.export import export_verify
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.review import review_decide, review_queue
from warehouse.db import connect

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
AIRFLOW = Path(sys.executable).with_name("airflow")
# Set as the packs Variable: layered again over itself, it changes no rule.
SHIPPED_PACK = REPO / "rules" / "packs" / "disguise.yaml"

# Every DAG, its tasks and each task's downstream tasks: the wiring docs/airflow.md shows.
EXPECTED_TASKS = {
    "torrent_ingest": {
        "sources": {"gather"},
        "gather": {"load", "plan_load"},
        "load": set(),
        "plan_load": {"load_part"},
        "load_part": set(),
    },
    "torrent_flag": {"flag": set()},
    "hashlist_sync": {"lists": {"import_list"}, "import_list": set()},
    "hotline_export": {"targets": {"export"}, "export": set()},
}
# The tasks that write DuckDB, so must queue in the one-slot pool. (load_part writes a
# lake, which takes many writers: it stays out of the pool; on a file it never runs.)
WRITERS = {
    ("torrent_ingest", "load"),
    ("torrent_flag", "flag"),
    ("hashlist_sync", "import_list"),
    ("hotline_export", "export"),
}

# Prints, as JSON, what the tests check about every DAG in the folder argv[1].
DAGBAG_SCRIPT = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag

def asset_names(condition):
    if condition is None:
        return []
    if hasattr(condition, "objects"):
        return sorted(n for o in condition.objects for n in asset_names(o))
    return [condition.name]

def schedule(timetable):
    out = {"kind": type(timetable).__name__}
    inner = getattr(timetable, "timetable", timetable)
    out["cron"] = getattr(inner, "expression", None)
    out["timezone"] = str(getattr(inner, "timezone", "")) or None
    out["assets"] = asset_names(getattr(timetable, "asset_condition", None))
    return out

# When the scheduler would start the first run of a DAG unpaused now (None: never).
def first_run_after(dag):
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = decode_timetable(encode_timetable(dag.timetable))
    restriction = TimeRestriction(earliest=dag.start_date, latest=None, catchup=dag.catchup)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    return info.run_after.isoformat() if info else None

bag = DagBag(dag_folder=sys.argv[1], known_pools={"torrentwatch_duckdb", "default_pool"})
dags = {}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {
        "schedule": schedule(dag.timetable),
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "params": sorted(dag.params.keys()),
        "param_schemas": {k: p.schema for k, p in dag.params.items()},
        "param_defaults": {k: p.value for k, p in dag.params.items()},
        "description": dag.description,
        "doc_md": dag.doc_md,
        "first_run_after": first_run_after(dag),
        "tasks": {
            t.task_id: {
                "downstream": sorted(t.downstream_task_ids),
                "pool": t.pool,
                "pool_slots": t.pool_slots,
                "retries": t.retries,
                "retry_exponential_backoff": t.retry_exponential_backoff,
                "retry_delay": t.retry_delay.total_seconds(),
                "max_retry_delay": t.max_retry_delay.total_seconds(),
                "execution_timeout": t.execution_timeout.total_seconds(),
                "trigger_rule": getattr(t.trigger_rule, "value", t.trigger_rule),
                "outlets": sorted(o.name for o in t.outlets),
                "mapped": type(t).__name__.endswith("MappedOperator"),
                "map_index_template": t.map_index_template,
            }
            for t in dag.tasks
        },
    }
print(json.dumps({"import_errors": bag.import_errors, "dags": dags}))
"""

# Runs one DAG (argv[1]) with dag.test(run_conf=argv[2]); prints the run's task states.
# Retries are switched off here only, so a failing task fails the run at once instead of
# dag.test() waiting out the exponential backoff.
DAG_TEST_SCRIPT = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[3])
assert not bag.import_errors, bag.import_errors
dag = bag.dags[sys.argv[1]]
if sys.argv[4] == "no-retries":
    for task in dag.tasks:
        task.retries = 0
run = dag.test(run_conf=json.loads(sys.argv[2]))
tis = run.get_task_instances()
states = {f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in tis}
names = {f"{ti.task_id}[{ti.map_index}]": ti.rendered_map_index for ti in tis if ti.map_index >= 0}
tries = {f"{ti.task_id}[{ti.map_index}]": ti.try_number for ti in tis}
print(json.dumps({"state": str(run.state), "tasks": states, "names": names, "tries": tries}))
"""


def airflow_env(home: Path, dags: Path = DAGS, **variables: str) -> dict[str, str]:
    """The environment of an Airflow subprocess: its home, the DAG folder, Variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "TORRENTWATCH"))}
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW_BIN": str(AIRFLOW),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    env |= {f"AIRFLOW_VAR_TORRENTWATCH_{k.upper()}": v for k, v in variables.items()}
    return env


def run_output(args: list[str], env: dict[str, str], timeout: float = 180) -> tuple[object, str]:
    """Run a command: its last stdout line as JSON, and all it printed (the task logs)."""
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(
            f"{args[:3]} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr


def run_json(args: list[str], env: dict[str, str], timeout: float = 180) -> object:
    """Run a command; its last stdout line is JSON. On failure, show what it printed."""
    return run_output(args, env, timeout)[0]


def dag_test_logged(
    home: Path, dag_id: str, conf: dict, *, retries: bool = False, **variables: str
) -> tuple[dict, str]:
    """dag.test() of one DAG: task states, map index names and tries; and the task logs.

    ``retries=False`` switches retries off, so a failing task fails the run at once
    instead of dag.test() waiting out the exponential backoff.
    """
    mode = "keep-retries" if retries else "no-retries"
    args = [sys.executable, "-c", DAG_TEST_SCRIPT, dag_id, json.dumps(conf), str(DAGS), mode]
    return run_output(args, airflow_env(home, **variables))


def dag_test(home: Path, dag_id: str, conf: dict, **variables: str) -> dict:
    run = dag_test_logged(home, dag_id, conf, **variables)[0]
    return {"state": run["state"], "tasks": run["tasks"]}


def demo_sources(folder: Path) -> Path:
    """A sources.yaml with the demo data as one folder source, as the standalone script writes."""
    config = folder / "sources.yaml"
    config.write_text(
        "landing: landing\n"
        "sources:\n"
        "  - name: demo\n"
        "    kind: folder\n"
        "    settings:\n"
        f"      path: {json.dumps(str(demo_data_dir()))}\n"
    )
    return config


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> Path:
    """An Airflow metadata database made by the project's setup script."""
    home = tmp_path_factory.mktemp("airflow-home")
    setup = [
        "bash",
        str(REPO / "scripts" / "airflow-setup.sh"),
        "--db",
        str(home / "from-variable.duckdb"),
        "--packs",
        json.dumps([str(SHIPPED_PACK)]),
    ]
    done = subprocess.run(setup, env=airflow_env(home), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return home


# --- configuration: Params, then Variables (pure, no Airflow needed) ---------------


def no_variables(key: str) -> None:
    return None


def test_param_wins_over_variable_and_variable_fills_an_empty_param():
    variables = {"torrentwatch_sources": "/etc/tw/sources.yaml"}.get
    assert required_path({"sources": "/run/s.yaml"}, "sources", variables) == Path("/run/s.yaml")
    assert required_path({"sources": ""}, "sources", variables) == Path("/etc/tw/sources.yaml")


def test_missing_setting_names_the_param_and_the_variable():
    with pytest.raises(ConfigError) as caught:
        required_path({"sources": ""}, "sources", no_variables)
    assert caught.value.code == "airflow.config_missing"
    assert "'sources'" in str(caught.value) and "'torrentwatch_sources'" in str(caught.value)


def test_a_lake_target_reaches_the_stages_as_written_and_fans_the_load_out(monkeypatch):
    monkeypatch.delenv("TORRENTWATCH_DB", raising=False)
    lake = "ducklake:postgres:postgresql://tw@db//tw;data_path=/srv/lake/"
    assert warehouse_path({"db": lake}, no_variables) == lake  # no slash folded
    assert load_parts({"db": lake}, no_variables) == ["1/2", "2/2"]
    assert load_parts({"db": lake, "loaders": 3}, no_variables) == ["1/3", "2/3", "3/3"]
    assert load_parts({"db": lake}, {"torrentwatch_loaders": "4"}.get)[-1] == "4/4"
    assert load_parts({"db": "/data/w.duckdb", "loaders": 3}, no_variables) == []
    monkeypatch.setenv("TORRENTWATCH_DB", lake)
    assert warehouse_path({}, no_variables) == lake
    for bad in (0, 65, "many"):
        with pytest.raises(ConfigError, match="'loaders' must be a whole number") as caught:
            load_parts({"db": lake, "loaders": bad}, no_variables)
        assert caught.value.code == "airflow.config_invalid"


def test_warehouse_falls_back_to_the_cli_environment_variable(monkeypatch):
    monkeypatch.delenv("TORRENTWATCH_DB", raising=False)
    with pytest.raises(ConfigError, match="torrentwatch_db"):
        warehouse_path({}, no_variables)
    monkeypatch.setenv("TORRENTWATCH_DB", "/data/env.duckdb")
    assert warehouse_path({}, no_variables) == Path("/data/env.duckdb")
    assert warehouse_path({}, {"torrentwatch_db": "/v.duckdb"}.get) == Path("/v.duckdb")
    assert warehouse_path({"db": "/p.duckdb"}, {"torrentwatch_db": "/v"}.get) == Path("/p.duckdb")


@pytest.mark.parametrize(
    ("variable", "problem"),
    [
        ("[not json", "not valid JSON"),
        ('{"a": 1}', "must be a list of paths"),
        ('["ok.yaml", 3]', "must be a list of paths"),
        ('["ok.yaml", ""]', "must be a list of paths"),
        ("\udcff\x00", "not valid JSON"),
    ],
)
def test_bad_pack_lists_are_refused_with_the_reason(variable, problem):
    with pytest.raises(ConfigError, match=problem) as caught:
        path_list({}, "packs", {"torrentwatch_packs": variable}.get)
    assert caught.value.code == "airflow.config_invalid"


def test_pack_list_from_param_or_variable_and_empty_when_unset():
    assert path_list({"packs": ["a.yaml", "b"]}, "packs", no_variables) == [
        Path("a.yaml"),
        Path("b"),
    ]
    assert path_list({}, "packs", {"torrentwatch_packs": '["/p/x.yaml"]'}.get) == [
        Path("/p/x.yaml")
    ]
    assert path_list({"packs": []}, "packs", no_variables) == []
    with pytest.raises(ConfigError, match="a path"):
        required_path({"sources": ["a", "b"]}, "sources", no_variables)


def test_hash_lists_take_a_path_or_the_import_options():
    value = json.dumps(
        {"local": "/lists/a.txt", "partner": {"path": "b.csv", "source": "P", "format": "csv"}}
    )
    assert hash_list_specs({}, {"torrentwatch_hash_lists": value}.get) == [
        HashListSpec("local", "/lists/a.txt", None, "auto"),
        HashListSpec("partner", "b.csv", "P", "csv"),
    ]


@pytest.mark.parametrize(
    "value",
    [
        [],
        ["a.txt"],
        {"x": 3},
        {"x": {"source": "no path"}},
        {"x": {"path": "a.txt", "url": "https://example.invalid/list"}},
        {"x": {"path": ["nested", {"deep": ["a.txt"]}]}},
    ],
)
def test_bad_hash_list_config_is_refused(value):
    with pytest.raises(ConfigError) as caught:
        hash_list_specs({"hash_lists": value}, no_variables)
    assert caught.value.code in {"airflow.config_invalid", "airflow.config_missing"}


def test_export_targets_take_a_format_or_the_export_options():
    value = '{"hotline-a": "jsonl", "partner": {"format": "parquet", "include_escalated": true}}'
    assert export_targets({}, {"torrentwatch_export_targets": value}.get) == [
        ExportTarget("hotline-a", "jsonl", False),
        ExportTarget("partner", "parquet", True),
    ]
    assert export_targets({"export_targets": {"b": {}}}, no_variables) == [ExportTarget("b")]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "[1, 2]",
        '{"a": 7}',
        '{"a": {"format": "csv", "include_escalated": "yes"}}',
        '{"a": {"fmt": "csv"}}',
        '{"a": {"format": ["csv"]}}',
        '{"a": ' * 50 + "1" + "}" * 50,
    ],
)
def test_bad_export_targets_are_refused(value):
    with pytest.raises(ConfigError) as caught:
        export_targets({}, {"torrentwatch_export_targets": value}.get)
    assert caught.value.code in {"airflow.config_invalid", "airflow.config_missing"}


def test_default_args_back_off_exponentially_and_time_out():
    assert DEFAULT_ARGS["retries"] >= 2
    assert DEFAULT_ARGS["retry_exponential_backoff"] > 1
    assert DEFAULT_ARGS["max_retry_delay"] > DEFAULT_ARGS["retry_delay"]
    assert isinstance(DEFAULT_ARGS["execution_timeout"], timedelta)


# --- the DAG files, parsed by Airflow ----------------------------------------------


@pytest.mark.slow
def test_dagbag_parses_without_errors_and_is_wired_as_documented(dagbag):
    bag = dagbag
    assert bag["import_errors"] == {}
    dags = bag["dags"]
    assert set(dags) == set(EXPECTED_TASKS)
    for dag_id, expected in EXPECTED_TASKS.items():
        tasks = dags[dag_id]["tasks"]
        assert {t: set(tasks[t]["downstream"]) for t in tasks} == expected, dag_id
        assert dags[dag_id]["catchup"] is False
        for task_id, task in tasks.items():
            writes = (dag_id, task_id) in WRITERS
            assert task["pool"] == (DUCKDB_POOL if writes else "default_pool"), task_id
            assert task["pool_slots"] == 1
            assert task["retries"] == 3 and task["retry_exponential_backoff"] == 2.0
            assert 0 < task["retry_delay"] < task["max_retry_delay"]
            assert 0 < task["execution_timeout"] <= 2 * 3600
        if any(d == dag_id for d, _ in WRITERS):
            assert dags[dag_id]["max_active_runs"] == 1, dag_id

    ingest_dag, flag_dag, sync = dags["torrent_ingest"], dags["torrent_flag"], dags["hashlist_sync"]
    assert ingest_dag["schedule"] == {
        "kind": "CronTriggerTimetable",
        "cron": "*/15 * * * *",
        "timezone": "UTC",
        "assets": [],
    }
    assert ingest_dag["tasks"]["gather"]["mapped"] is True
    assert ingest_dag["tasks"]["load"]["outlets"] == ["torrentwatch_warehouse"]
    assert ingest_dag["tasks"]["load"]["trigger_rule"] == "all_done"
    assert ingest_dag["params"] == ["db", "loaders", "sources"]
    assert ingest_dag["tasks"]["load_part"]["mapped"] is True
    assert ingest_dag["tasks"]["load_part"]["outlets"] == ["torrentwatch_warehouse"]
    assert ingest_dag["tasks"]["plan_load"]["trigger_rule"] == "all_done"
    assert flag_dag["schedule"]["kind"] == "AssetTriggeredTimetable"
    assert flag_dag["schedule"]["assets"] == ["torrentwatch_warehouse"]
    assert flag_dag["tasks"]["flag"]["outlets"] == ["torrentwatch_flags"]
    assert flag_dag["params"] == ["db", "packs"]
    assert sync["schedule"]["cron"] == "0 5 * * *"
    assert sync["tasks"]["import_list"]["mapped"] is True
    assert sync["tasks"]["import_list"]["outlets"] == ["torrentwatch_warehouse"]
    hotline = dags["hotline_export"]
    assert hotline["schedule"] == {
        "kind": "AssetOrTimeSchedule",
        "cron": "0 6 * * *",
        "timezone": "UTC",
        "assets": ["torrentwatch_flags"],
    }
    assert hotline["tasks"]["export"]["mapped"] is True
    assert hotline["params"] == ["db", "export_dir", "export_targets"]


# Params that name a file or folder: empty (None or "") falls back to the Variable, so
# the trigger form must accept them empty (a nullable type is not "required" there).
PATH_PARAMS = {
    "torrent_ingest": {"sources", "db"},
    "torrent_flag": {"db"},
    "hashlist_sync": {"db"},
    "hotline_export": {"db", "export_dir"},
}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("dagbag-home")
    return run_json([sys.executable, "-c", DAGBAG_SCRIPT, str(DAGS)], airflow_env(home))


@pytest.mark.slow
def test_every_dag_says_what_it_does_and_names_its_map_indexes(dagbag):
    """The DAG list shows a description; a mapped task shows its source, list or target."""
    for dag_id, dag in dagbag["dags"].items():
        assert dag["description"] and len(dag["description"]) > 40, dag_id
        assert dag["doc_md"] and "torrentwatch" in dag["doc_md"], dag_id
        for task_id, task in dag["tasks"].items():
            if task["mapped"]:
                assert task["map_index_template"], (dag_id, task_id)
    # The UI's card of an Asset-or-time DAG shows only the Asset: the description says when.
    assert "06:00" in dagbag["dags"]["hotline_export"]["description"]


@pytest.mark.slow
def test_path_params_may_be_left_empty_in_the_trigger_form(dagbag):
    for dag_id, names in PATH_PARAMS.items():
        dag = dagbag["dags"][dag_id]
        for name in names:
            assert "null" in dag["param_schemas"][name]["type"], (dag_id, name)
            assert dag["param_defaults"][name] in (None, ""), (dag_id, name)


@pytest.mark.slow
def test_unpausing_a_dag_starts_no_run_before_its_next_scheduled_time(dagbag):
    """No start_date and a zero run_immediately: the first run is the next cron time."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    for dag_id, dag in dagbag["dags"].items():
        first = dag["first_run_after"]
        if dag_id == "torrent_flag":
            assert first is None  # the Asset alone starts it
            continue
        assert datetime.fromisoformat(first) > now, (dag_id, first)


def test_only_transient_errors_are_retried():
    from common.errors import (
        FetchTimeout,
        RulesInvalid,
        SourceFailed,
        ValueOutOfRange,
        WarehouseDiskFull,
        WarehouseLocked,
        WarehouseMissing,
        WarehouseSchemaNewer,
    )
    from torrentwatch.dag_support import retryable

    for transient in (WarehouseLocked("x"), WarehouseDiskFull("x"), FetchTimeout("x")):
        assert retryable(transient), transient.code
    assert retryable(SourceFailed("x")) and retryable(OSError("network down"))
    permanent = [
        ConfigError("x", code="airflow.config_missing"),
        ConfigError("x", code="airflow.config_invalid"),
        WarehouseMissing("x"),
        WarehouseSchemaNewer("x"),
        RulesInvalid("x"),
        ValueOutOfRange("x"),
    ]
    for error in permanent:
        assert not retryable(error), error.code
    # What an error was raised from counts: a list URL that timed out may answer later,
    # a file that is not there will not appear by retrying.
    from common.errors import HashListUnreadable

    try:
        try:
            raise FetchTimeout("no answer")
        except FetchTimeout as exc:
            raise HashListUnreadable("https://lists.invalid/a.txt: cannot fetch") from exc
    except HashListUnreadable as unreadable:
        assert retryable(unreadable)
    try:
        try:
            raise FileNotFoundError("a.txt")
        except OSError as exc:
            raise HashListUnreadable("a.txt: cannot read the hash list") from exc
    except HashListUnreadable as unreadable:
        assert not retryable(unreadable)


@pytest.mark.slow
def test_a_configuration_error_fails_at_once_without_retry(airflow_home):
    """hashlist_sync with no lists configured, its 3 retries kept: failed after one try."""
    run, log = dag_test_logged(airflow_home, "hashlist_sync", {}, retries=True)
    assert run["state"] == "failed"
    assert run["tasks"]["lists[-1]"] == "failed"
    assert run["tries"]["lists[-1]"] == 1
    assert "AirflowFailException" in log and "[airflow.config_missing]" in log
    assert "up_for_retry" not in json.dumps(run)


@pytest.mark.slow
def test_list_import_errors_local_finds_none_in_dags(airflow_home):
    args = [str(AIRFLOW), "dags", "list-import-errors", "--local", "--output", "json"]
    assert run_json(args, airflow_env(airflow_home)) == []


@pytest.mark.slow
def test_list_import_errors_local_reports_a_broken_dag_file(airflow_home, tmp_path):
    """The check above can fail: the same command on a copy of dags/ with a broken file."""
    dags = tmp_path / "dags"
    shutil.copytree(DAGS, dags, ignore=shutil.ignore_patterns("__pycache__"))
    (dags / "broken_dag.py").write_text(
        "from airflow.sdk import dag\n\n@dag(schedule='not a schedule')\ndef broken():\n"
        "    pass\n\nbroken()\n"
    )
    args = [str(AIRFLOW), "dags", "list-import-errors", "--local", "--output", "json"]
    env = airflow_env(airflow_home, dags=dags)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    errors = json.loads(done.stdout.strip().splitlines()[-1])
    assert [Path(e["filepath"]).name for e in errors] == ["broken_dag.py"]
    assert "AirflowTimetableInvalid" in errors[0]["error"]


# --- the setup script ---------------------------------------------------------------


@pytest.mark.slow
def test_setup_script_creates_the_one_slot_pool_and_variables(airflow_home):
    env = airflow_env(airflow_home)
    pools = run_json([str(AIRFLOW), "pools", "get", DUCKDB_POOL, "--output", "json"], env)
    assert [(p["pool"], int(p["slots"])) for p in pools] == [(DUCKDB_POOL, 1)]
    listed = run_json([str(AIRFLOW), "variables", "list", "--output", "json"], env)
    assert {v["key"] for v in listed} >= {"torrentwatch_db", "torrentwatch_packs"}
    got = subprocess.run(
        [str(AIRFLOW), "variables", "get", "torrentwatch_packs"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(got.stdout.strip().splitlines()[-1]) == [str(SHIPPED_PACK)]


def test_setup_script_refuses_an_unknown_option(tmp_path):
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "airflow-setup.sh"), "--dbb", "x.duckdb"],
        env=airflow_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "unknown option --dbb" in done.stderr
    assert not (tmp_path / "airflow.db").exists()


# --- dag.test() runs of the real stages on the demo data -----------------------------


def infohashes(db: Path, sql: str) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return set(con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory) -> Path:
    """The demo data through the CLI's own stages (ingest, then flag): what Airflow must match."""
    db = tmp_path_factory.mktemp("reference") / "cli.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    return db


@pytest.fixture(scope="module")
def ingested(airflow_home, tmp_path_factory) -> tuple[Path, dict]:
    """torrent_ingest run by dag.test() with Params pointing at a demo sources.yaml."""
    work = tmp_path_factory.mktemp("ingest")
    db = work / "airflow.duckdb"
    conf = {"sources": str(demo_sources(work)), "db": str(db)}
    run, log = dag_test_logged(airflow_home, "torrent_ingest", conf)
    return db, run | {"log": log}


@pytest.mark.slow
def test_torrent_ingest_dag_loads_the_demo_data(ingested, reference_db):
    db, run = ingested
    assert run["state"] == "success"
    assert run["tasks"] == {
        "sources[-1]": "success",
        "gather[0]": "success",
        "load[-1]": "success",
        "plan_load[-1]": "success",
        "load_part[-1]": "skipped",  # a DuckDB file: no parts, the one-slot load ran
    }
    assert run["names"] == {"gather[0]": "demo"}
    torrents = "SELECT infohash, name, file_count, total_size FROM torrents"
    assert infohashes(db, torrents) == infohashes(reference_db, torrents)
    assert len(infohashes(db, torrents)) > 10
    rejects = "SELECT reason FROM rejects"
    assert infohashes(db, rejects) == infohashes(reference_db, rejects)
    assert infohashes(db, "SELECT DISTINCT source FROM observations") == {("demo",)}


@pytest.mark.slow
def test_torrent_ingest_dag_fans_the_load_out_on_a_lake(
    airflow_home, tmp_path, postgres, reference_db
):
    """On a lake the one-slot load skips itself and three load_part tasks load the
    landing zone's three parts: the same torrents as the CLI's ingest, each once."""
    lake = postgres.new_lake("dag_lake", tmp_path)
    conf = {"sources": str(demo_sources(tmp_path)), "db": lake, "loaders": 3}
    run, _ = dag_test_logged(airflow_home, "torrent_ingest", conf)
    assert run["state"] == "success"
    assert run["tasks"] == {
        "sources[-1]": "success",
        "gather[0]": "success",
        "load[-1]": "skipped",
        "plan_load[-1]": "success",
        "load_part[0]": "success",
        "load_part[1]": "success",
        "load_part[2]": "success",
    }
    assert {run["names"][f"load_part[{i}]"] for i in range(3)} == {"1/3", "2/3", "3/3"}
    con = connect(lake, read_only=True)
    try:
        torrents = set(
            con.execute("SELECT infohash, name, file_count, total_size FROM torrents").fetchall()
        )
        doubled = con.execute(
            "SELECT count(*) FROM (SELECT infohash FROM torrents GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
    finally:
        con.close()
    assert doubled == 0
    assert torrents == infohashes(
        reference_db, "SELECT infohash, name, file_count, total_size FROM torrents"
    )


@pytest.mark.slow
def test_each_ingest_stage_logs_a_summary_whose_numbers_add_up(ingested):
    """The load's line: inputs = sightings + rejected, sightings = new + updated + repeats."""
    import re

    db, run = ingested
    (line,) = [x for x in run["log"].splitlines() if "landed items" in x]
    numbers = re.search(
        r"loaded (\d+) of (\d+) landed items.*the inputs in them: (\d+) = (\d+) sighting\(s\) "
        r"\((\d+) new torrent\(s\), (\d+) updated, (\d+) repeat\(s\)\) \+ (\d+) rejected \((.*)\)",
        line,
    )
    assert numbers, line
    loaded, pending, inputs, sightings, new, updated, repeats, rejected = map(
        int, numbers.groups()[:8]
    )
    assert loaded == pending > 0
    assert inputs == sightings + rejected and sightings == new + updated + repeats
    by_reason = dict(
        (code, int(n)) for code, n in (part.split() for part in numbers.group(9).split(", "))
    )
    assert sum(by_reason.values()) == rejected
    assert by_reason == dict(infohashes(db, "SELECT reason, count(*) FROM rejects GROUP BY 1"))
    assert new == len(infohashes(db, "SELECT infohash FROM torrents"))
    assert "source demo (folder): ok" in run["log"]


@pytest.fixture(scope="module")
def flagged(ingested, airflow_home) -> tuple[Path, dict]:
    """torrent_flag run with no run conf, as the Asset triggers it: Variables only."""
    db, _ = ingested
    return db, dag_test(airflow_home, "torrent_flag", {}, db=str(db))


@pytest.mark.slow
def test_torrent_flag_dag_flags_what_was_loaded_reading_the_variables(flagged, reference_db):
    """The warehouse comes from one Variable, the packs from the one setup stored."""
    db, run = flagged
    assert run == {"state": "success", "tasks": {"flag[-1]": "success"}}
    active = "SELECT infohash, rule_id, rule_version FROM flags WHERE active"
    assert infohashes(db, active) == infohashes(reference_db, active)
    assert len(infohashes(db, active)) >= 3


@pytest.mark.slow
def test_hashlist_sync_dag_imports_each_list_and_flag_matches_it(ingested, airflow_home, tmp_path):
    db, _ = ingested
    (first, _name), (second, _other) = sorted(
        infohashes(db, "SELECT infohash, name FROM torrents WHERE has_metadata")
    )[:2]
    lists = {"airflow-a": str(tmp_path / "a.txt"), "airflow-b": {"path": str(tmp_path / "b.txt")}}
    (tmp_path / "a.txt").write_text(f"{first}\nnot-a-hash\n")
    (tmp_path / "b.txt").write_text(f"{second}\n")
    run = dag_test_logged(airflow_home, "hashlist_sync", {"hash_lists": lists, "db": str(db)})[0]
    assert run["state"] == "success"
    assert run["tasks"] == {
        "lists[-1]": "success",
        "import_list[0]": "success",
        "import_list[1]": "success",
    }
    assert sorted(run["names"].values()) == ["airflow-a", "airflow-b"]
    stored = "SELECT list_name, hash FROM hash_list_entries"
    assert {row for row in infohashes(db, stored) if row[0].startswith("airflow-")} == {
        ("airflow-a", first),
        ("airflow-b", second),
    }
    rejected = "SELECT list_name, line_number FROM hash_list_rejects"
    assert ("airflow-a", 2) in infohashes(db, rejected)
    flag(db)
    on_lists = "SELECT infohash FROM flags WHERE active AND rule_id = 'known.on-any-list'"
    assert infohashes(db, on_lists) >= {(first,), (second,)}


@pytest.mark.slow
def test_hotline_export_dag_writes_the_confirmed_item_once(flagged, airflow_home, tmp_path):
    db, _ = flagged
    chosen = review_queue(db).to_pylist()[0]["infohash"]
    review_decide(db, chosen, decision="confirm", rationale="disguised-payload", analyst="ana")
    conf = {"db": str(db), "export_dir": str(tmp_path), "export_targets": {"hotline-a": "jsonl"}}
    run, log = dag_test_logged(airflow_home, "hotline_export", conf)
    assert run["state"] == "success"
    assert run["tasks"] == {"targets[-1]": "success", "export[0]": "success"}
    assert run["names"] == {"export[0]": "hotline-a"}
    assert "1 item(s) for hotline-a" in log
    manifests = list(tmp_path.glob("hotline-a-*.jsonl.manifest.json"))
    assert len(manifests) == 1 and export_verify(manifests[0]).ok
    (data,) = tmp_path.glob("hotline-a-*.jsonl")
    assert chosen in data.read_text()
    assert len(data.read_text().splitlines()) == 1
    # Run again (as the next flag update would): nothing new, so nothing written.
    assert dag_test(airflow_home, "hotline_export", conf)["state"] == "success"
    assert list(tmp_path.glob("hotline-a-*.jsonl")) == [data]
