"""Regenerate the bundled demo data in torrentwatch/demo/ (deterministic, benign).

Every torrent here is synthetic: made-up names and sizes, made-up piece hashes. The
"disguised" examples mimic the *shapes* analysts look for (a console release whose
bytes are video clips, an .avi.exe, a right-to-left override) with harmless names.
Run: .venv/bin/python scripts/make_demo_data.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import libtorrent as lt

from torrentwatch.synth import SynthTorrent, encode

GB = 1024**3
MB = 1024**2
OUT = Path(__file__).resolve().parent.parent / "torrentwatch" / "demo"


def _t(name: str, *files: tuple[str, int], **kw) -> SynthTorrent:
    """A torrent named ``name``; file paths given as ``name/...`` are placed inside it.

    A multi-file torrent's info name is its root folder, so the paths stored in the
    torrent must not repeat it; a single path equal to the name is a single-file torrent.
    """
    inner = tuple((p.removeprefix(name + "/"), size) for p, size in files)
    multi = any(p != n for (p, _), (n, _) in zip(files, inner, strict=True))
    return SynthTorrent(name=name, files=inner, multi_file=multi, **kw)


HONEST = [
    _t(
        "Kart.Racer.Deluxe.PS2.PAL-SYNTH",
        ("Kart.Racer.Deluxe.PS2.PAL-SYNTH/kart.iso", 4 * GB),
        ("Kart.Racer.Deluxe.PS2.PAL-SYNTH/synth.nfo", 2_000),
    ),
    _t(
        "Robot.Castle.PS3-TESTREL",
        ("Robot.Castle.PS3-TESTREL/robot.castle.iso", 9 * GB),
        ("Robot.Castle.PS3-TESTREL/trailer.mkv", 180 * MB),
    ),
    _t("Galaxy.Quest.Arena.NSW-DEMO", ("Galaxy.Quest.Arena.NSW-DEMO/galaxy.quest.nsp", 6 * GB)),
    _t(
        "Pixel.Dungeon.v1.4.2.PC.GOG",
        ("Pixel.Dungeon.v1.4.2.PC.GOG/setup.exe", 3 * MB),
        ("Pixel.Dungeon.v1.4.2.PC.GOG/setup-1.bin", 2 * GB),
    ),
    _t(
        "Kart.Racer.PS4.Gameplay.Walkthrough.1080p",
        *(
            (f"Kart.Racer.PS4.Gameplay.Walkthrough.1080p/part{i}.mp4", 700 * MB)
            for i in range(1, 4)
        ),
    ),
    _t(
        "Kart.Racer.Original.Soundtrack.OST.FLAC",
        *(
            (f"Kart.Racer.Original.Soundtrack.OST.FLAC/{i:02d}.track.flac", 30 * MB)
            for i in range(1, 9)
        ),
    ),
    _t(
        "Harbor.Lights.2021.1080p.BluRay.x264-FAKEGRP",
        ("Harbor.Lights.2021.1080p.BluRay.x264-FAKEGRP/Harbor.Lights.2021.1080p.mkv", 8 * GB),
        ("Harbor.Lights.2021.1080p.BluRay.x264-FAKEGRP/Harbor.Lights.2021.en.srt", 90_000),
    ),
    _t(
        "Mountain.Echo.S01E03.720p.WEB-DL.x265-BENIGN",
        ("Mountain.Echo.S01E03.720p.WEB-DL.x265-BENIGN/Mountain.Echo.S01E03.mkv", 600 * MB),
    ),
    _t(
        "ubuntu-24.04.1-desktop-amd64.iso",
        ("ubuntu-24.04.1-desktop-amd64.iso", 6 * GB),
        trackers=("udp://127.0.0.1:6969/announce",),
    ),
    _t(
        "Comet.River.Collected.Stories.EPUB",
        *((f"Comet.River.Collected.Stories.EPUB/vol{i}.epub", 2 * MB) for i in range(1, 4)),
    ),
]

DISGUISED = [
    _t(
        "Winter.Garden.Racing.PS2.NTSC-FAKEGRP",
        *(
            (f"Winter.Garden.Racing.PS2.NTSC-FAKEGRP/clip{i:02d}.avi", 350 * MB)
            for i in range(1, 9)
        ),
        *((f"Winter.Garden.Racing.PS2.NTSC-FAKEGRP/img{i:03d}.jpg", 2 * MB) for i in range(1, 21)),
    ),
    _t(
        "Summer.Robot.2019.1080p.WEB-DL-SYNTH",
        ("Summer.Robot.2019.1080p.WEB-DL-SYNTH/Summer.Robot.2019.mkv", 2 * GB),
        ("Summer.Robot.2019.1080p.WEB-DL-SYNTH/Codec.Installer.exe", 900_000),
    ),
    _t("Echo.Harbor.2020.720p", ("Echo.Harbor.2020.720p/Echo.Harbor.2020.720p.avi.exe", 1_200_000)),
    _t(
        "Holiday.Photos.2024",
        ("Holiday.Photos.2024/Holiday_\u202egpj.scr", 400_000),
        ("Holiday.Photos.2024/readme.txt", 300),
    ),
    _t(
        "Galaxy.Pack.Complete",
        ("Galaxy.Pack.Complete/data.rar", 700 * MB),
        ("Galaxy.Pack.Complete/PASSWORD.txt", 120),
        ("Galaxy.Pack.Complete/get password here.url", 90),
    ),
    _t("Castle.Quest.PSP-DEMO", ("Castle.Quest.PSP-DEMO/castle.quest.mp4", 30_000)),
]


def _non_utf8_torrent() -> bytes:
    """A torrent whose name is Latin-1, not UTF-8: the warehouse must keep its bytes."""
    data = encode(_t("placeholder", ("placeholder.mkv", 5 * MB)))
    top = lt.bdecode(data)
    top[b"info"][b"name"] = "Café.Nights.2018.mkv".encode("latin-1")
    return lt.bencode(top)


def _magnets() -> str:
    first = lt.torrent_info(encode(HONEST[0])).info_hashes().v1
    return "\n".join(
        [
            "# magnet links seen on a (synthetic) feed; one per line",
            f"magnet:?xt=urn:btih:{first}&dn=Kart.Racer.Deluxe.PS2.PAL-SYNTH",
            "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Ocean.Lights.2022.1080p.WEB-DL-DEMO"
            "&tr=udp%3A%2F%2F127.0.0.1%3A6969%2Fannounce&xl=1500000000",
            "magnet:?xt=urn:btih:CIQ4WFFYLAZFWQWDYCM2NN5LBGG2XFZQ&dn=Ubuntu.Server.Image",
            "magnet:?xt=urn:btmh:1220" + "cd" * 32 + "&dn=River.Comet.S02E01.1080p",
            "magnet:?xt=urn:btih:not-a-hash&dn=Broken.Link",
            "",
        ]
    )


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "torrents").mkdir(parents=True)
    (OUT / "inbox").mkdir()
    for spec in HONEST + DISGUISED:
        (OUT / "torrents" / f"{spec.name}.torrent").write_bytes(encode(spec))
    (OUT / "torrents" / "Cafe.Nights.2018.torrent").write_bytes(_non_utf8_torrent())
    (OUT / "inbox" / "feed-magnets.txt").write_text(_magnets(), encoding="utf-8")
    good = encode(HONEST[1])
    (OUT / "inbox" / "truncated.torrent").write_bytes(good[: len(good) // 2])
    (OUT / "inbox" / "empty.torrent").write_bytes(b"")
    (OUT / "inbox" / "not-a-torrent.torrent").write_bytes(b"<html>download page</html>\n")
    (OUT / "inbox" / "deeply-nested.torrent").write_bytes(b"l" * 5_000 + b"e" * 5_000)
    (OUT / "README.txt").write_text(
        "Benign synthetic demo data for torrentwatch; regenerate with scripts/make_demo_data.py.\n"
    )
    print(f"wrote demo data to {OUT}")


if __name__ == "__main__":
    main()
