"""Leads see the registered sources in the chat settings (name and kind, never a secret), and
set which account fields cards show: in the chat form or with `allhands config set`, audited."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from app import build_core, cli
from bot.admin import form as settings_form
from bot.admin.schemas import CustomersConfig
from bot.admin.secrets import new_key
from bot.commands.console import Console
from bot.commands.runner import CommandRunner
from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform
from bot.errors import Invalid
from handlers.server import build_server, chat_adapters
from handlers.teams import commands as teams_commands
from handlers.teams.settings_card import settings_card
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import TEAM
from tests.support.realdata import needs_realdata, realdata_path

SIGNING_SECRET = "slack-signing-secret"
ZENDESK_SECRET = "zendesk-signing-secret-never-shown"
KEY = new_key()
LEAD = Identity(Platform.SLACK, "T1:UANA", "Ana Lima", "ana@example.com")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        fake.add_user("UANA", "Ana Lima", "ana@example.com")
        fake.add_user("UBEN", "Ben Okafor", "ben@example.com")
        yield fake


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi) -> Iterator[Core]:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL="C0CARDS",
        ALLHANDS_SECRET_KEY=KEY,
    )
    built = build_core(settings)
    built.sources.add("zendesk", "helpdesk", secret=ZENDESK_SECRET, credentials="agent/token:T0K")
    built.sources.add("zendesk", "eu-desk", secret=ZENDESK_SECRET + "-eu")
    built.admin.set_role("ana@example.com", "lead", True, None)
    yield built
    built.close()


def console(core: Core) -> Console:
    return Console(core.admin, core.router, lambda: core.digest.plan().zone, core.sources)


def assert_names_sources_and_no_secret(text: str) -> None:
    assert "helpdesk (zendesk)" in text
    assert "eu-desk (zendesk)" in text
    for secret in (ZENDESK_SECRET, "T0K"):
        assert secret not in text


def test_the_settings_summary_lists_the_sources_and_the_customer_fields(core: Core) -> None:
    core.admin.change("customers", {"fields": ["plan", "arr"]}, None)

    summary = console(core).summary()

    assert_names_sources_and_no_secret(summary)
    assert "*Customer fields on cards:* plan, arr" in summary


def test_teams_config_shows_leads_the_sources_beside_the_form(core: Core) -> None:
    answer = CommandRunner(core.desk, console(core)).answer("config", LEAD, message_id="m1")

    reply = teams_commands.render(answer)

    assert_names_sources_and_no_secret(reply.text)
    assert reply.card is not None
    inputs = [b["id"] for b in reply.card["body"] if b["type"] == "Input.Text"]
    assert "customer_fields" in inputs


def _slash_config(user: str, response_url: str) -> tuple[str, dict[str, str]]:
    """`/allhands config` as Slack sends it (its recorded form), signed."""
    form = dict(
        parse_qsl(realdata_path("slack", "events", "slash_command.txt").read_text().strip())
    )
    form |= {
        "command": "/allhands",
        "text": "config",
        "user_id": user,
        "team_id": TEAM,
        "channel_id": "C0CARDS",
        "response_url": response_url,
        "trigger_id": f"{time.time_ns()}.trigger",
    }
    body = urlencode(form)
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={mac.hexdigest()}",
    }
    return body, headers


@needs_realdata
async def test_slack_config_shows_the_sources_to_leads_and_everyone_else(
    core: Core, slack: FakeSlackApi
) -> None:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as client:
        views: list[dict[str, Any]] = []
        for user in ("UANA", "UBEN"):  # a lead, then someone else
            body, headers = _slash_config(user, slack.response_url())
            assert (await client.post("/slack/events", data=body, headers=headers)).status == 200
            views.append((await slack.wait_for("views.open", len(views) + 1))[-1].args["view"])

    lead, other = (json.dumps(view) for view in views)
    assert '"block_id": "customer_fields"' in lead
    for shown in (lead, other):
        assert_names_sources_and_no_secret(shown)
    assert "customer_fields" not in other


def test_the_form_sets_the_customer_fields_audited(core: Core) -> None:
    changed = settings_form.apply(
        core.admin, {"customer_fields": "plan, arr , account owner"}, LEAD
    )

    assert changed == ["customer_fields"]
    stored = core.admin.read("customers")
    assert isinstance(stored, CustomersConfig)
    assert stored.fields == ["plan", "arr", "account owner"]  # only commas separate names
    assert settings_form.current(core.admin)["customer_fields"] == "plan, arr, account owner"
    [entry] = [e for e in core.admin.audit() if e.key == "customers"]
    assert entry.actor is not None
    assert entry.actor.email == "ana@example.com"
    card = json.dumps(settings_card(settings_form.current(core.admin)))
    assert "plan, arr, account owner" in card


def test_a_bad_customer_field_names_the_form_field(core: Core) -> None:
    with pytest.raises(Invalid, match="at most 64") as raised:
        settings_form.apply(core.admin, {"customer_fields": "x" * 70}, LEAD)
    assert raised.value.field == "customer_fields"


def test_config_set_customers_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    chosen = tmp_path / "customers.json"
    chosen.write_text(json.dumps({"fields": ["plan", "owner.name"]}))
    env = {"ALLHANDS_DATABASE_URL": db_url}

    done = CliRunner().invoke(cli, ["config", "set", "customers", str(chosen)], env=env)
    shown = CliRunner().invoke(cli, ["config", "show", "customers"], env=env)
    audit = CliRunner().invoke(cli, ["audit"], env=env)

    assert done.exit_code == 0, done.output
    assert json.loads(shown.stdout) == {"fields": ["plan", "owner.name"]}
    assert "customers" in audit.stdout
