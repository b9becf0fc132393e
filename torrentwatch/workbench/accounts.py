"""Local workbench accounts: `torrentwatch users add NAME --role ...`, and password checks.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory
profile); a hash made with older parameters is replaced at the next good login. Names
follow the analyst-id rule of the review library, since a user's name is the analyst
recorded with each decision.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from common.errors import AccountInvalid, ReviewInvalid
from torrentwatch.review_codes import check_analyst
from torrentwatch.workbench.home import workbench_home
from torrentwatch.workbench.store import ROLES, Store, User
from warehouse.db import connect
from warehouse.lake import is_lake

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# A wrong name is checked against a fixed hash (_dummy_hash), so it costs the same time
# as a wrong password: no telling which names exist.
_HASHER = PasswordHasher()


@dataclass(frozen=True, slots=True)
class UserAdded:
    name: str
    role: str
    new: bool


def check_account(name: str, role: str, password: str) -> None:
    try:
        check_analyst(name)
    except ReviewInvalid as exc:
        raise AccountInvalid(f"user name: {exc.args[0]}") from exc
    if role not in ROLES:
        raise AccountInvalid(f"--role {role!r} is not one of {', '.join(ROLES)}")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountInvalid(
            f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters, "
            f"not {len(password)}"
        )


def users_add(
    db: str | Path, name: str, *, role: str, password: str, home: str | Path | None = None
) -> UserAdded:
    """Add a workbench account for the warehouse ``db`` (or set an existing one's role and
    password, ending its sessions). The warehouse must exist: accounts live beside it,
    or for a lake in the workbench's ``home`` folder (torrentwatch.workbench.home)."""
    check_account(name, role, password)
    new = _store(db, home).put_user(name, role, _HASHER.hash(password))
    return UserAdded(name, role, new)


def users_list(db: str | Path, *, home: str | Path | None = None) -> list[User]:
    """The workbench accounts of the warehouse ``db``."""
    return _store(db, home).users()


def _store(db: str | Path, home: str | Path | None) -> Store:
    if is_lake(str(db)):
        if home is not None:  # the home must not be made for a lake that is not there
            connect(str(db), read_only=True).close()  # WarehouseMissing, with its advice
    elif not Path(str(db)).exists():
        connect(db, read_only=True)  # raises WarehouseMissing, with its advice
    return Store(db, path=workbench_home(db, home).store)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a password of anyone")


def verify_password(store: Store, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (unknown names take as long)."""
    stored = store.password_hash(name) if len(password) <= MAX_PASSWORD else None
    if stored is None:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD])
        return None
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(stored):
        store.set_password_hash(name, _HASHER.hash(password))
    return store.user(name)
