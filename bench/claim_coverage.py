"""Claim coverage: the share of video torrents whose name gets no claimed category.

    .venv/bin/python bench/claim_coverage.py --count 20000 --seed 14

Rules that compare a name's claim with its bytes (or look for a lure beside a film)
never see a torrent the parser could not read. This generates realistic names of
VIDEO releases (films and series) in many styles — scene and P2P dots, fansub
brackets and batches, Japanese, Chinese, Korean, Cyrillic, Arabic, Greek, Hebrew,
Turkish and Romance-language markers, and names with no tags at all — each with a
file list that is overwhelmingly video, runs them through the loader's own column
builder (``parsers.columnar.listed_torrents_table``, so claims from content count
where the code has them) and reports, per style and in all:

  * unclaimed  - share with no ``claimed_category``;
  * video      - share claimed ``film`` or ``tv`` (a claim of music on a video is wrong);
  * by name    - share claimed by the name's words (``claim_origin = 'name'``; on code
                 without that column, every claim is the name's);
  * right kind - share claimed ``tv`` for a series, ``film`` for a film (a fansub
                 episode read as a film through its "1080p" is claimed, not right).

The names are invented here (made-up titles and groups, benign words), written
from naming conventions, not taken from any corpus of the test kit. Run it against
another checkout (``PYTHONPATH=<checkout>``) to compare before and after.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from collections.abc import Callable

import pyarrow as pa

from parsers.columnar import listed_files_table, listed_torrents_table

MB = 1 << 20
GB = 1 << 30

LATIN = [
    "Harbor",
    "Lights",
    "Silent",
    "Garden",
    "River",
    "Moon",
    "Paper",
    "Winter",
    "Glass",
    "Copper",
    "Meadow",
    "Lantern",
    "Orchard",
    "Echo",
    "Summer",
    "Tide",
    "North",
    "Violet",
]
JAPANESE = [
    "海",
    "月",
    "星",
    "港",
    "物語",
    "庭",
    "風",
    "夏",
    "灯り",
    "の",
    "ひかり",
    "さくら",
    "旅",
]
CHINESE = ["月光", "小镇", "长河", "花园", "故事", "春风", "山海", "归途", "人间", "灯火"]
KOREAN = ["바다", "마을", "달빛", "정원", "이야기", "여름", "바람", "우리", "별", "가족"]
CYRILLIC = ["Тихая", "гавань", "Лунный", "сад", "Летний", "ветер", "Старый", "дом", "Река"]
ARABIC = ["بيت", "الياسمين", "القمر", "البحر", "حكايات", "الحارة"]
GREEK = ["Το", "Σπίτι", "Φεγγάρι", "Θάλασσα", "Κήπος", "Καλοκαίρι"]  # noqa: RUF001
HEBREW = ["בית", "הים", "ירח", "גן", "קיץ"]
TURKISH = ["Deniz", "Evi", "Ay", "Işığı", "Bahçe", "Rüzgar"]  # noqa: RUF001
GROUPS = ["FakeSubs", "MoonRaws", "Lantern-Fansub", "SYNTH", "DEMO", "NOGRP", "TestRel"]
RES = ["480p", "720p", "1080p", "2160p"]
SOURCES = ["WEB-DL", "WEBRip", "BluRay", "BDRip", "DVDRip"]
CODECS = ["x264", "x265", "H.264", "HEVC", "AVC"]


def _title(rng: random.Random, pool: list[str], sep: str = " ", n: tuple[int, int] = (1, 3)):
    return sep.join(rng.sample(pool, rng.randint(*n)))


def _cjk_title(rng: random.Random, pool: list[str]) -> str:
    return "".join(rng.sample(pool, rng.randint(1, 3)))


# Each style: (name, is_series) from a random generator.
Style = Callable[[random.Random], tuple[str, bool]]


def scene_film(r):
    t = _title(r, LATIN, ".")
    tags = f"{r.choice(RES)}.{r.choice(SOURCES)}.{r.choice(CODECS)}"
    return f"{t}.{r.randint(1970, 2024)}.{tags}-{r.choice(GROUPS)}", False


def scene_tv(r):
    t = _title(r, LATIN, ".")
    episode = f"S{r.randint(1, 9):02d}E{r.randint(1, 24):02d}"
    return f"{t}.{episode}.{r.choice(RES)}.WEB.h264-{r.choice(GROUPS)}", True


def fansub_episode(r):
    t = _title(r, LATIN)
    v = r.choice(["", "v2"])
    crc = "".join(r.choice("0123456789ABCDEF") for _ in range(8))
    return (
        f"[{r.choice(GROUPS)}] {t} - {r.randint(1, 26):02d}{v} [{r.choice(RES)}][{crc}].mkv",
        True,
    )


def fansub_batch(r):
    t = _title(r, LATIN)
    last = r.choice([12, 13, 24, 26])
    return r.choice(
        [
            f"[{r.choice(GROUPS)}] {t} [01-{last}][BD {r.choice(RES)}]",
            f"[{r.choice(GROUPS)}] {t} (BD 1080p HEVC FLAC)",
            f"[{r.choice(GROUPS)}] {t} 01-{last} Batch",
            f"[{r.choice(GROUPS)}] {t} OVA [720p]",
            f"[{r.choice(GROUPS)}] {t} Vol.{r.randint(1, 6)} [BDMV]",
            f"[{r.choice(GROUPS)}] {t} [01~{last}]",
        ]
    ), True


def japanese(r):
    t = _cjk_title(r, JAPANESE)
    n = r.randint(1, 24)
    return r.choice(
        [
            f"[{r.choice(GROUPS)}] {t} 第{n:02d}話 ({r.choice(RES)})",
            f"{t} 第{n}話",
            f"{t}第{n}話「{_cjk_title(r, JAPANESE)}」",
            f"{t} 第{r.randint(1, 3)}期 全{r.choice([12, 13, 24])}話",
            f"[{r.choice(GROUPS)}] {t} 第二期 [BD 1080p]",
            f"{t} {n:02d}話 1080p",
        ]
    ), True


def chinese(r):
    t = _cjk_title(r, CHINESE)
    n = r.randint(1, 40)
    return r.choice(
        [
            f"{t} 第{n}集 国语中字",
            f"{t} 第{n:02d}集 1080p",
            f"{t} 第二季 全{r.choice([24, 30, 36])}集",
            f"{t}.第{n}集.HD1080P.国语中字",
            f"[{t}] 第{r.randint(1, 3)}季",
        ]
    ), True


def korean(r):
    t = _title(r, KOREAN)
    n = r.randint(1, 16)
    return r.choice(
        [
            f"{t} 시즌{r.randint(1, 3)} {n}화",
            f"{t} {n}화 1080p",
            f"{t} 제{n}화",
            f"{t} E{n:02d} 720p-{r.choice(GROUPS)}",
            f"{t} 1-16회 완결",
            f"{t} {r.randint(1, 3)}기 전편",
        ]
    ), True


def cyrillic(r):
    t = _title(r, CYRILLIC)
    s, e = r.randint(1, 5), r.randint(1, 20)
    if r.random() < 0.3:
        year = r.randint(1960, 2024)
        return r.choice(
            [
                f"{t} / {_title(r, LATIN)} ({year}) BDRip {r.choice(RES)}",
                f"{t} ({year}) DVDRip",
            ]
        ), False
    return r.choice(
        [
            f"{t} (Сезон {s}, серии 1-{e})",
            f"{t} {s} сезон 1-{e} серии из {e}",
            f"{t} Сезон {s} Серия {e}",
            f"{t} [S{s:02d}] ({r.randint(2000, 2024)}) WEB-DL",
        ]
    ), True


def arabic(r):
    t = _title(r, ARABIC)
    return r.choice(
        [
            f"مسلسل {t} الحلقة {r.randint(1, 30)}",
            f"{t} الموسم {r.randint(1, 4)} الحلقة {r.randint(1, 30)}",
        ]
    ), True


def greek_hebrew_turkish(r):
    return r.choice(
        [
            f"{_title(r, GREEK)} Επεισόδιο {r.randint(1, 30)}",
            f"{_title(r, GREEK)} Κύκλος {r.randint(1, 4)}",
            f"{_title(r, HEBREW)} עונה {r.randint(1, 4)} פרק {r.randint(1, 20)}",
            f"{_title(r, TURKISH)} {r.randint(1, 80)}. Bölüm",
            f"{_title(r, TURKISH)} Bölüm {r.randint(1, 80)} 720p",
        ]
    ), True


def romance_germanic(r):
    t = _title(r, LATIN)
    s, e = r.randint(1, 6), r.randint(1, 20)
    return r.choice(
        [
            f"{t} Temporada {s} Capítulo {e}",
            f"{t} Staffel {s} Folge {e} German",
            f"{t} Saison {s} Épisode {e} FRENCH",
            f"{t} Stagione {s} Episodio {e} ITA",
            f"{t} Sezon {s} Odcinek {e} PL",
        ]
    ), True


def untagged(r):
    return r.choice(
        [
            _title(r, LATIN),
            f"{_title(r, LATIN)} ({r.randint(1950, 2024)})",
            _cjk_title(r, JAPANESE),
            _cjk_title(r, CHINESE),
            _title(r, KOREAN),
            _title(r, CYRILLIC),
            f"{_title(r, LATIN)} Complete",
            f"{_title(r, LATIN)} {r.randint(1, 30):02d}",
        ]
    ), r.random() < 0.5


def unseen_markers(r):
    """Conventions the release-tag data was NOT written against (kept here so that
    the figure is not only the data grading itself): Thai, Persian, Hindi markers,
    Chinese fansub bracketed episode numbers, "#05", a lone E05 with an air date."""
    t = _title(r, LATIN)
    n = r.randint(1, 24)
    return r.choice(
        [
            f"{t} ตอนที่ {n}",
            f"{t} قسمت {n}",
            f"{t} एपिसोड {n}",
            f"[{r.choice(GROUPS)}][{_cjk_title(r, CHINESE)}][{n:02d}][GB][1080P]",
            f"{t} #{n:02d}",
            f"{t}.E{n:02d}.2310{r.randint(10, 28)}.720p-{r.choice(GROUPS)}",
            f"{t} - {n:02d} (BS11 1280x720 x264 AAC)",
        ]
    ), True


STYLES: dict[str, Style] = {
    "scene_film": scene_film,
    "scene_tv": scene_tv,
    "fansub_episode": fansub_episode,
    "fansub_batch": fansub_batch,
    "japanese": japanese,
    "chinese": chinese,
    "korean": korean,
    "cyrillic": cyrillic,
    "arabic": arabic,
    "greek_hebrew_turkish": greek_hebrew_turkish,
    "romance_germanic": romance_germanic,
    "unseen_markers": unseen_markers,
    "untagged": untagged,
}


def _files(r: random.Random, name: str, series: bool) -> list[tuple[str, int]]:
    """A file list that is overwhelmingly video: a feature (with a sample or extras,
    subtitles, a cover), or several episodes of similar size."""
    ext = r.choice(["mkv", "mp4", "avi"])
    if series and r.random() < 0.6:
        files = [
            (f"{name}/{i:02d}.{ext}", r.randint(300, 1500) * MB) for i in range(1, r.randint(3, 24))
        ]
    else:
        files = [(f"{name}/{name}.{ext}", r.randint(700, 9000) * MB)]
        if r.random() < 0.3:
            files.append((f"{name}/sample.{ext}", r.randint(20, 90) * MB))
    if r.random() < 0.4:
        files.append((f"{name}/{name}.srt", r.randint(30, 120) * 1024))
    if r.random() < 0.2:
        files.append((f"{name}/cover.jpg", r.randint(1, 5) * MB))
    return files


def generate(count: int, seed: int) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(style, name, files, is_series) rows, ``count`` in all, styles in turn."""
    r = random.Random(seed)
    styles = list(STYLES.items())
    rows = []
    for i in range(count):
        style, make = styles[i % len(styles)]
        name, series = make(r)
        rows.append((style, name, _files(r, name, series), series))
    return rows


def claims(rows) -> pa.Table:
    hashes = pa.array([f"{i:040x}" for i in range(len(rows))], pa.string())
    owner = [i for i, (_, _, files, _) in enumerate(rows) for _ in files]
    index = [j for _, _, files, _ in rows for j in range(len(files))]
    files = listed_files_table(
        hashes,
        pa.array(owner, pa.int64()),
        pa.array(index, pa.int32()),
        pa.array([p for _, _, files, _ in rows for p, _ in files], pa.string()),
        pa.array([s for _, _, files, _ in rows for _, s in files], pa.int64()),
    )
    seen = pa.table(
        {"infohash": hashes, "seen_at": pa.array([0] * len(rows), pa.timestamp("us", tz="UTC"))}
    )
    return listed_torrents_table(
        hashes,
        pa.array([n for _, n, _, _ in rows], pa.string()),
        pa.array([sum(s for _, s in files) for _, _, files, _ in rows], pa.int64()),
        files,
        seen,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--examples", type=int, default=3, help="unclaimed names shown per style")
    args = parser.parse_args()
    rows = generate(args.count, args.seed)
    table = claims(rows)
    category = table.column("claimed_category").to_pylist()
    origin = (
        table.column("claim_origin").to_pylist()
        if "claim_origin" in table.column_names
        else ["name" if c is not None else None for c in category]
    )
    per: dict[str, Counter] = defaultdict(Counter)
    missed: dict[str, list[str]] = defaultdict(list)
    for (style, name, _, series), cat, org in zip(rows, category, origin, strict=True):
        for key in (style, "ALL"):
            per[key]["n"] += 1
            per[key]["unclaimed"] += cat is None
            per[key]["video"] += cat in ("film", "tv")
            per[key]["by_name"] += org == "name"
            per[key]["right"] += cat == ("tv" if series else "film")
        if org != "name" and len(missed[style]) < args.examples:
            missed[style].append(name)
    print(f"{'style':22} {'n':>6} {'unclaimed':>10} {'video':>7} {'by name':>8} {'right':>6}")
    for key in [*STYLES, "ALL"]:
        c = per[key]
        n = c["n"] or 1
        print(
            f"{key:22} {c['n']:>6} {c['unclaimed'] / n:>10.3f} {c['video'] / n:>7.3f}"
            f" {c['by_name'] / n:>8.3f} {c['right'] / n:>6.3f}"
        )
    print("\nnames the words did not claim (first of each style):")
    for style, names in missed.items():
        for name in names:
            print(f"  {style:22} {name}")


if __name__ == "__main__":
    main()
