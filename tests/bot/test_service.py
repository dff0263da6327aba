"""The life-cycle rules of an item, on both engines."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain import EventKind, Platform, Severity, State
from bot.errors import AlreadyClaimed, Conflict, Forbidden, Invalid, NotFound
from bot.intake import FeedbackDraft
from bot.service import Desk
from tests.support.builders import person
from tests.support.doubles import RecordingListener

ANA, BO, LEAD = person("ana"), person("bo"), person("lee")


def _new(desk: Desk, **fields: object) -> str:
    draft = FeedbackDraft.model_validate({"source": "email", "body": "Refund please", **fields})
    return desk.ingest(draft, person("api", Platform.API)).item.ref


def _events(desk: Desk, ref: str) -> list[EventKind]:
    item = desk.get(ref)
    with desk.db.read() as uow:
        return [e.kind for e in uow.events.for_item(item.id)]


def test_claim_then_claim_again_is_a_no_op_and_others_hear_who_holds_it(desk: Desk) -> None:
    ref = _new(desk)
    assert desk.claim(ref, ANA).changed
    assert not desk.claim(ref, ANA).changed
    with pytest.raises(AlreadyClaimed, match="Ana"):
        desk.claim(ref, BO)
    assert _events(desk, ref) == [EventKind.INGESTED, EventKind.CLAIMED]


def test_only_the_claimer_or_a_lead_may_unclaim(desk: Desk) -> None:
    ref = _new(desk)
    desk.claim(ref, ANA)
    with pytest.raises(Forbidden, match="Only Ana or a lead"):
        desk.unclaim(ref, BO)
    lead = desk.person(LEAD)
    with desk.db.write() as uow:
        uow.people.set_flags(lead.id, is_lead=True)
        uow.commit()
    assert desk.unclaim(ref, LEAD).item.state is State.OPEN
    with pytest.raises(Conflict, match="not claimed"):
        desk.unclaim(ref, ANA)


def test_close_from_open_or_claimed_and_reopen_only_closed(desk: Desk) -> None:
    open_ref, claimed_ref = _new(desk), _new(desk)
    desk.claim(claimed_ref, ANA)
    closed = desk.close(open_ref, BO, "Refunded", notify_customer=True).item
    assert (closed.state, closed.resolution, closed.notify_customer) == (
        State.CLOSED,
        "Refunded",
        True,
    )
    assert closed.closed is not None
    assert closed.closed.person.name == "Bo"
    assert desk.close(claimed_ref, ANA).item.state is State.CLOSED
    with pytest.raises(Conflict, match="already closed by Bo"):
        desk.close(open_ref, ANA)
    with pytest.raises(Conflict, match="closed; reopen"):
        desk.claim(open_ref, ANA)
    reopened = desk.reopen(open_ref, ANA).item
    assert (reopened.state, reopened.resolution, reopened.closed) == (State.OPEN, None, None)
    with pytest.raises(Conflict, match="not closed"):
        desk.reopen(open_ref, ANA)


def test_hand_off_passes_the_item_with_a_note(desk: Desk) -> None:
    ref = _new(desk)
    desk.claim(ref, ANA)
    with pytest.raises(Forbidden):
        desk.hand_off(ref, BO, LEAD, "mine now")
    item = desk.hand_off(ref, ANA, BO, "Customer wants a callback at 3pm").item
    assert item.claimed is not None
    assert item.claimed.person.name == "Bo"
    with desk.db.read() as uow:
        handed = uow.events.for_item(item.id)[-1]
    assert handed.kind is EventKind.HANDED_OFF
    assert handed.data["note"] == "Customer wants a callback at 3pm"
    with pytest.raises(Invalid):
        desk.hand_off(ref, BO, BO)


def test_comments_are_kept_once_per_chat_message_and_follow_edits(desk: Desk) -> None:
    ref = _new(desk)
    assert desk.comment(ref, ANA, "Called them", external_id="C1:111.1").changed
    assert not desk.comment(ref, ANA, "Called them", external_id="C1:111.1").changed
    assert desk.follow_comment_edit(Platform.SLACK, "C1:111.1", "Called them twice")
    desk.comment(ref, BO, "Sent a voucher")
    texts = [c.text for c in desk.get(ref).comments]
    assert texts == ["Called them twice", "Sent a voucher"]
    desk.follow_comment_edit(Platform.SLACK, "C1:111.1", None)
    assert [c.text for c in desk.get(ref).comments] == ["Sent a voucher"]
    with pytest.raises(Invalid):
        desk.comment(ref, ANA, "   ")


def test_edit_records_old_and_new_values(desk: Desk) -> None:
    ref = _new(desk, tags=["billing"])
    item = desk.edit(ref, ANA, severity=Severity.URGENT, tags=["#Billing", "refund"]).item
    assert item.severity is Severity.URGENT
    assert item.tags == ("billing", "refund")
    with desk.db.read() as uow:
        edited = uow.events.for_item(item.id)[-1]
    assert edited.data == {
        "severity": ["normal", "urgent"],
        "tags": [["billing"], ["billing", "refund"]],
    }
    assert not desk.edit(ref, ANA, severity=Severity.URGENT).changed


def test_one_person_across_slack_and_teams_by_email(desk: Desk) -> None:
    slack_ana = desk.person(person("ana", Platform.SLACK))
    teams_ana = desk.person(person("ana", Platform.TEAMS))
    assert slack_ana.id == teams_ana.id
    ref = _new(desk)
    desk.claim(ref, person("ana", Platform.TEAMS))
    assert not desk.claim(ref, person("ana", Platform.SLACK)).changed


def test_a_person_named_after_an_account_follows_its_renames(desk: Desk) -> None:
    slack_ana = desk.person(person("ana", Platform.SLACK))
    desk.person(replace(person("ana", Platform.TEAMS), name="Ana (Teams)"))  # the same person
    assert desk.person(person("ana", Platform.TEAMS)).name == "Ana"  # named after the Slack one
    renamed = desk.person(replace(person("ana", Platform.SLACK), name="Ana Lima"))
    assert (renamed.id, renamed.name) == (slack_ana.id, "Ana Lima")
    assert desk.person(replace(person("ana", Platform.SLACK), name="")).name == "Ana Lima"


def test_unknown_and_malformed_refs(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.claim("FB-999", ANA)
    with pytest.raises(Invalid):
        desk.claim("hello", ANA)


def test_listener_hears_only_committed_changes(desk: Desk, listener: RecordingListener) -> None:
    ref = _new(desk)
    desk.claim(ref, ANA)
    with pytest.raises(AlreadyClaimed):
        desk.claim(ref, BO)
    assert len(listener.changes) == 2


def test_a_source_writing_again_about_a_closed_item_reopens_it(desk: Desk) -> None:
    zendesk = person("zendesk", Platform.API)
    first = FeedbackDraft(source="zendesk", external_id="t-9", body="Login fails")
    ref = desk.ingest(first, zendesk).item.ref
    desk.close(ref, ANA, "Reset the password")
    assert desk.ingest(first, zendesk).item.state is State.CLOSED  # a plain retry changes nothing
    again = desk.ingest(first.model_copy(update={"body": "Still cannot log in"}), zendesk)
    assert not again.created
    assert (again.item.ref, again.item.state, again.item.resolution) == (ref, State.OPEN, None)
    assert [c.text for c in desk.get(ref).comments] == [
        "The customer wrote again: Still cannot log in"
    ]
    assert _events(desk, ref)[-1] is EventKind.REOPENED
