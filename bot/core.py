"""The platform-neutral core, assembled from Settings and a store: what every adapter talks to.

It knows no database: the store (`bot.ports.store.Store`) comes from the one wiring place,
`app.py`, which is also where the server and the CLI get their core from.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.access.rate_limits import SharedBuckets
from bot.access.tokens import Tokens
from bot.admin.configure import Admin
from bot.admin.routing import ConfiguredRouter, StaticRouter
from bot.admin.secrets import SecretBox
from bot.admin.webhooks import WebhookDirectory
from bot.config import Settings
from bot.customers.accounts import Accounts
from bot.customers.stories import CustomerStories
from bot.delivery.floods import FloodGate
from bot.delivery.inbox import Inbox
from bot.digest.live import LiveDigestSettings
from bot.domain import Platform
from bot.notify import Broadcast, LogChanges
from bot.ports.clock import Clock, SystemClock
from bot.ports.customers import CustomerLookup
from bot.ports.store import Store
from bot.privacy.erasure import Erasure
from bot.privacy.retention import Retention
from bot.replies import Replies
from bot.satisfaction.links import SurveyLinks
from bot.satisfaction.scores import Satisfaction
from bot.service import Desk
from bot.signal.embedding import default_embedder
from bot.signal.repeats import Repeats
from bot.sources.intake import SourceIntake
from bot.sources.mailboxes import Mailboxes, mailbox_lease
from bot.sources.registry import SourceRegistry
from bot.trackers.registry import TrackerRegistry
from bot.trackers.shipping import FixShipping


@dataclass
class Core:
    settings: Settings
    db: Store
    desk: Desk
    tokens: Tokens
    listeners: Broadcast
    clock: Clock
    admin: Admin
    router: ConfiguredRouter
    webhooks: WebhookDirectory
    digest: LiveDigestSettings
    inbox: Inbox
    sources: SourceRegistry
    source_intake: SourceIntake
    stories: CustomerStories
    mailboxes: Mailboxes
    api_limits: SharedBuckets
    trackers: TrackerRegistry
    shipping: FixShipping
    replies: Replies
    erasure: Erasure
    retention: Retention
    satisfaction: Satisfaction

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Store,
        clock: Clock | None = None,
        lookup: CustomerLookup | None = None,
    ) -> Core:
        """`lookup` is the company's customer records (`ALLHANDS_CUSTOMER_LOOKUP_URL`), if any.

        Cards start out routed to the chat platforms the settings configure, which suits a
        command whose cards a server sends later. The server then says which adapters it
        really runs (`router.deliver_to`), and that is what counts: Teams in emulator mode,
        for one, runs without an app id."""
        clock = clock or SystemClock()
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
        box = SecretBox(settings.sealing_key())
        webhooks = WebhookDirectory(db, clock, box)
        floods = FloodGate(settings.flood_cards_per_hour)
        repeats = Repeats(default_embedder()) if settings.repeats else None
        desk = Desk(db, router, listeners, clock, webhooks, floods, repeats)
        inbox = Inbox(db, clock)
        sources = SourceRegistry(db, box, clock, settings.public_url)
        admin = Admin(db, clock, box)
        survey = Satisfaction(desk, SurveyLinks(settings.sealing_key()), settings.public_url)
        return cls(
            settings,
            db,
            desk,
            Tokens(db, clock),
            listeners,
            clock,
            admin,
            router,
            webhooks,
            LiveDigestSettings(settings, db),
            inbox,
            sources,
            SourceIntake(db, desk, sources, inbox, clock),
            CustomerStories(db, Accounts(lookup), repeats),
            Mailboxes(db, clock, mailbox_lease(settings.imap_poll_seconds)),
            SharedBuckets(db, clock, settings.api_rate, settings.api_burst),
            TrackerRegistry(db, box, clock, settings.public_url),
            FixShipping(desk),
            Replies(
                desk,
                settings.support_from,
                mail_server=settings.smtp_url is not None,
                survey=survey,
            ),
            Erasure(db, clock),
            Retention(db, admin, clock),
            survey,
        )

    def close(self) -> None:
        self.db.close()
