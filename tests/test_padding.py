"""Padding is decided by how padding is written (parsers.padding), scalar and column-wise."""

from __future__ import annotations

import pyarrow as pa
import pytest

from parsers.padding import looks_like_padding, padding_mask

# (path, size, piece length, padding?)
CASES = [
    ("Album/.pad/16384", 16384, None, True),
    (".pad/0", 0, None, True),
    ("Album/.pad/16384", 16383, None, False),  # the name must state the size
    ("Album/.pad/016384", 16384, None, False),  # not how a creator writes it
    ("Album/.pad/99999999999999999999999", 5, None, False),
    ("Album/.pad/16384", 16384, 16384, False),  # a whole piece is never filler
    ("Album/.pad/16384", 16384, 32768, True),
    ("Album/_____padding_file_0_notice____", 700, None, True),
    ("Album/Codec.Setup.exe", 2_000_000, None, False),  # attr "p" alone proves nothing
    ("Album/pad/16384", 16384, None, False),
    ("Album/x.pad/16384", 16384, None, False),
    ("Album/.pad/16384/extra", 16384, None, False),
]


@pytest.mark.parametrize(("path", "size", "piece_length", "expected"), CASES)
def test_looks_like_padding(path: str, size: int, piece_length: int | None, expected: bool):
    assert looks_like_padding(path, size, piece_length) is expected


def test_padding_mask_agrees_with_the_scalar_rule():
    paths = pa.array([c[0] for c in CASES] + [None])
    sizes = pa.array([c[1] for c in CASES] + [1], pa.int64())
    lengths = pa.array([c[2] for c in CASES] + [None], pa.int64())
    assert padding_mask(paths, sizes, lengths).to_pylist() == [c[3] for c in CASES] + [False]
