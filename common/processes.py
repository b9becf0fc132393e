"""Worker processes that die with the process that started them.

A forked worker outlives a parent killed with ``kill -9``: it is re-parented to PID 1
and goes on parsing (holding its memory) until it next talks to the dead parent, which
can take minutes. On Linux ``prctl(PR_SET_PDEATHSIG)`` has the kernel kill it when the
parent goes; the parent may have died already before the call, so the worker then
checks that its parent is still the one that started it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
