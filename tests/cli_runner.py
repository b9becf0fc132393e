"""The one way tests run the command line: ``python -m torrentwatch`` in a child process.

A child process, not typer's in-process runner, so a test sees exactly what an operator
does: the exit status, stdout and stderr of the installed entry point, and no state
shared with the test (open warehouses, logging set-up, signal handlers).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    columns: int | None = None,
    timeout: float | None = None,
    via: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``torrentwatch ARGS`` and return it finished, its output captured as text.

    ``env`` is added to this process's environment; ``columns`` sets ``COLUMNS`` (rich
    wraps help and tables at the terminal width, so a test matching a long line widens
    it); ``via`` is a command the CLI runs under (``setpriv ...``). The exit status is
    not checked: tests assert on it, with stderr as the message.
    """
    environ = None
    if env is not None or columns is not None:
        environ = {**os.environ, **(env or {})}
        if columns is not None:
            environ["COLUMNS"] = str(columns)
    return subprocess.run(
        [*via, sys.executable, "-m", "torrentwatch", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=timeout,
    )
