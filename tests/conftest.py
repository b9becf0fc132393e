"""Shared fixtures: temporary warehouses and folders of benign synthetic torrents; and the
guard that keeps the quick loop (``pytest -m "not slow"``) free of the Debian tools.

The other shared test helpers are modules beside this one, imported by name:
``cli_runner`` (the one way to run the command line), ``rule_packs`` (the one-rule pack
template, ``compile_rule``), ``torrent_fixtures`` (torrents by hand, by libtorrent and by
``mktorrent`` / ``transmission-create``), ``swarm`` (peers on loopback, ``free_port``),
``gathering``, ``warehouse_rows``, ``warehouse_copies``, ``browser`` (chromium through
Selenium) and ``load_faults``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from warehouse_copies import twin_warehouse

from torrentwatch.demo import demo
from torrentwatch.synth import SynthTorrent, encode, synthetic_specs


def write_torrents(folder: Path, specs: list[SynthTorrent]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, spec in enumerate(specs):
        path = folder / f"{i:05d}.torrent"
        path.write_bytes(encode(spec))
        paths.append(path)
    return paths


@pytest.fixture
def torrent_writer():
    """``write(folder, specs)``: write benign synthetic torrents into ``folder``."""
    return write_torrents


def load_memory_warehouse(torrents: dict[str, SynthTorrent]):
    """An in-memory warehouse holding ``torrents``, and a map infohash -> their key."""
    from datetime import UTC, datetime

    from parsers.columnar import build_batch
    from parsers.records import Sighting
    from parsers.torrent import parse_torrent
    from warehouse.db import connect
    from warehouse.load import load_batch
    from warehouse.runs import start_run

    con = connect(":memory:")
    keys, metas = {}, []
    for key, spec in torrents.items():
        meta = parse_torrent(encode(spec))
        keys[meta.infohash] = key
        metas.append((meta, Sighting(source="test", source_ref=key, seen_at=datetime.now(UTC))))
    load_batch(con, build_batch(metas, []), start_run(con, "test"))
    return con, keys


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest) -> Iterator[tuple]:
    """``(con, keys)``: the requesting module's ``TORRENTS`` (key -> SynthTorrent) in an
    in-memory warehouse, built once per module; ``keys`` maps infohash -> key. A module
    that needs another warehouse defines its own ``warehouse`` fixture."""
    con, keys = load_memory_warehouse(request.module.TORRENTS)
    yield con, keys
    con.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def torrent_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_torrents(folder, list(synthetic_specs(40, files_per_torrent=5)))
    return folder


@pytest.fixture(scope="session")
def loopback_only() -> None:
    """Fail (not skip) a test that would start a daemon or DHT node outside a namespace
    holding only loopback: their defaults reach for the internet."""
    interfaces = sorted(name for _, name in socket.if_nameindex())
    if interfaces != ["lo"]:
        pytest.fail(
            f"this test starts real peers and must run with only loopback (found {interfaces}); "
            "run it through scripts/isolated.sh, as scripts/test.sh does"
        )


@pytest.fixture(scope="session")
def postgres(loopback_only) -> Iterator[object]:
    """One real PostgreSQL 15 for the session's lake tests (testkit.pg_server), on
    127.0.0.1 in the loopback-only namespace; each test makes its own databases
    (``postgres.new_lake(name, folder)``)."""
    from testkit.pg_server import running_postgres

    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def flagged_demo_template(tmp_path_factory) -> Path:
    """The demo data ingested and flagged once per session (never written to)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo(path, workers=1)
    return path


@pytest.fixture(params=["file", "lake"])
def flagged_demo(flagged_demo_template: Path, tmp_path: Path, request) -> Path | str:
    """A private copy of the flagged demo warehouse, for a test that writes to it: a
    DuckDB file, and (the same tests again) a lake whose catalog is a DuckDB file, so
    every review, export and query test also holds on the lake backend."""
    path = tmp_path / "flagged-demo.duckdb"
    shutil.copy(flagged_demo_template, path)
    if request.param == "file":
        return path
    lake = twin_warehouse(path, tmp_path / "demo-lake")
    path.unlink()
    return lake


# --- the quick loop runs without the Debian tools ---------------------------------------

# Tools that some tests start. CI installs them (scripts/test.sh) and runs every test; a
# developer running `pytest -m "not slow"` may have none of them, so only a test marked
# slow may run one.
EXTERNAL_TOOLS = (
    "mktorrent",
    "transmission-create",
    "transmission-daemon",
    "transmission-remote",
    "transmission-show",
    "opentracker",
)
TOOL_LOG = "TORRENTWATCH_TEST_TOOL_LOG"
_STUBS = pytest.StashKey[Path]()
_SAVED = pytest.StashKey[dict[str, str | None]]()


def _stub_folder(config: pytest.Config) -> Path:
    """A folder of stand-ins for the tools, first on PATH during every test not marked
    slow: each notes its name in the log and exits 127 ("command not found"), as on a
    machine without the tool, so such a test fails here and not only on that machine."""
    if _STUBS not in config.stash:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="torrentwatch-tool-stubs-"))
        for tool in EXTERNAL_TOOLS:
            stub = folder / tool
            stub.write_text(
                "#!/bin/sh\n"
                f'echo {tool} >> "${{{TOOL_LOG}:-/dev/null}}"\n'
                f'echo "{tool}: not run in a test not marked slow" >&2\n'
                "exit 127\n",
                encoding="utf-8",
            )
            stub.chmod(0o755)
        config.stash[_STUBS] = folder
    return config.stash[_STUBS]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a test not marked slow: the stand-ins go first on PATH."""
    if item.get_closest_marker("slow") is not None:
        return
    stubs = _stub_folder(item.config)
    log = stubs / "calls.log"
    log.unlink(missing_ok=True)
    item.stash[_SAVED] = {name: os.environ.get(name) for name in ("PATH", TOOL_LOG)}
    os.environ["PATH"] = f"{stubs}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ[TOOL_LOG] = str(log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After the test's fixtures are torn down: PATH back, and fail a test not marked slow
    that tried to run one of the tools."""
    try:
        return (yield)
    finally:
        saved = item.stash.get(_SAVED, None)
        if saved is not None:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            log = _stub_folder(item.config) / "calls.log"
            if log.exists():
                tools = sorted(set(log.read_text(encoding="utf-8").split()))
                log.unlink()
                pytest.fail(
                    f"{item.nodeid} runs {', '.join(tools)} but is not marked slow: the quick "
                    'loop (pytest -m "not slow") must pass on a machine without the Debian '
                    "tools; mark it @pytest.mark.slow",
                    pytrace=False,
                )


# --- the rule set cache is the session's own ---------------------------------------------

_CACHE = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Loaded rule sets are kept in a folder of this session (rules.pack_cache), not the
    user's: the suite runs with the cache on, as the product does, and leaves nothing."""
    from rules.pack_cache import ENV

    if ENV not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="torrentwatch-test-cache-"))
        config.stash[_CACHE] = folder
        os.environ[ENV] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STUBS in config.stash:
        shutil.rmtree(config.stash[_STUBS], ignore_errors=True)
    if _CACHE in config.stash:
        shutil.rmtree(config.stash[_CACHE], ignore_errors=True)
