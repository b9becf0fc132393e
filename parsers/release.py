"""What a release name claims to be: platform, category, tags.

A hotline looks for releases whose bytes do not match their name, so the claim has
to be read the way people write names: ``Kart.Racer.PS2.PAL-GRP`` claims a PS2
game, ``Show.S01E02.720p.HDTV.x264`` a TV episode. The vocabulary is data
(``parsers/data/release_tags.yaml``), compiled once into dictionaries keyed by
normalised words; parsing a name is ``normalize_text``, a split, and one dictionary
lookup per word (plus one regex on the words that hold a digit). Matching whole words
is what keeps ``Apps2Go`` from being a PS2 game and ``Xboxing`` from being an Xbox.

Names are also read as written, for what folding to ASCII garbles: markers glued to
their number in scripts without spaces (``第01話``, ``1화``) and the punctuation of
fansub names (``[Group] Title - 05 [1080p]``): the ``name_patterns`` of the YAML, one
regex search each (those holding a non-ASCII character only on non-ASCII names).
Season and episode words of many languages (``markers``) count beside a number.

Precedence, when the words point several ways:

1. Words that declare the nature of the payload (trailer, gameplay, OST, texture
   pack, artbook, saves, …: ``natures``) set ``nature`` (the first one named). A
   nature with a media category makes that the category, unless the name names a
   media category itself (``Walkthrough PDF`` → ebook); the natures marked
   ``about_game`` (video and music about a game) set ``video_about_game``.
2. A console platform keeps its id. The category is ``game_console`` unless the
   name also names a media category (``PS2 1080p x264`` is a film about a game).
3. Without a platform, the first category of ``categories.precedence`` that the
   name has words for wins (tv before film before ebook …).
4. Weak aliases (``Switch``, ``GC``, ``Vita``, ``PC``) need support, see the YAML.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from common.checks import is_number
from parsers.normalize import (
    StringLike,
    as_string_array,
    first_rows,
    normalize_text,
    normalized_tokens,
)
from parsers.release_precheck import first_chars, misses_digit_words, needed_class
from parsers.taxonomy import (
    DataFile,
    KeyPath,
    expect_list,
    expect_mapping,
    load_data,
    raise_if_errors,
)

CATEGORIES: tuple[str, ...] = (
    "game_console",
    "game_pc",
    "software",
    "film",
    "tv",
    "music",
    "ebook",
    "photos",
)
CLAIM_FIELDS = ("platform", "category", "tags", "video_about_game", "nature")


@dataclass(frozen=True, slots=True)
class ReleaseClaim:
    """The claim read from one name. ``platform`` is a canonical id (``ps2``,
    ``nsw``, ``pc``…), ``category`` one of ``CATEGORIES``, ``nature`` a nature id of
    the YAML (``textures``, ``soundtrack``…); all may be None."""

    platform: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    video_about_game: bool = False
    nature: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """What a word (or a run of words) means: ``kind`` is platform, cue, marker,
    context, nature or neutral; ``value`` the platform id, category or nature id;
    ``tag`` what to report (for a marker: ``season`` or ``episode``)."""

    kind: str
    value: str
    tag: str | None
    weak: bool = False


@dataclass(frozen=True, slots=True)
class Pattern:
    """A regular expression over ``words`` whole words, formatting ``template``."""

    regex: re.Pattern[str]
    words: int
    hit: Hit
    template: str
    # For name patterns: a class of characters one of which every match holds (a
    # name without any skips the search; parsers.release_precheck), or None.
    needed: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Nature:
    """A declared nature: the media category its bytes are (None: the platform's) and
    whether it is video or music about a game (``video_about_game``)."""

    category: str | None
    about_game: bool


@dataclass(frozen=True, slots=True)
class FromContent:
    """When a name that claims no category claims video from its bytes (the YAML's
    ``from_content``)."""

    video_share_at_least: float = 0.9
    tv_videos_at_least: int = 3
    film_largest_share_at_least: float = 0.5


@dataclass(frozen=True, slots=True, eq=False)
class Vocabulary:
    """``release_tags.yaml`` compiled into lookup tables."""

    single: dict[str, Hit]
    multi: dict[str, tuple[tuple[tuple[str, ...], Hit], ...]]
    digit_regex: re.Pattern[str] | None
    digit_patterns: tuple[Pattern, ...]
    phrase_patterns: dict[str, tuple[Pattern, ...]]
    text_patterns: tuple[Pattern, ...]
    precedence: tuple[str, ...]
    media: frozenset[str]
    platform_category: dict[str, str]
    natures: dict[str, Nature] = field(default_factory=dict)
    name_patterns: tuple[Pattern, ...] = ()
    ascii_name_patterns: tuple[Pattern, ...] = ()
    # One alternation of each set: most names match none, and one search says so.
    name_any: re.Pattern[str] | None = None
    ascii_name_any: re.Pattern[str] | None = None
    text_any: re.Pattern[str] | None = None
    # A character class of the characters one of which any match of a name pattern
    # holds (None: no such set): a name holding none skips the search
    # (parsers.release_precheck; a class search is faster than a set test).
    name_needed: re.Pattern[str] | None = None
    ascii_name_needed: re.Pattern[str] | None = None
    # No word of digits alone matches a digit pattern (each needs a letter): such
    # words skip the regex (parsers.release_precheck.misses_digit_words).
    digit_words_miss: bool = False
    # Weak name patterns without a tag: they can only decide a name that has no
    # category word, so they are tried only then.
    fallback_patterns: tuple[Pattern, ...] = ()
    from_content: FromContent = FromContent()
    rank: dict[str, int] = field(default_factory=dict)
    simple: dict[str, Hit] = field(default_factory=dict)
    complex_first: frozenset[str] = frozenset()
    digit_cache: dict[str, tuple[Hit | None, str | None]] = field(default_factory=dict)
    claims: dict[tuple, ReleaseClaim] = field(default_factory=dict)
    # Nature aliases that count only written in capitals: their tag -> the regex
    # finding them so written.
    capitals: dict[str, re.Pattern[str]] = field(default_factory=dict)


class _Scan:
    """What the words of one name said, in order (a plain class: built per name)."""

    __slots__ = ("categories", "context", "natures", "numbers", "platforms", "tags", "weak")

    def __init__(self) -> None:
        self.platforms: list[tuple[int, str, bool]] = []
        self.categories: set[str] = set()
        self.weak: set[str] = set()
        self.numbers: set[int] = set()
        self.natures: list[str] = []
        self.tags: dict[str, None] = {}
        self.context = False


# ------------------------------------------------------------------------ compiling


class _Builder:
    """Collects aliases and patterns while checking them; errors are gathered."""

    def __init__(self, doc: DataFile) -> None:
        self.doc = doc
        self.errors: list[str] = []
        self.seen: dict[str, KeyPath] = {}
        self.single: dict[str, Hit] = {}
        self.multi: dict[str, list[tuple[tuple[str, ...], Hit]]] = {}
        self.digit: list[Pattern] = []
        self.phrase: dict[str, list[Pattern]] = {}
        self.text: list[Pattern] = []
        self.name: list[Pattern] = []
        self.capitals: dict[str, re.Pattern[str]] = {}

    def problem(self, path: KeyPath, message: str) -> None:
        self.errors.append(self.doc.problem(path, message))

    def mapping(self, path: KeyPath, value: object, allowed: tuple[str, ...] = ()) -> dict:
        """A mapping at ``path``; with ``allowed``, other keys are reported (typos)."""
        out = expect_mapping(self.doc, path, {} if value is None else value, self.errors)
        for key in out:
            if allowed and key not in allowed:
                self.problem((*path, key), f"unknown key {key!r}; expected one of {allowed}")
        return out

    def listing(self, path: KeyPath, value: object) -> list:
        return expect_list(self.doc, path, value, self.errors)

    def alias(self, path: KeyPath, text: object, hit: Hit) -> None:
        """Register one alias, normalised as names are."""
        norm = normalize_text(str(text)) if isinstance(text, str | int) else ""
        if not norm:
            self.problem(path, f"alias {text!r} has no letters or digits")
            return
        if norm in self.seen:
            self.problem(
                path, f"alias {text!r} ({norm!r}) already at {self.doc.where(self.seen[norm])}"
            )
            return
        self.seen[norm] = path
        first, *rest = norm.split(" ")
        if rest:
            self.multi.setdefault(first, []).append((tuple(rest), hit))
        else:
            self.single[norm] = hit

    def aliases(self, path: KeyPath, value: object, hit: Hit) -> None:
        for i, text in enumerate(self.listing(path, value)):
            self.alias((*path, i), text, hit)

    def pattern(self, path: KeyPath, spec: object, hit: Hit, text: str = "") -> None:
        """Register one ``{match, tag}`` pattern after checking it compiles and formats.
        ``text`` says what it is matched against: "" a word (or words), ``text`` the
        normalised name, ``name`` the name as written."""
        spec = self.mapping(path, spec, ("match", "tag", "weak"))
        source, template = str(spec.get("match", "")), str(spec.get("tag", ""))
        weak = bool(spec.get("weak", hit.weak))
        try:
            regex = re.compile(source, re.IGNORECASE if text == "name" else 0)
            template.format(*[1] * regex.groups)
        except (re.error, IndexError, KeyError, ValueError) as exc:
            self.problem(path, f"bad pattern or tag: {exc}")
            return
        words = source.count(" ") + 1
        made = Pattern(regex, words, Hit(hit.kind, hit.value, None, weak), template)
        if text == "name":
            self.name.append(made)
        elif text:
            self.text.append(made)
        elif words == 1:
            self.digit.append(made)
        elif re.fullmatch(r"[a-z]+ .*", source):
            self.phrase.setdefault(source.split(" ", 1)[0], []).append(made)
        else:
            self.problem(path, "a pattern spanning words must start with a literal word")

    def tags(
        self, path: KeyPath, value: object, kind: str, category: str, weak: bool = False
    ) -> None:
        """A ``{tag: [aliases]}`` mapping."""
        for tag, aliases in self.mapping(path, value).items():
            self.aliases((*path, tag), aliases, Hit(kind, category, str(tag), weak))


def compile_vocabulary(doc: DataFile) -> Vocabulary:
    """Check and compile a release-tag data file; every problem is reported at once."""
    b = _Builder(doc)
    top = b.mapping(
        (),
        doc.data,
        _TOP_KEYS,
    )
    precedence, media = _categories(b, top.get("categories"))
    platform_category = _platforms(b, top.get("platforms"))
    # Natures first: their one-word patterns (a handheld's frame size) are tried
    # before the cues' (any frame size), and the nature's category is film anyway.
    natures = _natures(b, top.get("natures"))
    _cues(b, top.get("cues"), precedence)
    context = b.mapping(("game_context",), top.get("game_context"), ("tags", "patterns"))
    b.tags(("game_context", "tags"), context.get("tags"), "context", "")
    for i, spec in enumerate(b.listing(("game_context", "patterns"), context.get("patterns"))):
        b.pattern(("game_context", "patterns", i), spec, Hit("context", "", None))
    neutral = b.mapping(("neutral",), top.get("neutral"), ("tags",))
    b.tags(("neutral", "tags"), neutral.get("tags"), "neutral", "")
    from_content = _from_content(b, top.get("from_content"))
    raise_if_errors(doc.name, b.errors)
    return _vocabulary(b, precedence, media, platform_category, natures, from_content)


_TOP_KEYS = (
    "version",
    "categories",
    "platforms",
    "cues",
    "game_context",
    "natures",
    "neutral",
    "from_content",
)


def _from_content(b: _Builder, value: object) -> FromContent:
    path = ("from_content",)
    keys = tuple(FromContent.__dataclass_fields__)
    spec = b.mapping(path, value, keys)
    out = {}
    for key in keys:
        if key not in spec:
            continue
        found = spec[key]
        if not is_number(found) or found < 0:
            b.problem((*path, key), f"{key} must be a non-negative number, not {found!r}")
            continue
        out[key] = found
    return FromContent(**out)


def _vocabulary(
    b: _Builder,
    precedence: tuple[str, ...],
    media: frozenset[str],
    platforms: dict[str, str],
    natures: dict[str, Nature],
    from_content: FromContent,
) -> Vocabulary:
    combined = "|".join(f"(?P<p{i}>{p.regex.pattern})" for i, p in enumerate(b.digit))
    longest_first = {
        first: tuple(sorted(options, key=lambda o: -len(o[0])))
        for first, options in b.multi.items()
    }
    markers = frozenset(w for w, h in b.single.items() if h.kind == "marker")
    complex_first = frozenset(longest_first) | frozenset(b.phrase) | markers
    names = [dataclasses.replace(p, needed=needed_class([p.regex])) for p in b.name]
    fallback = tuple(p for p in names if p.hit.weak and not p.template)
    names = [p for p in names if p not in fallback]
    ascii_names = tuple(p for p in names if p.regex.pattern.isascii())
    return Vocabulary(
        simple={w: h for w, h in b.single.items() if w not in complex_first},
        complex_first=complex_first,
        single=b.single,
        multi=longest_first,
        digit_regex=re.compile(combined) if combined else None,
        digit_words_miss=misses_digit_words(p.regex for p in b.digit),
        digit_patterns=tuple(b.digit),
        phrase_patterns={k: tuple(v) for k, v in b.phrase.items()},
        text_patterns=tuple(b.text),
        text_any=_text_any(b.text),
        precedence=precedence,
        rank={category: i for i, category in enumerate(precedence)},
        media=media,
        platform_category=platforms,
        natures=natures,
        from_content=from_content,
        name_patterns=tuple(names),
        ascii_name_patterns=ascii_names,
        fallback_patterns=fallback,
        name_any=_any(names),
        ascii_name_any=_any(ascii_names),
        name_needed=needed_class(p.regex for p in names),
        ascii_name_needed=needed_class(p.regex for p in ascii_names),
        capitals=b.capitals,
    )


def _text_any(patterns: list[Pattern]) -> re.Pattern[str] | None:
    """One regex finding, in the normalised name with a space put in front, where any
    text pattern matches from the start of a word (``_search_words`` keeps only
    those): the leading space lets ``re`` jump from space to space instead of trying
    every alternative at every character (four times faster), and a look-ahead of the
    characters a match can start with (``first_chars``) skips most words at once."""
    if not patterns:
        return None
    alternation = "|".join(f"(?:{p.regex.pattern})" for p in patterns)
    first = first_chars(p.regex for p in patterns)
    if first:  # words starting otherwise fail at once (30% less again)
        alternation = f"(?=[{''.join(re.escape(c) for c in sorted(first))}])(?:{alternation})"
    return re.compile(f" (?:{alternation})")


def _any(patterns: list[Pattern] | tuple[Pattern, ...]) -> re.Pattern[str] | None:
    """One regex matching where any of ``patterns`` does (a test, groups unused)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.IGNORECASE)


def _categories(b: _Builder, value: object) -> tuple[tuple[str, ...], frozenset[str]]:
    section = b.mapping(("categories",), value, ("precedence", "media"))
    lists = {}
    for key in ("precedence", "media"):
        lists[key] = [str(c) for c in b.listing(("categories", key), section.get(key))]
        for i, category in enumerate(lists[key]):
            if category not in CATEGORIES:
                b.problem(("categories", key, i), f"unknown category {category!r}")
    return tuple(lists["precedence"]), frozenset(lists["media"])


def _platforms(b: _Builder, value: object) -> dict[str, str]:
    out = {}
    for platform, spec in b.mapping(("platforms",), value).items():
        path = ("platforms", platform)
        spec = b.mapping(path, spec, ("aliases", "weak", "category"))
        category = str(spec.get("category", "game_console"))
        if category not in ("game_console", "game_pc"):
            b.problem(
                (*path, "category"), f"a platform is game_console or game_pc, not {category!r}"
            )
        out[str(platform)] = category
        b.aliases((*path, "aliases"), spec.get("aliases"), Hit("platform", str(platform), None))
        weak = Hit("platform", str(platform), None, weak=True)
        b.aliases((*path, "weak"), spec.get("weak"), weak)
    return out


def _cues(b: _Builder, value: object, precedence: tuple[str, ...]) -> None:
    for category, spec in b.mapping(("cues",), value).items():
        path = ("cues", category)
        if category not in precedence:
            b.problem(path, f"category {category!r} is not in categories.precedence")
            continue
        spec = b.mapping(
            path,
            spec,
            ("tags", "weak_tags", "patterns", "text_patterns", "name_patterns", "markers"),
        )
        b.tags((*path, "tags"), spec.get("tags"), "cue", category)
        b.tags((*path, "weak_tags"), spec.get("weak_tags"), "cue", category, weak=True)
        hit = Hit("cue", category, None)
        for key, text in (("patterns", ""), ("text_patterns", "text"), ("name_patterns", "name")):
            for i, pattern in enumerate(b.listing((*path, key), spec.get(key))):
                b.pattern((*path, key, i), pattern, hit, text=text)
        markers = b.mapping((*path, "markers"), spec.get("markers"), _MARKERS)
        for marker, aliases in markers.items():
            b.aliases((*path, "markers", marker), aliases, Hit("marker", category, marker))


_MARKERS = ("season", "episode")
_NATURE_KEYS = ("category", "about_game", "aliases", "capitals", "patterns")


def _natures(b: _Builder, value: object) -> dict[str, Nature]:
    out = {}
    for nature, spec in b.mapping(("natures",), value).items():
        path = ("natures", nature)
        spec = b.mapping(path, spec, _NATURE_KEYS)
        category = spec.get("category")
        if category is not None and category not in CATEGORIES:
            b.problem((*path, "category"), f"unknown category {category!r}")
            continue
        out[str(nature)] = Nature(category, bool(spec.get("about_game", False)))
        for i, text in enumerate(b.listing((*path, "aliases"), spec.get("aliases"))):
            tag = normalize_text(str(text))
            b.alias((*path, "aliases", i), text, Hit("nature", str(nature), tag))
        for i, text in enumerate(b.listing((*path, "capitals"), spec.get("capitals"))):
            written = str(text)
            if not (written.isascii() and written.isalpha() and written.isupper()):
                b.problem((*path, "capitals", i), f"{written!r} is not a word in capitals")
                continue
            tag = normalize_text(written)
            b.alias((*path, "capitals", i), written, Hit("nature", str(nature), tag))
            b.capitals[tag] = re.compile(rf"(?<![^\W\d_]){re.escape(written)}(?![^\W\d_])")
        hit = Hit("nature", str(nature), None)
        for i, pattern in enumerate(b.listing((*path, "patterns"), spec.get("patterns"))):
            b.pattern((*path, "patterns", i), pattern, hit)
    return out


@functools.cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, compiled on first use."""
    return compile_vocabulary(load_data("release_tags.yaml"))


# -------------------------------------------------------------------------- parsing


def _format(template: str, match: re.Match[str]) -> str:
    groups = [int(g) if g is not None and g.isdigit() else g for g in match.groups()]
    return template.format(*groups)


_DIGIT_CACHE_SIZE = 1 << 16


def _digit_word(word: str, vocab: Vocabulary) -> tuple[Hit | None, str | None]:
    """The pattern meaning of a word holding a digit, memoised: such words repeat
    (``1080p``, ``s01e02``, years) and the regex costs more than the lookup."""
    known = vocab.digit_cache.get(word)
    if known is not None:
        return known
    found: tuple[Hit | None, str | None] = (None, None)
    if vocab.digit_words_miss and word.isdigit() and word.isascii():
        return found  # ids and numbers are many and distinct: not worth a cache entry
    match = vocab.digit_regex.fullmatch(word) if vocab.digit_regex is not None else None
    if match:
        pattern = vocab.digit_patterns[int(match.lastgroup[1:])]
        found = (pattern.hit, _format(pattern.template, pattern.regex.fullmatch(word)))
    if len(vocab.digit_cache) >= _DIGIT_CACHE_SIZE:
        vocab.digit_cache.clear()
    vocab.digit_cache[word] = found
    return found


def _match_at(words: list[str], i: int, vocab: Vocabulary) -> tuple[Hit | None, int, str | None]:
    """The meaning of the words starting at ``i``: (hit, words used, tag).

    Longest multi-word alias first, then the one-word alias, then phrase patterns
    (``season 1``), then the patterns for words that hold a digit.
    """
    word = words[i]
    options = vocab.multi.get(word)
    if options is not None:
        for rest, hit in options:
            if tuple(words[i + 1 : i + 1 + len(rest)]) == rest:
                return hit, 1 + len(rest), hit.tag
    hit = vocab.single.get(word)
    if hit is not None:
        return hit, 1, hit.tag
    phrases = vocab.phrase_patterns.get(word)
    if phrases is not None:
        for pattern in phrases:
            match = pattern.regex.fullmatch(" ".join(words[i : i + pattern.words]))
            if match:
                return pattern.hit, pattern.words, _format(pattern.template, match)
    if word.isalpha():
        return None, 1, None
    hit, tag = _digit_word(word, vocab)
    return hit, 1, tag


def _scan(words: list[str], vocab: Vocabulary) -> _Scan:
    """Walk the words once; most are ordinary words and cost one dict lookup."""
    scan = _Scan()
    simple, complex_first, digit_cache = vocab.simple, vocab.complex_first, vocab.digit_cache
    i, count = 0, len(words)
    while i < count:
        word = words[i]
        hit = simple.get(word)
        if hit is not None:
            _record(scan, hit, i, hit.tag)
            i += 1
        elif word in complex_first:
            hit, used, tag = _match_at(words, i, vocab)
            if hit is not None and hit.kind == "marker":
                _marker(scan, hit, words, i, used)
            elif hit is not None:
                _record(scan, hit, i, tag)
            i += used
        elif word.isalpha():
            i += 1
        else:
            hit, tag = digit_cache.get(word) or _digit_word(word, vocab)
            if hit is not None:
                _record(scan, hit, i, tag)
            i += 1
    return scan


def _number(word: str | None) -> int | None:
    """A number word of one to three digits (an episode or season, not a year)."""
    if word is not None and word.isdigit() and len(word) <= 3:
        return int(word)
    return None


def _marker(scan: _Scan, hit: Hit, words: list[str], at: int, used: int) -> None:
    """A season or episode word counts beside a number: the one before it unless an
    earlier marker took it, else the one after ("2 сезон 1-8 серии", "Сезон 3 серия
    5": each number belongs to one marker)."""
    number = None
    if at > 0 and at - 1 not in scan.numbers:
        number = _number(words[at - 1])
        if number is not None:
            scan.numbers.add(at - 1)
    if number is None and at + used < len(words):
        number = _number(words[at + used])
        if number is not None:
            scan.numbers.add(at + used)
    if number is not None:
        prefix = "s" if hit.tag == "season" else "e"
        _record(scan, Hit("cue", hit.value, None), at, f"{prefix}{number:02d}")


def _record(scan: _Scan, hit: Hit, at: int, tag: str | None) -> None:
    kind = hit.kind
    if kind == "platform":
        scan.platforms.append((at, hit.value, hit.weak))
        return
    if tag:
        scan.tags[tag] = None
    if kind == "cue":
        (scan.weak if hit.weak else scan.categories).add(hit.value)
    elif kind == "context":
        scan.context = True
    elif kind == "nature":
        scan.natures.append(hit.value)


def _platform(scan: _Scan, word_count: int) -> str | None:
    """The first strong platform, else the first weak one that has support."""
    for _, platform, weak in scan.platforms:
        if not weak:
            return platform
    for at, platform, _ in scan.platforms:
        if scan.context or scan.natures or (not scan.categories and at >= word_count - 2):
            return platform
    return None


def _decide(scan: _Scan, word_count: int, vocab: Vocabulary) -> ReleaseClaim:
    platform = _platform(scan, word_count) if scan.platforms else None
    found = scan.categories or scan.weak
    ranked = sorted(found, key=vocab.rank.__getitem__) if len(found) > 1 else list(found)
    media = [c for c in ranked if c in vocab.media]
    natures = [vocab.natures[n] for n in scan.natures] if scan.natures else ()
    declared = [n.category for n in natures if n.category is not None] if natures else ()
    if declared:
        category = media[0] if media else declared[0]
    elif platform is not None:
        category = media[0] if media else vocab.platform_category.get(platform, "game_console")
    else:
        category = ranked[0] if ranked else None
    if platform is None and category == "game_pc":
        platform = "pc"
    about = any(n.about_game for n in natures) if natures else False
    nature = scan.natures[0] if natures else None
    return _claim(vocab, platform, category, tuple(scan.tags), about, nature)


_CLAIM_CACHE_SIZE = 1 << 16


def _claim(
    vocab: Vocabulary,
    platform: str | None,
    category: str | None,
    tags: tuple,
    about: bool,
    nature: str | None,
) -> ReleaseClaim:
    """Claims repeat a lot and are immutable, so equal ones are shared."""
    key = (platform, category, tags, about, nature)
    claim = vocab.claims.get(key)
    if claim is None:
        if len(vocab.claims) >= _CLAIM_CACHE_SIZE:
            vocab.claims.clear()
        claim = vocab.claims[key] = ReleaseClaim(platform, category, tags, about, nature)
    return claim


def _search_words(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of ``regex`` in ``text`` that starts and ends at word edges."""
    pos, end = 0, len(text)
    while (match := regex.search(text, pos)) is not None:
        start, stop = match.span()
        if (start == 0 or text[start - 1] == " ") and (stop == end or text[stop] == " "):
            return match
        pos = start + 1
    return None


def parse_release(name: str) -> ReleaseClaim:
    """Read the claim of one release name (see the module docstring for precedence)."""
    return parse_release_words(normalized_tokens(name), name)


def _as_written(name: str) -> str:
    """The name as the ``name_patterns`` read it (they ignore case): NFKC, so that
    full-width digits are digits and a full-width tilde is ``~``."""
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


def parse_release_words(words: list[str], name: str | None = None) -> ReleaseClaim:
    """``parse_release`` of a name already normalised and split (its ``name_tokens``);
    ``name``, the name as written, is read by the ``name_patterns`` (without it they
    are not tried)."""
    vocab = vocabulary()
    scan = _scan(words, vocab)
    norm = " ".join(words) if vocab.text_patterns else ""
    text_patterns = vocab.text_patterns
    if vocab.text_any is not None and vocab.text_any.search(" " + norm) is None:
        text_patterns = ()
    for pattern in text_patterns:
        match = _search_words(pattern.regex, norm)
        if match is not None:
            _record(scan, pattern.hit, len(words), _format(pattern.template, match))
    if name:
        ascii = name.isascii()
        patterns = vocab.ascii_name_patterns if ascii else vocab.name_patterns
        written = _as_written(name)
        any_of = vocab.ascii_name_any if ascii else vocab.name_any
        needed = vocab.ascii_name_needed if ascii else vocab.name_needed
        if (
            any_of is None
            or (needed is not None and needed.search(written) is None)
            or any_of.search(written) is None
        ):
            patterns = ()
        for pattern in patterns:
            if pattern.needed is not None and pattern.needed.search(written) is None:
                continue
            match = pattern.regex.search(written)
            if match is not None:
                _record(scan, pattern.hit, len(words), _format(pattern.template, match))
        if not scan.categories:
            for pattern in vocab.fallback_patterns:
                if pattern.needed is not None and pattern.needed.search(written) is None:
                    continue
                if pattern.regex.search(written) is not None:
                    _record(scan, pattern.hit, len(words), None)
        if scan.natures and vocab.capitals:
            _drop_uncapitalised(scan, vocab, written)
    return _decide(scan, len(words), vocab)


def _drop_uncapitalised(scan: _Scan, vocab: Vocabulary, written: str) -> None:
    """Forget the natures read from a ``capitals`` alias the name does not write in
    capitals ("[Ost] Title" is a group's name, "OST" a soundtrack)."""
    for tag, regex in vocab.capitals.items():
        if tag in scan.tags and regex.search(written) is None:
            del scan.tags[tag]
            scan.natures.remove(vocab.single[tag].value)


def claim_type() -> pa.StructType:
    """The Arrow type of ``parse_release_array`` rows."""
    return pa.struct(
        [
            ("platform", pa.string()),
            ("category", pa.string()),
            ("tags", pa.list_(pa.string())),
            ("video_about_game", pa.bool_()),
            ("nature", pa.string()),
        ]
    )


def parse_release_array(names: StringLike, tokens: pa.ListArray | None = None) -> pa.StructArray:
    """``parse_release`` over an array: each distinct name is parsed once.

    ``tokens``, when the caller has them, are the names' normalised tokens
    (``tokens_array(normalize_array(names))``, row for row): the column-wise
    normalisation already folded every name to ASCII, so it is not done again per
    name in Python (the larger part of the cost when names are distinct and not
    ASCII, as in a real crawl).

    Fields: ``platform``, ``category``, ``tags`` (list), ``video_about_game``,
    ``nature``. A null name gives a null row.
    """
    encoded = pc.dictionary_encode(as_string_array(names))
    distinct_names = encoded.dictionary.to_pylist()
    if tokens is None:
        claims = [parse_release(n) for n in distinct_names]
    else:
        first = first_rows(encoded.indices)
        words = pc.take(tokens, first).to_pylist()
        pairs = zip(words, distinct_names, strict=True)
        claims = [parse_release_words(w or [], n) for w, n in pairs]
    distinct = pa.StructArray.from_arrays(
        [
            pa.array([c.platform for c in claims], pa.string()),
            pa.array([c.category for c in claims], pa.string()),
            pa.array([list(c.tags) for c in claims], pa.list_(pa.string())),
            pa.array([c.video_about_game for c in claims], pa.bool_()),
            pa.array([c.nature for c in claims], pa.string()),
        ],
        fields=list(claim_type()),
    )
    return pc.take(distinct, encoded.indices)


CLAIM_ORIGINS = ("name", "content")
_TV = pa.scalar("tv", pa.string())
_FILM = pa.scalar("film", pa.string())
_NAME = pa.scalar("name", pa.string())
_CONTENT = pa.scalar("content", pa.string())
_NO_ORIGIN = pa.scalar(None, pa.string())
_FALSE = pa.scalar(False, pa.bool_())


def content_claims(
    category: pa.Array,
    share_video: pa.Array,
    count_video: pa.Array,
    largest_file: pa.Array,
    total_size: pa.Array,
) -> tuple[pa.Array, pa.Array]:
    """The claimed category with the claims from content filled in, and each claim's
    origin (``name``, ``content``, NULL without a claim), column-wise.

    A name that claims no category and whose bytes are at least
    ``from_content.video_share_at_least`` video claims tv when it has
    ``tv_videos_at_least`` videos and no file holds ``film_largest_share_at_least``
    of the bytes (episodes share them), else film (a feature holds most)."""
    rule = vocabulary().from_content
    at_least = pa.scalar(float(rule.video_share_at_least), pa.float64())
    video = pc.fill_null(pc.greater_equal(share_video, at_least), _FALSE)
    unclaimed = pc.and_(pc.is_null(category), video)
    largest_share = pc.divide(
        pc.cast(largest_file, pa.float64()), pc.cast(total_size, pa.float64())
    )
    videos = pa.scalar(int(rule.tv_videos_at_least), pa.int32())
    several = pc.fill_null(pc.greater_equal(pc.cast(count_video, pa.int32()), videos), _FALSE)
    film_share = pa.scalar(float(rule.film_largest_share_at_least), pa.float64())
    shared = pc.fill_null(pc.less(largest_share, film_share), _FALSE)
    guessed = pc.if_else(pc.and_(several, shared), _TV, _FILM)
    claimed = pc.if_else(unclaimed, guessed, category)
    origin = pc.if_else(unclaimed, _CONTENT, pc.if_else(pc.is_valid(category), _NAME, _NO_ORIGIN))
    return claimed, origin
