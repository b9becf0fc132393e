"""Content profiles: per-kind counts and byte shares per torrent.

The pyarrow implementation is checked against the same profile written as plain
DuckDB SQL over random input, so the two readings of the definition must agree.
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from parsers.extensions import KINDS
from parsers.profile import PROFILE_COLUMNS, profile_schema, profile_table


def _files(rows: list[tuple[str, str | None, int | None, bool | None]]) -> pa.Table:
    infohash, kind, size, is_pad = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pa.table(
        {
            "infohash": pa.array(infohash, pa.string()),
            "kind": pa.array(kind, pa.string()),
            "size": pa.array(size, pa.int64()),
            "is_pad": pa.array(is_pad, pa.bool_()),
        }
    )


def _by_hash(table: pa.Table) -> dict[str, dict]:
    return {row["infohash"]: row for row in table.to_pylist()}


def test_disguised_console_release_profile() -> None:
    files = _files(
        [
            ("aa", "video", 700, False),
            ("aa", "video", 200, False),
            ("aa", "image", 100, False),
            ("aa", "other", 5000, True),  # a pad file: left out everywhere
            ("bb", "disc_image", 4200, False),
            ("bb", "text", 1, False),
        ]
    )
    rows = _by_hash(profile_table(files))
    aa, bb = rows["aa"], rows["bb"]
    assert aa["file_count"] == 3 and aa["count_video"] == 2 and aa["count_other"] == 0
    assert aa["share_bytes_video"] == pytest.approx(0.9)
    assert aa["share_bytes_image"] == pytest.approx(0.1)
    assert aa["dominant_kind"] == "video" and aa["largest_file_size"] == 700
    assert bb["dominant_kind"] == "disc_image"
    assert sum(bb[f"share_bytes_{k}"] for k in KINDS) == pytest.approx(1.0)


def test_edge_cases() -> None:
    files = _files(
        [
            ("pads", "video", 10, True),  # only pad files
            ("empty", "video", 0, False),  # a file with no bytes
            ("tie", "audio", 5, False),
            ("tie", "image", 5, False),  # image comes before audio in KINDS
            ("odd", None, 3, None),  # null kind: other; null is_pad: not a pad
            ("odd", "hologram", 4, False),  # unknown kind: other
            ("odd", "text", None, False),  # null size: 0 bytes
        ]
    )
    rows = _by_hash(profile_table(files))
    assert rows["pads"]["file_count"] == 0 and rows["pads"]["dominant_kind"] is None
    assert rows["pads"]["largest_file_size"] is None
    assert rows["pads"]["share_bytes_video"] == 0.0
    assert rows["empty"]["file_count"] == 1 and rows["empty"]["dominant_kind"] is None
    assert rows["empty"]["largest_file_size"] == 0
    assert rows["tie"]["dominant_kind"] == "image"
    assert rows["odd"]["count_other"] == 2 and rows["odd"]["count_text"] == 1
    assert rows["odd"]["share_bytes_other"] == pytest.approx(1.0)


def test_schema_order_and_empty_input() -> None:
    out = profile_table(_files([]))
    assert out.num_rows == 0 and out.schema == profile_schema()
    assert out.schema.names == ["infohash", *(name for name, _ in PROFILE_COLUMNS)]
    sql_types = dict(PROFILE_COLUMNS)
    assert sql_types["file_count"] == "INTEGER" and sql_types["largest_file_size"] == "BIGINT"
    assert all(sql_types[f"count_{k}"] == "INTEGER" for k in KINDS)
    assert all(sql_types[f"share_bytes_{k}"] == "DOUBLE" for k in KINDS)


def _sql_profile(files: pa.Table) -> dict[str, dict]:
    """The profile written as SQL, the way an analyst would check it."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE real AND k = '{k}') AS count_{k}, "
        f"coalesce(sum(size) FILTER (WHERE real AND k = '{k}'), 0)::BIGINT AS b_{k}"
        for k in KINDS
    )
    con = duckdb.connect()
    con.register("files", files)
    rows = (
        con.execute(
            f"""
        WITH f AS (
          SELECT infohash, coalesce(size, 0) AS size, NOT coalesce(is_pad, false) AS real,
                 CASE WHEN kind IN ({", ".join(f"'{k}'" for k in KINDS)}) THEN kind
                      ELSE 'other' END AS k
          FROM files)
        SELECT infohash, count(*) FILTER (WHERE real) AS file_count,
               coalesce(sum(size) FILTER (WHERE real), 0)::BIGINT AS total,
               max(size) FILTER (WHERE real) AS largest_file_size, {counts}
        FROM f GROUP BY infohash
        """
        )
        .to_arrow_table()
        .to_pylist()
    )
    return {row["infohash"]: row for row in rows}


def test_matches_sql_on_random_input() -> None:
    rnd = random.Random(5)
    rows = [
        (
            f"h{rnd.randrange(300)}",
            rnd.choice([*KINDS, None]),
            rnd.randrange(0, 10**6),
            rnd.random() < 0.1,
        )
        for _ in range(5000)
    ]
    ours = _by_hash(profile_table(_files(rows)))
    sql = _sql_profile(_files(rows))
    assert ours.keys() == sql.keys()
    assert list(ours) == sorted(ours)
    for infohash, mine in ours.items():
        theirs = sql[infohash]
        total = theirs["total"]
        assert mine["file_count"] == theirs["file_count"]
        assert mine["largest_file_size"] == theirs["largest_file_size"]
        for k in KINDS:
            assert mine[f"count_{k}"] == theirs[f"count_{k}"]
            share = theirs[f"b_{k}"] / total if total else 0.0
            assert mine[f"share_bytes_{k}"] == pytest.approx(share)
        best = max(KINDS, key=lambda k: (theirs[f"b_{k}"], -KINDS.index(k)))
        assert mine["dominant_kind"] == (best if total else None)


# ------------------------------------------------------------- claims from content


def _listed(torrents: list[tuple[str, str, list[tuple[str, int]]]]) -> dict[str, dict]:
    """``listed_torrents_table`` rows by infohash for (infohash, name, files)."""
    from parsers.columnar import listed_files_table, listed_torrents_table

    hashes = pa.array([h for h, _, _ in torrents], pa.string())
    owner = [i for i, (_, _, files) in enumerate(torrents) for _ in files]
    index = [j for _, _, files in torrents for j in range(len(files))]
    paths = [p for _, _, files in torrents for p, _ in files]
    sizes = [s for _, _, files in torrents for _, s in files]
    files = listed_files_table(
        hashes,
        pa.array(owner, pa.int64()),
        pa.array(index, pa.int32()),
        pa.array(paths, pa.string()),
        pa.array(sizes, pa.int64()),
    )
    seen = pa.table(
        {
            "infohash": hashes,
            "seen_at": pa.array([0] * len(torrents), pa.timestamp("us", tz="UTC")),
        }
    )
    table = listed_torrents_table(
        hashes,
        pa.array([n for _, n, _ in torrents], pa.string()),
        pa.array([sum(s for _, s in files) for _, _, files in torrents], pa.int64()),
        files,
        seen,
    )
    return {row["infohash"]: row for row in table.to_pylist()}


GB = 1 << 30


def test_a_name_claiming_nothing_claims_video_from_its_bytes() -> None:
    rows = _listed(
        [
            ("a" * 40, "Harbor Lights", [("Harbor Lights.mkv", 4 * GB), ("cover.jpg", 1 << 20)]),
            ("b" * 40, "海の物語", [(f"海の物語 {i:02d}.mkv", GB) for i in range(1, 13)]),
            (
                "c" * 40,
                "Harbor Lights Extras",
                [("main.mkv", 4 * GB), ("a.mkv", GB // 4), ("b.mkv", GB // 4)],
            ),
            # claims nothing and is not overwhelmingly video: no claim
            ("d" * 40, "Summer Trip", [("clip.mp4", GB), ("photos.zip", GB)]),
            # the name's own claim is kept, whatever the bytes
            ("e" * 40, "Kart.Racer.PS2.PAL-GRP", [("clip.avi", GB)]),
            ("f" * 40, "Garden Songs FLAC", [("01.flac", 30 << 20)]),
        ]
    )
    claims = {h[0]: (r["claimed_category"], r["claim_origin"]) for h, r in rows.items()}
    assert claims == {
        "a": ("film", "content"),
        "b": ("tv", "content"),
        "c": ("film", "content"),
        "d": (None, None),
        "e": ("game_console", "name"),
        "f": ("music", "name"),
    }
    assert rows["e" * 40]["claimed_nature"] is None
