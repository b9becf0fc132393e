"""`torrentwatch serve`: the workbench under uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from common.errors import WorkbenchError
from warehouse.db import connect
from warehouse.lake import is_lake


def serve(
    db: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    exports_dir: str | Path | None = None,
    trusted_user_header: str | None = None,
    home: str | Path | None = None,
) -> None:
    """Serve the workbench for the warehouse ``db`` until interrupted. Exports are
    written to ``exports_dir`` (default: ``exports`` beside the warehouse, or in the
    ``home`` folder a lake's workbench is given: torrentwatch.workbench.home)."""
    import uvicorn

    from torrentwatch.workbench.app import create_app
    from torrentwatch.workbench.home import workbench_home
    from torrentwatch.workbench.web import Settings

    if is_lake(str(db)):
        connect(str(db), read_only=True).close()  # WarehouseMissing, with its advice
    elif not Path(db).exists():
        connect(db, read_only=True)  # WarehouseMissing, with its advice
    if not 0 < port < 65536:
        raise WorkbenchError(f"--port {port} is not a TCP port (1-65535)")
    place = workbench_home(db, home)
    header = (trusted_user_header or "").strip() or None
    settings = Settings(
        db=place.db,
        exports_dir=Path(exports_dir) if exports_dir else place.exports,
        trusted_user_header=header,
        home=Path(home) if home is not None else None,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
    )
