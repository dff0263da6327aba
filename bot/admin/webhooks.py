"""Outbound webhooks: tell the systems customers came from when their feedback moves.

Deliveries travel through the outbox like chat messages (persisted with the change, retried
with backoff, in order per webhook); the body is fixed when the change commits.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from bot.admin.configure import CachedSetting
from bot.admin.schemas import WEBHOOK_EVENTS, Webhook, WebhooksConfig
from bot.admin.secrets import SecretBox
from bot.domain import EventKind, Feedback, Person, Platform
from bot.errors import Invalid
from bot.ports.clock import Clock
from bot.ports.records import FailedMessage
from bot.ports.store import Store

SIGNATURE_HEADER = "X-AllHands-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as receivers verify it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_body(
    kind: EventKind,
    item: Feedback,
    actor: Person,
    platform: Platform,
    at: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "event": f"feedback.{kind.value}",
        "at": at.isoformat(),
        "actor": {"name": actor.name, "email": actor.email, "platform": platform.value},
        "feedback": {
            "ref": item.ref,
            "source": item.source,
            "external_id": item.external_id,
            "state": item.state.value,
            "title": item.title,
            "resolution": item.resolution,
            "notify_customer": item.notify_customer,
            "customer_email": item.customer.email,
        },
        "data": data,
    }


class WebhookDirectory:
    """The webhooks leads configured, as every replica currently sees them, and the deliveries
    the outbox gave up on."""

    def __init__(self, db: Store, clock: Clock, box: SecretBox | None = None) -> None:
        self._db = db
        self._clock = clock
        self._setting = CachedSetting(db, "webhooks", box=box)

    def _hooks(self) -> list[Webhook]:
        config = self._setting.value()
        assert isinstance(config, WebhooksConfig)
        return config.hooks

    def subscribed(self, kind: EventKind) -> list[Webhook]:
        if kind.value not in WEBHOOK_EVENTS:
            return []
        return [hook for hook in self._hooks() if kind.value in hook.events]

    def named(self, name: str) -> Webhook | None:
        return next((hook for hook in self._hooks() if hook.name == name), None)

    def failed(self) -> list[FailedMessage]:
        """Deliveries given up on, oldest first."""
        with self._db.read() as uow:
            return uow.outbox.failed(Platform.WEBHOOK)

    def redeliver(self, delivery_id: int) -> None:
        """Queue a failed delivery again from its first attempt."""
        with self._db.write() as uow:
            if not uow.outbox.retry_failed(delivery_id, self._clock.now()):
                raise Invalid(f"there is no failed delivery {delivery_id}", "delivery_id")
            uow.commit()
