"""Feedback items and their discussion: guarded changes, listings and idempotency keys.

Every change of state is one UPDATE guarded by the state (and holder) it starts from, so the
row count decides which of two concurrent changes won.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.customers.story import History
from bot.domain import Comment, Customer, Feedback, Holder, Kind, Link, Platform, Severity, State
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from storage.models import CommentRow, FeedbackRow, IdempotencyKeyRow
from storage.plans import insert_for, plan
from storage.repositories.history import earlier_by_customer
from storage.repositories.links import LinkRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.replies import ReplyRepository
from storage.repositories.sql import (
    bulk_insert_ignoring,
    flush_pending,
    insert_returning,
    planned_read,
    table_of,
)

_FEEDBACK: Table = table_of(FeedbackRow)


def _lock_item() -> Any:
    # FOR NO KEY UPDATE: serialises changes, yet lets comments' foreign-key checks pass
    return (
        select(FeedbackRow.id)
        .where(FeedbackRow.id == bindparam("id"))
        .with_for_update(key_share=True)
    )


def _item_by_id() -> Any:
    return select(*_FEEDBACK.c).where(_FEEDBACK.c.id == bindparam("id"))


def _new_row(draft: FeedbackDraft, now: datetime) -> dict[str, Any]:
    """The stored columns of a new, open item made from `draft`."""
    return {
        "source": draft.source,
        "external_id": draft.external_id,
        "title": draft.title,
        "body": draft.body,
        "kind": draft.kind.value,
        "severity": draft.severity.value,
        "tags": draft.tags,
        "product_area": draft.product_area,
        "url": draft.url,
        "customer_name": draft.customer.name,
        "customer_email": draft.customer.email,
        "customer_company": draft.customer.company,
        "customer_tier": draft.customer.tier,
        "received_at": draft.received_at or now,
        "state": State.OPEN.value,
        "notify_customer": False,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def passing(where: ListFilter) -> list[ColumnElement[bool]]:
    """The conditions of `where` on an item itself (its state, source, arrival, holder, ids);
    paging and order are the caller's."""
    conditions: list[ColumnElement[bool]] = []
    if where.state:
        conditions.append(FeedbackRow.state == where.state.value)
    if where.source:
        conditions.append(FeedbackRow.source == where.source)
    if where.since:
        conditions.append(FeedbackRow.received_at >= where.since)
    if where.claimed_by is not None:
        conditions.append(FeedbackRow.claimed_by_id == where.claimed_by)
    if where.ids is not None:
        conditions.append(FeedbackRow.id.in_(where.ids))
    return conditions


# An item reopened is open again with nobody on it and no resolution.
_REOPENED: dict[str, Any] = {
    "state": State.OPEN.value,
    "claimed_by_id": None,
    "claimed_platform": None,
    "claimed_at": None,
    "closed_by_id": None,
    "closed_platform": None,
    "closed_at": None,
    "resolution": None,
    "notify_customer": False,
}


class FeedbackRepository:
    def __init__(self, session: Session, people: PeopleRepository, links: LinkRepository) -> None:
        self._session = session
        self._people = people
        self._links = links

    def insert(self, draft: FeedbackDraft, now: datetime) -> Feedback | None:
        """Insert one open item; None when (source, external_id) exists already.

        The item comes back without a read: everything not in the row is a new item's default.
        """
        values = _new_row(draft, now)
        conflict = ["source", "external_id"]
        new_id = insert_returning(self._session, _FEEDBACK, values, "id", conflict)
        if new_id is None:
            return None
        row: Any = SimpleNamespace(
            id=int(new_id),
            claimed_by_id=None,
            closed_by_id=None,
            resolution=None,
            claimed_platform=None,
            closed_platform=None,
            claimed_at=None,
            closed_at=None,
            source_status=None,
            sensitive_rule=None,
            csat=None,
            **values,
        )
        return self._to_domain(row, ())

    def insert_many(
        self,
        drafts: Sequence[FeedbackDraft],
        now: datetime,
        sensitive: Sequence[str | None] = (),
    ) -> int:
        """Bulk insert, skipping (source, external_id) duplicates; returns how many were new."""
        rules = list(sensitive) or [None] * len(drafts)
        rows = [
            _new_row(draft, now) | {"sensitive_rule": rule}
            for draft, rule in zip(drafts, rules, strict=True)
        ]
        return bulk_insert_ignoring(self._session, _FEEDBACK, rows, ["source", "external_id"])

    def known_external_ids(self, source: str, external_ids: Sequence[str]) -> set[str]:
        found = self._session.scalars(
            select(FeedbackRow.external_id).where(
                FeedbackRow.source == source, FeedbackRow.external_id.in_(list(external_ids))
            )
        )
        return {e for e in found if e is not None}

    def has_source(self, source: str) -> bool:
        found = self._session.scalar(
            select(FeedbackRow.id).where(FeedbackRow.source == source).limit(1)
        )
        return found is not None

    def id_by_external(self, source: str, external_id: str) -> int | None:
        return self._session.scalar(
            select(FeedbackRow.id).where(
                FeedbackRow.source == source, FeedbackRow.external_id == external_id
            )
        )

    def lock(self, item_id: int) -> None:
        """Hold the item's row until commit, so changes to one item commit one after another.

        SQLite has one writer at a time, so there the transaction holds the item already.
        """
        if self._session.get_bind().dialect.name == "sqlite":
            return
        planned_read(self._session, "feedback.lock", _lock_item, {"id": item_id})

    def get(self, item_id: int, *, with_comments: bool = False) -> Feedback | None:
        rows = planned_read(self._session, "feedback.get", _item_by_id, {"id": item_id})
        if not rows:
            return None
        row: Any = SimpleNamespace(**dict(zip(_FEEDBACK.c.keys(), rows[0], strict=True)))
        comments = self.comments(item_id) if with_comments else ()
        links = self._links.for_items([item_id]).get(item_id, ())
        item = self._to_domain(row, tuple(comments), links)
        # Always: a card shows a reply held for a lead's approval, with its buttons.
        replies = ReplyRepository(self._session, self._people).for_item(item_id)
        return replace(item, replies=tuple(replies))

    def find(self, where: ListFilter) -> list[Feedback]:
        query = select(FeedbackRow).where(*passing(where))
        if where.after_id is not None:
            query = query.where(FeedbackRow.id > where.after_id)
        order = FeedbackRow.received_at if where.oldest_first else FeedbackRow.id
        query = query.order_by(order, FeedbackRow.id).limit(where.limit)
        rows = list(self._session.scalars(query))
        links = self._links.for_items([row.id for row in rows])
        return [self._to_domain(row, (), links.get(row.id, ())) for row in rows]

    def count_by_state(self) -> dict[State, int]:
        rows = self._session.execute(
            select(FeedbackRow.state, func.count()).group_by(FeedbackRow.state)
        )
        counts = dict.fromkeys(State, 0)
        counts.update({State(state): int(n) for state, n in rows})
        return counts

    def claim(self, item_id: int, person_id: int, platform: Platform, now: datetime) -> bool:
        values = {
            "state": State.CLAIMED.value,
            "claimed_by_id": person_id,
            "claimed_platform": platform.value,
            "claimed_at": now,
        }
        return self._guarded_update(item_id, [State.OPEN], values, now)

    def unclaim(self, item_id: int, holder_id: int, now: datetime) -> bool:
        values = {
            "state": State.OPEN.value,
            "claimed_by_id": None,
            "claimed_platform": None,
            "claimed_at": None,
        }
        return self._guarded_update(item_id, [State.CLAIMED], values, now, holder_id=holder_id)

    def hand_off(
        self,
        item_id: int,
        state: State,
        holder_id: int | None,
        person_id: int,
        platform: Platform,
        now: datetime,
    ) -> bool:
        values = {
            "state": State.CLAIMED.value,
            "claimed_by_id": person_id,
            "claimed_platform": platform.value,
            "claimed_at": now,
        }
        return self._guarded_update(item_id, [state], values, now, holder_id=holder_id)

    def close(
        self,
        item_id: int,
        person_id: int,
        platform: Platform,
        resolution: str | None,
        notify_customer: bool,
        now: datetime,
    ) -> bool:
        values = {
            "state": State.CLOSED.value,
            "closed_by_id": person_id,
            "closed_platform": platform.value,
            "closed_at": now,
            "resolution": resolution,
            "notify_customer": notify_customer,
        }
        return self._guarded_update(item_id, [State.OPEN, State.CLAIMED], values, now)

    def reopen(self, item_id: int, now: datetime) -> bool:
        return self._guarded_update(item_id, [State.CLOSED], _REOPENED, now)

    def edit(
        self,
        item_id: int,
        now: datetime,
        *,
        severity: Severity | None = None,
        tags: Sequence[str] | None = None,
    ) -> bool:
        values: dict[str, Any] = {}
        if severity is not None:
            values["severity"] = severity.value
        if tags is not None:
            values["tags"] = list(tags)
        return self._guarded_update(item_id, list(State), values, now)

    def revise(
        self,
        item_id: int,
        now: datetime,
        *,
        title: str | None,
        body: str,
        kind: Kind,
        severity: Severity,
        tags: Sequence[str],
    ) -> bool:
        values: dict[str, Any] = {
            "title": title,
            "body": body,
            "kind": kind.value,
            "severity": severity.value,
            "tags": list(tags),
        }
        return self._guarded_update(item_id, list(State), values, now)

    def _guarded_update(
        self,
        item_id: int,
        from_states: Iterable[State],
        values: dict[str, Any],
        now: datetime,
        *,
        holder_id: int | None = None,
    ) -> bool:
        """One UPDATE guarded by the current state (and holder); the row count says who won."""
        states = [s.value for s in from_states]
        columns = sorted(values)
        held = holder_id is not None

        def build() -> Any:
            guard: ColumnElement[bool] = or_(
                *(FeedbackRow.state == bindparam(f"from_{n}") for n in range(len(states)))
            )
            if held:
                guard = and_(guard, FeedbackRow.claimed_by_id == bindparam("holder_id"))
            return (
                update(FeedbackRow)
                .where(FeedbackRow.id == bindparam("item_id"), guard)
                .values(
                    {column: bindparam(f"set_{column}") for column in columns}
                    | {
                        "updated_at": bindparam("now"),
                        "version": FeedbackRow.version + literal_column("1"),
                    }
                )
            )

        flush_pending(self._session)
        name = f"feedback.update:{columns}:{len(states)}:{held}"
        bound: dict[str, Any] = {f"set_{column}": values[column] for column in columns}
        bound |= {f"from_{n}": state for n, state in enumerate(states)}
        bound |= {"item_id": item_id, "now": now}
        if held:
            bound["holder_id"] = holder_id
        changed = plan(self._session, name, build).changed(self._session, bound)
        self._session.expire_all()
        return changed == 1

    def mark_sensitive(self, item_id: int, rule: str) -> None:
        self._session.execute(
            update(FeedbackRow).where(FeedbackRow.id == item_id).values(sensitive_rule=rule[:80])
        )

    def set_source_status(self, item_id: int, status: str, now: datetime) -> bool:
        values = {"source_status": status[:64]}
        return self._guarded_update(item_id, list(State), values, now)

    def set_csat(self, item_id: int, score: int, now: datetime) -> bool:
        return self._guarded_update(item_id, list(State), {"csat": score}, now)

    def add_comment(
        self,
        item_id: int,
        author_id: int,
        platform: Platform,
        text: str,
        at: datetime,
        external_id: str | None,
    ) -> bool:
        """Store one comment; False when that chat message was stored already."""
        statement = insert_for(self._session, table_of(CommentRow)).values(
            feedback_id=item_id,
            author_id=author_id,
            platform=platform.value,
            external_id=external_id,
            text=text,
            deleted=False,
            at=at,
        )
        if external_id is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["platform", "external_id"])
        return self._session.scalar(statement.returning(CommentRow.id)) is not None

    def edit_comment(
        self, platform: Platform, external_id: str, text: str | None, at: datetime
    ) -> int | None:
        """Follow an edit (new text) or a deletion (None) in chat; the item id, if it was known."""
        row = self._session.scalar(
            select(CommentRow).where(
                CommentRow.platform == platform.value, CommentRow.external_id == external_id
            )
        )
        if row is None:
            return None
        if text is None:
            row.deleted = True
        else:
            row.text = text
        row.edited_at = at
        return row.feedback_id

    def comments(self, item_id: int) -> list[Comment]:
        rows = self._session.scalars(
            select(CommentRow)
            .where(CommentRow.feedback_id == item_id, CommentRow.deleted.is_(False))
            .order_by(CommentRow.at, CommentRow.id)
        )
        return [
            Comment(self._people.get(r.author_id), Platform(r.platform), r.text, r.at) for r in rows
        ]

    def earlier_by_customer(self, item_ids: Sequence[int], shown: int) -> dict[int, History]:
        return earlier_by_customer(self._session, item_ids, shown)

    def remember_idempotency_key(
        self, token_name: str, key: str, request_hash: str, item_id: int, now: datetime
    ) -> int:
        """Bind a key to an item; returns the item the key was bound to first."""
        self._session.execute(
            insert_for(self._session, table_of(IdempotencyKeyRow))
            .values(
                token_name=token_name,
                key=key,
                request_hash=request_hash,
                feedback_id=item_id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["token_name", "key"])
        )
        bound = self.idempotency_key(token_name, key)
        return bound[0] if bound else item_id

    def idempotency_key(self, token_name: str, key: str) -> tuple[int, str] | None:
        """(item id, request hash) a key was first used for, if it was."""
        row = self._session.execute(
            select(IdempotencyKeyRow.feedback_id, IdempotencyKeyRow.request_hash).where(
                IdempotencyKeyRow.token_name == token_name, IdempotencyKeyRow.key == key
            )
        ).first()
        return (row[0], row[1]) if row else None

    def _holder(
        self, person_id: int | None, platform: str | None, at: datetime | None
    ) -> Holder | None:
        if person_id is None or at is None:
            return None
        return Holder(self._people.get(person_id), Platform(platform or Platform.SYSTEM), at)

    def _to_domain(
        self, row: FeedbackRow, comments: tuple[Comment, ...], links: tuple[Link, ...] = ()
    ) -> Feedback:
        return Feedback(
            id=row.id,
            source=row.source,
            external_id=row.external_id,
            title=row.title,
            body=row.body,
            kind=Kind(row.kind),
            severity=Severity(row.severity),
            tags=tuple(row.tags or ()),
            product_area=row.product_area,
            url=row.url,
            customer=Customer(
                row.customer_name, row.customer_email, row.customer_company, row.customer_tier
            ),
            received_at=row.received_at,
            state=State(row.state),
            claimed=self._holder(row.claimed_by_id, row.claimed_platform, row.claimed_at),
            closed=self._holder(row.closed_by_id, row.closed_platform, row.closed_at),
            resolution=row.resolution,
            notify_customer=row.notify_customer,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            comments=comments,
            source_status=row.source_status,
            links=links,
            sensitive_rule=row.sensitive_rule,
            duplicate_of=getattr(row, "duplicate_of_id", None),  # a new row has none
            csat=row.csat,
        )
