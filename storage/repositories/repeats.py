"""Repeats: items stored as attached to the card of another item (`feedback.duplicate_of_id`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.customers.story import EarlierItem, RepeatSummary
from bot.domain import State
from bot.ports.repeats import Standing
from storage.models import FeedbackRow
from storage.repositories.history import lines_of

QUOTE_CHARS = 200


class RepeatRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def standing(self, item_ids: Sequence[int]) -> dict[int, Standing]:
        rows = self._session.execute(
            select(
                FeedbackRow.id,
                FeedbackRow.duplicate_of_id,
                FeedbackRow.state,
                FeedbackRow.closed_at,
            ).where(FeedbackRow.id.in_(item_ids))
        )
        return {
            int(item_id): Standing(int(item_id), of, State(state), closed_at)
            for item_id, of, state, closed_at in rows
        }

    def attach(self, item_id: int, card_item_id: int) -> None:
        self._session.execute(
            update(FeedbackRow)
            .where(FeedbackRow.id == item_id)
            .values(duplicate_of_id=card_item_id)
        )

    def members(self, card_item_id: int) -> list[int]:
        rows = self._session.scalars(
            select(FeedbackRow.id)
            .where(or_(FeedbackRow.id == card_item_id, FeedbackRow.duplicate_of_id == card_item_id))
            .order_by(FeedbackRow.id)
        )
        return [int(item_id) for item_id in rows]

    def split(self, item_id: int, card_item_id: int) -> bool:
        result = self._session.execute(
            update(FeedbackRow)
            .where(FeedbackRow.id == item_id, FeedbackRow.duplicate_of_id == card_item_id)
            .values(duplicate_of_id=None)
        )
        return bool(getattr(result, "rowcount", 0))

    def move(self, card_item_id: int, into_item_id: int) -> int:
        result = self._session.execute(
            update(FeedbackRow)
            .where(
                or_(FeedbackRow.id == card_item_id, FeedbackRow.duplicate_of_id == card_item_id),
                FeedbackRow.id != into_item_id,
            )
            .values(duplicate_of_id=into_item_id)
        )
        return int(getattr(result, "rowcount", 0))

    def lines(self, item_ids: Sequence[int]) -> dict[int, EarlierItem]:
        return lines_of(self._session, item_ids) if item_ids else {}

    def summaries(self, card_item_ids: Sequence[int]) -> dict[int, RepeatSummary]:
        if not card_item_ids:
            return {}
        card = func.coalesce(FeedbackRow.duplicate_of_id, FeedbackRow.id)
        rows = self._session.execute(
            select(
                card,
                FeedbackRow.duplicate_of_id,
                FeedbackRow.body,
                FeedbackRow.customer_name,
                FeedbackRow.customer_email,
            )
            .where(
                or_(
                    FeedbackRow.duplicate_of_id.in_(card_item_ids),
                    FeedbackRow.id.in_(card_item_ids),
                )
            )
            .order_by(FeedbackRow.id)
        )
        found: dict[int, tuple[list[str], str, int]] = {}
        for card_id, of, body, name, email in rows:
            names, quote, repeats = found.get(int(card_id), ([], "", 0))
            who = name or email
            if who and who not in names:
                names.append(who)
            if of is not None:
                quote, repeats = body[:QUOTE_CHARS], repeats + 1
            found[int(card_id)] = (names, quote, repeats)
        return {
            card_id: RepeatSummary(repeats + 1, quote, tuple(names))
            for card_id, (names, quote, repeats) in found.items()
            if repeats
        }
