"""One torrent, one row: a hybrid torrent seen by its v1 hash, its v2 hash or both,
in any order, in one batch or across loads (issue 11, item 8).

Each test ingests the sightings in the order its name says and checks the row's key
(the hash first seen), its hashes, its metadata and files, and that every sighting,
file and flag ends on that one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libtorrent as lt
import pytest
from torrent_fixtures import libtorrent_torrent, write_tree

from torrentwatch.hashlist import hashlist_import
from torrentwatch.ingest import IngestSummary, ingest
from torrentwatch.review import review_decide, review_show
from warehouse.db import connect

OTHER_V2 = "ab" * 32


@dataclass(frozen=True)
class Hybrid:
    data: bytes
    v1: str
    v2: str

    @property
    def btih(self) -> str:
        return f"magnet:?xt=urn:btih:{self.v1}&dn=Ocean.Summer.v1"

    @property
    def btmh(self) -> str:
        return f"magnet:?xt=urn:btmh:1220{self.v2}&dn=Ocean.Summer.v2"

    @property
    def both(self) -> str:
        return f"magnet:?xt=urn:btih:{self.v1}&xt=urn:btmh:1220{self.v2}&dn=Ocean.Summer"


def _made(tmp_path: Path, kind: str, name: str) -> Hybrid:
    files = {f"{name}/clip.bin": 40_000, f"{name}/notes.txt": 900}
    data = libtorrent_torrent(write_tree(tmp_path / f"tree-{kind}", files), kind)
    hashes = lt.torrent_info(data).info_hashes()
    v1 = str(hashes.v1) if hashes.has_v1() else ""
    v2 = str(hashes.v2) if hashes.has_v2() else ""
    return Hybrid(data, v1, v2)


@pytest.fixture
def hybrid(tmp_path: Path) -> Hybrid:
    return _made(tmp_path, "hybrid", "Ocean.Summer")


class Warehouse:
    """A warehouse fed one folder per step, so every step is its own load."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "w.duckdb"
        self.steps = 0

    def feed(self, *inputs: bytes | str, chunk_size: int = 1000) -> IngestSummary:
        """Ingest ``inputs`` (torrent bytes, magnet lines) together, in one load
        (``chunk_size`` 1: one parsed batch per input, merged for the load if they
        share no torrent)."""
        self.steps += 1
        folder = self.root / f"step{self.steps}"
        folder.mkdir()
        for i, item in enumerate(inputs):
            if isinstance(item, bytes):
                (folder / f"{i}.torrent").write_bytes(item)
            else:
                (folder / f"{i}.magnets").write_text(item + "\n")
        summary = ingest([folder], self.db, workers=1, chunk_size=chunk_size)
        assert summary.items_read == len(inputs)
        return summary

    def rows(self, sql: str) -> list[tuple]:
        con = connect(self.db, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def torrents(self) -> list[tuple]:
        return self.rows(
            "SELECT infohash, infohash_v1, infohash_v2, has_metadata FROM torrents ORDER BY 1"
        )

    def owners(self, table: str) -> dict[str, int]:
        return dict(self.rows(f"SELECT infohash, count(*) FROM {table} GROUP BY 1"))


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


def _one_row(w: Warehouse, key: str, v1: str | None, v2: str | None, sightings: int) -> None:
    assert w.torrents() == [(key, v1, v2, True)]
    assert w.owners("observations") == {key: sightings}
    assert w.owners("files WHERE NOT is_pad") == {key: 2}
    assert w.rows("SELECT file_count, name FROM torrents") == [(2, "Ocean.Summer")]


def test_btmh_magnet_then_hybrid_torrent(warehouse: Warehouse, hybrid: Hybrid) -> None:
    warehouse.feed(hybrid.btmh)
    warehouse.feed(hybrid.data)
    _one_row(warehouse, hybrid.v2, hybrid.v1, hybrid.v2, sightings=2)


def test_hybrid_torrent_then_btmh_magnet(warehouse: Warehouse, hybrid: Hybrid) -> None:
    warehouse.feed(hybrid.data)
    warehouse.feed(hybrid.btmh)
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=2)


def test_v1_magnet_then_hybrid_magnet_fills_the_v2_hash(
    warehouse: Warehouse, hybrid: Hybrid
) -> None:
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.both)
    assert warehouse.torrents() == [(hybrid.v1, hybrid.v1, hybrid.v2, False)]
    assert warehouse.owners("observations") == {hybrid.v1: 2}
    warehouse.feed(hybrid.data)  # and the torrent's metadata later lands on that row
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=3)


def test_a_v2_hash_list_matches_after_the_hash_was_filled(
    tmp_path: Path, warehouse: Warehouse, hybrid: Hybrid
) -> None:
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.both)
    listed = tmp_path / "known.txt"
    listed.write_text(f"{hybrid.v2}\n")
    hashlist_import(listed, warehouse.db, name="v2-sample")
    assert warehouse.rows("SELECT infohash, kind FROM torrent_hash_list_matches") == [
        (hybrid.v1, "infohash_v2")
    ]


def test_hybrid_magnet_then_v2_only_torrent(tmp_path: Path, warehouse: Warehouse) -> None:
    """The link's btih was not this torrent's (a v2-only torrent has none): its
    metadata settles the hashes; the row keeps the key it was created with."""
    v2_only = _made(tmp_path, "v2", "Ocean.Summer")
    claimed_v1 = "0123456789abcdef0123456789abcdef01234567"
    warehouse.feed(f"magnet:?xt=urn:btih:{claimed_v1}&xt=urn:btmh:1220{v2_only.v2}")
    warehouse.feed(v2_only.data)
    _one_row(warehouse, claimed_v1, None, v2_only.v2, sightings=2)


def test_v2_only_torrent_then_its_btmh_magnet(tmp_path: Path, warehouse: Warehouse) -> None:
    v2_only = _made(tmp_path, "v2", "Ocean.Summer")
    warehouse.feed(v2_only.data)
    warehouse.feed(f"magnet:?xt=urn:btmh:1220{v2_only.v2}")
    _one_row(warehouse, v2_only.v2, None, v2_only.v2, sightings=2)


def test_two_rows_of_one_torrent_are_merged_by_its_metadata(
    tmp_path: Path, warehouse: Warehouse, hybrid: Hybrid
) -> None:
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.btmh)
    assert len(warehouse.torrents()) == 2  # nothing yet says they are one torrent
    _flag(warehouse.db, hybrid.v1, "demo.rule-a", "2026-01-02")
    _flag(warehouse.db, hybrid.v2, "demo.rule-a", "2026-01-01")
    _flag(warehouse.db, hybrid.v2, "demo.rule-b", "2026-01-03")
    warehouse.feed(hybrid.data)
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=3)
    assert warehouse.rows(
        "SELECT infohash, rule_id, first_flagged_at::DATE::VARCHAR, active FROM flags ORDER BY 2, 1"
    ) == [
        # The rule that flagged both rows: the survivor's flag is active, from the earlier
        # time; the merged row's flag is kept with its evidence, inactive (never deleted).
        (hybrid.v1, "demo.rule-a", "2026-01-01", True),
        (hybrid.v2, "demo.rule-a", "2026-01-01", False),
        (hybrid.v1, "demo.rule-b", "2026-01-03", True),
    ]
    assert warehouse.rows("SELECT merged_infohash, infohash FROM torrent_merges") == [
        (hybrid.v2, hybrid.v1)
    ]
    listed = tmp_path / "known.txt"
    listed.write_text(f"{hybrid.v2}\n{hybrid.v1}\n")
    hashlist_import(listed, warehouse.db, name="both")
    assert warehouse.rows("SELECT infohash, kind FROM torrent_hash_list_matches ORDER BY kind") == [
        (hybrid.v1, "infohash_v1"),
        (hybrid.v1, "infohash_v2"),
    ]


def test_a_hybrid_magnet_joins_two_magnet_rows(warehouse: Warehouse, hybrid: Hybrid) -> None:
    warehouse.feed(hybrid.btmh)
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.both)
    assert warehouse.torrents() == [(hybrid.v2, hybrid.v1, hybrid.v2, False)]  # first seen
    assert warehouse.owners("observations") == {hybrid.v2: 3}


@pytest.mark.parametrize(
    "order",
    [
        ("btmh", "data", "btih"),
        ("btih", "btmh", "data"),
        ("both", "btmh", "data"),
        ("data", "both"),
    ],
)
def test_one_batch_holding_every_kind_of_sighting(
    warehouse: Warehouse, hybrid: Hybrid, order: Sequence[str]
) -> None:
    warehouse.feed(*(getattr(hybrid, name) for name in order))
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=len(order))
    warehouse.feed(hybrid.btmh)  # and later loads still find it
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=len(order) + 1)


def test_chunks_that_share_a_torrent_by_another_hash_are_not_merged(
    warehouse: Warehouse, hybrid: Hybrid
) -> None:
    warehouse.feed(hybrid.btmh, hybrid.btih, hybrid.data, hybrid.both, chunk_size=1)
    _one_row(warehouse, hybrid.v2, hybrid.v1, hybrid.v2, sightings=4)


@pytest.mark.parametrize("together", [False, True])
def test_a_magnet_pairing_hashes_of_two_torrents_is_filed_and_kept(
    warehouse: Warehouse, hybrid: Hybrid, together: bool
) -> None:
    wrong = f"magnet:?xt=urn:btih:{hybrid.v1}&xt=urn:btmh:1220{OTHER_V2}&dn=Mixed.Up"
    if together:
        summary = warehouse.feed(hybrid.data, wrong)
    else:
        warehouse.feed(hybrid.data)
        summary = warehouse.feed(wrong)
    assert dict(summary.rejected) == {"magnet.hash_conflict": 1}
    _one_row(warehouse, hybrid.v1, hybrid.v1, hybrid.v2, sightings=2)
    ((reason, detail),) = warehouse.rows("SELECT reason, detail FROM rejects")
    assert reason == "magnet.hash_conflict"
    assert hybrid.v1 in detail and OTHER_V2 in detail and hybrid.v2 in detail


def test_a_magnet_contradicting_a_magnet_row_is_filed(warehouse: Warehouse, hybrid: Hybrid) -> None:
    warehouse.feed(hybrid.both)
    warehouse.feed(f"magnet:?xt=urn:btih:{hybrid.v1}&xt=urn:btmh:1220{OTHER_V2}")
    assert warehouse.torrents() == [(hybrid.v1, hybrid.v1, hybrid.v2, False)]
    assert warehouse.owners("observations") == {hybrid.v1: 2}
    assert warehouse.rows("SELECT reason FROM rejects") == [("magnet.hash_conflict",)]


def _flag(db: Path, infohash: str, rule_id: str, day: str) -> None:
    con = connect(db)
    try:
        con.execute(
            "INSERT INTO flag_rows (infohash, rule_id, rule_version, level, score, evidence,"
            " first_flagged_at, last_evaluated_at, last_matched_at, active)"
            " VALUES ($h, $r, 1, 'low', 1.0, '{}', $d::TIMESTAMPTZ, now(), now(), true)",
            {"h": infohash, "r": rule_id, "d": day},
        )
    finally:
        con.close()


def test_decisions_follow_a_merged_row_to_its_survivor(
    warehouse: Warehouse, hybrid: Hybrid
) -> None:
    """A decision recorded under a key that a merge later retires still counts for the
    torrent (review status and history), and the reviews table itself is unchanged."""
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.btmh)
    _flag(warehouse.db, hybrid.v2, "demo.rule-b", "2026-01-03")
    con = connect(warehouse.db)
    try:  # evidence as flag writes it, so that review show can say it in words
        con.execute("""UPDATE flag_rows SET evidence = '{"title": "Demo rule", "facts": []}'""")
    finally:
        con.close()
    review_decide(
        warehouse.db, hybrid.v2, decision="escalate", rationale="needs-specialist", analyst="ana"
    )
    warehouse.feed(hybrid.data)  # one torrent: the v2 row merges into the v1 row
    assert warehouse.rows("SELECT infohash FROM reviews") == [(hybrid.v2,)]
    assert warehouse.rows(
        "SELECT infohash, latest_decision, latest_analyst FROM review_status"
    ) == [(hybrid.v1, "escalate", "ana")]
    assert warehouse.rows("SELECT infohash, recorded_infohash FROM torrent_reviews") == [
        (hybrid.v1, hybrid.v2)
    ]
    shown = "\n".join(review_show(warehouse.db, hybrid.v1))
    assert "escalate" in shown and "ana" in shown


def test_merge_records_never_chain(warehouse: Warehouse, hybrid: Hybrid) -> None:
    """torrent_merges names the row that holds a key now, also after a second merge."""
    warehouse.feed(hybrid.btih)
    warehouse.feed(hybrid.btmh)
    con = connect(warehouse.db)
    try:  # an earlier merge into the row that is about to be merged away
        con.execute("INSERT INTO torrent_merges VALUES ('aa', $b, now(), NULL)", {"b": hybrid.v2})
    finally:
        con.close()
    warehouse.feed(hybrid.data)
    assert set(warehouse.rows("SELECT merged_infohash, infohash FROM torrent_merges")) == {
        ("aa", hybrid.v1),
        (hybrid.v2, hybrid.v1),
    }


def test_two_rows_left_by_earlier_loads_are_joined_by_the_next_sighting(
    warehouse: Warehouse, hybrid: Hybrid
) -> None:
    """Before one-row matching, a btmh magnet and the .torrent made two rows (the
    magnet's row first seen, without metadata); the next sighting joins them, and the
    earlier row takes the other's metadata and files."""
    warehouse.feed(hybrid.data)
    con = connect(warehouse.db)
    params = {"v2": hybrid.v2}
    con.execute(
        "INSERT INTO torrents SELECT * REPLACE ($v2::VARCHAR AS infohash, NULL AS infohash_v1,"
        " false AS has_metadata, first_seen - INTERVAL 1 DAY AS first_seen) FROM torrents",
        params,
    )
    con.execute(
        "INSERT INTO observations SELECT * REPLACE ($v2::VARCHAR AS infohash) FROM observations",
        params,
    )
    con.close()
    assert len(warehouse.torrents()) == 2
    warehouse.feed(hybrid.btmh)
    _one_row(warehouse, hybrid.v2, hybrid.v1, hybrid.v2, sightings=3)


@pytest.mark.parametrize("together", [False, True])
def test_a_btih_paired_with_a_v2_only_torrent_is_filed_and_kept_under_the_btih(
    tmp_path: Path, warehouse: Warehouse, together: bool
) -> None:
    """A v2-only torrent's metadata says it has no v1 hash: a magnet claiming one names
    another torrent by it, kept as a row of that btih alone."""
    v2_only = _made(tmp_path, "v2", "Ocean.Summer")
    claimed = "0123456789abcdef0123456789abcdef01234567"
    link = f"magnet:?xt=urn:btih:{claimed}&xt=urn:btmh:1220{v2_only.v2}"
    if together:
        warehouse.feed(link, v2_only.data)
    else:
        warehouse.feed(v2_only.data)
        warehouse.feed(link)
    assert warehouse.torrents() == [
        (claimed, claimed, None, False),
        (v2_only.v2, None, v2_only.v2, True),
    ]
    assert warehouse.owners("observations") == {claimed: 1, v2_only.v2: 1}
    ((reason, detail),) = warehouse.rows("SELECT reason, detail FROM rejects")
    assert reason == "magnet.hash_conflict" and claimed in detail and v2_only.v2 in detail


def test_match_sql_looks_up_v2_hashes_only_when_the_batch_has_any() -> None:
    from warehouse.torrent_match import match_sql

    assert "t.infohash_v2 = b.infohash_v2" not in match_sql(with_v2=False)
    assert "t.infohash_v2 = b.infohash_v2" in match_sql(with_v2=True)
    assert "t.infohash_v1 = b.infohash_v1 AND t.infohash_v1 <> t.infohash" in match_sql(False)
