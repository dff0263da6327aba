"""The digest's platform side, assembled from Settings: shared by `serve` and the CLI."""

from __future__ import annotations

import os
import socket

from bot.digest_delivery import DigestSender
from bot.digest_period import DigestPlan
from bot.digest_settings import LiveDigestJob
from bot.domain import Platform
from bot.nudges import NudgeJob, Nudger
from bot.ports import DigestPublisher
from bot.scheduler import JobRunner
from bot.wiring import Core
from handlers.slack.digest_poster import SlackDigestPoster
from handlers.teams.digest_poster import TeamsDigestPoster


def digest_publishers(core: Core) -> dict[Platform, DigestPublisher]:
    """A digest publisher for each chat platform the settings turn on."""
    found: dict[Platform, DigestPublisher] = {}
    slack = SlackDigestPoster.from_settings(core.settings)
    if slack:
        found[Platform.SLACK] = slack
    teams = TeamsDigestPoster.from_settings(core.settings, core.db, core.clock)
    if teams:
        found[Platform.TEAMS] = teams
    return found


def digest_sender(core: Core, role: str, plan: DigestPlan) -> DigestSender:
    """A sender whose `job_runs` claims name this process, so an operator can see who sent."""
    owner = f"{role}@{socket.gethostname()}:{os.getpid()}"
    return DigestSender(core.db, digest_publishers(core), plan, core.clock, owner)


def server_jobs(core: Core) -> JobRunner:
    """The server's scheduler: the daily digest, and nudges for items nobody picked up."""
    digest = LiveDigestJob(core.digest, lambda plan: digest_sender(core, "server", plan))
    return JobRunner([digest, NudgeJob(Nudger(core.desk))], core.clock)
