"""Where the workbench keeps its own files: the SQLite store (accounts, sessions, audit,
decisions on their way into the warehouse), the snapshots pages read, uploaded hash
lists, the operator rule packs of the packs page and, by default, exports.

For a DuckDB file all of it sits beside the warehouse, as it always has: review and
export runs of any process find the workbench's pending decisions there
(``warehouse.pending_reviews``), so the place cannot move and ``--home`` is refused.
A lake warehouse has no file to sit beside and may be read from many machines, so its
workbench is told where its home is (``--home DIR`` or ``TORRENTWATCH_WORKBENCH_HOME``):
a default such as the working folder would silently give ``users add`` run from one
folder and ``serve`` run from another two sets of accounts. The home records which lake
it belongs to, and refuses another: one lake's snapshots must never show for another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.errors import WorkbenchError
from warehouse.lake import is_lake, parse_target
from warehouse.pending_reviews import sidecar_path

# The file in a lake workbench's home naming the lake it serves (password masked).
MARKER = "warehouse.txt"
HOME_ENV = "TORRENTWATCH_WORKBENCH_HOME"


@dataclass(frozen=True, slots=True)
class Home:
    """The workbench's own places for the warehouse ``db``."""

    db: str | Path  # a resolved file path, or the lake target as given
    store: Path
    snapshots: Path
    uploads: Path
    exports: Path  # the default export folder
    packs: Path  # operator rule packs managed from the packs page (workbench.packs)
    lake: bool


def workbench_home(db: str | Path, home: str | Path | None = None) -> Home:
    """The home of the workbench for ``db``; ``home`` is the ``--home`` folder (lakes)."""
    target = str(db)
    if not is_lake(target):
        if home is not None:
            raise WorkbenchError(
                f"--home is for a lake warehouse; the workbench of the file {target} keeps "
                f"its store beside it ({target}.workbench.sqlite), where review and export "
                "runs find its pending decisions: leave --home out"
            )
        path = Path(target).resolve()
        store = sidecar_path(path)
        if store is None:
            raise WorkbenchError("the workbench needs a warehouse file, not :memory:")
        return Home(
            db=path,
            store=store,
            snapshots=Path(f"{path}.workbench-snapshots"),
            uploads=Path(f"{path}.workbench-uploads"),
            exports=path.parent / "exports",
            packs=Path(f"{path}.workbench-packs"),
            lake=False,
        )
    shown = parse_target(target).shown
    if home is None or not str(home).strip():
        raise WorkbenchError(
            f"the workbench of the lake warehouse {shown} needs a home folder for its "
            f"accounts, audit trail and snapshots: give --home DIR (or {HOME_ENV}), the "
            "same one to `torrentwatch serve` and `torrentwatch users`"
        )
    folder = Path(home).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / MARKER
        if marker.exists():
            owner = marker.read_text("utf-8").strip()
            if owner != shown:
                raise WorkbenchError(
                    f"--home {folder} is the workbench home of {owner}, not of {shown}: "
                    "give each lake its own home"
                )
        else:
            marker.write_text(shown + "\n", "utf-8")
    except OSError as exc:
        raise WorkbenchError(f"--home {folder}: not usable as the workbench home: {exc}") from exc
    return Home(
        db=target,
        store=folder / "workbench.sqlite",
        snapshots=folder / "snapshots",
        uploads=folder / "uploads",
        exports=folder / "exports",
        packs=folder / "packs",
        lake=True,
    )
