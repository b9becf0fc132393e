"""hashlist_sync: refresh the configured known-hash lists (files or http(s) URLs) daily.

Each list whose content changed is imported as its next version (older versions are
kept), exactly as `torrentwatch hashlist import FILE-OR-URL --name NAME --if-changed`
does, one mapped task per list in the
one-slot DuckDB pool. The imports update the warehouse Asset, so torrent_flag re-runs
the `known_list` rules against the new lists.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, CronTriggerTimetable, Param, dag, task

from torrentwatch.airflow_config import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    WAREHOUSE_ASSET,
    airflow_variable,
    hash_list_specs,
    warehouse_path,
)

WAREHOUSE = Asset(WAREHOUSE_ASSET)


@dag(
    dag_id="hashlist_sync",
    schedule=CronTriggerTimetable("0 5 * * *", timezone="UTC"),
    **DAG_SETTINGS,
    doc_md=__doc__,
    params={
        "db": Param("", type="string", description="DuckDB file; empty: Variable torrentwatch_db"),
        "hash_lists": Param(
            {},
            type="object",
            description='{"NAME": "FILE-OR-URL"} or {"NAME": {"path", "source", "format"}}; '
            "empty: Variable torrentwatch_hash_lists (JSON)",
        ),
    },
)
def hashlist_sync():
    @task(task_id="lists")
    def lists(params=None) -> list[dict]:
        from dataclasses import asdict

        return [asdict(spec) for spec in hash_list_specs(params, airflow_variable)]

    @task(
        task_id="import_list",
        pool=DUCKDB_POOL,
        outlets=[WAREHOUSE],
        execution_timeout=timedelta(minutes=30),
    )
    def import_list(spec: dict, params=None) -> dict:
        from torrentwatch.hashlists import hashlist_import

        summary = hashlist_import(
            spec["path"],
            warehouse_path(params, airflow_variable),
            name=spec["name"],
            source=spec["source"],
            fmt=spec["format"],
            if_changed=True,
        )
        return summary.as_dict()

    import_list.expand(spec=lists())


hashlist_sync()
