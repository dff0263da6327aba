"""Card copies: where each item's card lives on each platform, so changes update it in place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.records import CardCopy
from storage.models import CardMessageRow
from storage.plans import insert_for
from storage.repositories.sql import planned_read, table_of

_CARD = (
    CardMessageRow.id,
    CardMessageRow.feedback_id,
    CardMessageRow.platform,
    CardMessageRow.channel,
    CardMessageRow.message_id,
    CardMessageRow.extra,
    CardMessageRow.restricted,
)


def _cards_of_item() -> Any:
    return (
        select(*_CARD)
        .where(CardMessageRow.feedback_id == bindparam("item_id"))
        .order_by(CardMessageRow.id)
    )


def _copy(
    card_id: int,
    item_id: int,
    platform: str,
    channel: str,
    message_id: str | None,
    extra: dict[str, Any],
    restricted: bool,
) -> CardCopy:
    return CardCopy(card_id, item_id, Platform(platform), channel, message_id, extra, restricted)


def _card_of_message() -> Any:
    return select(*_CARD).where(
        CardMessageRow.platform == bindparam("platform"),
        CardMessageRow.message_id == bindparam("message_id"),
    )


class CardRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_pending(
        self, item_id: int, platform: Platform, channel: str, now: datetime, *, restricted: bool
    ) -> int | None:
        """Reserve a card copy before it is posted; None when that copy exists already."""
        card_id: int | None = self._session.scalar(
            insert_for(self._session, table_of(CardMessageRow))
            .values(
                feedback_id=item_id,
                platform=platform.value,
                channel=channel,
                message_id=None,
                extra={},
                created_at=now,
                restricted=restricted,
            )
            .on_conflict_do_nothing(index_elements=["feedback_id", "platform", "channel"])
            .returning(CardMessageRow.id)
        )
        return card_id

    def for_item(self, item_id: int) -> list[CardCopy]:
        rows = planned_read(self._session, "cards.for_item", _cards_of_item, {"item_id": item_id})
        return [_copy(*row) for row in rows]

    def get(self, item_id: int, platform: Platform, channel: str) -> CardCopy | None:
        row = self._session.scalar(
            select(CardMessageRow).where(
                CardMessageRow.feedback_id == item_id,
                CardMessageRow.platform == platform.value,
                CardMessageRow.channel == channel,
            )
        )
        return self._to_copy(row) if row else None

    def by_message(self, platform: Platform, message_id: str) -> CardCopy | None:
        key = {"platform": platform.value, "message_id": message_id}
        rows = planned_read(self._session, "cards.by_message", _card_of_message, key)
        return _copy(*rows[0]) if rows else None

    def mark_posted(self, copy_id: int, message_id: str, extra: dict[str, Any]) -> None:
        self._session.execute(
            update(CardMessageRow)
            .where(CardMessageRow.id == copy_id)
            .values(message_id=message_id, extra=extra)
        )

    @staticmethod
    def _to_copy(row: CardMessageRow) -> CardCopy:
        return _copy(
            row.id,
            row.feedback_id,
            row.platform,
            row.channel,
            row.message_id,
            row.extra,
            row.restricted,
        )
