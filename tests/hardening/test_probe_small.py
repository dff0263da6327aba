"""The smaller findings of the outside probe, each reproduced: invisible and bidirectional
characters, markup in Teams thread notes, the SQLite file's permissions, Slack's legacy token
kept in the inbox, and bogus tokens turned into database reads."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.access.tokens import Tokens
from bot.core import Core
from bot.domain import Event, EventKind, Identity, Person, Platform
from bot.errors import Invalid
from bot.intake import FeedbackDraft
from handlers.slack.inbound import Inbound
from handlers.teams.cards import note_text
from storage.db import create_db_engine

Client = Any
ZERO_WIDTH = "\u200b\u200c\u200d\ufeff"
RIGHT_TO_LEFT_OVERRIDE = "\u202e"
API = Identity(Platform.API, "zendesk", "zendesk")


async def test_a_body_of_zero_width_characters_is_no_text(
    client: Client, auth: dict[str, str]
) -> None:
    item = {"source": "email", "body": ZERO_WIDTH * 3}
    response = await client.post("/api/v1/feedback", json=item, headers=auth)
    assert response.status == 422
    assert (await response.json())["field"] == "body"


def test_bidirectional_overrides_never_reach_a_card() -> None:
    draft = FeedbackDraft(
        source="email",
        title=f"Refund {RIGHT_TO_LEFT_OVERRIDE}fdp.exe",
        body=f"Open invoice{RIGHT_TO_LEFT_OVERRIDE}gpj.exe please",
        customer={"name": f"Dana{RIGHT_TO_LEFT_OVERRIDE}"},
    )
    shown = json.dumps(draft.model_dump(mode="json"), ensure_ascii=False)
    assert RIGHT_TO_LEFT_OVERRIDE not in shown
    assert draft.body == "Open invoicegpj.exe please"


def test_a_comment_of_invisible_characters_is_refused(core: Core) -> None:
    item = core.desk.ingest(FeedbackDraft(source="email", body="Hello"), API).item
    with pytest.raises(Invalid, match="needs some text"):
        core.desk.comment(item.ref, API, ZERO_WIDTH)


def test_teams_notes_escape_html_and_names() -> None:
    actor = Person(1, "<at>Everyone</at>", None)
    event = Event(
        1,
        1,
        EventKind.COMMENTED,
        actor,
        Platform.SLACK,
        datetime.now(UTC),
        {"text": "<b>bold</b> & <at>CEO</at> *loud*"},
    )
    text = note_text(Any, event)  # a comment's line names no item
    assert "<" not in text
    assert ">" not in text
    assert "&lt;at&gt;Everyone&lt;/at&gt;" in text
    assert "&amp;" in text
    assert "\\*loud\\*" in text


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "allhands.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.connect():
        pass
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_slacks_legacy_token_is_never_kept() -> None:
    kept: list[dict[str, Any]] = []

    class Inbox:
        async def record(self, platform: Platform, delivery: str, payload: Any) -> None:
            kept.append(payload)

    async def ack() -> None:
        return None

    inbound = Inbound(desk=Any, people=Any, client=Any, inbox=Inbox(), replies=Any)  # type: ignore[arg-type]
    body = {"type": "block_actions", "token": "legacy-verification-token", "trigger_id": "1.2"}
    await inbound.record(ack, body, Any)  # type: ignore[arg-type]

    assert kept == [{"body": {"type": "block_actions", "trigger_id": "1.2"}}]


async def test_made_up_tokens_cost_only_so_many_database_reads(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    real = Tokens.authenticate

    def counted(self: Tokens, token: str) -> str | None:
        reads.append(token)
        return real(self, token)

    monkeypatch.setattr(Tokens, "authenticate", counted)
    statuses = []
    for n in range(80):
        headers = {"Authorization": f"Bearer ah_made-up-{n}"}
        statuses.append((await client.get("/api/v1/feedback", headers=headers)).status)

    assert statuses.count(401) == len(reads) <= 60
    assert statuses.count(429) == 80 - len(reads)
