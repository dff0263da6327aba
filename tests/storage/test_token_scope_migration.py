"""Tokens made before scopes keep working after the upgrade: they read and submit any source."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import column, insert, table

from bot.access.tokens import hash_token
from bot.ports.records import TokenGrant, TokenScope
from storage.db import create_db_engine, downgrade, upgrade
from tests.support.core import make_core

OLD_TOKEN = "ah_made-before-tokens-had-scopes"


def test_existing_tokens_may_read_and_submit_any_source_after_the_upgrade(db_url: str) -> None:
    downgrade(db_url, "0008")
    engine = create_db_engine(db_url)
    try:
        with engine.begin() as connection:
            # The table as it was then: the model's later columns would not be there yet.
            tokens = table("api_tokens", column("name"), column("token_hash"), column("created_at"))
            connection.execute(
                insert(tokens).values(
                    name="zendesk",
                    token_hash=hash_token(OLD_TOKEN),
                    created_at=datetime(2026, 1, 5, tzinfo=UTC).replace(tzinfo=None)
                    if db_url.startswith("sqlite")
                    else datetime(2026, 1, 5, tzinfo=UTC),
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
