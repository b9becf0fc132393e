"""The held-out labeled corpus (testkit/heldout_corpus.py): repeatable, varied, labeled
consistently, and every item a torrent libtorrent reads back."""

from __future__ import annotations

import re
from collections import Counter

import libtorrent as lt
import pytest

from testkit import heldout_corpus as hc
from torrentwatch.synth import encode

# What the bytes of each content kind are, by the extension a client would write to disk
# (the test's own table, independent of the product's).
_KIND_EXTS = {
    "video": {"mkv", "mp4", "avi", "wmv", "mov", "mpg", "m4v", "flv", "ts", "vob", "m2ts", "webm",
              "3gp", "rmvb"},
    "audio": {"flac", "mp3", "m4a", "ogg", "opus", "wav", "wma", "m4b"},
    "image": {"jpg", "jpeg", "png", "gif", "bmp", "webp", "heic", "dds", "cr2", "cr3", "nef", "arw",
              "rw2", "raf", "dng"},
    "ebook": {"epub", "pdf", "mobi", "azw3", "cbz", "cbr", "cb7", "djvu", "fb2"},
    "executable": {"exe", "scr", "com", "bat", "cmd", "pif", "lnk", "vbs", "js", "jse", "wsf",
                   "hta", "msi", "jar", "ps1", "cpl"},
    "archive": {"rar", "zip", "7z", "gz"},
}  # fmt: skip
_ARCHIVE_PART = re.compile(r"\.(r\d\d|s\d\d|z\d\d|\d\d\d|part\d+\.rar)$", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u202e"))
_PADDING = re.compile(r"^(\.pad/\d+|_____padding_file_\d+_.*)$")

# Disguises that are such by how their names are built, whatever claim/content say.
_BY_CONSTRUCTION = {
    "disguise.double_extension",
    "disguise.space_before_extension",
    "disguise.rlo_override",
    "disguise.zero_width",
    "disguise.trailing_dots_spaces",
    "disguise.lure_archive_text",
    "disguise.lure_archive_link",
    "disguise.console_tiny",
}
# Contents a claim may honestly have.
_FITS = {
    "film": {"video"},
    "series": {"video"},
    "music": {"audio"},
    "ebook": {"ebook"},
    "photos": {"image"},
    "software": {"software", "disc_image", "archive"},
    "game_pc": {"software", "archive", "disc_image"},
    "game_console": {"disc_image", "game_package", "archive"},
    "other": set(),
}


def _ext(path: str) -> str:
    leaf = path.rsplit("/", 1)[-1].translate(_INVISIBLE).rstrip(". \u00a0\u2002\u3000")
    if _ARCHIVE_PART.search(leaf):
        return "rar"
    return leaf.rsplit(".", 1)[-1].lower() if "." in leaf else ""


def _share(item: hc.HeldoutItem, kind: str) -> float:
    real = [(p, s) for p, s in item.files if not _PADDING.match(p)]
    total = sum(s for _, s in real)
    return sum(s for p, s in real if _ext(p) in _KIND_EXTS[kind]) / total


@pytest.fixture(scope="module")
def heldout() -> list[hc.HeldoutItem]:
    return hc.corpus(hc.HELDOUT_SEED)


def test_repeatable_and_seeds_differ(heldout):
    assert hc.GENERATOR_VERSION == "1"
    assert hc.corpus(hc.HELDOUT_SEED) == heldout
    dev = hc.corpus(hc.DEVELOPMENT_SEED)
    assert dev != heldout
    shared = {i.name for i in heldout} & {i.name for i in dev}
    # only a few generic names ("Emulator Pack 2018 (Windows)") may recur
    assert len(shared) < 0.05 * len(heldout)
    small = hc.corpus(hc.HELDOUT_SEED, 2)
    assert Counter(i.klass for i in small) == dict.fromkeys(hc.classes(), 2)


def test_every_class_balanced(heldout):
    per = Counter(i.klass for i in heldout)
    assert set(per) == set(hc.classes())
    assert len(per) >= 40
    assert set(per.values()) == {hc.PER_CLASS_DEFAULT}
    assert 1400 <= len(heldout) <= 1700
    flagged = sum(i.disguised for i in heldout)
    assert 1.7 <= (len(heldout) - flagged) / flagged <= 2.3


def test_names_unique_and_paths_sane(heldout):
    assert len({i.name for i in heldout}) == len(heldout)
    for item in heldout:
        paths = [p for p, _ in item.files]
        assert len(set(paths)) == len(paths), item.name
        for path in paths:
            parts = path.split("/")
            assert all(part and part not in (".", "..") for part in parts), (item.name, path)
        if not item.multi_file:
            assert item.files == ((item.name, item.files[0][1]),)


def test_labels_consistent(heldout):
    for item in heldout:
        assert item.disguised == item.klass.startswith("disguise."), item.klass
        assert item.claim in hc.CLAIMS and item.content in hc.CONTENTS, item
        if item.disguised:
            assert item.klass in _BY_CONSTRUCTION or item.content not in _FITS[item.claim], item


def test_content_is_what_the_bytes_are(heldout):
    """``content`` names what most of the bytes are (padding files aside)."""
    for item in heldout:
        if item.content in _KIND_EXTS:
            assert _share(item, item.content) >= 0.5, (item.klass, item.name, item.content)


def test_disguises_by_construction_carry_their_mark(heldout):
    for item in heldout:
        names = [p.rsplit("/", 1)[-1] for p, _ in item.files]
        if item.klass == "disguise.rlo_override":
            assert any("\u202e" in n for n in names)
        elif item.klass == "disguise.zero_width":
            assert any(set(n) & set("\u200b\u200c\u200d\u2060\ufeff") for n in names)
        elif item.klass == "disguise.trailing_dots_spaces":
            assert any(n != n.rstrip(". ") for n in names)
        elif (
            item.klass == "disguise.lure_archive_text" or item.klass == "disguise.lure_archive_link"
        ):
            small = [
                s
                for p, s in item.files
                if _ext(p) not in _KIND_EXTS["archive"] and not _PADDING.match(p)
            ]
            assert small and max(small) < 64 * 1024 and _share(item, "archive") > 0.99
        elif item.klass == "disguise.console_tiny":
            assert sum(s for _, s in item.files) < 20 * hc.MB
        if item.klass in ("disguise.double_extension", "disguise.space_before_extension"):
            assert any(re.search(r"[. ]\w+[\s\u00a0\u2002\u3000]*\.\w+$", n) for n in names)


def test_sizes_in_bounds(heldout):
    for item in heldout:
        sizes = [s for _, s in item.files]
        assert all(1 <= s <= 100 * hc.GB for s in sizes), item.name
        assert sum(sizes) <= 400 * hc.GB, item.name
    films = [i for i in heldout if i.klass == "honest.film.scene"]
    assert all(max(s for _, s in i.files) >= 300 * hc.MB for i in films)
    flac = [s for i in heldout if i.klass == "honest.music.flac_album" for p, s in i.files
            if p.endswith(".flac") and "24-96" not in i.name and s < 100 * hc.MB]  # fmt: skip
    assert flac and all(10 * hc.MB <= s <= 70 * hc.MB for s in flac)


def test_every_item_encodes_and_reads_back(heldout):
    for item in heldout:
        assert lt.bdecode(encode(hc.to_synth(item)))[b"info"][b"name"] == item.name.encode()
        info = lt.torrent_info(lt.bdecode(hc.encode_item(item)))
        assert info.num_files() == len(item.files)
        assert info.total_size() == sum(s for _, s in item.files)
