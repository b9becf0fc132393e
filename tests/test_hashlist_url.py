"""Known-hash lists fetched from an http(s) URL, and refreshes that store a version only
when the list changed (the hashlist_sync DAG's way). A real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from common.errors import HashListUnreadable
from torrentwatch.hashlist import hashlist_import
from warehouse.db import connect

LIST_V1 = b"0123456789abcdef0123456789abcdef01234567\n"
LIST_V2 = LIST_V1 + b"89abcdef0123456789abcdef0123456789abcdef\n"


class _Lists(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes]]]:
    bodies: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_Lists,), {"bodies": bodies})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", bodies
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """An existing, empty warehouse: `hashlist import` needs one (it creates none)."""
    path = tmp_path / "warehouse.duckdb"
    connect(path, create=True).close()
    return path


def _versions(db) -> list[tuple[int, int, str]]:
    con = connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT version, entries, file_path FROM hash_lists WHERE name = 'hotline' "
            "ORDER BY version"
        ).fetchall()
    finally:
        con.close()


def test_a_list_is_imported_from_a_url(server, db_path):
    base, bodies = server
    bodies["/lists/known.txt"] = LIST_V1
    summary = hashlist_import(f"{base}/lists/known.txt", db_path, name="hotline").summary
    assert (summary.version, summary.entries, summary.unchanged) == (1, 1, False)
    assert _versions(db_path) == [(1, 1, f"{base}/lists/known.txt")]


def test_if_changed_stores_a_version_only_for_a_change(server, db_path):
    base, bodies = server
    url = f"{base}/known.txt"
    bodies["/known.txt"] = LIST_V1
    assert hashlist_import(url, db_path, name="hotline", if_changed=True).summary.version == 1
    again = hashlist_import(url, db_path, name="hotline", if_changed=True).summary
    assert (again.version, again.unchanged) == (1, True)
    bodies["/known.txt"] = LIST_V2
    changed = hashlist_import(url, db_path, name="hotline", if_changed=True).summary
    assert (changed.version, changed.entries, changed.unchanged) == (2, 2, False)
    # without --if-changed every import is a version, as before
    assert hashlist_import(url, db_path, name="hotline").summary.version == 3
    assert [v for v, _, _ in _versions(db_path)] == [1, 2, 3]


def test_a_missing_list_names_the_url_and_stores_nothing(server, db_path):
    base, _ = server
    with pytest.raises(HashListUnreadable) as caught:
        hashlist_import(f"{base}/gone.txt", db_path, name="hotline")
    assert f"{base}/gone.txt" in str(caught.value) and "404" in str(caught.value)
    assert caught.value.code == "hashlist.unreadable"
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM hash_lists").fetchone() == (0,)
    con.close()


def test_nothing_listening_is_a_clear_error(db_path):
    with pytest.raises(HashListUnreadable) as caught:
        hashlist_import("http://127.0.0.1:9/known.txt", db_path, name="hotline")
    assert "127.0.0.1:9" in str(caught.value)
