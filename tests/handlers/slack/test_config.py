"""Leads configure All Hands from Slack: the `/allhands config` modal, its submission, and the
read-only `routes test`, `rota` and `audit` answers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.admin.form import FIELD_NAMES, FIELDS, current, parse_routes
from bot.admin.schemas import RotaConfig
from bot.core import Core
from bot.domain import Identity, Platform
from handlers.slack.ids import SlackId
from handlers.slack.views import INPUT_CHARS, Origin, settings_form
from tests.support.clock import FakeClock
from tests.support.eventually import PATIENCE
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import TEAM
from tests.support.realdata import needs_realdata
from tests.support.slack_payloads import CARDS, SlackSender, slash_command, view_submission

pytestmark = needs_realdata
ROTA = "mon 09:00-13:00 ben@example.com"
ROUTES = "refunds: keyword=refund -> slack:C0REFUNDS\ndefault -> slack:C0ALL"


@pytest.fixture
def ana_leads(core: Core) -> None:
    core.admin.set_role("ana@example.com", "lead", True, None)


async def _open_config(slack: FakeSlackApi, sender: SlackSender, user: str) -> dict[str, Any]:
    before = len(slack.calls_to("views.open"))
    form = slash_command("config", user, slack.response_url())
    await sender.form(form)
    call = (await slack.wait_for("views.open", before + 1))[before]
    assert call.args["trigger_id"] in form  # the command's own trigger id
    view: dict[str, Any] = call.args["view"]
    assert View(**view).to_dict() == view  # slack_sdk checks each field's limits
    return view


def _submission(values: dict[str, str], user: str) -> dict[str, Any]:
    inputs = {name: {"type": "plain_text_input", "value": text} for name, text in values.items()}
    return view_submission(SlackId.CONFIG_VIEW, inputs, Origin(channel=CARDS).dump(), user)


async def test_a_lead_gets_the_form_prefilled_and_anyone_else_the_settings(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ana_leads: None
) -> None:
    core.admin.change("rota", {"shifts": [_shift()]}, None)

    form = await _open_config(slack, sender, "UANA")
    read_only = await _open_config(slack, sender, "UBEN")

    inputs = [b for b in form["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == list(FIELD_NAMES)
    assert [b["element"]["action_id"] for b in inputs] == list(FIELD_NAMES)
    assert [bool(b["element"].get("multiline")) for b in inputs] == [f.multiline for f in FIELDS]
    assert [b["hint"]["text"] for b in inputs] == [f.hint for f in FIELDS]
    by_name = {b["block_id"]: b["element"].get("initial_value") for b in inputs}
    assert by_name["rota"] == ROTA
    assert by_name["leads"] == "ana@example.com"
    assert form["submit"]["text"] == "Save"

    assert slack.calls_to("response_url") == []  # the modal is the answer
    assert "submit" not in read_only
    assert all(b["type"] != "input" for b in read_only["blocks"])
    text = str(read_only["blocks"])
    assert "*Leads:* Ana Lima" in text
    assert "Only support leads can change these" in text


def test_a_setting_too_long_for_an_input_is_shown_not_cut() -> None:
    values = {"routes": "x" * (INPUT_CHARS + 1), "rota": ROTA}
    blocks = settings_form(values, Origin()).to_dict()["blocks"]
    assert "routes" not in [b.get("block_id") for b in blocks if b["type"] == "input"]
    assert "too long to edit in Slack" in str(blocks)


async def test_a_leads_submission_is_applied_audited_and_confirmed(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ana_leads: None
) -> None:
    values = current(core.admin) | {"routes": ROUTES, "rota": ROTA}

    response = await sender.interactive(_submission(values, "UANA"))

    assert response.status == 200
    assert await response.text() == ""  # an empty ack closes the modal
    rota = core.admin.read("rota")
    assert isinstance(rota, RotaConfig)
    assert [s.emails for s in rota.shifts] == [["ben@example.com"]]
    assert current(core.admin)["routes"] == ROUTES
    audited = {(e.key, e.actor.email if e.actor else None, e.platform) for e in core.admin.audit()}
    assert ("rota", "ana@example.com", Platform.SLACK) in audited
    assert ("routes", "ana@example.com", Platform.SLACK) in audited
    (told,) = await slack.wait_for("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"]) == (CARDS, "UANA")
    assert told.args["text"] == "Saved: routes, rota."


async def test_a_submission_is_answered_while_slack_cannot_say_who_sent_it(
    core: Core, slack: FakeSlackApi, sender: SlackSender, ana_leads: None
) -> None:
    """The lead's account is known from earlier (through another replica, say); Slack's
    `users.info` hangs: the form is still saved and answered, under her name."""
    core.desk.person(Identity(Platform.SLACK, f"{TEAM}:UANA", "Ana Lima", "ana@example.com"))
    slack.hold("users.info")  # no answer until the fake closes

    submitted = sender.interactive(_submission(current(core.admin) | {"rota": ROTA}, "UANA"))
    response = await asyncio.wait_for(submitted, PATIENCE)  # a stuck answer fails here

    assert (response.status, await response.text()) == (200, "")
    assert current(core.admin)["rota"] == ROTA
    (audited,) = [e for e in core.admin.audit() if e.key == "rota"]
    assert audited.actor is not None
    assert audited.actor.name == "Ana Lima"


async def test_a_non_leads_submission_is_refused_and_changes_nothing(
    core: Core, sender: SlackSender, ana_leads: None
) -> None:
    before = current(core.admin)

    response = await sender.interactive(_submission(before | {"rota": ROTA}, "UBEN"))

    answer = await response.json()
    assert answer["response_action"] == "errors"
    (message,) = answer["errors"].values()
    assert message.startswith("Only support leads can change configuration (leads: ana")
    assert current(core.admin) == before
    assert [e.key for e in core.admin.audit()] == ["people.lead"]  # only the bootstrap


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rota", "mon 9 to 5 ben@example.com", "rota line 1: write it like"),
        ("routes", "bugs: kind=bug", "routes line 1: add '-> slack:CHANNEL'"),
        ("timezone", "Mars/Olympus", "not an IANA time zone name"),
        ("digest_time", "25:00", "digest.time"),
    ],
)
async def test_a_bad_field_is_named_under_its_input_and_nothing_is_saved(
    core: Core, sender: SlackSender, ana_leads: None, field: str, value: str, message: str
) -> None:
    before = current(core.admin)
    values = before | {"rota": ROTA, field: value}  # a good change rides along

    response = await sender.interactive(_submission(values, "UANA"))

    answer = await response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert message in answer["errors"][field]
    assert current(core.admin) == before


@pytest.fixture
def run(slack: FakeSlackApi, sender: SlackSender) -> Any:
    async def command(text: str) -> str:
        before = len(slack.calls_to("response_url"))
        await sender.form(slash_command(text, "UBEN", slack.response_url()))
        answer = (await slack.wait_for("response_url", before + 1))[before].args
        assert answer["response_type"] == "ephemeral"
        return str(answer["text"])

    return command


async def test_routes_test_rota_and_audit_answer_anyone_in_inert_mrkdwn(
    core: Core, run: Any, clock: FakeClock
) -> None:
    routes = "<!channel>: keyword=refund -> slack:C0REFUNDS\ndefault -> slack:C0ALL"
    core.admin.change("routes", parse_routes(routes), None)
    core.admin.change("rota", {"shifts": [_shift()]}, None)
    clock.current = clock.current.replace(hour=10)  # a Monday, in the shift (UTC by default)

    assert await run("routes test I want a refund") == (
        "Rule *&lt;!channel&gt;* decides: slack C0REFUNDS."
    )
    assert await run("routes test Hello") == "Rule *default* decides: slack C0ALL."
    assert "Try `routes test &lt;text&gt;`" in await run("routes")
    assert (await run("rota")).startswith("On support now: ben@example.com.")
    audit = await run("audit")
    assert "the operator (cli) changed *routes*" in audit
    assert "&lt;!channel&gt;" in audit
    assert "<!channel>" not in audit
    for verb in ("config", "routes test", "rota", "audit"):
        assert f"/allhands {verb}" in await run("help")


def _shift() -> dict[str, Any]:
    return {"day": "mon", "start": "09:00", "end": "13:00", "emails": ["ben@example.com"]}
