"""Plain-text answers to the leads' chat commands, shared by the Slack and Teams adapters.

Text only (with `*bold*` where it helps): each adapter escapes and wraps it for its platform.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.admin.configure import Admin
from bot.admin.routing import ConfiguredRouter, off_note
from bot.admin.schemas import (
    CustomersConfig,
    PrivacyConfig,
    RotaConfig,
    RoutesConfig,
    TimeoutsConfig,
    redact_secrets,
)
from bot.domain import Kind, Severity
from bot.intake import FeedbackDraft
from bot.rota import next_up, on_now
from bot.sources.registry import SourceRegistry

AUDIT_LINES = 15


class ChatCommand(StrEnum):
    """The words of `/allhands <word>` in Slack and `@All Hands <word>` in Slack and Teams."""

    HELP = "help"
    LOG = "log"
    MINE = "mine"
    OPEN = "open"
    SHOW = "show"
    SEARCH = "search"
    CLAIM = "claim"
    CLOSE = "close"
    REOPEN = "reopen"
    STATS = "stats"
    CONFIG = "config"
    ROUTES = "routes"
    ROTA = "rota"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class Console:
    """The configuration answers anyone may read, as plain text; `zone` is the company's.

    Each blocks on the database: adapters call them in a worker thread.
    """

    admin: Admin
    router: ConfiguredRouter
    zone: Callable[[], ZoneInfo]
    sources: SourceRegistry

    def routes_test(self, text: str) -> str:
        return routes_test(self.router, text)

    def rota(self, now: datetime) -> str:
        config = self.admin.read("rota")
        assert isinstance(config, RotaConfig)
        return rota(config, now, self.zone())

    def audit(self) -> str:
        return audit(self.admin)

    def summary(self) -> str:
        return settings_summary(self.admin, self.sources.listed())

    def sources_line(self) -> str:
        return sources_line(self.sources.listed())


def routes_test(router: ConfiguredRouter, text: str) -> str:
    """Where feedback with this text would go, and which rule decided (`/allhands routes test`)."""
    draft = FeedbackDraft(
        source="chat", body=text or "(empty)", kind=Kind.FEEDBACK, severity=Severity.NORMAL
    )
    decision = router.decide(draft)
    where = ", ".join(f"{d.platform.value} {d.channel}" for d in decision.destinations) or "nowhere"
    lines = [f"Rule *{decision.rule}* decides: {where}."]
    if decision.sensitive:
        broad = ", ".join(f"{d.platform.value} {d.channel}" for d in decision.stubs) or "none"
        lines.append(f"It is sensitive: broad channels ({broad}) get a stub at most.")
    return " ".join(lines + [f"{off_note(d)}." for d in decision.off])


def audit(admin: Admin) -> str:
    entries = admin.audit(AUDIT_LINES)
    if not entries:
        return "No configuration changes yet."
    lines = []
    for entry in entries:
        who = entry.actor.name if entry.actor else "the operator"
        when = f"{entry.at:%Y-%m-%d %H:%M} UTC"
        change = f"{_short(entry.old)} → {_short(entry.new)}"
        lines.append(f"{when} · {who} ({entry.platform.value}) changed *{entry.key}*: {change}")
    return "\n".join(lines)


def rota(config: RotaConfig, now: datetime, zone: ZoneInfo) -> str:
    if not config.shifts:
        return "No rota yet: a lead can set one with `config`."
    current = on_now(config, now, zone)
    upcoming = next_up(config, now, zone)
    now_text = ", ".join(", ".join(s.shift.emails) for s in current) or "nobody"
    lines = [f"On support now: {now_text}."]
    if upcoming:
        lines.append(f"Next: {', '.join(upcoming.shift.emails)} from {upcoming.start:%a %H:%M}.")
    return "\n".join(lines)


def settings_summary(admin: Admin, sources: Sequence[tuple[str, str]]) -> str:
    """What is configured now (`config` for everyone; only leads may change it), and the
    sources feedback arrives from (`sources`: name and kind)."""
    routes = admin.read("routes")
    timeouts = admin.read("timeouts")
    customers = admin.read("customers")
    assert isinstance(routes, RoutesConfig)
    assert isinstance(timeouts, TimeoutsConfig)
    assert isinstance(customers, CustomersConfig)
    leads = ", ".join(p.name for p in admin.people("lead")) or "none"
    execs = ", ".join(p.name for p in admin.people("exec")) or "none"
    minutes = ", ".join(f"{s.value} {m} min" for s, m in timeouts.claim_minutes.items())
    return "\n".join(
        [
            f"*Leads:* {leads}   *Executives:* {execs}",
            f"*Routes:* {len(routes.rules)} rule(s), then "
            + (
                ", ".join(f"{d.platform} {d.channel}" for d in routes.default)
                or "the install's channels"
            ),
            f"*Claim timeouts:* {minutes}; reminders after {timeouts.untouched_hours} h untouched",
            f"*Customer fields on cards:* {', '.join(customers.fields) or 'none'}",
            privacy_line(admin),
            sources_line(sources),
        ]
    )


def privacy_line(admin: Admin) -> str:
    """What is masked beyond emails, phones, cards and IBANs, and who may see the full text."""
    privacy = admin.read("privacy")
    assert isinstance(privacy, PrivacyConfig)
    masked = "emails, phones, cards, IBANs"
    if privacy.patterns:
        masked += f" and {len(privacy.patterns)} pattern(s) leads added"
    who = "its claimer and leads" if privacy.show_full_text else "nobody"
    return f"*Personal data masked:* {masked}; an item's full text is shown to {who}"


def sources_line(sources: Sequence[tuple[str, str]]) -> str:
    """The registered sources by name and kind; they are added at the terminal."""
    listed = ", ".join(f"{name} ({kind})" for name, kind in sources)
    return f"*Sources:* {listed or 'none yet'} (`allhands sources add|remove` changes them)"


def _short(value: dict[str, object]) -> str:
    text = json.dumps(redact_secrets(value), separators=(",", ":"))
    return text if len(text) <= 120 else text[:119] + "…"
