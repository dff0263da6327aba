"""POST /trackers/NAME from GitLab, Jira and Linear, each signed its own way: a wrong signature
is 401 and changes nothing; a closed (done, completed) issue marks every linked item
fixed-awaiting-reply with "Fix shipped" on its card and one direct message per claimer; the
same delivery again does nothing; the issue opened again says so on the items.

Jira's and Linear's deliveries are the real examples (a copy changed where the action differs);
GitLab's follow its documented shape (`tests/support/trackers.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bot.core import Core
from bot.domain import LinkStatus
from bot.trackers.issues import issue_at, link_lines
from handlers.item_json import item_json
from handlers.trackers import gitlab, jira, linear
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json
from tests.support.trackers import (
    GITLAB_ISSUE,
    SECRET,
    Client,
    card_text,
    deliver,
    direct_messages,
    gitlab_issue_hook,
    jira_issue_url,
    jira_status_change,
    linear_state_change,
    linked_and_claimed,
    signed_headers,
)

pytestmark = needs_realdata

TRACKERS = {"gl": "gitlab", "jira": "jira", "lin": "linear"}


def _gitlab(closed: bool) -> Any:
    return gitlab_issue_hook("close" if closed else "reopen")


def _jira(closed: bool) -> Any:
    return jira_status_change(done=closed)


def _linear(closed: bool) -> Any:
    return linear_state_change(completed=closed)


# name: (the delivery saying the issue closed or reopened, the issue page people link)
CASES: dict[str, tuple[Callable[[bool], Any], Callable[[Any], str]]] = {
    "gl": (_gitlab, lambda _: GITLAB_ISSUE),
    "jira": (_jira, jira_issue_url),
    "lin": (_linear, lambda payload: str(payload["url"])),
}


@pytest.fixture
def trackers() -> dict[str, str]:
    return TRACKERS


@pytest.mark.parametrize("name", list(CASES))
async def test_a_signed_close_ships_the_fix_once_and_a_reopen_says_so(
    name: str, client: Client, core: Core, slack: FakeSlackApi
) -> None:
    kind = TRACKERS[name]
    delivery_of, page_of = CASES[name]
    closed = delivery_of(True)
    refs = await linked_and_claimed(core, slack, page_of(closed))

    forged = await deliver(client, kind, name, closed, "d-0", secret="a-guess")
    assert forged.status == 401
    assert all(not core.desk.get(ref).fixed_awaiting_reply for ref in refs)

    shipped = await deliver(client, kind, name, closed, "d-1")
    assert shipped.status == 200, await shipped.text()
    assert sorted((await shipped.json())["changed"]) == sorted(refs)
    for ref in refs:
        [link] = item_json(core.desk.get(ref))["links"]
        assert link["status"] == "closed"
        assert core.desk.get(ref).fixed_awaiting_reply
    await eventually(lambda: direct_messages(slack) == ["DUANA", "DUBEN", "DUCAI"])
    title = link["title"]
    await eventually(lambda: all(f"Fix shipped: {title}" in text for text in card_text(slack)))

    again = await deliver(client, kind, name, closed, "d-1")
    assert await again.json() == {"changed": [], "duplicate": True}
    assert (await (await deliver(client, kind, name, closed, "d-2")).json())["changed"] == []

    reopened = await deliver(client, kind, name, delivery_of(False), "d-3")
    assert sorted((await reopened.json())["changed"]) == sorted(refs)
    for ref in refs:  # what the cards render next (the card's own test: test_fix_on_cards.py)
        item = core.desk.get(ref)
        assert item.links[0].status is LinkStatus.OPEN
        assert link_lines(item) == [f"Fix reopened: {title}"]
    assert len(direct_messages(slack)) == 3  # one each, for the one shipped fix


def test_events_that_move_no_status_are_left_alone() -> None:
    """The real Linear title edit and Jira comment, and GitLab opening or editing an issue."""
    title_edit = realdata_json("sources", "linear", "issue_update_title_changed.json")
    comment = realdata_json("sources", "jira", "comment_created_cloud.json")
    hook = {"x-gitlab-event": "Issue Hook"}

    assert linear.parse({}, json.dumps(title_edit).encode()) is None
    assert jira.parse({}, json.dumps(comment).encode()) is None
    for action in ("open", "update"):
        assert gitlab.parse(hook, json.dumps(gitlab_issue_hook(action)).encode()) is None


def test_jira_and_linear_name_the_issue_as_links_do() -> None:
    jira_change = jira.parse({}, json.dumps(jira_status_change(done=True)).encode())
    linear_change = linear.parse({}, json.dumps(linear_state_change(completed=True)).encode())

    assert jira_change is not None
    assert jira_change.url == issue_at("https://localhost:2990/jira/browse/TEST-11").url
    assert jira_change.title == "summary updated"
    assert linear_change is not None
    assert linear_change.url == "https://linear.app/webhooks/issue/WEB-44"


def test_a_linear_delivery_signed_but_old_is_refused() -> None:
    """A recorded delivery played again later must not close (or reopen) anything."""
    stale = linear_state_change(completed=True) | {"webhookTimestamp": 1681208213456}
    fresh = linear_state_change(completed=True)

    for payload, holds in ((stale, False), (fresh, True)):
        body = json.dumps(payload).encode()
        headers = {k.lower(): v for k, v in signed_headers("linear", body, "d").items()}
        assert linear.verify(headers, body, SECRET) is holds
