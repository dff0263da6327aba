"""One Settings object: every environment variable All Hands reads is declared here, once.

The field descriptions double as the README table and the `allhands serve --help` epilog, so an
operator sees the same words everywhere.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./allhands.db"


class Settings(BaseSettings):
    """Configuration from the environment (and an optional `.env` file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias="ALLHANDS_DATABASE_URL",
        description="SQLAlchemy URL: sqlite:///PATH (default ./allhands.db) or "
        "postgresql+psycopg://USER:PASS@HOST/DB.",
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
        "INFO", validation_alias="ALLHANDS_LOG_LEVEL", description="DEBUG, INFO, WARNING or ERROR."
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

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

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
