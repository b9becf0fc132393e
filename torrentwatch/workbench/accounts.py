"""Local workbench accounts: `torrentwatch users add/list/role/disable/enable/password`
and the admin's users page (the same functions), and password checks.

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
from torrentwatch.workbench.store import ROLES, Account, LastAdmin, Store, User
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


# Who made a change from the command line, in the audit trail (the shell's user is not
# an account; the workbench's admins are named by their own account).
CLI = "cli"


@dataclass(frozen=True, slots=True)
class UserChanged:
    """What an account change did: ``was`` the former role or disabled state."""

    name: str
    action: str  # role, disable, enable, password
    was: str | bool | None


def check_account(name: str, role: str, password: str) -> None:
    check_name(name)
    check_role(role)
    check_password(password)


def check_name(name: str) -> None:
    try:
        check_analyst(name)
    except ReviewInvalid as exc:
        raise AccountInvalid(f"user name: {exc.args[0]}") from exc


def check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountInvalid(f"--role {role!r} is not one of {', '.join(ROLES)}")


def check_password(password: str) -> None:
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
    return add_account(_store(db, home), name, role, password, by=CLI, replace=True)


def users_list(db: str | Path, *, home: str | Path | None = None) -> list[User]:
    """The workbench accounts of the warehouse ``db``."""
    return _store(db, home).users()


def users_role(
    db: str | Path, name: str, role: str, *, home: str | Path | None = None
) -> UserChanged:
    """`torrentwatch users role NAME ROLE`: see ``change_role``."""
    return change_role(_store(db, home), name, role, by=CLI)


def users_disable(db: str | Path, name: str, *, home: str | Path | None = None) -> UserChanged:
    """`torrentwatch users disable NAME`: see ``set_disabled``."""
    return set_disabled(_store(db, home), name, True, by=CLI)


def users_enable(db: str | Path, name: str, *, home: str | Path | None = None) -> UserChanged:
    """`torrentwatch users enable NAME`: see ``set_disabled``."""
    return set_disabled(_store(db, home), name, False, by=CLI)


def users_password(
    db: str | Path, name: str, password: str, *, home: str | Path | None = None
) -> UserChanged:
    """`torrentwatch users password NAME`: see ``reset_password``."""
    return reset_password(_store(db, home), name, password, by=CLI)


# --- on an open store: what the CLI commands above and the users page both run -------


def add_account(
    store: Store, name: str, role: str, password: str, *, by: str, replace: bool = False
) -> UserAdded:
    """Add an account (``replace``: or set an existing one's role and password, ending
    its sessions; without it an existing name is refused). ``by`` is audited."""
    check_account(name, role, password)
    try:
        new = store.put_user(name, role, _HASHER.hash(password), by=by, replace=replace)
    except LastAdmin:
        raise _last_admin(name) from None
    if not new and not replace:
        raise AccountInvalid(
            f"user {name} already exists: change its role or reset its password instead"
        )
    return UserAdded(name, role, new)


def account_rows(store: Store) -> list[Account]:
    """Every account with its creation, last login and disabled time (the users page)."""
    return store.accounts()


def change_role(store: Store, name: str, role: str, *, by: str) -> UserChanged:
    """Give ``name`` the ``role``, from its next request on. An admin cannot demote
    themselves, and the last enabled admin stays one."""
    check_role(role)
    if name == by and role != "admin":
        raise AccountInvalid(f"{by}: an admin cannot demote themselves (ask another admin)")
    try:
        was = store.set_role(name, role, by=by)
    except LastAdmin:
        raise _last_admin(name) from None
    if was is None:
        raise _no_such(name)
    return UserChanged(name, "role", was)


def set_disabled(store: Store, name: str, disabled: bool, *, by: str) -> UserChanged:
    """Disable ``name`` (it cannot log in; its sessions end) or enable it again. An
    admin cannot disable themselves, and the last enabled admin cannot be disabled."""
    if disabled and name == by:
        raise AccountInvalid(f"{by}: an admin cannot disable themselves (ask another admin)")
    try:
        was = store.set_disabled(name, disabled, by=by)
    except LastAdmin:
        raise _last_admin(name) from None
    if was is None:
        raise _no_such(name)
    return UserChanged(name, "disable" if disabled else "enable", was)


def reset_password(store: Store, name: str, password: str, *, by: str) -> UserChanged:
    """A new password for ``name`` (same checks as `users add`); its sessions end."""
    check_password(password)
    if not store.reset_password(name, _HASHER.hash(password), by=by):
        raise _no_such(name)
    return UserChanged(name, "password", None)


def _no_such(name: str) -> AccountInvalid:
    return AccountInvalid(f"no user named {name}: add it first")


def _last_admin(name: str) -> AccountInvalid:
    return AccountInvalid(
        f"{name} is the only enabled admin: make another admin first, so there is always one"
    )


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
    user = store.user(name)
    if user is None or user.disabled:  # checked after the hash: it takes as long
        return None
    if _HASHER.check_needs_rehash(stored):
        store.set_password_hash(name, _HASHER.hash(password))
    return user
