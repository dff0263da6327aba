"""Builds the platform-neutral core from Settings; shared by the server and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.notify import Broadcast, LogChanges
from bot.ports import Clock, SystemClock
from bot.routing import StaticRouter
from bot.service import Desk
from bot.tokens import Tokens
from storage.db import create_db_engine
from storage.uow import Database


@dataclass
class Core:
    settings: Settings
    db: Database
    desk: Desk
    tokens: Tokens
    listeners: Broadcast
    clock: Clock

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Core:
        clock = clock or SystemClock()
        db = Database(create_db_engine(settings.database_url))
        listeners = Broadcast([LogChanges()])
        router = StaticRouter(
            slack_channel=settings.slack_channel if settings.slack_enabled else "",
            teams_channel=settings.teams_channel if settings.teams_enabled else "",
        )
        desk = Desk(db, router, listeners, clock)
        return cls(settings, db, desk, Tokens(db, clock), listeners, clock)

    def close(self) -> None:
        self.db.dispose()
