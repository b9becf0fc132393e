"""hotline_export: daily, and whenever the flags change, export to each hotline target.

Runs `torrentwatch export --target T --format F --out DIR` for every configured target
(one mapped task each, in the one-slot DuckDB pool, since an export records what each
target received). Only analyst-confirmed items are exported, each target receives an
item once, and nothing new writes nothing; so running on every flag update as well as
daily costs little and never sends an item twice.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task

from torrentwatch.dag_support import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    FIRST_RUN_WAITS,
    FLAGS_ASSET,
    airflow_variable,
    export_targets,
    log_summary,
    optional_path,
    required_path,
    retry_only_transient,
    warehouse_path,
)

FLAGS = Asset(FLAGS_ASSET)


@dag(
    dag_id="hotline_export",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(
            "0 6 * * *", timezone="UTC", run_immediately=FIRST_RUN_WAITS
        ),
        assets=[FLAGS],
    ),
    **DAG_SETTINGS,
    description="Export analyst-confirmed items to each hotline target: daily 06:00 UTC "
    "and after every flag update; an item goes to a target once",
    doc_md=__doc__,
    params={
        "db": Param(**optional_path("DuckDB file", "torrentwatch_db")),
        "export_dir": Param(**optional_path("export folder", "torrentwatch_export_dir")),
        "export_targets": Param(
            {},
            type="object",
            description='{"TARGET": "csv"} or {"TARGET": {"format", "include_escalated"}}; '
            "empty: Variable torrentwatch_export_targets (JSON)",
        ),
    },
)
def hotline_export():
    @task(task_id="targets")
    def targets(params=None) -> list[dict]:
        from dataclasses import asdict

        with retry_only_transient():
            chosen = export_targets(params, airflow_variable)
        log_summary(f"{len(chosen)} target(s) to export to: {', '.join(t.target for t in chosen)}")
        return [asdict(target) for target in chosen]

    @task(
        task_id="export",
        pool=DUCKDB_POOL,
        execution_timeout=timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['target']['target'] }}",
    )
    def export(target: dict, params=None) -> dict:
        from torrentwatch.export import export as export_stage
        from torrentwatch.summaries import export_text

        with retry_only_transient():
            result = export_stage(
                warehouse_path(params, airflow_variable),
                target=target["target"],
                fmt=target["format"],
                out_dir=required_path(params, "export_dir", airflow_variable),
                escalated=target["include_escalated"],
            )
        log_summary(export_text(result))
        return {
            "target": result.target,
            "format": result.format,
            "batch_id": result.batch_id,
            "items": result.items,
            "file": str(result.file) if result.file else None,
            "manifest": str(result.manifest) if result.manifest else None,
        }

    export.expand(target=targets())


hotline_export()
