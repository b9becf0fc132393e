"""Lakes and copies of a warehouse for tests that compare two: the target of a lake whose
catalog is a DuckDB file, a new lake holding another warehouse's tables
(``warehouse.lake.copy_into_lake``), a twin of a file or a lake, and a warehouse as an
older release left it."""

from __future__ import annotations

import shutil
from pathlib import Path


def file_catalog_lake(folder: Path, name: str = "catalog") -> str:
    """The target of a lake whose catalog is the DuckDB file ``folder/<name>.ducklake``
    and whose data go to ``folder/<name>-data`` (one process at a time: quick tests)."""
    return f"ducklake:{folder / f'{name}.ducklake'};data_path={folder / f'{name}-data'}/"


def older_warehouse(path: Path, version: int) -> Path:
    """A warehouse at ``path`` holding the migrations up to ``version`` only, as an
    older release left it (the migrations of that release applied, nothing after)."""
    import duckdb

    from warehouse.db import applied_versions, migrations

    con = duckdb.connect(str(path))
    try:
        applied_versions(con)
        for migration in migrations()[:version]:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
    finally:
        con.close()
    return path


def copy_into_new_lake(source: Path | str, lake: str) -> str:
    """Make the lake ``lake`` and copy every table of ``source`` (a file or a lake) into
    it; ``lake``."""
    from warehouse.db import connect
    from warehouse.lake import copy_into_lake

    con = connect(lake, create=True)
    try:
        copy_into_lake(str(source), con)
    finally:
        con.close()
    return lake


def twin_warehouse(db: Path | str, folder: Path) -> Path | str:
    """A copy of the warehouse ``db`` in ``folder``: a file copied, or a new lake (catalog
    in a DuckDB file) holding the same tables."""
    from warehouse.lake import is_lake

    folder.mkdir(parents=True, exist_ok=True)
    if not is_lake(str(db)):
        twin = folder / Path(db).name
        shutil.copy(db, twin)
        return twin
    return copy_into_new_lake(db, file_catalog_lake(folder))
