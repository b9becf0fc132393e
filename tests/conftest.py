"""Shared fixtures: temporary warehouses and folders of benign synthetic torrents."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def memory_warehouse_of():
    """``load(torrents) -> (con, keys)``: for module-scoped warehouses of tiny torrents."""
    return load_memory_warehouse


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
def flagged_demo_template(tmp_path_factory) -> Path:
    """The demo data ingested and flagged once per session (never written to)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo(path, workers=1)
    return path


@pytest.fixture
def flagged_demo(flagged_demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the flagged demo warehouse, for a test that writes to it."""
    path = tmp_path / "flagged-demo.duckdb"
    shutil.copy(flagged_demo_template, path)
    return path
