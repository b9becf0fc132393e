"""Property sweep: every parser that takes gathered input, fed seeded hostile inputs.

"Every gathered byte is hostile": a parser returns its record or refuses with its
typed error (InputRejected with a code from parsers/reasons.py, or the module's
documented error), never another exception, never a hang, and the text it keeps or
prints is bounded. Inputs are valid documents bent by code (tests/hostile_gen.py);
each sweep is seeded, so a failure is reproduced by its seed, and kept to a few
seconds. Named regression tests pin what the sweep found.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import libtorrent as lt
import pyarrow as pa
import pytest
from hostile_gen import (
    NAME_SEEDS,
    hostile_text,
    mutate_bytes,
    mutate_torrent,
    random_bytes,
)
from torrent_fixtures import MULTI_FILE, libtorrent_torrent, write_tree

from common.errors import FeedMalformed, FeedUnsafeXml, HashListError, InputRejected
from common.textcap import DETAIL_CAP, FIELD_CAP, cap_text
from parsers import announce, bencode
from parsers.extensions import (
    ext_chain,
    ext_chain_array,
    is_exec_or_shortcut,
    kind_of,
    kind_of_ext,
)
from parsers.feed_items import ParsedFeed, parse_feed
from parsers.hashlist import KINDS, parse_hash_list
from parsers.magnet import parse_magnet_lines
from parsers.normalize import (
    display_safe,
    fold_chunk,
    name_marks,
    name_marks_array,
    normalize_array,
    normalize_text,
    normalized_tokens,
    skeleton_array,
    skeleton_text,
)
from parsers.reasons import REASONS
from parsers.records import TorrentMeta
from parsers.release import parse_release, parse_release_array
from parsers.torrent import parse_torrent
from torrentwatch.synth import encode, synthetic_specs

FEEDS = Path(__file__).parent / "feeds"
FEED_URL = "http://127.0.0.1:8000/feed.xml"
# Text a parser keeps or prints about one field or line: caps plus their cut marker.
BOUND = DETAIL_CAP + 100
HEX = re.compile("[0-9a-f]+")  # a stored hash: lower-case hex digits, no sign or space


def _texts_are_text(*values: str | None) -> None:
    """Stored text must encode as UTF-8 (Arrow and DuckDB refuse lone surrogates)."""
    for value in values:
        if value is not None:
            value.encode("utf-8")


# --- .torrent files --------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_torrents(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    target = write_tree(tmp_path_factory.mktemp("sweep"), MULTI_FILE)
    seeds = [
        libtorrent_torrent(target, kind, trackers=["http://127.0.0.1:1/a", "udp://127.0.0.1:2"])
        for kind in ("v1", "v2", "hybrid")
    ]
    return seeds + [encode(spec) for spec in synthetic_specs(2, files_per_torrent=3)]


def _check_torrent(data: bytes) -> TorrentMeta | InputRejected:
    try:
        meta = parse_torrent(data)
    except InputRejected as exc:
        assert exc.reason in REASONS, exc.reason
        assert len(exc.detail) < BOUND
        return exc
    files = meta.files
    _texts_are_text(meta.name, meta.created_by, meta.comment, meta.source)
    _texts_are_text(*meta.trackers, *meta.web_seeds, *files.paths, *files.symlink_targets)
    assert "\x00" not in meta.name
    for path in files.paths:
        assert not path.startswith("/") and ".." not in path.split("/"), path
        assert "\x00" not in path, path
    columns = ("sizes", "is_pad", "is_symlink", "is_executable", "is_hidden")
    columns += ("symlink_targets", "pieces_roots", "paths_raw")
    assert all(len(getattr(files, column)) == len(files.paths) for column in columns)
    assert all(size >= 0 for size in files.sizes)
    assert (meta.total_size or 0) >= 0
    assert all(len(url) < FIELD_CAP + 50 for url in (*meta.trackers, *meta.web_seeds))
    return meta


def test_structurally_mutated_torrents_load_or_are_refused(seed_torrents: list[bytes]) -> None:
    """Fields replaced by hostile values of every type (traversal names, non-UTF-8
    bytes, NUL, huge and negative integers, lists where strings belong), keys added
    and dropped, v1/v2/hybrid grafted together: re-encoded, so they reach the code
    behind libtorrent's parse."""
    rng = random.Random(110_001)
    loaded = 0
    for _ in range(4000):
        data = mutate_torrent(rng, rng.choice(seed_torrents), seed_torrents)
        loaded += isinstance(_check_torrent(data), TorrentMeta)
    assert loaded > 400  # the sweep reaches past the refusals


def test_byte_mutated_torrents_load_or_are_refused(seed_torrents: list[bytes]) -> None:
    rng = random.Random(110_002)
    for _ in range(3000):
        _check_torrent(mutate_bytes(rng, rng.choice(seed_torrents), seed_torrents))


def test_every_truncation_of_a_v2_and_a_hybrid_torrent(seed_torrents: list[bytes]) -> None:
    for data in seed_torrents[1:3]:
        for end in range(len(data)):
            assert isinstance(_check_torrent(data[:end]), InputRejected)


# --- bencode and announce: the decoders behind libtorrent's parse -------------------


def test_bencode_top_level_never_raises_on_any_bytes(seed_torrents: list[bytes]) -> None:
    """``top_level`` walks a whole file libtorrent accepted, but the info bytes it is
    given may not be where it looks; it must give up quietly, never raise."""
    rng = random.Random(110_003)
    wanted = (b"announce", b"announce-list", b"url-list", b"comment")
    for _ in range(3000):
        data = mutate_bytes(rng, rng.choice(seed_torrents), seed_torrents) or b"d"
        info = random_bytes(rng, 20) if rng.random() < 0.5 else data[rng.randrange(len(data)) :]
        assert isinstance(bencode.top_level(data, info, wanted), dict)
    deep = b"d1:x" + b"l" * 100_000 + b"e" * 100_000 + b"e"
    assert bencode.top_level(deep, b"", wanted) == {}


def test_bencode_decode_info_takes_every_info_libtorrent_accepts(
    seed_torrents: list[bytes],
) -> None:
    """decode_info's contract: any info section libtorrent accepted decodes to a dict
    (integers and lengths with leading zeros or '-0' included)."""
    rng = random.Random(110_004)
    checked = 0
    for _ in range(3000):
        data = mutate_torrent(rng, rng.choice(seed_torrents), seed_torrents)
        try:
            ti = lt.torrent_info(data)
        except RuntimeError:
            continue
        has_v2 = ti.info_hashes().has_v2()
        assert isinstance(bencode.decode_info(ti.info_section(), has_v2), dict)
        checked += 1
    assert checked > 300
    pieces = bytes(20)
    for extra in (b"1:xi-0e", b"1:xi00e", b"1:x01:a", b"1:yi-00012e"):
        info = b"d6:lengthi1e4:name1:a12:piece lengthi16384e6:pieces20:" + pieces + extra + b"e"
        lt.torrent_info(b"d4:info" + info + b"e")  # libtorrent accepts these
        assert bencode.decode_info(info, False)[b"name"] == b"a"


def test_raw_tracker_lists_of_any_shape_give_text(seed_torrents: list[bytes]) -> None:
    """The raw fallback (URLs that are not UTF-8) over announce/announce-list/url-list
    values of every type: always a tuple of encodable text."""
    rng = random.Random(110_005)
    shapes = [b"http://127.0.0.1/\xff", 7, [], [[]], [[b"udp://127.0.0.1:1\xfe", 3]], {b"a": 1}]
    shapes += [[b"\x00http://x"], [[b"  http://127.0.0.1/a"]], b" " * 10_000, [b"ws://\xe9"] * 50]
    for _ in range(500):
        top = {
            key: rng.choice(shapes)
            for key in (b"announce", b"announce-list", b"url-list")
            if rng.random() < 0.8
        }
        found = announce._trackers_from_raw(top)
        _texts_are_text(*found)


@pytest.mark.parametrize("body", [b"\xff" * 20_000_000, b"a" * 20_000_000], ids=["latin1", "ascii"])
def test_a_20_mb_tracker_url_is_cut_cheaply(body: bytes) -> None:
    """announce, announce-list and url-list holding a 20 MB URL: kept to FIELD_CAP
    characters with the cut counted (percent-escapes included), in well under the
    11 s a byte-by-byte escape took."""
    url = b"http://127.0.0.1/" + body
    top = {b"announce": url, b"announce-list": [[url], [b"udp://127.0.0.1:1/\xfe"]]}
    info = {b"name": b"Kart.iso", b"length": 1000, b"piece length": 16384, b"pieces": bytes(20)}
    started = time.monotonic()
    meta = parse_torrent(lt.bencode({**top, b"url-list": [url], b"info": info}))
    assert time.monotonic() - started < 5
    escaped = len(url) + (2 * len(body) if body[0] >= 0x80 else 0)
    cut = f"… ({escaped - FIELD_CAP:,} more characters)"
    assert meta.trackers[0].endswith(cut) and len(meta.trackers[0]) == FIELD_CAP + len(cut)
    assert meta.trackers[1] == "udp://127.0.0.1:1/%FE"
    assert len(meta.web_seeds[0]) < FIELD_CAP + 50


def test_a_cut_non_utf8_url_reads_as_the_cut_of_its_whole_escape() -> None:
    rng = random.Random(110_010)
    for _ in range(500):
        length = rng.choice((5, FIELD_CAP - 1, FIELD_CAP, FIELD_CAP + 1, 700, 3000))
        raw = b"\xff" + bytes(rng.choice(b"A/\xff\xe9%") for _ in range(length))
        whole = "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)
        assert announce._url_text(raw) == cap_text(whole)


# --- hash lists --------------------------------------------------------------------

_HEX = "0123456789abcdef" * 5
_HASH_LINES = (
    _HEX[:40],
    "A" * 32,
    "b" * 64,
    "1220" + "c" * 64,
    f"magnet:?xt=urn:btih:{'d' * 40}&dn=Kart.Racer&xl=100&tr=udp%3A%2F%2F127.0.0.1",
    f"magnet:?xt=urn:btih:{'e' * 40}&xt=urn:btmh:1220{'f' * 64}",
    f"magnet:?xt=urn:btih:{'a' * 40}&xl=\u00b2",
    "magnet:?xt=urn:btih:%F0%9F&dn=" + "x" * 3000,
    "hash,kind,label",
    "Hash,Kind,Label,Note",
    f"{'a' * 40},infohash_v1,Kart Racer",
    f"{'a' * 64},pieces_root,Harbor Lights",
    f'"{"a" * 40}","quoted, label"',
    "infohash,label",
    "# a comment",
    "",
)


def _hash_list_doc(rng: random.Random) -> bytes:
    lines = [rng.choice(_HASH_LINES) for _ in range(rng.randint(1, 8))]
    pool = [line.encode() for line in _HASH_LINES if line]
    return mutate_bytes(rng, "\n".join(lines).encode(), pool)


def test_mutated_hash_lists_give_entries_line_rejects_or_a_typed_error() -> None:
    rng = random.Random(110_006)
    for _ in range(2500):
        data = _hash_list_doc(rng)
        for ref in ("list.txt", "list.csv"):
            try:
                parsed = parse_hash_list(data, source_ref=ref)
            except HashListError as exc:
                assert len(str(exc)) < 2 * BOUND, (len(str(exc)), str(exc)[:300])
                continue
            for entry in parsed.entries:
                assert entry.kind in KINDS and len(entry.hash) in (40, 64)
                assert HEX.fullmatch(entry.hash), entry.hash
                _texts_are_text(entry.label)
                assert entry.label is None or len(entry.label) < BOUND
            for reject in parsed.rejects:
                assert reject.reason in REASONS, reject.reason
                # 200 characters, each at most an 8-character <U+XXXX> escape
                assert len(reject.detail) < BOUND and len(reject.text) <= 8 * 200 + 3
                _texts_are_text(reject.detail, reject.text)


def test_a_huge_unknown_header_is_named_in_a_bounded_message() -> None:
    cells = ",".join(f"col{i}" + "x" * 200 for i in range(200))
    with pytest.raises(HashListError) as caught:
        parse_hash_list(f"hash,{cells}\n{'a' * 40},x\n".encode(), source_ref="list.csv")
    message = str(caught.value)
    assert caught.value.code == "hashlist.csv_header"
    assert "'col0" in message and "and 195 more" in message
    assert len(message) < 3000


def test_a_huge_kind_cell_is_a_bounded_line_reject() -> None:
    data = f"{'a' * 40},infohash{'x' * 20_000},label\n{'b' * 40},,label\n".encode()
    parsed = parse_hash_list(data, source_ref="list.csv")
    (reject,) = parsed.rejects
    assert reject.reason == "hashlist.kind_unknown"
    assert len(reject.detail) < 500 and "more characters" in reject.detail


def test_a_huge_csv_label_is_capped_with_the_cut_stated() -> None:
    data = f"hash,label\n{'a' * 40},{'Kart Racer ' * 5000}\n".encode()
    (entry,) = parse_hash_list(data, source_ref="list.csv").entries
    assert entry.label is not None
    assert len(entry.label) < FIELD_CAP + 50 and entry.label.endswith("more characters)")


def test_every_rejected_line_shown_in_the_all_rejected_error_is_cut() -> None:
    data = "\n".join(f"{'a' * 40},infohash{'x' * 5000},l" for _ in range(9)).encode()
    with pytest.raises(HashListError) as caught:
        parse_hash_list(data, source_ref="list.csv")
    assert caught.value.code == "hashlist.all_rejected"
    assert len(str(caught.value)) < 3000 and "and 4 more" in str(caught.value)


# --- magnet lists ------------------------------------------------------------------


def test_magnet_lists_of_random_and_mutated_bytes_never_fail_a_line_as_a_bug() -> None:
    """Every line is a TorrentMeta or an InputRejected with a reason the parser
    foresaw: ``input.parser_error`` (an exception it did not foresee) is a failure."""
    rng = random.Random(110_007)
    pool = [line.encode() for line in _HASH_LINES if line.startswith("magnet")]
    for _ in range(2500):
        if rng.random() < 0.3:
            data = random_bytes(rng)
        else:
            lines = b"\n".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
            data = mutate_bytes(rng, lines, pool)
        for _ref, _line, outcome in parse_magnet_lines(data, source_ref="m.txt"):
            if isinstance(outcome, InputRejected):
                assert outcome.reason in REASONS and outcome.reason != "input.parser_error", (
                    outcome.detail
                )
                assert len(outcome.detail) < BOUND
            else:
                assert isinstance(outcome, TorrentMeta)
                _texts_are_text(outcome.name, *outcome.trackers, *outcome.web_seeds)
                assert len(outcome.name) < BOUND
                assert outcome.total_size is None or 0 <= outcome.total_size < 2**63


# --- feeds -------------------------------------------------------------------------

_FEED_INSERTS = (
    b"<a>" * 80,
    b"&#0;",
    b"&#xD800;",
    b"&#x110000;",
    b"&undeclared;",
    b"<![CDATA[\x00]]>",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b'<enclosure url="http://127.0.0.1/' + b"A" * 100_000 + b'.torrent"/>',
    b"<guid>" + b"g" * 100_000 + b"</guid>",
    b"<x " + b" ".join(b"a%d='1'" % i for i in range(5000)) + b"/>",
    b"<link>http://[::1/x.torrent</link>",
    b"<link>http://[127.0.0.1]/x.torrent</link>",
    b"<link>http://127.0.0.1:99999999/x.torrent</link>",
    b"<link>../../etc/passwd.torrent</link>",
    b"<link>file:///etc/passwd.torrent</link>",
    b"<link>magnet:?xt=urn:btih:" + b"a" * 40 + b"&amp;xl=99999999999999999999999</link>",
    b"<infoHash>" + b"A" * 32 + b"</infoHash>",
    b"<infoHash>" + b"0" * 40 + b"</infoHash>",
    b"<seeders>\xd9\xa3</seeders>",
    b"<title>\xe2\x80\xae" + b"t" * 50_000 + b"</title>",
    b"<category>\x1b[31m</category>",
)
_ENCODINGS = (b"x-unknown", b"UTF-7", b"utf-32", b"shift_jis", b"rot13", b"idna", b"punycode")


def _feed_seeds() -> list[bytes]:
    return [path.read_bytes() for path in sorted(FEEDS.glob("*.xml"))]


def _check_feed(data: bytes) -> ParsedFeed | FeedMalformed:
    try:
        parsed = parse_feed(data, FEED_URL)
    except FeedMalformed as exc:  # FeedUnsafeXml is one
        assert len(str(exc)) < BOUND
        return exc
    for entry in parsed.entries:
        _texts_are_text(entry.item_id, entry.title, entry.torrent_url, entry.magnet)
        _texts_are_text(entry.category, *entry.categories)
        assert entry.torrent_url is None or entry.torrent_url.startswith(("http://", "https://"))
        for count in (entry.size, entry.seeders, entry.leechers):
            assert count is None or 0 <= count < 2**63
    for problem in parsed.problems:
        _texts_are_text(problem.detail, problem.item_id)
        assert len(problem.detail) < BOUND
    return parsed


def _mutate_feed(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """Byte mutations, or a hostile element inserted right after a tag (so the
    document often stays well-formed), or the declared encoding swapped."""
    choice = rng.randrange(3)
    if choice == 0:
        return mutate_bytes(rng, data, pool)
    if choice == 1:
        ends = [i + 1 for i in range(len(data)) if data[i] == 0x3E]
        at = rng.choice(ends)
        return data[:at] + rng.choice(_FEED_INSERTS) + data[at:]
    return data.replace(b'encoding="UTF-8"', b'encoding="' + rng.choice(_ENCODINGS) + b'"', 1)


def test_mutated_feeds_give_entries_problems_or_feed_malformed() -> None:
    rng = random.Random(110_008)
    seeds = _feed_seeds()
    kept = 0
    for _ in range(2500):
        kept += isinstance(_check_feed(_mutate_feed(rng, rng.choice(seeds), seeds)), ParsedFeed)
    assert kept > 250


@pytest.mark.parametrize("encoding", [e.decode() for e in _ENCODINGS])
def test_a_feed_declaring_an_encoding_the_reader_cannot_use_is_malformed(encoding: str) -> None:
    data = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss><channel><item>'
        f"<link>magnet:?xt=urn:btih:{'a' * 40}</link></item></channel></rss>"
    ).encode()
    with pytest.raises(FeedMalformed, match="encoding"):
        parse_feed(data, FEED_URL)


def test_a_huge_entity_declaration_is_refused_in_a_bounded_message() -> None:
    name = b"kart" * 20_000  # the refusal quotes the entity's name and system id
    data = b"<!DOCTYPE rss [<!ENTITY " + name + b" SYSTEM 'file:///x'>]><rss/>"
    with pytest.raises(FeedUnsafeXml) as caught:
        parse_feed(data, FEED_URL)
    assert len(str(caught.value)) < 1000 and "more characters" in str(caught.value)


def test_a_huge_unknown_encoding_name_is_cut_in_the_error() -> None:
    data = b'<?xml version="1.0" encoding="' + b"x" * 100_000 + b'"?><rss/>'
    with pytest.raises(FeedMalformed) as caught:
        parse_feed(data, FEED_URL)
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize(
    "href", ["http://[::1/x.torrent", "http://[kart]/x.torrent", "//[/x.torrent"]
)
def test_an_unparseable_torrent_link_is_left_out_and_the_item_goes_on(href: str) -> None:
    magnet = f"magnet:?xt=urn:btih:{'a' * 40}"
    data = (
        "<rss><channel>"
        f'<item><title>Kart</title><enclosure url="{href}" type="application/x-bittorrent"/>'
        f"<link>{magnet}</link></item>"
        f'<item><title>Racer</title><enclosure url="{href}" type="application/x-bittorrent"/>'
        "</item></channel></rss>"
    ).encode()
    parsed = parse_feed(data, FEED_URL)
    (entry,) = parsed.entries
    assert entry.magnet == magnet and entry.torrent_url is None
    (problem,) = parsed.problems
    assert "is not a valid URL" in problem.detail and problem.position == 2


def test_nesting_a_million_deep_and_many_attributes_are_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(FeedMalformed, match="nested"):
        parse_feed(b"<rss>" + b"<a>" * 1_000_000 + b"</a>" * 1_000_000 + b"</rss>", FEED_URL)
    attrs = b" ".join(b"a%d='%d'" % (i, i) for i in range(200_000))
    parse_feed(b"<rss><channel><item " + attrs + b"/></channel></rss>", FEED_URL)
    assert time.monotonic() - started < 10


# --- names: normalisation, extensions, release claims -------------------------------

_SCALAR = (
    normalize_text,
    normalized_tokens,
    skeleton_text,
    name_marks,
    display_safe,
    fold_chunk,
    ext_chain,
    kind_of,
    kind_of_ext,
    is_exec_or_shortcut,
    parse_release,
)


def _claim_row(name: str) -> dict:
    claim = parse_release(name)
    return {
        "platform": claim.platform,
        "category": claim.category,
        "tags": list(claim.tags),
        "video_about_game": claim.video_about_game,
        "nature": claim.nature,
    }


_TWINS = (
    (normalize_array, normalize_text),
    (skeleton_array, skeleton_text),
    (name_marks_array, name_marks),
    (ext_chain_array, ext_chain),
    (parse_release_array, _claim_row),
)


def test_name_functions_take_every_unicode_category_and_agree_with_their_arrays() -> None:
    """Scalar functions never raise (lone surrogates included); the column-wise twins
    agree with them on names Arrow can hold."""
    rng = random.Random(110_009)
    for _ in range(12):
        names = [hostile_text(rng) for _ in range(30)]
        for name in names:
            for function in _SCALAR:
                function(name)
        storable = [n for n in names if not any(0xD800 <= ord(c) <= 0xDFFF for c in n)]
        for array_form, scalar_form in _TWINS:
            column = array_form(pa.array(storable, pa.string())).to_pylist()
            assert column == [scalar_form(name) for name in storable], array_form.__name__


_LONG_SHAPES = {
    "letters": "a",
    "dots": ".",
    "dotted words": "Kart.",
    "digits": "1",
    "dotted digits": "12.",
    "episode tags": "s01e",
    "phrases": "season 1 ",
    "versions": "v1.2.",
    "platform words": "ps2 ",
    "slashes": "a/",
    "dot spaces": ". ",
    "combining marks": "e\u0301",
    "bidi": "\u202e",
    "wide ligature": "\ufdfa",
    "cjk": "\u6f22",
    "controls": "\x01",
    "escape look-alikes": "<U+",
    "release names": NAME_SEEDS[2] + ".",
}


def _cost(name: str) -> float:
    """Seconds for every name function (scalar and column-wise) over ``name``."""
    started = time.perf_counter()
    for function in _SCALAR:
        function(name)
    for array_form, _ in _TWINS:
        array_form(pa.array([name]))
    return time.perf_counter() - started


@pytest.mark.parametrize("shape", sorted(_LONG_SHAPES))
def test_a_100_kb_name_costs_linear_time(shape: str) -> None:
    """A name is at most a few hundred bytes in real torrents; a hostile one of 100 KB
    must cost time in proportion (tens of ms measured; about 4 s for U+FDFA, which
    NFKC expands 18-fold), never a quadratic blow-up: four times the length may cost
    at most ten times the time (quadratic would be sixteen)."""
    unit = _LONG_SHAPES[shape]
    small = min(_cost(unit * (25_000 // len(unit))) for _ in range(2))
    large = _cost(unit * (100_000 // len(unit)))
    assert large < 30, (shape, large)
    assert large < 10 * max(small, 0.05), (shape, small, large)


# --- found by the sweep in files being changed elsewhere (the lead fixes them) ---------


def test_a_magnet_uri_torrent_with_a_5_mb_dn_keeps_a_capped_name() -> None:
    uri = b"magnet:?xt=urn:btih:" + b"a" * 40 + b"&dn=" + b"K" * 5_000_000
    meta = parse_torrent(lt.bencode({b"magnet-uri": uri}))
    assert not meta.has_metadata
    assert len(meta.name) < FIELD_CAP + 50


def test_a_malformed_json_line_ending_in_multibyte_text_is_one_reject(tmp_path: Path) -> None:
    from torrentwatch.import_magnetico import import_magnetico

    good = b'{"infoHash": "%s", "name": "Kart", "files": [{"size": 5, "path": "k.iso"}]}'
    # DuckDB quotes the first malformed line cut at a byte count: here inside an "é".
    bad = ('{"name": a' + "\u00e9" * 60 + "}").encode()
    export = tmp_path / "e.jsonl"
    export.write_bytes(good % (b"1" * 40) + b"\n" + bad + b"\n")
    counts = import_magnetico(export, tmp_path / "w.duckdb")
    assert counts.rejected == {"json.invalid": 1}


def _magnetico_record(rng: random.Random) -> object:
    files = [
        {
            "size": rng.choice((5, -1, 0, 2**63, 2**64, 1.5, "5", None, True)),
            "path": rng.choice(("a/b.iso", "../x", "/abs", "C:\\x", "..\\x", "", ".pad/1", None)),
        }
        for _ in range(rng.randint(0, 4))
    ]
    record = {
        "infoHash": rng.choice(("1" * 40, "A" * 40, "a" * 64, "", "zz", 5, None)),
        "name": rng.choice(("Kart.Racer", hostile_text(rng, surrogates=False), "", None, 7)),
        "files": rng.choice((files, files, [], None, {}, "x", [5])),
    }
    return record if rng.random() > 0.1 else rng.choice(([], "x", 5, None, {}))


def test_mutated_magnetico_json_lines_give_records_or_rejects() -> None:
    import json
    from datetime import UTC, datetime

    from parsers.magnetico import Origin, prepare_block, split_lines

    rng = random.Random(110_011)
    origin = Origin("magnetico", "e.jsonl", datetime(2026, 1, 1, tzinfo=UTC))
    pool = [json.dumps(_magnetico_record(rng)).encode() for _ in range(30)]
    for _ in range(600):
        lines = [
            json.dumps(_magnetico_record(rng), ensure_ascii=rng.random() < 0.5).encode()
            for _ in range(rng.randint(1, 6))
        ]
        data = b"\n".join(lines) + b"\n"
        if rng.random() < 0.5:
            data = mutate_bytes(rng, data, pool)
        prepared = prepare_block(split_lines(data, 1, final=True), origin)
        assert all(reject.reason in REASONS for reject in prepared.rejects)
        if prepared.batch is not None:
            for path in prepared.batch.files.column("path").to_pylist():
                assert not path.startswith("/") and ".." not in path.split("/"), path


def test_feed_counts_take_ascii_digits_only() -> None:
    """Python's int() reads any script's digits; a feed's counts are ASCII or absent."""
    from parsers.feed_items import MAX_COUNT, _count

    for text in ("\u0663", "\u0661\u0662", "\uff15", "\u00b2", "7\u0663"):
        assert _count([("seeders", text)], zero=True, limit=MAX_COUNT) is None, text
    assert _count([("seeders", "12")], zero=True, limit=MAX_COUNT) == 12


def test_a_quoted_integer_too_long_for_repr_is_described() -> None:
    """repr() refuses integers past 4,300 digits; a message quoting one must not raise."""
    from common.textcap import capped_repr

    assert capped_repr(9 * 10**5000) == "an integer of about 5,001 digits"
    assert capped_repr(12345) == "12345"
