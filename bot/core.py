"""Builds the platform-neutral core from Settings; shared by the server and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from bot.admin.configure import Admin
from bot.admin.routing import ConfiguredRouter, StaticRouter
from bot.admin.webhooks import WebhookDirectory
from bot.config import Settings
from bot.delivery.inbox import Inbox
from bot.digest.live import LiveDigestSettings
from bot.domain import Platform
from bot.notify import Broadcast, LogChanges
from bot.ports.chat import Clock, SystemClock
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
    admin: Admin
    router: ConfiguredRouter
    webhooks: WebhookDirectory
    digest: LiveDigestSettings
    inbox: Inbox

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Core:
        clock = clock or SystemClock()
        db = Database(create_db_engine(settings.database_url))
        listeners = Broadcast([LogChanges()])
        fallback = StaticRouter(settings.slack_channel, settings.teams_channel)
        enabled = [
            platform
            for platform, on in (
                (Platform.SLACK, settings.slack_enabled),
                (Platform.TEAMS, settings.teams_enabled),
            )
            if on
        ]
        router = ConfiguredRouter(db, fallback, enabled)
        webhooks = WebhookDirectory(db)
        desk = Desk(db, router, listeners, clock, webhooks)
        return cls(
            settings,
            db,
            desk,
            Tokens(db, clock),
            listeners,
            clock,
            Admin(db, clock),
            router,
            webhooks,
            LiveDigestSettings(settings, db),
            Inbox(db, clock),
        )

    def close(self) -> None:
        self.db.dispose()
