"""Content profile: what a torrent's bytes are, per file kind.

A disguised release is one whose name says one thing and whose bytes say another, so
every torrent gets, per kind of ``parsers.extensions.KINDS``, how many files it has
and what share of its bytes they hold. Pad files (BEP 47 alignment filler) are left
out: they are not content and would dilute every share.

The work is column-wise: each torrent's files form one contiguous run, per-kind
counts and bytes are summed over the runs with numpy, and the shares and dominant
kind are computed over the (much shorter) per-torrent columns. No Python loop runs
over files.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parsers.extensions import KINDS

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


def _groups(infohashes: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The distinct infohashes, an order of the rows that puts each one's files
    together, and where each run starts in that order.

    Both loaders hand over a torrent's files contiguously: then the runs are found by
    comparing neighbours, only their first rows are hashed (to prove each infohash
    has one run), and the order is the identity. Otherwise every row is hashed and
    one stable sort of small integers brings each torrent's files together.
    """
    if isinstance(infohashes, pa.ChunkedArray):
        infohashes = infohashes.combine_chunks()
    count = len(infohashes)
    changes = pc.not_equal(infohashes.slice(1), infohashes.slice(0, count - 1))
    changes = pc.fill_null(changes, True).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate(([True], changes)))
    heads = infohashes.take(pa.array(starts))
    if pc.count_distinct(heads, mode="all").as_py() == len(heads):
        return heads, np.arange(count), starts
    encoded = pc.dictionary_encode(infohashes)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return encoded.dictionary, order, starts


def _per_file(files: pa.Table, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per file, in ``order``: whether it counts (not a pad), its bytes (0 for pads and
    unknown sizes) and its kind's position in ``KINDS`` (``len(KINDS)`` for pads; a
    null or unknown kind is ``other``)."""
    real = pc.invert(pc.fill_null(files["is_pad"], False)).to_numpy(zero_copy_only=False)
    size = pc.fill_null(files["size"], 0).cast(pa.int64()).to_numpy(zero_copy_only=False)
    kinds = pa.array(KINDS, pa.string())
    code = pc.fill_null(pc.index_in(files["kind"], kinds), len(KINDS) - 1)
    code = code.to_numpy(zero_copy_only=False).astype(np.int64)
    real, size, code = real[order], size[order], code[order]
    size = np.where(real, size, 0)
    return real, size, np.where(real, code, len(KINDS))


def profile_table(files: pa.Table) -> pa.Table:
    """One row per infohash: counts and byte shares per kind, dominant kind, largest file.

    Input columns: ``infohash`` (string), ``kind`` (string), ``size`` (int64),
    ``is_pad`` (bool). Output: ``profile_schema()``, sorted by infohash.
    ``file_count`` and the counts leave pad files out; ``share_bytes_<kind>`` is
    the kind's share of the non-pad bytes (0 when there are none); the dominant kind
    is the one with the most bytes (ties to the earlier of ``KINDS``, NULL without
    bytes); ``largest_file_size`` is NULL when there is no non-pad file.

    Sums run over each torrent's contiguous run of files (``np.add.reduceat``) in
    exact int64 arithmetic: no hashing of the infohash per aggregate.
    """
    schema = profile_schema()
    if files.num_rows == 0:
        return schema.empty_table()
    hashes, order, starts = _groups(files["infohash"])
    real, size, code = _per_file(files, order)
    file_count = np.add.reduceat(real.astype(np.int64), starts)
    kind_bytes = np.stack(
        [np.add.reduceat(np.where(code == i, size, 0), starts) for i in range(len(KINDS))],
        axis=1,
    )
    kind_counts = [np.add.reduceat((code == i).astype(np.int64), starts) for i in range(len(KINDS))]
    total = kind_bytes.sum(axis=1)
    largest = np.maximum.reduceat(np.where(real, size, -1), starts)
    has_bytes = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(has_bytes[:, None], kind_bytes / total[:, None].astype(np.float64), 0.0)
    dominant = np.asarray(KINDS, dtype=object)[np.argmax(kind_bytes, axis=1)]
    out: dict[str, pa.Array] = {
        "infohash": hashes,
        "file_count": pa.array(file_count, pa.int32()),
    }
    for i, kind in enumerate(KINDS):
        out[f"count_{kind}"] = pa.array(kind_counts[i], pa.int32())
    for i, kind in enumerate(KINDS):
        out[f"share_bytes_{kind}"] = pa.array(shares[:, i], pa.float64())
    out["dominant_kind"] = pa.array(dominant, pa.string(), mask=~has_bytes)
    out["largest_file_size"] = pa.array(largest, pa.int64(), mask=largest < 0)
    table = pa.table([out[name] for name in schema.names], schema=schema)
    return table.take(pc.sort_indices(hashes))
