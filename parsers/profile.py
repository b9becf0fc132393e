"""Content profile: what a torrent's bytes are, per file kind.

A disguised release is one whose name says one thing and whose bytes say another, so
every torrent gets, per kind of ``parsers.extensions.KINDS``, how many files it has
and what share of its bytes they hold. Pad files (BEP 47 alignment filler) are left
out: they are not content and would dilute every share.

The work is column-wise: one pass builds a per-kind count and byte column, one
``group_by`` sums them per infohash, and the shares and dominant kind are computed
over the (much shorter) grouped columns. No Python loop runs over files.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from parsers.extensions import KINDS
from parsers.normalize import INT_0

# Typed scalars (see parsers.normalize: a bare Python value costs about 50 us a call).
_CODES = tuple(pa.scalar(i, pa.int64()) for i in range(len(KINDS)))
_KIND_SCALARS = {kind: pa.scalar(kind, pa.string()) for kind in KINDS}
_FLOAT_0 = pa.scalar(0.0, pa.float64())
_NO_KIND = pa.scalar(len(KINDS), pa.int32())

PROFILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_count", "INTEGER"),
    *((f"count_{kind}", "INTEGER") for kind in KINDS),
    *((f"share_bytes_{kind}", "DOUBLE") for kind in KINDS),
    ("dominant_kind", "VARCHAR"),
    ("largest_file_size", "BIGINT"),
)
"""The profile columns (``infohash`` aside) with their DuckDB types, in output order,
so that the warehouse schema can be generated from (or checked against) them."""

_ARROW_TYPES = {
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
}


def profile_schema() -> pa.Schema:
    """The Arrow schema of ``profile_table`` output: ``infohash`` + ``PROFILE_COLUMNS``."""
    fields = [pa.field("infohash", pa.string())]
    fields += [pa.field(name, _ARROW_TYPES[sql]) for name, sql in PROFILE_COLUMNS]
    return pa.schema(fields)


def _per_file_columns(files: pa.Table) -> dict[str, pa.Array]:
    """One count and one byte column per kind, zero where the file is not that kind.

    A null or unknown kind counts as ``other``; a null ``is_pad`` as not a pad; a
    null size as 0 bytes. Pad files get a kind code that matches no kind, and counts
    stay booleans (``sum`` counts them): two kernels per kind instead of four.
    """
    real = pc.invert(pc.fill_null(files["is_pad"], False))
    size = pc.if_else(real, pc.fill_null(files["size"], 0), INT_0).cast(pa.int64())
    code = pc.fill_null(pc.index_in(files["kind"], pa.array(KINDS, pa.string())), len(KINDS) - 1)
    code = pc.if_else(real, code, _NO_KIND)
    columns: dict[str, pa.Array] = {
        "infohash": files["infohash"],
        "real": real,
        "bytes": size,
        "largest": pc.if_else(real, size, pa.scalar(None, pa.int64())),
    }
    for i, kind in enumerate(KINDS):
        is_kind = pc.equal(code, _CODES[i])
        columns[f"c_{kind}"] = is_kind
        columns[f"b_{kind}"] = pc.if_else(is_kind, size, INT_0)
    return columns


def _dominant(totals: pa.Table) -> pa.Array:
    """The kind with the most bytes; ties go to the earlier kind of ``KINDS``;
    NULL when the torrent has no bytes."""
    best = totals["b_" + KINDS[0] + "_sum"]
    winner = pa.repeat(_KIND_SCALARS[KINDS[0]], len(totals))
    for kind in KINDS[1:]:
        candidate = totals[f"b_{kind}_sum"]
        better = pc.greater(candidate, best)
        winner = pc.if_else(better, _KIND_SCALARS[kind], winner)
        best = pc.max_element_wise(best, candidate)
    has_bytes = pc.greater(totals["bytes_sum"], INT_0)
    return pc.if_else(has_bytes, winner, pa.scalar(None, pa.string()))


def profile_table(files: pa.Table) -> pa.Table:
    """One row per infohash: counts and byte shares per kind, dominant kind, largest file.

    Input columns: ``infohash`` (string), ``kind`` (string), ``size`` (int64),
    ``is_pad`` (bool). Output: ``profile_schema()``, sorted by infohash.
    ``file_count`` and the counts leave pad files out; ``share_bytes_<kind>`` is
    the kind's share of the non-pad bytes (0 when there are none);
    ``largest_file_size`` is NULL when there is no non-pad file.
    """
    per_file = pa.table(_per_file_columns(files))
    sums = ["real", "bytes"] + [f"{p}_{kind}" for kind in KINDS for p in ("c", "b")]
    totals = per_file.group_by("infohash", use_threads=False).aggregate(
        [(name, "sum") for name in sums] + [("largest", "max")]
    )
    total = pc.cast(totals["bytes_sum"], pa.float64())
    has_bytes = pc.greater(total, INT_0)
    out: dict[str, pa.Array] = {
        "infohash": totals["infohash"],
        "file_count": totals["real_sum"],
    }
    for kind in KINDS:
        out[f"count_{kind}"] = totals[f"c_{kind}_sum"]
    for kind in KINDS:
        share = pc.divide(pc.cast(totals[f"b_{kind}_sum"], pa.float64()), total)
        out[f"share_bytes_{kind}"] = pc.if_else(has_bytes, share, _FLOAT_0)
    out["dominant_kind"] = _dominant(totals)
    out["largest_file_size"] = totals["largest_max"]
    schema = profile_schema()
    table = pa.table({name: out[name] for name in schema.names}).cast(schema)
    return table.sort_by("infohash")
