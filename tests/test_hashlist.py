"""Known-hash lists: the formats (YAML cases), libtorrent parity for base32, versions,
rejected lines stored with their numbers, files with nothing usable, the match view
over ingested torrents, and the CLI end to end. Every hash here is made up or comes
from a benign synthetic torrent."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import libtorrent as lt
import pyarrow as pa
import pytest
from cli_runner import run_cli
from torrent_fixtures import libtorrent_torrent, load_cases, write_tree
from warehouse_rows import query_rows

from common.errors import (
    HashListAllRejected,
    HashListEmpty,
    HashListError,
    HashListNameInvalid,
    HashListNotText,
    HashListUnreadable,
    WarehouseError,
)
from parsers.hashlist import LIST_NAME_PATTERN, MAX_LINE_BYTES, PREVIEW_CHARS, parse_hash_list
from parsers.reasons import REASONS
from torrentwatch.hashlist import check_name, hashlist_import, hashlist_list
from torrentwatch.ingest import ingest
from torrentwatch.synth import synthetic_specs
from warehouse.db import connect
from warehouse.hashlists import ListVersion, load_list_version, rejects_table

V1 = "0123456789abcdef0123456789abcdef01234567"
V1_OTHER = "6162636465666768696a6b6c6d6e6f7071727374"
V2 = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An existing, empty warehouse: `hashlist import` needs one (it creates none)."""
    path = tmp_path / "warehouse.duckdb"
    connect(path, create=True).close()
    return path


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


# --- the parser, from the YAML cases -------------------------------------------------


@pytest.mark.parametrize("case", load_cases("hashlists.yaml"))
def test_case(case: dict[str, Any]) -> None:
    text = case["text"]
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    fmt = case.get("format", "auto")
    if "error" in case:
        with pytest.raises(HashListError) as caught:
            parse_hash_list(data, source_ref=case["file"], fmt=fmt)
        assert caught.value.code == case["error"]
        assert case["file"] in str(caught.value)
        return
    parsed = parse_hash_list(data, source_ref=case["file"], fmt=fmt)
    got = [[e.kind, e.hash, e.label, e.line] for e in parsed.entries]
    assert got == case.get("entries", [])
    assert [[r.line, r.reason] for r in parsed.rejects] == case.get("rejects", [])
    assert parsed.duplicates == case.get("duplicates", 0)
    if "read_as" in case:
        assert parsed.format == case["read_as"]
    for reject in parsed.rejects:
        assert reject.reason in REASONS and reject.detail


def test_base32_reads_as_libtorrent_reads_it() -> None:
    for i in range(50):
        digest = hashlib.sha1(f"benign-{i}".encode()).digest()
        b32 = base64.b32encode(digest).decode()
        for form in (b32, b32.lower()):
            (entry,) = parse_hash_list(form.encode(), source_ref="l.txt").entries
            theirs = lt.parse_magnet_uri(f"magnet:?xt=urn:btih:{form}").info_hashes.v1
            assert entry.hash == str(theirs) == digest.hex()


def test_hybrid_magnet_agrees_with_libtorrent() -> None:
    uri = f"magnet:?xt=urn:btih:{V1}&xt=urn:btmh:1220{V2}&dn=Demo"
    entries = parse_hash_list(uri.encode(), source_ref="l.txt").entries
    hashes = lt.parse_magnet_uri(uri).info_hashes
    assert [(e.kind, e.hash) for e in entries] == [
        ("infohash_v1", str(hashes.v1)),
        ("infohash_v2", hashes.v2.to_bytes().hex()),
    ]


def test_a_rejected_line_is_shown_safely_and_identified_by_its_hash() -> None:
    huge = b"a" * (10 * 1024 * 1024)
    sneaky = "0123\u202egnp.exe".encode()
    data = b"\n".join([V1.encode(), huge, sneaky, b"x" * 500]) + b"\n"
    parsed = parse_hash_list(data, source_ref="l.txt")
    by_line = {r.line: r for r in parsed.rejects}
    assert by_line[2].reason == "hashlist.line_too_long"
    assert str(MAX_LINE_BYTES) in by_line[2].detail
    assert by_line[2].sha256 == hashlib.sha256(huge).hexdigest()
    assert len(by_line[2].text) <= PREVIEW_CHARS + 3
    assert "\u202e" not in by_line[3].text and "<U+202E>" in by_line[3].text
    assert "\u202e" not in by_line[3].detail
    assert by_line[4].text.endswith("...")


# --- importing into the warehouse ----------------------------------------------------


def test_import_stores_a_version_with_provenance(tmp_path, db_path) -> None:
    path = _write(tmp_path, "list.txt", f"# test-list\n{V1}\n{V1.upper()}\nzz\n{V2}\n")
    done = hashlist_import(path, db_path, name="test-list", source="demo-hotline-sample")
    summary = done.summary
    assert (summary.version, summary.entries, summary.duplicates) == (1, 2, 1)
    assert summary.by_kind == {"infohash_v1": 1, "infohash_v2": 1, "pieces_root": 0}
    assert [(r.line, r.reason) for r in done.rejects] == [(4, "hashlist.invalid")]
    (row,) = query_rows(
        db_path,
        "SELECT name, version, source, file_path, sha256, format, lines, entries, duplicates,"
        " rejected_lines, loaded_at IS NOT NULL, run_id FROM hash_lists",
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert row[:-1] == (
        "test-list", 1, "demo-hotline-sample", str(path.resolve()), digest, "text", 5, 2, 1, 1,
        True,
    )  # fmt: skip
    assert row[-1] == done.run_id
    columns = "command, status, items_read, rejected, detail"
    run = f"SELECT {columns} FROM runs WHERE run_id = '{row[-1]}'"
    ((command, status, items_read, rejected, detail),) = query_rows(db_path, run)
    assert (command, status, items_read, rejected) == ("hashlist import", "completed", 4, 1)
    # What the CLI, the DAG's XCom and runs.detail all carry, key for key.
    assert summary.as_dict() == json.loads(detail) == {
        "name": "test-list", "version": 1, "file_path": str(path.resolve()), "sha256": digest,
        "format": "text", "entries": 2,
        "by_kind": {"infohash_v1": 1, "infohash_v2": 1, "pieces_root": 0}, "duplicates": 1,
        "rejected_lines": 1, "rejected": {"hashlist.invalid": 1}, "unchanged": False,
    }  # fmt: skip
    assert query_rows(
        db_path, "SELECT kind, hash, line_number FROM hash_list_entries ORDER BY line_number"
    ) == [("infohash_v1", V1, 2), ("infohash_v2", V2, 5)]


def test_a_second_import_is_version_2_and_keeps_version_1(tmp_path, db_path) -> None:
    first = _write(tmp_path, "v1.txt", f"{V1}\n{V1_OTHER}\n")
    second = _write(tmp_path, "v2.csv", f"hash,label\n{V1_OTHER},still listed\n{V2},new\n")
    assert hashlist_import(first, db_path, name="test-list").summary.version == 1
    assert hashlist_import(second, db_path, name="test-list", source="update").summary.version == 2
    assert hashlist_import(first, db_path, name="other-list").summary.version == 1
    versions = query_rows(
        db_path,
        "SELECT list_version, hash FROM hash_list_entries WHERE list_name = 'test-list'"
        " ORDER BY 1, 2",
    )
    assert versions == [(1, V1), (1, V1_OTHER), (2, V1_OTHER), (2, V2)]
    latest = query_rows(
        db_path,
        "SELECT list_name, list_version, hash, label FROM hash_list_latest_entries ORDER BY 1, 3",
    )
    assert latest == [
        ("other-list", 1, V1, None),
        ("other-list", 1, V1_OTHER, None),
        ("test-list", 2, V1_OTHER, "still listed"),
        ("test-list", 2, V2, "new"),
    ]
    listed = hashlist_list(db_path).to_pylist()
    assert [(r["name"], r["latest_version"], r["versions"], r["entries"]) for r in listed] == [
        ("other-list", 1, 1, 2),
        ("test-list", 2, 2, 2),
    ]
    assert listed[1]["source"] == "update" and listed[1]["format"] == "csv"
    assert (listed[1]["infohash_v1"], listed[1]["infohash_v2"]) == (1, 1)


def test_malformed_lines_are_stored_with_their_line_numbers(tmp_path, db_path) -> None:
    huge = b"f" * (10 * 1024 * 1024)
    lines = [
        V1.encode(),  # 1
        V1[:-1].encode(),  # 2: wrong length
        (V1[:-1] + "g").encode(),  # 3: not hex
        b"!!garbage!!",  # 4
        huge,  # 5: 10 MB
        b"",  # 6: blank
        b"caf\xe9",  # 7: not UTF-8
        V2.encode(),  # 8
    ]
    path = _write(tmp_path, "mixed.txt", b"\n".join(lines) + b"\n")
    summary = hashlist_import(path, db_path, name="test-list").summary
    assert summary.entries == 2
    stored = query_rows(
        db_path,
        "SELECT list_name, list_version, line_number, reason, line_sha256, length(line_text)"
        " FROM hash_list_rejects ORDER BY line_number",
    )
    assert [(r[2], r[3]) for r in stored] == [
        (2, "hashlist.bad_length"),
        (3, "hashlist.not_hex"),
        (4, "hashlist.invalid"),
        (5, "hashlist.line_too_long"),
        (7, "input.not_utf8"),
    ]
    assert all(r[:2] == ("test-list", 1) for r in stored)
    assert stored[3][4] == hashlib.sha256(huge).hexdigest() and stored[3][5] <= 203
    assert query_rows(db_path, "SELECT line_text FROM hash_list_rejects WHERE line_number = 7") == [
        ("caf\\xe9",)
    ]
    assert query_rows(db_path, "SELECT rejected_lines FROM hash_lists") == [(5,)]


def test_csv_with_a_wrong_column_count_is_reported_by_line(tmp_path, db_path) -> None:
    path = _write(tmp_path, "l.csv", f"hash,kind,label\n{V1},,a\n{V1_OTHER},b\n{V2},,c,d\n")
    summary = hashlist_import(path, db_path, name="test-list").summary
    assert summary.entries == 1
    assert query_rows(db_path, "SELECT line_number, reason, detail FROM hash_list_rejects") == [
        (3, "hashlist.csv_columns", "2 columns where the file has 3"),
        (4, "hashlist.csv_columns", "4 columns where the file has 3"),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", HashListEmpty),
        (b"# only a comment\n\n", HashListEmpty),
        (b"zz\nnot-a-hash\n", HashListAllRejected),
        ("0123".encode("utf-16"), HashListNotText),
    ],
    ids=["empty", "comments-only", "all-bad", "utf16"],
)
def test_a_file_with_nothing_usable_is_an_error_and_loads_nothing(
    tmp_path, db_path, data, error
) -> None:
    hashlist_import(_write(tmp_path, "good.txt", f"{V1}\n"), db_path, name="test-list")
    path = _write(tmp_path, "bad.txt", data)
    with pytest.raises(error) as caught:
        hashlist_import(path, db_path, name="test-list")
    assert str(path) in str(caught.value)
    assert query_rows(db_path, "SELECT count(*) FROM hash_lists") == [(1,)]
    assert query_rows(db_path, "SELECT count(*) FROM hash_list_rejects") == [(0,)]


def test_all_bad_error_lists_the_lines() -> None:
    with pytest.raises(HashListAllRejected) as caught:
        parse_hash_list(b"zz\n\n" + b"0" * 39 + b"\n", source_ref="allbad.txt")
    message = str(caught.value)
    assert "line 1 hashlist.invalid" in message and "line 3 hashlist.bad_length" in message
    assert [r.line for r in caught.value.rejects] == [1, 3]


def test_bad_names_and_missing_files_are_clear_errors(tmp_path) -> None:
    db_path = tmp_path / "none.duckdb"
    path = _write(tmp_path, "l.txt", f"{V1}\n")
    for name in ("", "has space", "x" * 65, "-leading", "semi;colon"):
        with pytest.raises(HashListNameInvalid):
            hashlist_import(path, db_path, name=name)
    with pytest.raises(HashListUnreadable, match=r"missing\.txt"):
        hashlist_import(tmp_path / "missing.txt", db_path, name="test-list")
    with pytest.raises(HashListError) as caught:
        hashlist_import(path, db_path, name="test-list", fmt="xml")
    assert caught.value.code == "hashlist.format_unknown"
    assert not db_path.exists()


def test_a_failing_load_leaves_no_version(db_path) -> None:
    con = connect(db_path, create=True)
    row = ListVersion("test-list", None, "/x", "0" * 64, "text", _now(), 1, 0, None)
    broken = pa.table({"kind": ["infohash_v1"], "hash": [V1]})  # no label, no line_number
    with pytest.raises(WarehouseError, match="rolled back"):
        load_list_version(con, row, broken, rejects_table([]))
    assert con.execute("SELECT count(*) FROM hash_lists").fetchone() == (0,)
    con.close()


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


# --- matching ingested torrents -------------------------------------------------------


def test_match_view_finds_ingested_torrents_and_files(tmp_path, db_path, torrent_writer):
    torrent_writer(tmp_path / "in", list(synthetic_specs(5, files_per_torrent=3)))
    target = write_tree(tmp_path / "tree", {"Ocean.Demo/clip.bin": 40_000, "Ocean.Demo/a.txt": 9})
    (tmp_path / "in" / "hybrid.torrent").write_bytes(libtorrent_torrent(target, "hybrid"))
    ingest([tmp_path / "in"], db_path, workers=1)
    v1_plain, hybrid_v2, (root_hash, root_torrent, root_index, root_path) = (
        query_rows(db_path, "SELECT infohash FROM torrents WHERE infohash_v2 IS NULL LIMIT 1")[0][
            0
        ],
        query_rows(db_path, "SELECT infohash_v2 FROM torrents WHERE infohash_v2 IS NOT NULL")[0][0],
        query_rows(
            db_path,
            "SELECT pieces_root, infohash, file_index, path FROM files"
            " WHERE pieces_root IS NOT NULL ORDER BY size DESC LIMIT 1",
        )[0],
    )
    b32 = base64.b32encode(bytes.fromhex(v1_plain)).decode()
    path = _write(
        tmp_path,
        "known.csv",
        f"hash,kind,label\n{b32},,by base32\n{hybrid_v2.upper()},infohash_v2,by v2\n"
        f"{root_hash},pieces_root,by file\n{V1},,not ingested\n",
    )
    hashlist_import(path, db_path, name="demo-hotline-sample")
    matches = query_rows(
        db_path,
        "SELECT infohash, list_name, list_version, kind, label, file_index, path"
        " FROM torrent_hash_list_matches ORDER BY kind",
    )
    hybrid = query_rows(db_path, f"SELECT infohash FROM torrents WHERE infohash_v2 = '{hybrid_v2}'")
    assert matches == [
        (v1_plain, "demo-hotline-sample", 1, "infohash_v1", "by base32", None, None),
        (hybrid[0][0], "demo-hotline-sample", 1, "infohash_v2", "by v2", None, None),
        (root_torrent, "demo-hotline-sample", 1, "pieces_root", "by file", root_index, root_path),
    ]
    # A newer version without those hashes stops the matches; version 1 stays stored.
    hashlist_import(_write(tmp_path, "next.txt", f"{V1}\n"), db_path, name="demo-hotline-sample")
    assert query_rows(db_path, "SELECT count(*) FROM torrent_hash_list_matches") == [(0,)]
    assert query_rows(db_path, "SELECT count(*) FROM hash_list_entries WHERE list_version = 1") == [
        (4,)
    ]


# --- the CLI ------------------------------------------------------------------------


def test_cli_import_and_list(tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    connect(db, create=True).close()
    path = _write(tmp_path, "list.txt", f"{V1}\nzz\n{V1}\nmagnet:?xt=urn:btmh:1220{V2}\n")
    out = run_cli("hashlist", "import", str(path), "--name", "test-list", "--db", str(db),
               "--source", "demo-hotline-sample")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "list test-list version 1" in out.stdout
    assert "2 entries" in out.stdout and "1 duplicates" in out.stdout
    assert "line 2 hashlist.invalid" in out.stdout
    again = run_cli("hashlist", "import", str(path), "--name", "test-list", "--db", str(db))
    assert "version 2" in again.stdout
    listed = run_cli("hashlist", "list", "--db", str(db))
    assert listed.returncode == 0 and "test-list" in listed.stdout
    matches = run_cli("sql", "SELECT count(*) AS n FROM torrent_hash_list_matches", "--db", str(db),
                   "--format", "csv")  # fmt: skip
    assert matches.stdout.splitlines() == ["n", "0"]


def test_cli_refuses_a_file_with_nothing_usable(tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    connect(db, create=True).close()
    path = _write(tmp_path, "allbad.txt", "zz\nyy\n")
    out = run_cli("hashlist", "import", str(path), "--name", "test-list", "--db", str(db))
    assert out.returncode == 1
    assert "hashlist.all_rejected" in out.stderr and "allbad.txt" in out.stderr
    assert "line 1" in out.stderr and "Traceback" not in out.stderr
    usage = run_cli("hashlist", "import", str(path), "--db", str(db))  # no --name
    assert usage.returncode == 2 and "--name" in usage.stderr
    assert "Traceback" not in usage.stderr
    empty = run_cli("hashlist", "list", "--db", str(tmp_path / "none.duckdb"))
    assert empty.returncode == 1 and "none.duckdb" in empty.stderr


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("hotline-sample", True),
        ("v2.list_01", True),
        ("a" * 64, True),
        ("a" * 65, False),  # rule packs took it before, the import never did
        ("-dash-first", False),  # likewise
        ("has space", False),
    ],
)
def test_imports_and_rule_packs_hold_list_names_to_one_pattern(name, ok):
    from rules import values

    assert values.LIST_NAME_PATTERN is LIST_NAME_PATTERN
    assert (re.match(values.LIST_NAME_PATTERN, name) is not None) == ok
    if ok:
        assert check_name(name) == name
    else:
        with pytest.raises(HashListNameInvalid):
            check_name(name)
