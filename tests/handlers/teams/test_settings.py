"""Leads configure All Hands from Teams: `config` card, its Save, and the read-only commands."""

from __future__ import annotations

from typing import Any

import pytest

from bot.admin.form import FIELD_NAMES, FIELDS, current
from bot.admin.schemas import RotaConfig
from bot.core import Core
from bot.domain import Platform
from handlers.teams.settings_card import SAVE_VERB
from tests.support.fakes.connector import FakeConnector
from tests.support.realdata import needs_realdata
from tests.support.teams import BOT_MENTION, Post, assert_valid_card, message, recording

pytestmark = needs_realdata
ROUTES = (
    "refunds: keyword=refund -> teams:19:refunds@thread.tacv2\ndefault -> teams:19:all@thread.tacv2"
)
ROTA = "mon 08:00-12:00 rido@example.com"


@pytest.fixture(autouse=True)
def mo(connector: FakeConnector) -> None:
    """The author of the recorded channel message; not a lead unless a test makes them one."""
    user = recording("message_channel_with_mention.json")["from"]
    connector.add_member(user["id"], user["aadObjectId"], "Mo", "mo@example.com")


def lead(core: Core, email: str) -> None:
    core.admin.set_role(email, "lead", True, None)


def save_click(values: dict[str, str], number: int = 1) -> dict[str, Any]:
    """Rido clicking Save on the settings card in a personal chat (inputs merge into data)."""
    activity = recording("invoke_adaptive_card_action.json")
    activity["id"] = f"f:save-{number}"
    activity["value"]["action"] = {"type": "Action.Execute", "verb": SAVE_VERB, "data": values}
    return activity


async def command(post: Post, connector: FakeConnector, text: str, number: int) -> dict[str, Any]:
    """The bot's answer to `@All Hands <text>` in the channel, as the message it sent."""
    await post(message(f"{BOT_MENTION} {text}", id=f"s{number}"))
    (answer,) = [c.body for c in connector.sent("POST") if not c.path.endswith("/activities")][
        number:
    ]
    assert isinstance(answer, dict)
    return answer


async def test_config_shows_a_lead_the_form_and_anyone_the_settings(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    core.admin.change(
        "rota",
        {
            "shifts": [
                {"day": "mon", "start": "08:00", "end": "12:00", "emails": ["rido@example.com"]}
            ]
        },
        None,
    )

    everyone = await command(post, connector, "config", 0)
    lead(core, "mo@example.com")
    leads = await command(post, connector, "config", 1)

    assert "**Leads:** none" in everyone["text"]
    assert everyone["text"].endswith("Only support leads can change these; ask one of them.")
    assert not everyone.get("attachments")
    assert leads["text"].startswith("**Leads:** Mo ")
    card = leads["attachments"][0]["content"]
    assert_valid_card(card)
    inputs = [e for e in card["body"] if e["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == list(FIELD_NAMES)
    assert [i["isMultiline"] for i in inputs] == [f.multiline for f in FIELDS]
    assert [i["label"] for i in inputs] == [f.label for f in FIELDS]
    assert all(i["placeholder"] for i in inputs)
    by_id = {i["id"]: i["value"] for i in inputs}
    assert by_id["rota"] == ROTA
    assert by_id["leads"] == "mo@example.com"
    assert card["actions"] == [
        {"type": "Action.Execute", "title": "Save", "verb": SAVE_VERB, "style": "positive"}
    ]


async def test_a_leads_submission_is_applied_and_audited(core: Core, post: Post) -> None:
    lead(core, "rido@example.com")
    values = {**current(core.admin), "routes": ROUTES, "rota": ROTA}

    response = await post(save_click(values))

    assert response.status == 200
    answer = await response.json()
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(answer["value"])
    assert answer["value"]["body"][1]["text"] == "Saved: routes, rota."
    rota = core.admin.read("rota")
    assert isinstance(rota, RotaConfig)
    assert [s.emails for s in rota.shifts] == [["rido@example.com"]]
    audited = {e.key: e for e in core.admin.audit()}
    assert {"routes", "rota"} <= set(audited)
    assert audited["rota"].actor is not None
    assert audited["rota"].actor.email == "rido@example.com"
    assert audited["rota"].platform is Platform.TEAMS


async def test_a_non_leads_submission_is_refused_and_changes_nothing(
    core: Core, post: Post
) -> None:
    lead(core, "ana@example.com")
    before, audit_before = current(core.admin), core.admin.audit()

    response = await post(save_click({**before, "rota": ROTA, "leads": "rido@example.com"}))

    assert response.status == 200
    answer = await response.json()
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"] == "Only support leads can change configuration (leads: ana)."
    assert current(core.admin) == before
    assert core.admin.audit() == audit_before


async def test_a_bad_field_is_named_and_nothing_is_saved(core: Core, post: Post) -> None:
    lead(core, "rido@example.com")
    before = current(core.admin)
    values = {**before, "rota": ROTA, "routes": "refunds: keyword=refund"}

    answer = await (await post(save_click(values))).json()

    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert answer["value"].startswith("routes line 1:")
    assert current(core.admin) == before


async def test_a_click_without_any_value_clears_nothing(core: Core, post: Post) -> None:
    """Teams has sent channel clicks without their inputs; that must not read as "clear all"."""
    lead(core, "rido@example.com")
    core.admin.change(
        "routes", {"rules": [], "default": [{"platform": "teams", "channel": "19:all"}]}, None
    )
    before = current(core.admin)

    answer = await (await post(save_click({}))).json()

    assert answer["value"].startswith("Teams sent the form without its values")
    assert current(core.admin) == before


async def test_a_cleared_field_is_left_out_of_the_click_and_cleared(core: Core, post: Post) -> None:
    lead(core, "rido@example.com")
    await post(save_click({**current(core.admin), "rota": ROTA}, 1))
    without_rota = {k: v for k, v in current(core.admin).items() if k != "rota" and v}

    answer = await (await post(save_click(without_rota, 2))).json()

    assert answer["value"]["body"][1]["text"] == "Saved: rota."
    assert current(core.admin)["rota"] == ""


async def test_routes_test_rota_and_audit_answer_anyone(
    core: Core, post: Post, connector: FakeConnector
) -> None:
    lead(core, "rido@example.com")
    await post(save_click({**current(core.admin), "routes": ROUTES, "rota": ROTA}))

    routed = await command(post, connector, "routes test customer wants a refund", 0)
    usage = await command(post, connector, "routes", 1)
    rota = await command(post, connector, "rota", 2)
    audit = await command(post, connector, "audit", 3)
    helped = await command(post, connector, "help", 4)

    assert routed["text"] == "Rule **refunds** decides: teams 19:refunds@thread.tacv2."
    assert usage["text"].startswith("Try `routes test <text>`")
    assert rota["text"] == (
        "On support now: rido@example.com.\n\nNext: rido@example.com from Mon 08:00."
    )
    lines = audit["text"].split("\n\n")
    assert len(lines) == 3  # the lead role, the routes, the rota
    assert "Rido (teams) changed **rota**" in lines[0]
    for word in ("`config`", "`routes test <text>`", "`rota`", "`audit`"):
        assert word in helped["text"]
