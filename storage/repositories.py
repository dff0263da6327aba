"""Queries. Each repository works inside the caller's session and returns domain objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from bot.domain import (
    Comment,
    Customer,
    Event,
    EventKind,
    Feedback,
    Holder,
    Identity,
    Kind,
    Person,
    Platform,
    Severity,
    State,
)
from storage.models import (
    ApiTokenRow,
    AuditRow,
    CardMessageRow,
    CommentRow,
    ConfigRow,
    EventRow,
    FeedbackRow,
    IdempotencyKeyRow,
    IdentityRow,
    InboundDeliveryRow,
    JobRunRow,
    OutboxRow,
    PersonRow,
    UtcDateTime,
)
from storage.plans import insert_for, insert_plan, plan


def insert_returning(
    session: Session,
    table: Table,
    row: dict[str, Any],
    returning: str,
    conflict: list[str] | None = None,
) -> Any:
    """One row through a compiled plan; the `returning` column's value, or None on a conflict."""
    found = insert_plan(session, table, list(row), conflict, returning).run(session, row)
    return found[0][0] if found else None


def insert_row(session: Session, table: Table, row: dict[str, Any]) -> None:
    """One row through a compiled plan, nothing read back."""
    insert_plan(session, table, list(row)).run(session, row)


def bulk_insert_ignoring(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict: list[str]
) -> int:
    """executemany of one INSERT … ON CONFLICT DO NOTHING; returns how many rows were new.

    Repeated values across rows (the import time, common tags) are converted once.
    """
    if not rows:
        return 0
    plan = insert_plan(session, table, list(rows[0]), conflict)
    converters = [(index, _reusing(convert)) for index, convert in plan.converters]
    params = [plan.params(row, converters) for row in rows]
    result = session.connection().exec_driver_sql(plan.sql, params)
    return int(result.rowcount)


def _reusing(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A column converter that skips the work when a value repeats the previous row's.

    Bulk rows share many values (the import time, common tags), so most conversions are skipped.
    """
    last: list[Any] = [object(), None]

    def cached(value: Any) -> Any:
        if value is not last[0] and value != last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return cached


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _person(row: PersonRow) -> Person:
    return Person(row.id, row.name, row.email, row.is_lead, row.is_exec)


# ---- statements every chat action runs, compiled once (storage.plans) ----------------------


def _flush_pending(session: Session) -> None:
    """Planned statements bypass the ORM: rows it still holds must reach the database first."""
    if session.new or session.dirty or session.deleted:
        session.flush()


def _read(
    session: Session, name: str, build: Callable[[], Any], values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    _flush_pending(session)
    return plan(session, name, build).run(session, values)


_PERSON = (PersonRow.id, PersonRow.name, PersonRow.email, PersonRow.is_lead, PersonRow.is_exec)
_CARD = (
    CardMessageRow.id,
    CardMessageRow.feedback_id,
    CardMessageRow.platform,
    CardMessageRow.channel,
    CardMessageRow.message_id,
    CardMessageRow.extra,
)


def _by_id(model: type[PersonRow] | type[FeedbackRow]) -> Callable[[], Any]:
    columns = _PERSON if model is PersonRow else tuple(_table(model).c)
    return lambda: select(*columns).where(_table(model).c.id == bindparam("id"))


def _identity_with_person() -> Any:
    return (
        select(IdentityRow.name, *_PERSON)
        .join(PersonRow, PersonRow.id == IdentityRow.person_id)
        .where(
            IdentityRow.platform == bindparam("platform"),
            IdentityRow.external_id == bindparam("external_id"),
        )
    )


def _lock_item() -> Any:
    # FOR NO KEY UPDATE: serialises changes, yet lets comments' foreign-key checks pass
    return (
        select(FeedbackRow.id)
        .where(FeedbackRow.id == bindparam("id"))
        .with_for_update(key_share=True)
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
) -> CardCopy:
    return CardCopy(card_id, item_id, Platform(platform), channel, message_id, extra)


def _card_of_message() -> Any:
    return select(*_CARD).where(
        CardMessageRow.platform == bindparam("platform"),
        CardMessageRow.message_id == bindparam("message_id"),
    )


class PeopleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, person_id: int) -> Person:
        rows = _read(self._session, "people.get", _by_id(PersonRow), {"id": person_id})
        assert rows, f"person {person_id} vanished"
        return Person(*rows[0])

    def by_email(self, email: str) -> Person | None:
        row = self._session.scalar(select(PersonRow).where(PersonRow.email == email.lower()))
        return _person(row) if row else None

    def identities(self, person_id: int) -> list[Identity]:
        rows = self._session.scalars(select(IdentityRow).where(IdentityRow.person_id == person_id))
        return [Identity(Platform(r.platform), r.external_id, r.name) for r in rows]

    def resolve(self, identity: Identity, now: datetime) -> Person:
        """The person behind an identity, created on first sight and linked by email.

        A person named after this account follows its renames; an identity without a name
        (the platform could not say who it is just now) changes no name, and a new account
        without one is named by its id until the platform says more.
        Safe under concurrency: both inserts ignore conflicts and re-read the winner's row.
        """
        key = {"platform": identity.platform.value, "external_id": identity.external_id}
        found = _read(self._session, "people.resolve", _identity_with_person, key)
        if found:
            known_name, *columns = found[0]
            person = Person(*columns)
            if identity.email and not person.email and self._claim_email(person.id, identity.email):
                person = replace(person, email=identity.email.lower())
            if identity.name and identity.name != known_name:
                person = self._rename(identity, person, known_name, now)
            return person
        if not identity.name:
            identity = replace(identity, name=identity.external_id)
        person_id = self._person_for(identity, now)
        self._session.execute(
            insert_for(self._session, _table(IdentityRow))
            .values(
                person_id=person_id,
                platform=identity.platform.value,
                external_id=identity.external_id,
                name=identity.name,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        )
        winner = self._session.scalar(
            select(IdentityRow.person_id).where(
                IdentityRow.platform == identity.platform.value,
                IdentityRow.external_id == identity.external_id,
            )
        )
        assert winner is not None
        return self.get(winner)

    def _rename(self, identity: Identity, person: Person, known_name: str, now: datetime) -> Person:
        """The account's new name; the person's too when they were named after it."""
        self._session.execute(
            update(IdentityRow)
            .where(
                IdentityRow.platform == identity.platform.value,
                IdentityRow.external_id == identity.external_id,
            )
            .values(name=identity.name, updated_at=now)
        )
        if person.name == known_name:
            self._session.execute(
                update(PersonRow).where(PersonRow.id == person.id).values(name=identity.name)
            )
            return replace(person, name=identity.name)
        return person

    def _person_for(self, identity: Identity, now: datetime) -> int:
        email = identity.email.lower() if identity.email else None
        if email:
            self._session.execute(
                insert_for(self._session, _table(PersonRow))
                .values(
                    name=identity.name, email=email, is_lead=False, is_exec=False, created_at=now
                )
                .on_conflict_do_nothing(index_elements=["email"])
            )
            person = self._session.scalar(select(PersonRow).where(PersonRow.email == email))
            assert person is not None
            if person.name == email.split("@")[0] and identity.name:
                person.name = identity.name  # known by email only so far: take the chat name
            return person.id
        row = PersonRow(
            name=identity.name, email=None, is_lead=False, is_exec=False, created_at=now
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def _claim_email(self, person_id: int, email: str) -> bool:
        """Give the person this email unless someone else has it; whether it was given."""
        if self.by_email(email) is not None:
            return False
        row = self._session.get(PersonRow, person_id)
        assert row is not None
        row.email = email.lower()
        return True

    def ensure(self, name: str, email: str, now: datetime) -> Person:
        """A person known only by email (a lead or exec configured before they ever chatted)."""
        existing = self.by_email(email)
        if existing:
            return existing
        return self.get(self._person_for(Identity(Platform.SYSTEM, email, name, email), now))

    def flagged(self, *, leads: bool = False, execs: bool = False) -> list[Person]:
        """Everyone who is a lead (or an exec)."""
        query = select(PersonRow).order_by(func.lower(PersonRow.name))
        query = query.where(PersonRow.is_lead.is_(True)) if leads else query
        query = query.where(PersonRow.is_exec.is_(True)) if execs else query
        return [_person(row) for row in self._session.scalars(query)]

    def set_flags(
        self, person_id: int, *, is_lead: bool | None = None, is_exec: bool | None = None
    ) -> None:
        row = self._session.get(PersonRow, person_id)
        assert row is not None
        if is_lead is not None:
            row.is_lead = is_lead
        if is_exec is not None:
            row.is_exec = is_exec


@dataclass(frozen=True, slots=True)
class ListFilter:
    state: State | None = None
    source: str | None = None
    since: datetime | None = None
    after_id: int | None = None
    limit: int = 50
    claimed_by: int | None = None
    oldest_first: bool = False


class FeedbackRepository:
    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def insert(self, values: dict[str, Any]) -> int | None:
        """Insert one item; None when (source, external_id) exists already."""
        conflict = ["source", "external_id"]
        new_id = insert_returning(self._session, _table(FeedbackRow), values, "id", conflict)
        return int(new_id) if new_id is not None else None

    def insert_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk insert, skipping (source, external_id) duplicates; returns how many were new."""
        return bulk_insert_ignoring(
            self._session, _table(FeedbackRow), rows, ["source", "external_id"]
        )

    def known_external_ids(self, source: str, external_ids: Sequence[str]) -> set[str]:
        found = self._session.scalars(
            select(FeedbackRow.external_id).where(
                FeedbackRow.source == source, FeedbackRow.external_id.in_(list(external_ids))
            )
        )
        return {e for e in found if e is not None}

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
        _read(self._session, "feedback.lock", _lock_item, {"id": item_id})

    def as_inserted(self, item_id: int, values: dict[str, Any]) -> Feedback:
        """The item just inserted with `values`, without reading it back."""
        row: Any = SimpleNamespace(
            id=item_id,
            claimed_by_id=None,
            closed_by_id=None,
            resolution=None,
            claimed_platform=None,
            closed_platform=None,
            claimed_at=None,
            closed_at=None,
            **values,
        )
        return self._to_domain(row, ())

    def get(self, item_id: int, *, with_comments: bool = False) -> Feedback | None:
        rows = _read(self._session, "feedback.get", _by_id(FeedbackRow), {"id": item_id})
        if not rows:
            return None
        row: Any = SimpleNamespace(**dict(zip(_table(FeedbackRow).c.keys(), rows[0], strict=True)))
        comments = self.comments(item_id) if with_comments else ()
        return self._to_domain(row, tuple(comments))

    def find(self, where: ListFilter) -> list[Feedback]:
        query = select(FeedbackRow)
        if where.state:
            query = query.where(FeedbackRow.state == where.state.value)
        if where.source:
            query = query.where(FeedbackRow.source == where.source)
        if where.since:
            query = query.where(FeedbackRow.received_at >= where.since)
        if where.claimed_by is not None:
            query = query.where(FeedbackRow.claimed_by_id == where.claimed_by)
        if where.after_id is not None:
            query = query.where(FeedbackRow.id > where.after_id)
        order = FeedbackRow.received_at if where.oldest_first else FeedbackRow.id
        query = query.order_by(order, FeedbackRow.id).limit(where.limit)
        return [self._to_domain(row, ()) for row in self._session.scalars(query)]

    def count_by_state(self) -> dict[State, int]:
        rows = self._session.execute(
            select(FeedbackRow.state, func.count()).group_by(FeedbackRow.state)
        )
        counts = dict.fromkeys(State, 0)
        counts.update({State(state): int(n) for state, n in rows})
        return counts

    def conditional_update(
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

        _flush_pending(self._session)
        name = f"feedback.update:{columns}:{len(states)}:{held}"
        bound: dict[str, Any] = {f"set_{column}": values[column] for column in columns}
        bound |= {f"from_{n}": state for n, state in enumerate(states)}
        bound |= {"item_id": item_id, "now": now}
        if held:
            bound["holder_id"] = holder_id
        changed = plan(self._session, name, build).changed(self._session, bound)
        self._session.expire_all()
        return changed == 1

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
        statement = insert_for(self._session, _table(CommentRow)).values(
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

    def remember_idempotency_key(
        self, token_name: str, key: str, request_hash: str, item_id: int, now: datetime
    ) -> int:
        """Bind a key to an item; returns the item the key was bound to first."""
        self._session.execute(
            insert_for(self._session, _table(IdempotencyKeyRow))
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

    def _to_domain(self, row: FeedbackRow, comments: tuple[Comment, ...]) -> Feedback:
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
        )


class EventRepository:
    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def add(
        self,
        item_id: int,
        kind: EventKind,
        actor_id: int | None,
        platform: Platform,
        at: datetime,
        data: dict[str, Any] | None = None,
    ) -> int:
        row = {
            "feedback_id": item_id,
            "kind": kind.value,
            "actor_id": actor_id,
            "platform": platform.value,
            "at": at,
            "data": data or {},
        }
        event_id = insert_returning(self._session, _table(EventRow), row, "id")
        assert event_id is not None
        return int(event_id)

    def add_ingested(
        self,
        source: str,
        external_ids: Sequence[str],
        actor_id: int,
        platform: Platform,
        at: datetime,
        data: dict[str, Any],
    ) -> None:
        """An `ingested` event for each of these items that has none yet, in one statement."""
        already = select(EventRow.id).where(
            EventRow.feedback_id == FeedbackRow.id, EventRow.kind == EventKind.INGESTED.value
        )
        chosen = select(
            FeedbackRow.id,
            literal(EventKind.INGESTED.value),
            literal(actor_id),
            literal(platform.value),
            literal(at, UtcDateTime()),
            literal(data, JSON()),
        ).where(
            FeedbackRow.source == source,
            FeedbackRow.external_id.in_(list(external_ids)),
            ~already.exists(),
        )
        self._session.execute(
            _table(EventRow)
            .insert()
            .from_select(["feedback_id", "kind", "actor_id", "platform", "at", "data"], chosen)
        )

    def get(self, event_id: int) -> Event | None:
        row = self._session.get(EventRow, event_id)
        return self._to_domain(row) if row else None

    def for_item(self, item_id: int) -> list[Event]:
        rows = self._session.scalars(
            select(EventRow).where(EventRow.feedback_id == item_id).order_by(EventRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def items_closed_by(self, actor_id: int, since: datetime) -> int:
        """How many different items this person closed since `since` (a reopen does not undo it)."""
        return int(
            self._session.scalar(
                select(func.count(func.distinct(EventRow.feedback_id))).where(
                    EventRow.actor_id == actor_id,
                    EventRow.kind == EventKind.CLOSED.value,
                    EventRow.at >= since,
                )
            )
            or 0
        )

    def latest(self, item_ids: Sequence[int], kinds: Sequence[EventKind]) -> dict[int, Event]:
        """Each item's most recent event of these kinds."""
        newest = (
            select(func.max(EventRow.id))
            .where(
                EventRow.feedback_id.in_(list(item_ids)),
                EventRow.kind.in_([k.value for k in kinds]),
            )
            .group_by(EventRow.feedback_id)
        )
        rows = self._session.scalars(select(EventRow).where(EventRow.id.in_(newest)))
        return {row.feedback_id: self._to_domain(row) for row in rows}

    def count(self, item_id: int, kind: EventKind) -> int:
        return int(
            self._session.scalar(
                select(func.count()).where(
                    EventRow.feedback_id == item_id, EventRow.kind == kind.value
                )
            )
            or 0
        )

    def _to_domain(self, row: EventRow) -> Event:
        actor = self._people.get(row.actor_id) if row.actor_id is not None else None
        return Event(
            row.id,
            row.feedback_id,
            EventKind(row.kind),
            actor,
            Platform(row.platform),
            row.at,
            row.data,
        )


@dataclass(frozen=True, slots=True)
class CardCopy:
    """Where one copy of an item's card lives."""

    id: int
    feedback_id: int
    platform: Platform
    channel: str
    message_id: str | None
    extra: dict[str, Any]


class CardRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_pending(
        self, item_id: int, platform: Platform, channel: str, now: datetime
    ) -> int | None:
        """Reserve a card copy before it is posted; None when that copy exists already."""
        card_id: int | None = self._session.scalar(
            insert_for(self._session, _table(CardMessageRow))
            .values(
                feedback_id=item_id,
                platform=platform.value,
                channel=channel,
                message_id=None,
                extra={},
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["feedback_id", "platform", "channel"])
            .returning(CardMessageRow.id)
        )
        return card_id

    def for_item(self, item_id: int) -> list[CardCopy]:
        rows = _read(self._session, "cards.for_item", _cards_of_item, {"item_id": item_id})
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
        rows = _read(self._session, "cards.by_message", _card_of_message, key)
        return _copy(*rows[0]) if rows else None

    def mark_posted(self, copy_id: int, message_id: str, extra: dict[str, Any]) -> None:
        self._session.execute(
            update(CardMessageRow)
            .where(CardMessageRow.id == copy_id)
            .values(message_id=message_id, extra=extra)
        )

    @staticmethod
    def _to_copy(row: CardMessageRow) -> CardCopy:
        return _copy(row.id, row.feedback_id, row.platform, row.channel, row.message_id, row.extra)


def _outside(query: Any, channels: Iterable[tuple[Platform, str]]) -> Any:
    """The outbox `query` without these channels' messages."""
    busy = [(platform.value, channel) for platform, channel in channels]
    if not busy:
        return query
    return query.where(tuple_(OutboxRow.platform, OutboxRow.channel).not_in(busy))


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    platform: Platform
    channel: str
    action: str
    feedback_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class FailedMessage:
    id: int
    channel: str
    payload: dict[str, Any]
    error: str


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.enqueued = 0  # in this unit of work, so the sender is woken only when needed

    def enqueue(
        self,
        platform: Platform,
        channel: str,
        action: str,
        feedback_id: int | None,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        self.enqueued += 1
        row = {
            "platform": platform.value,
            "channel": channel,
            "action": action,
            "feedback_id": feedback_id,
            "payload": payload,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "failed": False,
        }
        insert_row(self._session, _table(OutboxRow), row)

    def any_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> bool:
        """Whether a message is due outside the channels in `skip` (they are being sent)."""
        due = (
            select(OutboxRow.id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed.is_(False),
                OutboxRow.next_attempt_at <= now,
                OutboxRow.platform.in_([p.value for p in platforms]),
            )
            .limit(1)
        )
        return self._session.scalar(_outside(due, skip)) is not None

    def lease_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        lease: timedelta,
        limit: int,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> list[OutboxMessage]:
        """Take due messages for `lease`, each channel from its oldest pending message on.

        A channel is taken only by whoever holds its head, and only an unbroken run from there:
        so a channel whose head waits for `Retry-After`, or is held by another replica (rows
        locked elsewhere are skipped on PostgreSQL), keeps its order. Channels in `skip` (the
        caller is still sending them) are left out, so their backlog does not fill `limit`.
        """
        pending = and_(OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False))
        wanted = [p.value for p in platforms]
        query = (
            select(OutboxRow)
            .where(pending, OutboxRow.next_attempt_at <= now, OutboxRow.platform.in_(wanted))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        query = _outside(query, skip)
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        taken = list(self._session.scalars(query))
        if not taken:
            return []
        channels = {(r.platform, r.channel) for r in taken}
        queue: dict[tuple[str, str], list[int]] = {}
        for platform, channel, message_id in self._session.execute(
            select(OutboxRow.platform, OutboxRow.channel, OutboxRow.id)
            .where(pending, OutboxRow.platform.in_(wanted), OutboxRow.id <= taken[-1].id)
            .order_by(OutboxRow.id)
        ):
            if (platform, channel) in channels:
                queue.setdefault((platform, channel), []).append(message_id)
        next_in_line = {key: iter(ids) for key, ids in queue.items()}
        broken: set[tuple[str, str]] = set()
        rows = []
        for row in taken:
            key = (row.platform, row.channel)
            if key in broken or next(next_in_line[key], None) != row.id:
                broken.add(key)  # a gap: the rest of this channel waits its turn
                continue
            rows.append(row)
        for row in rows:
            row.next_attempt_at = now + lease
            row.attempts += 1
        return [
            OutboxMessage(
                r.id,
                Platform(r.platform),
                r.channel,
                r.action,
                r.feedback_id,
                r.payload,
                r.attempts,
            )
            for r in rows
        ]

    def mark_sent(self, message_id: int, now: datetime) -> None:
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id == message_id).values(sent_at=now)
        )

    def retry_at(
        self,
        message_ids: Iterable[int],
        when: datetime,
        error: str | None = None,
        *,
        tried: bool = True,
    ) -> None:
        """Due again at `when`. Messages not `tried` (given back unsent, or waiting behind one
        that failed) get their take back, so an outage of the first never wears out the rest."""
        values: dict[str, Any] = {
            "next_attempt_at": when,
            "attempts": OutboxRow.attempts if tried else OutboxRow.attempts - 1,
        }
        if error is not None:
            values["last_error"] = error[:2000]
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(list(message_ids))).values(**values)
        )

    def give_up(self, message_id: int, error: str) -> None:
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(failed=True, last_error=error[:2000])
        )

    def failed(self, platform: str) -> list[FailedMessage]:
        rows = self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.platform == platform, OutboxRow.failed.is_(True))
            .order_by(OutboxRow.id)
        )
        return [FailedMessage(r.id, r.channel, r.payload, r.last_error or "") for r in rows]

    def retry_failed(self, message_id: int, now: datetime) -> bool:
        """Queue a given-up message again from its first attempt."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.failed.is_(True))
            .values(failed=False, attempts=0, next_attempt_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def pending(self) -> int:
        return int(
            self._session.scalar(
                select(func.count()).where(OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False))
            )
            or 0
        )

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages wait to be sent, and when the oldest of them was written."""
        count, oldest = self._session.execute(
            select(func.count(), func.min(OutboxRow.created_at)).where(
                OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False)
            )
        ).one()
        return int(count), oldest


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    created_at: datetime
    revoked_at: datetime | None


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, token_hash: str, now: datetime) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, _table(ApiTokenRow))
            .values(name=name, token_hash=token_hash, created_at=now, revoked_at=None)
            .on_conflict_do_nothing()
            .returning(ApiTokenRow.id)
        )
        return inserted is not None

    def name_for_hash(self, token_hash: str) -> str | None:
        return self._session.scalar(
            select(ApiTokenRow.name).where(
                ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)
            )
        )

    def all(self) -> list[TokenInfo]:
        rows = self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.name))
        return [TokenInfo(r.name, r.created_at, r.revoked_at) for r in rows]

    def revoke(self, name: str, now: datetime) -> bool:
        result = self._session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class JobRepository:
    """Claims that make a job, or a platform delivery, happen once across every replica."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim_run(self, job: str, key: str, owner: str, now: datetime) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, _table(JobRunRow))
            .values(job=job, key=key, owner=owner, started_at=now, finished_at=None)
            .on_conflict_do_nothing(index_elements=["job", "key"])
            .returning(JobRunRow.job)
        )
        return inserted is not None

    def finish_run(self, job: str, key: str, now: datetime) -> None:
        self._session.execute(
            update(JobRunRow)
            .where(JobRunRow.job == job, JobRunRow.key == key)
            .values(finished_at=now)
        )

    def release_run(self, job: str, key: str) -> None:
        """Give an unfinished run back, so a later attempt may claim it."""
        self._session.execute(
            _table(JobRunRow)
            .delete()
            .where(JobRunRow.job == job, JobRunRow.key == key, JobRunRow.finished_at.is_(None))
        )

    def first_delivery(self, platform: Platform, delivery_id: str, now: datetime) -> bool:
        """True the first time a platform delivery id is seen; False for every retry."""
        row = {"platform": platform.value, "delivery_id": delivery_id, "at": now}
        conflict = ["platform", "delivery_id"]
        table = _table(InboundDeliveryRow)
        return insert_returning(self._session, table, row, "delivery_id", conflict) is not None

    def forget_deliveries(self, seen_before: datetime) -> int:
        """Delete delivery ids first seen before `seen_before`; how many."""
        old = _table(InboundDeliveryRow).delete().where(InboundDeliveryRow.at < seen_before)
        return int(self._session.execute(old).rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    key: str
    old: dict[str, Any]
    new: dict[str, Any]
    actor: Person | None
    platform: Platform
    at: datetime


class ConfigRepository:
    """Configuration values by key, each change audited in the same transaction."""

    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._session.get(ConfigRow, key)
        return dict(row.value) if row else None

    def all(self) -> dict[str, dict[str, Any]]:
        return {row.key: dict(row.value) for row in self._session.scalars(select(ConfigRow))}

    def put(
        self,
        key: str,
        value: dict[str, Any],
        actor_id: int | None,
        platform: Platform,
        now: datetime,
        redact: Callable[[dict[str, Any]], dict[str, Any]] = dict,
    ) -> dict[str, Any]:
        """Set `key`; returns the old value ({} when unset). Writes the audit row too, through
        `redact`, so secrets never reach the audit trail."""
        row = self._session.get(ConfigRow, key, with_for_update=True)
        old = dict(row.value) if row else {}
        if row is None:
            self._session.add(ConfigRow(key=key, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
        self._session.add(
            AuditRow(
                key=key,
                old=redact(old),
                new=redact(value),
                actor_id=actor_id,
                platform=platform.value,
                at=now,
            )
        )
        self._session.flush()
        return old

    def audit(self, limit: int = 50) -> list[AuditEntry]:
        rows = self._session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [
            AuditEntry(
                r.id,
                r.key,
                r.old,
                r.new,
                self._people.get(r.actor_id) if r.actor_id is not None else None,
                Platform(r.platform),
                r.at,
            )
            for r in rows
        ]
