"""Exports: incremental per target, byte-identical re-runs, manifests that catch one
changed byte, names that cannot run as formulas or reorder text, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_runner import run_cli
from warehouse_copies import twin_warehouse

from common.errors import ExportInvalid, ExportWriteFailed, ManifestInvalid, WarehouseError
from torrentwatch.export import export, export_verify
from torrentwatch.export_files import write_atomic
from torrentwatch.export_items import COLUMNS, SCHEMA_VERSION
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.render import FORMULA_START, neutralise
from torrentwatch.review import review_bulk, review_decide, review_queue
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
FORMATS = ["csv", "jsonl", "parquet"]


@pytest.fixture
def db(flagged_demo: Path) -> Path:
    return flagged_demo


def _queue(db: Path) -> list[str]:
    return [row["infohash"] for row in review_queue(db).to_pylist()]


def _confirm(db: Path, infohash: str, analyst: str = "ana") -> None:
    review_decide(db, infohash, decision="confirm", rationale="disguised-payload", analyst=analyst)


def _count(db: Path, sql: str) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_only_confirmed_and_incremental_per_target(db, tmp_path):
    out = tmp_path / "out"
    assert export(db, target="hotline-a", fmt="jsonl", out_dir=out).batch_id is None
    queue = _queue(db)
    _confirm(db, queue[0])
    _confirm(db, queue[1])
    review_decide(db, queue[2], decision="dismiss", rationale="honest-release", analyst="ana")
    review_decide(db, queue[3], decision="escalate", rationale="legal-review", analyst="ana")
    first = export(db, target="hotline-a", fmt="jsonl", out_dir=out)
    rows = _jsonl(first.file)
    assert sorted(r["infohash"] for r in rows) == sorted(queue[:2])
    assert {r["batch_id"] for r in rows} == {first.batch_id}
    assert {r["schema_version"] for r in rows} == {SCHEMA_VERSION}
    assert all(list(r) == [name for name, _ in COLUMNS] for r in rows)
    # A second run has nothing new: no batch, no files.
    files_before = sorted(out.iterdir())
    again = export(db, target="hotline-a", fmt="jsonl", out_dir=out)
    assert (again.batch_id, again.items, again.file) == (None, 0, None)
    assert sorted(out.iterdir()) == files_before
    # Confirming again on unchanged evidence sends nothing; a new confirmation only itself.
    _confirm(db, queue[0], analyst="bob")
    assert export(db, target="hotline-a", fmt="jsonl", out_dir=out).batch_id is None
    _confirm(db, queue[4])
    third = export(db, target="hotline-a", fmt="jsonl", out_dir=out)
    assert [r["infohash"] for r in _jsonl(third.file)] == [queue[4]]
    # Another target has received nothing yet; escalated only on request.
    other = export(db, target="hotline-b", fmt="jsonl", out_dir=out, escalated=True)
    assert other.items == 4
    assert _count(db, "SELECT count(*) FROM export_items WHERE target = 'hotline-a'") == 3
    assert _count(db, "SELECT count(*) FROM exports") == 3
    # An escalated torrent a target received goes out again once confirmed.
    _confirm(db, queue[3])
    update = export(db, target="hotline-b", fmt="jsonl", out_dir=out)
    (row,) = _jsonl(update.file)
    assert (row["infohash"], row["review_status"]) == (queue[3], "confirmed")
    assert export(db, target="hotline-b", fmt="jsonl", out_dir=out, escalated=True).items == 0
    with pytest.raises(WarehouseError):
        export(tmp_path / "typo.duckdb", target="hotline-a", out_dir=out)
    assert not (tmp_path / "typo.duckdb").exists()


def test_item_fields(db, tmp_path):
    queue = _queue(db)
    _confirm(db, queue[0])
    review_decide(db, queue[0], decision="confirm", rationale="disguised-payload", analyst="bob")
    (row,) = _jsonl(export(db, target="t", fmt="jsonl", out_dir=tmp_path).file)
    assert row["magnet"].startswith(f"magnet:?xt=urn:btih:{row['infohash_v1']}")
    assert row["total_size"] > 0 and row["file_count"] >= 1 and row["sightings"] >= 1
    assert [r["analyst"] for r in row["reviews"]] == ["ana", "bob"]
    assert row["decided_at"] == row["reviews"][-1]["decided_at"]
    assert row["first_seen"] <= row["last_seen"] and row["sources"][0]["source"] == "folder"
    assert row["rule_ids"] == sorted(e["rule_id"] for e in row["evidence"])
    for rule in row["evidence"]:
        assert {"rule_id", "rule_version", "level", "title", "facts", "matched_files"} <= set(rule)
        assert all("args" not in fact for fact in rule["facts"])
    assert "no content" in row["no_content_downloaded"]
    assert row["content_profile"]["kinds"] and row["content_summary"].startswith("claims")


def test_rerun_of_the_same_export_is_byte_identical(db, tmp_path):
    for infohash in _queue(db)[:3]:
        _confirm(db, infohash)
    twin = twin_warehouse(db, tmp_path / "twin")
    for fmt in FORMATS:
        first = export(db, target=f"t-{fmt}", fmt=fmt, out_dir=tmp_path / "a")
        data, manifest = first.file.read_bytes(), first.manifest.read_bytes()
        # The same items from an identical warehouse: same batch id, same bytes.
        other = export(twin, target=f"t-{fmt}", fmt=fmt, out_dir=tmp_path / "b")
        assert other.batch_id == first.batch_id
        assert (other.file.read_bytes(), other.manifest.read_bytes()) == (data, manifest)
        # Writing the recorded batch again, later, from its stored rows.
        first.file.unlink()
        rerun = export(db, target=None, fmt=fmt, out_dir=tmp_path / "a", batch=first.batch_id)
        assert rerun.rerun and rerun.file == first.file
        assert (rerun.file.read_bytes(), rerun.manifest.read_bytes()) == (data, manifest)
    with pytest.raises(ExportInvalid):
        export(db, target=None, fmt="csv", out_dir=tmp_path, batch="0" * 32)
    with pytest.raises(ExportInvalid):
        export(db, target=None, fmt="csv", out_dir=tmp_path, batch="../../etc")


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_catches_one_changed_byte(db, tmp_path, fmt):
    _confirm(db, _queue(db)[0])
    result = export(db, target="t", fmt=fmt, out_dir=tmp_path)
    assert export_verify(result.manifest).ok
    data = bytearray(result.file.read_bytes())
    middle = len(data) // 2
    data[middle] = data[middle] ^ 0x01
    result.file.write_bytes(bytes(data))
    report = export_verify(result.manifest)
    assert not report.ok
    assert any("sha256" in p for p in report.problems), report.problems
    result.file.unlink()
    assert any("missing" in p for p in export_verify(result.manifest).problems)


def test_verify_reports_every_mismatch_and_refuses_bad_manifests(db, tmp_path):
    _confirm(db, _queue(db)[0])
    result = export(db, target="t", fmt="csv", out_dir=tmp_path)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    manifest["files"][0]["rows"] = 7
    manifest["files"].append({"name": "../../etc/passwd", "sha256": "0", "bytes": 1, "rows": 0})
    manifest["files"].append({"name": result.file.name, "sha256": 5, "rows": "many"})
    manifest["files"].append(["not", "an", "entry"])
    manifest["batch_id"] = "f" * 32
    tampered = tmp_path / "tampered.manifest.json"
    tampered.write_text(json.dumps(manifest), encoding="utf-8")
    problems = export_verify(tampered).problems
    assert any("1 rows, manifest says 7" in p for p in problems)
    assert any("not a plain file name" in p for p in problems)
    assert any("batch_id other than" in p for p in problems)
    assert any("no valid sha256, bytes, rows" in p for p in problems)
    assert any("has no name" in p for p in problems)
    for text in ["", "not json", "[1, 2]", "[" * 100_000 + "]" * 100_000, '{"files": 3}']:
        bad = tmp_path / "bad.manifest.json"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ManifestInvalid):
            export_verify(bad)
    bad.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ManifestInvalid):
        export_verify(bad)
    with pytest.raises(ManifestInvalid):
        export_verify(tmp_path / "missing.manifest.json")


HOSTILE = {
    "formula": SynthTorrent(
        "=SUM(1+1)*cmd|'calc'!A0 Kart", (("Kart.Racer.avi.exe", 1_000_000),), multi_file=True
    ),
    "fullwidth": SynthTorrent("\uff1dSUM(1,1) Galaxy", (("clip.mp4.lnk", 2_000),), multi_file=True),
    "bidi": SynthTorrent(
        "Holiday\u202egpj.exe", (("photo\u202egnp.scr", 500_000),), multi_file=True
    ),
}


def test_hostile_names_come_out_harmless(db, tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    for key, spec in HOSTILE.items():
        (folder / f"{key}.torrent").write_bytes(encode(spec))
    ingest([folder], db, workers=1)
    flag(db)
    hostile = (
        "SELECT infohash FROM torrents WHERE name LIKE '%SUM(1%' OR name LIKE 'Holiday%gpj.exe'"
    )
    assert (
        review_bulk(
            db, hostile, decision="confirm", rationale="deceptive-name", analyst="ana", yes=True
        ).decided
        == 3
    )
    csv_out = export(db, target="csv", fmt="csv", out_dir=tmp_path / "o")
    jsonl_out = export(db, target="jsonl", fmt="jsonl", out_dir=tmp_path / "o")
    for path in (csv_out.file, jsonl_out.file):
        raw = path.read_bytes()
        assert "\u202e".encode() not in raw and b"\\u202e" not in raw.lower()
        assert b"<U+202E>" in raw
    records = list(csv.reader(io.StringIO(csv_out.file.read_text(encoding="utf-8"), newline="")))
    for record in records:
        for cell in record:
            assert not cell.lstrip(" \u3000")[:1] or cell.lstrip(" \u3000")[0] not in FORMULA_START
    names = {r[records[0].index("name")] for r in records[1:]}
    assert "'=SUM(1+1)*cmd|'calc'!A0 Kart" in names
    assert "'\uff1dSUM(1,1) Galaxy" in names
    assert "Holiday<U+202E>gpj.exe" in names
    rows = _jsonl(jsonl_out.file)
    assert {r["name"] for r in rows} == {
        "=SUM(1+1)*cmd|'calc'!A0 Kart",
        "\uff1dSUM(1,1) Galaxy",
        "Holiday<U+202E>gpj.exe",
    }
    bidi = next(r for r in rows if r["name"].startswith("Holiday"))
    paths = [f["path"] for e in bidi["evidence"] for f in e["matched_files"]]
    assert any("<U+202E>" in p for p in paths)
    assert export_verify(csv_out.manifest).ok and export_verify(jsonl_out.manifest).ok


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =1", "'  =1"),
        ("\uff20x", "'\uff20x"),
        ("\uff0bx", "'\uff0bx"),
        ("\uff0dx", "'\uff0dx"),
        ("Kart=Racer", "Kart=Racer"),
        ("", ""),
        ("magnet:?xt=urn:btih:00", "magnet:?xt=urn:btih:00"),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_evidence_never_carries_term_lists(db, tmp_path):
    flag(db, [EXAMPLES / "watch-titles.yaml"])
    query = "SELECT infohash FROM flags WHERE active AND rule_id = 'example.watch-titles'"
    assert (
        review_bulk(
            db, query, decision="confirm", rationale="other", analyst="ana", note="test", yes=True
        ).decided
        >= 1
    )
    result = export(db, target="t", fmt="jsonl", out_dir=tmp_path)
    raw = result.file.read_text(encoding="utf-8")
    assert "watch-titles.txt" not in raw and '"term"' not in raw and '"args"' not in raw
    fuzzy = [
        fact
        for row in _jsonl(result.file)
        for rule in row["evidence"]
        for fact in rule["facts"]
        if fact["predicate"] == "fuzzy_terms"
    ]
    assert fuzzy and all("token" in m for f in fuzzy for m in f["values"]["matches"])
    assert not re.search(rb"\b\d{1,3}(\.\d{1,3}){3}\b", result.file.read_bytes()), "no IPs"


def test_atomic_write_leaves_nothing_when_writing_fails(tmp_path):
    target = tmp_path / "out.csv"

    def failing():
        yield b"a,b\r\n" * 1000
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_atomic(target, failing())
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        write_atomic(target, failing())
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]
    write_atomic(target, [b"new"])
    assert target.read_bytes() == b"new" and list(tmp_path.iterdir()) == [target]


def test_failed_export_records_nothing_and_the_items_go_out_later(db, tmp_path):
    _confirm(db, _queue(db)[0])
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(ExportWriteFailed):
        export(db, target="t", fmt="parquet", out_dir=blocked / "sub")
    assert _count(db, "SELECT count(*) FROM export_items") == 0
    assert (
        _count(db, "SELECT count(*) FROM runs WHERE command = 'export' AND status = 'failed'") == 1
    )
    done = export(db, target="t", fmt="parquet", out_dir=tmp_path / "ok")
    assert done.items == 1
    table = pq.read_table(done.file)
    assert table.column_names == [name for name, _ in COLUMNS]
    assert table.schema.metadata[b"batch_id"] == done.batch_id.encode()


@pytest.mark.parametrize("target", ["", "../x", "a/b", ".hidden", "x" * 65, "t\u202e"])
def test_bad_target_names_are_refused(db, tmp_path, target):
    with pytest.raises(ExportInvalid):
        export(db, target=target, fmt="csv", out_dir=tmp_path)
    with pytest.raises(ExportInvalid):
        export(db, target="ok", fmt="xlsx", out_dir=tmp_path)


def test_cli_export_and_verify(db, tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("export", *args)

    _confirm(db, _queue(db)[0])
    out = tmp_path / "cli"
    made = run("--target", "hl", "--format", "csv", "--out", str(out), "--db", str(db))
    assert made.returncode == 0 and "1 item(s)" in made.stdout, made.stderr
    (manifest,) = out.glob("*.manifest.json")
    assert run("verify", str(manifest)).returncode == 0
    nothing = run("--target", "hl", "--out", str(out), "--db", str(db))
    assert "nothing new" in nothing.stdout
    (data,) = out.glob("*.csv")
    data.write_bytes(data.read_bytes().replace(b"confirmed", b"Confirmed", 1))
    failed = run("verify", str(manifest))
    assert failed.returncode == 1 and "MISMATCH" in failed.stdout
    assert "export.verify_failed" in failed.stderr
