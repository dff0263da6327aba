"""`allhands preview card`: the card JSON each platform would get, checked against that
platform's own rules (slack_sdk's Block Kit limits, the Adaptive Cards 1.5 schema)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner, Result
from slack_sdk.models.blocks import Block

import handlers.cli.server
from app import build_core, cli
from bot.config import Settings
from bot.core import Core
from bot.domain import BODY_MAX_CHARS, Identity, Platform
from bot.intake import TAGS_MAX, FeedbackDraft
from bot.service import COMMENT_MAX_CHARS
from tests.support.clock import FakeClock
from tests.support.realdata import needs_realdata, realdata_json, realdata_path

pytestmark = needs_realdata
SLACK_BLOCKS_MAX = 50  # per message; slack_sdk never checks it
BUILDER = "https://app.slack.com/block-kit-builder/#"
ANA = Identity(Platform.SLACK, "T0TEAM:U0ANA", "Ana", "ana@example.com")
BO = Identity(Platform.TEAMS, "aad-bo", "Bo", "bo@example.com")
SUPPORT = Identity(Platform.API, "zendesk", "zendesk")
# Customer text that would ping, link or format if it reached a card unescaped.
HOSTILE = "<!channel> @everyone *bold* _it_ ~x~ `code` [link](http://x) # > & "


def first_real_message() -> str:
    with realdata_path("feedback", "banking77_test.csv").open(newline="") as handle:
        return next(csv.DictReader(handle))["text"]


def fill(text: str, size: int) -> str:
    return (text * (size // len(text) + 1))[:size]


@pytest.fixture
def core(db_url: str, clock: FakeClock) -> Iterator[Core]:
    built = build_core(Settings(ALLHANDS_DATABASE_URL=db_url), clock)
    yield built
    built.close()


@pytest.fixture
def refs(core: Core) -> dict[str, str]:
    """One item per state, plus one with every field at its longest."""
    desk = core.desk

    def ingest(**fields: Any) -> str:
        return desk.ingest(FeedbackDraft(source="zendesk", **fields), SUPPORT).item.ref

    real = ingest(
        body=first_real_message(),
        kind="question",
        tags=["card_arrival"],
        customer={"name": "Dana", "email": "dana@example.com", "company": "Acme", "tier": "gold"},
        url="https://acme.zendesk.com/agent/tickets/4711",
    )
    claimed = ingest(body="Export does nothing", title="Export broken", severity="high")
    desk.claim(claimed, ANA)
    closed = ingest(body="The app crashes on start", kind="bug")
    desk.close(closed, BO, fill(HOSTILE, COMMENT_MAX_CHARS), notify_customer=True)
    longest = ingest(
        body=fill(HOSTILE, BODY_MAX_CHARS),
        title=fill(HOSTILE, 300),
        tags=[fill(f"{n}-tag", 50) for n in range(TAGS_MAX)],
        product_area=fill("area ", 100),
        url="https://example.com/" + "x" * 1900,
        customer={"name": fill(HOSTILE, 200), "company": "C" * 200, "tier": "t" * 64},
        severity="urgent",
        kind="complaint",
    )
    desk.claim(longest, ANA)
    desk.comment(longest, BO, fill(HOSTILE, COMMENT_MAX_CHARS))
    return {"real": real, "claimed": claimed, "closed": closed, "longest": longest}


def preview(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["preview", "card", *args], env={"ALLHANDS_DATABASE_URL": db_url}
    )


def shown(db_url: str, ref: str, fmt: str) -> tuple[dict[str, Any], str]:
    """The JSON on standard output, and the hint on standard error."""
    result = preview(db_url, ref, "--format", fmt)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document, result.stderr


@pytest.mark.parametrize("which", ["real", "claimed", "closed", "longest"])
def test_slack_preview_is_within_block_kit_limits_with_a_builder_link_that_opens_it(
    db_url: str, refs: dict[str, str], which: str
) -> None:
    message, hint = shown(db_url, refs[which], "slack")

    assert list(message) == ["blocks"]
    assert 0 < len(message["blocks"]) <= SLACK_BLOCKS_MAX
    for block in message["blocks"]:
        assert Block.parse(block).to_dict() == block  # to_dict checks every field's limit
    [link] = [line for line in hint.splitlines() if line.startswith(BUILDER)]
    assert json.loads(unquote(link.removeprefix(BUILDER))) == message
    assert "#" not in link.removeprefix(BUILDER)  # the JSON's own '#' would end the fragment


@pytest.mark.parametrize("which", ["real", "claimed", "closed", "longest"])
def test_teams_preview_is_a_valid_adaptive_card_with_the_designer_hint(
    db_url: str, refs: dict[str, str], which: str
) -> None:
    card, hint = shown(db_url, refs[which], "teams")

    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    assert card["fallbackText"].startswith(f"{refs[which]}: ")
    assert "https://adaptivecards.microsoft.com/designer" in hint
    assert "Microsoft Teams" in hint


def test_previews_show_the_card_as_posted_now(db_url: str, refs: dict[str, str]) -> None:
    slack, _ = shown(db_url, refs["claimed"], "slack")
    teams, _ = shown(db_url, refs["closed"], "teams")

    texts = [block.get("text", {}).get("text", "") for block in slack["blocks"]]
    assert any(text.startswith(":eyes: Claimed by <@U0ANA> ·") for text in texts)
    buttons = [e["action_id"] for e in slack["blocks"][-1]["elements"]]
    assert buttons == ["allhands.unclaim", "allhands.close", "allhands.more"]
    assert teams["body"][-1]["text"].startswith("Closed by Bo: <!channel\\> @everyone \\*bold")
    verbs = [a.get("verb") or a["title"] for a in teams["actions"]]
    assert verbs == ["allhands.reopen", "Reply to customer…", "Link issue…", "Merge or split…"]


def test_text_preview_reads_like_the_card(db_url: str, refs: dict[str, str]) -> None:
    real = preview(db_url, refs["real"])
    closed = preview(db_url, refs["closed"], "--format", "text")

    assert real.exit_code == 0, real.output
    lines = real.stdout.splitlines()
    assert lines[0] == f"{refs['real']} · Question · Normal"
    assert first_real_message() in lines
    assert "Customer  Dana (Acme, gold) <d•••@example.com>" in lines  # masked, as posted
    assert "Source    zendesk · https://acme.zendesk.com/agent/tickets/4711" in lines
    assert "Tags      #card_arrival" in lines
    assert "Status    Open, nobody has it yet" in lines
    assert "Buttons   Claim · Close… · Open source" in lines
    status = next(line for line in closed.stdout.splitlines() if line.startswith("Status"))
    assert status.startswith(
        "Status    Closed by Bo (in Teams) on 2026-03-02 09:00 UTC: <!channel>"
    )
    assert status.endswith(" (the customer will be told)")
    assert closed.stdout.splitlines()[-1] == "Buttons   Reopen"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("FB-999", "allhands: There is no feedback FB-999."),
        ("nope", "allhands: 'nope' is not a feedback reference like FB-12."),
    ],
)
@pytest.mark.parametrize("fmt", ["slack", "teams", "text"])
def test_an_unknown_ref_is_one_line_and_a_failure(
    db_url: str, refs: dict[str, str], ref: str, message: str, fmt: str
) -> None:
    result = preview(db_url, ref, "--format", fmt)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_serve_dev_says_how_to_preview_a_card_for_both_platforms(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("aiohttp.web.run_app", lambda *args, **kwargs: None)
    monkeypatch.setattr(handlers.cli.server, "settle_heap", lambda: None)

    result = CliRunner().invoke(cli, ["serve", "--dev"], env={"ALLHANDS_DATABASE_URL": db_url})

    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert any(line.startswith("allhands preview card FB-1 --format slack") for line in lines)
    assert any(line.startswith("allhands preview card FB-1 --format teams") for line in lines)
