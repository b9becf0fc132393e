"""What BEP 47 padding looks like, so that only padding is treated as padding.

A pad file is alignment filler that clients never write to disk, so the content
profile and the rules leave it out. That makes "this is padding" a claim an attacker
would love to make about a payload: an ``attr`` of ``p`` on a 2 MB ``Setup.exe``
must not hide it. And some crawlers (magneticod among them) drop the attribute and
keep pad entries as plain ``.pad/N`` paths, which must not count as real files.

So padding is decided by how padding is written, not by the attribute alone:
- the BEP 47 convention, a ``.pad`` folder holding a file named by its size in
  decimal (``.pad/16384``), the size matching;
- BitComet's older ``_____padding_file_<n>_...`` names;
- and, when the piece length is known, smaller than one piece (padding fills the rest
  of a piece, never more).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# The last two path elements: ".pad/<decimal size>" (no leading zeros but "0").
_BEP47 = r"(?:^|/)\.pad/(?P<size>0|[1-9][0-9]{0,18})$"
# BitComet names its filler "_____padding_file_<n>_<a notice>____" in any folder.
_BITCOMET = r"(?:^|/)_____padding_file_[^/]*$"
_BEP47_RE = re.compile(_BEP47)
_BITCOMET_RE = re.compile(_BITCOMET)


def looks_like_padding(path: str, size: int, piece_length: int | None = None) -> bool:
    """True when a file named ``path`` of ``size`` bytes is written like padding."""
    if piece_length is not None and piece_length > 0 and size >= piece_length:
        return False
    match = _BEP47_RE.search(path)
    if match is not None:
        return int(match["size"]) == size
    return _BITCOMET_RE.search(path) is not None


def padding_mask(
    paths: pa.Array | pa.ChunkedArray,
    sizes: pa.Array | pa.ChunkedArray,
    piece_lengths: pa.Array | pa.ChunkedArray | None = None,
) -> pa.Array | pa.ChunkedArray:
    """:func:`looks_like_padding` over whole columns (null path or size: not padding)."""
    sizes = pc.cast(sizes, pa.int64())
    declared = pc.struct_field(pc.extract_regex(paths, _BEP47), [0])
    # Compared as text: the pattern admits no leading zeros, so equal text is equal
    # numbers, and a declared size too long for an integer cannot overflow.
    bep47 = pc.equal(declared, pc.cast(sizes, pa.string()))
    bitcomet = pc.match_substring_regex(paths, _BITCOMET)
    mask = pc.fill_null(pc.or_kleene(pc.fill_null(bep47, False), bitcomet), False)
    if piece_lengths is not None:
        lengths = pc.cast(piece_lengths, pa.int64())
        below = pc.or_kleene(
            pc.less_equal(pc.fill_null(lengths, 0), 0), pc.less(sizes, pc.fill_null(lengths, 0))
        )
        mask = pc.and_(mask, pc.fill_null(below, False))
    return mask
