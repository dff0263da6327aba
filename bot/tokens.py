"""API tokens: shown once at creation, kept only as a SHA-256 hash, revocable by name."""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from bot.errors import Conflict, Invalid, NotFound
from bot.ports.clock import Clock, SystemClock
from bot.ports.records import TokenInfo
from bot.ports.store import Store

TOKEN_PREFIX = "ah_"  # noqa: S105 - a prefix, not a secret
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 cannot be brute-forced back."""
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    """Creates and checks API tokens.

    A valid token is remembered for `cache_seconds`, so busy clients do not cost a database
    read per request; revoking here forgets it at once, revoking from another process (the
    CLI, another replica) takes effect within `cache_seconds`.
    """

    def __init__(
        self, db: Store, clock: Clock | None = None, *, cache_seconds: float = 5.0
    ) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._cache_seconds = cache_seconds
        self._valid: dict[str, tuple[str, float]] = {}

    def create(self, name: str) -> str:
        if not _NAME.match(name):
            raise Invalid(
                "A token name is letters, digits, '.', '_' or '-' (e.g. zendesk).", "name"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as uow:
            if not uow.tokens.add(name, hash_token(token), self._clock.now()):
                raise Conflict(
                    f"A token named {name} is in use; rotate it (`allhands token rotate "
                    f"{name}`), revoke it, or pick a new name."
                )
            uow.commit()
        return token

    def rotate(self, name: str, *, missing_ok: bool = False) -> str:
        """A new token under `name`, the live one revoked in the same transaction, so the
        name never has two live tokens nor a moment with none. `missing_ok` creates it when
        there is none yet (`serve --dev`'s one token, replaced every run)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as uow:
            now = self._clock.now()
            if not uow.tokens.revoke(name, now) and not missing_ok:
                raise NotFound(f"There is no active token named {name} to rotate.")
            if not uow.tokens.add(name, hash_token(token), now):  # rotated elsewhere meanwhile
                raise Conflict(f"The token {name} was replaced meanwhile; try again.")
            uow.commit()
        self._forget(name)
        return token

    def all(self) -> list[TokenInfo]:
        with self._db.read() as uow:
            return uow.tokens.all()

    def revoke(self, name: str) -> None:
        with self._db.write() as uow:
            if not uow.tokens.revoke(name, self._clock.now()):
                raise NotFound(f"There is no active token named {name}.")
            uow.commit()
        self._forget(name)

    def _forget(self, name: str) -> None:
        self._valid = {h: v for h, v in self._valid.items() if v[0] != name}

    def cached(self, token: str) -> str | None:
        """The token's name if it was valid moments ago; None means "ask `authenticate`"."""
        hit = self._valid.get(hash_token(token))
        return hit[0] if hit and hit[1] > time.monotonic() else None

    def authenticate(self, token: str) -> str | None:
        """The token's name, or None when it is unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        token_hash = hash_token(token)
        with self._db.read() as uow:
            name = uow.tokens.name_for_hash(token_hash)
        if name is not None:
            self._valid[token_hash] = (name, time.monotonic() + self._cache_seconds)
        return name
