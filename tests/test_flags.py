"""`torrentwatch flag` and `explain`: the shipped pack over the demo data, evidence,
idempotent re-runs, new rule versions, flags that stop matching, known lists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli
from rule_packs import KNOWN_DEMO_LIST, compile_rule
from test_rules_sql import RUNS, TORRENTS  # noqa: F401 (the warehouse fixture loads TORRENTS)

from common.errors import TorrentNotFound
from rules.compile import flag_sql
from torrentwatch.demo import demo_data_dir
from torrentwatch.explain import explain
from torrentwatch.flag import flag
from torrentwatch.hashlist import hashlist_import
from torrentwatch.ingest import ingest
from warehouse.db import connect

DISGUISED = {
    "Winter.Garden.Racing.PS2.NTSC-FAKEGRP": {"disguise.console-release-media-payload"},
    "Echo.Harbor.2020.720p": {
        "disguise.double-extension",
        "disguise.executable-in-video-release",
    },
    "Holiday.Photos.2024": {"disguise.bidi-control", "mislabel.photos-claim-other-payload"},
    "Galaxy.Pack.Complete": {"disguise.encrypted-archive-lure"},
    "Castle.Quest.PSP-DEMO": {
        "disguise.console-game-too-small",
        "disguise.console-release-media-payload",
    },
    "Summer.Robot.2019.1080p.WEB-DL-SYNTH": {"disguise.executable-in-video-release"},
}
HONEST = (
    "Kart.Racer.Deluxe.PS2.PAL-SYNTH",
    "Robot.Castle.PS3-TESTREL",
    "Pixel.Dungeon.v1.4.2.PC.GOG",
    "Kart.Racer.PS4.Gameplay.Walkthrough.1080p",
    "Kart.Racer.Original.Soundtrack.OST.FLAC",
)

# An operator pack overriding the shipped double-extension rule.
OVERRIDE = """\
rules:
  - id: disguise.double-extension
    version: {version}
    title: A file with a double extension ending in {final}
    description: Benign test override.
    level: critical
    when:
      double_extension: {{final: [{final}]}}
    tests:
      pass: [{{name: "Comet.River.2021.720p-BENIGN", files: [["Comet.River.2021.avi", 1MB]]}}]
"""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    ingest([demo_data_dir()], db, workers=1)
    return db


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    """A private copy of the ingested demo warehouse, so tests can flag it freely."""
    copy = tmp_path / "flags.duckdb"
    shutil.copy(demo_db, copy)
    return copy


def _flags(db: Path) -> dict[tuple[str, str], dict]:
    con = connect(db, read_only=True)
    try:
        cur = con.execute(
            "SELECT t.name, f.rule_id, f.*, f.evidence::VARCHAR AS ev"
            " FROM flags f JOIN torrents t USING (infohash)"
        )
        names = [d[0] for d in cur.description]
        return {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


def _pack(tmp_path: Path, text: str, name: str = "op.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _infohash(db: Path, name: str) -> str:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT infohash FROM torrents WHERE name = ?", [name]).fetchone()[0]
    finally:
        con.close()


def test_flag_sql_is_exact_and_runs():
    rule = compile_rule("claimed.platform: {in: [ps2]}")
    assert flag_sql(rule) == (
        "SELECT t.infohash, json_object('rule_id', 'demo.rule', 'version', 1, 'title',"
        " 'A demo rule', 'level', 'high', 'facts', json_array(json_object('predicate',"
        " 'claimed.platform',"
        " 'args', '{\"values\": [\"ps2\"]}'::JSON, 'negated', false, 'holds',"
        " coalesce(t.claimed_platform IN ('ps2'), false), 'values',"
        " json_object('claimed_platform', t.claimed_platform)))) AS evidence"
        " FROM torrents t WHERE t.claimed_platform IN ('ps2')"
    )


def test_flag_sql_runs_on_in_memory_warehouse(warehouse):
    con, keys = warehouse
    rule = compile_rule("all: [{claimed.platform: {in: [ps2]}}, {no_file: {kind: [disc_image]}}]")
    ((infohash, evidence),) = con.execute(flag_sql(rule)).fetchall()
    assert keys[infohash] == "console_video"
    facts = json.loads(evidence)["facts"]
    assert [f["predicate"] for f in facts] == ["claimed.platform", "no_file"]
    assert facts[0]["values"] == {"claimed_platform": "ps2"}
    assert facts[1]["values"]["count"] == 0 and all(f["holds"] for f in facts)


@pytest.mark.parametrize(("when", "expected"), RUNS, ids=[w for w, _ in RUNS])
def test_every_predicate_gives_evidence(warehouse, when, expected):
    """flag_sql selects what rule_sql selects, and each fact's evidence is valid JSON
    whose ``holds`` agrees with the match."""
    con, keys = warehouse
    rows = con.execute(flag_sql(compile_rule(when))).fetchall()
    assert {keys[h] for h, _ in rows} == expected
    for _, evidence in rows:
        facts = json.loads(evidence)["facts"]
        assert facts and all("values" in f for f in facts)
        if len(facts) == 1:
            assert facts[0]["holds"] is True


def test_shipped_pack_flags_disguised_demo_torrents_only(db):
    summary = flag(db)
    assert summary.new == summary.matched == summary.active > 0
    found: dict[str, set[str]] = {}
    for name, rule_id in _flags(db):
        found.setdefault(name, set()).add(rule_id)
    for name, rules in DISGUISED.items():
        assert found.get(name) == rules, name
    for name in HONEST:
        assert name not in found, name
    assert set(found) == set(DISGUISED)


def test_evidence_lists_matching_files(db):
    flag(db)
    flags = _flags(db)
    evidence = json.loads(flags[("Echo.Harbor.2020.720p", "disguise.double-extension")]["ev"])
    assert evidence["rule_id"] == "disguise.double-extension" and evidence["version"] == 2
    (fact,) = evidence["facts"]
    assert fact["holds"] and fact["values"]["count"] == 1
    (item,) = fact["values"]["files"]
    assert item["path"].endswith("Echo.Harbor.2020.720p.avi.exe")
    assert item["exts"] == ["avi", "exe"]
    lure = flags[("Galaxy.Pack.Complete", "disguise.encrypted-archive-lure")]["ev"]
    assert "PASSWORD.txt" in lure and "get password here.url" in lure
    for row in flags.values():
        assert row["score"] == 1.0 and row["active"]


def test_rerun_is_idempotent(db):
    flag(db)
    before = _flags(db)
    again = flag(db)
    after = _flags(db)
    assert (again.new, again.changed, again.deactivated) == (0, 0, 0)
    assert set(after) == set(before)
    for key, row in after.items():
        assert row["first_flagged_at"] == before[key]["first_flagged_at"]
        assert row["ev"] == before[key]["ev"]
        assert row["last_evaluated_at"] >= before[key]["last_evaluated_at"]
    con = connect(db, read_only=True)
    commands = con.execute("SELECT count(*) FROM runs WHERE command = 'flag'").fetchone()[0]
    con.close()
    assert commands == 2


def test_new_rule_version_updates_and_keeps_first_flagged_at(db, tmp_path):
    flag(db)
    key = ("Echo.Harbor.2020.720p", "disguise.double-extension")
    before = _flags(db)[key]
    pack = _pack(tmp_path, OVERRIDE.format(version=3, final="exe"))
    summary = flag(db, [pack])
    after = _flags(db)[key]
    assert summary.changed == 1 and summary.new == 0
    assert after["rule_version"] == 3 and after["active"]
    assert after["first_flagged_at"] == before["first_flagged_at"]
    assert json.loads(after["ev"])["version"] == 3


def test_flag_that_stops_matching_stays_inactive(db, tmp_path):
    flag(db)
    key = ("Echo.Harbor.2020.720p", "disguise.double-extension")
    first = _flags(db)[key]
    summary = flag(db, [_pack(tmp_path, OVERRIDE.format(version=3, final="scr"))])
    gone = _flags(db)[key]
    assert summary.deactivated == 1
    assert not gone["active"] and gone["rule_version"] == 2
    assert gone["last_evaluated_at"] > first["last_evaluated_at"]
    assert gone["last_matched_at"] == first["last_matched_at"]
    # Matching again makes it active again, first raised as before.
    flag(db)
    back = _flags(db)[key]
    assert back["active"] and back["first_flagged_at"] == first["first_flagged_at"]


def test_disabled_rule_leaves_flags_inactive(db, tmp_path):
    flag(db)
    key = ("Echo.Harbor.2020.720p", "disguise.double-extension")
    first = _flags(db)[key]
    off = _pack(tmp_path, "rules:\n  - {id: disguise.double-extension, disabled: true}\n")
    flag(db, [off])
    flags = _flags(db)
    assert not flags[key]["active"]
    assert flags[key]["last_evaluated_at"] == first["last_evaluated_at"]
    others = [row["active"] for k, row in flags.items() if k != key]
    assert others and all(others)
    assert flag(db, [off]).deactivated == 0


def test_known_list_rule_flags_an_imported_infohash(db, tmp_path):
    name = "Kart.Racer.Deluxe.PS2.PAL-SYNTH"
    infohash = _infohash(db, name)
    listed = tmp_path / "list.txt"
    listed.write_text(f"# benign test list\n{infohash}\n", encoding="utf-8")
    hashlist_import(listed, db, name="demo-list", source="test")
    flag(db, [_pack(tmp_path, KNOWN_DEMO_LIST)])
    flags = _flags(db)
    assert [k for k in flags if k[1] == "known.demo-list"] == [(name, "known.demo-list")]
    (fact,) = json.loads(flags[(name, "known.demo-list")]["ev"])["facts"]
    (match,) = fact["values"]["matches"]
    assert match["list"] == "demo-list" and match["version"] == 1
    assert match["kind"] == "infohash_v1" and match["hash"] == infohash
    assert any("list demo-list v1: infohash_v1" in line for line in explain(db, infohash))


def test_flag_and_explain_commands(db):
    out = run_cli("flag", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "no longer matching" in out.stdout
    infohash = _infohash(db, "Echo.Harbor.2020.720p")
    out = run_cli("explain", infohash, "--db", str(db))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Echo.Harbor.2020.720p" in text and "category film" in text
    assert "Rule disguise.double-extension v2 (critical):" in text
    assert "— because" in text and "Echo.Harbor.2020.720p.avi.exe" in text
    photos = run_cli("explain", _infohash(db, "Holiday.Photos.2024"), "--db", str(db))
    assert "Holiday_<U+202E>gpj.scr" in photos.stdout  # the mark shown, never obeyed
    honest = run_cli("explain", _infohash(db, "Pixel.Dungeon.v1.4.2.PC.GOG"), "--db", str(db))
    assert honest.returncode == 0 and "No active flags." in honest.stdout


def test_explain_unknown_infohash(db):
    with pytest.raises(TorrentNotFound):
        explain(db, "0" * 40)
    out = run_cli("explain", "0" * 40, "--db", str(db))
    assert out.returncode == 1 and "torrent.not_found" in out.stderr


def test_a_failing_flag_run_changes_nothing(db, tmp_path, monkeypatch):
    import torrentwatch.flag as evaluate
    from common.errors import WarehouseError

    flag(db)
    before = _flags(db)
    pack = _pack(tmp_path, OVERRIDE.format(version=3, final="scr"))
    monkeypatch.setattr(evaluate, "UNMATCHED_SQL", "UPDATE flags SET nope = 1")
    with pytest.raises(WarehouseError, match="nothing changed"):
        flag(db, [pack])
    assert _flags(db) == before
    con = connect(db, read_only=True)
    statuses = con.execute("SELECT status FROM runs WHERE command = 'flag'").fetchall()
    con.close()
    assert sorted(s for (s,) in statuses) == ["completed", "failed"]


def test_shipped_known_list_pack_flags_a_torrent_on_any_list(db, tmp_path):
    """The shipped rule known.on-any-list raises nothing without lists (the demo has
    none) and, once a list is imported, flags the listed torrent with evidence naming
    the list and its version."""
    flag(db)
    assert not [k for k in _flags(db) if k[1] == "known.on-any-list"]
    name = "Robot.Castle.PS3-TESTREL"
    infohash = _infohash(db, name)
    listed = tmp_path / "hotline.txt"
    listed.write_text(f"# benign test list\n{infohash}\n", encoding="utf-8")
    hashlist_import(listed, db, name="hotline-demo", source="test")
    hashlist_import(listed, db, name="hotline-demo", source="test")  # version 2
    flag(db)
    flags = _flags(db)
    assert [k for k in flags if k[1] == "known.on-any-list"] == [(name, "known.on-any-list")]
    row = flags[(name, "known.on-any-list")]
    assert row["level"] == "high" and row["active"]
    (fact,) = json.loads(row["ev"])["facts"]
    (match,) = fact["values"]["matches"]
    assert match["list"] == "hotline-demo" and match["version"] == 2
    assert match["kind"] == "infohash_v1" and match["hash"] == infohash
    assert any("list hotline-demo v2: infohash_v1" in line for line in explain(db, infohash))


def test_two_pass_run_stores_exactly_what_flag_sql_gives(db):
    """The flag run computes evidence over tables cut down to the candidates; every
    stored flag must carry the evidence and score the one-query twin gives over the
    whole warehouse, and no more or fewer flags."""
    from rules.compile import score_sql
    from rules.fuzzy import prepare
    from rules.ruleset import load_packs

    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "watch-titles.yaml"
    flag(db, [example])
    rules = list(load_packs([example]).rules.values())
    con = connect(db)
    try:
        stored = {
            (h, r): (ev, score)
            for h, r, ev, score in con.execute(
                "SELECT infohash, rule_id, evidence::VARCHAR, score FROM flags WHERE active"
            ).fetchall()
        }
        prepare(con, rules)
        direct = {}
        for rule in rules:
            query = (
                f"SELECT m.infohash, m.evidence::VARCHAR, {score_sql(rule)}"
                f" FROM ({flag_sql(rule)}) m JOIN torrents t USING (infohash)"
            )
            for infohash, evidence, score in con.execute(query).fetchall():
                direct[infohash, rule.id] = (evidence, score)
    finally:
        con.close()
    assert len(stored) >= len(DISGUISED)
    assert stored == direct
