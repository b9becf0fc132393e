"""The export writes, byte for byte, what the row-wise export before issue 13 wrote
(``tests/export_reference.py``), on torrents built to be hostile to every format: bidi
and zero-width marks, control characters, formula starts (full-width look-alikes too),
a literal "<U+", quotes and commas, a name that is not UTF-8 and a huge name."""

from __future__ import annotations

from pathlib import Path

import export_reference as reference
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from warehouse_copies import twin_warehouse

from parsers.normalize import display_safe
from torrentwatch.export import export
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.render import hidden_re2
from torrentwatch.review import review_bulk, review_decide, review_queue
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect

FORMATS = ["csv", "jsonl", "parquet"]
PLACEHOLDER = "Placeholder.Name.For.Raw.Bytes"

# Each gets a file with a double extension so that the shipped rules flag it.
HOSTILE_NAMES = [
    "=SUM(1+1)*cmd|'calc'!A0",
    "\uff1dHYPERLINK(1) Galaxy",
    "  \u3000-2+3 spaced",
    "\u2212minus, sign",
    '@at "quoted", comma',
    "Holiday\u202egpj.exe",
    "zero\u200bwidth\u2060joiner\ufeff",
    "tab\there\nnew\rline\x1bescape\x7fdel",
    "literal <U+202E> escape and back\\slash",
    "Bidi \u2066isolate\u2069 \u200fRLM \u061cALM",
    "invisible \u3164 hangul \u2800 braille \u00a0nbsp",
    "\u0645\u0644\u0641 \u65e5\u672c\u8a9e \U0001f600 emoji",
    "private \ue000 use \U000e0041 tag",
    "huge " + "\u00e9x\u202e" * 3000,
]
RAW_NAMES = [b"raw \xff\xfe not utf-8 \xe2\x80\xae", b"=\xc0\xaf overlong"]


def _torrent(name: str, index: int) -> SynthTorrent:
    files = (
        (f"clip{index}.avi.exe", 1_000_000 + index),
        (f"{name[:40]}/read\u202eme{index}.txt.lnk", 2_000),
        (f"notes {index}.txt", 300),
    )
    return SynthTorrent(name, files, multi_file=True)


def _raw(name: bytes, index: int) -> bytes:
    data = encode(_torrent(PLACEHOLDER, 100 + index))
    old = b"4:name%d:%s" % (len(PLACEHOLDER), PLACEHOLDER.encode())
    assert data.count(old) == 1
    return data.replace(old, b"4:name%d:%s" % (len(name), name))


@pytest.fixture
def hostile(flagged_demo: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for index, name in enumerate(HOSTILE_NAMES):
        (folder / f"h{index}.torrent").write_bytes(encode(_torrent(name, index)))
    for index, name in enumerate(RAW_NAMES):
        (folder / f"raw{index}.torrent").write_bytes(_raw(name, index))
    ingest([folder], flagged_demo, workers=1)
    flag(flagged_demo)
    queue = [row["infohash"] for row in review_queue(flagged_demo).to_pylist()]
    # One escalated, the rest confirmed (every demo and hostile torrent).
    review_decide(
        flagged_demo, queue[0], decision="escalate", rationale="legal-review", analyst="ana"
    )
    decided = review_bulk(
        flagged_demo,
        "SELECT infohash FROM review_queue",
        decision="confirm",
        rationale="deceptive-name",
        analyst="ana",
        yes=True,
    ).decided
    assert decided >= len(HOSTILE_NAMES)
    return flagged_demo


def _items(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT * EXCLUDE (batch_id) FROM export_items ORDER BY target, position"
        ).fetchall()
    finally:
        con.close()


def test_every_format_is_byte_identical_to_the_row_wise_export(hostile, tmp_path):
    twin = twin_warehouse(hostile, tmp_path / "twin")
    for fmt in FORMATS:
        for escalated in (False, True):
            target = f"t-{fmt}-{escalated}"
            new = export(
                hostile, target=target, fmt=fmt, out_dir=tmp_path / "new", escalated=escalated
            )
            old = reference.export(
                twin, target=target, fmt=fmt, out_dir=tmp_path / "old", escalated=escalated
            )
            assert (new.batch_id, new.items) == (old.batch_id, old.items)
            assert new.items >= (1 if escalated else len(HOSTILE_NAMES))
            assert new.file.read_bytes() == old.file.read_bytes(), (fmt, escalated)
            assert new.manifest.read_bytes() == old.manifest.read_bytes(), (fmt, escalated)
    assert _items(hostile) == _items(twin)
    # The huge name and the raw bytes made it out, display-safe.
    text = (tmp_path / "new").joinpath(f"t-jsonl-False-{new.batch_id}.jsonl")
    assert not text.exists() or "<U+202E>" in text.read_text(encoding="utf-8")


def test_rerun_of_a_batch_matches_the_row_wise_export(hostile, tmp_path):
    first = export(hostile, target="t", fmt="jsonl", out_dir=tmp_path / "a")
    twin = twin_warehouse(hostile, tmp_path / "twin")
    for fmt in FORMATS:
        new = export(hostile, target=None, fmt=fmt, out_dir=tmp_path / "n", batch=first.batch_id)
        old = reference.export(
            twin, target=None, fmt=fmt, out_dir=tmp_path / "o", batch=first.batch_id
        )
        assert new.file.read_bytes() == old.file.read_bytes(), fmt
        assert new.manifest.read_bytes() == old.manifest.read_bytes(), fmt


def test_hidden_class_finds_exactly_what_display_safe_changes():
    codes = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chars = [chr(c) for c in codes]
    found = pc.match_substring_regex(pa.array(chars), hidden_re2()).to_pylist()
    # Above U+30000 the class takes every code point (a superset on purpose).
    wrong = [
        hex(c)
        for c, ch, hit in zip(codes, chars, found, strict=True)
        if hit != (display_safe(ch) != ch) and not (hit and c >= 0x30000)
    ]
    assert wrong == []
    assert pc.match_substring_regex(
        pa.array(["a<U+1", "a<U1", "plain"]), hidden_re2()
    ).to_pylist() == [
        True,
        False,
        False,
    ]
