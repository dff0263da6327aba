"""Random sequences of chat actions from Slack and Teams against the real Desk and database.

A simple model says what each action should do; after every step the item must agree with the
model, have at most one holder, and be exactly what replaying its event log gives.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from bot.domain import EventKind, Feedback, Identity, Platform, State
from bot.errors import AllHandsError, AlreadyClaimed, Conflict, Forbidden, Invalid
from bot.intake import FeedbackDraft
from bot.service import Desk

PEOPLE = ("ana", "bo", "cy")
# Each person acts from Slack and from Teams; one email makes both accounts one person.
IDENTITIES = [
    Identity(platform, f"{platform.value}:{name}", name.capitalize(), f"{name}@example.com")
    for name in PEOPLE
    for platform in (Platform.SLACK, Platform.TEAMS)
]
identities = st.sampled_from(IDENTITIES)


@dataclass
class Model:
    state: State = State.OPEN
    holder: str | None = None  # the email of whoever holds (or held, when closed) the item


def replay(log: list[tuple[EventKind, int | None]]) -> tuple[State, int | None]:
    """State and holder id from the event log alone: (kind, person the event gives the item to)."""
    state, holder = State.OPEN, None
    for kind, target in log:
        if kind in (EventKind.UNCLAIMED, EventKind.REOPENED):
            state, holder = State.OPEN, None
        elif kind in (EventKind.CLAIMED, EventKind.HANDED_OFF):
            state, holder = State.CLAIMED, target
        elif kind is EventKind.CLOSED:
            state = State.CLOSED
    return state, holder


INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


class ChatActions(RuleBasedStateMachine):
    """One new item per run; every rule is one person acting on it from one platform."""

    desk: Desk

    def __init__(self) -> None:
        super().__init__()
        draft = FeedbackDraft(source="email", body="The export button does nothing")
        api = Identity(Platform.API, "zendesk", "zendesk")
        self.ref = self.desk.ingest(draft, api).item.ref
        self.model = Model()

    def _expect(
        self, error: type[AllHandsError] | None, action: Callable[..., object], *args: object
    ) -> None:
        if error is None:
            action(*args)
            return
        with pytest.raises(error):
            action(*args)

    @rule(who=identities)
    def claim(self, who: Identity) -> None:
        model = self.model
        if model.state is State.OPEN:
            self._expect(None, self.desk.claim, self.ref, who)
            model.state, model.holder = State.CLAIMED, who.email
        elif model.state is State.CLOSED:
            self._expect(Conflict, self.desk.claim, self.ref, who)
        else:
            error = None if model.holder == who.email else AlreadyClaimed
            self._expect(error, self.desk.claim, self.ref, who)

    @rule(who=identities)
    def unclaim(self, who: Identity) -> None:
        model = self.model
        if model.state is not State.CLAIMED:
            self._expect(Conflict, self.desk.unclaim, self.ref, who)
        elif model.holder != who.email:
            self._expect(Forbidden, self.desk.unclaim, self.ref, who)
        else:
            self._expect(None, self.desk.unclaim, self.ref, who)
            model.state, model.holder = State.OPEN, None

    @rule(who=identities, to=identities)
    def hand_off(self, who: Identity, to: Identity) -> None:
        model = self.model
        if who.email == to.email:
            self._expect(Invalid, self.desk.hand_off, self.ref, who, to)
        elif model.state is State.CLOSED:
            self._expect(Conflict, self.desk.hand_off, self.ref, who, to)
        elif model.state is State.CLAIMED and model.holder != who.email:
            self._expect(Forbidden, self.desk.hand_off, self.ref, who, to)
        else:
            self._expect(None, self.desk.hand_off, self.ref, who, to)
            model.state, model.holder = State.CLAIMED, to.email

    @rule(who=identities, text=st.text(max_size=40))
    def comment(self, who: Identity, text: str) -> None:
        # NUL is never text, and neither are controls, format characters and spaces alone
        blank = all(unicodedata.category(char) in INVISIBLE for char in text)
        self._expect(Invalid if blank else None, self.desk.comment, self.ref, who, text)

    @rule(who=identities)
    def close(self, who: Identity) -> None:
        if self.model.state is State.CLOSED:
            self._expect(Conflict, self.desk.close, self.ref, who, "done")
        else:
            self._expect(None, self.desk.close, self.ref, who, "done")
            self.model.state = State.CLOSED

    @rule(who=identities)
    def reopen(self, who: Identity) -> None:
        if self.model.state is not State.CLOSED:
            self._expect(Conflict, self.desk.reopen, self.ref, who)
        else:
            self._expect(None, self.desk.reopen, self.ref, who)
            self.model.state, self.model.holder = State.OPEN, None

    def _item(self) -> Feedback:
        return self.desk.get(self.ref)

    @invariant()
    def agrees_with_the_model_and_has_one_consistent_holder(self) -> None:
        item = self._item()
        assert item.state is self.model.state
        holder = item.claimed.person.email if item.claimed else None
        assert holder == self.model.holder
        if item.state is State.OPEN:
            assert (item.claimed, item.closed) == (None, None)
        elif item.state is State.CLAIMED:
            assert item.claimed is not None
            assert item.closed is None
        else:
            assert item.closed is not None

    @invariant()
    def the_event_log_replays_to_the_current_state(self) -> None:
        item = self._item()
        with self.desk.db.read() as uow:
            events = uow.events.for_item(item.id)
        log: list[tuple[EventKind, int | None]] = []
        for event in events:
            target = event.data.get("to_id") if event.kind is EventKind.HANDED_OFF else None
            actor_id = event.actor.id if event.actor else None
            log.append((event.kind, target if isinstance(target, int) else actor_id))
        assert events[0].kind is EventKind.INGESTED
        assert replay(log) == (item.state, item.claimed.person.id if item.claimed else None)


def test_chat_actions_from_two_platforms_keep_the_invariants(desk: Desk) -> None:
    machine = type("Run", (ChatActions,), {"desk": desk})
    run_state_machine_as_test(
        machine, settings=settings(max_examples=30, stateful_step_count=20, deadline=None)
    )
