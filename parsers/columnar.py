"""Turning parsed records into Arrow tables ready for one bulk load.

All per-file derivations (normalised path, extension chain, kind, hidden marks) and
per-torrent ones (normalised name, skeleton, release claim, content profile) run
here column-wise, once per batch, so the cost per file is a few vectorised passes
instead of Python calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import pyarrow as pa
import pyarrow.compute as pc

from parsers.extensions import ext_chain_array, kind_array
from parsers.normalize import name_marks_array, normalize_array, skeleton_array, tokens_array
from parsers.profile import profile_table
from parsers.records import Reject, Sighting, TorrentMeta
from parsers.release import parse_release_array

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """One batch of parsed input as Arrow tables; torrents are unique by infohash."""

    torrents: pa.Table
    files: pa.Table
    observations: pa.Table
    rejects: pa.Table

    @property
    def items(self) -> int:
        return self.observations.num_rows + self.rejects.num_rows


def merge_batches(batches: Sequence[ParsedBatch]) -> ParsedBatch | None:
    """One batch from several, or None when they share an infohash.

    Each batch is unique by infohash on its own; merging keeps that promise only
    when no torrent appears in two of them. That is the common case, and the rare
    collision is simply loaded batch by batch, so no row-level deduplication is needed.
    """
    if len(batches) == 1:
        return batches[0]
    torrents = pa.concat_tables([b.torrents for b in batches])
    if pc.count_distinct(torrents.column("infohash")).as_py() != torrents.num_rows:
        return None
    return ParsedBatch(
        torrents=torrents,
        files=pa.concat_tables([b.files for b in batches]),
        observations=pa.concat_tables([b.observations for b in batches]),
        rejects=pa.concat_tables([b.rejects for b in batches]),
    )


def unique_metas(parsed: Sequence[tuple[TorrentMeta, Sighting]]) -> list[TorrentMeta]:
    """One record per infohash; a record with metadata wins over a bare magnet."""
    chosen: dict[str, TorrentMeta] = {}
    for meta, _ in parsed:
        held = chosen.get(meta.infohash)
        if held is None or (meta.has_metadata and not held.has_metadata):
            chosen[meta.infohash] = meta
    return list(chosen.values())


def build_batch(
    parsed: Sequence[tuple[TorrentMeta, Sighting]], rejects: Sequence[Reject]
) -> ParsedBatch:
    metas = unique_metas(parsed)
    files = files_table(metas)
    return ParsedBatch(
        torrents=torrents_table(metas, files, parsed),
        files=files,
        observations=observations_table(parsed),
        rejects=rejects_table(rejects),
    )


def _col(values, type_=None) -> pa.Array:
    return pa.array(values, type=type_)


def files_table(metas: Sequence[TorrentMeta]) -> pa.Table:
    counts = [len(m.files) for m in metas]
    infohashes = pa.array([m.infohash for m in metas], pa.string())
    owner = pa.array(
        list(chain.from_iterable(repeat(i, c) for i, c in enumerate(counts))), pa.int32()
    )

    def flat(attr: str) -> list:
        return list(chain.from_iterable(getattr(m.files, attr) for m in metas))

    paths = pa.array(flat("paths"), pa.string())
    exts = ext_chain_array(paths)
    marks = name_marks_array(paths)
    return pa.table(
        {
            "infohash": pc.take(infohashes, owner),
            "file_index": pa.array(list(chain.from_iterable(map(range, counts))), pa.int32()),
            "path": paths,
            "path_raw": pa.array(flat("paths_raw"), pa.binary()),
            "path_norm": normalize_array(paths),
            "ext": _last_ext(exts),
            "exts": exts,
            "kind": kind_array(exts),
            "size": pa.array(flat("sizes"), pa.int64()),
            "is_pad": pa.array(flat("is_pad"), pa.bool_()),
            "is_symlink": pa.array(flat("is_symlink"), pa.bool_()),
            "symlink_target": pa.array(flat("symlink_targets"), pa.string()),
            "is_executable": pa.array(flat("is_executable"), pa.bool_()),
            "is_hidden": pa.array(flat("is_hidden"), pa.bool_()),
            "pieces_root": pa.array(flat("pieces_roots"), pa.string()),
            "has_bidi": marks.field("has_bidi"),
            "has_zero_width": marks.field("has_zero_width"),
            "has_trailing_dot_space": marks.field("has_trailing_dot_space"),
            "has_control": marks.field("has_control"),
        }
    )


def _last_ext(exts: pa.Array) -> pa.Array:
    """The final extension of each chain, '' for a file without one."""
    lengths = pc.list_value_length(exts)
    flat = pc.list_flatten(exts)
    ends = pc.subtract(pc.cumulative_sum(pc.fill_null(lengths, 0)), 1)
    has = pc.greater(lengths, 0)
    picked = pc.take(flat, pc.if_else(has, ends, pa.scalar(None, pa.int64())))
    return pc.fill_null(picked, "")


def torrents_table(
    metas: Sequence[TorrentMeta],
    files: pa.Table,
    parsed: Sequence[tuple[TorrentMeta, Sighting]],
) -> pa.Table:
    names = pa.array([m.name for m in metas], pa.string())
    norm = normalize_array(names)
    skeleton = skeleton_array(names)
    marks = name_marks_array(names)
    claim = parse_release_array(names)
    base = pa.table(
        {
            "infohash": pa.array([m.infohash for m in metas], pa.string()),
            "infohash_v1": _col([m.infohash_v1 for m in metas], pa.string()),
            "infohash_v2": _col([m.infohash_v2 for m in metas], pa.string()),
            "has_metadata": _col([m.has_metadata for m in metas], pa.bool_()),
            "name": names,
            "name_raw": _col([m.name_raw for m in metas], pa.binary()),
            "name_norm": norm,
            "name_skeleton": skeleton,
            "name_tokens": tokens_array(norm),
            "skeleton_tokens": tokens_array(skeleton),
            "name_has_bidi": marks.field("has_bidi"),
            "name_has_zero_width": marks.field("has_zero_width"),
            "name_has_trailing_dot_space": marks.field("has_trailing_dot_space"),
            "name_has_control": marks.field("has_control"),
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
            "claimed_platform": claim.field("platform"),
            "claimed_category": claim.field("category"),
            "release_tags": claim.field("tags"),
            "video_about_game": claim.field("video_about_game"),
        }
    )
    profile = profile_table(files.select(["infohash", "kind", "size", "is_pad"]))
    seen = _seen_window(parsed)
    for side in (profile, seen):
        rows = pc.index_in(base.column("infohash"), value_set=side.column("infohash"))
        for name in side.column_names[1:]:
            base = base.append_column(name, side.column(name).take(rows))
    return base


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
            "title": _col([s.title for s in sightings], pa.string()),
            "category": _col([s.category for s in sightings], pa.string()),
            "seeders": _col([s.seeders for s in sightings], pa.int32()),
            "leechers": _col([s.leechers for s in sightings], pa.int32()),
        }
    )


def rejects_table(rejects: Sequence[Reject]) -> pa.Table:
    return pa.table(
        {
            "source": _col([r.source for r in rejects], pa.string()),
            "source_ref": _col([r.source_ref for r in rejects], pa.string()),
            "sha256": _col([r.sha256 for r in rejects], pa.string()),
            "reason": _col([r.reason for r in rejects], pa.string()),
            "detail": _col([r.detail for r in rejects], pa.string()),
            "seen_at": _col([r.seen_at for r in rejects], _TS),
        }
    )
