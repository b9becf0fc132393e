"""torrent_ingest: gather every configured source into the landing zone, then load it.

What `torrentwatch monitor --once` does, split into tasks: one mapped task per source in
sources.yaml, so sources gather side by side (on as many workers as the executor has)
and one failing source does not stop the others; then the load moves the landing zone
into the warehouse and updates the warehouse Asset that schedules torrent_flag. On a
DuckDB file one load task does it, in the one-slot DuckDB pool (the file has one
writer); on a lake warehouse (docs/lake.md) the load fans out to ``loaders`` mapped
tasks, each loading its own part of the landing zone (`torrentwatch load --part K/N`),
all at once, and the one-slot task skips itself.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, task

from torrentwatch.dag_support import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    FIRST_RUN_WAITS,
    WAREHOUSE_ASSET,
    airflow_variable,
    load_parts,
    log_summary,
    optional_path,
    required_path,
    retry_only_transient,
    warehouse_path,
)

WAREHOUSE = Asset(WAREHOUSE_ASSET)


@dag(
    dag_id="torrent_ingest",
    schedule=CronTriggerTimetable("*/15 * * * *", timezone="UTC", run_immediately=FIRST_RUN_WAITS),
    **DAG_SETTINGS,
    description="Gather every configured source into the landing zone, then load the "
    "warehouse (every 15 min); the load starts torrent_flag",
    doc_md=__doc__,
    params={
        "sources": Param(**optional_path("sources.yaml", "torrentwatch_sources")),
        "db": Param(**optional_path("DuckDB file or ducklake: target", "torrentwatch_db")),
        "loaders": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            maximum=64,
            description="Loaders at once on a lake warehouse (empty: Variable "
            "torrentwatch_loaders, else 2); a DuckDB file always has one",
        ),
    },
)
def torrent_ingest():
    @task(task_id="sources")
    def sources(params=None) -> list[str]:
        from torrentwatch.monitor import source_names

        with retry_only_transient():
            names = source_names(required_path(params, "sources", airflow_variable))
        log_summary(f"{len(names)} source(s) to gather: {', '.join(names)}")
        return names

    # A failed or timed-out source fails its own task (so Airflow retries it); what it
    # landed before failing stays in the landing zone for the load.
    # The map index shows the source's name in the UI instead of 0, 1, ...
    @task(
        task_id="gather",
        execution_timeout=timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['source'] }}",
    )
    def gather(source: str, params=None) -> dict:
        from common.errors import SourceFailed, SourceTimedOut
        from torrentwatch.monitor import gather_source
        from torrentwatch.summaries import gather_text

        with retry_only_transient():
            config = required_path(params, "sources", airflow_variable)
            db = warehouse_path(params, airflow_variable)
            summary = gather_source(config, source, db=db)
        log_summary(gather_text(summary))
        if summary.status != "ok":
            failure = SourceTimedOut if summary.status == "timeout" else SourceFailed
            raise failure(f"source {source!r} ({summary.kind}): {summary.error}")
        return summary.as_dict()

    # all_done: what the healthy sources landed is loaded even when one source failed.
    @task(
        task_id="load",
        pool=DUCKDB_POOL,
        outlets=[WAREHOUSE],
        trigger_rule="all_done",
        execution_timeout=timedelta(hours=2),
    )
    def load(params=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from torrentwatch.monitor import load_landing
        from torrentwatch.summaries import load_text

        with retry_only_transient():
            config = required_path(params, "sources", airflow_variable)
            db = warehouse_path(params, airflow_variable)
            if load_parts(params, airflow_variable):
                raise AirflowSkipException("a lake warehouse: the load_part tasks load it")
            summary = load_landing(config, db)
        log_summary(load_text(summary))
        return summary.as_dict()

    @task(task_id="plan_load", trigger_rule="all_done")
    def plan_load(params=None) -> list[str]:
        with retry_only_transient():
            parts = load_parts(params, airflow_variable)
        log_summary(f"{len(parts)} loader(s) at once" if parts else "one loader (DuckDB file)")
        return parts

    # One mapped task per part on a lake (none on a DuckDB file: a zero-length map is
    # skipped), outside the one-slot pool: the lake takes many writers at once.
    @task(
        task_id="load_part",
        outlets=[WAREHOUSE],
        execution_timeout=timedelta(hours=2),
        map_index_template="{{ task.op_kwargs['part'] }}",
    )
    def load_part(part: str, params=None) -> dict:
        from torrentwatch.monitor import load_landing
        from torrentwatch.summaries import load_text

        with retry_only_transient():
            config = required_path(params, "sources", airflow_variable)
            summary = load_landing(config, warehouse_path(params, airflow_variable), part=part)
        log_summary(f"part {part}: {load_text(summary)}")
        return summary.as_dict()

    gathered = gather.expand(source=sources())
    parts = plan_load()
    gathered >> [load(), parts]
    load_part.expand(part=parts)


torrent_ingest()
