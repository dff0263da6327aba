"""Changing what leads configure, and who may: every change audited, every replica sees it.

Values live in the database, so every replica sees a change without a restart; every change
is audited with who, when, the old and the new value. Only leads change configuration from
chat; the operator at the terminal (`who=None`) is trusted. Secrets in a setting (an outbound
webhook's signing secret) are sealed in the database with the key source secrets use.
"""

from __future__ import annotations

from time import monotonic
from typing import Any, Literal

from bot.admin.schemas import EMAIL, Strict, redact_secrets, validate
from bot.admin.secrets import SecretBox, open_fields, seal_fields
from bot.domain import Identity, Person, Platform
from bot.errors import Forbidden, Invalid
from bot.ports.clock import Clock, SystemClock
from bot.ports.records import AuditEntry
from bot.ports.store import Store, UnitOfWork


class Admin:
    def __init__(self, db: Store, clock: Clock | None = None, box: SecretBox | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._box = box or SecretBox(None)

    def read(self, key: str) -> Strict:
        """Anyone may read configuration."""
        with self._db.read() as uow:
            return stored_setting(uow, key, self._box)

    def change(self, key: str, value: Any, who: Identity | None) -> Strict:
        """Replace one setting; refused unless `who` is a lead (or the operator, `None`)."""
        typed = validate(key, value)
        with self._db.write() as uow:
            actor = self._authorised(uow, who)
            uow.config.put(
                key,
                seal_fields(typed.model_dump(mode="json"), self._box),
                actor.id if actor else None,
                who.platform if who else Platform.CLI,
                self._clock.now(),
                redact=redact_secrets,
            )
            uow.commit()
        return typed

    def set_role(
        self, email: str, role: Literal["lead", "exec"], on: bool, who: Identity | None
    ) -> Person:
        """Make someone a lead or an exec (or stop); audited like any setting."""
        if not EMAIL.match(email):
            raise Invalid(f"'{email}' is not an email address", "email")
        with self._db.write() as uow:
            actor = self._authorised(uow, who)
            now = self._clock.now()
            person = uow.people.ensure(email.split("@")[0], email, now)
            before = person.is_lead if role == "lead" else person.is_exec
            if role == "lead":
                uow.people.set_flags(person.id, is_lead=on)
            else:
                uow.people.set_flags(person.id, is_exec=on)
            if before != on:
                uow.config.put(
                    f"people.{role}",
                    {"email": email.lower(), role: on},
                    actor.id if actor else None,
                    who.platform if who else Platform.CLI,
                    now,
                )
            uow.commit()
            return uow.people.get(person.id)

    def bootstrap(self, leads: list[str], execs: list[str]) -> None:
        """Roles from the environment while nobody holds them yet; chat manages them after,
        so a lead who removes someone in chat is not overruled at the next restart."""
        roles: tuple[tuple[Literal["lead", "exec"], list[str]], ...] = (
            ("lead", leads),
            ("exec", execs),
        )
        for role, emails in roles:
            if not self.people(role):
                for email in emails:
                    self.set_role(email, role, True, None)

    def people(self, role: Literal["lead", "exec"]) -> list[Person]:
        with self._db.read() as uow:
            return uow.people.flagged(leads=role == "lead", execs=role == "exec")

    def audit(self, limit: int = 50) -> list[AuditEntry]:
        with self._db.read() as uow:
            return uow.config.audit(limit)

    def require_lead(self, who: Identity | None) -> None:
        """Refuse now, before a multi-part change starts, when `who` may not configure."""
        with self._db.write() as uow:
            self._authorised(uow, who)
            uow.commit()

    def _authorised(self, uow: UnitOfWork, who: Identity | None) -> Person | None:
        if who is None:
            return None
        actor = uow.people.resolve(who, self._clock.now())
        if not actor.is_lead:
            leads = ", ".join(p.name for p in uow.people.flagged(leads=True)) or "none yet"
            raise Forbidden(f"Only support leads can change configuration (leads: {leads}).")
        return actor


class CachedSetting:
    """One setting as every replica sees it, re-read at most every `ttl` seconds.

    Chat changes reach all replicas within `ttl` without a database read on every hot-path use.
    """

    def __init__(self, db: Store, key: str, ttl: float = 2.0, box: SecretBox | None = None) -> None:
        self._db = db
        self._key = key
        self._ttl = ttl
        self._box = box or SecretBox(None)
        self._value: Strict | None = None
        self._loaded_at = 0.0

    def value(self) -> Strict:
        if self._value is None or monotonic() - self._loaded_at > self._ttl:
            with self._db.read() as uow:
                self._value = stored_setting(uow, self._key, self._box)
            self._loaded_at = monotonic()
        return self._value


def stored_setting(uow: UnitOfWork, key: str, box: SecretBox) -> Strict:
    """One setting as stored (its secrets opened), or its defaults when never set."""
    return validate(key, open_fields(uow.config.get(key) or {}, box))
