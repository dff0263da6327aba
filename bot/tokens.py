"""API tokens: shown once at creation, kept only as a SHA-256 hash, revocable by name."""

from __future__ import annotations

import hashlib
import re
import secrets

from bot.errors import Conflict, Invalid, NotFound
from bot.ports import Clock, SystemClock
from storage.repositories import TokenInfo
from storage.uow import Database

TOKEN_PREFIX = "ah_"  # noqa: S105 - a prefix, not a secret
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def hash_token(token: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 cannot be brute-forced back."""
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()

    def create(self, name: str) -> str:
        if not _NAME.match(name):
            raise Invalid(
                "A token name is letters, digits, '.', '_' or '-' (e.g. zendesk).", "name"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.write() as uow:
            if not uow.tokens.add(name, hash_token(token), self._clock.now()):
                raise Conflict(
                    f"A token named {name} exists already; revoke it or pick a new name."
                )
            uow.commit()
        return token

    def all(self) -> list[TokenInfo]:
        with self._db.read() as uow:
            return uow.tokens.all()

    def revoke(self, name: str) -> None:
        with self._db.write() as uow:
            if not uow.tokens.revoke(name, self._clock.now()):
                raise NotFound(f"There is no active token named {name}.")
            uow.commit()

    def authenticate(self, token: str) -> str | None:
        """The token's name, or None when it is unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self._db.read() as uow:
            return uow.tokens.name_for_hash(hash_token(token))
