"""Benign synthetic magnetico exports for the tests and the benchmarks.

Game, Linux-image and photo-album names (and, ``varied``, names in several scripts
like a real crawl), with made-up file listings: nothing here ever existed.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

_GAMES = ("Kart.Racer", "Space.Miner", "Farm.Story", "Puzzle.Quest", "Castle.Builder")
_PLATFORMS = ("PS2.PAL", "PS3", "NSW", "PC", "XBOX360", "WII")
_DISTROS = ("debian", "ubuntu", "fedora", "alpine", "archlinux", "linuxmint")
_PLACES = ("Lisbon", "Kyoto", "Oslo", "Porto", "Québec", "Zürich")
_GROUPS = ("FAKEGRP", "NOGRP", "SYNTH")


def _game(rng: random.Random, count: int) -> tuple[str, list[tuple[str, int]]]:
    year = rng.randint(1995, 2024)
    name = f"{rng.choice(_GAMES)}.{year}.{rng.choice(_PLATFORMS)}-{rng.choice(_GROUPS)}"
    files = [(f"{name}.iso", rng.randint(1 << 28, 1 << 33))]
    files += [(f"Extras/track{i:02d}.ogg", rng.randint(1 << 20, 1 << 24)) for i in range(count - 1)]
    return name, files[:count]


def _linux(rng: random.Random, count: int) -> tuple[str, list[tuple[str, int]]]:
    version = f"{rng.randint(3, 40)}.{rng.randint(0, 9)}"
    name = f"{rng.choice(_DISTROS)}-{version}-amd64-DVD"
    files = [(f"{name}.iso", rng.randint(1 << 29, 1 << 32))]
    files += [(f"checksums/SHA256SUMS.part{i}", rng.randint(100, 4000)) for i in range(count - 1)]
    return name, files


def _photos(rng: random.Random, count: int) -> tuple[str, list[tuple[str, int]]]:
    name = f"Holiday Photos {rng.choice(_PLACES)} {rng.randint(2001, 2024)}"
    files = [
        (f"day{i // 7 + 1}/IMG_{i:04d}.jpg", rng.randint(1 << 20, 1 << 23)) for i in range(count)
    ]
    return name, files


_KINDS = (_game, _linux, _photos)

# Benign words in several scripts for ``varied`` records: a crawler's real data has
# nearly every name distinct and much of it in non-Latin scripts, which the importer
# folds to ASCII one distinct piece at a time.
_WORDS = {
    "latin": (
        "Summer",
        "Mountain",
        "River",
        "Garden",
        "Journey",
        "Kitchen",
        "Festival",
        "Harbor",
        "Winter",
        "Lantern",
        "Meadow",
        "Orchard",
        "Island",
        "Canyon",
        "Village",
        "Market",
    ),
    "cyrillic": (
        "Лето",
        "Горы",
        "Река",
        "Сад",
        "Путешествие",
        "Кухня",
        "Праздник",
        "Гавань",
        "Зима",
        "Фонарь",
        "Луг",
        "Остров",
    ),
    "cjk": ("夏", "山", "川", "庭", "旅行", "料理", "祭り", "港", "冬", "灯籠", "草原", "島"),
    "greek": ("Καλοκαίρι", "Βουνό", "Ποτάμι", "Κήπος", "Ταξίδι", "Νησί", "Λιμάνι", "Χειμώνας"),
}
_SCRIPTS = tuple(_WORDS)
_RELEASE_BITS = ("1080p", "720p", "2160p", "x264", "x265", "FLAC", "MP3", "PAL", "NSW", "PC")
_MEDIA = (("mkv", 1 << 28, 1 << 32), ("mp3", 1 << 21, 1 << 24), ("jpg", 1 << 19, 1 << 23))


def _varied(rng: random.Random, count: int) -> tuple[str, list[tuple[str, int]]]:
    """A record whose name is almost surely unique, in a random script."""
    words = _WORDS[rng.choice(_SCRIPTS)]
    title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 4)))
    name = f"{title} {rng.randint(1990, 2025)} {rng.choice(_RELEASE_BITS)} {rng.randint(1, 9999)}"
    ext, low, high = rng.choice(_MEDIA)
    files = [
        (f"{rng.choice(words)} {rng.choice(words)} {i + 1:02d}.{ext}", rng.randint(low, high))
        for i in range(count)
    ]
    return name, files


def synthetic_record(
    rng: random.Random, number: int, *, max_files: int = 20, varied: bool = False
) -> dict[str, object]:
    """One benign magnetico record (1..``max_files`` files); its infohash is the SHA-1
    of the number, so records are unique and repeatable. ``varied``: names nearly all
    distinct and two thirds of them in Cyrillic, CJK or Greek script, as in a real
    crawler's data (the default repeats a few thousand Latin names)."""
    count = rng.randint(1, max_files)
    name, files = (_varied if varied else rng.choice(_KINDS))(rng, count)
    if count == 1 and rng.random() < 0.5:  # a single-file torrent: magnetico lists its name
        files = [(name, files[0][1])]
    return {
        "infoHash": hashlib.sha1(number.to_bytes(8, "big")).hexdigest(),
        "name": name,
        "files": [{"size": size, "path": path} for path, size in files],
    }


def write_synthetic_export(
    path: Path, records: int, *, seed: int = 7, start: int = 0, varied: bool = False
) -> Path:
    """Write ``records`` benign records as magnetico JSON lines (numbered from ``start``)."""
    rng = random.Random(seed)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(start, start + records):
            handle.write(dumps(synthetic_record(rng, number, varied=varied)))
            handle.write("\n")
    return path
