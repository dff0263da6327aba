"""What support leads configure (routes, timeouts, rota, webhooks) and who may do it.

Values live in the database, so every replica sees a change without a restart; every change
is audited with who, when, the old and the new value. Only leads change configuration from
chat; the operator at the terminal (`who=None`) is trusted.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from time import monotonic
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from bot.digest_period import check_zone, parse_weekdays
from bot.domain import Identity, Kind, Person, Platform, Severity
from bot.errors import Forbidden, Invalid
from bot.intake import EMAIL_PATTERN
from bot.ports import Clock, SystemClock
from storage.repositories import AuditEntry
from storage.uow import Database, UnitOfWork

_EMAIL = re.compile(EMAIL_PATTERN)
WEBHOOK_EVENTS = ("claimed", "commented", "closed", "reopened")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_MENTION = {"slack": re.compile(r"^S[A-Z0-9]+$"), "teams": re.compile(r"^\S+$")}


class DestinationIn(Strict):
    """A channel for cards; `mention` (a Slack user group id, a Teams tag id) is paged there
    when an urgent item arrives, so someone sees it even if nobody watches the channel."""

    platform: Literal["slack", "teams"]
    channel: str = Field(min_length=1, max_length=300)
    mention: str | None = Field(None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _mention_shape(self) -> DestinationIn:
        # Only the id is stored; the poster builds the mention markup around it, so an id that
        # could smuggle markup (`>`, spaces) is refused here.
        if self.mention is not None and not _MENTION[self.platform].match(self.mention):
            expected = "a user group id like S0123ABCD" if self.platform == "slack" else "a tag id"
            raise ValueError(f"mention '{self.mention}' is not {expected}")
        return self

    @model_serializer(mode="wrap")
    def _without_empty_mention(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Stored and audited routes stay as they were unless a mention is set (no nulls)."""
        data: dict[str, Any] = handler(self)
        if self.mention is None:
            data.pop("mention", None)
        return data

    def as_text(self) -> str:
        """`slack:C123`, or `slack:C123+S0123ABCD` with a mention (the form's syntax)."""
        where = f"{self.platform}:{self.channel}"
        return f"{where}+{self.mention}" if self.mention else where


class RouteRule(Strict):
    """Matches when every criterion given matches (any value within one criterion)."""

    name: str = Field(min_length=1, max_length=80)
    sources: list[str] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    product_areas: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    destinations: list[DestinationIn] = Field(min_length=1)

    @field_validator("sources", "tags", "product_areas", "keywords")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip("#") for v in values if v.strip()]


class RoutesConfig(Strict):
    rules: list[RouteRule] = Field(default_factory=list, max_length=200)
    default: list[DestinationIn] = Field(default_factory=list)


class TimeoutsConfig(Strict):
    """Unclaimed longer than its severity's minutes → a nudge; twice as long → the leads."""

    claim_minutes: dict[Severity, int] = Field(
        default_factory=lambda: {
            Severity.URGENT: 15,
            Severity.HIGH: 60,
            Severity.NORMAL: 240,
            Severity.LOW: 1440,
        }
    )
    untouched_hours: int = Field(24, ge=1, le=24 * 14)


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Shift(Strict):
    day: Weekday
    start: time
    end: time
    emails: list[str] = Field(min_length=1)

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not _EMAIL.match(v)]
        if bad:
            raise ValueError(f"not an email address: {bad[0]}")
        return [v.lower() for v in values]


class RotaConfig(Strict):
    shifts: list[Shift] = Field(default_factory=list, max_length=500)


class Webhook(Strict):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    url: str = Field(max_length=2000, pattern=r"^https?://\S+$")
    secret: str = Field(min_length=16, max_length=200)
    events: list[str] = Field(default_factory=lambda: list(WEBHOOK_EVENTS))

    @field_validator("events")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        unknown = sorted(set(values) - set(WEBHOOK_EVENTS))
        if unknown:
            raise ValueError(f"unknown event {unknown[0]}; events are {', '.join(WEBHOOK_EVENTS)}")
        return values


class DigestSettings(Strict):
    """What leads set for the digest; a blank field keeps the environment's value."""

    time: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str | None = None
    days: str | None = None
    slack_channels: list[str] = Field(default_factory=list)
    teams_channels: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_zone(value) if value is not None else None

    @field_validator("days")
    @classmethod
    def _days(cls, value: str | None) -> str | None:
        if value is not None:
            parse_weekdays(value)
        return value


class WebhooksConfig(Strict):
    hooks: list[Webhook] = Field(default_factory=list, max_length=20)


SCHEMAS: dict[str, type[Strict]] = {
    "routes": RoutesConfig,
    "timeouts": TimeoutsConfig,
    "rota": RotaConfig,
    "webhooks": WebhooksConfig,
    "digest": DigestSettings,
}


def validate(key: str, value: Any) -> Strict:
    """The typed value of one configuration key, or Invalid naming the field at fault."""
    schema = SCHEMAS.get(key)
    if schema is None:
        raise Invalid(f"unknown setting '{key}'; settings are {', '.join(SCHEMAS)}", "key")
    try:
        return schema.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or key
        raise Invalid(f"{key}.{where}: {first['msg']}", f"{key}.{where}") from None


def redact_secrets(value: Any) -> Any:
    """A copy with every `secret` field masked, for the audit trail and chat displays."""
    if isinstance(value, dict):
        return {k: "***" if k == "secret" else redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


class Admin:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()

    def read(self, key: str) -> Strict:
        """Anyone may read configuration."""
        with self._db.read() as uow:
            stored = uow.config.get(key)
        return validate(key, stored or {})

    def change(self, key: str, value: Any, who: Identity | None) -> Strict:
        """Replace one setting; refused unless `who` is a lead (or the operator, `None`)."""
        typed = validate(key, value)
        with self._db.write() as uow:
            actor = self._authorised(uow, who)
            uow.config.put(
                key,
                typed.model_dump(mode="json"),
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
        if not _EMAIL.match(email):
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

    def __init__(self, db: Database, key: str, ttl: float = 2.0) -> None:
        self._db = db
        self._key = key
        self._ttl = ttl
        self._value: Strict | None = None
        self._loaded_at = 0.0

    def value(self) -> Strict:
        if self._value is None or monotonic() - self._loaded_at > self._ttl:
            with self._db.read() as uow:
                stored = uow.config.get(self._key)
            self._value = validate(self._key, stored or {})
            self._loaded_at = monotonic()
        return self._value
