"""DuckDB extensions loaded from their installed PyPI wheels, never from the network.

Each extension DuckDB ships is also on PyPI as ``duckdb-extension-NAME``, a wheel that
holds the ``.duckdb_extension`` file built for one DuckDB version. Loading that file by
path, with DuckDB's own autoinstall and autoload switched off, means no code path can
reach for the extension repository: the warehouse works the same on an air-gapped
hotline network as here, and a missing wheel is a clear error instead of a download.
"""

from __future__ import annotations

from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import duckdb

from common.errors import ExtensionMissing

# Every connection the warehouse opens carries these: nothing is fetched or loaded behind
# the code's back.
OFFLINE_SETTINGS: dict[str, object] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


# Every warehouse session, file or lake: no progress bar. DuckDB prints it to standard
# output once a statement runs two seconds, so it landed in `sql --format csv` output and
# among a command's own lines (a migration of 10,000,000 torrents printed 2 MB of it).
# A session setting: set by ``quiet`` on each new connection, before any lock.
def quiet(con) -> None:
    """Switch DuckDB's progress bar off for the session ``con``."""
    con.execute("SET enable_progress_bar = false")


def extension_file(name: str) -> Path:
    """The ``.duckdb_extension`` file of ``name`` inside its installed wheel."""
    package = f"duckdb_extension_{name}"
    wheel = f"duckdb-extension-{name.replace('_', '-')}=={duckdb.__version__}"
    if find_spec(package) is None:
        raise ExtensionMissing(
            f"the DuckDB extension {name!r} is not installed: it ships as the Python "
            f"package {wheel} (pip install {wheel}; a wheel file copied in works offline)"
        )
    path = resources.files(package) / "extensions" / f"v{duckdb.__version__}"
    path = Path(str(path)) / f"{name}.duckdb_extension"
    if not path.is_file():
        raise ExtensionMissing(
            f"the installed package {package} has no {path.name} for DuckDB "
            f"{duckdb.__version__} (looked for {path}); install {wheel}"
        )
    return path


def load_extensions(con, names: tuple[str, ...]) -> None:
    """LOAD each extension into ``con`` from its wheel's file."""
    for name in names:
        con.execute(f"LOAD '{_quoted(str(extension_file(name)))}'")


def _quoted(text: str) -> str:
    return text.replace("'", "''")
