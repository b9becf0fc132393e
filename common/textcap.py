"""Caps on text: the one place that shortens a value and says how much was cut.

Every gathered byte is hostile, and a field may be megabytes long (a 5 MB magnet ``dn``,
a 5 MB ``btih`` body echoed into a reject's detail). Stored and printed text is cut to a
limit with a visible tail, ``"… (5,242,000 more characters)"``, so a reader always knows
the value was longer and by how much; the full input stays in the landing zone (and its
sha256 in ``rejects``). Text from rule packs that lint messages echo or flags copy into
evidence (a 1 MB regex) is cut here too. Scalar and column-wise forms give the same
result; the column form touches only the rows over the limit.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc

# Characters kept of a torrent name, an observation title or category, a tracker or
# web-seed URL: far beyond any real one, small enough to show and index.
FIELD_CAP = 2048
# Characters kept of a reject's detail (it quotes parts of the input).
DETAIL_CAP = 4096
# Characters of an input quoted inside a message.
QUOTE_CAP = 200
# Integers longer than this are described, not written out (about 1,000 digits).
_LONGEST_INT_BITS = 3300


def cut_marker(cut: int) -> str:
    """The tail that replaces ``cut`` characters."""
    return f"… ({cut:,} more characters)"


def cap_text(text: str, limit: int = FIELD_CAP) -> str:
    """``text`` when it has at most ``limit`` characters, else its first ``limit``
    characters followed by :func:`cut_marker` of the rest."""
    if len(text) <= limit:
        return text
    return text[:limit] + cut_marker(len(text) - limit)


def capped_repr(value: object, limit: int = QUOTE_CAP) -> str:
    """``repr`` of ``value`` cut to ``limit`` characters (for quoting input in a
    message). A string is cut before it is quoted, so a huge value is never copied
    whole just to be shown."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + cut_marker(len(value) - limit)
    if isinstance(value, int) and value.bit_length() > _LONGEST_INT_BITS:
        # repr() refuses integers past 4,300 digits (ValueError); say how long it is.
        digits = int(math.log10(abs(value))) + 1
        return f"an integer of about {digits:,} digits"
    return cap_text(repr(value), limit)


def cap_array(values: pa.Array | pa.ChunkedArray, limit: int = FIELD_CAP) -> pa.Array:
    """:func:`cap_text` over a string column; the column itself when no value is over
    ``limit`` (the usual case costs one length pass)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    lengths = pc.utf8_length(values)
    longest = pc.max(lengths).as_py()
    if longest is None or longest <= limit:
        return values
    over = pc.greater(lengths, limit)
    # Only the rare rows over the limit go through Python, so both forms read alike.
    long_values = pc.filter(values, over).to_pylist()
    capped = pa.array([cap_text(text, limit) for text in long_values], values.type)
    return pc.replace_with_mask(values, over, capped)
