"""`monitor` end to end: sources isolated from each other, loads that fail and retry,
the folder kind reading only what changed, and what sources say kept in observations.

The misbehaving sources are a real kind module: this test module itself, registered
under the kind ``testkind`` (its ``gather`` does what the source's ``mode`` says).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import libtorrent as lt
import pytest
from cli_runner import run_cli
from warehouse_rows import query_rows

from common.errors import SourceFailed, WarehouseLocked
from common.settings import Setting, SettingsSpec
from monitors import kinds
from monitors.base import GatherContext, Gathered, rejected
from monitors.landing import LandingZone
from tests.load_faults import fail_block_load
from torrentwatch.monitor import gather_source, load_landing, monitor, source_names
from torrentwatch.monitor_load import load_landing as load_landing_zone
from torrentwatch.synth import SynthTorrent, encode, synthetic_specs

KART = SynthTorrent(
    "Kart.Racer.Deluxe.PS2.PAL-SYNTH", (("kart/kart.iso", 4_000_000), ("kart/readme.txt", 900))
)
UNKNOWN_V1 = "0123456789abcdef0123456789abcdef01234567"


# --- the test kind ---------------------------------------------------------------


MODES = ("raise", "bug", "hang", "exit", "sightings", "paced")
SETTINGS = SettingsSpec(
    "testkind",
    (
        Setting(
            "mode",
            lambda mode: None if mode in MODES else f"unknown mode {mode!r}",
            required="unknown mode None",
            doc="what gather does",
        ),
    ),
)


def gather(ctx: GatherContext) -> None:
    mode = ctx.settings["mode"]
    now = datetime.now(UTC)
    if mode == "raise":
        ctx.emit(Gathered("magnet", ctx.name, "before-failing", _magnet(KART), now))
        raise SourceFailed(f"{ctx.name}: the feed answered 503 three times")
    if mode == "bug":
        raise ZeroDivisionError("a bug in the source")
    if mode == "exit":
        os._exit(7)  # a crash that takes the process down, like a native library fault
    if mode == "hang":
        time.sleep(3600)  # ignores ctx.deadline
    if mode == "paced":
        stamps = []
        for _ in range(6):
            ctx.pace()
            stamps.append(time.monotonic())
        ctx.state.set("spread", stamps[-1] - stamps[0])
    if mode == "sightings":
        _emit_sightings(ctx, now)


def _emit_sightings(ctx: GatherContext, now: datetime) -> None:
    ctx.emit(
        Gathered(
            "torrent", ctx.name, "https://127.0.0.1/feed#kart", encode(KART), now,
            title="Kart Racer Deluxe [PS2]", category="Games/Console", seeders=12, leechers=3,
        )
    )  # fmt: skip
    ctx.emit(
        Gathered(
            "observation", ctx.name, "udp://127.0.0.1:6969",
            json.dumps({"infohash": _v1(KART), "seeders": 40, "leechers": 2,
                        "completed": 9}).encode(), now,
        )
    )  # fmt: skip
    ctx.emit(
        Gathered(
            "observation", ctx.name, "https://127.0.0.1/feed#2",
            json.dumps({"infohash": UNKNOWN_V1.upper(), "title": "Pixel Dungeon v1.4",
                        "category": "Games/PC", "seeders": 5}).encode(), now,
        )
    )  # fmt: skip
    for bad in (b"{not json", b'{"infohash": "xyz"}', b'{"infohash": "' + b"a" * 40 + b'", '
                b'"seeders": -4}', b"\xff\xfe", b"[]"):  # fmt: skip
        ctx.emit(Gathered("observation", ctx.name, "https://127.0.0.1/bad", bad, now))


# --- helpers --------------------------------------------------------------------


def _v1(spec: SynthTorrent) -> str:
    return str(lt.torrent_info(encode(spec)).info_hashes().v1)


def _magnet(spec: SynthTorrent) -> bytes:
    return f"magnet:?xt=urn:btih:{_v1(spec)}&dn={spec.name}\n".encode()


@pytest.fixture
def testkind(monkeypatch):
    monkeypatch.setitem(kinds.KIND_MODULES, "testkind", __name__)


def _config(tmp_path: Path, sources: str, extra: str = "") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(f"landing: landing\n{extra}sources:\n{sources}", encoding="utf-8")
    return path


def _inbox(tmp_path: Path, count: int = 6) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, spec in enumerate(synthetic_specs(count, files_per_torrent=3)):
        (inbox / f"{i:03d}.torrent").write_bytes(encode(spec))
    (inbox / "links.magnet").write_bytes(_magnet(KART) + b"not a magnet\n")
    (inbox / "notes.txt").write_text("shopping list: bread, tea\n")
    return inbox


FOLDER = "  - {name: inbox, kind: folder, settings: {path: inbox}}\n"


# --- the folder kind ------------------------------------------------------------


def test_folder_source_reads_only_new_or_changed_files(tmp_path):
    inbox = _inbox(tmp_path, count=3)
    config = _config(tmp_path, FOLDER)
    assert source_names(config) == ["inbox"]
    first = gather_source(config, "inbox")
    assert (first.status, first.new, first.seen) == ("ok", 4, 0)  # 3 torrents + 1 magnet list
    again = gather_source(config, "inbox")
    assert (again.status, again.new, again.seen) == ("ok", 0, 0)  # nothing read at all
    touched = inbox / "000.torrent"
    os.utime(touched, ns=(time.time_ns(), time.time_ns() + 10**9))
    (inbox / "new.torrent").write_bytes(encode(KART))
    (inbox / "001.torrent").write_bytes(encode(next(synthetic_specs(1, seed=50))))
    (inbox / "002.torrent").unlink()
    third = gather_source(config, "inbox")
    # touched: read again, same bytes (seen before); new and rewritten: new
    assert (third.status, third.new, third.seen) == ("ok", 2, 1)
    state = json.loads((tmp_path / "landing" / "state" / "inbox.json").read_text())
    remembered = set(state["files"])
    assert str(inbox / "002.torrent") not in remembered  # gone files are forgotten
    assert str(inbox / "new.torrent") in remembered
    assert str(inbox / "notes.txt") in remembered  # not an input: not sniffed again


def test_folder_source_takes_odd_file_names_and_symlink_loops(tmp_path, db_path):
    inbox = tmp_path / "inbox"
    odd = os.fsencode(inbox) + b"/sub\xff"
    os.makedirs(odd)
    with open(odd + b"/caf\xe9.torrent", "wb") as handle:
        handle.write(encode(KART))
    os.symlink("..", inbox / "loop")  # a folder that contains itself
    config = _config(tmp_path, FOLDER)
    summary = monitor(config, db_path)
    # The torrent, and a reject for the symlinked folder (not followed, so no loop).
    assert (summary.gathers[0].status, summary.gathers[0].new) == ("ok", 2)
    refs = query_rows(db_path, "SELECT source_ref FROM observations")
    assert refs == [(f"{inbox}/sub\\xff/caf\\xe9.torrent",)]
    rejects = query_rows(db_path, "SELECT source_ref, reason FROM rejects")
    assert rejects == [(f"{inbox}/loop", "input.symlink_folder")]
    assert monitor(config, db_path).gathers[0].new == 0  # remembered despite its name


def test_folder_source_files_fifos_devices_and_unreadable_files_as_rejects(tmp_path, db_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "kart.torrent").write_bytes(encode(KART))
    os.mkfifo(inbox / "pipe.torrent")
    os.symlink("/dev/zero", inbox / "zero.magnet")
    os.symlink(tmp_path / "gone", inbox / "dangling.torrent")
    summary = monitor(_config(tmp_path, FOLDER), db_path)
    gathered = summary.gathers[0]
    # The dangling link cannot be read: the source fails (so the operator sees it now)
    # after landing everything else, and the reject is filed.
    assert (gathered.status, gathered.new) == ("failed", 4)
    assert "dangling.torrent" in gathered.error
    rejects = query_rows(db_path, "SELECT source_ref, reason FROM rejects ORDER BY source_ref")
    assert rejects == [
        (f"{inbox}/dangling.torrent", "input.unreadable"),
        (f"{inbox}/pipe.torrent", "input.not_regular_file"),
        (f"{inbox}/zero.magnet", "input.not_regular_file"),
    ]
    detail = query_rows(db_path, "SELECT detail FROM rejects WHERE reason = 'input.unreadable'")
    assert detail[0][0].count(str(inbox / "dangling.torrent")) == 1  # named once


def test_monitor_removes_what_a_killed_monitors_writes_left(tmp_path, db_path):
    """A write cut short (kill -9 mid-write) leaves a .tmp- object; the next monitor
    removes it once it is old enough not to be a write still going on."""
    _inbox(tmp_path, count=1)
    config = _config(tmp_path, FOLDER)
    items = tmp_path / "landing" / "items" / "inbox"
    items.mkdir(parents=True)
    stale, fresh = items / ".tmp-stale", items / ".tmp-fresh"
    stale.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    monitor(config, db_path)
    assert not stale.exists() and fresh.exists()


def test_folder_source_missing_folder_fails_clearly(tmp_path):
    config = _config(tmp_path, "  - {name: gone, kind: folder, settings: {path: nowhere}}\n")
    summary = gather_source(config, "gone")
    assert summary.status == "failed" and summary.error_code == "source.failed"
    assert "does not exist" in summary.error


def test_oversized_files_land_and_become_rejects(tmp_path, db_path, monkeypatch):
    import parsers.inputs

    monkeypatch.setattr(parsers.inputs, "MAX_INPUT_BYTES", 2000)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "big.torrent").write_bytes(b"d4:info" + b"x" * 50_000)
    (inbox / "small.torrent").write_bytes(
        encode(SynthTorrent("Holiday.Photos.2024", (("a.jpg", 9),)))
    )
    (inbox / "empty.torrent").write_bytes(b"")
    summary = monitor(_config(tmp_path, FOLDER), db_path)
    assert summary.gathers[0].new == 3
    reasons = dict(query_rows(db_path, "SELECT reason, count(*) FROM rejects GROUP BY ALL"))
    assert reasons == {"input.too_large": 1, "input.empty": 1}
    assert query_rows(db_path, "SELECT name FROM torrents") == [("Holiday.Photos.2024",)]


# --- isolation ------------------------------------------------------------------


def test_broken_sources_do_not_stop_the_others(tmp_path, db_path, testkind):
    _inbox(tmp_path)
    config = _config(
        tmp_path,
        FOLDER
        + "  - {name: flaky, kind: testkind, settings: {mode: raise}}\n"
        + "  - {name: buggy, kind: testkind, settings: {mode: bug}}\n"
        + "  - {name: crashy, kind: testkind, settings: {mode: exit}}\n",
        extra="parallel: 2\n",
    )
    summary = monitor(config, db_path)
    by_name = {g.source: g for g in summary.gathers}
    assert [g.source for g in summary.gathers] == ["inbox", "flaky", "buggy", "crashy"]
    assert (by_name["inbox"].status, by_name["inbox"].new) == ("ok", 7)
    flaky = by_name["flaky"]
    assert (flaky.status, flaky.error_code, flaky.new) == ("failed", "source.failed", 1)
    assert "503" in flaky.error
    assert (by_name["buggy"].error_code, by_name["buggy"].status) == ("source.crashed", "failed")
    assert "ZeroDivisionError" in by_name["buggy"].error
    assert by_name["crashy"].status == "failed" and "exit code 7" in by_name["crashy"].error
    # what the failing source landed before failing is loaded: nothing lost
    assert summary.load.by_source["flaky"]["items"] == 1
    assert summary.load.failed == 0
    names = {name for (name,) in query_rows(db_path, "SELECT name FROM torrents")}
    assert KART.name in names and len(names) == 7
    rows = {r["source"]: r for r in summary.rows()}
    assert rows["inbox"]["loaded"] == 7 and rows["inbox"]["rejected"] == 1


@pytest.mark.slow
def test_a_hanging_source_is_stopped_at_its_timeout(tmp_path, db_path, testkind):
    _inbox(tmp_path)
    config = _config(
        tmp_path,
        "  - {name: stuck, kind: testkind, timeout: 0.5, settings: {mode: hang}}\n" + FOLDER,
    )
    started = time.monotonic()
    summary = monitor(config, db_path)
    elapsed = time.monotonic() - started
    stuck, inbox = summary.gathers
    assert (stuck.status, stuck.error_code) == ("timeout", "source.timeout")
    assert inbox.status == "ok" and summary.load.loaded == 7
    assert elapsed < 10, elapsed  # 0.5 s timeout + 2 s grace, not an hour


def test_rate_limit_paces_the_source(tmp_path, testkind):
    config = _config(
        tmp_path, "  - {name: slowpoke, kind: testkind, rate_limit: 10, settings: {mode: paced}}\n"
    )
    assert gather_source(config, "slowpoke").status == "ok"
    state = json.loads((tmp_path / "landing" / "state" / "slowpoke.json").read_text())
    assert 0.45 <= state["spread"] < 3  # 6 requests at 10/s: 5 waits of 0.1 s


# --- the loader -----------------------------------------------------------------


def test_a_failed_load_leaves_items_for_the_next_load(tmp_path, db_path):
    _inbox(tmp_path)
    config = _config(tmp_path, FOLDER)
    assert gather_source(config, "inbox").new == 7
    zone = LandingZone.local(tmp_path / "landing")
    assert len(zone.unloaded()) == 7
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)",
            str(db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLocked):
            load_landing(config, db_path)
        assert len(zone.unloaded()) == 7  # nothing marked, nothing lost
    finally:
        holder.kill()
        holder.wait()
    summary = load_landing(config, db_path)
    assert (summary.pending, summary.loaded, summary.failed) == (7, 7, 0)
    assert summary.torrents_new == 7 and summary.rejected == {"magnet.invalid": 1}
    assert zone.unloaded() == []
    again = load_landing(config, db_path)
    assert (again.pending, again.loaded) == (0, 0)
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(7,)]
    runs = query_rows(db_path, "SELECT command, status FROM runs ORDER BY started_at")
    assert runs == [("monitor", "completed"), ("monitor", "completed")]
    # every landed item is still there: loading marks, never deletes
    assert len(list((tmp_path / "landing" / "items").rglob("*.payload"))) == 7


@pytest.mark.slow
def test_a_loader_killed_mid_load_loses_nothing(tmp_path, db_path):
    """SIGKILL the loader after its first batches commit: the next load takes the rest."""
    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    total = 3000
    for i in range(total):
        line = f"magnet:?xt=urn:btih:{i:040x}&dn=Linux.Image.{i}\n".encode()
        zone.land(Gathered("magnet", "links", f"list#{i}", line, now))
    script = (
        "import sys\n"
        "from monitors.landing import LandingZone\n"
        "from torrentwatch.monitor_load import load_landing\n"
        "load_landing(LandingZone.local(sys.argv[1]), sys.argv[2], batch_items=50)\n"
    )
    loader = subprocess.Popen([sys.executable, "-c", script, str(zone.storage.root), str(db_path)])
    journal = tmp_path / "landing" / "loaded"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(journal.glob("*.json"))) < 3:
        assert loader.poll() is None, "the loader finished before it could be killed"
        time.sleep(0.005)
    loader.kill()
    loader.wait()
    left = len(zone.unloaded())
    assert 0 < left < total
    summary = load_landing_zone(zone, db_path)
    assert summary.pending == left and summary.loaded == left and zone.unloaded() == []
    assert query_rows(db_path, "SELECT count(*) FROM torrents") == [(total,)]
    (observed,) = query_rows(
        db_path, "SELECT count(DISTINCT source_ref), count(*) FROM observations"
    )
    assert observed == (total, total)  # every item loaded, none twice (landed_items)


def test_a_load_that_dies_between_commit_and_mark_is_not_repeated(tmp_path, db_path, monkeypatch):
    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    for i in range(120):
        line = f"magnet:?xt=urn:btih:{i:040x}&dn=Linux.Image.{i}\n".encode()
        zone.land(Gathered("magnet", "links", f"list#{i}", line, now))
    real_mark = LandingZone.mark_loaded
    calls = []

    def dies_on_second_mark(self, keys, run_id):
        calls.append(run_id)
        if len(calls) == 2:
            raise OSError("disk gone between the commit and the journal write")
        return real_mark(self, keys, run_id)

    monkeypatch.setattr(LandingZone, "mark_loaded", dies_on_second_mark)
    with pytest.raises(OSError):
        load_landing_zone(zone, db_path, batch_items=50)
    monkeypatch.setattr(LandingZone, "mark_loaded", real_mark)
    assert len(zone.unloaded()) == 70  # the second batch committed, but is not marked
    summary = load_landing_zone(zone, db_path, batch_items=50)
    assert (summary.pending, summary.loaded) == (20, 20)  # only the third batch is loaded
    assert zone.unloaded() == []  # and the second batch's mark is repaired
    assert query_rows(db_path, "SELECT count(*), count(DISTINCT source_ref) FROM observations") == [
        (120, 120)
    ]
    assert query_rows(db_path, "SELECT count(*) FROM landed_items") == [(120,)]


def test_torn_items_wait_for_their_next_gather(tmp_path, db_path):
    inbox = _inbox(tmp_path, count=2)
    config = _config(tmp_path, FOLDER)
    assert gather_source(config, "inbox").new == 3
    envelope = sorted((tmp_path / "landing" / "items").rglob("*.json"))[0]
    envelope.write_bytes(b'{"key": ')  # as a power loss before the flush could leave it
    first = load_landing(config, db_path)
    assert (first.loaded, first.failed) == (2, 1)
    assert "not valid" in first.errors[0]
    # the source gathers the file again (state cleared, as after an unsaved run)
    (tmp_path / "landing" / "state" / "inbox.json").unlink()
    again = gather_source(config, "inbox")
    assert (again.new, again.seen) == (1, 2)
    second = load_landing(config, db_path)
    assert (second.pending, second.loaded, second.failed) == (1, 1, 0)
    assert query_rows(db_path, "SELECT count(*) FROM observations") == [(3,)]
    assert len(list(inbox.iterdir())) == 4


def test_observations_keep_what_the_source_said(tmp_path, db_path, testkind):
    config = _config(tmp_path, "  - {name: tracker, kind: testkind, settings: {mode: sightings}}\n")
    summary = monitor(config, db_path)
    assert summary.gathers[0].new == 8
    rows = query_rows(
        db_path,
        "SELECT infohash, source_ref, title, category, seeders, leechers, completed "
        "FROM observations "
        "ORDER BY source_ref",
    )
    kart = _v1(KART)
    assert rows == [
        (UNKNOWN_V1, "https://127.0.0.1/feed#2", "Pixel Dungeon v1.4", "Games/PC", 5, None, None),
        (
            kart,
            "https://127.0.0.1/feed#kart",
            "Kart Racer Deluxe [PS2]",
            "Games/Console",
            12,
            3,
            None,
        ),
        (kart, "udp://127.0.0.1:6969", None, None, 40, 2, 9),
    ]
    torrents = query_rows(
        db_path, "SELECT infohash, has_metadata, name FROM torrents ORDER BY name"
    )
    assert torrents == [
        (kart, True, KART.name),
        (UNKNOWN_V1, False, "Pixel Dungeon v1.4"),  # known only from the observation
    ]
    rejects = query_rows(db_path, "SELECT reason, detail FROM rejects ORDER BY detail")
    assert len(rejects) == 5 and {r for r, _ in rejects} == {"input.unreadable"}
    details = " ".join(d for _, d in rejects)
    assert "40 or 64 hex" in details and "seeders" in details and "JSON object" in details
    by_source = summary.load.by_source["tracker"]
    assert (by_source["items"], by_source["observations"], by_source["rejected"]) == (8, 3, 5)


def test_what_a_source_could_not_use_is_filed_in_rejects(tmp_path, db_path):
    config = _config(tmp_path, FOLDER)
    (tmp_path / "inbox").mkdir()
    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    url = "https://127.0.0.1/feed.xml"
    zone.land(rejected("inbox", f"{url}#item-3", now, "feed.item_invalid", "item 3: no link"))
    zone.land(Gathered("reject", "inbox", f"{url}#item-4", b'{"reason": "made.up"}', now))
    zone.land(Gathered("reject", "inbox", f"{url}#item-5", b"\xff not json", now))
    summary = load_landing(config, db_path)
    assert (summary.loaded, summary.failed, summary.rejected_total) == (3, 0, 3)
    rows = query_rows(db_path, "SELECT source_ref, reason, detail FROM rejects ORDER BY source_ref")
    assert [(ref[len(url) :], reason) for ref, reason, _ in rows] == [
        ("#item-3", "feed.item_invalid"),
        ("#item-4", "input.unreadable"),  # a record that names no known reason
        ("#item-5", "input.unreadable"),
    ]
    assert rows[0][2] == f"{url}#item-3: item 3: no link"
    assert zone.unloaded() == []  # filed, marked loaded, still in the landing zone


def test_an_item_of_a_kind_the_loader_does_not_know_waits(tmp_path, db_path):
    """An envelope naming a kind no source lands (written by hand, or by a newer
    version) is left in the landing zone, named in the summary; the rest loads."""
    config = _config(tmp_path, FOLDER)
    (tmp_path / "inbox").mkdir()
    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    zone.land(Gathered("magnet", "inbox", "odd", _magnet(KART), now))
    zone.land(Gathered("torrent", "inbox", "kart.torrent", encode(KART), now))
    (odd,) = [key for key in zone.unloaded() if zone.read_envelope(key).source_ref == "odd"]
    path = tmp_path / "landing" / odd
    path.write_text(path.read_text().replace('"kind": "magnet"', '"kind": "hologram"'))
    summary = load_landing(config, db_path)
    assert (summary.loaded, summary.failed) == (1, 1)
    assert "of kind 'hologram', which this loader does not load" in summary.errors[0]
    assert summary.by_source["inbox"]["failed"] == 1
    assert zone.unloaded() == [odd]  # kept for a loader that knows the kind


def test_magnetico_items_go_to_the_magnetico_loader(tmp_path, db_path):
    config = _config(tmp_path, FOLDER)
    (tmp_path / "inbox").mkdir()
    export = tmp_path / "export.jsonl"
    records = [
        {
            "infoHash": f"{i:040x}",
            "name": f"Linux.Mint.{i}.iso",
            "files": [{"size": 9, "path": "a.iso"}],
        }
        for i in range(1, 301)
    ]
    export.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n")
    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    zone.land(Gathered("magnetico", "inbox", str(export), b"", now, payload_file=str(export)))
    summary = load_landing(config, db_path)
    assert (summary.loaded, summary.failed, summary.torrents_new) == (1, 0, 300)
    assert summary.rejected_total == 1 and summary.by_source["inbox"]["rejected"] == 1
    assert zone.unloaded() == []
    assert query_rows(db_path, "SELECT count(*) FROM torrents WHERE name LIKE 'Linux.Mint.%'") == [
        (300,)
    ]
    assert query_rows(db_path, "SELECT DISTINCT source FROM observations") == [("inbox",)]


def test_a_magnetico_item_whose_load_died_is_resumed_not_repeated(tmp_path, db_path, monkeypatch):
    """The monitor's loader gives each export its landing key: after a load that died
    part-way, the next load takes only the blocks that were not committed."""
    import torrentwatch.monitor_load as monitor_loading
    from torrentwatch.import_magnetico import load_magnetico

    config = _config(tmp_path, FOLDER)
    (tmp_path / "inbox").mkdir()
    export = tmp_path / "export.jsonl"
    export.write_text(
        "".join(
            json.dumps(
                {
                    "infoHash": f"{i:040x}",
                    "name": f"Alpine.{i}",
                    "files": [{"size": 9, "path": "a.iso"}],
                }
            )
            + "\n"
            for i in range(1, 2001)
        )
    )
    zone = LandingZone.local(tmp_path / "landing")
    zone.land(
        Gathered(
            "magnetico", "inbox", str(export), b"", datetime.now(UTC), payload_file=str(export)
        )
    )
    small_blocks = monitor_loading.FromFile(partial(load_magnetico, block_bytes=16 * 1024))
    monkeypatch.setitem(monitor_loading.LANDED_KINDS, "magnetico", small_blocks)
    restore = fail_block_load(monkeypatch, 2)
    first = load_landing(config, db_path)
    assert (first.loaded, first.failed) == (0, 1) and len(zone.unloaded()) == 1
    (committed,) = query_rows(db_path, "SELECT count(*) FROM observations")[0]
    assert 0 < committed < 2000
    restore()
    second = load_landing(config, db_path)
    assert (second.loaded, second.failed) == (1, 0) and zone.unloaded() == []
    assert query_rows(db_path, "SELECT count(*), count(DISTINCT source_ref) FROM observations") == [
        (2000, 2000)
    ]
    assert query_rows(db_path, "SELECT through FROM load_progress") == [(2000,)]


# --- the CLI --------------------------------------------------------------------


@pytest.mark.slow
def test_cli_monitor_once_end_to_end(tmp_path):
    _inbox(tmp_path)
    config = _config(tmp_path, FOLDER)
    db = tmp_path / "cli.duckdb"
    out = run_cli("monitor", "--config", str(config), "--once", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "inbox" in out.stdout and "folder" in out.stdout
    assert "loaded 7 of 7 landed items, new 7" in out.stdout
    assert query_rows(db, "SELECT count(*) FROM torrents") == [(7,)]
    assert query_rows(db, "SELECT count(*) FROM rejects") == [(1,)]
    second = run_cli(
        "monitor", "--config", str(config), "--once", "--db", str(db), "--source", "inbox"
    )
    assert second.returncode == 0 and "loaded 0 of 0" in second.stdout
    broken = _config(tmp_path, FOLDER + "  - {name: gone, kind: folder, settings: {path: nope}}\n")
    third = run_cli("monitor", "--config", str(broken), "--once", "--db", str(db))
    assert third.returncode == 1 and "1 source(s) failed: gone" in third.stderr
    assert "source.failed" in third.stderr and "| gone" not in third.stdout
    bad = _config(tmp_path, "  - {name: ../up, kind: folder}\n")
    fourth = run_cli("monitor", "--config", str(bad), "--once", "--db", str(db))
    assert fourth.returncode == 1
    assert "sources.bad_name" in fourth.stderr and "sources.yaml:3" in fourth.stderr
