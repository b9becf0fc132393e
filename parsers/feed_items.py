"""RSS 2.0, RSS 1.0, Atom and Torznab feed bytes to :class:`FeedEntry` records.

Pure: bytes in, records out. Feeds come from servers we do not control, so the XML
is parsed by ``defusedxml`` (entity declarations, external entities and DTD fetches
are refused before any expansion happens), the tree's depth is bounded while it is
built, and the caller has already capped the byte size. A document that cannot be
read at all raises :class:`FeedMalformed` naming the URL, line and column; an item
that cannot be used is reported as an :class:`ItemProblem` and the other items go on.

Torrent facts are read from Torznab/Newznab ``attr`` elements (``infohash``,
``magneturl``, ``size``, ``category``, ``seeders``, ``peers``) and from the element
names that ezRSS- and Nyaa-style feeds use (``infoHash``, ``magnetURI``, ``seeders``,
``leechers``), whatever namespace prefix they carry.

Trackers and indexers fill fields they have no value for with placeholders: an empty
``<torrentItem:infohash/>``, ``length="0"``, ``value=""``, "N/A", "-". An optional field
that is empty, whitespace, a placeholder word, zero where zero cannot be a value (a
size, a hash, a category id) or malformed is absent, and the item falls back to what
else it offers; only an item left with no .torrent link, magnet or infohash is a
problem, and its detail says what was left out. Every infohash the item names (in
attrs, elements and each magnet) is kept in :attr:`FeedEntry.named`, so the gatherer
can see when two of them disagree (:func:`undelivered`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from common.errors import FeedMalformed, FeedUnsafeXml, InputRejected
from common.textcap import QUOTE_CAP, cap_text
from parsers.magnet import parse_magnet

log = logging.getLogger(__name__)
MAX_DEPTH = 64  # real feeds nest 4-6 deep; this only stops pathological documents
TORRENT_TYPE = "application/x-bittorrent"
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_BASE32 = re.compile(r"[A-Za-z2-7]{32}")
_INT = re.compile(r"[0-9]{1,19}")  # ASCII digits: \d would take "٣" (Arabic-Indic three)
MAX_COUNT = 2**31 - 1  # seeders, leechers, peers: what the warehouse's INTEGER holds
MAX_SIZE = 2**63 - 1
_ATTR_NAMESPACES = ("torznab", "newznab")
_ATTR_FACTS = {"magneturl": "magnet"}  # attr name -> fact, where they differ
# what trackers write where they have no value (compared without regard to case)
_PLACEHOLDERS = frozenset(
    {"-", "--", "?", "#", "n/a", "na", "none", "null", "nil", "undefined", "unknown"}
)
# ezRSS / Nyaa / similar: element local name -> the fact it holds
_NAMED_FACTS = {
    "infohash": "infohash",
    "magneturi": "magnet",
    "contentlength": "size",
    "size": "size",
    "seeds": "seeders",
    "seeders": "seeders",
    "leechers": "leechers",
    "peers": "peers",
}


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One usable feed item: at least one of torrent_url, magnet, infohash is set."""

    item_id: str  # guid / Atom id / link / enclosure URL / infohash, in that order
    title: str | None
    category: str | None  # what the feed showed: a <category> text, else a Torznab id
    categories: tuple[str, ...]  # every category text and Torznab id, for filtering
    torrent_url: str | None  # absolute http(s) URL of a .torrent
    magnet: str | None
    infohash: str | None  # lower-case hex: 40 digits (v1) or 64 (v2)
    size: int | None
    seeders: int | None
    leechers: int | None  # Torznab 'peers' counts seeders too; this is peers - seeders
    position: int = 0  # 1-based, in document order
    named: tuple[NamedHash, ...] = ()  # every infohash the item names, once each


@dataclass(frozen=True, slots=True)
class NamedHash:
    """An infohash an item names, and where: ``torznab:attr 'infohash'``, ``<infoHash>``,
    ``magnet in <link>``, ``torznab:attr 'magneturl'``..."""

    where: str
    infohash: str  # lower-case hex: 40 digits (v1) or 64 (v2)


@dataclass(frozen=True, slots=True)
class ItemProblem:
    """An item that was left out, and why."""

    position: int  # 1-based, in document order
    item_id: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    format: str  # "rss" | "atom"
    entries: tuple[FeedEntry, ...]
    problems: tuple[ItemProblem, ...]


class _ItemUnusable(Exception):
    pass


class _DepthLimitedBuilder(ET.TreeBuilder):
    """A tree builder that refuses documents nested deeper than ``max_depth``."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag, attrs):
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep(self._max_depth)
        return super().start(tag, attrs)

    def end(self, tag):
        self._depth -= 1
        return super().end(tag)


class _TooDeep(Exception):
    pass


def parse_feed(data: bytes, url: str, *, max_depth: int = MAX_DEPTH) -> ParsedFeed:
    """Parse one feed document fetched from ``url`` (used for errors and relative links)."""
    root = _parse_xml(data, url, max_depth)
    kind = _local(root.tag)
    if kind == "rss":
        channel = next((c for c in root if _local(c.tag) == "channel"), None)
        items = [] if channel is None else [c for c in channel if _local(c.tag) == "item"]
        fmt = "rss"
    elif kind == "RDF":  # RSS 1.0: items are children of the root
        items = [c for c in root if _local(c.tag) == "item"]
        fmt = "rss"
    elif kind == "feed":
        items = [c for c in root if _local(c.tag) == "entry"]
        fmt = "atom"
    else:
        raise FeedMalformed(f"{url}: the root element is <{kind}>, not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    problems: list[ItemProblem] = []
    for position, item in enumerate(items, start=1):
        try:
            entries.append(_entry(item, url, fmt, position))
        except _ItemUnusable as exc:
            problems.append(ItemProblem(position, _item_id(item), str(exc)))
    return ParsedFeed(fmt, tuple(entries), tuple(problems))


def _parse_xml(data: bytes, url: str, max_depth: int) -> ET.Element:
    if not data.strip():
        raise FeedMalformed(f"{url}: the feed is empty")
    parser = DefusedXMLParser(
        target=_DepthLimitedBuilder(max_depth),
        forbid_dtd=False,  # a bare DOCTYPE is harmless and old RSS 0.91 feeds carry one
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(data)
        return parser.close()
    except DefusedXmlException as exc:
        raise FeedUnsafeXml(
            f"{url}: the feed declares entities or external references, "
            f"which are refused (entity bombs, XXE): {cap_text(repr(exc), 500)}"
        ) from None
    except _TooDeep:
        raise FeedMalformed(f"{url}: elements are nested more than {max_depth} deep") from None
    except (LookupError, ValueError) as exc:
        # The XML declaration names the encoding: an unknown one ("x-unknown"), a
        # codec that is not a text encoding ("rot13"), or a multi-byte one expat
        # cannot take ("UTF-7", "shift_jis") raises from the parser, not ParseError.
        raise FeedMalformed(
            f"{url}: the feed's declared encoding cannot be read: "
            f"{type(exc).__name__}: {cap_text(str(exc), QUOTE_CAP)}"
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise FeedMalformed(
            f"{url}: not well-formed XML at line {line}, column {column + 1}: {reason}"
        ) from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _child(item: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in item if _local(c.tag) == name), None)


def _item_id(item: ET.Element) -> str | None:
    for name in ("guid", "id", "link"):
        child = _child(item, name)
        value = _present(_text(child)) or _present(child.get("href") if child is not None else None)
        if value:
            return value[:2000]
    return None


def _entry(item: ET.Element, url: str, fmt: str, position: int) -> FeedEntry:
    """The item's usable facts; an optional field that says nothing is left out, and
    the item is refused only when nothing that names a torrent is left."""
    ignored: list[str] = []
    facts = _facts(item)
    links = _links(item, url, fmt, ignored)
    declared = _named_hashes(facts.get("infohash", []), ignored)
    named = list(declared)
    magnet = None
    for where, uri in [*links.magnets, *facts.get("magnet", [])]:
        hashes = _magnet_named(where, uri, ignored)
        if hashes is not None:
            magnet = magnet or uri.strip()
            named += hashes
    title = _text(_child(item, "title"))
    infohash = declared[0].infohash if declared else None
    if magnet is None and infohash is not None:
        magnet = magnet_for(infohash, title)
    if not (links.torrent or magnet):
        raise _ItemUnusable(_lacking(ignored))
    texts = [t for c in item if _local(c.tag) == "category" for t in [_category_text(c)] if t]
    ids = [v for _, value in facts.get("category", []) for v in [_present(value)] if v]
    seeders = _count(facts.get("seeders"), zero=True, limit=MAX_COUNT)
    leechers = _count(facts.get("leechers"), zero=True, limit=MAX_COUNT)
    peers = _count(facts.get("peers"), zero=True, limit=MAX_COUNT)
    if leechers is None and peers is not None:
        leechers = max(peers - (seeders or 0), 0)
    size = _count(facts.get("size"), zero=False, limit=MAX_SIZE)
    if size is None and links.length is not None:
        size = _count([("enclosure length", links.length)], zero=False, limit=MAX_SIZE)
    item_id = _item_id(item) or (links.torrent or infohash or magnet or "")[:2000]
    return FeedEntry(
        item_id=item_id,
        title=title,
        category=(texts or ids or [None])[0],
        categories=tuple(dict.fromkeys([*texts, *ids])),
        torrent_url=links.torrent,
        magnet=magnet,
        infohash=infohash,
        size=size,
        seeders=seeders,
        leechers=leechers,
        position=position,
        named=_distinct(named),
    )


def _lacking(ignored: list[str], shown: int = 5) -> str:
    """What an unusable item lacked, and the first ``shown`` malformed fields it had."""
    text = "the item has no usable .torrent link, magnet link or infohash"
    if not ignored:
        return text
    more = f"; and {len(ignored) - shown} more" if len(ignored) > shown else ""
    return f"{text} (left out: {'; '.join(ignored[:shown])}{more})"


def _facts(item: ET.Element) -> dict[str, list[tuple[str, str]]]:
    """Torznab/Newznab attrs and ezRSS-style elements (one level down, or in a wrapper),
    each as (where it was, its text)."""
    facts: dict[str, list[tuple[str, str]]] = {}
    for child in item:
        tag = child.tag if isinstance(child.tag, str) else ""
        local, namespace = _local(tag), _namespace(tag)
        space = next((ns for ns in _ATTR_NAMESPACES if ns in namespace.lower()), None)
        if local == "attr" and space:
            name, value = (child.get("name") or "").strip().lower(), child.get("value")
            if name and value is not None:
                where = f"{space}:attr {name!r}"
                facts.setdefault(_ATTR_FACTS.get(name, name), []).append((where, value))
        elif namespace and local.lower() in _NAMED_FACTS:
            facts.setdefault(_NAMED_FACTS[local.lower()], []).append(
                (f"<{local}>", _raw_text(child))
            )
        elif namespace and local == "torrent":  # ezRSS wraps its facts in <torrent>
            for inner in child:
                key = _NAMED_FACTS.get(_local(inner.tag).lower())
                if key:
                    where = f"<torrent><{_local(inner.tag)}>"
                    facts.setdefault(key, []).append((where, _raw_text(inner)))
    return facts


def _raw_text(element: ET.Element) -> str:
    return element.text or ""


@dataclass(frozen=True, slots=True)
class _Links:
    torrent: str | None  # the first .torrent link, absolute
    length: str | None  # that enclosure's length attribute
    magnets: tuple[tuple[str, str], ...]  # (where, URI) of every magnet link, in order


def _links(item: ET.Element, url: str, fmt: str, ignored: list[str]) -> _Links:
    candidates: list[tuple[str, str, str | None, str | None]] = []  # (where, href, type, length)
    for child in item:
        local = _local(child.tag)
        if local == "enclosure":
            candidates.append(
                ("<enclosure>", child.get("url") or "", child.get("type"), child.get("length"))
            )
        elif local == "link" and fmt == "atom":
            candidates.append(
                ("<link href>", child.get("href") or "", child.get("type"), child.get("length"))
            )
        elif local in ("link", "guid"):
            candidates.append((f"<{local}>", _text(child) or "", None, None))
    torrent = length = None
    magnets: list[tuple[str, str]] = []
    for where, raw_href, media_type, size in candidates:
        href = _present(raw_href)
        if href is None:
            continue
        if href[:8].lower() == "magnet:?":
            magnets.append((f"magnet in {where}", href))
        elif torrent is None:
            try:
                absolute = _torrent_url(href, _present(media_type), url)
            except ValueError:  # "http://[x/a.torrent": urllib refuses the host
                ignored.append(f"{where} {href[:80]!r} is not a valid URL")
                continue
            if absolute is not None:
                torrent, length = absolute, size
    return _Links(torrent, length, tuple(magnets))


def _torrent_url(href: str, media_type: str | None, base: str) -> str | None:
    """``href`` made absolute when it is an http(s) link to a .torrent, else None;
    raises ValueError when ``urllib`` cannot split it (a bracketed host that is not
    an IPv6 address), which the caller notes as a malformed field."""
    if not _is_torrent(href, media_type):
        return None
    absolute = urljoin(base, href)
    return absolute if urlsplit(absolute).scheme.lower() in ("http", "https") else None


def _is_torrent(href: str, media_type: str | None) -> bool:
    if not href:
        return False
    if media_type and media_type.split(";")[0].strip().lower() == TORRENT_TYPE:
        return True
    return urlsplit(href).path.lower().endswith(".torrent")


def _category_text(element: ET.Element) -> str | None:
    return _present(_text(element)) or _present(element.get("term"))


def _present(value: str | None, *, zero: bool = False) -> str | None:
    """The stripped text, or None when it says nothing: empty, whitespace, a placeholder
    word ("N/A", "-", "null", ...), or zeros where zero cannot be a value (``zero`` False:
    sizes, lengths, hashes, category ids, links)."""
    if value is None:
        return None
    text = value.strip()
    if not text or text.lower() in _PLACEHOLDERS:
        return None
    if not zero and not text.strip("0"):
        return None
    return text


def _named_hashes(values: list[tuple[str, str]], ignored: list[str]) -> list[NamedHash]:
    named = []
    for where, value in values:
        text = _present(value)
        if text is None:
            continue
        infohash = _infohash(text)
        if infohash is None:
            ignored.append(f"{where} {text[:80]!r} is not 40 or 64 hex digits or 32 base32")
        else:
            named.append(NamedHash(where, infohash))
    return named


def _magnet_named(where: str, uri: str, ignored: list[str]) -> list[NamedHash] | None:
    """The hashes a magnet names, or None (noted in ``ignored``) when it names none."""
    text = _present(uri)
    if text is None:
        return None
    hashes = magnet_hashes(text)
    if hashes is None:
        ignored.append(f"{where} {text[:80]!r} is not a magnet URI naming an infohash")
        return None
    v1, v2 = hashes
    return [NamedHash(where, h) for h in (*v1, *v2)]


def magnet_hashes(uri: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(v1 hashes, v2 hashes) a magnet URI names, or None when it is not one or names none."""
    if uri.strip()[:8].lower() != "magnet:?":
        return None
    try:
        link = parse_magnet(uri)
    except InputRejected:
        return None
    except (ValueError, OverflowError):  # a magnet parser bug must not end the whole feed
        log.warning("the magnet parser failed on %r", uri[:200], exc_info=True)
        return None
    return link.infohashes_v1, link.infohashes_v2


def _distinct(named: list[NamedHash]) -> tuple[NamedHash, ...]:
    """One entry per hash, where it was first named."""
    first: dict[str, NamedHash] = {}
    for entry in named:
        first.setdefault(entry.infohash, entry)
    return tuple(first.values())


def _infohash(value: str) -> str | None:
    value = value.strip()
    if _HEX40.fullmatch(value) or _HEX64.fullmatch(value):
        return None if not value.strip("0") else value.lower()
    if _BASE32.fullmatch(value):
        try:
            decoded = base64.b32decode(value.upper()).hex()
        except binascii.Error:
            return None
        return decoded if decoded.strip("0") else None
    return None


def magnet_for(infohash: str, title: str | None) -> str:
    """A magnet URI for a bare infohash (v1 btih, or v2 btmh multihash), named by the title."""
    xt = f"urn:btih:{infohash}" if len(infohash) == 40 else f"urn:btmh:1220{infohash}"
    return f"magnet:?xt={xt}" + (f"&dn={quote(title, safe='')}" if title else "")


def _count(values: list[tuple[str, str]] | None, *, zero: bool, limit: int) -> int | None:
    """The first value that is a whole number from 0 (1 unless ``zero``) to ``limit``;
    anything else ("N/A", "-1", "1.2 GiB", 25 digits) is left out."""
    for _, value in values or ():
        text = _present(value, zero=zero)
        if text is not None and _INT.fullmatch(text) and int(text) <= limit:
            return int(text)
    return None


def undelivered(
    named: tuple[NamedHash, ...], v1: tuple[str, ...], v2: tuple[str, ...], *, complete: bool
) -> tuple[tuple[NamedHash, ...], tuple[NamedHash, ...]]:
    """The item's named hashes that what was landed for it (v1, v2 hashes) is not:
    ``(conflicting, unconfirmed)``.

    A hash conflicts when the landed torrent has hashes of its version and it is none of
    them, or when ``complete`` (a parsed .torrent: all its hashes are known). A hash of
    a version the landed magnet does not name is unconfirmed: a v1 and a v2 hash cannot
    be compared without the metadata. BEP 52: a v2-only torrent is known to v1 peers by
    its v2 hash cut to 40 digits.
    """
    conflicting: list[NamedHash] = []
    unconfirmed: list[NamedHash] = []
    for entry in named:
        same = v1 if len(entry.infohash) == 40 else v2
        if entry.infohash in same or (not v1 and any(h[:40] == entry.infohash for h in v2)):
            continue
        (conflicting if same or complete else unconfirmed).append(entry)
    return tuple(conflicting), tuple(unconfirmed)
