"""A real PostgreSQL for the lake tests and benchmarks: Debian's server, made by
``initdb`` in a temporary folder, listening on 127.0.0.1 only, gone when it ends.

PostgreSQL refuses to run as root, and CI runs as root: there the server runs as the
``postgres`` account Debian's package creates, in a folder handed to it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (a small race accepted in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True, slots=True)
class PgServer:
    port: int
    folder: Path
    as_user: tuple[str, ...]  # the command prefix that runs a tool as the server's owner

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=tw"

    def new_lake(self, dbname: str, folder: Path) -> str:
        """A lake target with its catalog in a new database ``dbname`` and its data in
        ``folder/<dbname>-data`` (open to every user: the server runs as another)."""
        data = folder / f"{dbname}-data"
        data.mkdir(parents=True)
        data.chmod(0o777)
        return f"ducklake:postgres:{self.create_database(dbname)};data_path={data}/"

    def create_database(self, dbname: str) -> str:
        """A new empty database; its libpq connection string."""
        subprocess.run(
            [
                *self.as_user,
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "tw",
                dbname,
            ],
            check=True,
            capture_output=True,
        )
        return self.conninfo(dbname)


@contextmanager
def running_postgres() -> Iterator[PgServer]:
    folder = Path(tempfile.mkdtemp(prefix="torrentwatch-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ("runuser", "-u", "postgres", "--")
    data = folder / "data"
    port = free_port()
    tool = [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "tw"],
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    subprocess.run(
        [*tool, "-o", options, "-l", str(folder / "server.log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            capture_output=True,
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError((folder / "server.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield PgServer(port, folder, as_user)
    finally:
        subprocess.run([*tool, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
