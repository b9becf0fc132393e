"""A workbench over a flagged warehouse for the tests: the demo data plus torrents with
hostile names (markup, bidi override, zero-width), accounts of every role, and clients
that log in the way a browser does."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from torrent_fixtures import build_torrent

from torrentwatch.demo import demo_data_dir
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.review import review_policy
from torrentwatch.workbench.accounts import users_add
from torrentwatch.workbench.app import create_app
from torrentwatch.workbench.web import Settings

# Names an attacker may choose; each torrent also holds "x.avi.exe" so a rule flags it.
HOSTILE = {
    "script": "<script>alert(1)</script>.Film.2020.1080p",
    "img": '"><img src=x onerror=alert(2)>.Film.2021.720p',
    "bidi": "Holiday\u202egpj.Film.2019.1080p",
    "zero_width": "Quiet\u200bNight.Film.2018.720p",
}
USERS = {"ana": "analyst", "ben": "analyst", "lea": "lead", "adm": "admin"}
PASSWORD = "correct horse battery"


def hostile_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in HOSTILE.items():
        info = {
            "name": name,
            "files": [
                {"path": ["Trailer.avi.exe"], "length": 2_000_000},
                {"path": ["readme.txt"], "length": 1_000},
            ],
        }
        (folder / f"{key}.torrent").write_bytes(build_torrent(info))
    return folder


def build_warehouse(folder: Path) -> Path:
    """The flagged warehouse with the two-person rule on and an account of each role."""
    db = folder / "wb.duckdb"
    ingest([demo_data_dir(), hostile_folder(folder / "hostile")], db, workers=1)
    flag(db)
    review_policy(db, two_person=True, analyst="adm")
    for name, role in USERS.items():
        users_add(db, name, role=role, password=PASSWORD)
    return db


def copy_warehouse(template: Path, folder: Path) -> Path:
    db = folder / "wb.duckdb"
    shutil.copy(template, db)
    shutil.copy(str(template) + ".workbench.sqlite", str(db) + ".workbench.sqlite")
    return db


def make_app(db: Path, **settings):
    return create_app(
        Settings(db=db, exports_dir=db.parent / "exports", login_delay=0.01, **settings),
        start_refresher=False,
    )


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html)[1]


def log_in(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login", data={"csrf": csrf_of(page.text), "name": name, "password": password}
    )


ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(
    db: Path | str, exports: Path, *, wait: float = 30, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """A real `torrentwatch serve` process on a free loopback port; its base URL.
    ``extra``: more options (``--home DIR`` for a lake)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "torrentwatch", "serve", "--db", str(db), "--port", str(port),
         "--exports", str(exports), *extra],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output = process.communicate()[0]
                    raise RuntimeError(f"serve did not start: {output}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
