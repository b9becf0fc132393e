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

from torrentwatch.airflow_config import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    FLAGS_ASSET,
    airflow_variable,
    export_targets,
    required_path,
    warehouse_path,
)

FLAGS = Asset(FLAGS_ASSET)


@dag(
    dag_id="hotline_export",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"), assets=[FLAGS]
    ),
    **DAG_SETTINGS,
    doc_md=__doc__,
    params={
        "db": Param("", type="string", description="DuckDB file; empty: Variable torrentwatch_db"),
        "export_dir": Param(
            "", type="string", description="export folder; empty: Variable torrentwatch_export_dir"
        ),
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

        return [asdict(target) for target in export_targets(params, airflow_variable)]

    @task(task_id="export", pool=DUCKDB_POOL, execution_timeout=timedelta(minutes=30))
    def export(target: dict, params=None) -> dict:
        from torrentwatch.export import export as export_stage

        result = export_stage(
            warehouse_path(params, airflow_variable),
            target=target["target"],
            fmt=target["format"],
            out_dir=required_path(params, "export_dir", airflow_variable),
            escalated=target["include_escalated"],
        )
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
