"""One Settings object: every environment variable All Hands reads is declared here, once.

The field descriptions double as the README table and the `allhands serve --help` epilog, so an
operator sees the same words everywhere.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.digest.period import DigestPlan, check_zone, parse_weekdays
from bot.domain import Platform
from bot.validation import EMAIL_PATTERN, HH_MM

EMAIL = re.compile(EMAIL_PATTERN)

DEFAULT_DATABASE_URL = "sqlite:///./allhands.db"
POSTGRES_SCHEME = "postgresql+psycopg://"
# What hosting providers and psql hand out; SQLAlchemy would read them as other drivers
# (`postgres` as none at all, `postgresql` as psycopg2), while All Hands ships psycopg 3.
_POSTGRES_ALIASES = ("postgres://", "postgresql://")
_DATABASE_SCHEMES = ("sqlite://", "sqlite+pysqlite://", POSTGRES_SCHEME)


def split_list(value: str, *, lower: bool = False) -> list[str]:
    """A comma-separated setting as a list, blanks dropped, order and first copies kept."""
    items = [part.strip().lower() if lower else part.strip() for part in value.split(",")]
    return list(dict.fromkeys(item for item in items if item))


class Settings(BaseSettings):
    """Configuration from the environment (and an optional `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias="ALLHANDS_DATABASE_URL",
        description="SQLAlchemy URL: sqlite:///PATH (default ./allhands.db) or "
        "postgresql://USER:PASS@HOST/DB (postgres:// and postgresql+psycopg:// work too).",
    )
    host: str = Field(
        "127.0.0.1", validation_alias="ALLHANDS_HOST", description="Address the server binds."
    )
    port: int = Field(
        3000, ge=1, le=65535, validation_alias="ALLHANDS_PORT", description="Port the server binds."
    )
    public_url: str = Field(
        "",
        validation_alias="ALLHANDS_PUBLIC_URL",
        description="Public base URL of this server, used in links (optional).",
    )
    log_level: str = Field(
        "INFO",
        validation_alias="ALLHANDS_LOG_LEVEL",
        description="DEBUG, INFO, WARNING or ERROR. The Slack and Bot Framework libraries stay "
        "at INFO or above: their DEBUG lines carry whole messages, customers' words included.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        validation_alias="ALLHANDS_LOG_FORMAT",
        description="text (for people) or json (one object per line, with request ids).",
    )
    api_rate: float = Field(
        100.0,
        gt=0,
        validation_alias="ALLHANDS_API_RATE",
        description="Items per second each API token may submit (a batch of N counts N, any "
        "other request 1), shared by all replicas.",
    )
    api_burst: int = Field(
        1000,
        ge=1,
        validation_alias="ALLHANDS_API_BURST",
        description="Items a token may submit at once before the rate applies; also the "
        "largest batch it may send.",
    )
    source_rate: float = Field(
        20.0,
        gt=0,
        validation_alias="ALLHANDS_SOURCE_RATE",
        description="Deliveries per second each source (helpdesk, survey, email) may post, "
        "per replica.",
    )
    source_burst: int = Field(
        200,
        ge=1,
        validation_alias="ALLHANDS_SOURCE_BURST",
        description="Deliveries a source may post at once before its rate applies.",
    )
    flood_cards_per_hour: int = Field(
        30,
        ge=0,
        validation_alias="ALLHANDS_FLOOD_CARDS_PER_HOUR",
        description="New cards one source may post into one channel per hour; beyond that its "
        "normal and low items are stored and counted in one summary message (0: no limit).",
    )
    smtp_url: SecretStr | None = Field(
        None,
        validation_alias="ALLHANDS_SMTP_URL",
        description="Mail server replies to customers go out through: smtp://USER:PASS@HOST:PORT "
        "(STARTTLS when the server offers it) or smtps://USER:PASS@HOST:PORT (TLS from the start).",
    )
    support_from: str = Field(
        "",
        validation_alias="ALLHANDS_SUPPORT_FROM",
        description="The support address replies to customers come from (From:), e.g. "
        "support@example.com; its domain names their Message-IDs.",
    )
    customer_lookup_url: str = Field(
        "",
        validation_alias="ALLHANDS_CUSTOMER_LOOKUP_URL",
        description="Your HTTPS endpoint answering GET URL?email=ADDRESS with the customer's "
        "record as a JSON object; cards show the fields leads list in the `customers` setting.",
    )
    customer_lookup_token: SecretStr | None = Field(
        None,
        validation_alias="ALLHANDS_CUSTOMER_LOOKUP_TOKEN",
        description="Sent to the customer look-up as `Authorization: Bearer TOKEN` (optional).",
    )
    metrics_token: SecretStr | None = Field(
        None,
        validation_alias="ALLHANDS_METRICS_TOKEN",
        description="Bearer token `/metrics` asks for (`Authorization: Bearer TOKEN`); without "
        "it, `/metrics` answers only requests from this machine (loopback).",
    )
    imap_poll_seconds: float = Field(
        60.0,
        gt=0,
        validation_alias="ALLHANDS_IMAP_POLL_SECONDS",
        description="How often a polled mailbox is looked at (with IMAP IDLE, new mail is read "
        "at once in between), and how soon one that could not be reached is tried again.",
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias="ALLHANDS_SECRET_KEY",
        description="Key that seals source secrets, credentials and webhook signing secrets in "
        "the database (32 url-safe base64 bytes), and from which satisfaction links' signing key "
        "is derived; else read from ALLHANDS_SECRET_KEY_FILE.",
    )
    secret_key_file: str = Field(
        "./allhands.key",
        validation_alias="ALLHANDS_SECRET_KEY_FILE",
        description="File holding the secret key when ALLHANDS_SECRET_KEY is not set "
        "(`serve --dev` creates it).",
    )

    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias="SLACK_BOT_TOKEN",
        description="Slack bot token (xoxb-...); turns the Slack adapter on.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias="SLACK_SIGNING_SECRET",
        description="Slack signing secret; required for HTTP mode.",
    )
    slack_app_token: SecretStr | None = Field(
        None,
        validation_alias="SLACK_APP_TOKEN",
        description="Slack app-level token (xapp-...); switches Slack to Socket Mode.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        validation_alias="SLACK_API_URL",
        description="Slack Web API base URL (GovSlack, tests).",
    )
    slack_channel: str = Field(
        "",
        validation_alias="ALLHANDS_SLACK_CHANNEL",
        description="Slack channel id that receives feedback cards.",
    )

    teams_app_id: str = Field(
        "",
        validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFTAPPID"),
        description="Azure Bot app id; turns the Teams adapter on.",
    )
    teams_app_password: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFTAPPPASSWORD"),
        description="Azure Bot client secret.",
    )
    teams_app_tenant_id: str = Field(
        "",
        validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFTAPPTENANTID"),
        description="Azure tenant id (SingleTenant bots).",
    )
    teams_app_type: str = Field(
        "MultiTenant",
        validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFTAPPTYPE"),
        description="MultiTenant, SingleTenant or UserAssignedMSI.",
    )
    teams_channel: str = Field(
        "",
        validation_alias="ALLHANDS_TEAMS_CHANNEL",
        description="Teams channel conversation id that receives feedback cards.",
    )
    teams_reactions: str = Field(
        "",
        validation_alias="ALLHANDS_TEAMS_REACTIONS",
        description="Teams reactions that act on a card, e.g. like=claim (comma-separated; "
        "actions: claim, unclaim, close, reopen). Default: none, reactions only react.",
    )

    # ---- daily digest ----------------------------------------------------------------------
    timezone: str = Field(
        "UTC",
        validation_alias="ALLHANDS_TIMEZONE",
        description="Company time zone (IANA name, e.g. Europe/Berlin): digest days and time.",
    )
    digest_time: str = Field(
        "09:00",
        pattern=HH_MM,
        validation_alias="ALLHANDS_DIGEST_TIME",
        description="Local time (HH:MM) the daily digest goes out.",
    )
    digest_days: str = Field(
        "mon-fri",
        validation_alias="ALLHANDS_DIGEST_DAYS",
        description="Days the digest goes out: ranges and lists such as mon-fri or mon,wed,fri.",
    )
    digest_grace_hours: float = Field(
        6.0,
        ge=0,
        le=23,
        validation_alias="ALLHANDS_DIGEST_GRACE_HOURS",
        description="After downtime, a missed digest is still sent this many hours late.",
    )
    digest_slack_channels: str = Field(
        "",
        validation_alias="ALLHANDS_DIGEST_SLACK_CHANNELS",
        description="Slack channel ids (comma-separated) that get the daily digest.",
    )
    digest_teams_channels: str = Field(
        "",
        validation_alias="ALLHANDS_DIGEST_TEAMS_CHANNELS",
        description="Teams channel conversation ids (comma-separated) that get the digest.",
    )
    customer_value_field: str = Field(
        "arr",
        validation_alias="ALLHANDS_CUSTOMER_VALUE_FIELD",
        description="The customer look-up's field (a key or path) the digest sums per open "
        "issue as its customers' account value.",
    )
    spike_slack_channels: str = Field(
        "",
        validation_alias="ALLHANDS_SPIKE_SLACK_CHANNELS",
        description="Slack channel ids (comma-separated) for spike alerts; none: the digest's.",
    )
    spike_teams_channels: str = Field(
        "",
        validation_alias="ALLHANDS_SPIKE_TEAMS_CHANNELS",
        description="Teams channel conversation ids for spike alerts; none: the digest's.",
    )
    execs: str = Field(
        "",
        validation_alias="ALLHANDS_EXECS",
        description="Executives' emails (comma-separated): each gets the digest as a direct "
        "message on Slack and Teams. Initial list: leads manage it in chat afterwards.",
    )
    leads: str = Field(
        "",
        validation_alias="ALLHANDS_LEADS",
        description="Support leads' emails (comma-separated), who configure All Hands from chat. "
        "Initial list: leads manage it in chat afterwards.",
    )
    repeats: bool = Field(
        True,
        validation_alias="ALLHANDS_REPEATS",
        description=(
            "Attach an item that says what an open (or lately closed) item says to that item's "
            "card instead of posting a card of its own (true/false)."
        ),
    )
    digest_mask_customers: bool = Field(
        True,
        validation_alias="ALLHANDS_DIGEST_MASK_CUSTOMERS",
        description="Show customers in digest quotes by initials only (true/false).",
    )

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        for alias in _POSTGRES_ALIASES:
            if value.startswith(alias):
                return POSTGRES_SCHEME + value.removeprefix(alias)
        if not value.startswith(_DATABASE_SCHEMES):
            raise ValueError(
                "not a database URL: use sqlite:///PATH or postgresql://USER:PASS@HOST/DB"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("digest_days")
    @classmethod
    def _known_days(cls, value: str) -> str:
        parse_weekdays(value)
        return value

    @property
    def digest_plan(self) -> DigestPlan:
        return DigestPlan(
            zone=ZoneInfo(self.timezone),
            send_at=time.fromisoformat(self.digest_time),
            weekdays=parse_weekdays(self.digest_days),
            grace=timedelta(hours=self.digest_grace_hours),
            mask_customers=self.digest_mask_customers,
        )

    @property
    def exec_emails(self) -> list[str]:
        return split_list(self.execs, lower=True)

    @property
    def lead_emails(self) -> list[str]:
        return split_list(self.leads, lower=True)

    @property
    def digest_slack_channel_ids(self) -> list[str]:
        return split_list(self.digest_slack_channels)

    @property
    def digest_teams_channel_ids(self) -> list[str]:
        return split_list(self.digest_teams_channels)

    @property
    def spike_channels(self) -> list[tuple[Platform, str]]:
        return [(Platform.SLACK, c) for c in split_list(self.spike_slack_channels)] + [
            (Platform.TEAMS, c) for c in split_list(self.spike_teams_channels)
        ]

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = urlsplit(value.get_secret_value().strip())
        if url.scheme not in {"smtp", "smtps"} or not url.hostname:
            raise ValueError("must be smtp://USER:PASS@HOST:PORT or smtps://USER:PASS@HOST:PORT")
        return value

    @field_validator("support_from")
    @classmethod
    def _support_address(cls, value: str) -> str:
        if value.strip() and not EMAIL.match(value.strip()):
            raise ValueError("must be an email address like support@example.com")
        return value.strip()

    @field_validator("customer_lookup_url")
    @classmethod
    def _private_transport(cls, value: str) -> str:
        """Customers' addresses go out on every look-up: over TLS, or to this very machine."""
        url = urlsplit(value.strip())
        local = url.scheme == "http" and url.hostname in {"127.0.0.1", "localhost", "::1"}
        if value.strip() and not ((url.scheme == "https" and url.hostname) or local):
            raise ValueError("must be an https:// URL (http:// only to 127.0.0.1 or localhost)")
        return value.strip()

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty token (`ALLHANDS_METRICS_TOKEN=` in a compose file) would match an empty
        header: it means no token."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    def sealing_key(self) -> str | None:
        """The secret key: from the environment, else from its file (None when neither)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = Path(self.secret_key_file).expanduser()
        return path.read_text().strip() if path.is_file() else None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id)


def describe_environment() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for help texts and the README."""
    rows: list[tuple[str, str, str]] = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        name = alias.choices[0] if isinstance(alias, AliasChoices) else alias
        default = "" if field.default is None else str(field.default)
        rows.append((str(name), default, field.description or ""))
    return rows
