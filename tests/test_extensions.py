"""Extension chains and file kinds, from tests/cases/extensions.yaml and generated paths."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from common.errors import ConfigError
from parsers.extensions import (
    KINDS,
    chain_of_name,
    compile_taxonomy,
    ext_chain,
    ext_chain_array,
    is_exec_or_shortcut,
    is_exec_or_shortcut_array,
    kind_array,
    kind_of,
    kind_of_ext,
    taxonomy,
)
from parsers.taxonomy import load_data, parse_yaml

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "extensions.yaml").read_text("utf-8"))


@pytest.mark.parametrize("path", list(CASES), ids=[repr(k)[:40] for k in CASES])
def test_case(path: str) -> None:
    expected = CASES[path]
    chains = ext_chain_array(pa.array([path], pa.string()))
    if "chain" in expected:
        assert chains.to_pylist() == [expected["chain"]]
        assert ext_chain(path) == expected["chain"]
    if "kind" in expected:
        assert kind_array(chains).to_pylist() == [expected["kind"]]
        assert kind_of(path) == expected["kind"]
    if "exec_or_shortcut" in expected:
        assert is_exec_or_shortcut_array(chains).to_pylist() == [expected["exec_or_shortcut"]]
        assert is_exec_or_shortcut(path) is expected["exec_or_shortcut"]


def test_kinds_are_fixed_and_all_used() -> None:
    assert KINDS == (
        "video", "image", "audio", "archive", "disc_image", "game_package",
        "executable", "document", "subtitle", "text", "other",
    )  # fmt: skip
    used = set(taxonomy().kind_of_ext.values())
    assert used == set(KINDS) - {"other"}


PIECES = [
    "movie",
    "MKV",
    "avi",
    "exe",
    "tar",
    "gz",
    "2023",
    "racer",
    "",
    " ",
    "x",
    "R00",
    "001",
    "abcdefghi",
    "Ünï",
    "\u202e",
    "iso",
]


def _random_paths(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        parts = [rnd.choice(PIECES) for _ in range(rnd.randrange(1, 6))]
        seps = [rnd.choice(["."] * 6 + ["/", " ", ".."]) for _ in parts]
        out.append("".join(p + s for p, s in zip(parts, seps, strict=True))[: rnd.randrange(1, 40)])
    return out


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_chains_agree_with_reference(seed: int) -> None:
    paths = _random_paths(4000, seed)
    chains = ext_chain_array(pa.array(paths))
    assert chains.to_pylist() == [chain_of_name(p) for p in paths]
    assert kind_array(chains).to_pylist() == [kind_of(p) for p in paths]
    assert is_exec_or_shortcut_array(chains).to_pylist() == [is_exec_or_shortcut(p) for p in paths]


def test_kind_array_takes_plain_extensions_and_keeps_nulls() -> None:
    exts = pa.array(["mkv", "", None, "r01", "zzz", "ISO"])
    assert kind_array(exts).to_pylist() == ["video", "other", None, "archive", "other", "other"]
    assert kind_of_ext("7z") == "archive" and kind_of_ext("") == "other"
    chains = ext_chain_array(pa.chunked_array([["a.mkv", None], ["b.tar.gz"]]))
    assert chains.to_pylist() == [["mkv"], None, ["tar", "gz"]]
    assert kind_array(chains).to_pylist() == ["video", None, "archive"]
    assert kind_array(pa.chunked_array([chains])).to_pylist() == ["video", None, "archive"]
    assert is_exec_or_shortcut_array(pa.array(["exe", None, "mkv"])).to_pylist() == [
        True, None, False,
    ]  # fmt: skip


def test_sliced_input() -> None:
    paths = pa.array(["zero.exe", "one.avi.exe", "two.mkv"])[1:]
    assert ext_chain_array(paths).to_pylist() == [["avi", "exe"], ["mkv"]]


def test_shipped_file_is_valid() -> None:
    tax = compile_taxonomy(load_data("file_kinds.yaml"))
    assert tax.kind_of_ext["iso"] == "disc_image"
    assert "url" in tax.exec_or_shortcut


BAD = """\
kinds:
  video: [mkv, avi]
  moving_pictures: [mov]
  audio: [mp3, MKV, .flac, 123]
  text: [avi]
patterns:
  archive: ['r[0-9']
exec_or_shortcut: [exe]
"""


def test_bad_taxonomy_names_file_line_and_key() -> None:
    with pytest.raises(ConfigError) as info:
        compile_taxonomy(parse_yaml(BAD, "kinds-test.yaml"))
    message = str(info.value)
    assert "6 problem(s) in parser data kinds-test.yaml" in message
    assert "kinds-test.yaml:3:3: kinds.moving_pictures: unknown kind 'moving_pictures'" in message
    assert "kinds.audio[1]: 'MKV': write extensions lower-case" in message
    assert "kinds.audio[2]" in message
    assert "kinds.audio[3]: 123 is not a string" in message
    assert (
        "kinds-test.yaml:5:10: kinds.text[0]: extension 'avi' listed twice (first under "
        "'video' at kinds-test.yaml:2:16)" in message
    )
    assert "patterns.archive[0]: bad regular expression" in message
