"""The scheduled jobs (the daily digest, nudges, the rota, polling the app stores) and their
platform side, assembled from the core: shared by `serve`, `work` and the CLI."""

from __future__ import annotations

import os
import socket
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core import Core
from bot.delivery.jobs import Job, JobRunner
from bot.digest.delivery import DigestSender
from bot.digest.fixes import IssueValues
from bot.digest.live import LiveDigestJob
from bot.digest.period import DigestPlan
from bot.domain import Platform
from bot.nudges import NudgeJob, Nudger
from bot.ports.chat import DigestPublisher, DirectMessenger, QueueMessenger
from bot.ports.sources import SourcePoller
from bot.privacy.erasure import ErasureResumption
from bot.privacy.retention import RetentionJob
from bot.rota import RotaJob
from bot.signal.alerts import SpikeWatch, leads_channels
from bot.sources.kinds import SourceKind
from bot.sources.polling import PollJob, SourcePolling
from handlers.slack.digest_poster import SlackDigestPoster
from handlers.slack.direct import SlackDirect
from handlers.slack.queue_messenger import SlackQueueMessenger
from handlers.teams.digest_poster import TeamsDigestPoster
from handlers.teams.direct import TeamsMessenger
from handlers.teams.queue_messenger import TeamsQueueMessenger
from handlers.vendors.appstore import AppStoreReviews
from handlers.vendors.googleplay import GooglePlayReviews

T = TypeVar("T")


def digest_publishers(core: Core) -> dict[Platform, DigestPublisher]:
    """A digest publisher for each chat platform the settings turn on."""
    return on_platforms(
        SlackDigestPoster.from_settings(core.settings),
        TeamsDigestPoster.from_settings(core.settings, core.db, core.clock),
    )


def queue_messengers(core: Core) -> list[QueueMessenger]:
    """A rota messenger (the shift-start queue) for each chat platform the settings turn on."""
    found: dict[Platform, QueueMessenger] = on_platforms(
        SlackQueueMessenger.from_settings(core.settings),
        TeamsQueueMessenger.from_settings(core.settings, core.db, core.clock),
    )
    return list(found.values())


def direct_messengers(core: Core) -> dict[Platform, DirectMessenger]:
    """What sends the outbox's direct messages, for each chat platform the settings turn on."""
    return on_platforms(
        SlackDirect.from_settings(core.settings),
        TeamsMessenger.from_settings(core.settings, core.db, core.clock),
    )


def on_platforms(slack: T | None, teams: T | None) -> dict[Platform, T]:
    """Each platform's sender, for the platforms whose settings made one."""
    made = ((Platform.SLACK, slack), (Platform.TEAMS, teams))
    return {platform: sender for platform, sender in made if sender is not None}


def job_owner(role: str) -> str:
    """Names this process in `job_runs` claims, so an operator can see who sent."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


def issue_values(core: Core) -> IssueValues:
    """What adds the open issues' account values to the digest (with the customer look-up)."""
    return IssueValues(core.db, core.stories.accounts, core.settings.customer_value_field)


def digest_sender(core: Core, role: str, plan: DigestPlan) -> DigestSender:
    publishers, owner = digest_publishers(core), job_owner(role)
    return DigestSender(core.db, publishers, plan, core.clock, owner, issue_values(core))


def source_polling(core: Core) -> SourcePolling:
    """Polling the sources we fetch from (the app stores), each with its vendor's API client."""
    pollers: dict[SourceKind, SourcePoller] = {
        SourceKind.APPSTORE: AppStoreReviews(core.clock),
        SourceKind.GOOGLEPLAY: GooglePlayReviews(core.clock),
    }
    return SourcePolling(core.db, core.source_intake, pollers, core.clock)


def server_jobs(core: Core) -> JobRunner:
    """The server's scheduler: the daily digest, nudges for items nobody picked up, the
    rota's queue for whoever starts a support shift, the app stores' reviews, spike alerts, the
    daily removal of customers' words past their retention, and erasures a dead process left."""
    owner = job_owner("server")
    digest = LiveDigestJob(core.digest, lambda plan: digest_sender(core, "server", plan))

    def zone() -> ZoneInfo:
        return core.digest.plan().zone

    rota = RotaJob(core.db, zone, queue_messengers(core), owner)
    polls = PollJob(core.sources, source_polling(core), core.db, core.clock, owner)
    spikes = SpikeWatch(core.db, zone, leads_channels(core.settings, core.digest))
    retention = RetentionJob(core.retention, core.db, owner)
    erasures = ErasureResumption(core.erasure)
    jobs: list[Job] = [
        digest,
        NudgeJob(Nudger(core.desk)),
        rota,
        polls,
        spikes,
        retention,
        erasures,
    ]
    return JobRunner(jobs, core.clock)
