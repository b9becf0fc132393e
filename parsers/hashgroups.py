"""One record per torrent in a batch, whichever of its hashes each input named.

A hybrid torrent (BEP 52) has a v1 and a v2 infohash, and a batch may hold a
``btmh`` magnet, a ``btih`` magnet and the ``.torrent`` of one torrent: three records
with different hash knowledge and, unmerged, up to three keys. This module groups the
batch's records by any shared hash, so the batch holds one row per torrent with every
hash it learned, and each sighting carries that row's key. The warehouse side of the
same rule (matching stored rows by either hash) is ``warehouse/load.py``.

The rule (docs/data-dictionary.md, "One torrent, one row"): a record with metadata
settles its torrent's hashes (a NULL hash there means "this torrent has none"); a
magnet's btih+btmh pair is believed unless it contradicts what is settled or already
paired, and then its sighting is kept under the torrent its btih names, the btmh is
not paired, and a ``magnet.hash_conflict`` reject says so. Records with metadata are
taken first, so a magnet is always checked against them whatever the input order.
The key is the group's v1 hash when it has one, else its v2 hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from parsers.records import Reject, Sighting, TorrentMeta

Parsed = tuple[TorrentMeta, Sighting]


@dataclass(slots=True)
class _Group:
    """The torrent one or more records of a batch name."""

    v1: str | None
    v2: str | None
    meta: TorrentMeta  # the record its row is built from: the first with metadata
    into: _Group | None = None  # set when merged into another group

    @property
    def settled(self) -> bool:
        return self.meta.has_metadata

    def root(self) -> _Group:
        group = self
        while group.into is not None:
            group = group.into
        return group


@dataclass(frozen=True, slots=True)
class Grouped:
    """The batch's sightings re-keyed, one record per torrent, and the conflicts."""

    parsed: list[Parsed]
    metas: list[TorrentMeta]
    rejects: list[Reject]


def group_by_hashes(parsed: Sequence[Parsed]) -> Grouped:
    """Group ``parsed`` by shared v1/v2 hashes (see the module docstring)."""
    if not any(meta.infohash_v2 for meta, _ in parsed):  # v1 only: the key is the v1 hash
        return Grouped(list(parsed), _first_by_key(parsed), [])
    by_v1: dict[str, _Group] = {}
    by_v2: dict[str, _Group] = {}
    groups: list[_Group | None] = [None] * len(parsed)
    rejects: list[Reject] = []
    order = [i for i, (m, _) in enumerate(parsed) if m.has_metadata]
    order += [i for i, (m, _) in enumerate(parsed) if not m.has_metadata]
    for i in order:
        meta, sighting = parsed[i]
        group, conflict = _place(meta, by_v1, by_v2)
        groups[i] = group
        if conflict:
            rejects.append(_conflict_reject(meta, sighting, conflict))
    roots = [group.root() for group in groups]  # type: ignore[union-attr]
    chosen = {id(root): _final(root) for root in roots}
    return Grouped(
        parsed=[
            (chosen[id(root)], sighting) for root, (_, sighting) in zip(roots, parsed, strict=True)
        ],
        metas=list(chosen.values()),
        rejects=rejects,
    )


def _first_by_key(parsed: Sequence[Parsed]) -> list[TorrentMeta]:
    """One record per key; a record with metadata wins over a bare magnet."""
    chosen: dict[str, TorrentMeta] = {}
    for meta, _ in parsed:
        held = chosen.get(meta.infohash)
        if held is None or (meta.has_metadata and not held.has_metadata):
            chosen[meta.infohash] = meta
    return list(chosen.values())


def _place(
    meta: TorrentMeta, by_v1: dict[str, _Group], by_v2: dict[str, _Group]
) -> tuple[_Group, str | None]:
    """The group ``meta`` belongs to, created or merged as needed; and why its hash
    pairing was not believed, or None."""
    v1, v2 = meta.infohash_v1, meta.infohash_v2
    g1 = by_v1[v1].root() if v1 in by_v1 else None
    g2 = by_v2[v2].root() if v2 in by_v2 else None
    if g1 is None and g2 is None:
        return _register(_Group(v1, v2, meta), by_v1, by_v2), None
    why = _contradiction(meta, g1, g2)
    if why is not None:
        if g1 is None:  # kept under its own btih, its btmh unpaired
            alone = replace(meta, infohash=v1, infohash_v2=None)
            return _register(_Group(v1, None, alone), by_v1, by_v2), why
        return g1, why  # its record is not adopted: its hashes are not the group's
    group = g1 or g2
    if g1 is not None and g2 is not None and g1 is not g2:
        group = _merge(g1, g2)
    group.v1, group.v2 = group.v1 or v1, group.v2 or v2
    _adopt(group, meta)
    return _register(group, by_v1, by_v2), None


def _contradiction(meta: TorrentMeta, g1: _Group | None, g2: _Group | None) -> str | None:
    """Why ``meta``'s hashes cannot all belong to the groups they name, or None."""
    for group in {id(g): g for g in (g1, g2) if g is not None}.values():
        for mine, theirs, kind in (
            (meta.infohash_v1, group.v1, "v1"),
            (meta.infohash_v2, group.v2, "v2"),
        ):
            if mine is None or mine == theirs:
                continue
            if theirs is not None or group.settled:
                known = theirs or "none (its metadata has no such hash)"
                return f"{_name(group)} is known with {kind} {known}, not {mine}"
    if g1 is not None and g2 is not None and g1 is not g2 and g1.settled and g2.settled:
        return f"{_name(g1)} and {_name(g2)} are two torrents with metadata"
    return None


def _name(group: _Group) -> str:
    return f"the torrent {group.v1 or group.v2}"


def _merge(g1: _Group, g2: _Group) -> _Group:
    """One group of two; the one with metadata keeps its record (else ``g1``)."""
    keep, gone = (g2, g1) if g2.settled and not g1.settled else (g1, g2)
    gone.into = keep
    keep.v1, keep.v2 = keep.v1 or gone.v1, keep.v2 or gone.v2
    return keep


def _adopt(group: _Group, meta: TorrentMeta) -> None:
    if meta.has_metadata and not group.settled:
        group.meta = meta


def _register(group: _Group, by_v1: dict[str, _Group], by_v2: dict[str, _Group]) -> _Group:
    if group.v1 is not None:
        by_v1.setdefault(group.v1, group)
    if group.v2 is not None:
        by_v2.setdefault(group.v2, group)
    return group


def _final(group: _Group) -> TorrentMeta:
    """The group's record with its key and every hash it learned."""
    meta = group.meta
    key = group.v1 or group.v2
    if (meta.infohash, meta.infohash_v1, meta.infohash_v2) == (key, group.v1, group.v2):
        return meta
    return replace(meta, infohash=key, infohash_v1=group.v1, infohash_v2=group.v2)


def _conflict_reject(meta: TorrentMeta, sighting: Sighting, why: str) -> Reject:
    detail = (
        f"{sighting.source_ref}: the link pairs v1 {meta.infohash_v1} with v2 "
        f"{meta.infohash_v2}, but {why}; the sighting is kept under its v1 torrent and "
        "the other hash is not paired with it"
    )
    return Reject(
        sighting.source,
        sighting.source_ref,
        None,
        "magnet.hash_conflict",
        detail,
        sighting.seen_at,
    )
