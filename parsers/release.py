"""What a release name claims to be: platform, category, tags.

A hotline looks for releases whose bytes do not match their name, so the claim has
to be read the way people write names: ``Kart.Racer.PS2.PAL-GRP`` claims a PS2
game, ``Show.S01E02.720p.HDTV.x264`` a TV episode. The vocabulary is data
(``parsers/data/release_tags.yaml``), compiled once into dictionaries keyed by
normalised words; parsing a name is ``normalize_text``, a split, and one dictionary
lookup per word (plus one regex on the words that hold a digit). Matching whole words
is what keeps ``Apps2Go`` from being a PS2 game and ``Xboxing`` from being an Xbox.

Precedence, when the words point several ways:

1. Words that say the release is media about a game (trailer, gameplay, OST, …) set
   ``video_about_game``; the category is then the media category the name names
   (``PDF`` → ebook), else the word's own (gameplay → film, OST → music).
2. A console platform keeps its id. The category is ``game_console`` unless the
   name also names a media category (``PS2 1080p x264`` is a film about a game).
3. Without a platform, the first category of ``categories.precedence`` that the
   name has words for wins (tv before film before ebook …).
4. Weak aliases (``Switch``, ``GC``, ``Vita``, ``PC``) need support, see the YAML.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from parsers.normalize import (
    StringLike,
    as_string_array,
    first_rows,
    normalize_text,
    normalized_tokens,
)
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
)
CLAIM_FIELDS = ("platform", "category", "tags", "video_about_game")


@dataclass(frozen=True, slots=True)
class ReleaseClaim:
    """The claim read from one name. ``platform`` is a canonical id (``ps2``,
    ``nsw``, ``pc``…), ``category`` one of ``CATEGORIES``; both may be None."""

    platform: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    video_about_game: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """What a word (or a run of words) means: ``kind`` is platform, cue, context,
    about or neutral; ``value`` the platform id or category; ``tag`` what to report."""

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
    rank: dict[str, int] = field(default_factory=dict)
    simple: dict[str, Hit] = field(default_factory=dict)
    complex_first: frozenset[str] = frozenset()
    digit_cache: dict[str, tuple[Hit | None, str | None]] = field(default_factory=dict)
    claims: dict[tuple, ReleaseClaim] = field(default_factory=dict)


class _Scan:
    """What the words of one name said, in order (a plain class: built per name)."""

    __slots__ = ("about", "categories", "context", "platforms", "tags")

    def __init__(self) -> None:
        self.platforms: list[tuple[int, str, bool]] = []
        self.categories: set[str] = set()
        self.about: list[str] = []
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

    def pattern(self, path: KeyPath, spec: object, hit: Hit, text: bool = False) -> None:
        """Register one ``{match, tag}`` pattern after checking it compiles and formats."""
        spec = self.mapping(path, spec, ("match", "tag"))
        source, template = str(spec.get("match", "")), str(spec.get("tag", ""))
        try:
            regex = re.compile(source)
            template.format(*[1] * regex.groups)
        except (re.error, IndexError, KeyError, ValueError) as exc:
            self.problem(path, f"bad pattern or tag: {exc}")
            return
        words = source.count(" ") + 1
        made = Pattern(regex, words, Hit(hit.kind, hit.value, None, hit.weak), template)
        if text:
            self.text.append(made)
        elif words == 1:
            self.digit.append(made)
        elif re.fullmatch(r"[a-z]+ .*", source):
            self.phrase.setdefault(source.split(" ", 1)[0], []).append(made)
        else:
            self.problem(path, "a pattern spanning words must start with a literal word")

    def tags(self, path: KeyPath, value: object, kind: str, category: str) -> None:
        """A ``{tag: [aliases]}`` mapping."""
        for tag, aliases in self.mapping(path, value).items():
            self.aliases((*path, tag), aliases, Hit(kind, category, str(tag)))


def compile_vocabulary(doc: DataFile) -> Vocabulary:
    """Check and compile a release-tag data file; every problem is reported at once."""
    b = _Builder(doc)
    top = b.mapping(
        (),
        doc.data,
        ("version", "categories", "platforms", "cues", "game_context", "about_game", "neutral"),
    )
    precedence, media = _categories(b, top.get("categories"))
    platform_category = _platforms(b, top.get("platforms"))
    _cues(b, top.get("cues"), precedence)
    context = b.mapping(("game_context",), top.get("game_context"), ("tags", "patterns"))
    b.tags(("game_context", "tags"), context.get("tags"), "context", "")
    for i, spec in enumerate(b.listing(("game_context", "patterns"), context.get("patterns"))):
        b.pattern(("game_context", "patterns", i), spec, Hit("context", "", None))
    _about(b, top.get("about_game"))
    neutral = b.mapping(("neutral",), top.get("neutral"), ("tags",))
    b.tags(("neutral", "tags"), neutral.get("tags"), "neutral", "")
    raise_if_errors(doc.name, b.errors)
    return _vocabulary(b, precedence, media, platform_category)


def _vocabulary(
    b: _Builder, precedence: tuple[str, ...], media: frozenset[str], platforms: dict[str, str]
) -> Vocabulary:
    combined = "|".join(f"(?P<p{i}>{p.regex.pattern})" for i, p in enumerate(b.digit))
    longest_first = {
        first: tuple(sorted(options, key=lambda o: -len(o[0])))
        for first, options in b.multi.items()
    }
    complex_first = frozenset(longest_first) | frozenset(b.phrase)
    return Vocabulary(
        simple={w: h for w, h in b.single.items() if w not in complex_first},
        complex_first=complex_first,
        single=b.single,
        multi=longest_first,
        digit_regex=re.compile(combined) if combined else None,
        digit_patterns=tuple(b.digit),
        phrase_patterns={k: tuple(v) for k, v in b.phrase.items()},
        text_patterns=tuple(b.text),
        precedence=precedence,
        rank={category: i for i, category in enumerate(precedence)},
        media=media,
        platform_category=platforms,
    )


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
        spec = b.mapping(path, spec, ("tags", "patterns", "text_patterns"))
        b.tags((*path, "tags"), spec.get("tags"), "cue", category)
        hit = Hit("cue", category, None)
        for key, text in (("patterns", False), ("text_patterns", True)):
            for i, pattern in enumerate(b.listing((*path, key), spec.get(key))):
                b.pattern((*path, key, i), pattern, hit, text=text)


def _about(b: _Builder, value: object) -> None:
    for category, aliases in b.mapping(("about_game",), value).items():
        path = ("about_game", category)
        if category not in CATEGORIES:
            b.problem(path, f"unknown category {category!r}")
            continue
        for i, text in enumerate(b.listing(path, aliases)):
            b.alias((*path, i), text, Hit("about", str(category), normalize_text(str(text))))


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
            if hit is not None:
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


def _record(scan: _Scan, hit: Hit, at: int, tag: str | None) -> None:
    kind = hit.kind
    if kind == "platform":
        scan.platforms.append((at, hit.value, hit.weak))
        return
    if tag is not None:
        scan.tags[tag] = None
    if kind == "cue":
        scan.categories.add(hit.value)
    elif kind == "context":
        scan.context = True
    elif kind == "about":
        scan.about.append(hit.value)


def _platform(scan: _Scan, word_count: int) -> str | None:
    """The first strong platform, else the first weak one that has support."""
    for _, platform, weak in scan.platforms:
        if not weak:
            return platform
    for at, platform, _ in scan.platforms:
        if scan.context or scan.about or (not scan.categories and at >= word_count - 2):
            return platform
    return None


def _decide(scan: _Scan, word_count: int, vocab: Vocabulary) -> ReleaseClaim:
    platform = _platform(scan, word_count) if scan.platforms else None
    found = scan.categories
    ranked = sorted(found, key=vocab.rank.__getitem__) if len(found) > 1 else list(found)
    media = [c for c in ranked if c in vocab.media]
    if scan.about:
        category = media[0] if media else scan.about[0]
    elif platform is not None:
        category = media[0] if media else vocab.platform_category.get(platform, "game_console")
    else:
        category = ranked[0] if ranked else None
    if platform is None and category == "game_pc":
        platform = "pc"
    return _claim(vocab, platform, category, tuple(scan.tags), bool(scan.about))


_CLAIM_CACHE_SIZE = 1 << 16


def _claim(
    vocab: Vocabulary, platform: str | None, category: str | None, tags: tuple, about: bool
) -> ReleaseClaim:
    """Claims repeat a lot and are immutable, so equal ones are shared."""
    key = (platform, category, tags, about)
    claim = vocab.claims.get(key)
    if claim is None:
        if len(vocab.claims) >= _CLAIM_CACHE_SIZE:
            vocab.claims.clear()
        claim = vocab.claims[key] = ReleaseClaim(platform, category, tags, about)
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
    return parse_release_words(normalized_tokens(name))


def parse_release_words(words: list[str]) -> ReleaseClaim:
    """``parse_release`` of a name already normalised and split (its ``name_tokens``)."""
    vocab = vocabulary()
    scan = _scan(words, vocab)
    norm = " ".join(words) if vocab.text_patterns else ""
    for pattern in vocab.text_patterns:
        match = _search_words(pattern.regex, norm)
        if match is not None:
            _record(scan, pattern.hit, len(words), _format(pattern.template, match))
    return _decide(scan, len(words), vocab)


def claim_type() -> pa.StructType:
    """The Arrow type of ``parse_release_array`` rows."""
    return pa.struct(
        [
            ("platform", pa.string()),
            ("category", pa.string()),
            ("tags", pa.list_(pa.string())),
            ("video_about_game", pa.bool_()),
        ]
    )


def parse_release_array(names: StringLike, tokens: pa.ListArray | None = None) -> pa.StructArray:
    """``parse_release`` over an array: each distinct name is parsed once.

    ``tokens``, when the caller has them, are the names' normalised tokens
    (``tokens_array(normalize_array(names))``, row for row): the column-wise
    normalisation already folded every name to ASCII, so it is not done again per
    name in Python (the larger part of the cost when names are distinct and not
    ASCII, as in a real crawl).

    Fields: ``platform``, ``category``, ``tags`` (list), ``video_about_game``.
    A null name gives a null row.
    """
    encoded = pc.dictionary_encode(as_string_array(names))
    if tokens is None:
        claims = [parse_release(n) for n in encoded.dictionary.to_pylist()]
    else:
        first = first_rows(encoded.indices)
        words = pc.take(tokens, first).to_pylist()
        claims = [parse_release_words(w or []) for w in words]
    distinct = pa.StructArray.from_arrays(
        [
            pa.array([c.platform for c in claims], pa.string()),
            pa.array([c.category for c in claims], pa.string()),
            pa.array([list(c.tags) for c in claims], pa.list_(pa.string())),
            pa.array([c.video_about_game for c in claims], pa.bool_()),
        ],
        fields=list(claim_type()),
    )
    return pc.take(distinct, encoded.indices)
