"""Secrets that cannot leak: they never print, and they come from the environment or a file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connector.core.reasons import reason as worded

_REGISTRY: set[str] = set()


class Secret:
    """A secret string. ``str()``/``repr()`` print a mask; ``reveal()`` gives the value.

    Every Secret created registers its value so the log redaction processor can mask it wherever
    it appears, even inside an exception text.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret value must be a string")
        self._value = value
        if len(value) >= 4:  # masking a 1-3 char value would mangle ordinary text
            _REGISTRY.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def known_secret_values() -> frozenset[str]:
    """Every secret value created in this process (for redaction)."""
    return frozenset(_REGISTRY)


def load_secret(
    name: str, *, env: str | None, file: str | os.PathLike[str] | None, required: bool = True
) -> Secret | None:
    """Read a secret from environment variable ``env`` or from ``file`` (first line, stripped).

    The environment wins when both are given. Raises ``ValueError`` naming the source (never the
    value) when a required secret is missing.
    """
    if env:
        value = os.environ.get(env)
        if value:
            return Secret(value)
    if file:
        path = Path(file).expanduser()
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(
                worded("secret_unreadable", name=name, path=path, error=exc.strerror)
            ) from None
        if text:
            return Secret(text.splitlines()[0].strip())
        raise ValueError(worded("secret_empty", name=name, path=path))
    if required:
        if env and file:
            raise ValueError(worded("secret_missing_env_file", name=name, env=env, path=file))
        if env:
            raise ValueError(worded("secret_missing_env", name=name, env=env))
        if file:
            raise ValueError(worded("secret_missing_file", name=name, path=file))
        raise ValueError(worded("secret_missing", name=name))
    return None


def secret_file_warning(file: str | os.PathLike[str]) -> str | None:
    """Why the secret file at ``file`` is exposed (group or others may read it), else ``None``.

    A missing file is not this function's business (:func:`load_secret` reports it).
    """
    path = Path(file).expanduser()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        group, others = bool(mode & stat.S_IRGRP), bool(mode & stat.S_IROTH)
        who = worded(
            "readers_both" if group and others else "readers_group" if group else "readers_others"
        )
        return worded("secret_readable", path=path, who=who, mode=f"{mode:04o}")
    return None
