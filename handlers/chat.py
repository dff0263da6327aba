"""What the server needs from each chat platform adapter (Slack, Teams)."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.delivery.inbox import Handle
from bot.domain import Platform
from bot.ports.chat import ChatPoster


class ChatAdapter(Protocol):
    platform: Platform
    poster: ChatPoster
    mode: str  # how it is connected, for the start-up lines ("HTTP at POST /slack/events")
    handle_recorded: Handle | None  # runs what the adapter recorded in the inbox, if it does

    def mount(self, app: web.Application) -> None:
        """Add the adapter's inbound routes (events, interactivity) to the one server."""

    async def start(self, *, listen: bool = True) -> None:
        """Begin background work (e.g. a Socket Mode connection, when `listen`: a worker
        process only sends); called once the loop runs."""

    async def stop(self) -> None:
        """Stop background work; called on shutdown."""
