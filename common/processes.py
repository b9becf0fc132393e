"""Worker processes that die with the process that started them, and the one pool of them.

A forked worker outlives a parent killed with ``kill -9``: it is re-parented to PID 1
and goes on parsing (holding its memory) until it next talks to the dead parent, which
can take minutes. On Linux ``prctl(PR_SET_PDEATHSIG)`` has the kernel kill it when the
parent goes; the parent may have died already before the call, so the worker then
checks that its parent is still the one that started it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# How much lower than the writer a parsing worker runs.
WORKER_NICENESS = 5


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker: it is killed when ``parent_pid`` exits, and ends
    now if that has happened already. Elsewhere than Linux only the check is made."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def worker_pool(workers: int, *, warm: bool = False) -> Iterator[ProcessPoolExecutor]:
    """``workers`` forked processes that die with this one and yield the CPU to it.

    Forked, so they inherit no DuckDB threads or locks when the caller forks before
    opening the warehouse (or while its DuckDB is idle), and, unlike spawn or
    forkserver, re-import nothing: a caller's script needs no ``__main__`` guard.
    Niced, because every batch passes through the single writer in this process, and
    a starved writer stalls the whole pipeline. ``warm`` starts every worker now
    (with fork, the first task does) rather than at the first submitted task.
    """
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(),),
    ) as pool:
        if warm:
            pool.submit(int).result()
        yield pool


def _start_worker(parent_pid: int) -> None:
    die_with_parent(parent_pid)
    os.nice(WORKER_NICENESS)
