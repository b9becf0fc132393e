"""N loaders at once: the landing zone split into disjoint parts (``load --part K/N``),
nothing loaded twice, nothing lost when a loader is killed mid-batch.

Parts are checked on a DuckDB file here (loaders take turns there) and, with two
loaders running at once and one killed with SIGKILL, on a lake with a real PostgreSQL
catalog (slow).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common.errors import ConfigError
from monitors.landing import LandingZone
from torrentwatch.monitor import LoadPart, gather_source, load_landing
from torrentwatch.synth import encode, synthetic_specs
from warehouse.db import connect

COUNTS = (
    "SELECT (SELECT count(*) FROM torrents), (SELECT count(DISTINCT infohash) FROM torrents),"
    " (SELECT count(*) FROM files), (SELECT count(*) FROM observations),"
    " (SELECT count(*) FROM landed_items), (SELECT count(DISTINCT landing_key) FROM landed_items)"
)


def _landed(tmp_path: Path, count: int) -> Path:
    """``count`` synthetic torrents gathered by a folder source into a landing zone."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, spec in enumerate(synthetic_specs(count, files_per_torrent=3)):
        (inbox / f"{i:05d}.torrent").write_bytes(encode(spec))
    config = tmp_path / "sources.yaml"
    config.write_text(
        "landing: landing\nsources:\n  - {name: inbox, kind: folder, settings: {path: inbox}}\n",
        encoding="utf-8",
    )
    assert gather_source(config, "inbox").new == count
    return config


def _counts(db: str | Path) -> tuple:
    con = connect(db, read_only=True)
    try:
        return con.execute(COUNTS).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("text", "part"), [("1/1", LoadPart(0, 1)), ("1/2", LoadPart(0, 2)), ("3/3", LoadPart(2, 3))]
)
def test_a_part_is_k_of_n_counted_from_one(text: str, part: LoadPart) -> None:
    assert LoadPart.parse(text) == part
    assert str(part) == text


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", "1/2000", ""])
def test_a_bad_part_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError, match="write K/N with 1 <= K <= N") as caught:
        LoadPart.parse(text)
    assert caught.value.code == "load.part_invalid"


def test_parts_are_disjoint_and_together_whole(tmp_path: Path) -> None:
    config = _landed(tmp_path, 200)
    keys = LandingZone.local(tmp_path / "landing").unloaded()
    assert len(keys) == 200
    for count in (2, 3, 7):
        taken = [[key for key in keys if LoadPart(i, count).takes(key)] for i in range(count)]
        assert sorted(key for part in taken for key in part) == sorted(keys)
        assert all(part for part in taken)  # 200 random keys: no part is empty
    assert config.exists()


def test_loading_part_by_part_equals_one_whole_load(tmp_path: Path) -> None:
    config = _landed(tmp_path, 60)
    parted, whole = tmp_path / "parted.duckdb", tmp_path / "whole.duckdb"
    first = load_landing(config, parted, part="1/2")
    assert 0 < first.loaded < 60
    second = load_landing(config, parted, part=LoadPart(1, 2))
    assert first.loaded + second.loaded == 60
    assert load_landing(config, parted, part="2/2").loaded == 0  # nothing twice
    # the journals say everything is loaded; a whole load into another warehouse
    # sees none of it pending, so compare with a fresh landing zone of the same inputs
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config_fresh = _landed(fresh, 60)
    load_landing(config_fresh, whole)
    assert _counts(parted) == _counts(whole) == (60, 60, 180, 60, 60, 60)


# --- two loaders at once on a lake, one killed mid-batch ----------------------------------


def _loader(config: Path, lake: str, part: str, batch: int = 5000) -> subprocess.Popen:
    command = ["load", "--config", str(config), "--db", lake, "--part", part]
    return subprocess.Popen(
        [sys.executable, "-m", "torrentwatch", *command, "--batch", str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_loaders_of_a_lake_at_once_load_everything_once(postgres, tmp_path: Path) -> None:
    config = _landed(tmp_path, 400)
    lake = postgres.new_lake("parts_at_once", tmp_path)
    connect(lake, create=True).close()
    loaders = [_loader(config, lake, part) for part in ("1/2", "2/2")]
    for loader in loaders:
        _, err = loader.communicate(timeout=600)
        assert loader.returncode == 0, err
    assert _counts(lake) == (400, 400, 1200, 400, 400, 400)


@pytest.mark.slow
def test_a_loader_killed_mid_batch_loses_nothing_and_doubles_nothing(
    postgres, tmp_path: Path
) -> None:
    """Loader 1/2 is killed with SIGKILL while loader 2/2 runs; its part is loaded by
    the next run of 1/2: every torrent and sighting exactly once."""
    config = _landed(tmp_path, 6000)
    lake = postgres.new_lake("parts_killed", tmp_path)
    connect(lake, create=True).close()
    victim = _loader(config, lake, "1/2", batch=200)
    other = _loader(config, lake, "2/2", batch=200)
    deadline = time.monotonic() + 300
    while True:  # kill once the victim's first batch is in (its second is under way)
        con = connect(lake, read_only=True)
        try:
            loaded = con.execute(
                "SELECT count(*) FROM landed_items l JOIN runs r USING (run_id) WHERE r.pid = $pid",
                {"pid": victim.pid},
            ).fetchone()[0]
        finally:
            con.close()
        if loaded or victim.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert victim.poll() is None and loaded, "the victim should be mid-load when killed"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    _, err = other.communicate(timeout=600)
    assert other.returncode == 0, err
    partial = _counts(lake)
    assert 0 < partial[0] < 6000
    again = _loader(config, lake, "1/2")
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert _counts(lake) == (6000, 6000, 18000, 6000, 6000, 6000)
    con = connect(lake, read_only=True)
    try:
        statuses = dict(
            con.execute(
                "SELECT status, count(*) FROM runs WHERE command = 'monitor' GROUP BY ALL"
            ).fetchall()
        )
    finally:
        con.close()
    assert statuses == {"completed": 2, "abandoned": 1}
