"""The one way gathered files are opened and read: regular files only, size-capped.

A watch folder is written by whoever can write to it. A FIFO named ``x.torrent``
blocks a plain ``open()`` until some writer appears (Ctrl-C cannot interrupt it), and
a symlink to ``/dev/zero`` reads forever. So a path is checked with ``stat`` before it
is opened, opened with ``O_NONBLOCK`` (so even a FIFO swapped in after the check
cannot block the open) and checked again with ``fstat`` on the open descriptor, which
is what is then read. A size cap is checked while reading: never more than ``cap + 1``
bytes are read, whatever the file claims.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from common.errors import FileTooLarge, NotRegularFile

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "a special file"


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFile(f"{_kind(mode)}, not a regular file: not read")


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """``path`` opened for binary reading, when it is a regular file (symlinks followed).

    Raises NotRegularFile for anything else, OSError when it cannot be opened.
    """
    _check_regular(os.stat(path).st_mode)  # a device is never even opened
    fd = os.open(path, _FLAGS)
    try:
        _check_regular(os.fstat(fd).st_mode)  # what was opened, not what the name says now
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (see above).

    The hot path of ingest (one call per .torrent): plain ``os.read`` on the
    descriptor, no buffered file object, one ``fstat`` for the check and the size.
    """
    _check_regular(os.stat(path).st_mode)
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        _check_regular(st.st_mode)
        return _read_fd(fd, st.st_size, limit)
    finally:
        os.close(fd)


def _read_fd(fd: int, stated: int, limit: int) -> bytes:
    """All of the file when it holds at most ``limit`` bytes; FileTooLarge otherwise.

    Reads at most ``limit + 1`` bytes. The first read asks for the size ``fstat``
    stated (asking for the cap would allocate the cap for every small file); a file
    that grew is read on, to the cap. O_NONBLOCK does not affect regular files.
    """
    want = min(stated, limit) + 1
    parts = []
    got = 0
    while got <= limit and (block := os.read(fd, want - got if got < want else limit + 1 - got)):
        parts.append(block)
        got += len(block)
    data = parts[0] if len(parts) == 1 else b"".join(parts)  # one read: no copy
    if got > limit:
        if stated > limit:
            message = f"{stated} bytes is over the {limit}-byte limit"
        else:
            message = f"it grew past the {limit}-byte limit while it was read"
        raise FileTooLarge(message, size=max(stated, got), limit=limit)
    return data
