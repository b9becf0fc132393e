"""Turning parsed records into Arrow tables ready for one bulk load.

All per-file derivations (normalised path, extension chain, kind, hidden marks) and
per-torrent ones (normalised name, skeleton, release claim, content profile) run
here column-wise, once per batch, so the cost per file is a few vectorised passes
instead of Python calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import methodcaller

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from common.textcap import DETAIL_CAP, cap_array
from parsers.extensions import ext_chain_array, kind_array
from parsers.hashgroups import group_by_hashes
from parsers.normalize import (
    INT_0,
    INT_1,
    MARK_FIELDS,
    as_string_array,
    name_marks_array,
    normalize_array,
    skeleton_array,
    tokens_array,
)
from parsers.padding import padding_mask
from parsers.profile import profile_table
from parsers.reasons import KEPT_REASONS
from parsers.records import Reject, Sighting, TorrentMeta
from parsers.release import content_claims, parse_release_array

_TS = pa.timestamp("us", tz="UTC")
_FALSE = pa.scalar(False, pa.bool_())
_INT64_0 = pa.array([0], pa.int64())
_COUNT_NONE = methodcaller("count", None)
_KEPT_REASONS = pa.array(sorted(KEPT_REASONS), pa.string())


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """One batch of parsed input as Arrow tables; torrents are unique by infohash."""

    torrents: pa.Table
    files: pa.Table
    observations: pa.Table
    rejects: pa.Table

    @property
    def items(self) -> int:
        """Inputs the batch holds: sightings and rejected inputs (a reject filed beside
        a sighting that was kept, ``KEPT_REASONS``, is not a second input)."""
        kept = 0
        if self.rejects.num_rows:
            reasons = self.rejects.column("reason")
            kept = pc.sum(pc.is_in(reasons, value_set=_KEPT_REASONS)).as_py() or 0
        return self.observations.num_rows + self.rejects.num_rows - kept


def merge_batches(batches: Sequence[ParsedBatch]) -> ParsedBatch | None:
    """One batch from several, or None when they share a torrent.

    Each batch is unique by infohash, by v1 and by v2 hash on its own; merging keeps
    that promise only when no torrent (by any of its hashes) appears in two of them.
    That is the common case, and the rare collision is simply loaded batch by batch,
    so no row-level deduplication is needed.
    """
    if len(batches) == 1:
        return batches[0]
    torrents = pa.concat_tables([b.torrents for b in batches])
    if not all(_distinct(torrents, key) for key in ("infohash", "infohash_v1", "infohash_v2")):
        return None
    return ParsedBatch(
        torrents=torrents,
        files=pa.concat_tables([b.files for b in batches]),
        observations=pa.concat_tables([b.observations for b in batches]),
        rejects=pa.concat_tables([b.rejects for b in batches]),
    )


def _distinct(torrents: pa.Table, column: str) -> bool:
    """No two rows share a (non-null) value of ``column``."""
    values = torrents.column(column)
    return pc.count_distinct(values).as_py() == values.length() - values.null_count


def unique_metas(parsed: Sequence[tuple[TorrentMeta, Sighting]]) -> list[TorrentMeta]:
    """One record per torrent, whichever of its hashes each record named
    (parsers/hashgroups.py); a record with metadata wins over a bare magnet."""
    return group_by_hashes(parsed).metas


def build_batch(
    parsed: Sequence[tuple[TorrentMeta, Sighting]], rejects: Sequence[Reject]
) -> ParsedBatch:
    """The batch's Arrow tables: one torrents row per torrent (records sharing a v1 or
    v2 hash are one torrent, and every sighting carries that row's key)."""
    grouped = group_by_hashes(parsed)
    metas = grouped.metas
    parsed = grouped.parsed
    files = files_table(metas)
    return ParsedBatch(
        torrents=torrents_table(metas, files, parsed),
        files=files,
        observations=observations_table(parsed),
        rejects=rejects_table([*rejects, *grouped.rejects]),
    )


def _col(values, type_=None) -> pa.Array:
    return pa.array(values, type=type_)


def files_table(metas: Sequence[TorrentMeta]) -> pa.Table:
    """One row per file of ``metas``. Runs once per batch for every file, so columns
    are built without a Python value per file where a kernel or a shared array can
    stand in (positions, and flag and raw columns that are almost always default)."""
    lists = [m.files for m in metas]
    paths = pa.array(_flat([f.paths for f in lists]), pa.string())
    owner, file_index = _positions([len(f.paths) for f in lists])
    total = len(paths)
    infohashes = pa.array([m.infohash for m in metas], pa.string())
    shown = _client_text(paths, _flat([f.paths_raw for f in lists]))
    others = _flat([f.paths_alt_raw or (None,) * len(f.paths) for f in lists])
    exts = ext_chain_array(shown)
    marks = name_marks_array(_mark_text(shown, others))
    return pa.table(
        {
            "infohash": pc.take(infohashes, owner),
            "file_index": file_index,
            "path": paths,
            "path_raw": _rare([f.paths_raw for f in lists], total, pa.binary()),
            "path_alt_raw": _rare_list(others, pa.list_(pa.binary())),
            "path_norm": normalize_array(shown),
            "ext": _last_ext(exts),
            "exts": exts,
            "kind": kind_array(exts),
            "size": pa.array(_flat([f.sizes for f in lists]), pa.int64()),
            "is_pad": _flags([f.is_pad for f in lists], total),
            "is_symlink": _flags([f.is_symlink for f in lists], total),
            "symlink_target": _rare([f.symlink_targets for f in lists], total, pa.string()),
            "is_executable": _flags([f.is_executable for f in lists], total),
            "is_hidden": _flags([f.is_hidden for f in lists], total),
            "pieces_root": _rare([f.pieces_roots for f in lists], total, pa.string()),
            **_mark_columns(marks, ""),
        }
    )


def _flat(columns: list[tuple]) -> list:
    return list(chain.from_iterable(columns))


def _positions(counts: list[int]) -> tuple[pa.Array, pa.Array]:
    """Each file's torrent (row of ``counts``) and its index within that torrent.

    Arrow kernels over the offsets instead of Python lists of one int per file.
    """
    offsets = pa.concat_arrays([_INT64_0, pc.cumulative_sum(pa.array(counts, pa.int64()))])
    total = offsets[-1].as_py()
    owner = pc.list_parent_indices(pa.LargeListArray.from_arrays(offsets, pa.nulls(total)))
    row = pc.subtract(pc.cumulative_sum(pa.repeat(INT_1, total)), INT_1)
    return owner, pc.subtract(row, pc.take(offsets, owner)).cast(pa.int32())


def _flags(columns: list[tuple[bool, ...]], total: int) -> pa.BooleanArray:
    """A flag column; all False (one shared array, no Python list) when none is set,
    as is usual for pad, symlink, executable and hidden marks."""
    if any(map(any, columns)):
        return pa.array(_flat(columns), pa.bool_())
    return pa.repeat(_FALSE, total)


def _rare(columns: list[tuple], total: int, type_: pa.DataType) -> pa.Array:
    """A column that is usually all None (raw paths, symlink targets, v2 roots)."""
    if sum(map(_COUNT_NONE, columns)) == total:
        return pa.nulls(total, type_)
    return pa.array(_flat(columns), type_)


def _rare_list(values: list, type_: pa.DataType) -> pa.Array:
    """``_rare`` for values already flattened (the other readings of names)."""
    if values.count(None) == len(values):
        return pa.nulls(len(values), type_)
    return pa.array(values, type_)


def _last_ext(exts: pa.Array) -> pa.Array:
    """The final extension of each chain, '' for a file without one."""
    lengths = pc.list_value_length(exts)
    flat = pc.list_flatten(exts)
    ends = pc.subtract(pc.cumulative_sum(pc.fill_null(lengths, 0)), INT_1)
    has = pc.greater(lengths, INT_0)
    picked = pc.take(flat, pc.if_else(has, ends, pa.scalar(None, pa.int64())))
    return pc.fill_null(picked, "")


def _mark_columns(marks: pa.StructArray, prefix: str) -> dict[str, pa.Array]:
    """The hidden-character marks as columns (``name_has_bidi``, ... for names)."""
    return {f"{prefix}{field}": marks.field(field) for field in MARK_FIELDS}


def _name_forms(names: pa.StringArray) -> dict[str, pa.Array]:
    """The normalised and skeleton forms of torrent names, as strings and token lists."""
    norm = normalize_array(names)
    skeleton = skeleton_array(names)
    return {
        "name_norm": norm,
        "name_skeleton": skeleton,
        "name_tokens": tokens_array(norm),
        "skeleton_tokens": tokens_array(skeleton),
    }


def _claim_columns(names: pa.StringArray, tokens: pa.ListArray) -> dict[str, pa.Array]:
    """What the release name claims to be (parsers/release.py), read from the name's
    normalised tokens (``name_tokens``)."""
    claim = parse_release_array(names, tokens)
    return {
        "claimed_platform": claim.field("platform"),
        "claimed_category": claim.field("category"),
        "release_tags": claim.field("tags"),
        "video_about_game": claim.field("video_about_game"),
        "claimed_nature": claim.field("nature"),
    }


def with_content_claims(torrents: pa.Table) -> pa.Table:
    """``torrents`` (name claim and content profile joined) with the claims a name
    without category words makes through its bytes (``parsers.release.content_claims``)
    and each claim's origin, ``claim_origin``."""
    category, origin = content_claims(
        torrents.column("claimed_category"),
        torrents.column("share_bytes_video"),
        torrents.column("count_video"),
        torrents.column("largest_file_size"),
        torrents.column("total_size"),
    )
    at = torrents.column_names.index("claimed_category")
    return torrents.set_column(at, "claimed_category", category).append_column(
        "claim_origin", origin
    )


def torrents_table(
    metas: Sequence[TorrentMeta],
    files: pa.Table,
    parsed: Sequence[tuple[TorrentMeta, Sighting]],
) -> pa.Table:
    names = pa.array([m.name for m in metas], pa.string())
    shown = _client_text(names, [m.name_raw for m in metas])
    others = [m.name_alt_raw for m in metas]
    marks = name_marks_array(_mark_text(shown, [None if o is None else (o,) for o in others]))
    forms = _name_forms(shown)
    base = pa.table(
        {
            "infohash": pa.array([m.infohash for m in metas], pa.string()),
            "infohash_v1": _col([m.infohash_v1 for m in metas], pa.string()),
            "infohash_v2": _col([m.infohash_v2 for m in metas], pa.string()),
            "has_metadata": _col([m.has_metadata for m in metas], pa.bool_()),
            "name": names,
            "name_raw": _col([m.name_raw for m in metas], pa.binary()),
            "name_alt_raw": _rare_list(others, pa.binary()),
            **forms,
            **_mark_columns(marks, "name_"),
            "total_size": _col([m.total_size for m in metas], pa.int64()),
            "piece_length": _col([m.piece_length for m in metas], pa.int32()),
            "private": _col([m.private for m in metas], pa.bool_()),
            "created_by": _col([m.created_by for m in metas], pa.string()),
            "creation_date": _col([m.creation_date for m in metas], _TS),
            "comment": _col([m.comment for m in metas], pa.string()),
            "source": _col([m.source for m in metas], pa.string()),
            "trackers": _col([list(m.trackers) for m in metas], pa.list_(pa.string())),
            "web_seeds": _col([list(m.web_seeds) for m in metas], pa.list_(pa.string())),
            "metadata_size": _col([m.metadata_size for m in metas], pa.int32()),
            **_claim_columns(shown, forms["name_tokens"]),
        }
    )
    profile = profile_table(files.select(["infohash", "kind", "size", "is_pad"]))
    return with_content_claims(_joined(base, (profile, _seen_window(parsed))))


def _joined(base: pa.Table, sides: Sequence[pa.Table]) -> pa.Table:
    """``base`` with the columns of each side (keyed by ``infohash``) in its row order:
    one ``take`` per side instead of one per column, and one table built at the end."""
    keys = base.column("infohash")
    columns, names = base.columns, base.column_names
    for side in sides:
        rows = pc.index_in(keys, value_set=side.column("infohash"))
        picked = side.drop_columns(["infohash"]).take(rows)
        columns += picked.columns
        names += picked.column_names
    return pa.Table.from_arrays(columns, names=names)


def _seen_window(parsed: Sequence[tuple[TorrentMeta, Sighting]]) -> pa.Table:
    sightings = pa.table(
        {
            "infohash": pa.array([m.infohash for m, _ in parsed], pa.string()),
            "seen_at": pa.array([s.seen_at for _, s in parsed], _TS),
        }
    )
    window = sightings.group_by("infohash").aggregate([("seen_at", "min"), ("seen_at", "max")])
    return window.rename_columns(["infohash", "first_seen", "last_seen"])


def observations_table(parsed: Sequence[tuple[TorrentMeta, Sighting]]) -> pa.Table:
    sightings = [s for _, s in parsed]
    return pa.table(
        {
            "infohash": pa.array([m.infohash for m, _ in parsed], pa.string()),
            "source": _col([s.source for s in sightings], pa.string()),
            "source_ref": _col([s.source_ref for s in sightings], pa.string()),
            "seen_at": _col([s.seen_at for s in sightings], _TS),
            # What a source calls a torrent is gathered text: capped, the cut stated.
            "title": cap_array(_col([s.title for s in sightings], pa.string())),
            "category": cap_array(_col([s.category for s in sightings], pa.string())),
            "seeders": _col([s.seeders for s in sightings], pa.int32()),
            "leechers": _col([s.leechers for s in sightings], pa.int32()),
            "completed": _col([s.completed for s in sightings], pa.int32()),
        }
    )


def rejects_table(rejects: Sequence[Reject]) -> pa.Table:
    """``rejects`` rows; a detail quoting a huge input is capped (the cut stated): the
    input itself is identified by ``sha256`` and kept in the landing zone."""
    return pa.table(
        {
            "source": _col([r.source for r in rejects], pa.string()),
            "source_ref": _col([r.source_ref for r in rejects], pa.string()),
            "sha256": _col([r.sha256 for r in rejects], pa.string()),
            "reason": _col([r.reason for r in rejects], pa.string()),
            "detail": cap_array(_col([r.detail for r in rejects], pa.string()), DETAIL_CAP),
            "seen_at": _col([r.seen_at for r in rejects], _TS),
        }
    )


def _client_text(values: pa.Array, raws: list[bytes | None]) -> pa.Array:
    """What a client shows and writes to disk: the bytes of the name keys libtorrent
    read (``name_raw``, ``path_raw``), decoded leniently, where they differ from its
    report, else the report. libtorrent drops bidi controls, truncates long elements
    and rewrites invalid UTF-8 (eating the bytes after it: ``Setup\xe9.exe`` becomes
    ``Setup_xe``), so marks, extensions, kinds and name forms are derived from this,
    never from the report; U+FFFD stands for an undecodable byte and hides nothing.
    Only the rows with raw bytes are touched (one odd torrent must not cost a batch)."""
    rows = _rows_set(raws)
    if rows is None:
        return values
    texts = [raws[row].decode("utf-8", "replace") for row in rows]
    return _replaced(values, rows, texts)


def _mark_text(shown: pa.Array, others: list[tuple[bytes, ...] | None]) -> pa.Array:
    """``shown`` with every other reading of the row's name keys appended after a
    ``/``: a mark in any name key is a mark (another client shows that key), and
    ``/`` joins without making or hiding one (each mark is per character, or per
    ``/``-separated component for trailing dots and spaces)."""
    rows = _rows_set(others)
    if rows is None:
        return shown
    firsts = shown.take(pa.array(rows, pa.int64())).to_pylist()
    texts = [
        "/".join([first or "", *(alt.decode("utf-8", "replace") for alt in others[row])])
        for first, row in zip(firsts, rows, strict=True)
    ]
    return _replaced(shown, rows, texts)


def _rows_set(values: list) -> list[int] | None:
    """The positions of the values that are not None; None when there are none."""
    if values.count(None) == len(values):
        return None
    return [row for row, value in enumerate(values) if value is not None]


def _replaced(values: pa.Array, rows: list[int], texts: list[str]) -> pa.Array:
    """``values`` with the strings at ``rows`` (ascending) replaced by ``texts``."""
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(texts, pa.string()))


# ----------------------------------------------------------- batches built from columns


def listed_files_table(
    infohashes: pa.Array,
    owner: pa.Array,
    file_index: pa.Array,
    paths: pa.Array,
    sizes: pa.Array,
    *,
    paths_raw: pa.Array | None = None,
    maybe_pad: pa.Array | None = None,
) -> pa.Table:
    """``files`` rows for sources that list only paths and sizes (crawler exports).

    The same derivations as ``files_table`` (normalised path, extension chain, kind,
    hidden marks), straight from Arrow columns: ``owner`` is each file's row in
    ``infohashes``. ``paths`` are the text a client displays (undecodable bytes as
    U+FFFD, which hides no extension); ``paths_raw`` the source's own bytes where
    they are not UTF-8 (NULL elsewhere, and all NULL when not given).

    Such exports drop BEP 47 attributes but keep pad entries (magneticod lists them
    as plain ``.pad/<size>`` paths), so padding is recognised by how it is written
    (``parsers.padding``); the symlink mark is false, the executable and hidden
    attributes unknown (NULL). ``maybe_pad``, when given, is a cheap per-file
    pre-check (False: cannot be padding), so the pattern runs only where it may match.
    """
    paths = pa.array(paths, pa.string()) if not isinstance(paths, pa.Array) else paths
    sizes = sizes.cast(pa.int64())
    total = len(paths)
    exts = ext_chain_array(paths)
    marks = name_marks_array(paths)
    unknown = pa.nulls(total, pa.bool_())
    return pa.table(
        {
            "infohash": pc.take(infohashes, owner),
            "file_index": file_index.cast(pa.int32()),
            "path": paths,
            "path_raw": pa.nulls(total, pa.binary()) if paths_raw is None else paths_raw,
            "path_alt_raw": pa.nulls(total, pa.list_(pa.binary())),
            "path_norm": normalize_array(paths),
            "ext": _last_ext(exts),
            "exts": exts,
            "kind": kind_array(exts),
            "size": sizes,
            "is_pad": _listed_padding(paths, sizes, maybe_pad),
            "is_symlink": pa.repeat(_FALSE, total),
            "symlink_target": pa.nulls(total, pa.string()),
            "is_executable": unknown,
            "is_hidden": unknown,
            "pieces_root": pa.nulls(total, pa.string()),
            **_mark_columns(marks, ""),
        }
    )


def _listed_padding(paths: pa.Array, sizes: pa.Array, maybe_pad: pa.Array | None) -> pa.Array:
    """``padding_mask`` of the files that may be padding; False for the rest (one
    shared array when none may be, as in most blocks of an export)."""
    if maybe_pad is None:
        return padding_mask(paths, sizes)
    maybe = pc.fill_null(maybe_pad, False)
    if not pc.any(maybe).as_py():
        return pa.repeat(_FALSE, len(paths))
    rows = pc.indices_nonzero(maybe)
    found = padding_mask(pc.take(paths, rows), pc.take(sizes, rows))
    return pc.replace_with_mask(pa.repeat(_FALSE, len(paths)), maybe, found)


def listed_torrents_table(
    infohashes: pa.Array,
    names: pa.Array,
    total_sizes: pa.Array,
    files: pa.Table,
    seen: pa.Table,
    *,
    names_raw: pa.Array | None = None,
) -> pa.Table:
    """``torrents`` rows for v1 torrents whose info dict a crawler fetched but kept only
    in part (name and file list): the same name derivations, claim and content profile
    as ``torrents_table``; what the export does not keep (piece length, private flag,
    trackers, creator) is NULL rather than a guessed default.

    ``seen`` holds ``infohash`` and ``seen_at`` per sighting; ``infohashes`` is unique.
    ``names`` are display text (undecodable bytes as U+FFFD); ``names_raw`` the
    source's own bytes where they are not UTF-8 (all NULL when not given).
    """
    count = len(infohashes)
    names = as_string_array(names)
    marks = name_marks_array(names)
    forms = _name_forms(names)

    def nulls(type_: pa.DataType) -> pa.Array:
        return pa.nulls(count, type_)

    base = pa.table(
        {
            "infohash": infohashes,
            "infohash_v1": infohashes,
            "infohash_v2": nulls(pa.string()),
            "has_metadata": pa.repeat(pa.scalar(True, pa.bool_()), count),
            "name": names,
            "name_raw": nulls(pa.binary()) if names_raw is None else names_raw,
            "name_alt_raw": nulls(pa.binary()),
            **forms,
            **_mark_columns(marks, "name_"),
            "total_size": total_sizes.cast(pa.int64()),
            "piece_length": nulls(pa.int32()),
            "private": nulls(pa.bool_()),
            "created_by": nulls(pa.string()),
            "creation_date": nulls(_TS),
            "comment": nulls(pa.string()),
            "source": nulls(pa.string()),
            "trackers": nulls(pa.list_(pa.string())),
            "web_seeds": nulls(pa.list_(pa.string())),
            "metadata_size": nulls(pa.int32()),
            **_claim_columns(names, forms["name_tokens"]),
        }
    )
    profile = profile_table(files.select(["infohash", "kind", "size", "is_pad"]))
    window = seen.group_by("infohash", use_threads=False).aggregate(
        [("seen_at", "min"), ("seen_at", "max")]
    )
    window = window.rename_columns(["infohash", "first_seen", "last_seen"])
    return with_content_claims(_joined(base, (profile, window)))
