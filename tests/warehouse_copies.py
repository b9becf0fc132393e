"""Copies of a warehouse for tests that compare two: a DuckDB file copied, or a lake
(catalog in a DuckDB file) made anew with the same tables (``warehouse.lake.copy_into_lake``)."""

from __future__ import annotations

import shutil
from pathlib import Path


def twin_warehouse(db: Path | str, folder: Path) -> Path | str:
    """A copy of the warehouse ``db`` in ``folder``: a file copied, or a new lake (catalog
    in a DuckDB file) holding the same tables."""
    from warehouse.db import connect
    from warehouse.lake import copy_into_lake, is_lake

    folder.mkdir(parents=True, exist_ok=True)
    if not is_lake(str(db)):
        twin = folder / Path(db).name
        shutil.copy(db, twin)
        return twin
    lake = f"ducklake:{folder / 'catalog.ducklake'};data_path={folder / 'data'}/"
    con = connect(lake, create=True)
    try:
        copy_into_lake(str(db), con)
    finally:
        con.close()
    return lake
