"""Secrets at rest: what vendors sign with and what we log in with, encrypted in the database.

The key comes from `ALLHANDS_SECRET_KEY` (or the file `ALLHANDS_SECRET_KEY_FILE` names, which
`serve --dev` creates when neither exists). Fernet authenticates as well as encrypts, so a
value written with another key is refused rather than read as garbage.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.errors import Invalid


def new_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    def __init__(self, key: str | None) -> None:
        self._fernet = _fernet(key) if key else None

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def seal(self, secret: str) -> str:
        return self._need().encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._need().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise Invalid(
                "a stored secret cannot be read with this ALLHANDS_SECRET_KEY (was the key "
                "changed?)",
                "secret_key",
            ) from None

    def _need(self) -> Fernet:
        if self._fernet is None:
            raise Invalid(
                "secrets are stored encrypted: set ALLHANDS_SECRET_KEY (any 32 url-safe "
                "base64-encoded bytes; `allhands serve --dev` makes one)",
                "secret_key",
            )
        return self._fernet


SEALED = "sealed:"


def seal_fields(value: Any, box: SecretBox) -> Any:
    """A setting's value as stored: every `secret` field in it sealed, when there is a key.

    Without one a secret is stored as given, as before sealing existed; reading copes with both.
    """
    if not box.ready:
        return value
    if isinstance(value, dict):
        return {
            key: SEALED + box.seal(item)
            if key == "secret" and isinstance(item, str) and not item.startswith(SEALED)
            else seal_fields(item, box)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [seal_fields(item, box) for item in value]
    return value


def open_fields(value: Any, box: SecretBox) -> Any:
    """A stored setting's value with its sealed `secret` fields opened."""
    if isinstance(value, dict):
        return {
            key: box.open(item.removeprefix(SEALED))
            if key == "secret" and isinstance(item, str) and item.startswith(SEALED)
            else open_fields(item, box)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [open_fields(item, box) for item in value]
    return value


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        raise Invalid(
            "ALLHANDS_SECRET_KEY is not a key: it must be 32 url-safe base64-encoded bytes",
            "secret_key",
        ) from None
