"""Signed, expiring satisfaction links: the token names the item and when it stops working.

The signing key is derived from the app's secret key (`ALLHANDS_SECRET_KEY`) under a label of
its own, so a token cannot be mistaken for any other signed value and no second secret has to be
kept. Changing the secret key makes every link already sent stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.errors import Invalid, NotFound

LABEL = b"allhands satisfaction links v1"
SIGNATURE_BYTES = 16
TOKEN_MAX_CHARS = 200


class Expired(Invalid):
    """A genuine link past its date."""


@dataclass(frozen=True, slots=True)
class SurveyToken:
    item_id: int
    expires: datetime


class SurveyLinks:
    def __init__(self, secret_key: str | None) -> None:
        self._key = (
            hmac.new(secret_key.encode(), LABEL, hashlib.sha256).digest() if secret_key else None
        )

    @property
    def ready(self) -> bool:
        return self._key is not None

    def token(self, item_id: int, now: datetime, valid_for: timedelta) -> str:
        expires = int((now + valid_for).timestamp())
        payload = _b64(json.dumps({"i": item_id, "e": expires}, separators=(",", ":")).encode())
        return f"{payload}.{_b64(self._sign(payload))}"

    def read(self, token: str, now: datetime) -> SurveyToken:
        """The token's item: NotFound for one this app did not sign, Expired past its date."""
        payload, _, signature = token.partition(".")
        if len(token) > TOKEN_MAX_CHARS or not hmac.compare_digest(
            _b64(self._sign(payload)), signature
        ):
            raise NotFound("This satisfaction link is not one of ours.")
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        expires = datetime.fromtimestamp(int(data["e"]), UTC)
        if now >= expires:
            raise Expired("This satisfaction link has expired.", "token")
        return SurveyToken(int(data["i"]), expires)

    def _sign(self, payload: str) -> bytes:
        if self._key is None:
            raise Invalid("Set ALLHANDS_SECRET_KEY to sign satisfaction links.", "secret_key")
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
