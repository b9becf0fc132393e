"""The one-line stage summaries that the CLI prints and the Airflow tasks log."""

from __future__ import annotations

import re
from collections import Counter

from monitors.runner import GatherSummary
from torrentwatch.monitor_load import LoadSummary
from torrentwatch.summaries import by_reason, gather_text, load_text


def test_the_load_line_says_how_its_numbers_add_up():
    summary = LoadSummary(
        run_id="r1",
        pending=22,
        loaded=22,
        failed=0,
        torrents_new=20,
        torrents_updated=0,
        files=63,
        observations=21,
        rejected=Counter({"magnet.invalid": 1, "bencode.invalid": 2}),
    )
    line = load_text(summary)
    assert line.startswith("run r1: loaded 22 of 22 landed items, new 20, updated 0, rejected 3")
    inputs, sightings, new, updated, repeats, rejected = map(
        int,
        re.search(
            r"inputs in them: (\d+) = (\d+) sighting\(s\) \((\d+) new torrent\(s\), (\d+) "
            r"updated, (\d+) repeat\(s\)\) \+ (\d+) rejected",
            line,
        ).groups(),
    )
    assert inputs == sightings + rejected == 24
    assert sightings == new + updated + repeats
    assert line.endswith("(bencode.invalid 2, magnet.invalid 1)")


def test_a_load_with_no_rejects_names_no_reasons():
    line = load_text(LoadSummary(run_id="r", pending=1, loaded=1, failed=0, observations=1))
    assert line.endswith("+ 0 rejected")
    assert by_reason({}) == ""


def test_a_failed_gather_says_why():
    ok = GatherSummary("demo", "folder", "ok", new=3, seen=1, seconds=0.25)
    assert gather_text(ok) == (
        "source demo (folder): ok, 3 new item(s) landed, 1 seen before, in 0.2 s"
    )
    failed = GatherSummary("feed", "rss", "failed", error="[fetch.timeout] no answer")
    assert gather_text(failed).endswith("; error: [fetch.timeout] no answer")


def test_flag_summary_as_dict_is_every_field_in_order():
    from dataclasses import asdict

    from torrentwatch.flag import FlagSummary

    summary = FlagSummary("r1", rules=4, matched=3, new=2, changed=1, deactivated=0, active=5)
    assert summary.as_dict() == asdict(summary)
    assert list(summary.as_dict()) == [
        "run_id", "rules", "matched", "new", "changed", "deactivated", "active",
        "mode", "evaluated", "reason", "files_seen",
    ]  # fmt: skip


def test_magnetico_lines_name_the_earlier_progress(tmp_path):
    from torrentwatch.import_magnetico import MagneticoCounts
    from torrentwatch.summaries import magnetico_lines

    export = tmp_path / "export.jsonl"
    export.write_text("{}\n", encoding="utf-8")
    counts = MagneticoCounts(records=3, torrents_new=2, files=4, rejected={"magnetico.x": 1})
    assert magnetico_lines(export, counts) == [
        f"{export}: 3 records, new 2, updated 0, files 4, rejected 1 (magnetico.x 1)"
    ]
    resumed = MagneticoCounts(records=1, earlier_through=7, resumed=True)
    assert magnetico_lines(export, resumed) == [
        f"{export}: resumed after line 7",
        f"{export}: 1 records, new 0, updated 0, files 0, rejected 0",
    ]
    again = MagneticoCounts(records=9, earlier_through=7)
    assert magnetico_lines(export, again)[-1].startswith(
        "note: an earlier import of this file had committed through line 7,"
    )
