"""torrent_flag: evaluate the rule packs whenever the warehouse changes.

Scheduled on the warehouse Asset (torrent_ingest's load, hashlist_sync's imports); runs
the same `flag` stage as `torrentwatch flag` in the one-slot DuckDB pool and updates the
flags Asset that schedules hotline_export.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, Param, dag, task

from torrentwatch.dag_support import (
    DAG_SETTINGS,
    DUCKDB_POOL,
    FLAGS_ASSET,
    WAREHOUSE_ASSET,
    airflow_variable,
    log_summary,
    optional_path,
    path_list,
    retry_only_transient,
    warehouse_path,
)

WAREHOUSE = Asset(WAREHOUSE_ASSET)
FLAGS = Asset(FLAGS_ASSET)


@dag(
    dag_id="torrent_flag",
    schedule=[WAREHOUSE],
    **DAG_SETTINGS,
    description="Evaluate the rule packs whenever the warehouse changes (after each load "
    "or hash-list import); updates the flags that start hotline_export",
    doc_md=__doc__,
    params={
        "db": Param(**optional_path("DuckDB file", "torrentwatch_db")),
        "packs": Param(
            [],
            type="array",
            description="rule pack files/folders after the shipped packs; "
            "empty: Variable torrentwatch_packs (a JSON list)",
        ),
    },
)
def torrent_flag():
    @task(
        task_id="flag",
        pool=DUCKDB_POOL,
        outlets=[FLAGS],
        execution_timeout=timedelta(hours=1),
    )
    def flag(params=None) -> dict:
        from torrentwatch.flag import flag
        from torrentwatch.summaries import flag_text

        with retry_only_transient():
            db = warehouse_path(params, airflow_variable)
            summary = flag(db, path_list(params, "packs", airflow_variable))
        log_summary(flag_text(summary))
        return summary.as_dict()

    flag()


torrent_flag()
