"""What every Slack listener shares: ack first, handle each delivery once, answer mistakes.

Bolt calls a listener with the arguments it names. Slack's 3-second ack never waits for the
database or the Web API. Changes (`recorded`) are stored in the inbox before the ack, in
batches shared by the requests arriving together, and an inbox worker runs them after: an
answered click is never lost to a crash, and a retried or duplicated delivery is stored once.
Answers that are useless late (`acked`: a modal to open, a command to answer) ack and run
right after the answer instead, recording the delivery id first so a duplicate stops there.
Either way, a refusal from the core (`AllHandsError`) reaches the person as an ephemeral
line, never as silence.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.inbox import Inbox
from bot.domain import Identity, Platform
from bot.errors import AllHandsError
from bot.replies import Replies
from bot.service import Desk
from handlers.slack.ids import DurableId, durable_id
from handlers.slack.people import SlackPeople
from handlers.slack.views import Origin

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
Body = dict[str, Any]
# Slack's legacy verification token rides in every payload; the signature has been checked,
# and it is a credential: it is never stored.
NOT_KEPT = frozenset({"token"})
Handler = Callable[[Body, AsyncBoltContext], Awaitable[None]]
Listener = Callable[[AsyncAck, Body, AsyncBoltContext], Awaitable[None]]


class AfterAck:
    """Work that runs once Slack has its answer, tracked so shutdown can wait for it.

    The app runs listeners inline (Bolt's `process_before_response`), so the answer leaves as
    soon as a listener acks and hands the rest over here; Bolt's own way, a task per listener
    polled every 10 ms for its ack, delays every answer and leaves shutdown nothing to wait on.
    A few pieces of work run at once and the rest wait their turn in arrival order: with no
    limit, a burst would interleave every piece's steps, and each would finish only after the
    first step of all the others.

    At most `backlog` pieces wait at a time; past that, `start` holds the answer to the next
    request until one is done. Acking faster than the work gets done would only pile up
    promises in memory that a crash loses and shutdown cannot finish, so under overload the
    answers slow down to the pace of the work instead. Slack's 3 seconds come first, though:
    when the work itself is stuck waiting (on a slow Web API), an answer is held no longer than
    `hold_at_most` seconds.
    """

    def __init__(self, at_once: int = 8, backlog: int = 64, hold_at_most: float = 1.0) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._turns = asyncio.Semaphore(at_once)
        self._room = asyncio.Semaphore(backlog)
        self._hold_at_most = hold_at_most

    async def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the answer; waits first (a while) while the backlog is full."""
        try:
            await asyncio.wait_for(self._room.acquire(), self._hold_at_most)
            has_room = True
        except TimeoutError:
            has_room = False  # over the backlog rather than late for Slack
        task = asyncio.get_running_loop().create_task(self._logged(work))
        self._running.add(task)
        task.add_done_callback(functools.partial(self._finished, has_room))

    def _finished(self, has_room: bool, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if has_room:
            self._room.release()

    async def drain(self, timeout: float) -> None:
        """Wait (up to `timeout`) for the work already started."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    async def _logged(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._turns:
            try:
                await work
            except Exception:
                log.exception("slack.after_ack_failed")


@dataclass(frozen=True, slots=True)
class Inbound:
    desk: Desk
    people: SlackPeople
    client: AsyncWebClient  # retries 429s and server errors itself: a person is waiting
    inbox: Inbox
    replies: Replies
    after_ack: AfterAck = field(default_factory=AfterAck)
    durable: dict[DurableId, Handler] = field(default_factory=dict)  # see handlers/slack/durable.py

    async def who(
        self, context: AsyncBoltContext, user_id: str | None = None, *, within: float | None = None
    ) -> Identity:
        """Who acted; before an ack, ask Slack `within` seconds at most (see SlackPeople)."""
        team = context.team_id or context.enterprise_id or ""
        return await self.people.identity(team, user_id or context.user_id or "", within=within)

    async def core(self, use_case: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a Desk call in a worker thread: it blocks on the database."""
        return await asyncio.to_thread(use_case, *args, **kwargs)

    async def tell(self, user_id: str, channel: str | None, text: str, **message: Any) -> None:
        """A line only this person sees: ephemeral where they are, else a direct message."""
        try:
            if channel:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text, **message
                )
                return
        except SlackApiError as error:
            log.info(
                "slack.ephemeral_failed channel=%s error=%s", channel, error.response.get("error")
            )
        await self.direct_message(user_id, text, **message)

    async def direct_message(self, user_id: str, text: str, **message: Any) -> None:
        opened = await self.client.conversations_open(users=user_id)
        await self.client.chat_postMessage(
            channel=opened["channel"]["id"], text=text, unfurl_links=False, **message
        )

    def acked(self, handler: Handler) -> Listener:
        """For answers that are useless late (a modal needs its trigger within 3 seconds):
        ack, then run here, right after the answer."""

        async def listener(ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
            await ack()
            await self.after_ack.start(self._once(handler, body, context))

        return listener

    async def record(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        """The listener for changes (claims, comments, submissions): record the delivery in the
        inbox, then ack; an inbox worker does it later, in whichever process, through the
        `durable` table."""
        kept = {key: value for key, value in body.items() if key not in NOT_KEPT}
        await self.inbox.record(Platform.SLACK, delivery_id(body), {"body": kept})
        await ack()

    async def handle_recorded(self, payload: dict[str, Any]) -> None:
        """Run a recorded delivery's handler, with the context Bolt would have built for it."""
        body: Body = payload["body"]
        context = AsyncBoltRequest(body=body, mode="socket_mode").context
        await self._answered(self.durable[durable_id(body)], body, context)

    async def _once(self, handler: Handler, body: Body, context: AsyncBoltContext) -> None:
        if not await self.core(self.desk.first_delivery, Platform.SLACK, delivery_id(body)):
            log.info("slack.duplicate_delivery id=%s", delivery_id(body))
            return
        await self._answered(handler, body, context)

    async def _answered(self, handler: Handler, body: Body, context: AsyncBoltContext) -> None:
        """Run `handler`; a refusal from the core reaches the person, never as silence."""
        try:
            await handler(body, context)
        except AllHandsError as error:
            await self.tell(context.user_id or "", channel_of(body), error.message)


def delivery_id(body: Body) -> str:
    """Events carry an id; interactions a trigger id that is new for every click or submit."""
    if "event_id" in body:
        return f"event:{body['event_id']}"
    kind = body.get("type") or body.get("command") or "request"
    return f"{kind}:{body.get('trigger_id') or body.get('action_ts') or ''}"


def channel_of(body: Body) -> str | None:
    """The channel an interaction happened in, where it has one (App Home has none)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    if channel:
        return str(channel)
    if "view" in body:
        return Origin.load(body["view"].get("private_metadata") or "").channel or None
    event = body.get("event") or {}
    return (event.get("item") or {}).get("channel") or event.get("channel") or None
