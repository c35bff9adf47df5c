"""Console users: a JSON file of names, roles and scrypt-hashed passwords (``hashlib.scrypt``).

A user is created or given a new password by ``connector console adduser NAME`` only (the
password from a prompt, or from stdin when it is not a terminal; never an argument). The file is
written atomically and private to its owner (0600). Roles: ``viewer`` reads every page;
``decider`` may also decide held work, mark records to be checked again and import PSOP reports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from connector.core.reasons import reason

Role = Literal["viewer", "decider"]
ROLES: tuple[Role, ...] = ("viewer", "decider")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# scrypt: 16 MiB of memory and about 50 ms per check on a small server
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


class UsersFileError(ValueError):
    """The users file cannot be read or a user cannot be added; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str
    created_at: str = ""

    @property
    def can_decide(self) -> bool:
        return self.role == "decider"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Does ``password`` match ``stored``? Constant time in the digest comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8")[: MAX_PASSWORD * 4],
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


#: checked against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY = hash_password("not a password", salt=b"\0" * 16)


def check_name(name: str) -> str:
    """A user name in its stored form (lower case), or UsersFileError saying what is allowed."""
    name = name.strip().lower()
    if not NAME.match(name):
        raise UsersFileError(reason("user_name_rule"))
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsersFileError(reason("password_too_short", length=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise UsersFileError(reason("password_too_long", length=MAX_PASSWORD))


class UsersFile:
    """The users of one console (one company or one fleet)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, User]:
        """Every user; {} when the file does not exist yet."""
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                name: User(name, row["role"], row["password"], row.get("created_at", ""))
                for name, row in data["users"].items()
                if row.get("role") in ROLES
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UsersFileError(reason("users_file_broken", path=self.path, error=exc)) from None

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when ``name`` and ``password`` match; None otherwise (in about equal time)."""
        try:
            user = self.load().get(name.strip().lower())
        except UsersFileError:
            user = None
        if user is None:
            verify_password(password, _DUMMY)
            return None
        return user if verify_password(password, user.password_hash) else None

    def add(self, name: str, password: str, role: Role) -> bool:
        """Add ``name`` (or give it a new password and role); True when the user is new."""
        name = check_name(name)
        check_password(password)
        if role not in ROLES:
            raise UsersFileError(reason("console_role_unknown", roles=", ".join(ROLES)))
        users = self.load()
        fresh = name not in users
        users[name] = User(
            name,
            role,
            hash_password(password),
            users[name].created_at
            if not fresh
            else datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._write(users)
        return fresh

    def _write(self, users: dict[str, User]) -> None:
        data = {
            "users": {
                u.name: {"role": u.role, "password": u.password_hash, "created_at": u.created_at}
                for u in sorted(users.values(), key=lambda u: u.name)
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
