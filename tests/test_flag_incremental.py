"""`flag` evaluates only what changed since the last run that evaluated every rule, and
its flags are the ones a full run gives: checked both ways on the same data (a full
run after an incremental one finds nothing to change, and a fresh warehouse flagged
once holds the same flags), on a DuckDB file and on a lake.

The changes: new torrents, a magnet-only torrent whose metadata arrives (its verdict
changes), sightings of old torrents, a new hash-list version (a list rule), a rule that
reads the clock (evaluated everywhere), and the cases that force a full run: new rules,
a migration, --full, --rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_packs import KNOWN_DEMO_LIST
from warehouse_copies import file_catalog_lake

from parsers.torrent import parse_torrent
from torrentwatch.demo import demo_data_dir
from torrentwatch.flag import flag
from torrentwatch.hashlist import hashlist_import
from torrentwatch.ingest import ingest
from torrentwatch.synth import SynthTorrent, encode, synthetic_specs
from warehouse.db import connect

# A console "game" that is one small video: flagged once its files are known.
LATE = SynthTorrent(
    "Lantern.Valley.PS2.NTSC-SYNTH", (("Lantern.Valley.mkv", 40_000_000),), multi_file=True
)
# Another one, known from the start, then put on a list.
LISTED = SynthTorrent(
    "Copper.Coast.2022.1080p", (("Copper.Coast.2022.mkv", 900_000_000),), multi_file=True
)
# An operator pack with a rule reading the clock: evaluated on every torrent every run.
AGE_PACK = """\
rules:
  - id: test.seen-recently
    version: 1
    title: A film made more than a month ago
    description: Benign test rule reading the clock.
    level: low
    when:
      all:
        - claimed.category: {in: [film]}
        - age: {of: created, at_least: 30}
    tests:
      pass: [{name: "Notes.on.Tea.pdf", files: [["Notes.on.Tea.pdf", 1MB]]}]
"""
# An operator pack with a rule reading the sightings (observations): its evidence lists
# them, so the changed torrents' sightings must be there in an incremental run.
SIGHTED_PACK = """\
rules:
  - id: test.film-not-sighted-as-game
    version: 1
    title: A film no source listed as a game
    description: Benign test rule reading the sightings.
    level: low
    when:
      all:
        - claimed.category: {in: [film]}
        - not: {source_category: [games]}
    tests:
      pass: [{name: "Notes.on.Tea.pdf", files: [["Notes.on.Tea.pdf", 1MB]]}]
"""
CONTENT = (
    "SELECT infohash, rule_id, rule_version, level, score, evidence::VARCHAR, active, status"
    " FROM flags ORDER BY ALL"
)


def _infohash(spec: SynthTorrent) -> str:
    return parse_torrent(encode(spec)).infohash


def _content(db) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(CONTENT).fetchall()
    finally:
        con.close()


def _inputs(tmp_path: Path) -> dict[str, Path]:
    """Round one: the demo data and a magnet link of LATE; round two: LATE's torrent,
    LISTED and 20 new torrents, the demo again (sightings), and a list naming LISTED and
    a demo torrent."""
    first, second = tmp_path / "round1", tmp_path / "round2"
    first.mkdir()
    second.mkdir()
    (first / "late.magnet").write_text(
        f"magnet:?xt=urn:btih:{_infohash(LATE)}&dn={LATE.name}\n", encoding="ascii"
    )
    (first / "listed.torrent").write_bytes(encode(LISTED))
    (second / "late.torrent").write_bytes(encode(LATE))
    for i, spec in enumerate(synthetic_specs(20, files_per_torrent=3, seed=900)):
        (second / f"new{i:02d}.torrent").write_bytes(encode(spec))
    listed = tmp_path / "demo-list.txt"
    return {"first": first, "second": second, "list": listed}


def _write_list(path: Path, db) -> None:
    con = connect(db, read_only=True)
    try:
        demo = con.execute(
            "SELECT infohash FROM torrents WHERE name = 'Robot.Castle.PS3-TESTREL'"
        ).fetchone()[0]
    finally:
        con.close()
    path.write_text(f"{_infohash(LISTED)}\n{demo}\n", encoding="ascii")


def _pipeline(db, inputs: dict[str, Path], packs: list[Path]) -> list:
    """Both rounds with a flag run after each; the flag summaries."""
    ingest([demo_data_dir(), inputs["first"]], db, workers=1)
    summaries = [flag(db, packs)]
    ingest([inputs["second"], demo_data_dir()], db, workers=1)
    _write_list(inputs["list"], db)
    hashlist_import(inputs["list"], db, name="demo-list")
    summaries.append(flag(db, packs))
    return summaries


@pytest.fixture
def packs(tmp_path: Path) -> list[Path]:
    paths = []
    packs = (("age.yaml", AGE_PACK), ("list.yaml", KNOWN_DEMO_LIST), ("seen.yaml", SIGHTED_PACK))
    for name, text in packs:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _same_both_ways(db, fresh, inputs, packs) -> None:
    first, second = _pipeline(db, inputs, packs)
    assert (first.mode, first.reason) == ("full", "no earlier run evaluated every rule")
    assert second.mode == "incremental"
    # changed: LATE (metadata arrived), 20 new, the re-sighted demo torrents, LISTED and
    # the listed demo torrent; far fewer than all torrents
    assert 20 < second.evaluated < 60
    incremental = _content(db)
    late = _infohash(LATE)
    assert any(row[0] == late and row[6] for row in incremental), "LATE flagged once known"
    assert any(row[1] == "known.demo-list" and row[6] for row in incremental)
    assert any(row[1] == "test.seen-recently" and row[6] for row in incremental)
    sighted = [row for row in incremental if row[1] == "test.film-not-sighted-as-game"]
    assert any(row[6] for row in sighted) and all('"observations"' in row[5] for row in sighted)
    # the same data flagged once, from nothing
    ingest([demo_data_dir(), inputs["first"]], fresh, workers=1)
    ingest([inputs["second"], demo_data_dir()], fresh, workers=1)
    hashlist_import(inputs["list"], fresh, name="demo-list")
    assert flag(fresh, packs).mode == "full"
    assert _content(fresh) == incremental
    # a full run after the incremental one finds nothing to change
    again = flag(db, packs, full=True)
    assert (again.mode, again.new, again.changed, again.deactivated) == ("full", 0, 0, 0)
    assert _content(db) == incremental


def test_incremental_flags_equal_a_full_run_on_a_file(tmp_path: Path, packs) -> None:
    inputs = _inputs(tmp_path)
    _same_both_ways(tmp_path / "w.duckdb", tmp_path / "fresh.duckdb", inputs, packs)


def test_incremental_flags_equal_a_full_run_on_a_lake(tmp_path: Path, packs) -> None:
    inputs = _inputs(tmp_path)
    lake, fresh = file_catalog_lake(tmp_path, "c"), file_catalog_lake(tmp_path, "f")
    _same_both_ways(lake, fresh, inputs, packs)


def test_nothing_changed_evaluates_nothing_and_keeps_every_flag(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    before = _content(db)
    again = flag(db)
    assert (again.mode, again.evaluated, again.new, again.changed, again.deactivated) == (
        "incremental",
        0,
        0,
        0,
        0,
    )
    assert _content(db) == before
    con = connect(db, read_only=True)
    try:
        runs = con.execute("SELECT count(DISTINCT last_run_id) FROM flags WHERE active").fetchone()[
            0
        ]
    finally:
        con.close()
    assert runs == 1  # every flag was evaluated by the latest run, as in a full run


def test_what_forces_a_full_run(tmp_path: Path, packs) -> None:
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    assert flag(db).reason == "no earlier run evaluated every rule"
    assert flag(db).mode == "incremental"
    assert "the rules in force changed" in flag(db, packs).reason
    assert flag(db, packs, full=True).reason == "asked for (--full)"
    assert flag(db, packs, rule_ids=["test.seen-recently"]).reason.startswith("limited")
    assert flag(db, packs).mode == "incremental"  # a --rule run is no baseline, nor a spoiler
    con = connect(db)
    try:
        con.execute(
            "UPDATE schema_migrations SET applied_at = now()"
            " WHERE version = (SELECT max(version) FROM schema_migrations)"
        )
    finally:
        con.close()
    assert "migrated" in flag(db, packs).reason
    assert flag(db, packs).mode == "incremental"


def test_only_the_tables_rules_read_are_cut_down(tmp_path: Path) -> None:
    """``tables_read``: the shipped rules read files, none reads the sightings; a rule
    with a sightings predicate or fuzzy terms on paths says so."""
    from rules.compile import tables_read
    from rules.ruleset import load_packs, select_rules

    shipped = select_rules(load_packs([]), [])
    assert tables_read(shipped) == {"files"}
    seen = tmp_path / "seen.yaml"
    seen.write_text(SIGHTED_PACK, encoding="utf-8")
    sighted = [r for r in select_rules(load_packs([seen]), []) if r.id.startswith("test.")]
    assert tables_read(sighted) == {"observations"}


def _shadows(db, packs: list[Path] = ()) -> dict[str, str]:
    """What an incremental run over ``db`` would read each table through: a "view" or a
    "table" of "appended" rows (row ids from the baseline's end on), of a "range" of row
    ids, or of the "rows" found by infohash; nothing is written."""
    from rules.compile import tables_read
    from rules.ruleset import load_packs, select_rules
    from torrentwatch.flag_changes import plan, shadowed

    rules = select_rules(load_packs(packs), [])
    con = connect(db)
    try:
        con.execute("BEGIN TRANSACTION")
        planned = plan(con, rules)
        assert not planned.full, planned.reason
        with shadowed(con, {"torrents", *tables_read(rules)}, planned) as made:
            out = {}
            for table in ("torrents", "files"):
                kind = made[table].split()[2].lower()
                sql = made[table]
                rows = "appended" if "rowid >=" in sql else "range" if "BETWEEN" in sql else "rows"
                out[table] = f"{kind} {rows}"
        con.execute("ROLLBACK")
        return out
    finally:
        con.close()


def _new_torrents(folder: Path, count: int, seed: int) -> Path:
    folder.mkdir()
    for i, spec in enumerate(synthetic_specs(count, files_per_torrent=3, seed=seed)):
        (folder / f"t{i:03d}.torrent").write_bytes(encode(spec))
    return folder


def test_new_torrents_are_read_where_they_were_appended(tmp_path: Path) -> None:
    """New torrents and their files are appended, and so are the files of a magnet-only
    torrent whose metadata arrives: an incremental run reads them as a view of the rows
    appended since its baseline (nothing copied, no scan of every file's infohash), and
    its flags are those of a full run over the same data."""
    db, fresh = tmp_path / "w.duckdb", tmp_path / "fresh.duckdb"
    first = tmp_path / "first"
    first.mkdir()
    (first / "late.magnet").write_text(
        f"magnet:?xt=urn:btih:{_infohash(LATE)}&dn={LATE.name}\n", encoding="ascii"
    )
    ingest([demo_data_dir(), first], db, workers=1)
    assert flag(db).files_seen > 0
    new = _new_torrents(tmp_path / "new", 15, seed=4_100)
    (new / "late.torrent").write_bytes(encode(LATE))
    ingest([new], db, workers=1)
    assert _shadows(db)["files"] == "view appended"
    summary = flag(db)
    assert (summary.mode, summary.evaluated) == ("incremental", 16)
    assert any(row[0] == _infohash(LATE) and row[6] for row in _content(db))
    ingest([demo_data_dir(), first], fresh, workers=1)
    ingest([new], fresh, workers=1)
    flag(fresh)
    assert _content(fresh) == _content(db)


def test_a_run_of_new_torrents_is_read_by_its_row_ids(tmp_path: Path) -> None:
    """Torrents appended one after another (only new ones) are one run of row ids: read
    by that range (no join against the changed set)."""
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    ingest([_new_torrents(tmp_path / "new", 15, seed=4_150)], db, workers=1)
    assert _shadows(db) == {"torrents": "table range", "files": "view appended"}


@pytest.mark.parametrize(
    "change",
    ["sighted again", "merged", "baseline without files_seen", "file of an unchanged torrent"],
)
def test_files_are_found_by_infohash_when_the_appended_ones_do_not_cover(
    tmp_path: Path, change: str
) -> None:
    """The files appended since the baseline are read alone only when they are exactly
    the changed torrents' files: a torrent sighted again (its files are old ones), a
    merge (files moved between torrents), a baseline run that did not record where the
    files ended, or appended files of a torrent no run changed each send the run back
    to finding the changed torrents' files by infohash."""
    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    ingest([_new_torrents(tmp_path / "new", 5, seed=4_200)], db, workers=1)
    con = connect(db)
    try:
        if change == "sighted again":
            con.close()
            ingest([demo_data_dir()], db, workers=1)
            con = connect(db)
        elif change == "merged":
            run = con.execute(
                "SELECT run_id FROM runs WHERE command = 'ingest' ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
            con.execute(
                "INSERT INTO torrent_merges (infohash, merged_infohash, merged_at, run_id)"
                " SELECT infohash, infohash, now(), $run FROM torrents LIMIT 1",
                {"run": run[0]},
            )
        elif change == "baseline without files_seen":
            con.execute(
                "UPDATE runs SET detail = json_object('mode', 'full') WHERE command = 'flag'"
            )
        else:  # a file row no run wrote, of a torrent that did not change
            con.execute(
                "INSERT INTO files SELECT * REPLACE (file_index + 1000 AS file_index) FROM files"
                " WHERE infohash = (SELECT infohash FROM files ORDER BY rowid LIMIT 1) LIMIT 1"
            )
    finally:
        con.close()
    assert _shadows(db)["files"] in ("view range", "table rows")


def test_file_facts_on_the_second_connection_fail_the_run_whole(
    tmp_path: Path, monkeypatch
) -> None:
    """The file facts an incremental run computes on a second connection: a failure
    there fails the run, rolled back, and the flags and runs are as they were."""
    import torrentwatch.flag as flag_stage
    from common.errors import WarehouseError

    db = tmp_path / "w.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    flag(db)
    ingest([_new_torrents(tmp_path / "new", 5, seed=4_300)], db, workers=1)
    before = _content(db)
    monkeypatch.setattr(flag_stage, "file_facts_query", lambda rules: "SELECT nope FROM files")
    with pytest.raises(WarehouseError, match="rolled back"):
        flag(db)
    assert _content(db) == before
    monkeypatch.undo()
    assert flag(db).mode == "incremental"


STAMPED = (
    "SELECT infohash, rule_id, rule_version, level, score, evidence::VARCHAR, active, status,"
    " first_flagged_at, first_run_id, last_evaluated_at, last_matched_at, last_run_id"
    " FROM flags ORDER BY infohash, rule_id"
)


def _stamped(db, run_id: str) -> list[tuple]:
    """Every flag, whole, with the run's own time and id written as symbols (the two
    runs compared ran at different times)."""
    con = connect(db, read_only=True)
    try:
        (now,) = con.execute(
            "SELECT max(last_evaluated_at) FROM flags WHERE last_run_id = $r", {"r": run_id}
        ).fetchone()
        rows = con.execute(STAMPED).fetchall()
    finally:
        con.close()

    def symbol(value):
        return "NOW" if value == now else "RUN" if value == run_id else value

    return [tuple(symbol(v) for v in row) for row in rows]


def test_an_incremental_run_writes_every_column_a_full_run_writes(tmp_path: Path) -> None:
    """Times and run ids too, on every kind of flag: matched again on a changed torrent,
    new, active on a torrent that did not change, switched off earlier and not changed
    since (its last match kept), and of a rule no longer in force (left as it was)."""
    import shutil

    inputs = _inputs(tmp_path)
    db = tmp_path / "w.duckdb"
    extra = tmp_path / "extra.yaml"
    extra.write_text(SIGHTED_PACK, encoding="utf-8")
    listed_pack = tmp_path / "list.yaml"
    listed_pack.write_text(KNOWN_DEMO_LIST, encoding="utf-8")
    ingest([demo_data_dir(), inputs["first"]], db, workers=1)
    _write_list(inputs["list"], db)
    hashlist_import(inputs["list"], db, name="demo-list")
    assert flag(db, [listed_pack, extra]).mode == "full"
    # The sightings rule leaves: its flags are switched off by a full run.
    assert flag(db, [listed_pack]).mode == "full"
    # A list version without LISTED: its list flag is switched off (LISTED evaluated).
    inputs["list"].write_text(
        inputs["list"].read_text(encoding="ascii").split("\n", 1)[1], encoding="ascii"
    )
    hashlist_import(inputs["list"], db, name="demo-list")
    assert flag(db, [listed_pack]).mode == "incremental"
    ingest([inputs["second"]], db, workers=1)
    twin = tmp_path / "twin.duckdb"
    shutil.copy(db, twin)
    incremental = flag(db, [listed_pack])
    full = flag(twin, [listed_pack], full=True)
    assert (incremental.mode, full.mode) == ("incremental", "full")
    got, expected = _stamped(db, incremental.run_id), _stamped(twin, full.run_id)
    assert got == expected
    listed_flag = [r for r in got if r[0] == _infohash(LISTED) and r[1] == "known.demo-list"]
    assert listed_flag and listed_flag[0][6] is False and listed_flag[0][10] == "NOW"
    assert listed_flag[0][11] != "NOW"  # switched off earlier: its last match is kept
    gone = [r for r in got if r[1] == "test.film-not-sighted-as-game"]
    assert gone and all(not r[6] and r[10] != "NOW" and r[12] != "RUN" for r in gone)
    kept = [r for r in got if r[6] and r[12] == "RUN" and r[10] == "NOW" and r[11] == "NOW"]
    assert len(kept) > 10


def _by_run(db) -> list[tuple]:
    """Every flag through the `flags` view, whole, with each time and run id written as
    the ordinal of the flag run it came from (two warehouses' runs differ in time)."""
    con = connect(db, read_only=True)
    try:
        runs = con.execute(
            "SELECT run_id FROM runs WHERE command = 'flag' ORDER BY started_at"
        ).fetchall()
        ordinal = {run_id: i for i, (run_id,) in enumerate(runs)}
        at = {
            when: ordinal[run_id]
            for run_id, when in con.execute(
                "SELECT DISTINCT run_id, evaluated_at FROM flag_run_rules"
            ).fetchall()
        }
        rows = con.execute(STAMPED).fetchall()
    finally:
        con.close()
    return [tuple(ordinal.get(v, at.get(v, v)) for v in row) for row in rows]


def test_flags_of_unchanged_torrents_are_not_rewritten_and_read_as_a_full_runs(
    tmp_path: Path,
) -> None:
    """An incremental run leaves the rows of torrents that did not change as they were
    (`flag_rows`) and stamps their rules (`flag_rule_stamps`); `flags` reads as if every
    run had been full, through later runs too: one that switches a rule off (its flags
    from before the incremental run are switched off then) and one that evaluates all."""
    import shutil

    inputs = _inputs(tmp_path)
    extra = tmp_path / "extra.yaml"
    extra.write_text(SIGHTED_PACK, encoding="utf-8")
    lagging, full_only = tmp_path / "lagging.duckdb", tmp_path / "full.duckdb"
    ingest([demo_data_dir(), inputs["first"]], lagging, workers=1)
    assert flag(lagging, [extra]).mode == "full"
    ingest([inputs["second"]], lagging, workers=1)
    shutil.copy(lagging, full_only)
    middle = flag(lagging, [extra])
    assert middle.mode == "incremental"
    assert flag(full_only, [extra], full=True).mode == "full"
    con = connect(lagging, read_only=True)
    try:
        (stale,) = con.execute(
            "SELECT count(*) FROM flag_rows WHERE last_run_id <> $r", {"r": middle.run_id}
        ).fetchone()
        (shown,) = con.execute(
            "SELECT count(*) FROM flags WHERE last_run_id <> $r", {"r": middle.run_id}
        ).fetchone()
        stamps = con.execute("SELECT count(*), min(run_id) FROM flag_rule_stamps").fetchone()
    finally:
        con.close()
    assert stale > 10 and shown == 0  # rows untouched, read as the run's
    assert stamps[0] > 10 and stamps[1] == middle.run_id
    assert _by_run(lagging) == _by_run(full_only)
    for db in (lagging, full_only):  # the sightings rule leaves: a full run, by the rules
        assert flag(db).mode == "full"
    switched_off = [r for r in _by_run(lagging) if r[1] == "test.film-not-sighted-as-game"]
    assert switched_off and not any(r[6] for r in switched_off)
    assert _by_run(lagging) == _by_run(full_only)
    for db in (lagging, full_only):
        flag(db, full=True)
    assert _by_run(lagging) == _by_run(full_only)
