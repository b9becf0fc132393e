"""What ingest does with inputs that are not plain files, or that it cannot read, and
with magnet lists of any length (issue 11, items 5, 9 and 16).

Every case runs under a deadline: before these fixes a FIFO blocked the run forever
and ``/dev/zero`` was read until memory ran out.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli
from warehouse_rows import query_rows

from common.errors import HashListUnreadable, LandingError
from common.files import read_regular
from monitors.landing import LocalStorage
from parsers.inputs import magnet_slices
from parsers.magnet import parse_magnet_lines
from torrentwatch.hashlist import hashlist_import
from torrentwatch.import_magnetico import import_magnetico
from torrentwatch.ingest import ingest
from torrentwatch.synth import SynthTorrent, encode

GAME = SynthTorrent("Kart.Racer.Deluxe.PS2.PAL-SYNTH", (("kart.iso", 4_000_000),))
DISTRO = SynthTorrent("ubuntu-24.04.1-desktop-amd64", (("ubuntu.iso", 6_000_000),))


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts a blocking open() or a endless read."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _magnet(i: int, name: str = "Linux.Image") -> bytes:
    infohash = hashlib.sha1(str(i).encode()).hexdigest()
    return f"magnet:?xt=urn:btih:{infohash}&dn={name}.{i}\n".encode()


# --- item 5: only regular files are read ------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_fifo_and_devices_are_rejects_not_hangs(tmp_path, db_path, workers):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.torrent").write_bytes(encode(GAME))
    os.mkfifo(inbox / "pipe.torrent")
    os.mkfifo(inbox / "pipe.magnet")
    os.mkfifo(inbox / "pipe.txt")  # sniffed, not named: still never opened for reading
    os.symlink("/dev/zero", inbox / "zero.torrent")
    os.symlink("/dev/zero", inbox / "zero.magnet")
    os.symlink("/dev/urandom", inbox / "random.txt")
    with deadline(60):
        summary = ingest([inbox], db_path, workers=workers)
    assert summary.torrents_new == 1
    assert summary.rejected == {"input.not_regular_file": 6}
    details = dict(query_rows(db_path, "SELECT source_ref, detail FROM rejects"))
    assert "a FIFO" in details[str(inbox / "pipe.torrent")]
    assert "a character device" in details[str(inbox / "zero.torrent")]
    assert query_rows(db_path, "SELECT status FROM runs") == [("completed",)]


def test_a_fifo_given_by_name_is_a_reject_too(tmp_path, db_path):
    os.mkfifo(tmp_path / "given.torrent")
    with deadline(30):
        summary = ingest([tmp_path / "given.torrent", "/dev/zero"], db_path, workers=1)
    assert summary.rejected == {"input.not_regular_file": 2}


def test_the_size_cap_is_checked_while_reading(tmp_path):
    big = tmp_path / "big.torrent"
    big.write_bytes(b"d4:info" + b"x" * 5000)
    assert read_regular(big, 5007) == big.read_bytes()
    with pytest.raises(Exception) as caught:
        read_regular(big, 5006)
    assert caught.value.code == "input.too_large"
    with deadline(30), pytest.raises(Exception) as caught:
        read_regular("/dev/zero", 1000)
    assert caught.value.code == "input.not_regular_file"


def test_landing_zone_and_hash_lists_refuse_a_fifo(tmp_path, db_path):
    storage = LocalStorage(tmp_path / "landing")
    (tmp_path / "landing" / "items").mkdir(parents=True)
    os.mkfifo(tmp_path / "landing" / "items" / "x.payload")
    os.mkfifo(tmp_path / "hashes.txt")
    with deadline(30):
        with pytest.raises(LandingError, match="FIFO"):
            storage.read_bytes("items/x.payload")
        with pytest.raises(HashListUnreadable, match="FIFO"):
            hashlist_import(tmp_path / "hashes.txt", db_path, name="known")


def test_a_magnetico_import_of_a_fifo_or_device_is_a_reject(tmp_path, db_path):
    os.mkfifo(tmp_path / "export.jsonl")
    with deadline(30):
        for path in (tmp_path / "export.jsonl", Path("/dev/zero")):
            import_magnetico(path, db_path)
    assert query_rows(db_path, "SELECT reason, source_ref FROM rejects ORDER BY source_ref") == [
        ("input.not_regular_file", "/dev/zero:0"),
        ("input.not_regular_file", f"{tmp_path / 'export.jsonl'}:0"),
    ]


# --- item 9: what cannot be read is a reject, named -------------------------------------


def test_symlinked_subfolder_is_a_reject_and_not_followed(tmp_path, db_path):
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    inbox.mkdir()
    elsewhere.mkdir()
    (inbox / "good.torrent").write_bytes(encode(GAME))
    (elsewhere / "other.torrent").write_bytes(encode(DISTRO))
    os.symlink(elsewhere, inbox / "linked")
    os.symlink("..", inbox / "loop")  # a folder that contains itself
    os.symlink(tmp_path / "missing", inbox / "dangling.torrent")
    with deadline(60):
        summary = ingest([inbox], db_path, workers=1)
    assert summary.torrents_new == 1
    assert summary.rejected == {"input.symlink_folder": 2, "input.unreadable": 1}
    rejects = dict(query_rows(db_path, "SELECT source_ref, detail FROM rejects"))
    assert str(elsewhere) in rejects[str(inbox / "linked")]
    assert "No such file" in rejects[str(inbox / "dangling.torrent")]
    # Named explicitly, a symlinked folder is walked.
    assert ingest([inbox / "linked"], db_path, workers=1).torrents_new == 1


def test_path_under_a_file_is_a_reject(tmp_path, db_path):
    (tmp_path / "plain.torrent").write_bytes(encode(GAME))
    summary = ingest([tmp_path / "plain.torrent" / "sub"], db_path, workers=1)
    assert summary.rejected == {"input.unreadable": 1}
    assert "Not a directory" in query_rows(db_path, "SELECT detail FROM rejects")[0][0]


def _without_root_privileges() -> list[str]:
    """A command prefix under which file permissions hold: as root (tests run as root),
    drop the capabilities that let root read any folder; otherwise nothing."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop CAP_DAC_OVERRIDE as root")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_unreadable_folder_is_a_reject_shown_in_the_summary(tmp_path, db_path):
    inbox = tmp_path / "inbox"
    (inbox / "locked").mkdir(parents=True)
    (inbox / "good.torrent").write_bytes(encode(GAME))
    (inbox / "locked" / "hidden.torrent").write_bytes(encode(DISTRO))
    (inbox / "locked").chmod(0)
    try:
        result = run_cli(
            "ingest", inbox, "--db", db_path, via=_without_root_privileges(), timeout=120
        )
    finally:
        (inbox / "locked").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "rejected input.unreadable: 1" in result.stdout
    ((ref, detail),) = query_rows(db_path, "SELECT source_ref, detail FROM rejects")
    assert ref == str(inbox / "locked") and "Permission denied" in detail


# --- item 16: magnet lists stream in batches --------------------------------------------


def test_magnet_list_loads_in_batches_with_line_numbers(tmp_path, db_path):
    lines = [_magnet(i) for i in range(1, 1001)]
    lines[776] = b"magnet:?xt=urn:btih:nothex&dn=Broken\n"  # line 777
    lines[499] = b"magnet:?dn=" + b"x" * 70_000 + b"\n"  # line 500: over the line cap
    (tmp_path / "big.magnet").write_bytes(b"".join(lines))
    batches: list[int] = []
    with deadline(120):
        summary = ingest(
            [tmp_path / "big.magnet"],
            db_path,
            workers=2,
            chunk_size=50,
            batch_size=100,
            on_progress=lambda s: batches.append(s.items_read),
        )
    assert summary.torrents_new == 998
    assert summary.rejected_total == 2
    assert len(batches) >= 10  # one transaction per --batch items, not one for the file
    rejects = query_rows(db_path, "SELECT source_ref, reason FROM rejects ORDER BY reason")
    ref = str(tmp_path / "big.magnet")
    assert rejects[0] == (f"{ref}:500", "input.line_too_long")
    assert rejects[1][0] == f"{ref}:777"
    refs = query_rows(db_path, "SELECT source_ref FROM observations ORDER BY seen_at, source_ref")
    assert (f"{ref}:1000",) in refs and (f"{ref}:501",) in refs


def test_slices_number_lines_as_the_whole_file_parse_does(tmp_path):
    data = (
        b"\xef\xbb\xbf"
        + _magnet(1).rstrip(b"\n")
        + b"\r\n# comment\n\n"
        + _magnet(2).rstrip(b"\n")
        + b"\r"  # a bare CR ends a line for the parser
        + _magnet(3)
        + b"not a magnet\n"
        + _magnet(4).rstrip(b"\n")  # no final newline
    )
    whole = [(ref, line) for ref, line, _ in parse_magnet_lines(data, source_ref="f")]
    path = tmp_path / "list.magnet"
    path.write_bytes(data)
    for size in (1, 2, 3, 100):
        sliced = []
        with open(path, "rb") as handle:
            for part in magnet_slices(handle, max_lines=size):
                outcomes = parse_magnet_lines(part.data, source_ref="f", first_line=part.first_line)
                sliced += [(ref, line) for ref, line, _ in outcomes]
        assert sliced == whole, size


def test_empty_magnet_list_and_one_endless_line(tmp_path, db_path):
    (tmp_path / "empty.magnet").write_bytes(b"")
    (tmp_path / "endless.magnet").write_bytes(b"magnet:?dn=" + b"y" * 3_000_000)
    with deadline(60):
        summary = ingest([tmp_path], db_path, workers=1)
    assert summary.rejected == {"input.empty": 1, "input.line_too_long": 1}
    sha = hashlib.sha256(b"magnet:?dn=" + b"y" * 3_000_000).hexdigest()
    assert (sha,) in query_rows(db_path, "SELECT sha256 FROM rejects")
