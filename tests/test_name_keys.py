"""Rules see what a victim would see: every name key, the raw bytes (issue 11, items 3, 4).

Each disguise is a hostile .torrent built here next to its plain twin; both are
ingested into one warehouse and flagged with the shipped packs (plus a test-only rule
for zero-width marks, which no shipped rule reads), and the disguise must be flagged
by the same rule as its twin. Below that, the parsed records and Arrow columns.
All names are benign and synthetic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libtorrent as lt
import pytest
from cli_runner import run_cli
from torrent_fixtures import build_torrent, libtorrent_torrent, write_tree

from parsers.columnar import build_batch
from parsers.normalize import display_name
from parsers.records import Sighting
from parsers.torrent import parse_torrent
from torrentwatch.explain import explain
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.review import review_queue
from warehouse.db import connect

RLO = "\u202e"
ZWSP = "\u200b"
FILM = "Harbor.Lights.2019.1080p.BluRay.x264-SYNTH"
MB = 1024 * 1024
BIG_PIECE = 4 * MB
ZERO_WIDTH_PACK = """\
rules:
  - id: test.zero-width
    version: 1
    title: Zero-width characters in the name or a file path
    description: Benign test rule.
    level: medium
    when:
      any:
        - name_marks: {zero_width: true}
        - file_marks: {zero_width: true}
    tests:
      flag: [{name: "Quiet\\u200BLake", files: [["a.mkv", 1MB]]}]
      pass: [{name: "Quiet.Lake", files: [["a.mkv", 1MB]]}]
"""


def _film(exe: dict[str, Any]) -> dict[str, Any]:
    """A film release with a 4 GB video and one more file (described by ``exe``)."""
    return {
        "name": FILM,
        "piece length": BIG_PIECE,
        "files": [{"length": 4096 * MB, "path": ["movie.mkv"]}, {"length": 2 * MB, **exe}],
    }


def _files(name: str, entry: dict[str, Any]) -> bytes:
    """A v1 torrent named ``name`` holding one 5000-byte file described by ``entry``."""
    return build_torrent({"name": name, "files": [{"length": 5000, **entry}]})


def _v2_renamed(tmp_path: Path, kind: str, old: bytes, new: bytes, v1_path: bool = True) -> bytes:
    """A libtorrent-made v2 or hybrid torrent whose file ``old`` is renamed ``new`` in the
    file tree (and, for a hybrid, in the v1 'files' list when ``v1_path``)."""
    folder = tmp_path / f"{kind}-{new.hex()[:16]}-{v1_path}"
    target = write_tree(folder, {"Ocean.Winter.2020-SYNTH/clip.mkv": 40_000,
                                 "Ocean.Winter.2020-SYNTH/notes.txt": 300})  # fmt: skip
    decoded = lt.bdecode(libtorrent_torrent(target, kind))
    info = decoded[b"info"]
    tree = info[b"file tree"]
    tree[new] = tree.pop(old)
    info[b"file tree"] = dict(sorted(tree.items()))
    for entry in info.get(b"files", []) if v1_path else []:
        if entry[b"path"] == [old]:
            entry[b"path"] = [new]
    return lt.bencode(decoded)


def _hybrid_with_v1_plain_key(tmp_path: Path) -> tuple[bytes, bytes]:
    """Hybrid twins: the override in every key libtorrent reads (plain), or only in the
    v1 'path' key beside a 'path.utf-8' that matches the file tree (disguise)."""
    hidden = f"clip{RLO}vkm.exe".encode()
    plain = _v2_renamed(tmp_path, "hybrid", b"clip.mkv", hidden)
    decoded = lt.bdecode(_v2_renamed(tmp_path, "hybrid", b"clip.mkv", b"clip.mkv"))
    for entry in decoded[b"info"][b"files"]:
        if entry[b"path"] == [b"clip.mkv"]:
            entry[b"path.utf-8"] = [b"clip.mkv"]
            entry[b"path"] = [hidden]
    return plain, lt.bencode(decoded)


def _twins(tmp_path: Path) -> dict[str, tuple[str, bytes, bytes]]:
    """case id -> (rule id, plain twin, disguise)."""
    bidi = "disguise.bidi-control"
    video_exe = "disguise.executable-in-video-release"
    hidden = f"Ocean.Winter.{RLO}ivm.exe"
    clip = f"clip{RLO}fdp.exe"
    hybrid_plain, hybrid_disguised = _hybrid_with_v1_plain_key(tmp_path)
    long_stem = "Comet.River." + "x" * 300
    return {
        "rlo-in-name.utf-8-only": (
            bidi,
            build_torrent({"name": hidden}),
            build_torrent({"name": "Ocean.Winter.2020-SYNTH", "name.utf-8": hidden}),
        ),
        "rlo-in-name-only-beside-a-plain-name.utf-8": (
            bidi,
            build_torrent({"name": hidden, "length": 100_001}),
            build_torrent({"name": hidden, "name.utf-8": "Ocean.Winter.2020-SYNTH"}),
        ),
        "rlo-in-path.utf-8-only": (
            bidi,
            _files("Ocean.Winter.2020-SYNTH", {"path": [clip]}),
            _files("Ocean.Winter.2020-SYNTH", {"path": ["clip.mkv"], "path.utf-8": [clip]}),
        ),
        "rlo-in-v2-file-tree": (
            bidi,
            _v2_renamed(tmp_path, "v2", b"clip.mkv", b"clip.mkv" + RLO.encode()),
            _v2_renamed(tmp_path, "v2", b"clip.mkv", clip.encode()),
        ),
        "rlo-in-hybrid-file-tree": (
            bidi,
            hybrid_plain,
            _v2_renamed(tmp_path, "hybrid", b"clip.mkv", clip.encode(), v1_path=True),
        ),
        "rlo-in-hybrid-v1-path-key-only": (bidi, hybrid_plain, hybrid_disguised),
        "zero-width-in-name.utf-8-only": (
            "test.zero-width",
            build_torrent({"name": f"Quiet{ZWSP}Lake.2015.mkv"}),
            build_torrent({"name": "Quiet.Lake.2015.mkv", "name.utf-8": f"Quiet{ZWSP}Lake.mkv"}),
        ),
        "zero-width-in-path.utf-8-only": (
            "test.zero-width",
            _files("Quiet.Lake", {"path": [f"clip{ZWSP}.mkv"]}),
            _files("Quiet.Lake", {"path": ["clip.mkv"], "path.utf-8": [f"clip{ZWSP}.mkv"]}),
        ),
        "trailing-dot-in-path.utf-8-only": (
            "disguise.trailing-dot-space",
            _files("Lake.Holiday.Photos.2017", {"path": ["viewer.exe."]}),
            _files(
                "Lake.Holiday.Photos.2017", {"path": ["viewer.exe"], "path.utf-8": ["viewer.exe."]}
            ),
        ),
        "trailing-dot-in-path-only-beside-a-plain-path.utf-8": (
            "disguise.trailing-dot-space",
            _files("Lake.Holiday.Photos.2018", {"path": ["viewer.exe."]}),
            _files(
                "Lake.Holiday.Photos.2018", {"path": ["viewer.exe."], "path.utf-8": ["viewer.exe"]}
            ),
        ),
        "invalid-utf8-before-the-extension": (
            video_exe,
            build_torrent(_film({"path": ["Codec.Setup.exe"]})),
            build_torrent(_film({"path": [b"Codec.Setup\xe9.exe"]})),
        ),
        "element-over-240-bytes-with-a-double-extension": (
            "disguise.double-extension",
            build_torrent({"name": "Comet.River.2021.avi.exe"}),
            build_torrent({"name": long_stem + ".avi.exe"}),
        ),
        "pad-attribute-on-a-big-program": (
            video_exe,
            build_torrent(_film({"path": ["Codec.Setup.exe"]}) | {"comment": "twin"}),
            build_torrent(_film({"path": ["Codec.Setup.exe"], "attr": "p"})),
        ),
    }


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every twin ingested into one warehouse and flagged; infohash -> rule ids."""
    tmp_path = tmp_path_factory.mktemp("name-keys")
    twins = _twins(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    hashes: dict[str, tuple[str, str, str]] = {}
    for case, (rule, plain, disguise) in twins.items():
        pair = []
        for role, data in (("plain", plain), ("disguise", disguise)):
            (folder / f"{case}.{role}.torrent").write_bytes(data)
            pair.append(parse_torrent(data).infohash)
        assert pair[0] != pair[1], case
        hashes[case] = (rule, *pair)
    pack = tmp_path / "zero-width.yaml"
    pack.write_text(ZERO_WIDTH_PACK)
    db = tmp_path / "w.duckdb"
    summary = ingest([folder], db, workers=1)
    assert summary.rejected_total == 0, summary.rejected
    flag(db, [pack])
    con = connect(db, read_only=True)
    rows = con.execute("SELECT infohash, rule_id FROM flags WHERE active").fetchall()
    con.close()
    rules: dict[str, set[str]] = {}
    for infohash, rule_id in rows:
        rules.setdefault(infohash, set()).add(rule_id)
    return {"db": db, "hashes": hashes, "rules": rules}


@pytest.mark.parametrize(
    "case",
    [
        "rlo-in-name.utf-8-only",
        "rlo-in-name-only-beside-a-plain-name.utf-8",
        "rlo-in-path.utf-8-only",
        "rlo-in-v2-file-tree",
        "rlo-in-hybrid-file-tree",
        "rlo-in-hybrid-v1-path-key-only",
        "zero-width-in-name.utf-8-only",
        "zero-width-in-path.utf-8-only",
        "trailing-dot-in-path.utf-8-only",
        "trailing-dot-in-path-only-beside-a-plain-path.utf-8",
        "invalid-utf8-before-the-extension",
        "element-over-240-bytes-with-a-double-extension",
        "pad-attribute-on-a-big-program",
    ],
)
def test_disguise_is_flagged_like_its_plain_twin(flagged: dict[str, Any], case: str) -> None:
    rule, plain, disguise = flagged["hashes"][case]
    assert rule in flagged["rules"].get(plain, set()), f"{case}: the plain twin is not flagged"
    assert rule in flagged["rules"].get(disguise, set()), f"{case}: the disguise steps around"


def test_explain_shows_the_override_in_the_torrent_name(flagged: dict[str, Any]) -> None:
    """The analyst sees the hidden character in the name, from either name key."""
    for case in ("rlo-in-name.utf-8-only", "rlo-in-name-only-beside-a-plain-name.utf-8"):
        _, _, disguise = flagged["hashes"][case]
        first = explain(flagged["db"], disguise)[0]
        assert "Ocean.Winter.<U+202E>ivm.exe" in first, first


def test_explain_lists_a_file_whose_bytes_are_not_utf8_as_a_client_writes_it(
    flagged: dict[str, Any],
) -> None:
    """Evidence JSON holds text only; the file line still shows the client's name
    (U+FFFD for the bad byte, and the real extension), not libtorrent's rewrite."""
    _, _, disguise = flagged["hashes"]["invalid-utf8-before-the-extension"]
    text = "\n".join(explain(flagged["db"], disguise))
    assert "Codec.Setup\ufffd.exe [exe]" in text, text
    assert "Setup_xe" not in text, text


def test_the_review_queue_shows_the_override_in_the_torrent_name(
    flagged: dict[str, Any],
) -> None:
    """The queue an analyst triages from names the torrent as a client shows it, and
    the printed queue makes the hidden character visible."""
    _, _, disguise = flagged["hashes"]["rlo-in-name.utf-8-only"]
    queue = review_queue(flagged["db"]).to_pylist()
    names = {row["infohash"]: row["name"] for row in queue}
    assert names[disguise] == f"Ocean.Winter.{RLO}ivm.exe"
    printed = run_cli("review", "queue", "--db", flagged["db"], columns=400)
    assert printed.returncode == 0, printed.stderr
    assert "<U+202E>" in printed.stdout and RLO not in printed.stdout


def test_the_other_keys_bytes_are_kept(flagged: dict[str, Any]) -> None:
    """Evidence: both name keys' bytes are in the warehouse, the override included."""
    _, _, disguise = flagged["hashes"]["rlo-in-name-only-beside-a-plain-name.utf-8"]
    _, _, in_path = flagged["hashes"]["rlo-in-path.utf-8-only"]
    con = connect(flagged["db"], read_only=True)
    name = con.execute(
        "SELECT name, name_raw, name_alt_raw, name_has_bidi FROM torrents WHERE infohash = ?",
        [disguise],
    ).fetchone()
    path = con.execute(
        "SELECT path, path_raw, path_alt_raw, has_bidi, ext FROM files WHERE infohash = ?",
        [in_path],
    ).fetchone()
    con.close()
    hidden = f"Ocean.Winter.{RLO}ivm.exe".encode()
    assert name == ("Ocean.Winter.2020-SYNTH", None, hidden, True)
    clip = f"Ocean.Winter.2020-SYNTH/clip{RLO}fdp.exe".encode()
    assert path == ("Ocean.Winter.2020-SYNTH/clipfdp.exe", clip,
                    [b"Ocean.Winter.2020-SYNTH/clip.mkv"], True, "exe")  # fmt: skip


# --- the parsed records and columns --------------------------------------------------


def _batch(*torrents: bytes):
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    metas = [parse_torrent(data) for data in torrents]
    return metas, build_batch([(m, Sighting("test", "t", seen)) for m in metas], [])


def test_extensions_and_kinds_come_from_the_raw_bytes() -> None:
    long_name = "x" * 300 + ".avi.exe"
    metas, batch = _batch(
        build_torrent({"name": b"Codec.Setup\xe9.exe"}), build_torrent({"name": long_name})
    )
    assert metas[0].name == "Codec.Setup_xe"  # libtorrent's rewrite
    files = batch.files.select(["path_raw", "ext", "exts", "kind"]).to_pylist()
    assert files == [
        {"path_raw": b"Codec.Setup\xe9.exe", "ext": "exe", "exts": ["exe"], "kind": "executable"},
        {"path_raw": long_name.encode(), "ext": "exe", "exts": ["avi", "exe"],
         "kind": "executable"},
    ]  # fmt: skip
    claims = batch.torrents.select(["name_norm"]).to_pylist()
    assert claims[0]["name_norm"].endswith(" exe")


def test_marks_count_in_any_name_key() -> None:
    _, batch = _batch(
        build_torrent({"name": "Quiet.Lake", "name.utf-8": f"Quiet{ZWSP}Lake"}),
        build_torrent({"name": f"Quiet.Lake.{RLO}vkm.exe", "name.utf-8": "Quiet.Lake"}),
        build_torrent({"name": "Quiet.Lake. ", "name.utf-8": "Quiet.Lake"}),
    )
    marks = batch.torrents.select(
        ["name_has_bidi", "name_has_zero_width", "name_has_trailing_dot_space"]
    ).to_pylist()
    assert [tuple(row.values()) for row in marks] == [
        (False, True, False),
        (True, False, False),
        (False, False, True),
    ]
    file_marks = batch.files.select(["has_bidi", "has_zero_width", "has_trailing_dot_space"])
    assert [tuple(r.values()) for r in file_marks.to_pylist()] == [tuple(r.values()) for r in marks]


def test_pad_attribute_alone_does_not_make_padding() -> None:
    data = build_torrent({
        "name": "Pack",
        "files": [
            {"length": 2 * MB, "path": ["Codec.Setup.exe"], "attr": "p"},
            {"length": 10_000, "path": ["a.txt"]},
            {"length": 6384, "attr": "p"},  # listed as .pad/6384: real padding
            {"length": 5, "path": [".pad", "5"]},  # padding whose attribute was dropped
            {"length": 7, "path": ["_____padding_file_0_"]},  # BitComet's filler
            {"length": 20_000, "path": [".pad", "20000"]},  # more than a piece
        ],
    })  # fmt: skip
    meta = parse_torrent(data)
    assert meta.files.is_pad == (False, False, True, True, True, False)
    assert meta.file_count == 3
    _, batch = _batch(data)
    assert batch.files.column("is_pad").to_pylist() == list(meta.files.is_pad)
    assert batch.torrents.column("count_executable").to_pylist() == [1]


@pytest.mark.parametrize("kind", ["v1", "v2", "hybrid"])
def test_real_padding_stays_padding(tmp_path: Path, kind: str) -> None:
    """libtorrent's own pad files (v2 and hybrid align every file) are padding."""
    target = write_tree(tmp_path, {"Galaxy.Demo/game.bin": 40_000, "Galaxy.Demo/a.txt": 300,
                                   "Galaxy.Demo/b.txt": 70_000})  # fmt: skip
    data = libtorrent_torrent(target, kind)
    meta = parse_torrent(data)
    layout = lt.torrent_info(data).layout()
    libtorrent_pads = tuple(bool(layout.file_flags(i) & 1) for i in range(layout.num_files()))
    assert meta.files.is_pad == libtorrent_pads
    assert any(libtorrent_pads) == (kind != "v1")
    assert meta.file_count == 3


def test_fast_path_keeps_its_guarantees() -> None:
    """A plain v1 torrent with a BitComet or .pad name still decides padding by name."""
    data = build_torrent({
        "name": "Pack",
        "files": [
            {"length": 10_000, "path": ["a.bin"]},
            {"length": 6384, "path": ["_____padding_file_0_update BitComet____"]},
            {"length": 2 * MB, "path": ["_____padding_file_1_"]},
            {"length": 5, "path": [".pad", "5"]},
        ],
    })  # fmt: skip
    meta = parse_torrent(data)
    assert meta.files.is_pad == (False, True, False, True)
    assert meta.files.paths_alt_raw == (None,) * 4


def test_display_name_shows_every_key() -> None:
    assert display_name("Quietvkm.exe", f"Quiet{RLO}vkm.exe".encode()) == "Quiet<U+202E>vkm.exe"
    assert display_name("Quiet.Lake", None, f"Quiet{ZWSP}".encode()) == (
        "Quiet.Lake (other name key: Quiet<U+200B>)"
    )
    assert display_name("Quiet.Lake", None, b"Quiet.Lake") == "Quiet.Lake"
    assert display_name("Setup_xe", b"Setup\xe9.exe") == "Setup\ufffd.exe"


def test_only_the_odd_rows_of_a_batch_change() -> None:
    """Raw bytes and other keys replace the text of their own rows, and no other."""
    plain = [build_torrent({"name": f"Quiet.Lake.{i}.mkv"}) for i in range(3)]
    odd = [
        build_torrent({"name": b"Codec.Setup\xe9.exe"}),
        build_torrent({"name": "Quiet.Lake.mkv", "name.utf-8": f"Quiet.Lake{RLO}.mkv"}),
        build_torrent({"name": f"Quiet.Lake{ZWSP}.mkv", "name.utf-8": "Quiet.Lake.mkv"}),
    ]
    _, batch = _batch(plain[0], odd[0], plain[1], odd[1], plain[2], odd[2])
    files = batch.files.select(["ext", "has_bidi", "has_zero_width"]).to_pylist()
    assert [tuple(row.values()) for row in files] == [
        ("mkv", False, False),
        ("exe", False, False),
        ("mkv", False, False),
        ("mkv", True, False),
        ("mkv", False, False),
        ("mkv", False, True),
    ]
    norms = batch.torrents.column("name_norm").to_pylist()
    assert norms[::2] == ["quiet lake 0 mkv", "quiet lake 1 mkv", "quiet lake 2 mkv"]
