"""The workbench's own transactional store: accounts, sessions, audit, pending decisions.

One SQLite file in WAL mode beside the warehouse file, or in the workbench's home
folder for a lake (``torrentwatch.workbench.home``); ``warehouse.pending_reviews`` owns
the ``pending_reviews`` table, which review and export runs (or, on a lake, the
workbench itself at once) fold into the warehouse. Each call opens a short connection:
SQLite serialises writers for milliseconds, so analysts deciding at once never wait on
each other or on a load. The audit table refuses UPDATE and DELETE (triggers): it is append-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse.pending_reviews import open_sidecar, sidecar_path

ROLES = ("analyst", "lead", "admin")

SCHEMA = """\
CREATE TABLE IF NOT EXISTS users (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('analyst', 'lead', 'admin')),
    password_hash  TEXT NOT NULL,         -- argon2id, PHC string
    mask_names     INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256   TEXT PRIMARY KEY,      -- the cookie's token is never stored
    user           TEXT NOT NULL REFERENCES users (name),
    csrf           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name           TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures (name, at);
CREATE TABLE IF NOT EXISTS audit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT NOT NULL,
    user           TEXT NOT NULL,
    action         TEXT NOT NULL,         -- decide, bulk_decide, export, login, ...
    target         TEXT,                  -- an infohash, export target, list or user name
    detail         TEXT NOT NULL          -- JSON
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE INDEX IF NOT EXISTS audit_logins ON audit (user, action, at);
"""
# Columns added after the first stores were made: (table, column, definition). A store
# made before gets them at its next open (SQLite adds a column in place, NULL for
# existing rows), so no one has to run anything.
ADDED_COLUMNS = (("users", "disabled_at", "TEXT"),)  # set: the account cannot log in

SESSION_HOURS = 12


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    mask_names: bool
    disabled: bool = False

    def may(self, role: str) -> bool:
        """Whether this user holds ``role`` or one above it (analyst < lead < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True, slots=True)
class Account:
    """One account as the users page lists it; ``last_login`` from the audit trail."""

    name: str
    role: str
    created_at: str
    last_login: str | None
    disabled_at: str | None


class LastAdmin(Exception):
    """The change would leave no enabled admin account (raised inside the transaction)."""


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str


@dataclass(frozen=True, slots=True)
class PendingDecision:
    """A decision to record: ``flag_evidence`` is the canonical evidence text shown."""

    infohash: str
    decision: str
    rationale: str
    note: str | None
    flag_evidence: str


def _now() -> datetime:
    return datetime.now(UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    """The store of the warehouse ``db`` (at ``path``: default beside the file ``db``);
    every method is one short transaction."""

    def __init__(self, db: str | Path, *, path: Path | None = None):
        path = path if path is not None else sidecar_path(db)
        if path is None:
            raise ValueError("the workbench needs a warehouse file, not :memory:")
        self.path = path
        with self._connect() as con:
            con.executescript(SCHEMA)
            for table, column, definition in ADDED_COLUMNS:
                have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    with contextlib.suppress(sqlite3.OperationalError):  # a racing open
                        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = open_sidecar(self.path)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # --- accounts ------------------------------------------------------------------

    def put_user(
        self, name: str, role: str, password_hash: str, *, by: str = "cli", replace: bool = True
    ) -> bool:
        """Add the account or (``replace``) replace its role and password; True when it
        is new. Without ``replace`` an existing name is left alone and False returned."""
        with self._write() as con:
            new = con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is None
            if not new and not replace:
                return False
            if not new and role != "admin":
                _keep_an_admin(con, name)
            con.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                " password_hash = excluded.password_hash",
                (name, role, password_hash, _now().isoformat()),
            )
            if not new:  # a new password ends the sessions of the old one
                con.execute("DELETE FROM sessions WHERE user = ?", (name,))
            _audit(con, by, "user_add" if new else "user_update", name, {"role": role})
        return new

    def set_role(self, name: str, role: str, *, by: str) -> str | None:
        """Give ``name`` the ``role``; its former role (None: no such account). Sessions
        read the role at each request (``session``), so it holds from the next one on."""
        with self._write() as con:
            row = con.execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            if role != "admin":
                _keep_an_admin(con, name)
            con.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
            _audit(con, by, "user_role", name, {"role": role, "was": row[0]})
        return row[0]

    def set_disabled(self, name: str, disabled: bool, *, by: str) -> bool | None:
        """Disable (its sessions end, it cannot log in) or enable ``name``; whether it
        was disabled before (None: no such account)."""
        with self._write() as con:
            row = con.execute("SELECT disabled_at FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            if disabled:
                _keep_an_admin(con, name)
                con.execute(
                    "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?",
                    (_now().isoformat(), name),
                )
                con.execute("DELETE FROM sessions WHERE user = ?", (name,))
            else:
                con.execute("UPDATE users SET disabled_at = NULL WHERE name = ?", (name,))
            action = "user_disable" if disabled else "user_enable"
            _audit(con, by, action, name, {"was_disabled": row[0] is not None})
        return row[0] is not None

    def reset_password(self, name: str, password_hash: str, *, by: str) -> bool:
        """A new password for ``name`` (its sessions end); False: no such account. The
        audit row says a reset happened, never the password or its hash."""
        with self._write() as con:
            done = con.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
            ).rowcount
            if done:
                con.execute("DELETE FROM sessions WHERE user = ?", (name,))
                _audit(con, by, "user_password", name, {})
        return bool(done)

    def accounts(self) -> list[Account]:
        """Every account, by name, with its last login (from the audit trail)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT u.name, u.role, u.created_at, (SELECT max(a.at) FROM audit a"
                " WHERE a.user = u.name AND a.action = 'login'), u.disabled_at"
                " FROM users u ORDER BY u.name"
            ).fetchall()
        return [Account(*r) for r in rows]

    def password_hash(self, name: str) -> str | None:
        with self._connect() as con:
            row = con.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """A rehash with newer argon2 parameters, after a successful login."""
        with self._write() as con:
            con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))

    def user(self, name: str) -> User | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT name, role, mask_names, disabled_at IS NOT NULL FROM users WHERE name = ?",
                (name,),
            ).fetchone()
        return User(row[0], row[1], bool(row[2]), bool(row[3])) if row else None

    def users(self) -> list[User]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT name, role, mask_names, disabled_at IS NOT NULL FROM users ORDER BY name"
            ).fetchall()
        return [User(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows]

    def set_mask(self, user: str, mask: bool) -> None:
        with self._write() as con:
            con.execute("UPDATE users SET mask_names = ? WHERE name = ?", (int(mask), user))
            _audit(con, user, "mask_names", user, {"mask": mask})

    # --- login failures and sessions ----------------------------------------------

    def failures(self, name: str, window: timedelta) -> int:
        since = (_now() - window).isoformat()
        with self._connect() as con:
            return con.execute(
                "SELECT count(*) FROM login_failures WHERE name = ? AND at >= ?", (name, since)
            ).fetchone()[0]

    def record_failure(self, name: str, client: str) -> None:
        with self._write() as con:
            con.execute("INSERT INTO login_failures VALUES (?, ?)", (name, _now().isoformat()))
            _audit(con, name, "login_failed", None, {"client": client})

    def open_session(self, user: str, token: str, csrf: str, client: str, how: str) -> None:
        now = _now()
        with self._write() as con:
            con.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
            con.execute("DELETE FROM login_failures WHERE name = ?", (user,))
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (
                    token_digest(token),
                    user,
                    csrf,
                    now.isoformat(),
                    (now + timedelta(hours=SESSION_HOURS)).isoformat(),
                ),
            )
            _audit(con, user, "login", None, {"client": client, "how": how})

    def session(self, token: str) -> Session | None:
        with self._connect() as con:
            row = con.execute(
                "SELECT u.name, u.role, u.mask_names, s.csrf FROM sessions s"
                " JOIN users u ON u.name = s.user WHERE s.token_sha256 = ? AND s.expires_at > ?"
                " AND u.disabled_at IS NULL",
                (token_digest(token), _now().isoformat()),
            ).fetchone()
        return Session(User(row[0], row[1], bool(row[2])), row[3]) if row else None

    def close_session(self, token: str, user: str) -> None:
        with self._write() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (token_digest(token),))
            _audit(con, user, "logout", None, {})

    # --- decisions and the audit trail ---------------------------------------------

    def record_decisions(
        self, analyst: str, decisions: Sequence[PendingDecision], *, action: str, detail: dict
    ) -> list[str]:
        """Append decisions and one audit row, in one transaction; their review ids."""
        now = _now().isoformat()
        ids = [uuid.uuid4().hex for _ in decisions]
        with self._write() as con:
            con.executemany(
                "INSERT INTO pending_reviews (review_id, infohash, decision, rationale, note,"
                " analyst, decided_at, flag_evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        rid,
                        d.infohash,
                        d.decision,
                        d.rationale,
                        d.note,
                        analyst,
                        now,
                        d.flag_evidence,
                    )
                    for rid, d in zip(ids, decisions, strict=True)
                ],
            )
            target = decisions[0].infohash if len(decisions) == 1 else None
            _audit(con, analyst, action, target, {**detail, "review_ids": ids[:20],
                                                   "count": len(ids)})  # fmt: skip
        return ids

    def unfolded(
        self, infohashes: Sequence[str] | None = None, *, since: str | None = None
    ) -> list[dict]:
        """Decisions not yet in the warehouse (all, or of ``infohashes``), oldest first;
        with ``since`` (ISO time) also those folded from then on."""
        sql = (
            "SELECT review_id, infohash, decision, rationale, note, analyst, decided_at,"
            " flag_evidence FROM pending_reviews WHERE (folded_at IS NULL"
            + (" OR folded_at >= ?)" if since else ")")
        )
        args: list[str] = [since] if since else []
        if infohashes is not None:
            if not infohashes:
                return []
            sql += f" AND infohash IN ({','.join('?' * len(infohashes))})"
            args += list(infohashes)
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql + " ORDER BY rowid", args).fetchall()]

    def has_unfolded(self) -> bool:
        with self._connect() as con:
            return (
                con.execute(
                    "SELECT 1 FROM pending_reviews WHERE folded_at IS NULL LIMIT 1"
                ).fetchone()
                is not None
            )

    def audit(self, user: str, action: str, target: str | None, detail: dict) -> None:
        with self._write() as con:
            _audit(con, user, action, target, detail)

    def audit_rows(self, limit: int = 200) -> list[dict]:
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                "SELECT id, at, user, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(r) for r in rows]


def _keep_an_admin(con: sqlite3.Connection, name: str) -> None:
    """LastAdmin when ``name`` is the only enabled admin (so it must stay one)."""
    others = con.execute(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND name <> ?",
        (name,),
    ).fetchone()[0]
    mine = con.execute(
        "SELECT 1 FROM users WHERE name = ? AND role = 'admin' AND disabled_at IS NULL", (name,)
    ).fetchone()
    if mine is not None and others == 0:
        raise LastAdmin(name)


def _audit(con: sqlite3.Connection, user: str, action: str, target: str | None, detail: dict):
    con.execute(
        "INSERT INTO audit (at, user, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (_now().isoformat(), user, action, target, json.dumps(detail, sort_keys=True)),
    )
