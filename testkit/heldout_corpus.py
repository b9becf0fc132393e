"""A held-out labeled corpus: benign synthetic torrents named and packed the way real
releases are, written blind to the rule packs (issue 14).

The generator was written from public knowledge of release naming and packing (scene and
P2P film/series names, fansub names, music rips, ebook and comic packs, photo sets,
software installers, PC repacks and scene ISOs, console disc images, ROM sets, texture
packs and the rest) and of the disguises the project targets, without reading the rules,
the release-tag data or the rule-quality corpus. Its score therefore says how the rules do
on data they were not written against.

Every item is a :class:`HeldoutItem`: a name, a file listing, the label (``disguised``:
should be flagged at level medium or above), a class id (``klass``), and what the name
claims and what the bytes overwhelmingly are. Titles, groups and sites are invented; no
file ever existed; nothing names or hints at abusive material (a hard line of the
project). Known-hash-list disguises are left out: a blind generator cannot know the lists.

``corpus(HELDOUT_SEED)`` is the frozen measuring set; tune on ``corpus(DEVELOPMENT_SEED)``
and measure on the held-out seed only. A change of what any seed generates must bump
``GENERATOR_VERSION``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from torrentwatch.synth import SynthTorrent, encode

GENERATOR_VERSION = "1"
# The frozen measuring set, and a different seed to tune against.
HELDOUT_SEED = 1_400_014
DEVELOPMENT_SEED = 2_024_777

KB = 1024
MB = 1024 * KB
GB = 1024 * MB

CLAIMS = (
    "film",
    "series",
    "music",
    "ebook",
    "photos",
    "software",
    "game_pc",
    "game_console",
    "other",
)
CONTENTS = (
    "video",
    "audio",
    "ebook",
    "image",
    "software",
    "disc_image",
    "game_package",
    "archive",
    "executable",
    "data",
)


@dataclass(frozen=True, slots=True)
class HeldoutItem:
    """One labeled torrent: ``disguised`` means it should be flagged at medium or above."""

    name: str
    files: tuple[tuple[str, int], ...]
    disguised: bool
    klass: str
    claim: str
    content: str
    multi_file: bool = True


def to_synth(item: HeldoutItem) -> SynthTorrent:
    """The torrent to encode for ``item`` (single-file when it has one file at the root)."""
    return SynthTorrent(name=item.name, files=item.files, multi_file=item.multi_file)


def encode_item(item: HeldoutItem) -> bytes:
    """``item`` as .torrent bytes that libtorrent reads back.

    ``torrentwatch.synth.encode`` keeps to 256 pieces, so above 32 GiB its piece length
    passes 128 MiB, which libtorrent refuses ("invalid or missing 'piece length'"); real
    makers stop doubling at 16 MiB and let the piece count grow, and so does this.
    """
    total = sum(size for _, size in item.files)
    piece = 256 * KB
    while -(-total // piece) > 256 and piece < 16 * MB:
        piece *= 2
    return encode(to_synth(item), piece_length=piece)


# --------------------------------------------------------------------------- vocabulary

_EN = (
    "Silver",
    "River",
    "Harbor",
    "Lantern",
    "Quiet",
    "Northern",
    "Garden",
    "Comet",
    "Paper",
    "Orchard",
    "Velvet",
    "Copper",
    "Winter",
    "Summer",
    "Island",
    "Mirror",
    "Falcon",
    "Meadow",
    "Thunder",
    "Little",
    "Hidden",
    "Last",
    "First",
    "Golden",
    "Crimson",
    "Glass",
    "Stone",
    "Cloud",
    "Signal",
    "Station",
    "Voyage",
    "Tide",
    "Ember",
    "Maple",
    "Harvest",
    "Kingdom",
    "Frontier",
    "Canyon",
    "Lighthouse",
    "Orbit",
    "Pilot",
    "Circus",
    "Atlas",
    "Engine",
    "Library",
    "Museum",
    "Parade",
    "Season",
    "Horizon",
    "Valley",
    "Forest",
    "Bridge",
    "Tower",
    "Desert",
    "Arcade",
    "Rocket",
    "Puzzle",
    "Kitchen",
    "Postcard",
    "Balloon",
    "Compass",
    "Marble",
    "Sparrow",
    "Willow",
    "Breeze",
    "Voltage",
    "Nomad",
    "Saga",
    "Legend",
    "Chronicle",
    "Tales",
    "Secrets",
    "Journey",
    "Return",
    "Rise",
    "Dawn",
    "Kart",
    "Racer",
    "Galaxy",
    "Quest",
    "Pixel",
    "Dungeon",
    "Ocean",
    "Robot",
    "Castle",
    "Echo",
    "Farm",
    "Miner",
    "Star",
    "Knight",
    "Clockwork",
    "Tangerine",
    "Blue",
    "Wild",
    "Brave",
    "Lost",
    "Distant",
    "Iron",
)
_SYL = (
    "ka",
    "lo",
    "mer",
    "vin",
    "dra",
    "zu",
    "tel",
    "ori",
    "sa",
    "phen",
    "quo",
    "bri",
    "nal",
    "dor",
    "vex",
    "ilo",
    "mar",
    "tis",
    "gan",
    "ru",
    "shi",
    "elo",
    "yan",
    "ko",
    "thar",
    "ben",
    "uli",
    "fro",
    "spe",
    "wen",
    "ax",
    "pol",
    "nim",
    "cor",
    "esh",
    "tav",
    "lum",
    "rik",
    "ost",
)
_SCRIPT_WORDS = {
    "ja": (
        "夏",
        "山",
        "川",
        "庭",
        "旅",
        "港",
        "冬",
        "灯籠",
        "草原",
        "島",
        "ひかり",
        "そら",
        "かぜ",
        "ゆき",
        "ホシノ",
        "ミライ",
        "キセキ",
        "ソラ",
        "の",
        "物語",
        "日記",
        "町",
    ),
    "zh": (
        "山",
        "川",
        "风",
        "海",
        "月",
        "星",
        "花",
        "光",
        "夏",
        "冬",
        "城",
        "梦",
        "路",
        "雨",
        "雪",
        "故事",
        "旅行",
        "之",
        "少年",
        "天空",
    ),
    "ko": (
        "하늘",
        "바다",
        "별",
        "노래",
        "여름",
        "바람",
        "길",
        "정원",
        "겨울",
        "이야기",
        "빛",
        "섬",
    ),
    "ru": (
        "Река",
        "Лето",
        "Звезда",
        "Город",
        "Зима",
        "Сад",
        "Ветер",
        "Остров",
        "Маяк",
        "Дорога",
        "Гавань",
        "Луг",
        "Фонарь",
        "Путешествие",
    ),
    "ar": ("نهر", "صيف", "نجمة", "حديقة", "بحر", "قمر", "مدينة", "شتاء", "طريق", "جزيرة", "منارة"),
    "he": ("נהר", "קיץ", "כוכב", "גן", "ים", "ירח", "עיר", "חורף", "דרך", "אי", "מגדלור"),
    "el": (
        "Ποτάμι",
        "Καλοκαίρι",
        "Αστέρι",
        "Κήπος",
        "Θάλασσα",
        "Φεγγάρι",
        "Νησί",
        "Λιμάνι",
        "Χειμώνας",
        "Ταξίδι",
    ),
    "th": ("แม่น้ำ", "ทะเล", "ดาว", "สวน", "ฤดูร้อน", "เมือง"),
    "hi": ("नदी", "सागर", "तारा", "बगीचा", "गर्मी", "शहर"),
}
_NOSPACE = {"ja", "zh", "th"}
_RTL = ("ar", "he")


def _s(rng: random.Random, lo: float, hi: float) -> int:
    """A size between ``lo`` and ``hi`` bytes, log-uniform."""
    lo_, hi_ = max(1.0, float(lo)), max(1.0, float(hi))
    return max(1, int(lo_ * (hi_ / lo_) ** rng.random()))


def _inv(rng: random.Random) -> str:
    return "".join(rng.choice(_SYL) for _ in range(rng.randint(2, 3))).capitalize()


def _words(rng: random.Random, lo: int = 1, hi: int = 4) -> list[str]:
    n = rng.randint(lo, hi)
    out = [_inv(rng) if rng.random() < 0.35 else rng.choice(_EN) for _ in range(n)]
    if n >= 3 and rng.random() < 0.25:
        out.insert(rng.randint(1, n - 1), rng.choice(("of", "and", "the", "in")))
    if rng.random() < 0.08:
        out.append(rng.choice(("II", "2", "3", "Returns", "Origins", "Reborn")))
    # a word-level dedup keeps titles readable ("River River")
    seen: list[str] = []
    for w in out:
        if not seen or seen[-1] != w:
            seen.append(w)
    return seen


def _script_title(rng: random.Random, script: str) -> str:
    words = _SCRIPT_WORDS[script]
    parts = [rng.choice(words) for _ in range(rng.randint(1, 3))]
    return ("" if script in _NOSPACE else " ").join(parts)


def _any_title(rng: random.Random, non_latin: float = 0.3) -> tuple[str, bool]:
    """A title in a random script: (title, latin)."""
    if rng.random() < non_latin:
        return _script_title(rng, rng.choice(tuple(_SCRIPT_WORDS))), False
    return " ".join(_words(rng)), True


def _group(rng: random.Random) -> str:
    style = rng.random()
    core = "".join(rng.choice(_SYL) for _ in range(rng.randint(1, 3)))
    if style < 0.55:
        return core.upper()
    if style < 0.75:
        return core.capitalize()
    if style < 0.85:
        return "".join(c.upper() if i % 2 else c for i, c in enumerate(core))
    if style < 0.93:
        return core.upper() + str(rng.randint(2, 99))
    return core.lower()


def _volumes(total: int, vol: int, most: int) -> list[int]:
    """Sizes of the volumes of a split archive: at least two, at most ``most``, the
    last one holding the rest."""
    vol = max(vol, -(-total // most))
    vol = min(vol, -(-total // 2))
    n = -(-total // vol)
    return [vol] * (n - 1) + [total - vol * (n - 1)]


def _crc(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08X}"


def _dots(words: list[str] | str) -> str:
    text = " ".join(words) if isinstance(words, list) else words
    for ch in ":,'!?&()[]":
        text = text.replace(ch, "")
    return ".".join(p for p in text.split() if p)


def _maybe_case(rng: random.Random, name: str, p: float = 0.12) -> str:
    r = rng.random()
    if r < p * 0.7:
        return name.lower()
    if r < p:
        return name.upper()
    return name


def _year(rng: random.Random, lo: int = 1950, hi: int = 2025) -> int:
    return rng.randint(lo, hi)


def _domain(rng: random.Random) -> str:
    return f"{_inv(rng).lower()}{rng.choice(('', '-hd', 'torrents', 'zone', 'hub'))}.example"


# file-name pieces
_TRIPS = (
    "Holiday",
    "Vacation",
    "Family Trip",
    "Weekend",
    "Road Trip",
    "Graduation",
    "Garden Party",
)
_APP_SUFFIX = (
    "Studio",
    "Office",
    "Draw",
    "Sync",
    "Edit",
    "Player",
    "Commander",
    "Suite",
    "Backup",
    "Notes",
    "CAD",
    "Audio",
    "PDF",
    "Zip",
    "Manager",
    "Tools",
)
_FONT_WEIGHTS = ("Regular", "Bold", "Italic", "Light", "Black", "Medium", "Thin", "SemiBold")
_GAME_DATA_EXTS = ("pak", "dat", "bin", "pck", "arc", "dll", "ogg", "bik", "assets")
_DLC_KINDS = ("Update", "DLC", "Costume Pack", "Map Pack", "Episode", "Patch")
_TRAILER_KINDS = ("Announce", "Launch", "Gameplay", "Story", "Accolades", "Reveal", "Teaser")
_ART_DIRS = ("Characters/", "Environments/", "Concept/", "")
_EMU_DIRS = ("", "plugins/", "shaders/", "cores/", "translations/")
_EMU_EXTS = ("dll", "ini", "glsl", "slangp", "qm", "cfg", "dll")


# --------------------------------------------------------------------------- video tags

_SOURCES = (
    ("BluRay", 5),
    ("WEB-DL", 5),
    ("WEBRip", 4),
    ("HDTV", 2),
    ("DVDRip", 2),
    ("BDRip", 2),
    ("REMUX", 1),
    ("WEB", 3),
    ("HDRip", 1),
    ("AMZN.WEB-DL", 1),
    ("NF.WEBRip", 1),
    ("BRRip", 1),
)
_AUDIO = (
    "DTS",
    "DTS-HD.MA.5.1",
    "AAC2.0",
    "DDP5.1",
    "AC3",
    "TrueHD.7.1.Atmos",
    "FLAC",
    "Opus",
    "AAC5.1",
    "DD5.1",
    "EAC3",
    "LPCM",
)
_LANGS = (
    "MULTi",
    "FRENCH",
    "GERMAN",
    "iTALiAN",
    "SPANiSH",
    "DUAL",
    "NORDiC",
    "RUSSiAN",
    "KOREAN",
    "JAPANESE",
    "HiNDi",
    "POLiSH",
    "DUTCH",
    "TRUEFRENCH",
)
_EXTRA = (
    "PROPER",
    "REPACK",
    "EXTENDED",
    "UNRATED",
    "DIRECTORS.CUT",
    "REMASTERED",
    "LIMITED",
    "INTERNAL",
    "THEATRICAL",
    "iNTERNAL",
    "RERiP",
    "CRiTERiON",
)


def _wchoice(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


@dataclass
class _VTags:
    res: str
    source: str
    codec: str
    audio: str | None
    lang: str | None
    extra: str | None
    hdr: str | None
    ext: str
    tags: list[str] = field(default_factory=list)


def _vtags(rng: random.Random, tv: bool = False) -> _VTags:
    source = _wchoice(rng, _SOURCES)
    if tv and rng.random() < 0.3:
        source = "HDTV"
    hdr = None
    if source in ("DVDRip",):
        res = rng.choice(("", "", "480p", "576p"))
        codec = rng.choice(("XviD", "x264", "DivX", "x264"))
    elif source == "HDTV":
        res = rng.choice(("720p", "1080p", "", "720p"))
        codec = rng.choice(("x264", "x265", "H.264", "XviD"))
    elif source == "REMUX":
        res = rng.choice(("1080p", "2160p"))
        codec = "HEVC" if res == "2160p" else "AVC"
    else:
        res = _wchoice(rng, (("720p", 3), ("1080p", 6), ("2160p", 2), ("480p", 1)))
        codec = rng.choice(("x264", "x265", "H.264", "H.265", "HEVC", "AV1", "x264", "H264"))
    if res == "2160p" and rng.random() < 0.6:
        hdr = rng.choice(("HDR", "HDR10", "DV", "HDR10Plus", "DV.HDR"))
    audio = rng.choice(_AUDIO) if rng.random() < 0.55 else None
    lang = rng.choice(_LANGS) if rng.random() < 0.2 else None
    extra = rng.choice(_EXTRA) if rng.random() < 0.15 else None
    ext = "avi" if codec in ("XviD", "DivX") else rng.choice(("mkv", "mkv", "mkv", "mp4"))
    if source == "REMUX":
        source = rng.choice(
            ("BluRay.REMUX", "REMUX", "UHD.BluRay.REMUX" if res == "2160p" else "BluRay.REMUX")
        )
    tags = [t for t in (extra, lang, res, source, hdr) if t]
    if audio and rng.random() < 0.5:
        tags += [audio, codec]
    else:
        tags += [codec] + ([audio] if audio else [])
    return _VTags(res, source, codec, audio, lang, extra, hdr, ext, tags)


def _film_size(rng: random.Random, t: _VTags) -> int:
    if "REMUX" in t.source:
        return _s(rng, 18 * GB, 45 * GB) if t.res == "1080p" else _s(rng, 40 * GB, 90 * GB)
    return {
        "": _s(rng, 550 * MB, 1.5 * GB),
        "480p": _s(rng, 400 * MB, 1.6 * GB),
        "576p": _s(rng, 700 * MB, 2.2 * GB),
        "720p": _s(rng, 0.8 * GB, 5 * GB),
        "1080p": _s(rng, 1.5 * GB, 16 * GB),
        "2160p": _s(rng, 6 * GB, 70 * GB),
    }[t.res]


def _ep_size(rng: random.Random, t: _VTags) -> int:
    if "REMUX" in t.source:
        return _s(rng, 4 * GB, 12 * GB)
    return {
        "": _s(rng, 150 * MB, 450 * MB),
        "480p": _s(rng, 120 * MB, 450 * MB),
        "576p": _s(rng, 200 * MB, 700 * MB),
        "720p": _s(rng, 250 * MB, 1.6 * GB),
        "1080p": _s(rng, 500 * MB, 5 * GB),
        "2160p": _s(rng, 2 * GB, 15 * GB),
    }[t.res]


def _scene_film_name(rng: random.Random) -> tuple[str, _VTags, list[str], int]:
    words = _words(rng)
    year = _year(rng)
    t = _vtags(rng)
    name = ".".join([_dots(words), str(year), *t.tags]) + "-" + _group(rng)
    return _maybe_case(rng, name, 0.06), t, words, year


def _p2p_film_name(rng: random.Random, title: str, year: int, t: _VTags) -> str:
    grp = _group(rng)
    style = rng.randrange(6)
    if style == 0:
        return f"{title} ({year}) [{t.res or 'SD'}] [{t.source}] [{t.audio or 'AAC'}] [{grp}]"
    if style == 1:
        return f"{title} {year} {t.res} {t.source} {t.codec} {t.audio or ''}-{grp}".replace(
            "  ", " "
        )
    if style == 2:
        return f"{title} ({year}) {t.res} {t.source} {t.codec} [{t.lang or 'English'}]"
    if style == 3:
        return f"{title} [{year}] {t.res} {t.source} {t.codec} - {grp}"
    if style == 4:
        return f"{title} ({year}) ({t.res} {t.source} {t.codec} {t.audio or 'AAC 2.0'})"
    return f"{title} ({year})"


def _subs(rng: random.Random, base: str, folder: str = "Subs/") -> list[tuple[str, int]]:
    langs = rng.sample(
        (
            "English",
            "French",
            "German",
            "Spanish",
            "Italian",
            "Portuguese",
            "Dutch",
            "Polish",
            "Russian",
            "Japanese",
            "Korean",
            "Chinese",
            "Arabic",
            "Hebrew",
            "Greek",
            "Turkish",
            "Swedish",
            "Czech",
        ),
        rng.randint(1, 8),
    )
    ext = rng.choice(("srt", "srt", "srt", "ass", "sup", "idx"))
    out = []
    for i, lang in enumerate(langs):
        if ext == "sup":
            out.append((f"{folder}{i + 2}_{lang}.sup", _s(rng, 8 * MB, 60 * MB)))
        elif ext == "idx":
            out.append((f"{folder}{base}.{lang.lower()[:3]}.idx", _s(rng, 40 * KB, 200 * KB)))
            out.append((f"{folder}{base}.{lang.lower()[:3]}.sub", _s(rng, 2 * MB, 30 * MB)))
        else:
            stem = rng.choice((f"{i + 2}_{lang}", f"{base}.{lang}", f"{lang}"))
            out.append((f"{folder}{stem}.{ext}", _s(rng, 30 * KB, 260 * KB)))
    return out


# --------------------------------------------------------------------------- the registry


@dataclass
class _Made:
    name: str
    files: list[tuple[str, int]]
    claim: str | None = None
    content: str | None = None
    single: bool = False


def _single(name: str, size: int, **over: str) -> _Made:
    return _Made(name, [(name, size)], single=True, **over)


@dataclass(frozen=True)
class _Spec:
    klass: str
    claim: str
    content: str
    disguised: bool
    make: Callable[[random.Random], _Made]


_CLASSES: dict[str, _Spec] = {}


def _klass(klass: str, claim: str, content: str) -> Callable[..., Callable[..., _Made]]:
    def deco(fn: Callable[[random.Random], _Made]) -> Callable[[random.Random], _Made]:
        assert klass not in _CLASSES, klass
        assert claim in CLAIMS and content in CONTENTS, klass
        _CLASSES[klass] = _Spec(klass, claim, content, klass.startswith("disguise."), fn)
        return fn

    return deco


# =========================================================================== honest: film


@_klass("honest.film.scene", "film", "video")
def _film_scene(rng: random.Random) -> _Made:
    name, t, _, _ = _scene_film_name(rng)
    size = _film_size(rng, t)
    if rng.random() < 0.3:
        return _single(f"{name}.{t.ext}", size)
    grp = name.rsplit("-", 1)[1].lower()
    short = _dots(name.split(".")[0]).lower()
    stem = rng.choice((name, f"{grp}-{short}", name.lower()))
    files = [(f"{stem}.{t.ext}", size)]
    if rng.random() < 0.8:
        files.append((f"{stem}.nfo", _s(rng, 2 * KB, 18 * KB)))
    if rng.random() < 0.6:
        files.append((f"Sample/{stem}-sample.{t.ext}", _s(rng, 20 * MB, 150 * MB)))
    if rng.random() < 0.35:
        files += _subs(rng, stem)
    if rng.random() < 0.15:
        files.append((f"Proof/{stem}-proof.jpg", _s(rng, 200 * KB, 3 * MB)))
    return _Made(name, files)


@_klass("honest.film.scene_rar", "film", "archive")
def _film_scene_rar(rng: random.Random) -> _Made:
    name, t, _, _ = _scene_film_name(rng)
    size = _film_size(rng, t)
    parts = _volumes(size, rng.choice((15, 50, 100, 250, 500)) * MB, 140)
    n = len(parts)
    stem = f"{name.rsplit('-', 1)[1].lower()}-{_dots(name.split('.')[0]).lower()}"
    new_style = rng.random() < 0.4
    files = []
    for i in range(n):
        ext = (
            f"part{i + 1:0{len(str(n))}d}.rar"
            if new_style
            else ("rar" if i == 0 else f"r{i - 1:02d}")
        )
        files.append((f"{stem}.{ext}", parts[i]))
    files.append((f"{stem}.sfv", _s(rng, 300, 6 * KB)))
    files.append((f"{stem}.nfo", _s(rng, 2 * KB, 18 * KB)))
    if rng.random() < 0.7:
        files.append((f"Sample/{stem}-sample.{t.ext}", _s(rng, 20 * MB, 120 * MB)))
    if rng.random() < 0.3:
        files.append((f"Subs/{stem}-subs.rar", _s(rng, 500 * KB, 8 * MB)))
    return _Made(name, files)


@_klass("honest.film.p2p", "film", "video")
def _film_p2p(rng: random.Random) -> _Made:
    title, _ = _any_title(rng, 0.15)
    year = _year(rng)
    t = _vtags(rng)
    name = _p2p_film_name(rng, title, year, t)
    ext = "mp4" if rng.random() < 0.45 else t.ext
    size = _film_size(rng, t)
    if rng.random() < 0.25:
        return _single(f"{name}.{ext}", size)
    base = rng.choice((name, f"{title} ({year})", f"{title}.{year}.{t.res}"))
    files = [(f"{base}.{ext}", size)]
    if rng.random() < 0.6:
        files.append((f"{base}.srt", _s(rng, 40 * KB, 200 * KB)))
    if rng.random() < 0.4:
        files += _subs(rng, base, rng.choice(("Subs/", "Subtitles/", "subs/")))
    if rng.random() < 0.4:
        files.append(
            (
                rng.choice(("poster.jpg", "cover.jpg", "folder.jpg", "www.jpg")),
                _s(rng, 40 * KB, 2 * MB),
            )
        )
    if rng.random() < 0.3:
        files.append(
            (
                rng.choice(("Downloaded from.txt", "info.txt", "Read Me.txt", "movie.nfo")),
                _s(rng, 30, 4 * KB),
            )
        )
    return _Made(name, files)


@_klass("honest.film.remux_extras", "film", "video")
def _film_remux(rng: random.Random) -> _Made:
    words = _words(rng)
    year = _year(rng)
    title = " ".join(words)
    t = _vtags(rng)
    scene = rng.random() < 0.5
    name = (
        (".".join([_dots(words), str(year), *t.tags]) + "-" + _group(rng))
        if scene
        else _p2p_film_name(rng, title, year, t)
    )
    main = f"{title} ({year}).{t.ext}" if not scene else f"{name}.{t.ext}"
    files = [(main, _film_size(rng, t))]
    extras_root = rng.choice(("Extras/", "Featurettes/", "Bonus/", "Special Features/", ""))
    kinds = [
        "Featurette",
        "Behind the Scenes",
        "Deleted Scenes",
        "Trailer",
        "Interview",
        "Making Of",
        "Gag Reel",
        "Teaser",
        "Storyboards",
        "Commentary Preview",
    ]
    for i in range(rng.randint(1, 12)):
        k = rng.choice(kinds)
        folder = extras_root or rng.choice(
            ("Featurettes/", "Trailers/", "Behind The Scenes/", "Deleted Scenes/")
        )
        files.append(
            (f"{folder}{k} {i + 1:02d} - {rng.choice(_EN)}.{t.ext}", _s(rng, 15 * MB, 1.5 * GB))
        )
    if rng.random() < 0.5:
        files += _subs(rng, title)
    if rng.random() < 0.4:
        for c in rng.sample(
            ("cover.jpg", "back.jpg", "disc.png", "fanart.jpg", "poster.jpg", "clearlogo.png"),
            rng.randint(1, 4),
        ):
            files.append(
                (f"{rng.choice(('', 'Covers/', 'Artwork/'))}{c}", _s(rng, 100 * KB, 9 * MB))
            )
    if rng.random() < 0.3:
        files.append((f"{title} ({year}).nfo", _s(rng, 1 * KB, 12 * KB)))
    return _Made(name, files)


@_klass("honest.film.disc_structure", "film", "video")
def _film_disc(rng: random.Random) -> _Made:
    words = _words(rng)
    year = _year(rng, 1960, 2024)
    if rng.random() < 0.5:  # DVD
        name = rng.choice(
            (
                f"{_dots(words)}.{year}.{rng.choice(('PAL', 'NTSC'))}"
                f".{rng.choice(('DVD9', 'DVD5', 'DVDR'))}-{_group(rng)}",
                f"{' '.join(words)} ({year}) [{rng.choice(('DVD9', 'DVD5'))}]"
                f" {rng.choice(('PAL', 'NTSC'))}",
            )
        )
        files = [
            ("VIDEO_TS/VIDEO_TS.IFO", _s(rng, 8 * KB, 30 * KB)),
            ("VIDEO_TS/VIDEO_TS.BUP", _s(rng, 8 * KB, 30 * KB)),
        ]
        files.append(("VIDEO_TS/VIDEO_TS.VOB", _s(rng, 100 * KB, 40 * MB)))
        for tset in range(1, rng.randint(2, 5)):
            files.append((f"VIDEO_TS/VTS_{tset:02d}_0.IFO", _s(rng, 20 * KB, 120 * KB)))
            files.append((f"VIDEO_TS/VTS_{tset:02d}_0.BUP", _s(rng, 20 * KB, 120 * KB)))
            nvob = rng.randint(1, 8) if tset == 1 else rng.randint(1, 2)
            for v in range(1, nvob + 1):
                full = 1_073_709_056
                files.append(
                    (
                        f"VIDEO_TS/VTS_{tset:02d}_{v}.VOB",
                        full if v < nvob else _s(rng, 50 * MB, full),
                    )
                )
        if rng.random() < 0.5:
            files.append(("AUDIO_TS/", 0))
            files.pop()
        return _Made(name, files)
    name = rng.choice(
        (
            f"{_dots(words)}.{year}.COMPLETE.{rng.choice(('BLURAY', 'UHD.BLURAY'))}-{_group(rng)}",
            f"{' '.join(words)} ({year}) [BD50] {rng.choice(('Untouched', 'Full Disc', 'ISO'))}",
        )
    )
    files = [
        ("BDMV/index.bdmv", _s(rng, 100, 300)),
        ("BDMV/MovieObject.bdmv", _s(rng, 2 * KB, 60 * KB)),
    ]
    streams = rng.randint(2, 30)
    for i in range(streams):
        size = _s(rng, 18 * GB, 42 * GB) if i == 0 else _s(rng, 1 * MB, 2 * GB)
        files.append((f"BDMV/STREAM/{i:05d}.m2ts", size))
        files.append((f"BDMV/CLIPINF/{i:05d}.clpi", _s(rng, 300, 60 * KB)))
    for i in range(rng.randint(1, 8)):
        files.append((f"BDMV/PLAYLIST/{i:05d}.mpls", _s(rng, 200, 30 * KB)))
    files.append(("CERTIFICATE/id.bdmv", 104))
    return _Made(name, files)


@_klass("honest.film.site_link", "film", "video")
def _film_site(rng: random.Random) -> _Made:
    name, t, _, _ = _scene_film_name(rng)
    site = _domain(rng)
    grp = name.rsplit("-", 1)[1]
    files = [(f"{name}.{t.ext}", _film_size(rng, t))]
    link = rng.choice(
        (
            f"{grp}.url",
            f"Visit {site}.url",
            f"www.{site}.url",
            f"{grp} - Official Site.url",
            f"Downloaded from {site}.txt",
            f"Torrent downloaded from {site}.txt",
            f"{site}.html",
            "More releases.url",
            f"Support {grp}.url",
        )
    )
    files.append((link, _s(rng, 50, 600)))
    if rng.random() < 0.5:
        files.append((f"{name}.nfo", _s(rng, 2 * KB, 15 * KB)))
    if rng.random() < 0.4:
        files += _subs(rng, name)
    if rng.random() < 0.3:
        files.append((f"{grp}.jpg", _s(rng, 20 * KB, 500 * KB)))
    return _Made(name, files)


@_klass("honest.film.nonlatin", "film", "video")
def _film_nonlatin(rng: random.Random) -> _Made:
    script = rng.choice(tuple(_SCRIPT_WORDS))
    title = _script_title(rng, script)
    year = _year(rng)
    t = _vtags(rng)
    style = rng.randrange(5)
    if style == 0:
        name = title  # no tags at all
    elif style == 1:
        name = f"{title} ({year})"
    elif style == 2:
        name = f"{title} {year} {t.res} {t.source}"
    elif style == 3:
        name = f"{title} / {' '.join(_words(rng, 1, 3))} ({year}) {t.source} {t.res}"
    else:
        name = f"[{_group(rng)}] {title} {t.res}"
    name = name.replace("/", "|") if style == 3 else name
    ext = rng.choice(("mkv", "mp4", "avi", "mp4", "ts", "rmvb"))
    size = _film_size(rng, t)
    if rng.random() < 0.35:
        return _single(f"{name}.{ext}", size)
    files = [(f"{title}.{ext}", size)]
    if rng.random() < 0.5:
        files.append((f"{title}.{rng.choice(('srt', 'ass', 'ssa'))}", _s(rng, 30 * KB, 300 * KB)))
    if rng.random() < 0.3:
        files.append(
            (
                rng.choice(("海报.jpg", "poster.jpg", "обложка.jpg", "표지.jpg", "cover.jpg")),
                _s(rng, 50 * KB, 3 * MB),
            )
        )
    return _Made(name, files)


@_klass("honest.film.rtl_title", "film", "video")
def _film_rtl(rng: random.Random) -> _Made:
    """Arabic/Hebrew titles: honest bidi text, no override or embedding controls."""
    script = rng.choice(_RTL)
    title = _script_title(rng, script)
    year = _year(rng)
    t = _vtags(rng)
    name = rng.choice(
        (
            title,
            f"{title} ({year})",
            f"{title} {year} {t.res} {t.source}",
            f"{title} - {' '.join(_words(rng, 1, 2))} ({year})",
        )
    )
    ext = rng.choice(("mp4", "mkv", "avi"))
    size = rng.choice((_film_size(rng, t), _ep_size(rng, t)))
    if rng.random() < 0.4:
        return _single(f"{name}.{ext}", size)
    files = [(f"{title}.{ext}", size)]
    if rng.random() < 0.5:
        episode_word = "الحلقة" if script == "ar" else "פרק"
        for e in range(2, rng.randint(3, 12)):
            files.append((f"{title} {episode_word} {e}.{ext}", _ep_size(rng, t)))
    if rng.random() < 0.5:
        files.append((f"{title}.srt", _s(rng, 30 * KB, 200 * KB)))
    return _Made(name, files)


@_klass("honest.film.title_ellipsis", "film", "video")
def _film_ellipsis(rng: random.Random) -> _Made:
    """Titles that end in "..." (a folder name, a file stem before its extension)."""
    words = _words(rng, 2, 5)
    title = " ".join(words) + "..."
    year = _year(rng)
    t = _vtags(rng)
    kind = rng.randrange(3)
    if kind == 0:
        name = title
        files = [(f"{title} ({year}).{t.ext}", _film_size(rng, t))]
        if rng.random() < 0.5:
            files.append((f"{title} ({year}).srt", _s(rng, 30 * KB, 150 * KB)))
        return _Made(name, files)
    if kind == 1:
        name = f"{title} ({year}) [{t.res or 'DVD'}]"
        files = [(f"{title}.{t.ext}", _film_size(rng, t))]
        for i in range(rng.randint(0, 4)):
            files.append(
                (
                    f"Extras/{rng.choice(_EN)} {rng.choice(_EN)}... {i + 1}.{t.ext}",
                    _s(rng, 10 * MB, 400 * MB),
                )
            )
        return _Made(name, files)
    name = f"{title} Season {rng.randint(1, 4)} ({year})"
    files = [
        (f"{title}/Episode {e:02d} - {rng.choice(_EN)}....{t.ext}", _ep_size(rng, t))
        for e in range(1, rng.randint(4, 13))
    ]
    return _Made(name, files, claim="series")


# =========================================================================== honest: series


def _show(rng: random.Random) -> list[str]:
    return _words(rng, 1, 3)


@_klass("honest.series.episode", "series", "video")
def _series_episode(rng: random.Random) -> _Made:
    show = _show(rng)
    t = _vtags(rng, tv=True)
    s, e = rng.randint(1, 14), rng.randint(1, 24)
    style = rng.randrange(4)
    if style == 0:
        name = ".".join([_dots(show), f"S{s:02d}E{e:02d}", *t.tags]) + "-" + _group(rng)
    elif style == 1:
        name = (
            f"{' '.join(show)} - S{s:02d}E{e:02d} - {' '.join(_words(rng, 1, 3))} "
            f"({t.res or '480p'} {t.source})"
        )
    elif style == 2:
        name = ".".join([_dots(show), f"{s}x{e:02d}", *t.tags[:2]]) + "-" + _group(rng)
    else:
        name = (
            f"{' '.join(show)} S{s:02d}E{e:02d}{f'E{e + 1:02d}' if rng.random() < 0.2 else ''}"
            f" {t.res} {t.source} {t.codec}-{_group(rng)}"
        )
    name = _maybe_case(rng, name, 0.08)
    size = _ep_size(rng, t)
    if rng.random() < 0.55:
        return _single(f"{name}.{t.ext}", size)
    files = [(f"{name}.{t.ext}", size)]
    if rng.random() < 0.6:
        files.append((f"{name}.nfo", _s(rng, 1 * KB, 10 * KB)))
    if rng.random() < 0.3:
        files.append((f"Sample/{name.lower()}-sample.{t.ext}", _s(rng, 10 * MB, 60 * MB)))
    if rng.random() < 0.3:
        files += _subs(rng, name)
    return _Made(name, files)


@_klass("honest.series.season", "series", "video")
def _series_season(rng: random.Random) -> _Made:
    show = _show(rng)
    t = _vtags(rng, tv=True)
    s = rng.randint(1, 12)
    grp = _group(rng)
    scene = rng.random() < 0.6
    name = (
        (".".join([_dots(show), f"S{s:02d}", *t.tags]) + f"-{grp}")
        if scene
        else (
            f"{' '.join(show)} - Season {s} ({_year(rng, 1990)}) [{t.res or '480p'} {t.source}"
            f" {t.codec}]"
        )
    )
    n = rng.choice((6, 8, 10, 12, 13, 22, 24, rng.randint(3, 26)))
    files = []
    for e in range(1, n + 1):
        stem = (
            (".".join([_dots(show), f"S{s:02d}E{e:02d}", *t.tags]) + f"-{grp}")
            if scene
            else f"{' '.join(show)} - S{s:02d}E{e:02d} - {' '.join(_words(rng, 1, 3))}"
        )
        folder = f"{stem}/" if scene and rng.random() < 0.15 else ""
        files.append((f"{folder}{stem}.{t.ext}", _ep_size(rng, t)))
        if rng.random() < 0.25:
            files.append(
                (
                    f"{folder}{stem}.{rng.choice(('srt', 'en.srt', 'nfo'))}",
                    _s(rng, 2 * KB, 120 * KB),
                )
            )
    if rng.random() < 0.25:
        files.append(
            (rng.choice(("poster.jpg", "season.jpg", "folder.jpg")), _s(rng, 50 * KB, 2 * MB))
        )
    return _Made(name, files)


@_klass("honest.series.complete", "series", "video")
def _series_complete(rng: random.Random) -> _Made:
    show = " ".join(_show(rng))
    t = _vtags(rng, tv=True)
    seasons = rng.randint(2, 9)
    if t.res == "2160p" or "REMUX" in t.source:  # keep a pack under a few hundred GB
        seasons = min(seasons, 2)
    y = _year(rng, 1970, 2018)
    name = rng.choice(
        (
            f"{show} ({y}-{y + seasons}) Complete Series S01-S{seasons:02d} {t.res} {t.source}",
            f"{show} - The Complete Series [{t.res or 'DVD'}]",
            f"{_dots(show)}.COMPLETE.S01-S{seasons:02d}.{t.res or 'DVDRip'}.{t.codec}"
            f"-{_group(rng)}",
            f"{show} Seasons 1-{seasons}",
        )
    )
    files = []
    for s in range(1, seasons + 1):
        sfolder = rng.choice((f"Season {s}/", f"S{s:02d}/", f"{show} - Season {s:02d}/"))
        for e in range(1, rng.randint(4, 14)):
            files.append(
                (
                    f"{sfolder}{show} - S{s:02d}E{e:02d}.{t.ext}",
                    _ep_size(rng, t) // rng.choice((1, 1, 2)),
                )
            )
        if rng.random() < 0.2:
            files.append(
                (
                    f"{sfolder}Extras/{rng.choice(('Bloopers', 'Featurette', 'Interview'))}"
                    f".{t.ext}",
                    _s(rng, 30 * MB, 600 * MB),
                )
            )
    if rng.random() < 0.3:
        files.append(("Specials/" + f"{show} - S00E01 - Special.{t.ext}", _ep_size(rng, t)))
    return _Made(name, files)


@_klass("honest.series.anime_fansub", "series", "video")
def _anime_fansub(rng: random.Random) -> _Made:
    grp = _group(rng)
    title, _ = _any_title(rng, 0.25)
    res = rng.choice(("1080p", "720p", "480p", "1080p"))
    crc = _crc(rng)
    ep = rng.randint(1, 26)
    ext = rng.choice(("mkv", "mkv", "mp4"))
    style = rng.randrange(4)
    if style == 0:
        name = f"[{grp}] {title} - {ep:02d} [{res}][{crc}].{ext}"
    elif style == 1:
        name = f"[{grp}] {title} - {ep:02d} ({res}) [{crc}].{ext}"
    elif style == 2:
        name = (
            f"[{grp}] {title} - {ep:02d}v2 [{rng.choice(('WEB', 'CR', 'AMZN'))} {res} AVC AAC]"
            f"[{crc}].{ext}"
        )
    else:
        name = f"[{grp}]_{title.replace(' ', '_')}_-_{ep:02d}_[{res}][{crc}].{ext}"
    size = {
        "1080p": _s(rng, 250 * MB, 1.6 * GB),
        "720p": _s(rng, 120 * MB, 700 * MB),
        "480p": _s(rng, 60 * MB, 300 * MB),
    }[res]
    return _single(name, size)


@_klass("honest.series.anime_batch", "series", "video")
def _anime_batch(rng: random.Random) -> _Made:
    grp = _group(rng)
    title, _ = _any_title(rng, 0.3)
    bd = rng.random() < 0.5
    n = rng.choice((12, 13, 24, 25, 26, 11, 6, rng.randint(2, 50)))
    res = rng.choice(("1080p", "720p", "1080p"))
    tag = f"[BD {res} HEVC 10bit FLAC]" if bd else f"({res}) [Batch]"
    name = rng.choice(
        (
            f"[{grp}] {title} (01-{n:02d}) {tag}",
            f"[{grp}] {title} {tag}",
            f"[{grp}] {title} S{rng.randint(1, 3)} - Batch [{res}]",
        )
    )
    files = []
    for e in range(1, n + 1):
        files.append(
            (
                f"[{grp}] {title} - {e:02d} [{res}][{_crc(rng)}].mkv",
                _s(rng, 200 * MB, 2.5 * GB) if bd else _s(rng, 150 * MB, 1.4 * GB),
            )
        )
    if bd or rng.random() < 0.3:
        for extra in rng.sample(
            ("NCOP1", "NCED1", "NCOP2", "NCED2", "Menu01", "Menu02", "PV1", "CM01", "Preview01"),
            rng.randint(1, 6),
        ):
            files.append(
                (
                    f"Extras/[{grp}] {title} - {extra} [{res}][{_crc(rng)}].mkv",
                    _s(rng, 20 * MB, 250 * MB),
                )
            )
    if rng.random() < 0.4:
        for i in range(rng.randint(1, 4)):
            files.append(
                (
                    f"OVA/[{grp}] {title} - OVA{i + 1} [{res}][{_crc(rng)}].mkv",
                    _s(rng, 200 * MB, 1.5 * GB),
                )
            )
    if rng.random() < 0.3:
        for _ in range(rng.randint(2, 12)):
            files.append(
                (
                    f"Fonts/{_inv(rng)}-{rng.choice(('Regular', 'Bold', 'Medium'))}"
                    f".{rng.choice(('ttf', 'otf', 'TTF'))}",
                    _s(rng, 30 * KB, 12 * MB),
                )
            )
    if bd and rng.random() < 0.4:
        for i in range(rng.randint(2, 10)):
            files.append(
                (f"Scans/{i + 1:02d}.{rng.choice(('jpg', 'png', 'webp'))}", _s(rng, 1 * MB, 9 * MB))
            )
    return _Made(name, files)


@_klass("honest.series.nonlatin", "series", "video")
def _series_nonlatin(rng: random.Random) -> _Made:
    script = rng.choice(tuple(_SCRIPT_WORDS))
    title = _script_title(rng, script)
    word = {
        "zh": "第{e}集",
        "ja": "第{e}話",
        "ko": "제{e}화",
        "ru": "Серия {e}",
        "ar": "الحلقة {e}",
        "he": "פרק {e}",
        "el": "Επεισόδιο {e}",
        "th": "ตอนที่ {e}",
        "hi": "एपिसोड {e}",
    }[script]
    t = _vtags(rng, tv=True)
    name = rng.choice(
        (
            title,
            f"{title} {t.res}",
            f"{title} ({_year(rng)}) {word.format(e='1-' + str(rng.randint(8, 40)))}",
            f"[{_group(rng)}] {title}",
        )
    )
    ext = rng.choice(("mp4", "mkv", "avi", "ts"))
    files = [
        (f"{word.format(e=f'{e:02d}')}.{ext}", _ep_size(rng, t))
        for e in range(1, rng.randint(3, 40))
    ]
    if rng.random() < 0.3:
        files = [(f"{title} {p}", s) for p, s in files]
    return _Made(name, files)


# =========================================================================== honest: music


def _artist(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        return _script_title(rng, rng.choice(("ja", "ko", "ru", "el", "zh", "ar")))
    if r < 0.55:
        return f"{_inv(rng)} {_inv(rng)}"
    return " ".join(
        ([rng.choice(("The", ""))] if rng.random() < 0.3 else []) + _words(rng, 1, 3)
    ).strip()


def _tracks(
    rng: random.Random,
    n: int,
    ext: str,
    lo: float,
    hi: float,
    scene: bool = False,
    artist: str = "",
    prefix: str = "",
) -> list[tuple[str, int]]:
    out = []
    style = rng.randrange(3)  # one naming scheme per release
    for i in range(1, n + 1):
        tw = " ".join(_words(rng, 1, 4))
        if scene:
            stem = (
                f"{i:02d}-{_dots(artist).lower().replace('.', '_')}"
                f"-{_dots(tw).lower().replace('.', '_')}"
            )
        else:
            stem = (
                f"{i:02d} - {tw}",
                f"{i:02d}. {tw}",
                f"{i:02d} {artist} - {tw}" if artist else f"{i:02d} {tw}",
            )[style]
        out.append((f"{prefix}{stem}.{ext}", _s(rng, lo, hi)))
    return out


@_klass("honest.music.flac_album", "music", "audio")
def _music_flac(rng: random.Random) -> _Made:
    artist = _artist(rng)
    album = " ".join(_words(rng, 1, 4))
    year = _year(rng, 1960)
    name = rng.choice(
        (
            f"{artist} - {album} ({year}) [FLAC]",
            f"{artist} - {album} [{year}] FLAC 16-44",
            f"{artist} - {year} - {album} (FLAC)",
            f"{artist} - {album} ({year}) [FLAC 24-96]",
            f"{_dots(artist).replace('.', '_')}-{_dots(album).replace('.', '_')}"
            f"-{rng.choice(('CD', 'WEB'))}-FLAC-{year}-{_group(rng)}",
        )
    )
    files: list[tuple[str, int]] = []
    discs = 1 if rng.random() < 0.8 else rng.randint(2, 4)
    image = rng.random() < 0.12
    for d in range(1, discs + 1):
        pre = f"{rng.choice(('CD', 'Disc ', 'CD '))}{d}/" if discs > 1 else ""
        if image:
            files.append((f"{pre}{artist} - {album}.flac", _s(rng, 200 * MB, 550 * MB)))
        else:
            files += _tracks(
                rng, rng.randint(5, 18), "flac", 12 * MB, 65 * MB, artist=artist, prefix=pre
            )
        if rng.random() < 0.6 or image:
            files.append((f"{pre}{artist} - {album}.cue", _s(rng, 1 * KB, 6 * KB)))
        if rng.random() < 0.5:
            files.append((f"{pre}{artist} - {album}.log", _s(rng, 3 * KB, 20 * KB)))
    if rng.random() < 0.8:
        files.append(
            (
                rng.choice(("cover.jpg", "folder.jpg", "Cover.jpg", "front.jpg", "cover.png")),
                _s(rng, 80 * KB, 6 * MB),
            )
        )
    if rng.random() < 0.3:
        for s in rng.sample(
            ("Back", "CD", "Inlay", "Booklet 01", "Booklet 02", "Booklet 03", "Tray"),
            rng.randint(1, 5),
        ):
            files.append(
                (
                    f"{rng.choice(('Scans/', 'Artwork/', 'Covers/'))}{s}.jpg",
                    _s(rng, 300 * KB, 8 * MB),
                )
            )
    if rng.random() < 0.2:
        files.append((f"{artist} - {album}.m3u", _s(rng, 200, 2 * KB)))
    return _Made(name, files)


@_klass("honest.music.mp3_album", "music", "audio")
def _music_mp3(rng: random.Random) -> _Made:
    artist = _artist(rng)
    album = " ".join(_words(rng, 1, 4))
    year = _year(rng, 1960)
    scene = rng.random() < 0.35
    grp = _group(rng)
    name = (
        f"{_dots(artist).replace('.', '_')}-{_dots(album).replace('.', '_')}"
        f"-{rng.choice(('WEB', 'CD', '2CD', 'Vinyl'))}-{year}-{grp}"
        if scene
        else rng.choice(
            (
                f"{artist} - {album} ({year}) [MP3 320]",
                f"{artist} - {album} {year} Mp3 320kbps",
                f"{artist} - {album} [{year}] [V0]",
            )
        )
    )
    n = rng.randint(4, 20)
    ext = rng.choice(("mp3", "mp3", "mp3", "m4a", "ogg", "opus"))
    files = _tracks(rng, n, ext, 3 * MB, 16 * MB, scene=scene, artist=artist)
    if scene:
        files.append(
            (
                f"00-{_dots(artist).lower()}-{_dots(album).lower()}-{year}.nfo",
                _s(rng, 1 * KB, 8 * KB),
            )
        )
        files.append(
            (f"00-{_dots(artist).lower()}-{_dots(album).lower()}-{year}.sfv", _s(rng, 200, 2 * KB))
        )
        files.append(
            (f"00-{_dots(artist).lower()}-{_dots(album).lower()}-{year}.m3u", _s(rng, 200, 2 * KB))
        )
    if rng.random() < 0.6:
        files.append(
            (
                rng.choice(("cover.jpg", "folder.jpg", "AlbumArt_Large.jpg", "00-cover.jpg")),
                _s(rng, 40 * KB, 3 * MB),
            )
        )
    return _Made(name, files)


@_klass("honest.music.discography", "music", "audio")
def _music_disco(rng: random.Random) -> _Made:
    artist = _artist(rng)
    fmt = rng.choice(("FLAC", "MP3", "MP3 320", "FLAC"))
    y0 = _year(rng, 1960, 2010)
    n_albums = rng.randint(3, 14)
    name = rng.choice(
        (
            f"{artist} - Discography ({y0}-{y0 + n_albums * 2}) [{fmt}]",
            f"{artist} - Complete Discography {fmt}",
            f"{artist} - Studio Albums {y0}-{y0 + n_albums * 2}",
        )
    )
    ext = "flac" if "FLAC" in fmt else "mp3"
    lo, hi = (15 * MB, 60 * MB) if ext == "flac" else (4 * MB, 14 * MB)
    files = []
    for a in range(n_albums):
        folder = rng.choice(
            (
                f"{y0 + a * 2} - {' '.join(_words(rng, 1, 3))}/",
                f"Albums/{' '.join(_words(rng, 1, 3))} ({y0 + a * 2})/",
            )
        )
        files += _tracks(rng, rng.randint(6, 15), ext, lo, hi, prefix=folder)
        if rng.random() < 0.7:
            files.append((f"{folder}cover.jpg", _s(rng, 50 * KB, 4 * MB)))
    return _Made(name, files)


@_klass("honest.music.vinyl_rip", "music", "audio")
def _music_vinyl(rng: random.Random) -> _Made:
    artist = _artist(rng)
    album = " ".join(_words(rng, 1, 4))
    year = _year(rng, 1955, 1995)
    name = rng.choice(
        (
            f"{artist} - {album} ({year}) [Vinyl] [24-96 FLAC]",
            f"{artist} - {album} {year} LP 24bit-192kHz",
            f"{artist} - {album} (Vinyl Rip, {year}) [FLAC]",
        )
    )
    files = []
    for side in "AB" if rng.random() < 0.7 else "ABCD":
        for k in range(1, rng.randint(3, 6)):
            files.append(
                (f"{side}{k}. {' '.join(_words(rng, 1, 3))}.flac", _s(rng, 50 * MB, 220 * MB))
            )
    for s in rng.sample(
        ("Front", "Back", "Label A", "Label B", "Inner Sleeve 1", "Inner Sleeve 2", "Matrix"),
        rng.randint(2, 7),
    ):
        files.append((f"Scans/{s}.jpg", _s(rng, 2 * MB, 22 * MB)))
    if rng.random() < 0.5:
        files.append(("Rip Info.txt", _s(rng, 500, 4 * KB)))
    if rng.random() < 0.3:
        files.append(("spectrals/A1.png", _s(rng, 100 * KB, 1 * MB)))
    return _Made(name, files)


_PLATFORM_TAGS = (
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PSP",
    "PSV",
    "NSW",
    "Switch",
    "Wii",
    "WiiU",
    "XBOX360",
    "X360",
    "NDS",
    "3DS",
    "GC",
    "NGC",
    "N64",
    "SNES",
    "GBA",
    "Dreamcast",
    "Saturn",
    "MD",
    "XBOX",
)


@_klass("honest.music.soundtrack", "music", "audio")
def _music_ost(rng: random.Random) -> _Made:
    title = " ".join(_words(rng))
    year = _year(rng, 1985)
    game = rng.random() < 0.6
    plat = rng.choice(_PLATFORM_TAGS)
    fmt = rng.choice(("FLAC", "MP3", "MP3 V0", "FLAC 24bit", ""))
    name = rng.choice(
        (
            f"{title} (Original Game Soundtrack) [{fmt or 'MP3'}]"
            if game
            else f"{title} (Original Motion Picture Soundtrack) ({year})",
            f"{title} OST {'(' + plat + ') ' if game and rng.random() < 0.6 else ''}"
            f"[{fmt or 'MP3'}]",
            f"{_dots(title)}.Original.Soundtrack.{year}.{fmt.split()[0] if fmt else 'MP3'}"
            f"-{_group(rng)}",
            f"{title} {plat} Soundtrack Collection" if game else f"{title} - Score ({year})",
        )
    )
    ext = "flac" if "FLAC" in fmt else rng.choice(("mp3", "mp3", "ogg", "m4a"))
    lo, hi = (8 * MB, 70 * MB) if ext == "flac" else (1 * MB, 12 * MB)
    n_discs = 1 if rng.random() < 0.7 else rng.randint(2, 5)
    files = []
    for d in range(1, n_discs + 1):
        files += _tracks(
            rng, rng.randint(8, 40), ext, lo, hi, prefix=f"Disc {d}/" if n_discs > 1 else ""
        )
    if rng.random() < 0.6:
        files.append(
            (rng.choice(("cover.jpg", "Cover.png", "folder.jpg")), _s(rng, 80 * KB, 5 * MB))
        )
    if rng.random() < 0.3:
        for i in range(rng.randint(2, 12)):
            files.append((f"Booklet/{i + 1:02d}.jpg", _s(rng, 500 * KB, 6 * MB)))
    return _Made(name, files, claim="music")


# =========================================================================== honest: books


def _author(rng: random.Random) -> str:
    return (
        f"{_inv(rng)} {_inv(rng)}"
        if rng.random() < 0.7
        else f"{_inv(rng)[0]}. {_inv(rng)} {_inv(rng)}"
    )


@_klass("honest.ebook.collection", "ebook", "ebook")
def _ebook_pack(rng: random.Random) -> _Made:
    n = rng.randint(5, 400)
    topic = rng.choice(
        (
            "Classic Novels",
            "Science Fiction",
            "Cookbooks",
            "Programming",
            "History",
            "Mystery",
            "Fantasy",
            "Poetry",
            "Gardening",
            "Travel Guides",
            "Mathematics",
            "Philosophy",
        )
    )
    fmt = rng.choice(("EPUB", "PDF", "MOBI", "AZW3", "EPUB+MOBI", "PDF, EPUB"))
    name = rng.choice(
        (
            f"{n} {topic} Ebooks Collection [{fmt}]",
            f"{topic} - Ebook Pack {_year(rng, 2005)} ({fmt})",
            f"Ultimate {topic} Library ({n} books)",
            f"{topic} Bundle {fmt}",
        )
    )
    exts = [e.strip().lower() for e in fmt.replace("+", ",").split(",")]
    files = []
    by_author = rng.random() < 0.4
    for _ in range(n):
        author, book = _author(rng), " ".join(_words(rng, 1, 5))
        ext = rng.choice(exts)
        base = (
            f"{author}/{book}"
            if by_author
            else rng.choice(
                (f"{author} - {book}", f"{book} - {author}", f"{book} ({_year(rng, 1850)})")
            )
        )
        size = (
            _s(rng, 0.3 * MB, 5 * MB)
            if ext in ("epub", "mobi", "azw3")
            else _s(rng, 0.5 * MB, 60 * MB)
        )
        files.append((f"{base}.{ext}", size))
        if rng.random() < 0.05:
            files.append((f"{base}.jpg", _s(rng, 30 * KB, 500 * KB)))
    return _Made(name, files)


@_klass("honest.ebook.single", "ebook", "ebook")
def _ebook_single(rng: random.Random) -> _Made:
    author, book = _author(rng), " ".join(_words(rng, 1, 6))
    ed = rng.choice(
        ("", " (2nd Edition)", f" ({_year(rng, 1990)})", " [Retail]", " - Third Edition")
    )
    ext = rng.choice(("epub", "pdf", "mobi", "azw3", "pdf", "djvu", "fb2"))
    name = rng.choice((f"{book}{ed} by {author}", f"{author} - {book}{ed}", f"{book}{ed}"))
    size = (
        _s(rng, 0.3 * MB, 5 * MB)
        if ext in ("epub", "mobi", "azw3", "fb2")
        else _s(rng, 0.5 * MB, 120 * MB)
    )
    if rng.random() < 0.5:
        return _single(f"{name}.{ext}", size)
    files = [(f"{name}.{ext}", size)]
    for other in rng.sample(("epub", "mobi", "azw3", "pdf"), rng.randint(1, 3)):
        if other != ext:
            files.append((f"{name}.{other}", _s(rng, 0.3 * MB, 15 * MB)))
    if rng.random() < 0.4:
        files.append(("cover.jpg", _s(rng, 40 * KB, 900 * KB)))
    return _Made(name, files)


@_klass("honest.ebook.with_audiobooks", "ebook", "ebook")
def _ebook_audio(rng: random.Random) -> _Made:
    """An ebook pack with a few MP3 audiobook parts beside it."""
    n = rng.randint(120, 500)
    topic = rng.choice(
        ("Fantasy", "Classics", "Thrillers", "Self Help", "Biographies", "Children's Stories")
    )
    name = rng.choice(
        (
            f"{topic} Mega Pack - {n} Ebooks + Audiobooks",
            f"{n} {topic} Ebooks (EPUB, some MP3)",
            f"{topic} Library {_year(rng, 2010)}",
        )
    )
    files = []
    for _ in range(n):
        files.append(
            (
                f"Ebooks/{_author(rng)} - {' '.join(_words(rng, 1, 5))}"
                f".{rng.choice(('epub', 'epub', 'mobi', 'pdf'))}",
                _s(rng, 0.6 * MB, 8 * MB),
            )
        )
    book = " ".join(_words(rng, 1, 4))
    for i in range(rng.randint(1, 4)):
        files.append((f"Audiobooks/{book}/{book} - Part {i + 1}.mp3", _s(rng, 20 * MB, 70 * MB)))
    return _Made(name, files)


@_klass("honest.ebook.audiobook", "ebook", "audio")
def _audiobook(rng: random.Random) -> _Made:
    author, book = _author(rng), " ".join(_words(rng, 1, 5))
    narr = _author(rng)
    name = rng.choice(
        (
            f"{author} - {book} (Unabridged) [Audiobook]",
            f"{book} - {author} - Read by {narr}",
            f"{author} - {book} [{rng.choice(('64kbps', '128kbps', 'M4B'))}]",
            f"{book} Audiobook",
        )
    )
    files = []
    if rng.random() < 0.35:
        files.append((f"{book}.m4b", _s(rng, 150 * MB, 1.2 * GB)))
    else:
        n = rng.randint(5, 60)
        style = rng.randrange(3)
        for i in range(1, n + 1):
            files.append(
                (
                    (f"{i:03d} - {book}.mp3", f"Chapter {i:02d}.mp3", f"{book} {i:02d}.mp3")[style],
                    _s(rng, 5 * MB, 60 * MB),
                )
            )
    if rng.random() < 0.7:
        files.append(("cover.jpg", _s(rng, 40 * KB, 2 * MB)))
    if rng.random() < 0.2:
        files.append((f"{book}.cue", _s(rng, 1 * KB, 8 * KB)))
    return _Made(name, files, claim=rng.choice(("ebook", "other")))


@_klass("honest.ebook.comics", "ebook", "ebook")
def _comics(rng: random.Random) -> _Made:
    series = " ".join(_words(rng, 1, 3))
    year = _year(rng, 1970)
    grp = _group(rng)
    n = rng.randint(1, 80)
    ext = rng.choice(("cbz", "cbr", "cbz", "cb7", "pdf"))
    name = rng.choice(
        (
            f"{series} #001-{n:03d} ({year}) (Digital) ({grp})",
            f"{series} Vol. {rng.randint(1, 9)} ({year})",
            f"{series} - Complete Series ({year}-{year + 4})",
            f"[Manga] {series} v01-v{n:02d}",
        )
    )
    files = []
    style = rng.randrange(3)
    for i in range(1, n + 1):
        files.append(
            (
                (
                    f"{series} {i:03d} ({year}) (Digital) ({grp}).{ext}",
                    f"{series} v{i:02d}.{ext}",
                    f"{series} - Chapter {i:03d}.{ext}",
                )[style],
                _s(rng, 15 * MB, 180 * MB),
            )
        )
    if n == 1 and rng.random() < 0.5:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


@_klass("honest.ebook.magazines", "ebook", "ebook")
def _magazines(rng: random.Random) -> _Made:
    mag = " ".join(_words(rng, 1, 3)) + rng.choice(
        (" Magazine", "", " Monthly", " Weekly", " Today")
    )
    year = _year(rng, 2000)
    months = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    name = rng.choice(
        (
            f"{mag} - {year} Full Year Collection",
            f"{mag} {rng.choice(months)} {year}",
            f"Magazines Pack {year} ({mag} and more)",
        )
    )
    files = []
    style = rng.randrange(3)
    for m in rng.sample(months, rng.randint(1, 12)):
        files.append(
            (
                (
                    f"{mag} - {m} {year}.pdf",
                    f"{mag}_{m[:3]}_{year}.pdf",
                    f"{year}/{mag} {m}.pdf",
                )[style],
                _s(rng, 10 * MB, 180 * MB),
            )
        )
    return _Made(name, files)


# =========================================================================== honest: photos


@_klass("honest.photos.wallpapers", "photos", "image")
def _wallpapers(rng: random.Random) -> _Made:
    n = rng.randint(20, 900)
    theme = rng.choice(
        (
            "Nature",
            "Space",
            "Minimal",
            "Cities",
            "Abstract",
            "Landscapes",
            "Cars",
            "Anime",
            "Mountains",
            "Ocean",
            "Retro Games",
        )
    )
    res = rng.choice(("4K", "1920x1080", "2560x1440", "3840x2160", "UHD", "5K", "Ultrawide"))
    name = rng.choice(
        (
            f"{n} {theme} Wallpapers [{res}]",
            f"{theme} Wallpaper Pack {_year(rng, 2008)} ({res})",
            f"HD Wallpapers - {theme} Collection",
        )
    )
    files = []
    for i in range(n):
        ext = rng.choice(("jpg", "jpg", "png", "jpeg", "webp"))
        stem = rng.choice(
            (
                f"{theme.lower()}_{i:04d}",
                f"wallpaper ({i + 1})",
                f"{_inv(rng)}_{res}_{i}",
                f"{i + 1:03d}",
            )
        )
        files.append((f"{stem}.{ext}", _s(rng, 0.4 * MB, 15 * MB)))
    return _Made(name, files)


@_klass("honest.photos.stock", "photos", "image")
def _stock(rng: random.Random) -> _Made:
    theme = rng.choice(
        (
            "Business",
            "Food",
            "Nature",
            "Travel",
            "Textures",
            "Architecture",
            "Technology",
            "Backgrounds",
            "Flowers",
        )
    )
    n = rng.randint(10, 300)
    name = rng.choice(
        (
            f"Stock Photos - {theme} Pack {rng.randint(1, 40)}",
            f"{n} High Resolution {theme} Stock Images",
            f"{theme} Photo Bundle (JPG)",
        )
    )
    files = []
    style = rng.randrange(3)
    for i in range(n):
        files.append(
            (
                (
                    f"{_inv(rng).lower()}-{rng.getrandbits(24):06x}.jpg",
                    f"stock_{theme.lower()}_{i:03d}.jpg",
                    f"{theme}/{i + 1}.jpg",
                )[style],
                _s(rng, 2 * MB, 25 * MB),
            )
        )
    if rng.random() < 0.4:
        files.append(("License.txt", _s(rng, 1 * KB, 8 * KB)))
    if rng.random() < 0.2:
        for i in range(rng.randint(1, 6)):
            files.append(
                (
                    f"Vectors/{theme.lower()}_{i}.{rng.choice(('eps', 'ai', 'svg'))}",
                    _s(rng, 0.5 * MB, 20 * MB),
                )
            )
    return _Made(name, files)


@_klass("honest.photos.raw", "photos", "image")
def _raw(rng: random.Random) -> _Made:
    cam = rng.choice(
        (
            ("DSC_", "NEF"),
            ("IMG_", "CR2"),
            ("_DSC", "ARW"),
            ("IMG_", "CR3"),
            ("P", "RW2"),
            ("DSCF", "RAF"),
            ("_MG_", "CR2"),
            ("IMG_", "DNG"),
        )
    )
    place = (
        rng.choice(_EN)
        + " "
        + rng.choice(
            ("Trip", "Walk", "Session", "Shoot", "Festival", "Wedding Rehearsal", "Birds", "Astro")
        )
    )
    name = rng.choice(
        (f"{place} {_year(rng, 2005)} RAW+JPG", f"RAW photos - {place}", f"{place} ({cam[1]})")
    )
    start = rng.randint(1, 8000)
    files = []
    jpg = rng.random() < 0.7
    for i in range(rng.randint(8, 400)):
        stem = f"{cam[0]}{start + i:04d}"
        files.append(
            (
                f"RAW/{stem}.{cam[1]}" if jpg and rng.random() < 0.5 else f"{stem}.{cam[1]}",
                _s(rng, 18 * MB, 60 * MB),
            )
        )
        if jpg:
            files.append((f"JPG/{stem}.JPG", _s(rng, 4 * MB, 18 * MB)))
        if rng.random() < 0.1:
            files.append((f"{stem}.xmp", _s(rng, 4 * KB, 40 * KB)))
    # RAW/ prefix may vary between files; the pairs keep distinct names
    return _Made(name, _unique(files))


@_klass("honest.photos.album_with_videos", "photos", "image")
def _album_videos(rng: random.Random) -> _Made:
    """A photo album with a few phone clips in it: mostly images by bytes."""
    place = f"{rng.choice(_EN)} {rng.choice(_TRIPS)}"
    name = rng.choice(
        (
            f"{place} {_year(rng, 2008)}",
            f"Photos - {place}",
            f"{place} ({rng.randint(50, 900)} photos)",
            f"{_script_title(rng, rng.choice(('ja', 'ru', 'el', 'ko')))} {_year(rng, 2008)}",
        )
    )
    n = rng.randint(120, 900)
    start = rng.randint(1, 9000)
    files = []
    for i in range(n):
        ext = rng.choice(("JPG", "jpg", "jpeg", "HEIC", "JPG"))
        files.append(
            (
                f"{rng.choice(('Day 1/', 'Day 2/', 'Day 3/', ''))}IMG_{start + i:04d}.{ext}",
                _s(rng, 2 * MB, 9 * MB),
            )
        )
    for i in range(rng.randint(1, 5)):
        files.append(
            (
                f"Videos/{rng.choice(('VID_', 'IMG_', 'MOV_'))}{start + n + i:04d}"
                f".{rng.choice(('MOV', 'mp4', 'MP4'))}",
                _s(rng, 10 * MB, 150 * MB),
            )
        )
    return _Made(name, _unique(files))


# =========================================================================== honest: software


def _app(rng: random.Random) -> str:
    return f"{_inv(rng)}{rng.choice(('', ' ', ''))}{rng.choice(_APP_SUFFIX)}"


def _ver(rng: random.Random) -> str:
    return ".".join(str(rng.randint(0, 30)) for _ in range(rng.randint(2, 4)))


@_klass("honest.software.installer", "software", "software")
def _sw_installer(rng: random.Random) -> _Made:
    app, ver = _app(rng), _ver(rng)
    arch = rng.choice(("x64", "x86", "x64", "(x86-x64)", "64-bit", ""))
    name = rng.choice(
        (
            f"{app} {ver} {arch} Multilingual",
            f"{app.replace(' ', '.')}.v{ver}.{arch.strip('()')}-{_group(rng)}",
            f"{app} {ver} Setup",
            f"{app} {_year(rng, 2012)} v{ver} (Windows)",
        )
    )
    name = " ".join(name.split())
    ext = rng.choice(("exe", "msi", "exe"))
    inst = rng.choice(
        (
            f"{app.replace(' ', '')}_{ver}_setup.{ext}",
            f"setup.{ext}",
            f"{app}-{ver}-{arch.strip('()') or 'win'}.{ext}",
            f"Install {app}.{ext}",
        )
    )
    files = [(inst, _s(rng, 4 * MB, 2.5 * GB))]
    if rng.random() < 0.6:
        files.append(
            (
                rng.choice(
                    ("readme.txt", "Readme.txt", "README.md", "Install Notes.txt", "changelog.txt")
                ),
                _s(rng, 500, 40 * KB),
            )
        )
    if rng.random() < 0.3:
        files.append(("License.rtf", _s(rng, 5 * KB, 80 * KB)))
    if rng.random() < 0.2:
        files.append((f"{app}.ico", _s(rng, 5 * KB, 200 * KB)))
    if len(files) == 1 and rng.random() < 0.5:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


@_klass("honest.software.macos", "software", "software")
def _sw_mac(rng: random.Random) -> _Made:
    app, ver = _app(rng), _ver(rng)
    name = rng.choice(
        (
            f"{app} {ver} macOS",
            f"{app} v{ver} [Mac] (Universal)",
            f"{app}_{ver}_macOS_{rng.choice(('arm64', 'x86_64', 'Universal'))}",
        )
    )
    ext = rng.choice(("dmg", "pkg", "dmg", "zip"))
    files = [(f"{app.replace(' ', '')}-{ver}.{ext}", _s(rng, 8 * MB, 3 * GB))]
    if rng.random() < 0.5:
        files.append(("ReadMe.txt", _s(rng, 400, 10 * KB)))
    if rng.random() < 0.3:
        files.append(("Installation guide.pdf", _s(rng, 100 * KB, 3 * MB)))
    if len(files) == 1:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


@_klass("honest.software.portable", "software", "archive")
def _sw_portable(rng: random.Random) -> _Made:
    app, ver = _app(rng), _ver(rng)
    name = f"{app} {ver} Portable" + rng.choice(("", " (x64)", " [Multi]", ".zip"))
    if name.endswith(".zip"):
        return _single(name, _s(rng, 2 * MB, 900 * MB))
    if rng.random() < 0.5:
        files = [
            (
                f"{app.replace(' ', '')}Portable_{ver}.{rng.choice(('zip', '7z', 'rar'))}",
                _s(rng, 2 * MB, 900 * MB),
            )
        ]
        files.append(
            rng.choice(
                (("readme.txt", _s(rng, 300, 8 * KB)), ("Portable Notes.txt", _s(rng, 300, 8 * KB)))
            )
        )
        return _Made(name, files)
    base = f"{app.replace(' ', '')}Portable/"
    files = [
        (f"{base}{app.replace(' ', '')}Portable.exe", _s(rng, 200 * KB, 5 * MB)),
        (f"{base}App/{app.replace(' ', '')}/{app.replace(' ', '')}.exe", _s(rng, 2 * MB, 200 * MB)),
    ]
    for i in range(rng.randint(2, 40)):
        files.append(
            (
                f"{base}App/{app.replace(' ', '')}/{_inv(rng).lower()}{i}"
                f".{rng.choice(('dll', 'dll', 'pak', 'dat', 'json', 'qm'))}",
                _s(rng, 10 * KB, 60 * MB),
            )
        )
    files.append((f"{base}help.html", _s(rng, 2 * KB, 40 * KB)))
    return _Made(name, files, content="software")


_DISTROS = (
    "debian",
    "ubuntu",
    "fedora",
    "alpine",
    "archlinux",
    "linuxmint",
    "opensuse",
    "rocky",
    "almalinux",
    "kali",
    "manjaro",
    "pop-os",
    "elementaryos",
)


@_klass("honest.software.linux_iso", "software", "disc_image")
def _linux_iso(rng: random.Random) -> _Made:
    distro = (
        rng.choice(_DISTROS)
        if rng.random() < 0.6
        else _inv(rng).lower() + rng.choice(("os", "linux", "bsd", ""))
    )
    ver = rng.choice(
        (
            f"{rng.randint(3, 42)}.{rng.randint(0, 12)}",
            f"{rng.randint(18, 25)}.{rng.choice(('04', '10'))}",
            f"{_year(rng, 2015)}.{rng.randint(1, 12):02d}.01",
        )
    )
    arch = rng.choice(("amd64", "x86_64", "arm64", "aarch64", "i386"))
    flavour = rng.choice(
        ("desktop", "live", "netinst", "DVD-1", "server", "minimal", "xfce", "kde")
    )
    base = f"{distro}-{ver}-{flavour}-{arch}"
    size = (
        _s(rng, 40 * MB, 200 * MB)
        if flavour in ("netinst", "minimal")
        else _s(rng, 700 * MB, 9 * GB)
    )
    if rng.random() < 0.55:
        return _single(f"{base}.iso", size)
    files = [(f"{base}.iso", size)]
    for c in rng.sample(
        (
            "SHA256SUMS",
            "SHA256SUMS.sign",
            "SHA512SUMS",
            "MD5SUMS",
            f"{base}.iso.sig",
            f"{base}.iso.sha256",
        ),
        rng.randint(1, 3),
    ):
        files.append((c, _s(rng, 90, 4 * KB)))
    if rng.random() < 0.3:
        files.append(
            (f"{distro}-{ver}-source-DVD-{rng.randint(1, 3)}.iso", _s(rng, 3 * GB, 4.7 * GB))
        )
    return _Made(base if rng.random() < 0.6 else f"{distro}-{ver}", files)


@_klass("honest.software.drivers", "software", "software")
def _drivers(rng: random.Random) -> _Made:
    vendor = _inv(rng)
    name = rng.choice(
        (
            f"{vendor} Driver Pack {_ver(rng)}",
            f"DriverPack {_year(rng, 2012)} Offline",
            f"{vendor} Chipset Drivers {_year(rng, 2012)} (Win10-11 x64)",
        )
    )
    files = []
    for d in rng.sample(
        (
            "Audio",
            "Chipset",
            "LAN",
            "WLAN",
            "Video",
            "Bluetooth",
            "Storage",
            "Touchpad",
            "USB",
            "Card Reader",
        ),
        rng.randint(2, 10),
    ):
        folder = f"{d}/{vendor}_{d.replace(' ', '')}_{_ver(rng)}/"
        files.append((f"{folder}Setup.exe", _s(rng, 300 * KB, 30 * MB)))
        for i in range(rng.randint(1, 6)):
            stem = f"{_inv(rng).lower()}{i}"
            files.append((f"{folder}{stem}.inf", _s(rng, 5 * KB, 300 * KB)))
            files.append((f"{folder}{stem}.sys", _s(rng, 20 * KB, 8 * MB)))
            files.append((f"{folder}{stem}.cat", _s(rng, 5 * KB, 40 * KB)))
        if rng.random() < 0.4:
            files.append((f"{folder}{_inv(rng).lower()}.dll", _s(rng, 100 * KB, 60 * MB)))
    return _Made(name, files)


@_klass("honest.software.fonts", "software", "data")
def _fonts(rng: random.Random) -> _Made:
    n = rng.randint(5, 600)
    name = rng.choice(
        (
            f"{n} Fonts Collection",
            f"{_inv(rng)} Font Family (OTF, TTF, WOFF)",
            f"Designer Fonts Pack {_year(rng, 2010)}",
            f"{_inv(rng)} Sans - all weights",
        )
    )
    files = []
    fam = _inv(rng)
    for i in range(n):
        if rng.random() < 0.5:
            fam = _inv(rng)
        ext = rng.choice(("ttf", "otf", "TTF", "woff2", "otf"))
        files.append(
            (
                f"{fam}/{fam}-{rng.choice(_FONT_WEIGHTS)}{i}.{ext}",
                _s(rng, 15 * KB, 3 * MB),
            )
        )
    if rng.random() < 0.5:
        files.append(("OFL.txt", _s(rng, 3 * KB, 6 * KB)))
    if rng.random() < 0.3:
        files.append(("Specimen.pdf", _s(rng, 200 * KB, 12 * MB)))
    return _Made(name, files)


@_klass("honest.software.password_manager", "software", "software")
def _pw_manager(rng: random.Random) -> _Made:
    """A password manager (the word "password" in an honest software name)."""
    app = rng.choice(
        (
            f"{_inv(rng)}Pass",
            f"{_inv(rng)} Password Manager",
            f"Key{_inv(rng).lower()}",
            f"{_inv(rng)} Vault",
            f"{_inv(rng)} Password Safe",
        )
    )
    ver = _ver(rng)
    name = rng.choice(
        (
            f"{app} {ver} (Password Manager)",
            f"{app} {ver} Setup",
            f"{app} Password Manager v{ver} Portable",
            f"{app.replace(' ', '.')}.v{ver}-{_group(rng)}",
        )
    )
    inst = rng.choice(
        (
            f"{app.replace(' ', '')}-Setup-{ver}.exe",
            f"{app.replace(' ', '')}-{ver}.msi",
            f"{app.replace(' ', '')}-{ver}.zip",
            f"{app.replace(' ', '')}-{ver}.dmg",
        )
    )
    files = [(inst, _s(rng, 3 * MB, 300 * MB))]
    if rng.random() < 0.7:
        files.append(
            (
                rng.choice(
                    (
                        "readme.txt",
                        "Password Manager - Quick Start.pdf",
                        "How to import passwords.txt",
                        "License.txt",
                        "Master password tips.txt",
                    )
                ),
                _s(rng, 500, 2 * MB),
            )
        )
    if rng.random() < 0.3:
        for lang in rng.sample(
            ("German", "French", "Spanish", "Japanese", "Russian", "Polish"), rng.randint(1, 4)
        ):
            files.append((f"Languages/{lang}.lngx", _s(rng, 30 * KB, 200 * KB)))
    return _Made(name, files)


@_klass("honest.archive.readme", "other", "archive")
def _archive_readme(rng: random.Random) -> _Made:
    """A single archive with a readme beside it (the shape of a lure, honest words)."""
    what = rng.choice(
        (
            "Project Files",
            "Sample Data",
            "Source Code",
            "Assets",
            "Dataset",
            "Course Materials",
            "Backup",
            "Templates",
            "3D Models",
            "Sound Effects",
        )
    )
    topic = " ".join(_words(rng, 1, 3))
    name = rng.choice(
        (
            f"{topic} {what}",
            f"{topic} - {what} ({_year(rng, 2005)})",
            f"{_dots(topic)}.{what.replace(' ', '.')}",
        )
    )
    ext = rng.choice(("zip", "rar", "7z", "tar.gz", "zip"))
    files = [(f"{_dots(topic).replace('.', '_')}.{ext}", _s(rng, 50 * MB, 12 * GB))]
    files.append(
        (
            rng.choice(
                (
                    "readme.txt",
                    "README.txt",
                    "Read Me.txt",
                    "README.md",
                    "info.txt",
                    "LICENSE.txt",
                    "changelog.txt",
                    "description.txt",
                    "Instructions.txt",
                )
            ),
            _s(rng, 200, 12 * KB),
        )
    )
    if rng.random() < 0.3:
        files.append(
            (
                rng.choice(("checksums.md5", "SHA256SUMS.txt", f"{_dots(topic)}.sfv")),
                _s(rng, 60, 1 * KB),
            )
        )
    if rng.random() < 0.2:
        files.append(("preview.jpg", _s(rng, 100 * KB, 3 * MB)))
    return _Made(name, files)


@_klass("honest.archive.multipart", "software", "archive")
def _multipart(rng: random.Random) -> _Made:
    """Multi-part archives: .part01.rar, .7z.001, .zip + .z01 (games, software, data)."""
    claim = rng.choice(("game_pc", "software", "other", "game_pc"))
    title = " ".join(_words(rng, 1, 3))
    ver = _ver(rng)
    name = {
        "game_pc": rng.choice(
            (
                f"{title} v{ver} (PC) [Multi-Part]",
                f"{_dots(title)}-{_group(rng)}",
                f"{title} Complete Edition",
            )
        ),
        "software": f"{_app(rng)} {ver} Offline Installer",
        "other": f"{title} Archive {_year(rng, 2000)}",
    }[claim]
    stem = _dots(title).replace(".", "_")
    total = _s(rng, 1 * GB, 80 * GB)
    parts = _volumes(total, rng.choice((500 * MB, 1 * GB, 2 * GB, 4 * GB - 1, 200 * MB)), 90)
    n = len(parts)
    style = rng.randrange(3)
    files = []
    for i in range(n):
        size = parts[i]
        if style == 0:
            files.append((f"{stem}.part{i + 1:0{max(2, len(str(n)))}d}.rar", size))
        elif style == 1:
            files.append((f"{stem}.7z.{i + 1:03d}", size))
        else:
            files.append((f"{stem}.z{i + 1:02d}" if i < n - 1 else f"{stem}.zip", size))
    if rng.random() < 0.5:
        files.append(
            (
                rng.choice(
                    (
                        "readme.txt",
                        f"{stem}.nfo",
                        "How to extract.txt",
                        "checksums.md5",
                        "Install.txt",
                    )
                ),
                _s(rng, 200, 10 * KB),
            )
        )
    return _Made(name, files, claim=claim)


# =========================================================================== honest: games


def _gname(rng: random.Random) -> str:
    return " ".join(_words(rng, 1, 4))


_REGIONS = (
    "USA",
    "Europe",
    "Japan",
    "PAL",
    "NTSC-U",
    "NTSC-J",
    "EUR",
    "En,Fr,De,Es,It",
    "World",
    "Korea",
)


@_klass("honest.game.pc_repack", "game_pc", "software")
def _pc_repack(rng: random.Random) -> _Made:
    g = _gname(rng)
    ver = _ver(rng)
    packer = _inv(rng)
    name = rng.choice(
        (
            f"{g} - v{ver} + {rng.randint(1, 30)} DLCs [{packer} Repack]",
            f"{g} [{packer} Repack] (v{ver})",
            f"{g} ({_year(rng, 2005)}) PC | RePack by {packer}",
            f"{g} - Deluxe Edition [Repack]",
        )
    )
    files = [("setup.exe", _s(rng, 2 * MB, 8 * MB))]
    scheme = rng.choice(
        ("{p}-{i:02d}.bin", "data{i}.bin", "setup-{i}.bin", "{p}-{i:02d}.bin", "data_{i:03d}.pak")
    )
    for i in range(1, rng.randint(2, 20)):
        files.append((scheme.format(p=packer.lower()[:4], i=i), _s(rng, 200 * MB, 4 * GB)))
    files = _unique(files)
    if rng.random() < 0.5:
        files.append(("MD5/QuickSFV.exe", _s(rng, 100 * KB, 300 * KB)))
        files.append(("MD5/checksums.md5", _s(rng, 200, 3 * KB)))
    if rng.random() < 0.4:
        files.append(("Verify BIN files before installation.bat", _s(rng, 50, 300)))
    if rng.random() < 0.3:
        files.append(
            (
                rng.choice(
                    (
                        f"{packer.lower()[:4]}-optional-bonus-ost.bin",
                        "optional-soundtrack.bin",
                        "optional-language-pack.bin",
                    )
                ),
                _s(rng, 50 * MB, 2 * GB),
            )
        )
    if rng.random() < 0.3:
        files.append(
            (rng.choice(("Readme.txt", "Installation.txt", f"{packer}.url")), _s(rng, 80, 6 * KB))
        )
    return _Made(name, files)


@_klass("honest.game.pc_scene", "game_pc", "archive")
def _pc_scene(rng: random.Random) -> _Made:
    g = _gname(rng)
    grp = _group(rng)
    tags = rng.choice(("", "", ".MULTi10", f".v{_ver(rng)}", ".REPACK", ".PROPER", ".GOTY.Edition"))
    name = f"{_dots(g)}{tags}-{grp}"
    stem = f"{grp.lower()}-{_dots(g).lower().replace('.', '')[:10]}"
    files = []
    content = "archive"
    if rng.random() < 0.35:
        files.append((f"{stem}.iso", _s(rng, 1 * GB, 90 * GB)))
        content = "disc_image"
    else:
        total = _s(rng, 500 * MB, 90 * GB)
        parts = _volumes(total, rng.choice((50 * MB, 100 * MB, 500 * MB, 1 * GB, 2 * GB)), 200)
        n = len(parts)
        for i in range(n):
            ext = "rar" if i == 0 else (f"r{i - 1:02d}" if i <= 100 else f"s{i - 101:02d}")
            files.append((f"{stem}.{ext}", parts[i]))
        files.append((f"{stem}.sfv", _s(rng, 500, 10 * KB)))
    files.append((f"{stem}.nfo", _s(rng, 2 * KB, 20 * KB)))
    if rng.random() < 0.2:
        files.append(("README.txt", _s(rng, 300, 2 * KB)))
    return _Made(name, files, content=content)


@_klass("honest.game.pc_installer", "game_pc", "software")
def _pc_installer(rng: random.Random) -> _Made:
    """DRM-free store installers: setup .exe + .bin parts, or a folder with the game."""
    g = _gname(rng)
    slug = _dots(g).lower().replace(".", "_")
    ver = _ver(rng)
    name = rng.choice(
        (
            f"{g} v{ver} (GOG)",
            f"{g} [DRM-Free] v{ver}",
            f"{g} - Game of the Year Edition",
            f"{g} ({_year(rng, 1995)})",
        )
    )
    build = rng.randint(10000, 99999)
    if rng.random() < 0.6:
        files = [(f"setup_{slug}_{ver}_({build}).exe", _s(rng, 1 * MB, 4 * GB))]
        for i in range(1, rng.randint(1, 8)):
            files.append((f"setup_{slug}_{ver}_({build})-{i}.bin", _s(rng, 500 * MB, 4 * GB)))
    else:
        files = [
            (f"{g}/{slug}.exe", _s(rng, 2 * MB, 300 * MB)),
            (f"{g}/unins000.exe", _s(rng, 1 * MB, 3 * MB)),
        ]
        for i in range(rng.randint(3, 60)):
            files.append(
                (
                    f"{g}/{rng.choice(('data', 'Data', 'content', 'assets'))}"
                    f"/{_inv(rng).lower()}{i}"
                    f".{rng.choice(_GAME_DATA_EXTS)}",
                    _s(rng, 100 * KB, 5 * GB),
                )
            )
    if rng.random() < 0.4:
        files.append(
            (
                rng.choice(("manual.pdf", "Manual.pdf", "readme.txt", "EULA.txt")),
                _s(rng, 20 * KB, 40 * MB),
            )
        )
    if rng.random() < 0.2:
        files.append((f"Goodies/{g} - Wallpaper.jpg", _s(rng, 1 * MB, 6 * MB)))
    return _Made(name, files)


# per platform: (tags, extensions with size ranges); sizes from the media each console reads
_DISC = {
    "PS1": (
        ("PS1", "PSX", "PSOne"),
        (("bin", 50 * MB, 700 * MB), ("chd", 30 * MB, 500 * MB)),
        True,
    ),
    "PS2": (
        ("PS2", "PS2.PAL", "PS2.NTSC", "PS2.DVD"),
        (("iso", 700 * MB, 4.4 * GB), ("chd", 300 * MB, 3.8 * GB)),
        False,
    ),
    "PS2CD": (("PS2", "PS2.CD"), (("bin", 150 * MB, 700 * MB),), True),
    "GC": (
        ("GC", "NGC", "GameCube"),
        (
            ("iso", 1_459_978_240, 1_459_978_240),
            ("rvz", 200 * MB, 1.3 * GB),
            ("ciso", 300 * MB, 1.3 * GB),
        ),
        False,
    ),
    "Wii": (
        ("Wii", "WII.PAL", "Wii NTSC"),
        (
            ("iso", 4_699_979_776, 4_699_979_776),
            ("wbfs", 150 * MB, 4.3 * GB),
            ("iso", 7.9 * GB, 7.9 * GB),
        ),
        False,
    ),
    "X360": (
        ("XBOX360", "X360", "Xbox 360"),
        (("iso", 7_838_695_424, 7_838_695_424), ("iso", 6.5 * GB, 7.3 * GB)),
        False,
    ),
    "XBOX": (("XBOX",), (("iso", 1.5 * GB, 7.3 * GB),), False),
    "PS3": (("PS3",), (("iso", 2 * GB, 45 * GB),), False),
    "PSP": (("PSP",), (("iso", 100 * MB, 1.8 * GB), ("cso", 40 * MB, 1.5 * GB)), False),
    "DC": (
        ("Dreamcast", "DC"),
        (("cdi", 300 * MB, 800 * MB), ("gdi", 900 * MB, 1.2 * GB), ("chd", 300 * MB, 1 * GB)),
        False,
    ),
    "SAT": (("Saturn", "SS"), (("bin", 100 * MB, 700 * MB),), True),
    "SCD": (("SegaCD", "MCD"), (("bin", 80 * MB, 650 * MB),), True),
}


@_klass("honest.game.console_disc", "game_console", "disc_image")
def _console_disc(rng: random.Random) -> _Made:
    plat = rng.choice(tuple(_DISC))
    tags, exts, cue = _DISC[plat]
    ext, lo, hi = rng.choice(exts)
    g = _gname(rng)
    region = rng.choice(_REGIONS)
    tag = rng.choice(tags)
    style = rng.randrange(4)
    if style == 0:
        name = f"{g} ({region})"
    elif style == 1:
        name = f"{_dots(g)}.{tag.replace(' ', '.')}-{_group(rng)}"
    elif style == 2:
        name = f"{g} [{tag}] [{region}]"
    else:
        name = f"{g} ({region}) ({tag}) [{rng.choice(('Redump', 'CHD', 'ISO', 'NTSC', 'PAL'))}]"
    size = _s(rng, lo, hi)
    base = f"{g} ({region})" if rng.random() < 0.6 else _dots(g).lower()
    if cue and ext == "bin":
        tracks = rng.randint(1, 12) if rng.random() < 0.4 else 1
        files = [
            (
                f"{base} (Track {t + 1}).bin" if tracks > 1 else f"{base}.bin",
                size if t == 0 else _s(rng, 2 * MB, 60 * MB),
            )
            for t in range(tracks)
        ]
        files.append((f"{base}.cue", _s(rng, 80, 2 * KB)))
    elif ext == "gdi":
        files = [
            (f"{base}.gdi", _s(rng, 80, 400)),
            ("track01.bin", _s(rng, 1 * MB, 3 * MB)),
            ("track02.raw", _s(rng, 1 * MB, 3 * MB)),
            ("track03.bin", size),
        ]
    else:
        files = [(f"{base}.{ext}", size)]
    if plat == "PS3" and rng.random() < 0.5:  # a folder game (JB format)
        files = [
            ("PS3_GAME/PARAM.SFO", _s(rng, 700, 2 * KB)),
            ("PS3_GAME/ICON0.PNG", _s(rng, 40 * KB, 200 * KB)),
            ("PS3_GAME/USRDIR/EBOOT.BIN", _s(rng, 5 * MB, 40 * MB)),
            ("PS3_DISC.SFB", 256),
        ]
        for i in range(rng.randint(3, 40)):
            files.append(
                (
                    f"PS3_GAME/USRDIR/{rng.choice(('data', 'pack', 'sound', 'movie'))}"
                    f"/{_inv(rng).lower()}{i}"
                    f".{rng.choice(('psarc', 'dat', 'pak', 'sdat', 'pam', 'bik'))}",
                    _s(rng, 5 * MB, 3 * GB),
                )
            )
    if rng.random() < 0.3:
        files.append(
            (
                rng.choice(
                    (f"{name}.nfo", "readme.txt", f"{base}.md5", f"{base}.sfv", "cover.jpg")
                ),
                _s(rng, 50, 400 * KB),
            )
        )
    if len(files) == 1 and rng.random() < 0.5:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


_PKG = {
    "NSW": (
        ("NSW", "Switch", "NSW-"),
        (("xci", 0.9 * GB, 16 * GB), ("nsp", 60 * MB, 15 * GB), ("nsz", 50 * MB, 12 * GB)),
    ),
    "3DS": (("3DS",), (("3ds", 128 * MB, 4 * GB), ("cia", 40 * MB, 3.5 * GB))),
    "NDS": (("NDS", "DS"), (("nds", 8 * MB, 512 * MB),)),
    "PS4": (("PS4",), (("pkg", 1 * GB, 80 * GB),)),
    "PSV": (("PSV", "Vita", "PS Vita"), (("vpk", 60 * MB, 3.5 * GB), ("pkg", 60 * MB, 3.5 * GB))),
    "WiiU": (("WiiU", "Wii U"), (("wua", 500 * MB, 25 * GB), ("wud", 25 * GB, 25 * GB))),
}


@_klass("honest.game.console_package", "game_console", "game_package")
def _console_pkg(rng: random.Random) -> _Made:
    plat = rng.choice(tuple(_PKG))
    tags, exts = _PKG[plat]
    ext, lo, hi = rng.choice(exts)
    g = _gname(rng)
    tid = f"{rng.getrandbits(64):016X}"
    tag = rng.choice(tags).rstrip("-")
    name = rng.choice(
        (
            f"{g} [{tag}] [{rng.choice(_REGIONS)}]",
            f"{_dots(g)}.{tag.replace(' ', '')}-{_group(rng)}",
            f"{g} [{tid}][v0]",
            f"{g} ({rng.choice(_REGIONS)}) ({tag})",
        )
    )
    size = _s(rng, lo, hi)
    if ext == "nds":
        size = rng.choice((8, 16, 32, 64, 128, 256, 512)) * MB
    if ext == "3ds":
        size = rng.choice((128, 256, 512, 1024, 2048, 4096)) * MB
    fname = rng.choice(
        (
            f"{g} [{tid}][v0].{ext}",
            f"{_dots(g).lower()}.{ext}",
            f"{g} ({rng.choice(_REGIONS)}).{ext}",
        )
    )
    if plat == "PS4":
        fname = (
            f"UP{rng.randint(1000, 9999)}-CUSA{rng.randint(10000, 39999)}_00"
            f"-{_dots(g).upper().replace('.', '')[:16]:0<16}-A0100-V0100.pkg"
        )
    files = [(fname, size)]
    if rng.random() < 0.35:
        files.append(
            (
                rng.choice(("readme.txt", f"{_dots(g).lower()}.nfo", "cover.jpg", "fix.txt")),
                _s(rng, 200, 600 * KB),
            )
        )
    if plat == "NSW" and rng.random() < 0.25:
        files.append(
            (f"{g} [{tid[:13]}800][v{rng.randint(1, 20) * 65536}].nsp", _s(rng, 20 * MB, 3 * GB))
        )
    if len(files) == 1 and rng.random() < 0.5:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


_ROMSYS = (
    ("Nintendo - Super Nintendo Entertainment System", "sfc", 256 * KB, 6 * MB),
    ("Nintendo - Game Boy Advance", "gba", 2 * MB, 32 * MB),
    ("Sega - Mega Drive - Genesis", "md", 128 * KB, 5 * MB),
    ("Nintendo - Nintendo 64", "z64", 4 * MB, 64 * MB),
    ("Nintendo - Game Boy", "gb", 32 * KB, 2 * MB),
    ("Nintendo - Nintendo Entertainment System", "nes", 16 * KB, 1 * MB),
    ("Atari - 2600", "a26", 2 * KB, 32 * KB),
    ("NEC - PC Engine - TurboGrafx 16", "pce", 128 * KB, 3 * MB),
    ("Sega - Master System - Mark III", "sms", 32 * KB, 1 * MB),
    ("Nintendo - Game Boy Color", "gbc", 128 * KB, 8 * MB),
)


@_klass("honest.game.rom_set", "game_console", "game_package")
def _rom_set(rng: random.Random) -> _Made:
    sysname, ext, lo, hi = rng.choice(_ROMSYS)
    name = rng.choice(
        (
            f"{sysname} ({_year(rng, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"-{rng.randint(0, 999999):06d})",
            f"{sysname.split(' - ')[1]} Romset",
            f"{sysname} - Complete Set [No-Intro]",
            f"Best of {sysname.split(' - ')[-1]} ({rng.randint(20, 300)} games)",
        )
    )
    pack = rng.choice(("zip", "7z", ext))
    files = []
    for _ in range(rng.randint(20, 900)):
        size = _s(rng, lo, hi)
        files.append(
            (
                f"{_gname(rng)} ({rng.choice(_REGIONS[:4])}"
                f"){rng.choice(('', '', ' (Rev 1)', ' (Beta)'))}.{pack}",
                size if pack == ext else max(1, int(size * rng.uniform(0.35, 0.9))),
            )
        )
    return _Made(name, _unique(files))


@_klass("honest.game.dlc_update", "game_console", "game_package")
def _dlc_update(rng: random.Random) -> _Made:
    """Updates and DLC: small console packages that are not full games."""
    g = _gname(rng)
    plat = rng.choice(("NSW", "PS3", "PS4", "PSV", "3DS", "WiiU", "X360", "PC"))
    what = rng.choice(
        (
            "Update v1.0.{n}",
            "DLC Pack",
            "Update + DLC",
            "Season Pass DLC",
            "Patch v1.{n}",
            "All DLC",
            "Title Update {n}",
        )
    )
    what = what.replace("{n}", str(rng.randint(1, 12)))
    name = rng.choice(
        (
            f"{g} {what} [{plat}]",
            f"{_dots(g)}.{what.replace(' ', '.')}.{plat}-{_group(rng)}",
            f"{g} ({plat}) - {what}",
        )
    )
    ext = {
        "NSW": "nsp",
        "PS3": "pkg",
        "PS4": "pkg",
        "PSV": "pkg",
        "3DS": "cia",
        "WiiU": "wua",
        "X360": "xcp",
        "PC": "exe",
    }[plat]
    files = []
    for i in range(rng.randint(1, 25)):
        files.append(
            (
                f"{g} - {rng.choice(_DLC_KINDS)} {i + 1}.{ext}",
                _s(rng, 200 * KB, 1.5 * GB),
            )
        )
    if rng.random() < 0.3:
        files.append(("install notes.txt", _s(rng, 200, 5 * KB)))
    claim = "game_pc" if plat == "PC" else "game_console"
    return _Made(name, files, claim=claim, content="software" if plat == "PC" else "game_package")


@_klass("honest.game.trainer_patch", "game_pc", "software")
def _trainer(rng: random.Random) -> _Made:
    g = _gname(rng)
    kind = rng.choice(("Trainer", "Patch", "Hotfix", "Update", "Fix", "Launcher"))
    ver = _ver(rng)
    name = rng.choice(
        (
            f"{g} v{ver} Plus {rng.randint(4, 30)} Trainer",
            f"{g} Patch v{ver}",
            f"{_dots(g)}.Update.v{ver}-{_group(rng)}",
            f"{g} {kind}",
        )
    )
    exe = rng.choice(
        (
            f"{g} v{ver} Plus {rng.randint(4, 30)} Trainer.exe",
            f"{_dots(g)}_patch_{ver}.exe",
            f"{kind.lower()}.exe",
            "Setup.exe",
        )
    )
    files = [(exe, _s(rng, 200 * KB, 800 * MB))]
    if rng.random() < 0.6:
        files.append(
            (
                rng.choice(("Read Me.txt", "readme.txt", "Trainer Options.txt", "changelog.txt")),
                _s(rng, 200, 10 * KB),
            )
        )
    if rng.random() < 0.3:
        files.append((f"{_dots(g).lower()}.nfo", _s(rng, 1 * KB, 12 * KB)))
    if len(files) == 1:
        return _single(files[0][0], files[0][1])
    return _Made(name, files)


@_klass("honest.game.mod", "game_pc", "data")
def _mod(rng: random.Random) -> _Made:
    g = _gname(rng)
    modn = " ".join(_words(rng, 1, 3))
    name = rng.choice(
        (
            f"{g} - {modn} Mod v{_ver(rng)}",
            f"{modn} (mod for {g})",
            f"{g} Modpack {_year(rng, 2010)}",
            f"{g} - {modn} Overhaul",
        )
    )
    files = []
    for i in range(rng.randint(1, 60)):
        ext = rng.choice(
            (
                "pak",
                "esp",
                "esm",
                "bsa",
                "ba2",
                "zip",
                "lua",
                "json",
                "ini",
                "dll",
                "ogg",
                "dds",
                "vpk",
            )
        )
        files.append(
            (
                f"{rng.choice(('Data/', 'mods/', 'Mods/' + modn + '/', ''))}{_inv(rng).lower()}"
                f"_{i}.{ext}",
                _s(rng, 2 * KB, 900 * MB),
            )
        )
    files.append(
        (
            rng.choice(("readme.txt", "INSTALL.txt", "modinfo.json", "Read Me First.txt")),
            _s(rng, 200, 20 * KB),
        )
    )
    return _Made(name, _unique(files))


@_klass("honest.game.texture_pack", "game_console", "image")
def _texture_pack(rng: random.Random) -> _Made:
    """HD texture packs for console emulators: many PNG/DDS images under a game id."""
    g = _gname(rng)
    emu, idfmt = rng.choice(
        (
            ("Dolphin", "G{x}{r}01"),
            ("PCSX2", "SLUS-{n}"),
            ("PPSSPP", "ULUS{n}"),
            ("Citra", "00040000{h}"),
            ("Yuzu", "0100{h}"),
            ("RetroArch", ""),
        )
    )
    gid = idfmt.format(
        x=rng.choice("ABCDEFGHKLMPRSTZ") * 2,
        r=rng.choice("EPJ"),
        n=rng.randint(10000, 99999),
        h=f"{rng.getrandbits(32):08X}",
    )
    plat = {
        "Dolphin": "GC/Wii",
        "PCSX2": "PS2",
        "PPSSPP": "PSP",
        "Citra": "3DS",
        "Yuzu": "Switch",
        "RetroArch": "N64",
    }[emu]
    name = rng.choice(
        (
            f"{g} HD Texture Pack ({emu})",
            f"{g} - 4K Texture Pack v{_ver(rng)} [{plat}]",
            f"{g} [{gid}] Retexture Project",
            f"{g} {plat} HD Textures",
        )
    )
    files = []
    root = {
        "Dolphin": f"Load/Textures/{gid}/",
        "PCSX2": f"textures/{gid}/replacements/",
        "PPSSPP": f"TEXTURES/{gid}/",
        "Citra": f"load/textures/{gid}/",
        "Yuzu": f"load/{gid}/textures/",
        "RetroArch": f"system/Mupen64plus/hires_texture/{_dots(g).upper()[:12]}/",
    }[emu]
    n = rng.randint(40, 2000)
    for i in range(n):
        ext = rng.choice(("png", "png", "dds", "png"))
        if emu == "Dolphin":
            stem = (
                f"tex1_{rng.choice((32, 64, 128, 256, 512))}"
                f"x{rng.choice((32, 64, 128, 256, 512))}_{rng.getrandbits(64):016x}"
                f"_{rng.randint(0, 14)}"
            )
        elif emu in ("PCSX2", "PPSSPP"):
            stem = f"{rng.getrandbits(64):016x}-{rng.getrandbits(32):08x}"
        else:
            stem = f"tex1_{rng.getrandbits(32):08x}_{i}"
        sub = rng.choice(("", "", "ui/", "chars/", "env/", "fonts/"))
        files.append((f"{root}{sub}{stem}.{ext}", _s(rng, 20 * KB, 16 * MB)))
    if rng.random() < 0.5:
        files.append(
            (
                rng.choice(("README.txt", "Installation.txt", "How to install.txt")),
                _s(rng, 400, 8 * KB),
            )
        )
    if emu == "PPSSPP" and rng.random() < 0.5:
        files.append((f"{root}textures.ini", _s(rng, 2 * KB, 800 * KB)))
    return _Made(name, _unique(files))


@_klass("honest.game.saves", "game_console", "data")
def _saves(rng: random.Random) -> _Made:
    g = _gname(rng)
    plat, ext, lo, hi = rng.choice(
        (
            ("PS2", "ps2", 8 * MB, 8 * MB),
            ("PS2", "psu", 20 * KB, 2 * MB),
            ("PS1", "mcr", 128 * KB, 128 * KB),
            ("GBA", "sav", 32 * KB, 128 * KB),
            ("N64", "eep", 512, 2 * KB),
            ("Wii", "bin", 100 * KB, 3 * MB),
            ("NSW", "zip", 50 * KB, 20 * MB),
            ("PC", "sav", 10 * KB, 30 * MB),
        )
    )
    name = rng.choice(
        (
            f"{g} 100% Save File [{plat}]",
            f"{g} - Save Game ({plat})",
            f"{plat} Memory Card - All Saves",
            f"{g} Complete Save {_year(rng, 2000)}",
        )
    )
    files = [
        (
            f"{g} {rng.choice(('100%', 'All Unlocked', 'New Game Plus', 'Slot ' + str(i)))}.{ext}",
            _s(rng, lo, hi),
        )
        for i in range(rng.randint(1, 12))
    ]
    if rng.random() < 0.5:
        files.append(("how to use.txt", _s(rng, 100, 3 * KB)))
    return _Made(name, _unique(files), claim="game_pc" if plat == "PC" else "game_console")


@_klass("honest.game.gameplay_video", "game_console", "video")
def _gameplay(rng: random.Random) -> _Made:
    """Longplays, speedruns and walkthroughs: the name carries a game and a console."""
    g = _gname(rng)
    plat = rng.choice((*_PLATFORM_TAGS, "PC"))
    kind = rng.choice(
        (
            "Longplay",
            "Walkthrough",
            "Speedrun",
            "Full Playthrough",
            "100% Walkthrough",
            "Let's Play",
            "All Cutscenes",
            "No Commentary Gameplay",
            "Any% Speedrun",
        )
    )
    res = rng.choice(("1080p60", "720p", "4K", "1080p", "480p"))
    name = rng.choice(
        (
            f"{g} ({plat}) - {kind} [{res}]",
            f"{g} {plat} {kind}",
            f"{_dots(g)}.{plat}.{kind.replace(' ', '.')}.{res}",
            f"[{kind}] {g} - {plat}",
        )
    )
    ext = rng.choice(("mp4", "mkv", "webm", "mp4"))
    n = rng.choice((1, 1, rng.randint(2, 40)))
    files = []
    for i in range(n):
        files.append(
            (
                f"{g} - {kind} {'Part ' + str(i + 1) if n > 1 else ''}.{ext}".replace(" .", "."),
                _s(rng, 150 * MB, 8 * GB) if n == 1 else _s(rng, 60 * MB, 1.5 * GB),
            )
        )
    if n == 1 and rng.random() < 0.6:
        return _single(
            f"{name}.{ext}", files[0][1], claim="game_pc" if plat == "PC" else "game_console"
        )
    if rng.random() < 0.3:
        files.append(("thumbnail.jpg", _s(rng, 50 * KB, 600 * KB)))
    return _Made(name, files, claim="game_pc" if plat == "PC" else "game_console")


@_klass("honest.game.trailers", "game_console", "video")
def _game_trailers(rng: random.Random) -> _Made:
    g = _gname(rng)
    plat = rng.choice(("PS5", "PS4", "XSX", "NSW", "PC", "Multi"))
    name = rng.choice(
        (
            f"{g} - Trailers Collection",
            f"{g} {plat} Launch Trailer 4K",
            f"{g} (E3 {_year(rng, 2005)}) Trailers",
            f"{_dots(g)}.Trailer.{plat}.2160p",
        )
    )
    files = []
    for i in range(rng.randint(1, 15)):
        files.append(
            (
                f"{g} - {rng.choice(_TRAILER_KINDS)} Trailer {i + 1}"
                f".{rng.choice(('mp4', 'mkv', 'mov', 'webm'))}",
                _s(rng, 20 * MB, 1.2 * GB),
            )
        )
    if len(files) == 1 and rng.random() < 0.5:
        return _single(files[0][0], files[0][1])
    return _Made(name, files, claim="game_pc" if plat == "PC" else "game_console")


@_klass("honest.game.artbook", "game_console", "image")
def _artbook(rng: random.Random) -> _Made:
    g = _gname(rng)
    name = rng.choice(
        (
            f"The Art of {g}",
            f"{g} - Official Artbook",
            f"{g} Art Book (Digital)",
            f"{g} Concept Art Collection",
            f"{g} Artworks [{rng.choice(_PLATFORM_TAGS)}]",
        )
    )
    if rng.random() < 0.4:
        files = [(f"The Art of {g}.pdf", _s(rng, 40 * MB, 900 * MB))]
        if rng.random() < 0.5:
            return _single(f"{name}.pdf", files[0][1], content="ebook")
        return _Made(name, files, content="ebook")
    files = []
    for i in range(rng.randint(20, 400)):
        files.append(
            (
                f"{rng.choice(_ART_DIRS)}{g.replace(' ', '_')}_{i:03d}"
                f".{rng.choice(('jpg', 'png', 'jpg'))}",
                _s(rng, 0.5 * MB, 25 * MB),
            )
        )
    return _Made(name, _unique(files))


@_klass("honest.game.emulator_pack", "game_console", "software")
def _emulators(rng: random.Random) -> _Made:
    emus = rng.sample(
        (
            "Dolphin",
            "PCSX2",
            "PPSSPP",
            "DuckStation",
            "RetroArch",
            "mGBA",
            "melonDS",
            "Cemu",
            "RPCS3",
            "Flycast",
            "Mednafen",
            "Snes9x",
        ),
        rng.randint(1, 8),
    )
    name = rng.choice(
        (
            f"Emulator Pack {_year(rng, 2015)} (Windows)",
            f"{emus[0]} {_ver(rng)} Portable",
            f"All-in-One Emulators ({len(emus)} systems)",
            f"{emus[0]} {_ver(rng)} + Shaders",
        )
    )
    files = []
    for e in emus:
        files.append((f"{e}/{e}.exe", _s(rng, 2 * MB, 60 * MB)))
        for i in range(rng.randint(2, 20)):
            files.append(
                (
                    f"{e}/{rng.choice(_EMU_DIRS)}{_inv(rng).lower()}{i}.{rng.choice(_EMU_EXTS)}",
                    _s(rng, 2 * KB, 40 * MB),
                )
            )
    return _Made(name, _unique(files))


@_klass("honest.game.handheld_video", "game_console", "video")
def _handheld_video(rng: random.Random) -> _Made:
    """UMD Video discs and PSP/Vita-resolution encodes: console names, video bytes."""
    title, _ = _any_title(rng, 0.3)
    grp = _group(rng)
    kind = rng.randrange(3)
    if kind == 0:
        name = rng.choice(
            (
                f"{title} [UMD Video] ({rng.choice(_REGIONS)})",
                f"{_dots(title) if _ else title}.UMD.VIDEO.PSP-{grp}",
                f"{title} (UMD Video) [PSP]",
            )
        )
        files = [
            (
                f"{title}.iso" if rng.random() < 0.6 else f"{_dots(title).lower()}.iso",
                _s(rng, 400 * MB, 1.8 * GB),
            )
        ]
        if rng.random() < 0.4:
            files.append(("cover.jpg", _s(rng, 50 * KB, 800 * KB)))
        return _Made(name, files, content="disc_image")
    res = "480x272" if kind == 1 else "960x544"
    dev = "PSP" if kind == 1 else rng.choice(("PS Vita", "PSV", "Vita"))
    name = rng.choice(
        (
            f"[{grp}] {title} ({dev} {res})",
            f"{title} - Complete [{dev}] [{res}] [MP4]",
            f"{title} {res} {dev} encode",
        )
    )
    files = []
    n = rng.randint(1, 26)
    for e in range(1, n + 1):
        files.append(
            (
                f"{title} - {e:02d} [{res}].mp4",
                _s(rng, 50 * MB, 250 * MB) if kind == 1 else _s(rng, 100 * MB, 450 * MB),
            )
        )
    return _Made(name, files, claim="game_console")


@_klass("honest.game.fan_translation", "game_console", "data")
def _fan_translation(rng: random.Random) -> _Made:
    g = _gname(rng)
    lang = rng.choice(
        (
            "English",
            "Spanish",
            "Portuguese (Brazil)",
            "French",
            "German",
            "Italian",
            "Russian",
            "Polish",
            "Arabic",
            "Korean",
        )
    )
    plat = rng.choice(("SNES", "PS1", "PS2", "PSP", "NDS", "GBA", "Saturn", "PC-98", "3DS"))
    name = rng.choice(
        (
            f"{g} - {lang} Translation Patch v{_ver(rng)} [{plat}]",
            f"{g} ({plat}) Fan Translation ({lang})",
            f"{g} {lang} Patch",
            f"{g} Language Pack ({lang})",
        )
    )
    ext = rng.choice(("xdelta", "ips", "bps", "ppf", "xdelta"))
    hi = 400 * MB if plat in ("PS1", "PS2", "PSP", "3DS", "Saturn") else 6 * MB
    files = [(f"{_dots(g)}_{lang.split()[0]}_v{_ver(rng)}.{ext}", _s(rng, 20 * KB, hi))]
    files.append(
        (
            rng.choice(("readme.txt", "README.txt", "Leeme.txt", "Instructions.txt")),
            _s(rng, 1 * KB, 30 * KB),
        )
    )
    if rng.random() < 0.4:
        files.append(
            (
                rng.choice(("xdelta UI.exe", "Lunar IPS.exe", "Patcher.exe", "flips.exe")),
                _s(rng, 100 * KB, 3 * MB),
            )
        )
    if rng.random() < 0.3:
        files.append(("screenshots/title.png", _s(rng, 20 * KB, 400 * KB)))
    return _Made(name, files)


# =========================================================================== disguises


_EXEC = (
    "exe",
    "scr",
    "com",
    "bat",
    "cmd",
    "pif",
    "lnk",
    "vbs",
    "js",
    "jse",
    "wsf",
    "hta",
    "msi",
    "jar",
    "ps1",
    "cpl",
)
_EXEC_COMMON = (
    "exe",
    "exe",
    "exe",
    "scr",
    "scr",
    "com",
    "bat",
    "lnk",
    "pif",
    "cmd",
    "vbs",
    "js",
    "msi",
    "hta",
)
_VIS = {  # claim -> visible extensions
    "film": ("mp4", "avi", "mkv", "wmv", "mov", "mpg", "m4v", "flv"),
    "series": ("mkv", "mp4", "avi"),
    "music": ("mp3", "flac", "wav", "m4a", "wma"),
    "photos": ("jpg", "jpeg", "png", "gif", "bmp", "heic"),
    "ebook": ("pdf", "epub", "doc", "docx", "mobi", "txt"),
}


def _exe_size(rng: random.Random) -> int:
    return rng.choice(
        (_s(rng, 30 * KB, 5 * MB), _s(rng, 1 * MB, 40 * MB), _s(rng, 300 * MB, 2 * GB))
    )


def _claim_stem(rng: random.Random, claim: str) -> tuple[str, str]:
    """A torrent name claiming ``claim`` and a file stem for it."""
    if claim == "film":
        name, t, words, year = _scene_film_name(rng)
        stem = rng.choice(
            (name, f"{' '.join(words)} ({year}) {t.res}", f"{' '.join(words)} {year}")
        )
        return name, stem
    if claim == "series":
        show = _show(rng)
        s, e = rng.randint(1, 9), rng.randint(1, 20)
        t = _vtags(rng, tv=True)
        name = ".".join([_dots(show), f"S{s:02d}E{e:02d}", *t.tags]) + "-" + _group(rng)
        return name, rng.choice((name, f"{' '.join(show)} S{s:02d}E{e:02d}"))
    if claim == "music":
        artist, album = _artist(rng), " ".join(_words(rng, 1, 3))
        name = f"{artist} - {album} ({_year(rng, 1965)}) [{rng.choice(('FLAC', 'MP3 320', 'MP3'))}]"
        return name, rng.choice(
            (
                f"01 - {' '.join(_words(rng, 1, 3))}",
                f"{artist} - {album}",
                f"{artist} - {' '.join(_words(rng, 1, 3))}",
            )
        )
    if claim == "photos":
        place = (
            f"{rng.choice(_EN)} {rng.choice(('Holiday', 'Trip', 'Photos', 'Album', 'Wallpapers'))}"
        )
        name = f"{place} {_year(rng, 2005)}"
        return name, rng.choice(
            (
                f"IMG_{rng.randint(1, 9999):04d}",
                f"DSC{rng.randint(1, 99999):05d}",
                f"photo {rng.randint(1, 300)}",
                place,
            )
        )
    author, book = _author(rng), " ".join(_words(rng, 1, 5))
    name = rng.choice(
        (
            f"{book} by {author} [EPUB]",
            f"{author} - {book} (PDF)",
            f"{rng.randint(10, 500)} Ebooks Collection",
        )
    )
    return name, rng.choice((f"{author} - {book}", book, f"{book} ({_year(rng, 1900)})"))


def _payload_layout(
    rng: random.Random, name: str, files: list[tuple[str, int]], claim: str
) -> _Made:
    if len(files) == 1 and rng.random() < 0.55:
        return _single(files[0][0], files[0][1], claim=claim)
    # decoys that keep the executable the largest part of the bytes
    if rng.random() < 0.4:
        files.append(
            (
                rng.choice(("readme.txt", "info.nfo", "cover.jpg", "poster.jpg", "subs.srt")),
                _s(rng, 300, min(300 * KB, sum(size for _, size in files) // 4)),
            )
        )
    return _Made(name, files, claim=claim)


def _disguised_exec_name(rng: random.Random, style: str, stem: str, vis: str, real: str) -> str:
    if style == "double":
        return f"{stem}.{vis}.{real}"
    if style == "space":
        pad = rng.choice((" ", "\u00a0", "\u2002", "\u3000", " ")) * rng.randint(12, 140)
        return (
            f"{stem}.{vis}{pad}.{real}"
            if rng.random() < 0.7
            else f"{stem} {vis.upper()}{pad}.{real}"
        )
    if style == "rlo":
        pos = rng.randrange(3)
        if pos == 0:  # "name<RLO>4pm.exe" shows as "nameexe.mp4"
            return f"{stem}\u202e{vis[::-1]}.{real}"
        if pos == 1:  # "name_<RLO>gpj.scr" plus a harmless prefix
            return f"{stem}_{rng.choice(('HD', 'full', 'new', 'x'))}\u202e{vis[::-1]}.{real}"
        # the override inside the stem as well: "<RLO>" twice, shown reversed twice
        return f"{stem[: len(stem) // 2]}\u202e{stem[len(stem) // 2 :]}\u202e{vis[::-1]}.{real}"
    if style == "zw":
        zw = rng.choice(("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"))
        pos = rng.randrange(4)
        if pos == 0:
            return f"{stem}.{vis}{zw}.{real}"
        if pos == 1:
            return f"{stem}{zw}.{vis}{zw * rng.randint(1, 6)}.{real}"
        if pos == 2:
            return f"{stem}.{vis[:1]}{zw}{vis[1:]}.{real}"
        marked = stem.replace(" ", zw + " ").replace(".", zw + ".")
        if marked == stem:
            marked = f"{stem[: len(stem) // 2]}{zw}{stem[len(stem) // 2 :]}"
        return f"{marked}.{vis}.{real}"
    # trailing dots or spaces after the real extension (Windows drops them on disk)
    tail = rng.choice((".", "..", "...", " ", "  ", " .", ". ", " . .", "....."))
    return f"{stem}.{vis}.{real}{tail}" if rng.random() < 0.7 else f"{stem}.{real}{tail}"


def _exec_disguise(style: str) -> Callable[[random.Random], _Made]:
    def make(rng: random.Random) -> _Made:
        claim = rng.choice(("film", "film", "film", "series", "music", "photos", "ebook"))
        name, stem = _claim_stem(rng, claim)
        real = rng.choice(_EXEC_COMMON)
        vis = rng.choice(_VIS[claim])
        n = 1 if rng.random() < 0.65 else rng.randint(2, 12)
        files = []
        for i in range(n):
            s = stem if n == 1 else f"{stem} {i + 1:02d}"
            files.append(
                (
                    _maybe_case(rng, _disguised_exec_name(rng, style, s, vis, real), 0.1),
                    _exe_size(rng),
                )
            )
        files = _unique(files)
        if n == 1 and rng.random() < 0.5:
            return _single(files[0][0], files[0][1], claim=claim)
        return _payload_layout(rng, name, files, claim)

    return make


for _style, _kl in (
    ("double", "disguise.double_extension"),
    ("space", "disguise.space_before_extension"),
    ("rlo", "disguise.rlo_override"),
    ("zw", "disguise.zero_width"),
    ("trail", "disguise.trailing_dots_spaces"),
):
    _klass(_kl, "film", "executable")(_exec_disguise(_style))


@_klass("disguise.film_claim_executable", "film", "executable")
def _film_exe(rng: random.Random) -> _Made:
    """A film name whose payload is an executable (no double extension)."""
    name, _, words, year = _scene_film_name(rng)
    real = rng.choice(("exe", "exe", "exe", "msi", "scr", "com", "bat", "cmd"))
    style = rng.randrange(4)
    if style == 0:
        return _single(f"{name}.{real}", _exe_size(rng))
    if style == 1:
        exe = rng.choice(
            (
                "Play Movie",
                "Setup",
                "Player",
                "Codec Installer",
                "Watch Now",
                "Install",
                "Start",
                "HD Player",
                "Video Player Setup",
            )
        )
        files = [(f"{exe}.{real}", _s(rng, 500 * KB, 60 * MB))]
        if rng.random() < 0.5:
            blob = f"{name}.{rng.choice(('dat', 'bin', 'pak'))}"
            files.append((blob, _s(rng, 100 * KB, files[0][1] // 2)))
        if rng.random() < 0.5:
            files.append(
                (
                    rng.choice(("Read me first.txt", "How to watch.txt", "Instructions.txt")),
                    _s(rng, 100, 4 * KB),
                )
            )
        return _Made(name, files)
    if style == 2:
        files = [(f"{' '.join(words)} ({year}).{real}", _s(rng, 300 * MB, 3 * GB))]
        files.append((f"{name}.nfo", _s(rng, 1 * KB, 8 * KB)))
        return _Made(name, files)
    n = rng.randint(2, 6)
    files = [(f"{name}.CD{i + 1}.{real}", _s(rng, 300 * MB, 800 * MB)) for i in range(n)]
    return _Made(name, files)


@_klass("disguise.music_claim_executable", "music", "executable")
def _music_exe(rng: random.Random) -> _Made:
    artist, album = _artist(rng), " ".join(_words(rng, 1, 4))
    name = rng.choice(
        (
            f"{artist} - {album} ({_year(rng, 1965)}) [FLAC]",
            f"{artist} - {album} [MP3 320]",
            f"{artist} - Discography",
        )
    )
    real = rng.choice(("exe", "exe", "scr", "com", "msi", "bat"))
    if rng.random() < 0.5:
        files = [
            (f"{i:02d} - {' '.join(_words(rng, 1, 3))}.{real}", _s(rng, 3 * MB, 60 * MB))
            for i in range(1, rng.randint(4, 16))
        ]
    else:
        files = [
            (
                rng.choice(
                    ("Album Player", "Download Album", "Setup", "Listen Now", f"{artist} - {album}")
                )
                + f".{real}",
                _s(rng, 200 * KB, 400 * MB),
            )
        ]
        if rng.random() < 0.6:
            files.append(("cover.jpg", _s(rng, 30 * KB, min(400 * KB, files[0][1] // 2))))
    return _Made(name, files)


@_klass("disguise.photos_claim_executable", "photos", "executable")
def _photos_exe(rng: random.Random) -> _Made:
    place = (
        f"{rng.choice(_EN)}"
        f" {rng.choice(('Holiday', 'Trip', 'Wallpapers', 'Photo Album', 'Pictures'))}"
    )
    name = rng.choice(
        (f"{place} {_year(rng, 2005)}", f"{place} ({rng.randint(20, 400)} photos)", f"{place} HD")
    )
    real = rng.choice(("scr", "exe", "scr", "pif", "com"))
    start = rng.randint(1, 9000)
    style = rng.randrange(3)
    files = [
        (
            (
                f"IMG_{start + i:04d}.{real}",
                f"photo_{i + 1:03d}.{real}",
                f"DSC{start + i:05d}.{real}",
            )[style],
            _s(rng, 200 * KB, 30 * MB),
        )
        for i in range(rng.randint(1, 40))
    ]
    if rng.random() < 0.3:
        files.append(("Slideshow.exe", _s(rng, 1 * MB, 50 * MB)))
    return _Made(name, _unique(files))


_LURE_WORDS = (
    "Unlock Code",
    "PASSWORD here",
    "get key",
    "password",
    "Password",
    "PASSWORD",
    "Password for archive",
    "READ ME - password",
    "How to get the password",
    "Access code",
    "unlock_key",
    "Key to open",
    "click here for password",
    "pass",
    "pw",
    "Archive password - visit site",
    "code to extract",
    "__PASSWORD__",
    "!!! password !!!",
    "Get Password",
    "password inside",
    "unlock",
    "Enter code",
    "Access Key",
    "get the unlock code here",
    "Extract Password",
    "archive key",
    "PassWord.Here",
    "Passwort",
    "Kennwort",
    "Passwort hier",
    "Entsperrcode",
    "Schlüssel",
    "contraseña",
    "clave",
    "código de desbloqueo",
    "mot de passe",
    "code d'accès",
    "clé",
    "password per aprire",
    "senha",
    "código de acesso",
    "пароль",
    "ключ",
    "код доступа",
    "hasło",
    "wachtwoord",
    "şifre",
    "heslo",
    "パスワード",
    "解压密码",
    "密码",
    "비밀번호",
    "kata sandi",
    "lösenord",
    "adgangskode",
    "salasana",
    "κωδικός",
    "كلمة السر",
    "סיסמה",
)


def _lure(rng: random.Random, exts: tuple[str, ...]) -> _Made:
    claim = rng.choice(
        ("film", "photos", "game_pc", "game_console", "software", "other", "series", "music")
    )
    if claim in ("film", "series", "music", "photos"):
        name, _ = _claim_stem(rng, claim)
    elif claim == "game_pc":
        name = rng.choice(
            (
                f"{_gname(rng)} [Repack]",
                f"{_dots(_gname(rng))}-{_group(rng)}",
                f"{_gname(rng)} PC Full",
            )
        )
    elif claim == "game_console":
        name = f"{_gname(rng)} [{rng.choice(('PS2', 'PS3', 'NSW', 'Wii', 'XBOX360', 'PSP'))}]"
    elif claim == "software":
        name = f"{_app(rng)} {_ver(rng)} Full"
    else:
        name = rng.choice(
            (
                f"{' '.join(_words(rng, 1, 3))} Collection",
                f"{' '.join(_words(rng, 1, 3))} - full pack",
                f"{_inv(rng)}_{rng.randint(100, 99999)}",
            )
        )
    arch = rng.choice(("rar", "7z", "zip", "rar"))
    astem = rng.choice(
        (
            _dots(name).replace(".", "_"),
            "archive",
            "data",
            "files",
            f"{rng.getrandbits(40):010x}",
            "full",
            "pack",
            _inv(rng).lower(),
        )
    )
    total = _s(rng, 80 * MB, 9 * GB)
    files: list[tuple[str, int]]
    if rng.random() < 0.2:
        n = rng.randint(2, 6)
        files = [(f"{astem}.part{i + 1}.rar", total // n) for i in range(n)]
    else:
        files = [(f"{astem}.{arch}", total)]
    word = rng.choice(_LURE_WORDS)
    word = _maybe_case(rng, word, 0.15)
    ext = rng.choice(exts)
    files.append((f"{word}.{ext}", _s(rng, 40, 3 * KB)))
    if rng.random() < 0.2:
        files.append(
            (
                f"{rng.choice(_LURE_WORDS)} ({rng.randint(2, 3)}).{rng.choice(exts)}",
                _s(rng, 40, 3 * KB),
            )
        )
    return _Made(name, _unique(files), claim=claim)


@_klass("disguise.lure_archive_text", "other", "archive")
def _lure_text(rng: random.Random) -> _Made:
    return _lure(rng, ("txt", "txt", "txt", "rtf", "nfo", "doc"))


@_klass("disguise.lure_archive_link", "other", "archive")
def _lure_link(rng: random.Random) -> _Made:
    return _lure(rng, ("url", "url", "html", "htm", "webloc", "website", "mht"))


def _videos(
    rng: random.Random, n: int, lo: float = 10 * MB, hi: float = 1.5 * GB, prefix: str = ""
) -> list[tuple[str, int]]:
    style = rng.randrange(6)
    ext = rng.choice(("mp4", "avi", "wmv", "mkv", "mov", "flv", "mpg", "ts", "m4v", "3gp", "webm"))
    start = rng.randint(1, 9999)
    out = []
    for i in range(n):
        if rng.random() < 0.15:
            ext = rng.choice(("mp4", "avi", "wmv", "mkv", "mov"))
        stem = (
            f"clip{i + 1:02d}",
            f"video ({i + 1})",
            f"VID_{_year(rng, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}_{start + i}",
            f"part{i + 1}",
            f"{_inv(rng).lower()}_{i}",
            f"MOV_{start + i:04d}",
        )[style]
        out.append((f"{prefix}{stem}.{ext}", _s(rng, lo, hi)))
    return _unique(out)


def _images(
    rng: random.Random, n: int, lo: float = 0.5 * MB, hi: float = 12 * MB, prefix: str = ""
) -> list[tuple[str, int]]:
    style = rng.randrange(5)
    start = rng.randint(1, 9000)
    out = []
    main = rng.choice(("jpg", "JPG", "jpeg", "png", "jpg", "webp", "heic", "gif"))
    for i in range(n):
        ext = main if rng.random() < 0.9 else rng.choice(("jpg", "png", "JPG", "gif"))
        stem = (
            f"IMG_{start + i:04d}",
            f"DSC{start + i:05d}",
            f"{i + 1:03d}",
            f"image ({i + 1})",
            f"photo_{rng.getrandbits(32):08x}",
        )[style]
        folder = prefix + (
            rng.choice(("", "", "set1/", "set2/", "new/")) if rng.random() < 0.3 else ""
        )
        out.append((f"{folder}{stem}.{ext}", _s(rng, lo, hi)))
    return _unique(out)


def _console_name(rng: random.Random) -> str:
    g = _gname(rng)
    plat = rng.choice(
        (
            "PS2",
            "PS2.PAL",
            "PS2.NTSC",
            "PS3",
            "PS4",
            "PSP",
            "NSW",
            "Wii",
            "WiiU",
            "XBOX360",
            "GC",
            "NDS",
            "3DS",
            "PSV",
        )
    )
    return rng.choice(
        (
            f"{_dots(g)}.{plat}-{_group(rng)}",
            f"{g} [{plat.split('.')[0]}] [{rng.choice(_REGIONS)}]",
            f"{g} ({rng.choice(_REGIONS)}) ({plat.split('.')[0]})",
            f"{g} {plat.split('.')[0]} ISO",
            f"{_dots(g)}.{plat}.DVD-{_group(rng)}",
        )
    )


def _decoys(rng: random.Random, name: str, p: float = 0.5) -> list[tuple[str, int]]:
    out = []
    if rng.random() < p:
        out.append(
            (
                rng.choice((f"{_dots(name).lower()[:20]}.nfo", "readme.txt", "info.txt")),
                _s(rng, 300, 12 * KB),
            )
        )
    if rng.random() < p * 0.5:
        out.append((rng.choice(("cover.jpg", "folder.jpg", "box.png")), _s(rng, 30 * KB, 600 * KB)))
    return out


@_klass("disguise.console_claim_video", "game_console", "video")
def _console_video(rng: random.Random) -> _Made:
    name = _console_name(rng)
    files = _videos(
        rng, rng.randint(1, 60), prefix=rng.choice(("", "", "DATA/", "VIDEO/", "Disc/"))
    )
    if len(files) == 1 and rng.random() < 0.4:
        return _single(f"{_dots(name).lower()}.{files[0][0].rsplit('.', 1)[1]}", files[0][1])
    return _Made(name, files + _decoys(rng, name))


@_klass("disguise.console_claim_video_decoy", "game_console", "video")
def _console_video_decoy(rng: random.Random) -> _Made:
    """A console game of videos with a small disc image or package as a decoy."""
    name = _console_name(rng)
    files = _videos(rng, rng.randint(3, 60), lo=50 * MB, hi=2 * GB)
    decoy = rng.choice(("iso", "bin", "cso", "nsp", "xci", "pkg", "wbfs", "chd"))
    files.append((f"{_dots(name).lower()[:24]}.{decoy}", _s(rng, 1 * MB, 60 * MB)))
    if decoy == "bin":
        files.append((f"{_dots(name).lower()[:24]}.cue", _s(rng, 80, 400)))
    return _Made(name, files + _decoys(rng, name))


@_klass("disguise.console_claim_photos", "game_console", "image")
def _console_photos(rng: random.Random) -> _Made:
    name = _console_name(rng)
    files = _images(
        rng, rng.randint(10, 800), prefix=rng.choice(("", "", "DATA/", "Images/", "disc/"))
    )
    return _Made(name, files + _decoys(rng, name, 0.4))


@_klass("disguise.console_tiny", "game_console", "disc_image")
def _console_tiny(rng: random.Random) -> _Made:
    """A full console disc game of a few megabytes (disc media only)."""
    g = _gname(rng)
    plat, ext = rng.choice(
        (
            ("PS2", "iso"),
            ("PS2.DVD", "iso"),
            ("PS3", "iso"),
            ("XBOX360", "iso"),
            ("Wii", "iso"),
            ("Wii", "wbfs"),
            ("GC", "iso"),
            ("PS4", "pkg"),
            ("WiiU", "wud"),
            ("PS2.PAL", "iso"),
            ("XBOX", "iso"),
        )
    )
    name = rng.choice(
        (
            f"{_dots(g)}.{plat}-{_group(rng)}",
            f"{g} [{plat.split('.')[0]}] [{rng.choice(_REGIONS)}] Full Game",
            f"{g} ({rng.choice(_REGIONS)}) ({plat.split('.')[0]}) ISO",
        )
    )
    size = _s(rng, 1.5 * MB, 12 * MB)
    style = rng.randrange(3)
    if style == 0:  # a single file: its name is the torrent's and says the platform
        return _single(f"{_dots(g)}.{plat}-{_group(rng)}.{ext}", size)
    if style == 1:
        files = [(f"{_dots(g).lower()}.{ext}", size), *_decoys(rng, name, 0.7)]
        return _Made(name, files)
    return _Made(
        name,
        [
            (f"{_dots(g).lower()}.{rng.choice(('rar', '7z', 'zip'))}", size),
            *_decoys(rng, name, 0.7),
        ],
        content="archive",
    )


@_klass("disguise.pcgame_claim_video", "game_pc", "video")
def _pcgame_video(rng: random.Random) -> _Made:
    g = _gname(rng)
    name = rng.choice(
        (
            f"{_dots(g)}-{_group(rng)}",
            f"{g} [{_inv(rng)} Repack]",
            f"{g} v{_ver(rng)} PC Game",
            f"{g} ({_year(rng, 2005)}) PC",
        )
    )
    files = _videos(rng, rng.randint(2, 50))
    if rng.random() < 0.4:
        files.append(("setup.exe", _s(rng, 300 * KB, 6 * MB)))
    return _Made(name, files + _decoys(rng, name, 0.3))


@_klass("disguise.pcgame_claim_photos", "game_pc", "image")
def _pcgame_photos(rng: random.Random) -> _Made:
    g = _gname(rng)
    name = rng.choice(
        (f"{_dots(g)}-{_group(rng)}", f"{g} [Repack]", f"{g} - Complete Edition (PC)")
    )
    files = _images(rng, rng.randint(15, 600))
    return _Made(name, files + _decoys(rng, name, 0.3))


@_klass("disguise.linux_claim_video", "software", "video")
def _linux_video(rng: random.Random) -> _Made:
    distro = rng.choice(_DISTROS)
    base = (
        f"{distro}-{rng.randint(3, 40)}.{rng.randint(0, 12)}"
        f"-{rng.choice(('desktop', 'live', 'DVD-1', 'server'))}"
        f"-{rng.choice(('amd64', 'x86_64', 'i386'))}"
    )
    if rng.random() < 0.35:
        return _single(
            f"{base}.{rng.choice(('mp4', 'avi', 'mkv', 'wmv'))}", _s(rng, 500 * MB, 4 * GB)
        )
    files = _videos(rng, rng.randint(2, 40))
    if rng.random() < 0.4:
        files.append(("SHA256SUMS", _s(rng, 90, 1 * KB)))
    return _Made(base, files)


@_klass("disguise.software_claim_images", "software", "image")
def _software_images(rng: random.Random) -> _Made:
    app, ver = _app(rng), _ver(rng)
    name = rng.choice(
        (
            f"{app} {ver} (x64) Multilingual",
            f"{app.replace(' ', '.')}.v{ver}-{_group(rng)}",
            f"{app} {_year(rng, 2012)} Full Setup",
            f"{app} {ver} Portable",
        )
    )
    files = _images(rng, rng.randint(5, 500))
    if rng.random() < 0.4:
        files.append(
            (rng.choice(("readme.txt", "setup.exe", "install.txt")), _s(rng, 200, 900 * KB))
        )
    return _Made(name, files)


@_klass("disguise.software_claim_video", "software", "video")
def _software_video(rng: random.Random) -> _Made:
    app, ver = _app(rng), _ver(rng)
    name = rng.choice(
        (
            f"{app} {ver} (x64)",
            f"{app.replace(' ', '.')}.v{ver}-{_group(rng)}",
            f"{app} {ver} macOS",
            f"{app} {_year(rng, 2012)} Pro",
        )
    )
    files = _videos(rng, rng.randint(1, 30))
    if rng.random() < 0.4:
        files.append((rng.choice(("readme.txt", "setup.exe", "License.rtf")), _s(rng, 200, 2 * MB)))
    if len(files) == 1 and rng.random() < 0.5:
        return _single(
            f"{app.replace(' ', '')}_{ver}_setup.{files[0][0].rsplit('.', 1)[1]}", files[0][1]
        )
    return _Made(name, files)


@_klass("disguise.ebook_claim_video", "ebook", "video")
def _ebook_video(rng: random.Random) -> _Made:
    n = rng.randint(10, 500)
    topic = rng.choice(
        (
            "Classic Novels",
            "Science Fiction",
            "Cookbooks",
            "Programming",
            "History",
            "Mystery",
            "Fantasy",
        )
    )
    name = rng.choice(
        (
            f"{n} {topic} Ebooks Collection [EPUB]",
            f"{topic} - Ebook Pack (PDF)",
            f"Ebook Library {_year(rng, 2010)} - {topic}",
            f"{_author(rng)} - Complete Works (EPUB, MOBI)",
        )
    )
    files = _videos(rng, rng.randint(2, 60))
    for _ in range(rng.choice((0, 0, rng.randint(1, 8)))):
        files.append(
            (
                f"{_author(rng)} - {' '.join(_words(rng, 1, 4))}"
                f".{rng.choice(('epub', 'pdf', 'mobi'))}",
                _s(rng, 0.3 * MB, 4 * MB),
            )
        )
    return _Made(name, _unique(files))


@_klass("disguise.music_claim_images", "music", "image")
def _music_images(rng: random.Random) -> _Made:
    artist, album = _artist(rng), " ".join(_words(rng, 1, 4))
    name = rng.choice(
        (
            f"{artist} - {album} ({_year(rng, 1965)}) [FLAC]",
            f"{artist} - {album} [MP3 320]",
            f"{artist} - Discography (FLAC)",
            f"{artist}-{album}-WEB-{_year(rng, 2000)}-{_group(rng)}",
        )
    )
    files = _images(rng, rng.randint(10, 400))
    if rng.random() < 0.3:
        files.append((f"{artist} - {album}.cue", _s(rng, 500, 4 * KB)))
    return _Made(name, files)


@_klass("disguise.music_claim_video", "music", "video")
def _music_video(rng: random.Random) -> _Made:
    artist, album = _artist(rng), " ".join(_words(rng, 1, 4))
    name = rng.choice(
        (
            f"{artist} - {album} ({_year(rng, 1965)}) [FLAC]",
            f"{artist} - {album} (320 kbps)",
            f"{artist} - Greatest Hits [MP3]",
            f"{artist} - {album} [24-96]",
        )
    )
    files = _videos(rng, rng.randint(1, 30))
    if rng.random() < 0.4:
        files.append(("cover.jpg", _s(rng, 30 * KB, 900 * KB)))
    if rng.random() < 0.3:
        files += [
            (f"{i:02d} - {' '.join(_words(rng, 1, 3))}.mp3", _s(rng, 2 * MB, 9 * MB))
            for i in range(1, rng.randint(2, 3))
        ]
    return _Made(name, _unique(files))


@_klass("disguise.film_claim_images", "film", "image")
def _film_images(rng: random.Random) -> _Made:
    name, _, _, _ = _scene_film_name(rng)
    files = _images(rng, rng.randint(30, 900), lo=0.3 * MB, hi=10 * MB)
    if rng.random() < 0.5:
        files.append((f"{name}.nfo", _s(rng, 1 * KB, 10 * KB)))
    return _Made(name, files)


@_klass("disguise.series_claim_images", "series", "image")
def _series_images(rng: random.Random) -> _Made:
    show = _show(rng)
    t = _vtags(rng, tv=True)
    s = rng.randint(1, 8)
    name = rng.choice(
        (
            ".".join([_dots(show), f"S{s:02d}", *t.tags]) + f"-{_group(rng)}",
            f"{' '.join(show)} - Season {s} Complete",
            f"{' '.join(show)} S{s:02d} {t.res}",
        )
    )
    files = []
    for e in range(1, rng.randint(2, 13)):
        files += _images(
            rng,
            rng.randint(5, 60),
            prefix=f"E{e:02d}/" if rng.random() < 0.7 else f"{' '.join(show)} S{s:02d}E{e:02d}/",
        )
    return _Made(name, _unique(files))


@_klass("disguise.series_claim_executable", "series", "executable")
def _series_exe(rng: random.Random) -> _Made:
    """A season pack whose "episodes" are executables (no double extension)."""
    show = _show(rng)
    t = _vtags(rng, tv=True)
    s = rng.randint(1, 9)
    grp = _group(rng)
    name = rng.choice(
        (
            ".".join([_dots(show), f"S{s:02d}", *t.tags]) + f"-{grp}",
            f"{' '.join(show)} - Season {s} Complete [{t.res or '480p'}]",
            f"{' '.join(show)} S{s:02d} {t.res} {t.source}",
        )
    )
    real = rng.choice(("exe", "exe", "scr", "com", "msi"))
    style = rng.randrange(3)
    files = []
    for e in range(1, rng.randint(2, 14)):
        stem = (
            ".".join([_dots(show), f"S{s:02d}E{e:02d}", *t.tags]) + f"-{grp}",
            f"{' '.join(show)} - S{s:02d}E{e:02d}",
            f"Episode {e:02d}",
        )[style]
        files.append((f"{stem}.{real}", _exe_size(rng)))
    if rng.random() < 0.4:
        files.append(
            (
                rng.choice(("Watch first.txt", f"{name}.nfo", "poster.jpg")),
                _s(rng, 300, min(400 * KB, sum(size for _, size in files) // 4)),
            )
        )
    return _Made(name, files)


@_klass("disguise.ebook_claim_executable", "ebook", "executable")
def _ebook_exe(rng: random.Random) -> _Made:
    topic = rng.choice(
        ("Classic Novels", "Cookbooks", "Programming", "History", "Fantasy", "Language Courses")
    )
    n = rng.randint(5, 300)
    name = rng.choice(
        (
            f"{n} {topic} Ebooks Collection [EPUB]",
            f"{topic} - Ebook Pack (PDF)",
            f"{_author(rng)} - {' '.join(_words(rng, 1, 4))} [EPUB]",
        )
    )
    real = rng.choice(("exe", "exe", "scr", "com", "lnk", "js", "hta"))
    if rng.random() < 0.5:
        files = [
            (f"{_author(rng)} - {' '.join(_words(rng, 1, 4))}.{real}", _s(rng, 200 * KB, 40 * MB))
            for _ in range(rng.randint(2, 40))
        ]
    else:
        files = [
            (
                rng.choice(
                    (
                        "Ebook Reader.exe",
                        "Open Library.exe",
                        "Install Books.exe",
                        "Library Setup.msi",
                    )
                ),
                _s(rng, 5 * MB, 900 * MB),
            )
        ]
        if rng.random() < 0.5:
            files.append(("books.dat", _s(rng, 100 * KB, files[0][1] // 2)))
    return _Made(name, _unique(files))


@_klass("disguise.photos_claim_video", "photos", "video")
def _photos_video(rng: random.Random) -> _Made:
    """A photo set whose bytes are nearly all video (a few small images as a decoy)."""
    place = (
        f"{rng.choice(_EN)}"
        f" {rng.choice(('Holiday', 'Photos', 'Photo Album', 'Pictures', 'Wallpapers', 'Photoset'))}"
    )
    name = rng.choice(
        (
            f"{place} {_year(rng, 2005)}",
            f"{place} ({rng.randint(20, 400)} photos)",
            f"{place} [JPG]",
            f"{place} HQ Pics",
        )
    )
    files = _videos(rng, rng.randint(2, 40), lo=40 * MB, hi=2 * GB)
    if rng.random() < 0.6:
        files += _images(rng, rng.randint(1, 12), lo=100 * KB, hi=3 * MB)
    return _Made(name, _unique(files))


@_klass("disguise.ebook_claim_images", "ebook", "image")
def _ebook_images(rng: random.Random) -> _Made:
    """An ebook collection of camera photos (not comic pages: no cbz, no page numbering)."""
    topic = rng.choice(
        ("Classic Novels", "Science Fiction", "Cookbooks", "Mystery", "Poetry", "Travel Guides")
    )
    name = rng.choice(
        (
            f"{rng.randint(10, 500)} {topic} Ebooks [EPUB]",
            f"{topic} - Ebook Pack (PDF, MOBI)",
            f"{_author(rng)} - Collected Works (EPUB)",
        )
    )
    files = _images(rng, rng.randint(20, 700), lo=1 * MB, hi=9 * MB)
    if rng.random() < 0.3:
        files.append(
            (f"{_author(rng)} - {' '.join(_words(rng, 1, 3))}.epub", _s(rng, 300 * KB, 2 * MB))
        )
    return _Made(name, files)


# --------------------------------------------------------------------------- padding, build

_BITCOMET_PAD = (
    "_____padding_file_{k}_如果您看到此文件，请升级到BitComet(比特彗星)0.85或以上版本____"  # noqa: RUF001 (the real name)
)


def _unique(files: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Drop repeated paths (a torrent lists each path once), keeping the first."""
    seen: set[str] = set()
    out = []
    for path, size in files:
        if path not in seen:
            seen.add(path)
            out.append((path, size))
    return out


def _pad(rng: random.Random, files: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Padding files as BitComet and BEP 47 makers write them: after each file but the
    last, as many bytes as reach the next piece boundary (the piece size chosen as
    ``torrentwatch.synth.encode`` chooses it)."""
    total = sum(size for _, size in files)
    piece = 256 * KB
    while -(-total // piece) > 256:
        piece *= 2
    bitcomet = rng.random() < 0.5
    out: list[tuple[str, int]] = []
    for k, (path, size) in enumerate(files):
        out.append((path, size))
        pad = -size % piece
        if k < len(files) - 1 and pad:
            out.append((_BITCOMET_PAD.format(k=k) if bitcomet else f".pad/{pad}", pad))
    return _unique(out)


def classes() -> tuple[str, ...]:
    """Every class id, in a stable order."""
    return tuple(_CLASSES)


PER_CLASS_DEFAULT = 18


def _make(seed: int, spec: _Spec, index: int, attempt: int) -> HeldoutItem:
    rng = random.Random(f"heldout/{GENERATOR_VERSION}/{seed}/{spec.klass}/{index}/{attempt}")
    made = spec.make(rng)
    files = _unique(made.files)
    single = made.single and len(files) == 1 and files[0][0] == made.name
    if not single and len(files) > 1 and rng.random() < 0.12:
        files = _pad(rng, files)
    return HeldoutItem(
        name=made.name,
        files=tuple(files),
        disguised=spec.disguised,
        klass=spec.klass,
        claim=made.claim or spec.claim,
        content=made.content or spec.content,
        multi_file=not single,
    )


def corpus(seed: int = HELDOUT_SEED, per_class: int = PER_CLASS_DEFAULT) -> list[HeldoutItem]:
    """``per_class`` items of every class, deterministic for (seed, per_class); names unique."""
    items: list[HeldoutItem] = []
    names: set[str] = set()
    for spec in _CLASSES.values():
        for index in range(per_class):
            for attempt in range(50):
                item = _make(seed, spec, index, attempt)
                if item.name not in names:
                    break
            else:  # pragma: no cover - 50 collisions in a row cannot happen with these vocabularies
                raise RuntimeError(f"no unique name for {spec.klass} #{index}")
            names.add(item.name)
            items.append(item)
    return items
