"""People: one employee across platforms, each platform account an identity linked by email."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.domain import Identity, Person, Platform
from storage.models import IdentityRow, PersonRow
from storage.plans import insert_for
from storage.repositories.sql import planned_read, table_of


def _person(row: PersonRow) -> Person:
    return Person(row.id, row.name, row.email, row.is_lead, row.is_exec)


_PERSON = (PersonRow.id, PersonRow.name, PersonRow.email, PersonRow.is_lead, PersonRow.is_exec)


def _person_by_id() -> Any:
    return select(*_PERSON).where(PersonRow.id == bindparam("id"))


def _identity_with_person() -> Any:
    return (
        select(IdentityRow.name, *_PERSON)
        .join(PersonRow, PersonRow.id == IdentityRow.person_id)
        .where(
            IdentityRow.platform == bindparam("platform"),
            IdentityRow.external_id == bindparam("external_id"),
        )
    )


class PeopleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, person_id: int) -> Person:
        rows = planned_read(self._session, "people.get", _person_by_id, {"id": person_id})
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
        found = planned_read(self._session, "people.resolve", _identity_with_person, key)
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
            insert_for(self._session, table_of(IdentityRow))
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
                insert_for(self._session, table_of(PersonRow))
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
