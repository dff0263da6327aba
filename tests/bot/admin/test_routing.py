"""The route table: ordered rules, first match wins, criteria combine, then the default."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.admin.routing import RouteTable
from bot.admin.schemas import DestinationIn, RoutesConfig
from bot.domain import Platform
from bot.intake import FeedbackDraft
from bot.ports.chat import Destination

S, T = Platform.SLACK, Platform.TEAMS


def dest(platform: str, channel: str) -> dict[str, str]:
    return {"platform": platform, "channel": channel}


TABLE = RouteTable(
    RoutesConfig.model_validate(
        {
            "rules": [
                {
                    "name": "urgent",
                    "severities": ["urgent"],
                    "destinations": [dest("slack", "CURG"), dest("teams", "19:urg")],
                },
                {
                    "name": "ios-bugs",
                    "sources": ["appstore"],
                    "kinds": ["bug"],
                    "destinations": [dest("slack", "CIOS")],
                },
                {
                    "name": "billing",
                    "tags": ["billing", "refund"],
                    "destinations": [dest("teams", "19:bill")],
                },
                {
                    "name": "payments-area",
                    "product_areas": ["payments"],
                    "destinations": [dest("slack", "CPAY")],
                },
                {
                    "name": "cancel-words",
                    "keywords": ["cancel", "churn"],
                    "destinations": [dest("slack", "CRISK"), dest("teams", "19:risk")],
                },
                {"name": "praise", "kinds": ["praise"], "destinations": [dest("slack", "CLOVE")]},
                {
                    "name": "gold-complaints",
                    "kinds": ["complaint"],
                    "tags": ["gold"],
                    "destinations": [dest("teams", "19:gold")],
                },
            ],
            "default": [dest("slack", "CALL")],
        }
    ),
    fallback=[Destination(S, "CENV")],
)


def item(**fields: Any) -> FeedbackDraft:
    return FeedbackDraft.model_validate({"source": "email", "body": "Something happened", **fields})


CASES = [
    ("plain feedback goes to the default", item(), "default", [(S, "CALL")]),
    (
        "urgent beats everything after it",
        item(severity="urgent", kind="bug", source="appstore"),
        "urgent",
        [(S, "CURG"), (T, "19:urg")],
    ),
    (
        "urgent praise is still urgent",
        item(severity="urgent", kind="praise"),
        "urgent",
        [(S, "CURG"), (T, "19:urg")],
    ),
    ("appstore bug", item(source="appstore", kind="bug"), "ios-bugs", [(S, "CIOS")]),
    (
        "appstore source is case-insensitive",
        item(source="AppStore", kind="bug"),
        "ios-bugs",
        [(S, "CIOS")],
    ),
    (
        "appstore praise is not a bug",
        item(source="appstore", kind="praise"),
        "praise",
        [(S, "CLOVE")],
    ),
    ("email bug is not from the appstore", item(kind="bug"), "default", [(S, "CALL")]),
    ("billing tag", item(tags=["billing"]), "billing", [(T, "19:bill")]),
    ("refund tag is billing too", item(tags=["refund", "other"]), "billing", [(T, "19:bill")]),
    ("tags match without case or #", item(tags=["#Refund"]), "billing", [(T, "19:bill")]),
    (
        "overlap: appstore bug with billing tag goes to the first rule",
        item(source="appstore", kind="bug", tags=["billing"]),
        "ios-bugs",
        [(S, "CIOS")],
    ),
    (
        "overlap: billing tag in the payments area",
        item(tags=["billing"], product_area="payments"),
        "billing",
        [(T, "19:bill")],
    ),
    ("payments area", item(product_area="Payments"), "payments-area", [(S, "CPAY")]),
    ("other area", item(product_area="search"), "default", [(S, "CALL")]),
    (
        "keyword in the body",
        item(body="I will cancel my plan"),
        "cancel-words",
        [(S, "CRISK"), (T, "19:risk")],
    ),
    (
        "keyword in the title",
        item(title="Churn risk", body="see title"),
        "cancel-words",
        [(S, "CRISK"), (T, "19:risk")],
    ),
    (
        "keywords match whole words only",
        item(body="The cancellation form is nice"),
        "default",
        [(S, "CALL")],
    ),
    ("praise", item(kind="praise"), "praise", [(S, "CLOVE")]),
    (
        "gold complaint needs both kind and tag",
        item(kind="complaint", tags=["gold"]),
        "gold-complaints",
        [(T, "19:gold")],
    ),
    (
        "gold question is not a complaint",
        item(kind="question", tags=["gold"]),
        "default",
        [(S, "CALL")],
    ),
    ("plain complaint without the tag", item(kind="complaint"), "default", [(S, "CALL")]),
    (
        "keyword beats a later praise rule",
        item(kind="praise", body="would never cancel"),
        "cancel-words",
        [(S, "CRISK"), (T, "19:risk")],
    ),
]


@pytest.mark.parametrize(("case", "subject", "rule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_route_table(
    case: str, subject: FeedbackDraft, rule: str, expected: list[tuple[Platform, str]]
) -> None:
    decision = TABLE.decide(subject)
    assert decision.rule == rule
    assert [(d.platform, d.channel) for d in decision.destinations] == expected


def test_without_a_configured_default_the_environment_channels_are_used() -> None:
    table = RouteTable(RoutesConfig(), fallback=[Destination(S, "CENV"), Destination(T, "19:env")])
    assert [d.channel for d in table.decide(item()).destinations] == ["CENV", "19:env"]


def test_a_destinations_mention_comes_with_it() -> None:
    paging = {**dest("slack", "CURG"), "mention": "S0ONCALL"}
    config = RoutesConfig.model_validate(
        {"rules": [{"name": "urgent", "destinations": [paging, dest("teams", "19:urg")]}]}
    )
    decision = RouteTable(config, fallback=[]).decide(item(severity="urgent"))
    assert [(d.channel, d.mention) for d in decision.destinations] == [
        ("CURG", "S0ONCALL"),
        ("19:urg", None),
    ]


@pytest.mark.parametrize(
    ("platform", "mention"),
    [("slack", "here"), ("slack", "<!channel>"), ("slack", "s0lower"), ("teams", "on call")],
)
def test_a_mention_that_is_not_an_id_is_refused(platform: str, mention: str) -> None:
    with pytest.raises(ValidationError, match="is not a"):
        DestinationIn(platform=platform, channel="C1", mention=mention)


def test_a_teams_tag_id_may_be_any_word() -> None:
    tag = DestinationIn(platform="teams", channel="19:x@thread.tacv2", mention="MjQz+YWE=")
    assert tag.as_text() == "teams:19:x@thread.tacv2+MjQz+YWE="
