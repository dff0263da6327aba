"""Settings that send cards nowhere are named, not silent: a platform that is on with no
channel for its cards, and channels that rules name on a platform that is off."""

from __future__ import annotations

from typing import Any

from bot.admin.configure import Admin
from bot.admin.routing import ConfiguredRouter, StaticRouter
from bot.commands.console import routes_test
from bot.domain import Platform
from storage.uow import SqlStore
from tests.support.clock import FakeClock

CRASHES_TO_SLACK = {
    "rules": [
        {
            "name": "crashes",
            "keywords": ["crash"],
            "destinations": [{"platform": "slack", "channel": "C0APPBUGS"}],
        }
    ]
}


def router(
    database: SqlStore,
    enabled: list[Platform],
    routes: dict[str, Any] | None = None,
    fallback: StaticRouter | None = None,
) -> ConfiguredRouter:
    if routes is not None:
        Admin(database, FakeClock()).change("routes", routes, None)
    return ConfiguredRouter(database, fallback or StaticRouter(), enabled)


def test_a_platform_that_is_on_without_a_channel_or_route_is_named(database: SqlStore) -> None:
    (warning,) = router(database, [Platform.SLACK]).warnings()
    assert warning.startswith("Slack is on but no channel gets its cards")
    assert "ALLHANDS_SLACK_CHANNEL" in warning


def test_a_platform_with_a_channel_or_a_route_is_fine(database: SqlStore) -> None:
    assert router(database, [Platform.SLACK], fallback=StaticRouter("C0ALL")).warnings() == []
    assert router(database, [Platform.SLACK], CRASHES_TO_SLACK).warnings() == []


def test_teams_without_a_channel_has_its_general_channel(database: SqlStore) -> None:
    fallback = StaticRouter()
    fallback.use_default(Platform.TEAMS, lambda: None)  # the adapter finds it once installed
    assert router(database, [Platform.TEAMS], fallback=fallback).warnings() == []


def test_a_rule_naming_a_platform_that_is_off_is_named(database: SqlStore) -> None:
    warnings = router(database, [], CRASHES_TO_SLACK).warnings()
    assert warnings == [
        "route 'crashes': slack:C0APPBUGS gets no card: Slack is off (set `SLACK_BOT_TOKEN`)"
    ]


def test_an_environment_channel_of_a_platform_that_is_off_is_named(database: SqlStore) -> None:
    (warning,) = router(database, [], fallback=StaticRouter("", "19:abc")).warnings()
    assert warning.startswith("ALLHANDS_TEAMS_CHANNEL: teams:19:abc gets no card: Teams is off")


def test_a_default_route_replaces_the_environment_channels(database: SqlStore) -> None:
    routes = {"default": [{"platform": "slack", "channel": "C0DEFAULT"}]}
    found = router(database, [Platform.SLACK], routes, StaticRouter("", "19:unused")).warnings()
    assert found == []


def test_routes_test_in_chat_says_the_rules_channel_gets_nothing(database: SqlStore) -> None:
    answer = routes_test(router(database, [], CRASHES_TO_SLACK), "the app crash on start")
    assert answer == (
        "Rule *crashes* decides: nowhere. "
        "slack:C0APPBUGS gets no card: Slack is off (set `SLACK_BOT_TOKEN`)."
    )


def test_routes_test_in_chat_names_only_what_is_off(database: SqlStore) -> None:
    answer = routes_test(router(database, [Platform.SLACK], CRASHES_TO_SLACK), "a crash")
    assert answer == "Rule *crashes* decides: slack C0APPBUGS."
