"""A customer's earlier items, for the history on their newest item's card."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from bot.customers.story import EarlierItem, History
from bot.domain import Person, Platform, State, ref_for
from storage.models import FeedbackRow, PersonRow

SUMMARY_CHARS = 200  # an earlier item's title or words, as much as a card line can show


def earlier_by_customer(
    session: Session, item_ids: Sequence[int], shown: int
) -> dict[int, History]:
    """One query for a whole round of cards: each item joined to its customer's earlier
    items (`ix_feedback_customer`: lower-cased email, then id), ranked newest first and
    counted by a window, so only the `shown` newest leave the database. Sensitive items are
    left out: a card in a broad channel would name them."""
    this, earlier = aliased(FeedbackRow, name="this"), aliased(FeedbackRow, name="earlier")
    ranked = (
        select(
            this.id.label("for_id"),
            earlier.id,
            earlier.state,
            func.coalesce(earlier.title, func.substr(earlier.body, 1, SUMMARY_CHARS)).label(
                "summary"
            ),
            earlier.claimed_by_id,
            earlier.claimed_platform,
            earlier.closed_by_id,
            earlier.closed_platform,
            func.substr(earlier.resolution, 1, SUMMARY_CHARS).label("resolution"),
            func.row_number().over(partition_by=this.id, order_by=earlier.id.desc()).label("rank"),
            func.count().over(partition_by=this.id).label("total"),
        )
        .join(
            earlier,
            and_(
                func.lower(earlier.customer_email) == func.lower(this.customer_email),
                earlier.id < this.id,
                earlier.sensitive_rule.is_(None),  # its words stay in its restricted channel
            ),
        )
        .where(this.id.in_(list(item_ids)), this.customer_email != "")
        .subquery()
    )
    closer, claimer = aliased(PersonRow, name="closer"), aliased(PersonRow, name="claimer")
    rows = session.execute(
        select(ranked, *_person_columns(closer, "closer"), *_person_columns(claimer, "claimer"))
        .outerjoin(closer, closer.id == ranked.c.closed_by_id)
        .outerjoin(claimer, claimer.id == ranked.c.claimed_by_id)
        .where(ranked.c.rank <= shown)
        .order_by(ranked.c.for_id, ranked.c.rank)
    ).all()
    found: dict[int, History] = {}
    for row in rows:
        history = found.get(row.for_id, History(int(row.total)))
        found[row.for_id] = History(history.count, (*history.shown, _earlier(row)))
    return found


_PERSON_COLUMNS = ("id", "name", "email", "is_lead", "is_exec")


def _person_columns(person: Any, prefix: str) -> list[Any]:
    return [getattr(person, column).label(f"{prefix}_{column}") for column in _PERSON_COLUMNS]


def _person_of(row: Any, prefix: str) -> Person:
    return Person(*(getattr(row, f"{prefix}_{column}") for column in _PERSON_COLUMNS))


def _earlier(row: Any) -> EarlierItem:
    """An earlier item as a card line shows it: who closed it, or who has it now."""
    state = State(row.state)
    by, platform = None, None
    if state is State.CLOSED and row.closer_id is not None:
        by, platform = _person_of(row, "closer"), row.closed_platform
    elif state is State.CLAIMED and row.claimer_id is not None:
        by, platform = _person_of(row, "claimer"), row.claimed_platform
    return EarlierItem(
        ref=ref_for(row.id),
        state=state,
        summary=" ".join(str(row.summary or "").split()),
        by=by,
        platform=Platform(platform or Platform.SYSTEM) if by else None,
        resolution=row.resolution if state is State.CLOSED else None,
    )


def lines_of(session: Session, item_ids: Sequence[int]) -> dict[int, EarlierItem]:
    """Items as a card line names them (similar items on a card), by id; a sensitive item
    never, as the card may be in a broad channel."""
    closer, claimer = aliased(PersonRow, name="closer"), aliased(PersonRow, name="claimer")
    item = FeedbackRow
    rows = session.execute(
        select(
            item.id,
            item.state,
            func.coalesce(item.title, func.substr(item.body, 1, SUMMARY_CHARS)).label("summary"),
            item.claimed_platform,
            item.closed_platform,
            func.substr(item.resolution, 1, SUMMARY_CHARS).label("resolution"),
            *_person_columns(closer, "closer"),
            *_person_columns(claimer, "claimer"),
        )
        .outerjoin(closer, closer.id == item.closed_by_id)
        .outerjoin(claimer, claimer.id == item.claimed_by_id)
        .where(item.id.in_(list(item_ids)), item.sensitive_rule.is_(None))
    ).all()
    return {int(row.id): _earlier(row) for row in rows}
