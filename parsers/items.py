"""The item dispatch: a gathered payload of one kind into parsed records and rejects.

What a source gathers is a payload of a kind (``monitors.base.GATHERED_KINDS``): a
``.torrent``, a magnet list, an observation (a sighting without metadata), or a
reject the source filed. Each kind that becomes records has one parser here, in
``ITEM_PARSERS``, and every parser gives the same record, ``ParsedItem``: the
(torrent, sighting) pairs and the rejects. A long magnet list is parsed slice by
slice (``parse_magnet_part``). The monitor's loader builds its batches from these;
``ingest`` parses its files with ``parse_item``. magnetico exports, loaded set-wise
from their files, are read by ``parsers.magnetico``.

May import: ``common``, ``parsers``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from common.checks import check_int
from common.errors import InputRejected, ValueOutOfRange
from common.textcap import cap_text
from parsers.inputs import LongLine, MagnetSlice, long_line_reject
from parsers.magnet import magnet_to_metas, parse_magnet_lines
from parsers.reasons import REASONS, parser_error
from parsers.records import MagnetLink, RawItem, Reject, Sighting, TorrentMeta
from parsers.torrent import parse_torrent

Parsed = tuple[TorrentMeta, Sighting]

_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# Peer and download counts are stored as INTEGER.
_MAX_COUNT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ItemOrigin:
    """Where a payload came from, and what its source said of it (a landed item's
    envelope: title, category and peer counts apply to every torrent it holds)."""

    kind: str
    source: str
    source_ref: str
    seen_at: datetime
    infohash: str | None = None
    title: str | None = None
    category: str | None = None
    seeders: int | None = None
    leechers: int | None = None

    def reject(self, data: bytes, reason: str, detail: str) -> Reject:
        """A reject of the whole payload ``data``."""
        return Reject(
            self.source,
            self.source_ref,
            hashlib.sha256(data).hexdigest(),
            reason,
            f"{self.source_ref}: {detail}",
            self.seen_at,
        )


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """What one payload (or one slice of a magnet list) gave: torrents with their
    sightings, and rejects."""

    parsed: tuple[Parsed, ...] = ()
    rejects: tuple[Reject, ...] = ()


ItemParser = Callable[[ItemOrigin, bytes], ParsedItem]


# ------------------------------------------------------------- torrents and magnets


def parse_item(item: RawItem, *, first_line: int = 1) -> tuple[list[Parsed], list[Reject]]:
    """Parse one raw item; a bad input becomes a Reject, never an exception: one the
    parsers do not foresee becomes ``input.parser_error`` and the run goes on.

    A magnet item may be a slice of a longer list: ``first_line`` numbers its lines.
    """
    try:
        return _parse_item(item, first_line)
    except Exception as exc:
        return [], [_as_reject(item, parser_error(exc, item.kind, item.source_ref), item.data)]


def _parse_item(item: RawItem, first_line: int) -> tuple[list[Parsed], list[Reject]]:
    if item.kind == "torrent":
        try:
            meta = parse_torrent(item.data, source_ref=item.source_ref)
        except InputRejected as exc:
            return [], [_as_reject(item, exc, item.data)]
        return [(meta, Sighting(item.source, item.source_ref, item.seen_at))], []
    parsed: list[Parsed] = []
    rejects: list[Reject] = []
    lines = parse_magnet_lines(item.data, source_ref=item.source_ref, first_line=first_line)
    for ref, line, outcome in lines:
        if isinstance(outcome, InputRejected):
            rejects.append(_as_reject(item, outcome, line))
        else:
            parsed.append((outcome, Sighting(item.source, ref, item.seen_at)))
    return parsed, rejects


def _as_reject(item: RawItem, exc: InputRejected, data: bytes) -> Reject:
    ref = exc.source_ref or item.source_ref
    return Reject(
        source=item.source,
        source_ref=ref,
        sha256=hashlib.sha256(data).hexdigest(),
        reason=exc.reason,
        detail=f"{ref}: {exc.detail}",
        seen_at=item.seen_at,
    )


def parse_metadata(origin: ItemOrigin, data: bytes) -> ParsedItem:
    """A ``.torrent`` or a (short) magnet list, whole; an empty payload is a reject."""
    if not data:
        return ParsedItem(rejects=(origin.reject(data, "input.empty", "the item has no bytes"),))
    return _as_said(origin, *parse_item(_raw(origin, data)))


def parse_magnet_part(origin: ItemOrigin, part: MagnetSlice | LongLine) -> ParsedItem:
    """Lines of a magnet list, numbered as in the whole list; a line too long to read
    is its reject."""
    if isinstance(part, LongLine):
        reject = long_line_reject(origin.source, origin.source_ref, part, origin.seen_at)
        return ParsedItem(rejects=(reject,))
    item = _raw(origin, part.data, "magnet")
    return _as_said(origin, *parse_item(item, first_line=part.first_line))


def _raw(origin: ItemOrigin, data: bytes, kind: str | None = None) -> RawItem:
    return RawItem(origin.source, origin.source_ref, kind or origin.kind, data, origin.seen_at)


def _as_said(origin: ItemOrigin, parsed: Iterable[Parsed], rejects: Iterable[Reject]) -> ParsedItem:
    """``parsed`` with what the source said of the item (title, category, peers)."""
    extras = {
        "title": origin.title,
        "category": origin.category,
        "seeders": origin.seeders,
        "leechers": origin.leechers,
    }
    if any(value is not None for value in extras.values()):
        parsed = [(meta, replace(sighting, **extras)) for meta, sighting in parsed]
    return ParsedItem(tuple(parsed), tuple(rejects))


# ------------------------------------------------------------ observations, rejects


def parse_observation(origin: ItemOrigin, data: bytes) -> ParsedItem:
    """A sighting without metadata: JSON ``{infohash, seeders, leechers, completed, title,
    category}`` (what the envelope says stands in for a key the record lacks). It
    becomes a magnet-only torrent, which the load stores only when the infohash is new."""
    try:
        record = json.loads(data.decode("utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        infohash = str(record.get("infohash") or origin.infohash or "").lower()
        if not _HEX.fullmatch(infohash):
            raise ValueError(f"infohash {infohash[:80]!r} is not 40 or 64 hex digits")
        seeders = _count(record.get("seeders", origin.seeders), "seeders")
        leechers = _count(record.get("leechers", origin.leechers), "leechers")
        completed = _count(record.get("completed"), "completed")
        title = _text(record.get("title", origin.title), "title")
        category = _text(record.get("category", origin.category), "category")
    except (UnicodeDecodeError, ValueError, ValueOutOfRange) as exc:
        reject = origin.reject(data, "input.unreadable", f"observation: {exc}")
        return ParsedItem(rejects=(reject,))
    v1 = (infohash,) if len(infohash) == 40 else ()
    v2 = (infohash,) if len(infohash) == 64 else ()
    name = cap_text(title) if title else None  # the row's name; the title is capped on load
    link = MagnetLink(infohashes_v1=v1, infohashes_v2=v2, display_name=name)
    sighting = Sighting(
        origin.source,
        origin.source_ref,
        origin.seen_at,
        title,
        category,
        seeders,
        leechers,
        completed,
    )
    return ParsedItem(tuple((meta, sighting) for meta in magnet_to_metas(link)))


def _count(value: object, key: str) -> int | None:
    return None if value is None else check_int(key, value, low=0, high=_MAX_COUNT)


def _text(value: object, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {type(value).__name__}")
    return value


def parse_source_reject(origin: ItemOrigin, data: bytes) -> ParsedItem:
    """What a source could not use (JSON ``{reason, detail}``), filed under its own
    reason, or as unreadable when the record itself is damaged."""
    try:
        record = json.loads(data.decode("utf-8"))
        reason, detail = record["reason"], record["detail"]
        if reason not in REASONS or not isinstance(detail, str):
            raise ValueError(f"reason {reason!r} is not a known code")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        reason, detail = "input.unreadable", f"reject record: {exc}"
    return ParsedItem(rejects=(origin.reject(data, reason, detail),))


# The parser of each kind of payload that is parsed whole.
ITEM_PARSERS: dict[str, ItemParser] = {
    "torrent": parse_metadata,
    "magnet": parse_metadata,
    "observation": parse_observation,
    "reject": parse_source_reject,
}


def parse_payload(origin: ItemOrigin, data: bytes) -> ParsedItem:
    """``data`` parsed by its kind's parser (KeyError for a kind not in
    ``ITEM_PARSERS``); a parser bug costs this payload alone: it becomes an
    ``input.parser_error`` reject, never an exception."""
    parse = ITEM_PARSERS[origin.kind]
    try:
        return parse(origin, data)
    except Exception as exc:
        rejected = parser_error(exc, origin.kind, origin.source_ref)
        return ParsedItem(rejects=(origin.reject(data, rejected.reason, rejected.detail),))
