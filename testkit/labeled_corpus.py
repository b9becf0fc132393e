"""A labeled synthetic corpus for measuring the default rule packs, and its scoring.

A precision/recall figure is only as honest as its negatives: a corpus of obvious
disguises and obvious films says nothing. So every disguise the issue names is
generated in several variants, and beside them the honest releases that look most like
them (hard negatives): a PC game with ``setup.exe``, a console game with a trailer, a
longplay or soundtrack named after a game, a small retro ROM, a Switch update, a
password-manager installer, right-to-left names, names ending in dots. Every item
carries the rule ids that must flag it (none for an honest release), so the figures
can be read per rule as well as per torrent.

Everything is benign and synthetic: invented titles, made-up release groups, file
listings of files that never existed (``torrentwatch.synth``). Generation is
deterministic for a seed. ``evaluate`` runs the real pipeline (encode, ingest,
``hashlist import``, ``flag``) in a folder; ``score`` is the pure confusion count.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import libtorrent as lt

from torrentwatch.synth import SynthTorrent, encode

KB, MB, GB = 1_000, 1_000_000, 1_000_000_000

CONSOLE_MEDIA = "disguise.console-release-media-payload"
EXE_IN_VIDEO = "disguise.executable-in-video-release"
DOUBLE_EXT = "disguise.double-extension"
BIDI = "disguise.bidi-control"
LURE = "disguise.encrypted-archive-lure"
TOO_SMALL = "disguise.console-game-too-small"
TRAILING = "disguise.trailing-dot-space"
KNOWN = "known.on-any-list"
RULE_IDS = (CONSOLE_MEDIA, EXE_IN_VIDEO, DOUBLE_EXT, BIDI, LURE, TOO_SMALL, TRAILING, KNOWN)
KNOWN_LIST_NAME = "synthetic-known"

Files = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class LabeledTorrent:
    """One torrent of the corpus: its case kind, what to encode, the rules that must
    flag it (empty: honest), and whether its infohash goes on the known list."""

    kind: str
    spec: SynthTorrent
    expected: frozenset[str]
    hard_negative: bool = False
    on_known_list: bool = False

    @property
    def disguised(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True, slots=True)
class Case:
    """A kind of release: ``make(rng)`` gives a name and files (one file at the root
    makes a single-file torrent)."""

    kind: str
    expected: frozenset[str]
    make: Callable[[random.Random], tuple[str, Files]]
    hard_negative: bool = False
    on_known_list: bool = False


# ------------------------------------------------------------------ vocabulary

_GAME_WORDS = (
    "Kart", "Racer", "Galaxy", "Quest", "Pixel", "Dungeon", "Robot", "Castle", "Sky",
    "Tiny", "Knights", "Lantern", "Forge", "Comet", "Drift", "Puzzle", "Iron", "Meadow",
    "Star", "Pilot", "Marble", "Tower", "Harvest", "Rocket",
)  # fmt: skip
_FILM_WORDS = (
    "Harbor", "Lights", "Mountain", "Echo", "Silent", "Orchard", "Winter", "Lantern",
    "River", "Song", "Autumn", "Bridge", "Paper", "Moon", "Quiet", "Valley", "Northern",
    "Garden", "Little", "Station", "Amber", "Road", "Distant", "Shore",
)  # fmt: skip
_PEOPLE = ("Ada Vale", "Tom Reed", "Mira Stone", "Jon Ashby", "Lena Holt", "Otto Brand")
_GROUPS = ("SYNTH", "DEMO", "FAKEGRP", "BENIGN", "TESTREL", "NOGRP")
_ARABIC = ("نجوم الصيف", "حديقة القمر", "طريق البحر", "ليالي الشتاء")
_HEBREW = ("אור הנמל", "שיר הנהר", "גן הירח", "דרך החוף")
# Software whose name holds a film word (4K, HDR, WEB, x264) next to honest ones.
_SOFTWARE = (
    "4K.Video.Downloader", "HDR.Photo.Studio", "Web.Browser", "Video.Converter.x264",
    "Screen.Recorder.Pro", "Office.Suite", "Backup.Manager", "Audio.Editor",
)  # fmt: skip
# Platform tag in the name, the game file extension and a plausible game size range.
_CONSOLES = (
    ("PS2", "iso", (1 * GB, 4 * GB)),
    ("PS3", "iso", (4 * GB, 20 * GB)),
    ("PS4", "pkg", (8 * GB, 40 * GB)),
    ("PSP", "cso", (200 * MB, 1 * GB)),
    ("NSW", "nsp", (1 * GB, 12 * GB)),
    ("NSW", "xci", (1 * GB, 12 * GB)),
    ("X360", "iso", (4 * GB, 8 * GB)),
    ("Wii", "wbfs", (500 * MB, 4 * GB)),
    ("3DS", "3ds", (128 * MB, 2 * GB)),
)
_REGIONS = ("PAL", "NTSC", "USA", "EUR", "MULTI5")


def _title(rng: random.Random, words: Sequence[str], sep: str = ".") -> str:
    return sep.join(rng.sample(list(words), rng.choice((2, 2, 3))))


def _group(rng: random.Random) -> str:
    return rng.choice(_GROUPS)


def _size(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high)


def _console_name(rng: random.Random) -> tuple[str, str, tuple[int, int]]:
    tag, ext, sizes = rng.choice(_CONSOLES)
    name = f"{_title(rng, _GAME_WORDS)}.{tag}.{rng.choice(_REGIONS)}-{_group(rng)}"
    return name, ext, sizes


def _film_name(rng: random.Random) -> str:
    year = rng.randint(1950, 2024)
    res = rng.choice(("720p", "1080p", "2160p"))
    src = rng.choice(("BluRay.x264", "WEB-DL.x264", "WEBRip.x265", "BDRip.XviD"))
    return f"{_title(rng, _FILM_WORDS)}.{year}.{res}.{src}-{_group(rng)}"


def _tv_name(rng: random.Random) -> str:
    s, e = rng.randint(1, 9), rng.randint(1, 24)
    return f"{_title(rng, _FILM_WORDS)}.S{s:02d}E{e:02d}.720p.WEB.x264-{_group(rng)}"


def _video_name(rng: random.Random) -> str:
    return _film_name(rng) if rng.random() < 0.6 else _tv_name(rng)


def _photo_name(rng: random.Random) -> str:
    place = rng.choice(("Summer", "Winter", "Garden", "Harbor", "Mountain", "Lake"))
    what = rng.choice(("Holiday Photos", "Photos", "Pictures", "Wedding Album", "Trip"))
    return f"{place} {what} {rng.randint(2005, 2024)}"


def _photos(rng: random.Random, low: int = 8, high: int = 60) -> list[tuple[str, int]]:
    start = rng.randint(1, 8000)
    prefix = rng.choice(("IMG_", "DSC_", "P", "photo"))
    return [
        (
            f"{prefix}{start + i:04d}.{rng.choice(('jpg', 'JPG', 'jpeg', 'png'))}",
            _size(rng, MB, 9 * MB),
        )
        for i in range(rng.randint(low, high))
    ]


def _album_name(rng: random.Random) -> str:
    fmt = rng.choice(("FLAC", "MP3", "MP3 320kbps"))
    artist, title = rng.choice(_PEOPLE), _title(rng, _FILM_WORDS, " ")
    return f"{artist} - {title} ({rng.randint(1970, 2024)}) [{fmt}]"


def _tracks(rng: random.Random, ext: str | None = None) -> list[tuple[str, int]]:
    ext = ext or rng.choice(("flac", "mp3"))
    per = (20 * MB, 45 * MB) if ext == "flac" else (4 * MB, 11 * MB)
    return [
        (f"{i:02d} - {_title(rng, _FILM_WORDS, ' ')}.{ext}", _size(rng, *per))
        for i in range(1, rng.randint(6, 14))
    ]


def _movie_files(rng: random.Random, name: str) -> list[tuple[str, int]]:
    return [(f"{name}.{rng.choice(('mkv', 'mp4', 'avi'))}", _size(rng, 700 * MB, 9 * GB))]


# ------------------------------------------------------------------ disguised


def _console_media(rng: random.Random) -> tuple[str, Files]:
    name, _, _ = _console_name(rng)
    files: list[tuple[str, int]] = []
    if rng.random() < 0.7:
        files += [
            (
                f"clip{i:02d}.{rng.choice(('avi', 'mp4', 'mkv', 'wmv'))}",
                _size(rng, 60 * MB, 900 * MB),
            )
            for i in range(rng.randint(1, 25))
        ]
    if not files or rng.random() < 0.5:
        files += [(f"pics/{p}", s) for p, s in _photos(rng, 10, 120)]
    if sum(size for _, size in files) <= 31 * MB:  # too small is another case kind
        files.append(("clip99.mp4", _size(rng, 60 * MB, 900 * MB)))
    if rng.random() < 0.4:
        files.append((f"{name}.nfo", _size(rng, 2 * KB, 9 * KB)))
    return name, tuple(files)


def _console_media_decoy(rng: random.Random) -> tuple[str, Files]:
    """A media payload with a token 'game image' of a few MB beside it."""
    name, ext, _ = _console_name(rng)
    clips = [
        (f"video{i:02d}.mp4", _size(rng, 200 * MB, 900 * MB)) for i in range(rng.randint(2, 12))
    ]
    return name, (*clips, (f"game.{ext}", _size(rng, 100 * KB, 5 * MB)))


def _console_too_small(rng: random.Random) -> tuple[str, Files]:
    name, ext, _ = _console_name(rng)
    choice = rng.randrange(4)
    if choice == 0:
        files: Files = ((f"game.{ext}", _size(rng, 200 * KB, 25 * MB)),)
    elif choice == 1:
        files = (("Launcher.exe", _size(rng, 1 * MB, 9 * MB)), (f"{name}.nfo", 4 * KB))
    elif choice == 2:
        files = (("game.zip", _size(rng, 2 * MB, 25 * MB)), ("readme.txt", 2 * KB))
    else:
        files = ((f"{name.split('-')[0]}.{ext}", _size(rng, 300 * KB, 20 * MB)),)
    return name, files


def _console_fake_update(rng: random.Random) -> tuple[str, Files]:
    """A tiny "update" or "DLC" for a console that never had any (PS2, GameCube,
    original Xbox): the words that excuse a small release elsewhere do not here."""
    tag = rng.choice(("PS2", "GameCube", "XBOX", "PS1"))
    what = rng.choice(("Update.v1.1", "DLC", "Patch", "DLC.Pack"))
    name = f"{_title(rng, _GAME_WORDS)}.{tag}.{what}-{_group(rng)}"
    payload = rng.choice((("Launcher.exe", 4 * MB), ("update.zip", 12 * MB), ("dlc.bin", 9 * MB)))
    return name, (payload, ("readme.txt", 2 * KB))


def _console_small_video(rng: random.Random) -> tuple[str, Files]:
    name, _, _ = _console_name(rng)
    return name, (("intro.mp4", _size(rng, 5 * MB, 25 * MB)),)


_LURE_EXES = (
    ("Codec.Setup.exe", 2 * MB),
    ("Player.exe", 3 * MB),
    ("Play Movie.lnk", 2 * KB),
    ("Watch in HD.url", 1 * KB),
    ("install_codec.bat", 3 * KB),
    ("HD Player.scr", 900 * KB),
    ("Open Me.website", 1 * KB),
    ("viewer.msi", 4 * MB),
)


def _exe_in_video(rng: random.Random) -> tuple[str, Files]:
    name = _video_name(rng)
    lure, size = rng.choice(_LURE_EXES)
    files = [*_movie_files(rng, name), (lure, size)]
    if rng.random() < 0.5:
        files.append((f"{name}.srt", _size(rng, 40 * KB, 120 * KB)))
    return name, tuple(files)


def _double_ext_media(rng: random.Random) -> tuple[str, Files]:
    """A photo set or album holding one file that only looks like a photo or track."""
    if rng.random() < 0.5:
        name = _photo_name(rng)
        files = _photos(rng, 5, 30)
        files.append(
            (
                f"IMG_{rng.randint(1000, 9999)}.jpg.{rng.choice(('scr', 'exe', 'lnk'))}",
                _size(rng, 300 * KB, 3 * MB),
            )
        )
    else:
        name = _album_name(rng)
        files = _tracks(rng)
        files.append(
            (f"99 - Bonus.mp3.{rng.choice(('exe', 'scr', 'bat'))}", _size(rng, 300 * KB, 3 * MB))
        )
    rng.shuffle(files)
    return name, tuple(files)


def _padded_ext(rng: random.Random) -> tuple[str, Files]:
    """Spaces between the shown extension and the real one push ".exe" out of view:
    "IMG_1234.jpg            .exe" (the extension chain sees only "exe")."""
    name = _photo_name(rng)
    files = _photos(rng, 5, 30)
    shown = rng.choice(("jpg", "JPG", "png", "pdf", "mp4", "avi"))
    pad = rng.choice((" ", "_")) * rng.randint(3, 40)
    real = rng.choice(("exe", "scr", "EXE", "lnk", "bat"))
    files.append((f"IMG_{rng.randint(1000, 9999)}.{shown}{pad}.{real}", 2 * MB))
    return name, tuple(files)


def _double_ext_film(rng: random.Random) -> tuple[str, Files]:
    """A film whose 'video' is a program: one file, or in a folder."""
    name = _film_name(rng)
    fake = f"{name}.{rng.choice(('avi', 'mkv', 'mp4'))}.{rng.choice(('exe', 'scr', 'lnk', 'com'))}"
    if rng.random() < 0.5:
        return fake, ((fake, _size(rng, 400 * KB, 8 * MB)),)
    return name, ((fake, _size(rng, 400 * KB, 8 * MB)), ("cover.jpg", 200 * KB))


def _double_ext_doc(rng: random.Random) -> tuple[str, Files]:
    author = rng.choice(_PEOPLE)
    fake = f"{author} - {_title(rng, _FILM_WORDS, ' ')}.{rng.choice(('pdf', 'epub', 'txt'))}.exe"
    return fake, ((fake, _size(rng, 300 * KB, 4 * MB)),)


_BIDI_CONTROLS = ("\u202e", "\u202b", "\u2067", "\u202d", "\u2066")


def _bidi_file(rng: random.Random) -> tuple[str, Files]:
    mark = rng.choice(_BIDI_CONTROLS)
    name = _photo_name(rng)
    files = _photos(rng, 5, 30)
    files.append((f"IMG_{rng.randint(1000, 9999)}{mark}gpj.scr", _size(rng, 300 * KB, 3 * MB)))
    return name, tuple(files)


def _bidi_name(rng: random.Random) -> tuple[str, Files]:
    mark = rng.choice(_BIDI_CONTROLS)
    name = f"{_title(rng, _FILM_WORDS)}.{mark}{rng.choice(('4pm', 'ivm', 'gpj'))}.exe"
    return name, ((name, _size(rng, 300 * KB, 6 * MB)),)


def _bidi_film(rng: random.Random) -> tuple[str, Files]:
    """A film release with a bidi-reversed program: both the bidi and the exe rule."""
    name = _film_name(rng)
    mark = rng.choice(_BIDI_CONTROLS)
    return name, (*_movie_files(rng, name), (f"trailer{mark}4pm.exe", _size(rng, 300 * KB, 4 * MB)))


def _trailing(rng: random.Random) -> tuple[str, Files]:
    """A file whose name ends in dots or spaces (Windows drops them when writing)."""
    name = _photo_name(rng)
    files = _photos(rng, 5, 30)
    tail = rng.choice((".", " ", "  ", "..", ". "))
    stem = rng.choice(("slideshow.exe", "viewer.exe", "notes.txt", "index.html"))
    files.append((f"{stem}{tail}", _size(rng, 5 * KB, 3 * MB)))
    return name, tuple(files)


def _trailing_double(rng: random.Random) -> tuple[str, Files]:
    name = _photo_name(rng)
    files = _photos(rng, 5, 30)
    files.append((f"IMG_{rng.randint(1000, 9999)}.jpg.exe{rng.choice(('.', ' '))}", 2 * MB))
    return name, tuple(files)


_PASSWORD_FILES = (
    "Password.txt",
    "password.txt",
    "PASSWORD.html",
    "pass.txt",
    "pwd.txt",
    "Passwort.txt",
    "Archive Password.txt",
    "get_password.url",
)


def _lure(rng: random.Random) -> tuple[str, Files]:
    pick = rng.randrange(4)
    if pick == 0:
        name, _, _ = _console_name(rng)
        files = [(f"game.part{i}.rar", 500 * MB) for i in range(1, rng.randint(3, 9))]
    elif pick == 1:
        name = _photo_name(rng)
        files = [("photos.7z", _size(rng, 50 * MB, 900 * MB))]
    elif pick == 2:
        product = rng.choice(_SOFTWARE[4:])
        name = f"{product}.v{rng.randint(1, 9)}.{rng.randint(0, 9)}.x64-{_group(rng)}"
        files = [("setup.rar", _size(rng, 50 * MB, 900 * MB))]
    else:
        name = _album_name(rng)
        files = [("album.zip", _size(rng, 60 * MB, 500 * MB))]
    files.append((rng.choice(_PASSWORD_FILES), _size(rng, 100, 2 * KB)))
    return name, tuple(files)


def _lure_film(rng: random.Random) -> tuple[str, Files]:
    """A 'film' in an archive with a link to unlock it: the lure and the shortcut rule."""
    name = _film_name(rng)
    return name, (("movie.zip", _size(rng, 500 * MB, 4 * GB)), ("Get Password Here.url", 1 * KB))


def _known_photos(rng: random.Random) -> tuple[str, Files]:
    return _photo_name(rng), tuple(_photos(rng, 5, 40))


def _known_film(rng: random.Random) -> tuple[str, Files]:
    name = _film_name(rng)
    return name, tuple(_movie_files(rng, name))


# ------------------------------------------------------------------ honest


def _pc_game(rng: random.Random) -> tuple[str, Files]:
    title = _title(rng, _GAME_WORDS)
    name = rng.choice(
        (
            f"{title}.v{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.PC.GOG",
            f"{title}-{_group(rng)}",
            f"{title}.PC.Game.MULTI5-{_group(rng)}",
        )
    )
    files = [("setup.exe", _size(rng, 2 * MB, 1500 * MB)), ("readme.txt", 3 * KB)]
    files += [(f"setup-{i}.bin", _size(rng, 1 * GB, 4 * GB)) for i in range(1, rng.randint(1, 5))]
    if rng.random() < 0.4:
        files += [("movies/intro.mp4", _size(rng, 20 * MB, 200 * MB))]
    if rng.random() < 0.3:
        files += [("goodies/soundtrack.zip", 120 * MB), ("goodies/manual.pdf", 8 * MB)]
    return name, tuple(files)


def _console_game(rng: random.Random) -> tuple[str, Files]:
    name, ext, sizes = _console_name(rng)
    pick = rng.randrange(3)
    if pick == 0:
        files = [(f"{name.split('-')[0]}.{ext}", _size(rng, *sizes))]
    elif pick == 1:  # scene release: split rar set with nfo and sfv
        parts = rng.randint(10, 60)
        stem = name.lower().replace(".", "_")
        files = [(f"{stem}.rar", 100 * MB)] + [(f"{stem}.r{i:02d}", 100 * MB) for i in range(parts)]
        files += [(f"{stem}.nfo", 6 * KB), (f"{stem}.sfv", 2 * KB)]
    else:  # extracted game folder
        files = [
            ("PS3_GAME/USRDIR/EBOOT.BIN", _size(rng, 10 * MB, 40 * MB)),
            ("PS3_GAME/USRDIR/data.psarc", _size(rng, 3 * GB, 12 * GB)),
            ("PS3_GAME/ICON0.PNG", 60 * KB),
            ("PS3_GAME/PARAM.SFO", 1 * KB),
        ]
    return name, tuple(files)


def _console_with_trailer(rng: random.Random) -> tuple[str, Files]:
    name, ext, sizes = _console_name(rng)
    files = [(f"game.{ext}", _size(rng, *sizes)), ("trailer.mkv", _size(rng, 50 * MB, 400 * MB))]
    if rng.random() < 0.5:
        files.append(("cover.jpg", 300 * KB))
    return name, tuple(files)


def _console_bonus_video(rng: random.Random) -> tuple[str, Files]:
    """A collector's edition: a real game image beside more bytes of bonus video."""
    name, ext, (low, _) = _console_name(rng)
    game = (f"game.{ext}", _size(rng, max(low, 700 * MB), max(low, 700 * MB) * 2))
    extras = [(f"bonus/making_of_{i}.mkv", _size(rng, 300 * MB, 900 * MB)) for i in range(3)]
    return name, (game, *extras)


_ABOUT_GAME = ("Gameplay", "Longplay", "Walkthrough", "Speedrun", "Trailer", "Lets.Play")


def _game_video(rng: random.Random) -> tuple[str, Files]:
    tag, _, _ = rng.choice(_CONSOLES)
    title = _title(rng, _GAME_WORDS)
    name = f"{title}.{tag}.{rng.choice(_ABOUT_GAME)}.{rng.choice(('720p', '1080p'))}-{_group(rng)}"
    parts = rng.randint(1, 8)
    return name, tuple((f"part{i}.mkv", _size(rng, 10 * MB, 2 * GB)) for i in range(1, parts + 1))


def _game_ost(rng: random.Random) -> tuple[str, Files]:
    title = _title(rng, _GAME_WORDS)
    tag = rng.choice(("", f".{rng.choice(_CONSOLES)[0]}"))
    word = rng.choice(("OST", "Original.Soundtrack", "Soundtrack"))
    name = f"{title}{tag}.{word}.{rng.choice(('MP3', 'FLAC'))}-{_group(rng)}"
    files = [(f"{i:02d}.mp3", _size(rng, 1 * MB, 4 * MB)) for i in range(1, rng.randint(3, 12))]
    return name, (*files, ("cover.jpg", 400 * KB))


def _film_with_subs(rng: random.Random) -> tuple[str, Files]:
    name = _video_name(rng)
    files = _movie_files(rng, name)
    files += [(f"Subs/{lang}.srt", _size(rng, 40 * KB, 120 * KB)) for lang in ("English", "French")]
    files += [("Sample/sample.mkv", _size(rng, 20 * MB, 80 * MB)), (f"{name}.nfo", 5 * KB)]
    return name, tuple(files)


def _dotted_film(rng: random.Random) -> tuple[str, Files]:
    """Dots everywhere, as in "Some.Film.2019.1080p": no double extension."""
    name = f"{_title(rng, _FILM_WORDS)}.{rng.randint(1950, 2024)}.1080p"
    if rng.random() < 0.5:
        return f"{name}.mkv", ((f"{name}.mkv", _size(rng, 700 * MB, 4 * GB)),)
    files = ((f"{name}.H.264.AAC.mkv", _size(rng, 700 * MB, 4 * GB)), (f"{name}.eng.srt", 60 * KB))
    return name, files


def _software(rng: random.Random) -> tuple[str, Files]:
    product = rng.choice(_SOFTWARE)
    name = f"{product}.v{rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
    name += rng.choice((".x64", ".x64-" + _group(rng), ".Portable", ".Setup"))
    installer = rng.choice(("setup.exe", "installer.msi", f"{product.split('.')[0]}_setup.exe"))
    files = [(installer, _size(rng, 5 * MB, 400 * MB)), ("readme.txt", 3 * KB)]
    if rng.random() < 0.5:
        files.append(("license.txt", 8 * KB))
    return name, tuple(files)


def _password_word_in_name(rng: random.Random) -> tuple[str, Files]:
    """A password manager, or a "Mountain Pass" photo set, as an archive with a readme:
    the word is in the folder, not in a file's own name."""
    if rng.random() < 0.6:
        product = rng.choice(("Vault.Password.Manager", "Password.Safe", "Passwords.Keeper"))
        name = f"{product}.v{rng.randint(1, 9)}.{rng.randint(0, 9)}.x64"
        return name, (("setup.zip", _size(rng, 5 * MB, 80 * MB)), ("readme.txt", 3 * KB))
    place = rng.choice(("Mountain Pass", "Boarding Pass", "River Pass"))
    name = f"{place} Photos {rng.randint(2005, 2024)}"
    return name, (("photos.zip", _size(rng, 50 * MB, 900 * MB)), ("readme.txt", 1 * KB))


def _photo_set(rng: random.Random) -> tuple[str, Files]:
    files = _photos(rng)
    if rng.random() < 0.3:
        files += [(f"raw/DSC_{i:04d}.CR2", 25 * MB) for i in range(rng.randint(2, 10))]
    return _photo_name(rng), tuple(files)


def _album(rng: random.Random) -> tuple[str, Files]:
    name = _album_name(rng)
    files = _tracks(rng)
    files += [("cover.jpg", 600 * KB), ("album.cue", 2 * KB), ("rip.log", 5 * KB)]
    return name, tuple(files)


def _ebook(rng: random.Random) -> tuple[str, Files]:
    title = _title(rng, (*_FILM_WORDS, "Password", "Security", "Handbook"), " ")
    name = f"{rng.choice(_PEOPLE)} - {title} ({rng.randint(1990, 2024)}) EPUB"
    if rng.random() < 0.5:
        return f"{name}.epub", ((f"{name}.epub", _size(rng, 300 * KB, 9 * MB)),)
    return name, ((f"{title}.epub", 2 * MB), (f"{title}.mobi", 3 * MB), (f"{title}.pdf", 6 * MB))


def _linux_iso(rng: random.Random) -> tuple[str, Files]:
    v = rng.randint(10, 40)
    name = rng.choice(
        (
            f"ubuntu-{v}.04-desktop-amd64.iso",
            f"debian-{v}.5.0-amd64-netinst.iso",
            f"Fedora-Workstation-Live-x86_64-{v}-1.5.iso",
        )
    )
    if rng.random() < 0.5:
        return name, ((name, _size(rng, 600 * MB, 6 * GB)),)
    folder = name.removesuffix(".iso")
    return folder, (
        (name, _size(rng, 600 * MB, 6 * GB)),
        ("SHA256SUMS", 1 * KB),
        ("SHA256SUMS.gpg", 1 * KB),
    )


def _rom_set(rng: random.Random) -> tuple[str, Files]:
    system = rng.choice(("Nintendo DS", "GBA", "NES", "SNES"))
    name = f"{system} ROM Set {rng.choice(('(USA)', '(Europe)', '2024'))}"
    files = [
        (
            f"{_title(rng, _GAME_WORDS, ' ')} ({rng.choice(('USA', 'Europe'))}).zip",
            _size(rng, 100 * KB, 60 * MB),
        )
        for _ in range(rng.randint(20, 120))
    ]
    return name, tuple(dict(files).items())


def _retro_rom(rng: random.Random) -> tuple[str, Files]:
    """One handheld game: GBA and DS games are a few MB."""
    system, ext, sizes = rng.choice(
        (("GBA", "gba", (4 * MB, 32 * MB)), ("NDS", "nds", (8 * MB, 28 * MB)))
    )
    title = _title(rng, _GAME_WORDS, " ")
    if rng.random() < 0.5:
        name = f"{title} ({rng.choice(('USA', 'Europe'))}) [{system}].{ext}"
        return name, ((name, _size(rng, *sizes)),)
    return f"{title.replace(' ', '.')}.{system}-{_group(rng)}", (
        (f"game.{ext}", _size(rng, *sizes)),
    )


def _console_update(rng: random.Random) -> tuple[str, Files]:
    """Updates and DLC for console games are legitimately small."""
    title = _title(rng, _GAME_WORDS)
    what = rng.choice(
        (f"Update.v1.{rng.randint(0, 9)}.{rng.randint(0, 9)}", "DLC", "DLC.Pack", "Patch")
    )
    tag, ext = rng.choice((("NSW", "nsp"), ("PS4", "pkg"), ("3DS", "cia")))
    name = f"{title}.{tag}.{what}-{_group(rng)}"
    return name, ((f"{title}.{ext}", _size(rng, 300 * KB, 28 * MB)),)


def _console_homebrew(rng: random.Random) -> tuple[str, Files]:
    """Homebrew apps and games for consoles are a few MB and say so."""
    tag, ext = rng.choice((("NSW", "nro"), ("3DS", "3dsx"), ("PSP", "pbp"), ("Wii", "dol")))
    title = _title(rng, _GAME_WORDS)
    name = f"{title}.{tag}.Homebrew.v{rng.randint(1, 4)}.{rng.randint(0, 9)}-{_group(rng)}"
    files = [(f"{title}.{ext}", _size(rng, 200 * KB, 12 * MB)), ("readme.txt", 2 * KB)]
    if rng.random() < 0.5:
        files.append(("icon.png", 40 * KB))
    return name, tuple(files)


def _game_artbook(rng: random.Random) -> tuple[str, Files]:
    """Scans and screenshots of a console game: images under a console name, and
    the name says what they are."""
    tag = rng.choice(("PS2", "PS3", "PS4", "Wii", "X360", "NSW"))
    what = rng.choice(("Artbook", "Artbook.Scans", "Box.Art.Scans", "Manual.Scans", "Screenshots"))
    name = f"{_title(rng, _GAME_WORDS)}.{tag}.{what}-{_group(rng)}"
    pages = rng.randint(10, 140)
    return name, tuple((f"page_{i:03d}.png", _size(rng, 500 * KB, 8 * MB)) for i in range(pages))


def _archive_readme(rng: random.Random) -> tuple[str, Files]:
    name = f"{_title(rng, _GAME_WORDS)}.Assets.{rng.randint(2010, 2024)}"
    archive = rng.choice(("assets.zip", "data.7z", "textures.rar", "source.tar.gz"))
    return name, (
        (archive, _size(rng, 5 * MB, 900 * MB)),
        ("readme.txt", 2 * KB),
        ("license.txt", 1 * KB),
    )


def _rtl(rng: random.Random) -> tuple[str, Files]:
    title = rng.choice((*_ARABIC, *_HEBREW))
    pick = rng.randrange(3)
    if pick == 0:
        name = f"{title} {rng.randint(1960, 2024)} 1080p"
        return name, ((f"{title}.mkv", _size(rng, 700 * MB, 4 * GB)), (f"{title}.srt", 60 * KB))
    if pick == 1:
        return title, tuple(
            (f"{i:02d} {title}.mp3", _size(rng, 3 * MB, 9 * MB)) for i in range(1, 9)
        )
    return f"صور {title}" if title in _ARABIC else f"תמונות {title}", tuple(_photos(rng, 5, 20))


def _rtl_marks(rng: random.Random) -> tuple[str, Files]:
    """RTL text with the implicit marks (RLM, LRM, ALM) editors insert beside digits:
    marks that set direction, not overrides that reverse text."""
    title = rng.choice((*_ARABIC, *_HEBREW))
    mark = "\u061c" if title in _ARABIC and rng.random() < 0.3 else rng.choice(("\u200f", "\u200e"))
    name = f"{title}{mark} {rng.randint(1960, 2024)} 1080p"
    return name, ((f"{title}.mkv", _size(rng, 700 * MB, 4 * GB)),)


def _trailing_folder(rng: random.Random) -> tuple[str, Files]:
    """An album whose title ends in an ellipsis: the folder ends in dots, no file does."""
    title = rng.choice(("Wait...", "And Then...", "So Long...", "Almost Home..."))
    name = f"{rng.choice(_PEOPLE)} - {title}"
    return name, tuple(_tracks(rng))


# ------------------------------------------------------------------ the case table


def _d(*rule_ids: str) -> frozenset[str]:
    return frozenset(rule_ids)


HONEST: frozenset[str] = frozenset()

CASES: tuple[Case, ...] = (
    # disguised
    Case("console-media-payload", _d(CONSOLE_MEDIA), _console_media),
    Case("console-media-decoy-image", _d(CONSOLE_MEDIA), _console_media_decoy),
    Case("console-too-small", _d(TOO_SMALL), _console_too_small),
    Case("console-too-small-video", _d(CONSOLE_MEDIA, TOO_SMALL), _console_small_video),
    Case("console-too-small-fake-update", _d(TOO_SMALL), _console_fake_update),
    Case("exe-in-video", _d(EXE_IN_VIDEO), _exe_in_video),
    Case("double-ext-in-media", _d(DOUBLE_EXT), _double_ext_media),
    Case("double-ext-film", _d(DOUBLE_EXT, EXE_IN_VIDEO), _double_ext_film),
    Case("double-ext-document", _d(DOUBLE_EXT), _double_ext_doc),
    Case("padded-extension", _d(DOUBLE_EXT), _padded_ext),
    Case("bidi-in-file", _d(BIDI), _bidi_file),
    Case("bidi-in-name", _d(BIDI), _bidi_name),
    Case("bidi-exe-in-film", _d(BIDI, EXE_IN_VIDEO), _bidi_film),
    Case("trailing-dot-space", _d(TRAILING), _trailing),
    Case("trailing-double-ext", _d(TRAILING, DOUBLE_EXT), _trailing_double),
    Case("encrypted-archive-lure", _d(LURE), _lure),
    Case("archive-lure-film-url", _d(LURE, EXE_IN_VIDEO), _lure_film),
    Case("known-list-photos", _d(KNOWN), _known_photos, on_known_list=True),
    Case("known-list-film", _d(KNOWN), _known_film, on_known_list=True),
    # honest, hard negatives first
    Case("pc-game-setup-exe", HONEST, _pc_game, hard_negative=True),
    Case("console-game-trailer", HONEST, _console_with_trailer, hard_negative=True),
    Case("console-game-bonus-video", HONEST, _console_bonus_video, hard_negative=True),
    Case("game-video", HONEST, _game_video, hard_negative=True),
    Case("game-soundtrack", HONEST, _game_ost, hard_negative=True),
    Case("film-subs-sample", HONEST, _film_with_subs, hard_negative=True),
    Case("dotted-film-name", HONEST, _dotted_film, hard_negative=True),
    Case("software-installer", HONEST, _software, hard_negative=True),
    Case("password-word-in-name", HONEST, _password_word_in_name, hard_negative=True),
    Case("retro-rom-single", HONEST, _retro_rom, hard_negative=True),
    Case("console-update-dlc", HONEST, _console_update, hard_negative=True),
    Case("console-homebrew", HONEST, _console_homebrew, hard_negative=True),
    Case("game-artbook-scans", HONEST, _game_artbook, hard_negative=True),
    Case("archive-with-readme", HONEST, _archive_readme, hard_negative=True),
    Case("rtl-name", HONEST, _rtl, hard_negative=True),
    Case("rtl-name-direction-marks", HONEST, _rtl_marks, hard_negative=True),
    Case("folder-ends-in-dots", HONEST, _trailing_folder, hard_negative=True),
    Case("known-list-near-twin", HONEST, _known_film, hard_negative=True),
    Case("console-game", HONEST, _console_game),
    Case("photo-collection", HONEST, _photo_set),
    Case("music-album", HONEST, _album),
    Case("ebook", HONEST, _ebook),
    Case("linux-iso", HONEST, _linux_iso),
    Case("rom-set", HONEST, _rom_set),
)


def infohash_v1(data: bytes) -> str:
    return hashlib.sha1(lt.bencode(lt.bdecode(data)[b"info"])).hexdigest()


def _spec(name: str, files: Files, index: int) -> SynthTorrent:
    single = len(files) == 1 and files[0][0] == name
    return SynthTorrent(
        name=name,
        files=files,
        multi_file=not single,
        creation_date=1_600_000_000 + index * 3_600,
        comment="synthetic labeled corpus (benign, made-up files)",
    )


def labeled_corpus(count: int, seed: int = 0) -> list[LabeledTorrent]:
    """``count`` labeled torrents, the case kinds taken in turn (so every kind is there
    once ``count >= len(CASES)``), the same list for the same seed. Infohashes are
    distinct; a ``known-list-near-twin`` is a listed film with one byte more in its
    file, so it differs from a listed torrent only in its infohash."""
    rng = random.Random(seed)
    items: list[LabeledTorrent] = []
    seen: set[str] = set()
    listed: list[SynthTorrent] = []
    index = 0
    while len(items) < count:
        case = CASES[index % len(CASES)]
        name, files = case.make(rng)
        if case.kind == "known-list-near-twin" and listed:
            twin = listed.pop(rng.randrange(len(listed)))
            (path, size), *rest = twin.files
            name, files = twin.name, ((path, size + 1), *rest)
        spec = _spec(name, files, index)
        index += 1
        infohash = infohash_v1(encode(spec))
        if infohash in seen:
            continue
        seen.add(infohash)
        if case.on_known_list:
            listed.append(spec)
        items.append(
            LabeledTorrent(case.kind, spec, case.expected, case.hard_negative, case.on_known_list)
        )
    return items


# ------------------------------------------------------------------ scoring


@dataclass(frozen=True, slots=True)
class Counts:
    """A confusion matrix. Precision/recall are None where nothing was flagged/expected."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def _counts(pairs: Iterable[tuple[bool, bool]]) -> Counts:
    tally = Counter(pairs)
    return Counts(
        tp=tally[(True, True)],
        fp=tally[(False, True)],
        fn=tally[(True, False)],
        tn=tally[(False, False)],
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one labeled torrent was expected to raise and what it raised."""

    kind: str
    name: str
    expected: frozenset[str]
    flagged: frozenset[str]
    hard_negative: bool = False


@dataclass(frozen=True, slots=True)
class KindRow:
    """One case kind: how many, how many flagged, and the rule-level misses."""

    kind: str
    disguised: bool
    hard_negative: bool
    torrents: int
    flagged: int
    wrong: int  # torrent-level errors: honest flagged, or disguised not flagged
    extra: dict[str, int] = field(default_factory=dict)  # rule -> false positives
    missing: dict[str, int] = field(default_factory=dict)  # rule -> false negatives
    example: str = ""


@dataclass(frozen=True, slots=True)
class QualityReport:
    overall: Counts  # torrent level: flagged by any rule vs labeled disguised
    hard_negatives: Counts  # torrent level over the hard negatives and disguised only
    per_rule: dict[str, Counts]
    kinds: list[KindRow]


def score(outcomes: Sequence[Outcome], rule_ids: Iterable[str] = RULE_IDS) -> QualityReport:
    """Confusion counts per rule (rule expected vs rule raised, over every torrent) and
    per torrent (any rule expected vs any rule raised), and the misses by case kind."""
    rules = sorted({*rule_ids, *(r for o in outcomes for r in o.expected | o.flagged)})
    per_rule = {r: _counts((r in o.expected, r in o.flagged) for o in outcomes) for r in rules}
    overall = _counts((bool(o.expected), bool(o.flagged)) for o in outcomes)
    hard = _counts(
        (bool(o.expected), bool(o.flagged)) for o in outcomes if o.expected or o.hard_negative
    )
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        grouped[o.kind].append(o)
    kinds = []
    for kind, group in grouped.items():
        extra: Counter[str] = Counter(r for o in group for r in o.flagged - o.expected)
        missing: Counter[str] = Counter(r for o in group for r in o.expected - o.flagged)
        wrong = [o for o in group if bool(o.expected) != bool(o.flagged)]
        mismatched = [o for o in group if o.expected != o.flagged]
        kinds.append(
            KindRow(
                kind=kind,
                disguised=bool(group[0].expected),
                hard_negative=group[0].hard_negative,
                torrents=len(group),
                flagged=sum(1 for o in group if o.flagged),
                wrong=len(wrong),
                extra=dict(sorted(extra.items())),
                missing=dict(sorted(missing.items())),
                example=mismatched[0].name if mismatched else "",
            )
        )
    kinds.sort(key=lambda k: (not k.disguised, k.kind))
    return QualityReport(overall, hard, per_rule, kinds)


# ------------------------------------------------------------------ the real pipeline


def known_list_text(items: Sequence[LabeledTorrent]) -> str:
    """The known list of the corpus, as a hotline might send it: hex lines and
    magnet links, a comment and a blank line."""
    lines = ["# synthetic known list for the labeled corpus", ""]
    for i, item in enumerate(x for x in items if x.on_known_list):
        infohash = infohash_v1(encode(item.spec))
        if i % 2:
            lines.append(f"magnet:?xt=urn:btih:{infohash}&dn={quote(item.spec.name)}")
        else:
            lines.append(infohash)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Evaluation:
    outcomes: list[Outcome]
    not_ingested: list[str]  # names of labeled torrents missing from the warehouse
    seconds: dict[str, float]


def evaluate(
    items: Sequence[LabeledTorrent],
    workdir: Path,
    packs: Iterable[str | Path] = (),
    workers: int | None = None,
) -> Evaluation:
    """Encode ``items`` to .torrent files, ingest them into a warehouse in ``workdir``,
    import their known list, run ``flag`` with the shipped packs (then ``packs``), and
    read back which rules each torrent raised."""
    import time

    from torrentwatch.flag import flag
    from torrentwatch.hashlist import hashlist_import
    from torrentwatch.ingest import ingest
    from warehouse.db import connect

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    folder = workdir / "torrents"
    folder.mkdir(parents=True, exist_ok=True)
    hashes = []
    for i, item in enumerate(items):
        data = encode(item.spec)
        hashes.append(infohash_v1(data))
        (folder / f"{i:06d}.torrent").write_bytes(data)
    db = workdir / "quality.duckdb"
    seconds["encode"] = time.perf_counter() - start
    start = time.perf_counter()
    ingest([folder], db, workers=workers)
    seconds["ingest"] = time.perf_counter() - start
    if any(item.on_known_list for item in items):
        list_path = workdir / "known.txt"
        list_path.write_text(known_list_text(items), encoding="utf-8")
        hashlist_import(list_path, db, name=KNOWN_LIST_NAME, source="labeled corpus")
    start = time.perf_counter()
    flag(db, packs)
    seconds["flag"] = time.perf_counter() - start
    con = connect(db, read_only=True)
    try:
        stored = {row[0] for row in con.execute("SELECT infohash FROM torrents").fetchall()}
        raised: dict[str, set[str]] = defaultdict(set)
        for infohash, rule_id in con.execute(
            "SELECT infohash, rule_id FROM flags WHERE active"
        ).fetchall():
            raised[infohash].add(rule_id)
    finally:
        con.close()
    outcomes = [
        Outcome(item.kind, item.spec.name, item.expected, frozenset(raised[h]), item.hard_negative)
        for item, h in zip(items, hashes, strict=True)
    ]
    missing = [item.spec.name for item, h in zip(items, hashes, strict=True) if h not in stored]
    return Evaluation(outcomes, missing, seconds)
