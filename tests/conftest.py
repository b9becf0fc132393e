"""Shared fixtures: temporary warehouses and folders of benign synthetic torrents."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def torrent_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_torrents(folder, list(synthetic_specs(40, files_per_torrent=5)))
    return folder
