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

from torrentwatch.dag_support import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    FIRST_RUN_WAITS,
    WAREHOUSE_ASSET,
    airflow_variable,
    hash_list_specs,
    log_summary,
    optional_path,
    retry_only_transient,
    warehouse_path,
)

WAREHOUSE = Asset(WAREHOUSE_ASSET)


@dag(
    dag_id="hashlist_sync",
    schedule=CronTriggerTimetable("0 5 * * *", timezone="UTC", run_immediately=FIRST_RUN_WAITS),
    **DAG_SETTINGS,
    description="Re-import each configured known-hash list that changed (daily 05:00 UTC); "
    "an import starts torrent_flag",
    doc_md=__doc__,
    params={
        "db": Param(**optional_path("DuckDB file", "torrentwatch_db")),
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

        with retry_only_transient():
            specs = hash_list_specs(params, airflow_variable)
        log_summary(f"{len(specs)} list(s) to import: {', '.join(s.name for s in specs)}")
        return [asdict(spec) for spec in specs]

    @task(
        task_id="import_list",
        pool=DUCKDB_POOL,
        outlets=[WAREHOUSE],
        execution_timeout=timedelta(minutes=30),
        map_index_template="{{ task.op_kwargs['spec']['name'] }}",
    )
    def import_list(spec: dict, params=None) -> dict:
        from torrentwatch.hashlist import hashlist_import
        from torrentwatch.summaries import hashlist_text

        with retry_only_transient():
            summary = hashlist_import(
                spec["path"],
                warehouse_path(params, airflow_variable),
                name=spec["name"],
                source=spec["source"],
                fmt=spec["format"],
                if_changed=True,
            ).summary
        log_summary(hashlist_text(summary))
        return summary.as_dict()

    import_list.expand(spec=lists())


hashlist_sync()
