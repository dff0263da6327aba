"""Tokens made before scopes keep working after the upgrade: they read and submit any source."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from bot.access.tokens import hash_token
from bot.ports.records import TokenGrant, TokenScope
from storage.db import create_db_engine, downgrade, upgrade
from storage.models import ApiTokenRow
from tests.support.core import make_core

OLD_TOKEN = "ah_made-before-tokens-had-scopes"


def test_existing_tokens_may_read_and_submit_any_source_after_the_upgrade(db_url: str) -> None:
    downgrade(db_url, "0008")
    engine = create_db_engine(db_url)
    try:
        with engine.begin() as connection:
            columns = ApiTokenRow.__table__.c
            connection.execute(
                insert(ApiTokenRow.__table__).values(
                    {
                        columns.name: "zendesk",
                        columns.token_hash: hash_token(OLD_TOKEN),
                        columns.created_at: datetime(2026, 1, 5, tzinfo=UTC),
                    }
                )
            )
    finally:
        engine.dispose()
    upgrade(db_url)

    core = make_core(db_url)
    try:
        full = TokenScope(sources=None, read=True)
        assert core.tokens.authenticate(OLD_TOKEN) == TokenGrant("zendesk", full)
        assert [info.scope for info in core.tokens.all()] == [full]
        assert core.tokens.authenticate(core.tokens.create("crm-2")) == TokenGrant(
            "crm-2", TokenScope(sources=None, read=False)
        )
    finally:
        core.close()
