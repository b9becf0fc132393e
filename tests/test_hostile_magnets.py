"""Hostile magnet links, built by code: every field of a link may be malformed or huge.

Each generated link must either parse or be refused with a stable reason code; an
ingest of a folder holding one hostile line among good ones completes, loads the good
ones and files the bad one as a reject; stored text is capped with the cut stated.
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from warehouse_rows import query_rows

from common.errors import InputRejected
from common.textcap import DETAIL_CAP, FIELD_CAP
from parsers.magnet import magnet_to_metas, parse_magnet, parse_magnet_lines
from parsers.reasons import REASONS
from parsers.records import TorrentMeta
from torrentwatch.ingest import ingest

V1 = "0123456789abcdef0123456789abcdef01234567"
V2 = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
GOOD = f"magnet:?xt=urn:btih:{V1}"
KEYS = ("xt", "dn", "tr", "ws", "xl", "so", "x.pe", "kt", "mt", "xt.1", "tr.7", "xs", "as")
FIVE_MB = 5 * 1024 * 1024


def _unicode_digits() -> list[str]:
    """Every character str.isdigit() accepts that is not an ASCII digit ('²', '٣', ...)."""
    return [
        chr(c)
        for c in range(0x80, sys.maxunicode + 1)
        if chr(c).isdigit() and unicodedata.category(chr(c)) != "Cs"
    ]


def _hostile_values(rng: random.Random, digits: list[str]) -> Iterator[str]:
    """Values for any key: odd digits, huge numbers, raw and percent-encoded bytes."""
    yield rng.choice(digits)
    yield "".join(rng.choices(digits, k=rng.randint(1, 30)))
    yield "9" * rng.randint(19, 5000)
    yield "-" + "9" * 30
    yield "0" * 400 + "42"
    yield quote_from_bytes(rng.randbytes(rng.randint(1, 60)))
    yield "%" + rng.choice(["", "G", "0", "zz", "ff%"])
    yield "%00" * rng.randint(1, 5)
    yield "%ff%fe%c0%80"  # percent-encoding that decodes to invalid UTF-8
    yield "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(1, 40)))
    yield "\ud800abc"  # a lone surrogate: a str no UTF-8 input can give, a caller's can
    yield "urn:btih:" + "".join(rng.choices("0123456789abcdefABCDEFxyz%", k=rng.randint(0, 80)))
    yield "urn:btmh:" + "1220" + "".join(rng.choices("0123456789abcdefg", k=rng.randint(0, 70)))
    yield "urn:btih:" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=1", k=32))
    yield "urn:btih:" + rng.choice(digits) * 40
    yield "+" * rng.randint(1, 9)
    yield "=" * rng.randint(1, 9)


def hostile_links(count: int, seed: int = 11) -> Iterator[str]:
    """``count`` hostile magnet links: every key gets every kind of hostile value,
    repeated keys and random byte soup included; half carry a good hash as well."""
    rng = random.Random(seed)
    digits = _unicode_digits()
    produced = 0
    while produced < count:
        for value in _hostile_values(rng, digits):
            key = rng.choice(KEYS)
            parts = [f"{key}={value}"] * rng.randint(1, 3)
            if rng.random() < 0.5:
                parts.insert(rng.randint(0, len(parts)), f"xt=urn:btih:{V1}")
            if rng.random() < 0.2:
                parts.append(rng.randbytes(rng.randint(1, 40)).decode("latin-1"))
            yield "magnet:?" + "&".join(parts)
            produced += 1


def test_unicode_digits_are_many() -> None:
    assert "²" in _unicode_digits() and len(_unicode_digits()) > 500


@pytest.mark.parametrize("value", ["²", "٣", "①", "9" * 23, "99999999999999999999999", "1e9"])
def test_a_length_that_is_no_byte_count_is_ignored(value: str) -> None:
    link = parse_magnet(f"{GOOD}&xl={value}&dn=Kart.Racer")
    assert link.exact_length is None and link.infohashes_v1 == (V1,)


def test_lengths_keep_their_range() -> None:
    assert parse_magnet(f"{GOOD}&xl=0042").exact_length == 42
    assert parse_magnet(f"{GOOD}&xl={2**63 - 1}").exact_length == 2**63 - 1
    assert parse_magnet(f"{GOOD}&xl={2**63}").exact_length is None
    assert parse_magnet(f"{GOOD}&xl=7&xl=²").exact_length == 7


def test_every_hostile_link_parses_or_is_refused_with_a_code() -> None:
    outcomes: dict[str, int] = {}
    for uri in hostile_links(6000):
        try:
            link = parse_magnet(uri, source_ref="gen")
        except InputRejected as exc:
            assert exc.reason in REASONS, uri
            assert len(exc.detail) < DETAIL_CAP, uri[:200]
            outcomes[exc.reason] = outcomes.get(exc.reason, 0) + 1
            continue
        assert all(isinstance(m, TorrentMeta) for m in magnet_to_metas(link))
        assert link.exact_length is None or 0 <= link.exact_length < 2**63
        outcomes["parsed"] = outcomes.get("parsed", 0) + 1
    assert {"parsed", "magnet.invalid", "magnet.no_hash"} <= set(outcomes)


def test_hostile_bytes_as_link_files_never_raise() -> None:
    rng = random.Random(7)
    lines = [uri.encode("utf-8", "surrogatepass") for uri in hostile_links(2000, seed=3)]
    lines += [b"magnet:?" + rng.randbytes(rng.randint(0, 200)) for _ in range(2000)]
    results = parse_magnet_lines(b"\n".join(lines), source_ref="soup.txt")
    for _ref, _line, outcome in results:
        if isinstance(outcome, InputRejected):
            assert outcome.reason in REASONS
        else:
            assert isinstance(outcome, TorrentMeta)


def test_a_parser_bug_costs_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args, **_kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("parsers.magnet.magnet_to_metas", broken)
    data = f"{GOOD}\nmagnet:?xt=urn:btmh:1220{V2}\n".encode()
    outcomes = [outcome for _ref, _line, outcome in parse_magnet_lines(data, source_ref="f")]
    assert [o.reason for o in outcomes] == ["input.parser_error"] * 2
    assert "KeyError" in outcomes[0].detail


# ----------------------------------------------------------- capped text (item 14)


def test_a_huge_display_name_is_capped_with_the_cut_stated() -> None:
    link = parse_magnet(f"{GOOD}&dn={'A' * FIVE_MB}&tr=udp://{'t' * FIVE_MB}&ws=http://x/")
    cut = FIVE_MB - FIELD_CAP
    assert link.display_name == "A" * FIELD_CAP + f"… ({cut:,} more characters)"
    assert link.trackers[0].endswith(f"… ({FIVE_MB + 6 - FIELD_CAP:,} more characters)")
    assert len(link.trackers[0]) < FIELD_CAP + 40 and link.web_seeds == ("http://x/",)


def test_a_huge_hash_body_is_quoted_capped() -> None:
    with pytest.raises(InputRejected) as caught:
        parse_magnet(f"magnet:?xt=urn:btih:{'Q' * FIVE_MB}")
    assert caught.value.reason == "magnet.invalid"
    assert f"got {FIVE_MB:,} characters" in caught.value.detail
    assert len(caught.value.detail) < 400


# ------------------------------------------------------------------ ingest end to end


def test_one_bad_line_among_good_ones_costs_itself_alone(tmp_path: Path) -> None:
    folder = tmp_path / "links"
    folder.mkdir()
    good = [f"magnet:?xt=urn:btih:{i:040x}&dn=Linux.Image.{i}" for i in range(1, 6)]
    # Long, but under the magnet-list line cap (parsers.inputs.MAX_LINE_BYTES): parsed,
    # its text capped; a 5 MB line is over it, a reject of its own.
    long = 60_000
    lines = [
        good[0],
        f"{good[1]}&xl=²",
        f"{good[2]}&xl=99999999999999999999999",
        f"magnet:?xt=urn:btih:{'Q' * long}",  # a bad one
        good[3],
        f"{good[4]}&dn={'B' * long}",
        f"magnet:?xt=urn:btih:{6:040x}&dn={'B' * FIVE_MB}",  # over the line cap
    ]
    (folder / "list.magnets").write_text("\n".join(lines) + "\n")
    db = tmp_path / "w.duckdb"
    summary = ingest([folder], db, workers=1)
    assert summary.torrents_new == 5
    assert dict(summary.rejected) == {"magnet.invalid": 1, "input.line_too_long": 1}
    rows = query_rows(db, "SELECT infohash, total_size, length(name) FROM torrents ORDER BY 1")
    assert [r[0] for r in rows] == [f"{i:040x}" for i in range(1, 6)]
    assert [r[1] for r in rows] == [None] * 5
    assert rows[-1][2] < FIELD_CAP + 40
    rejects = query_rows(db, "SELECT source_ref, reason, detail FROM rejects ORDER BY source_ref")
    assert [(ref.rsplit(":", 1)[1], reason) for ref, reason, _ in rejects] == [
        ("4", "magnet.invalid"),
        ("7", "input.line_too_long"),
    ]
    assert all(len(detail) < 600 for _, _, detail in rejects)
    assert query_rows(db, "SELECT status FROM runs") == [("completed",)]


def test_ingest_turns_a_parser_bug_into_a_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args, **_kwargs):
        raise OverflowError("a bug the parser did not foresee")

    monkeypatch.setattr("parsers.items.parse_torrent", broken)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.torrent").write_bytes(b"d4:infod4:name1:xee")
    (folder / "b.magnets").write_text(GOOD + "\n")
    db = tmp_path / "w.duckdb"
    summary = ingest([folder], db, workers=1)
    assert dict(summary.rejected) == {"input.parser_error": 1} and summary.torrents_new == 1
    ((reason, detail),) = query_rows(db, "SELECT reason, detail FROM rejects")
    assert reason == "input.parser_error" and "OverflowError" in detail


def test_rejects_and_observation_titles_are_stored_capped() -> None:
    from datetime import UTC, datetime

    from parsers.columnar import build_batch
    from parsers.records import Reject, Sighting

    now = datetime.now(UTC)
    (meta,) = magnet_to_metas(parse_magnet(GOOD))
    sighting = Sighting("feed", "item-1", now, title="T" * FIVE_MB, category="C" * FIVE_MB)
    reject = Reject("feed", "item-2", None, "feed.item_invalid", "D" * FIVE_MB, now)
    batch = build_batch([(meta, sighting)], [reject])
    title = batch.observations.column("title")[0].as_py()
    assert title == "T" * FIELD_CAP + f"… ({FIVE_MB - FIELD_CAP:,} more characters)"
    assert len(batch.observations.column("category")[0].as_py()) < FIELD_CAP + 40
    detail = batch.rejects.column("detail")[0].as_py()
    assert detail == "D" * DETAIL_CAP + f"… ({FIVE_MB - DETAIL_CAP:,} more characters)"


def test_the_monitor_loader_turns_a_parser_bug_into_a_reject(tmp_path: Path) -> None:
    """A landed observation nested past Python's recursion limit made ``json.loads``
    raise RecursionError, which the loader did not expect."""
    from datetime import UTC, datetime

    from monitors.base import Gathered
    from monitors.landing import LandingZone
    from torrentwatch.monitor_load import load_landing

    zone = LandingZone.local(tmp_path / "landing")
    now = datetime.now(UTC)
    deep = b"[" * 200_000 + b"]" * 200_000
    zone.land(Gathered("observation", "inbox", "feed#deep", deep, now))
    zone.land(Gathered("magnet", "inbox", "feed#good", GOOD.encode(), now))
    db = tmp_path / "w.duckdb"
    summary = load_landing(zone, db)
    assert (summary.loaded, summary.failed, summary.torrents_new) == (2, 0, 1)
    ((reason, detail),) = query_rows(db, "SELECT reason, detail FROM rejects")
    assert reason == "input.parser_error" and "RecursionError" in detail


def test_a_huge_observation_title_is_stored_capped_as_title_and_name(tmp_path: Path) -> None:
    import json
    from datetime import UTC, datetime

    from monitors.base import Gathered
    from monitors.landing import LandingZone
    from torrentwatch.monitor_load import load_landing

    zone = LandingZone.local(tmp_path / "landing")
    record = {"infohash": V1, "title": "Kart.Racer." + "x" * FIVE_MB, "category": "c" * FIVE_MB}
    zone.land(
        Gathered("observation", "feed", "feed#1", json.dumps(record).encode(), datetime.now(UTC))
    )
    db = tmp_path / "w.duckdb"
    load_landing(zone, db)
    ((title, category),) = query_rows(db, "SELECT title, category FROM observations")
    ((name,),) = query_rows(db, "SELECT name FROM torrents")
    cut = f"… ({FIVE_MB + 11 - FIELD_CAP:,} more characters)"
    assert title.endswith(cut) and name.endswith(cut) and len(name) == FIELD_CAP + len(cut)
    assert category.endswith(f"… ({FIVE_MB - FIELD_CAP:,} more characters)")
