"""The *feed* kind: RSS 2.0, Atom and Torznab feeds polled over HTTP(S).

A poll costs one conditional request while the feed is unchanged (ETag /
Last-Modified, answered 304). When it has changed, only items whose id is not in the
remembered list are gathered: an item's .torrent enclosure is downloaded through the
same client under its own size cap and lands as a "torrent"; an item with only a
magnet link or an infohash lands as a "magnet". The validators are kept only when
every new item was handled, so an item whose download failed for a passing reason
(5xx, timeout, the source's deadline) is tried again at the next poll instead of
hiding behind a 304.

An item may name its torrent more than once (a Torznab ``infohash`` attr, a magnet, the
.torrent itself). What the item delivers (the downloaded .torrent, else its magnet) is
landed; every other hash the item names that is not that torrent lands as a sighting of
its own, and when the two provably name different torrents a ``feed.infohash_conflict``
reject names both, so neither is lost and the disagreement is on record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from common.checks import is_whole
from common.errors import FeedMalformed, FetchError, InputRejected
from common.settings import Setting, SettingsSpec, whole
from monitors.base import GatherContext, Gathered, rejected
from monitors.http import (
    HttpPolicy,
    Validators,
    byte_cap,
    check_url,
    fetch,
    policy_from,
    policy_settings,
)
from parsers.feed_items import (
    FeedEntry,
    NamedHash,
    magnet_for,
    magnet_hashes,
    parse_feed,
    undelivered,
)
from parsers.torrent import parse_torrent

FEED_MAX_BYTES = 8 * 1024 * 1024
TORRENT_MAX_BYTES = 16 * 1024 * 1024
REMEMBER = 10_000
MAX_OTHER_HASHES = 16  # sightings landed per item for hashes it names besides what it delivered
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/x-rss+xml",
    }
)
TORRENT_TYPES = frozenset(
    {
        "application/x-bittorrent",
        "application/octet-stream",
        "binary/octet-stream",
        "application/force-download",
    }
)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Delivered:
    """The torrent an item's landed .torrent or magnet names."""

    what: str  # for messages: "the .torrent at <url>", "its magnet link"
    v1: tuple[str, ...]
    v2: tuple[str, ...]
    complete: bool  # a parsed .torrent: every hash it has is known

    @property
    def key(self) -> str | None:
        return (self.v1 or self.v2 or (None,))[0]


@dataclass(frozen=True, slots=True)
class FeedSettings:
    url: str
    categories: tuple[str, ...]  # empty: every item
    feed_policy: HttpPolicy
    torrent_policy: HttpPolicy
    remember: int  # how many item ids to keep between polls


def _categories(value: object) -> str | None:
    if isinstance(value, list | tuple) and all(isinstance(c, str) or is_whole(c) for c in value):
        return None
    return "must be a list of category names or Torznab ids"


SETTINGS = SettingsSpec(
    "feed",
    (
        Setting(
            "url",
            check_url,
            required="must be an http:// or https:// URL",
            doc="the feed: RSS 2.0, Atom or Torznab, over http(s)",
        ),
        Setting(
            "categories",
            _categories,
            default=(),
            doc="category names or Torznab ids to keep (empty: every item)",
        ),
        *policy_settings(timeout=HttpPolicy().timeout, retries=HttpPolicy().retries),
        byte_cap("max_bytes", FEED_MAX_BYTES, "cap on the feed document"),
        byte_cap("torrent_max_bytes", TORRENT_MAX_BYTES, "cap on each .torrent download"),
        Setting(
            "remember",
            whole(100, None, "must be a whole number of item ids, at least {low}: {value!r}"),
            default=REMEMBER,
            doc="how many item ids to keep between polls (at least 100)",
        ),
    ),
)


def check_settings(settings: Mapping[str, object]) -> list[str]:
    """Every problem with a feed source's settings, each naming its key."""
    return SETTINGS.messages(settings)


def read_settings(settings: Mapping[str, object]) -> FeedSettings:
    values = SETTINGS.read(settings)
    return FeedSettings(
        url=str(values["url"]).strip(),
        categories=tuple(str(c).strip().lower() for c in values["categories"]),  # type: ignore[attr-defined]
        feed_policy=policy_from(values, "max_bytes"),
        torrent_policy=policy_from(values, "torrent_max_bytes"),
        remember=int(values["remember"]),  # type: ignore[call-overload]
    )


def gather(ctx: GatherContext) -> None:
    """One poll of the feed; raises :class:`FetchError` / :class:`FeedMalformed` when
    the feed itself cannot be read (items already gathered stay gathered)."""
    settings = read_settings(ctx.settings)
    remembered = Validators(_text(ctx.state.get("etag")), _text(ctx.state.get("last_modified")))
    response = fetch(
        settings.url,
        settings.feed_policy,
        accept=FEED_TYPES,
        validators=remembered,
        pace=ctx.pace,
        deadline=ctx.deadline,
    )
    if response.not_modified:
        return
    if response.magnet is not None:
        raise FeedMalformed(f"{settings.url}: redirected to a magnet URI, not a feed")
    parsed = parse_feed(response.body, settings.url)
    for problem in parsed.problems:
        log.warning(
            "%s: %s: item %d (%s) left out: %s",
            ctx.name,
            settings.url,
            problem.position,
            problem.item_id or "no id",
            problem.detail,
        )
        ctx.emit(
            rejected(
                ctx.name,
                f"{settings.url}#item-{problem.position}",
                datetime.now(UTC),
                "feed.item_invalid",
                f"item {problem.position} ({problem.item_id or 'no id'}): {problem.detail}",
                item_id=problem.item_id,
            )
        )
    seen_ids = [i for i in ctx.state.get("seen", None) or () if isinstance(i, str)]
    seen = set(seen_ids)
    complete = True
    try:
        for entry in parsed.entries:
            if entry.item_id in seen or not _wanted(entry, settings.categories):
                continue
            if time.monotonic() >= ctx.deadline:
                complete = False
                break
            if _gather_entry(ctx, settings, entry):
                seen.add(entry.item_id)
                seen_ids.append(entry.item_id)
            else:
                complete = False
    finally:
        ctx.state.set("seen", seen_ids[-settings.remember :])
        kept = response.validators if complete else Validators()
        ctx.state.set("etag", kept.etag)
        ctx.state.set("last_modified", kept.last_modified)


def _gather_entry(ctx: GatherContext, settings: FeedSettings, entry: FeedEntry) -> bool:
    """Emit what the entry offers; False when it should be tried again next poll."""
    if entry.torrent_url is None:
        delivered = _land_magnet(ctx, entry, entry.magnet or "", "its magnet link")
        _reconcile(ctx, settings, entry, delivered)
        return True
    try:
        response = fetch(
            entry.torrent_url,
            settings.torrent_policy,
            accept=TORRENT_TYPES,
            pace=ctx.pace,
            deadline=ctx.deadline,
        )
    except FetchError as exc:
        if entry.magnet:
            log.warning("%s: %s; its magnet link is used instead", ctx.name, exc)
            delivered = _land_magnet(ctx, entry, entry.magnet, "its magnet link")
            _reconcile(ctx, settings, entry, delivered)
            return True
        log.warning("%s: item %s: %s", ctx.name, entry.item_id, exc)
        if not exc.transient:  # it will not be tried again: file it, with the reason
            ctx.emit(
                rejected(
                    ctx.name,
                    entry.torrent_url,
                    datetime.now(UTC),
                    "fetch.failed",
                    f"item {entry.item_id}: {exc} [{exc.code}]",
                    item_id=entry.item_id,
                    title=entry.title,
                )
            )
        return not exc.transient
    if response.magnet is not None:  # an indexer's download link that redirects to a magnet
        what = f"the magnet {entry.torrent_url} redirects to"
        delivered = _land_magnet(ctx, entry, response.magnet, what)
    else:
        delivered = _torrent_hashes(response.body, entry.torrent_url)
        infohash = delivered.key if delivered else None
        ctx.emit(_gathered(ctx, entry, "torrent", entry.torrent_url, response.body, infohash))
    if delivered is None and entry.magnet:  # the loader files why; the magnet still counts
        delivered = _land_magnet(ctx, entry, entry.magnet, "its magnet link")
    _reconcile(ctx, settings, entry, delivered)
    return True


def _land_magnet(ctx: GatherContext, entry: FeedEntry, magnet: str, what: str) -> _Delivered | None:
    hashes = magnet_hashes(magnet)
    delivered = _Delivered(what, *hashes, complete=False) if hashes else None
    infohash = delivered.key if delivered else None
    ctx.emit(_gathered(ctx, entry, "magnet", entry.item_id, magnet.encode("utf-8"), infohash))
    return delivered


def _torrent_hashes(data: bytes, url: str) -> _Delivered | None:
    """The downloaded .torrent's hashes; None when it does not parse (the loader files
    it in ``rejects`` with the reason)."""
    try:
        meta = parse_torrent(data, source_ref=url)
    except InputRejected:
        return None
    v1 = (meta.infohash_v1,) if meta.infohash_v1 else ()
    v2 = (meta.infohash_v2,) if meta.infohash_v2 else ()
    return _Delivered(f"the .torrent at {url}", v1, v2, complete=True)


def _reconcile(
    ctx: GatherContext, settings: FeedSettings, entry: FeedEntry, delivered: _Delivered | None
) -> None:
    """Land a sighting of every hash the item names that the landed torrent is not, and
    file a ``feed.infohash_conflict`` for each one that provably names another torrent."""
    if delivered is None:
        conflicting, others = (), entry.named
    else:
        conflicting, others = undelivered(
            entry.named, delivered.v1, delivered.v2, complete=delivered.complete
        )
    extra = (*conflicting, *others)
    for named in extra[:MAX_OTHER_HASHES]:
        magnet = magnet_for(named.infohash, entry.title).encode("utf-8")
        ctx.emit(_gathered(ctx, entry, "magnet", entry.item_id, magnet, named.infohash))
    for named in conflicting[:MAX_OTHER_HASHES]:
        ctx.emit(_conflict(ctx, settings, entry, delivered, named))
    if len(extra) > MAX_OTHER_HASHES:  # a hostile item naming thousands: say so, once
        ctx.emit(_too_many(ctx, settings, entry, extra))


def _too_many(
    ctx: GatherContext, settings: FeedSettings, entry: FeedEntry, extra: tuple[NamedHash, ...]
) -> Gathered:
    left = extra[MAX_OTHER_HASHES:]
    detail = (
        f"item {entry.position} ({entry.item_id}) names {len(extra)} torrents besides the "
        f"one it delivered; only {MAX_OTHER_HASHES} are kept as sightings, not: "
        + ", ".join(n.infohash for n in left[:20])
        + (f" and {len(left) - 20} more" if len(left) > 20 else "")
    )
    return _conflict_reject(ctx, settings, entry, detail)


def _conflict(
    ctx: GatherContext,
    settings: FeedSettings,
    entry: FeedEntry,
    delivered: _Delivered,
    named: NamedHash,
) -> Gathered:
    kept = ", ".join((*delivered.v1, *delivered.v2))
    detail = (
        f"item {entry.position} ({entry.item_id}): {delivered.what} is {kept}, but "
        f"{named.where} names {named.infohash}; both are kept as sightings"
    )
    return _conflict_reject(
        ctx,
        settings,
        entry,
        detail,
        landed=[*delivered.v1, *delivered.v2],
        named=named.infohash,
        named_in=named.where,
    )


def _conflict_reject(
    ctx: GatherContext, settings: FeedSettings, entry: FeedEntry, detail: str, **extra: object
) -> Gathered:
    """The ``feed.infohash_conflict`` reject of one item (logged too), referenced as
    ``URL#item-N``; ``extra`` adds fields to the reject's record."""
    log.warning("%s: %s: %s", ctx.name, settings.url, detail)
    return rejected(
        ctx.name,
        f"{settings.url}#item-{entry.position}",
        datetime.now(UTC),
        "feed.infohash_conflict",
        detail,
        item_id=entry.item_id,
        title=entry.title,
        **extra,
    )


def _gathered(
    ctx: GatherContext,
    entry: FeedEntry,
    kind: str,
    ref: str,
    payload: bytes,
    infohash: str | None,
) -> Gathered:
    return Gathered(
        kind=kind,
        source=ctx.name,
        source_ref=ref,
        payload=payload,
        seen_at=datetime.now(UTC),
        infohash=infohash,
        title=entry.title,
        category=entry.category,
        seeders=entry.seeders,
        leechers=entry.leechers,
    )


def _wanted(entry: FeedEntry, categories: tuple[str, ...]) -> bool:
    """Whether the entry is in one of ``categories`` (names without regard to case;
    a Torznab top-level id like 2000 also takes its sub-categories 2010-2999)."""
    if not categories:
        return True
    for have in (c.lower() for c in entry.categories):
        for want in categories:
            if have == want:
                return True
            if _parent_category(want, have):
                return True
    return False


def _parent_category(want: str, have: str) -> bool:
    if not (want.isdigit() and have.isdigit() and int(want) % 1000 == 0):
        return False
    return int(have) // 1000 == int(want) // 1000


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
