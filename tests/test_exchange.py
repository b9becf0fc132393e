"""The list-exchange format, round trip between two warehouses: hotline A exports its
confirmed torrents, hotline B imports the file with `hashlist import` as a versioned list
with A's provenance, and B's own sighting of the torrent matches it."""

from __future__ import annotations

import json

import pytest

from common.errors import ExchangeInvalid, ExportInvalid
from parsers.hashlist import parse_hash_list
from tests.cli_runner import run_cli
from tests.indicator_warehouse import CONSOLE_RULE, NAMES, PATHS, T, at, build
from tests.warehouse_rows import query_rows
from torrentwatch.exchange import exchange_export
from torrentwatch.hashlist import hashlist_import
from warehouse.db import connect


@pytest.fixture
def two(tmp_path):
    a = build(tmp_path / "a.duckdb")
    b = tmp_path / "b.duckdb"
    con = connect(b, create=True)
    try:  # B has seen torrent A too (and nothing else)
        con.execute(
            "INSERT INTO torrents (infohash, infohash_v1, has_metadata, name, first_seen, "
            "last_seen) VALUES (?, ?, true, 'Kart.Racer.PS2.PAL-GRP', ?, ?)",
            [T["A"], T["A"], at(20), at(20)],
        )
    finally:
        con.close()
    return a, b, tmp_path


def test_round_trip_between_two_warehouses(two):
    a, b, tmp = two
    sent = exchange_export(a, tmp / "a.list", issuer="hotline-a", list_name="a-confirmed")
    assert (sent.torrents, sent.entries) == (1, 1)  # only A is confirmed (C was dismissed)
    done = hashlist_import(tmp / "a.list", b, name="from-a")
    assert (done.summary.version, done.summary.entries, done.summary.format) == (1, 1, "exchange")
    assert done.provenance == json.loads(
        query_rows(b, "SELECT provenance FROM hash_lists WHERE name = 'from-a'")[0][0]
    )
    prov = done.provenance
    assert prov["issuer"] == "hotline-a" and prov["list"] == "a-confirmed"
    assert prov["batch"] == sent.batch and len(sent.batch) == 32
    assert prov["rule_versions"] == {CONSOLE_RULE: 1}
    assert prov["list_versions"] == {"partner": 2}
    assert prov["time_window"]["decisions_from"] == "2026-01-08T16:00:00+00:00"
    assert prov["time_window"]["seen_to"] == "2026-01-27T16:00:00+00:00"
    assert query_rows(b, "SELECT source, format FROM hash_lists") == [("hotline-a", "exchange")]
    # B's sighting of A is on the list now; the label names the rule, never the torrent.
    assert query_rows(b, "SELECT infohash, list_name, label FROM torrent_hash_list_matches") == [
        (T["A"], "from-a", CONSOLE_RULE)
    ]
    text = (tmp / "a.list").read_text("utf-8")
    for key in "ABCDE":
        assert NAMES[key] not in text and PATHS[key] not in text
    for gone in "BCDE":
        assert T[gone] not in text


def test_the_same_state_gives_the_same_bytes_and_a_new_confirmation_a_new_version(two):
    a, b, tmp = two
    exchange_export(a, tmp / "1.list", issuer="hotline-a")
    exchange_export(a, tmp / "2.list", issuer="hotline-a")
    assert (tmp / "1.list").read_bytes() == (tmp / "2.list").read_bytes()
    hashlist_import(tmp / "1.list", b, name="from-a")
    con = connect(a)
    try:  # D is flagged and nobody decided yet: A confirms it
        con.execute(
            "INSERT INTO reviews VALUES ('r9', 9, ?, 'confirm', 'other', NULL, 'analyst1', ?, ?)",
            [T["D"], at(28), json.dumps({CONSOLE_RULE: {"version": 2}})],
        )
    finally:
        con.close()
    third = exchange_export(a, tmp / "3.list", issuer="hotline-a")
    assert third.torrents == 2 and third.provenance["rule_versions"] == {CONSOLE_RULE: 2}
    again = hashlist_import(tmp / "3.list", b, name="from-a")
    assert again.summary.version == 2 and again.provenance["batch"] == third.batch
    assert sorted(r[0] for r in query_rows(b, "SELECT hash FROM hash_list_latest_entries")) == [
        T["A"], T["D"]
    ]  # fmt: skip
    # A window of decisions picks the torrents decided in it.
    only_d = exchange_export(a, tmp / "4.list", issuer="hotline-a", since="2026-01-20")
    assert only_d.torrents == 1 and only_d.provenance["time_window"]["since"] == "2026-01-20"


def test_a_reader_that_skips_comments_still_reads_the_entries(two):
    a, _, tmp = two
    exchange_export(a, tmp / "a.list", issuer="hotline-a")
    parsed = parse_hash_list((tmp / "a.list").read_bytes(), source_ref="a.list", fmt="csv")
    assert [(e.kind, e.hash) for e in parsed.entries] == [("infohash_v1", T["A"])]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t + T["B"] + ",infohash_v1,x\n", "cut short or edited"),
        (lambda t: t.rsplit("\n", 2)[0] + "\n", "cut short or edited"),
        (lambda t: t.replace("list-exchange/1", "list-exchange/9", 1), "not a version"),
        (lambda t: t.replace('"issuer":"hotline-a",', "", 1), "no 'issuer'"),
        (lambda t: t.replace('"entries":1', '"entries":"1"', 1), "must be a JSON int"),
        (lambda t: t.replace("{", "[", 1), "not JSON"),
    ],
)
def test_a_damaged_file_is_refused_and_nothing_is_stored(two, change, words):
    a, b, tmp = two
    exchange_export(a, tmp / "a.list", issuer="hotline-a")
    bad = tmp / "bad.list"
    bad.write_text(change((tmp / "a.list").read_text("utf-8")), "utf-8")
    with pytest.raises(ExchangeInvalid, match=words):
        hashlist_import(bad, b, name="from-a")
    assert query_rows(b, "SELECT count(*) FROM hash_lists") == [(0,)]


def test_bad_issuer_is_named(two):
    a, _, tmp = two
    with pytest.raises(ExportInvalid, match="--issuer"):
        exchange_export(a, tmp / "x", issuer="no spaces")


def test_cli_round_trip(two):
    a, b, tmp = two
    out = run_cli("hashlist", "export", "--issuer", "hotline-a", "--out", tmp / "c.list", "--db", a)
    assert out.returncode == 0 and "1 confirmed torrents" in out.stdout
    got = run_cli("hashlist", "import", tmp / "c.list", "--name", "from-a", "--db", b)
    assert got.returncode == 0, got.stderr
    assert "from hotline-a (list hotline-a, batch" in got.stdout
