"""What every card shows of a linked fix, in Slack, Teams and the terminal preview: "Fix
shipped: TITLE" once the issue closed, "Fix reopened: TITLE" after it opened again; the Teams
direct message of a shipped fix carries the Reply to customer… form."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from app import build_core, cli
from bot.config import Settings
from bot.domain import LinkStatus
from bot.trackers.issues import IssueChange
from handlers.teams.cards import Verb, direct_card, plain
from tests.support.builders import API, draft, person
from tests.support.realdata import realdata_json

ISSUE = "https://github.com/acme/app/issues/42"
TITLE = "Export fails for <big> accounts"


def preview(db_url: str, ref: str, platform: str) -> str:
    shown = CliRunner().invoke(
        cli, ["preview", "card", ref, "--format", platform], env={"ALLHANDS_DATABASE_URL": db_url}
    )
    assert shown.exit_code == 0, shown.output
    return shown.stdout


@pytest.mark.parametrize(
    ("status", "line"),
    [(LinkStatus.CLOSED, f"Fix shipped: {TITLE}"), (LinkStatus.OPEN, f"Fix reopened: {TITLE}")],
)
def test_every_card_says_what_became_of_the_fix(db_url: str, status: LinkStatus, line: str) -> None:
    core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url))
    ref = core.desk.ingest(draft(), API).item.ref
    core.desk.link(ref, person("ana"), ISSUE)
    core.shipping.apply("gh", "1", IssueChange(ISSUE, TITLE, LinkStatus.CLOSED))
    if status is LinkStatus.OPEN:
        core.shipping.apply("gh", "2", IssueChange(ISSUE, TITLE, LinkStatus.OPEN))
    core.close()

    text = preview(db_url, ref, "text")
    slack = preview(db_url, ref, "slack")
    teams = json.loads(preview(db_url, ref, "teams"))

    assert line in text
    assert line.replace("<", "&lt;").replace(">", "&gt;") in slack
    texts = [str(block.get("text")) for block in teams["body"]]
    assert any(plain(line, 300) in text for text in texts)  # markdown neutralised, as all text
    jsonschema.validate(teams, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))


def test_the_teams_fix_shipped_message_offers_the_reply_form() -> None:
    card = direct_card(f"🚀 The fix for FB-7 shipped: {TITLE} ({ISSUE}).", "FB-7")

    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    assert plain(TITLE, 300) in card["body"][0]["text"]
    (form,) = card["actions"]
    (send,) = form["card"]["actions"]
    assert (form["title"], send["verb"], send["data"]) == (
        "Reply to customer…",
        Verb.REPLY,
        {"ref": "FB-7"},
    )
