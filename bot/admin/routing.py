"""Which channels show an item's card: ordered rules, first match wins, then a default."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.admin.configure import CachedSetting
from bot.admin.schemas import DestinationIn, RouteRule, RoutesConfig, validate
from bot.domain import Feedback, Kind, Platform, Severity
from bot.ports.chat import Destination, Placement
from bot.ports.store import Store, UnitOfWork

DEFAULT_RULE = "default"
# What turns each chat platform on, and what names its channel, for the warnings below.
_SWITCH = {Platform.SLACK: "SLACK_BOT_TOKEN", Platform.TEAMS: "MicrosoftAppId"}
_CHANNEL_SETTING = {
    Platform.SLACK: "ALLHANDS_SLACK_CHANNEL",
    Platform.TEAMS: "ALLHANDS_TEAMS_CHANNEL",
}
_NAMES = {Platform.SLACK: "Slack", Platform.TEAMS: "Teams"}


class Routable(Protocol):
    """What routing looks at; a stored item and a draft both have it."""

    @property
    def source(self) -> str: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def product_area(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def body(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """`destinations` get the card; `off` were named too, on a platform that is off.

    When a sensitive rule decided, `destinations` are its restricted channels and `stubs` the
    broad ones the item would otherwise reach (they may get a stub, never its words).
    """

    rule: str
    destinations: list[Destination]
    off: list[Destination] = field(default_factory=list)
    stubs: list[Destination] = field(default_factory=list)
    sensitive: bool = False

    def placement(self) -> Placement:
        return Placement(self.destinations, self.stubs, self.rule if self.sensitive else None)


def off_note(destination: Destination) -> str:
    """Why a destination the routes name gets no card, and how to change that."""
    platform = destination.platform
    where = f"{platform.value}:{destination.channel}"
    return f"{where} gets no card: {_NAMES[platform]} is off (set `{_SWITCH[platform]}`)"


def stored_routes(uow: UnitOfWork) -> RoutesConfig:
    """The routes as leads set them, read in a unit of work already open."""
    config = validate("routes", uow.config.get("routes") or {})
    assert isinstance(config, RoutesConfig)
    return config


def _destinations(configured: Sequence[DestinationIn]) -> list[Destination]:
    return [Destination(Platform(d.platform), d.channel, d.mention) for d in configured]


def _matches(rule: RouteRule, item: Routable) -> bool:
    """Every criterion the rule names must hold; an empty criterion is not checked."""
    if rule.sources and item.source.lower() not in rule.sources:
        return False
    if rule.kinds and item.kind not in rule.kinds:
        return False
    if rule.severities and item.severity not in rule.severities:
        return False
    if rule.tags and not set(rule.tags) & {t.lower() for t in item.tags}:
        return False
    if rule.product_areas and (item.product_area or "").lower() not in rule.product_areas:
        return False
    if rule.keywords:
        text = f"{item.title or ''}\n{item.body}".lower()
        return any(re.search(rf"\b{re.escape(k)}\b", text) for k in rule.keywords)
    return True


class RouteTable:
    """`fallback`: the channels when no rule matches and no default is set; a function to ask
    only then (finding a platform's default channel may take a look-up)."""

    def __init__(
        self,
        config: RoutesConfig,
        fallback: Sequence[Destination] | Callable[[], Sequence[Destination]],
    ) -> None:
        self._config = config
        self._fallback = fallback

    def decide(self, item: Routable) -> Decision:
        """Any sensitive rule that matches wins, wherever it stands: the order of the rules
        must never let a broad rule above it show a sensitive item. Otherwise the first match
        among the other rules, then the default."""
        broad = self._broad(item)
        sensitive = (r for r in self._config.rules if r.sensitive and _matches(r, item))
        restricted = next(sensitive, None)
        if restricted is None:
            return broad
        kept = _destinations(restricted.destinations)
        stubs = [d for d in broad.destinations if not _same_channel(d, kept)]
        return Decision(restricted.name, kept, stubs=stubs, sensitive=True)

    def _broad(self, item: Routable) -> Decision:
        for rule in self._config.rules:
            if not rule.sensitive and _matches(rule, item):
                return Decision(rule.name, _destinations(rule.destinations))
        if self._config.default:
            return Decision(DEFAULT_RULE, _destinations(self._config.default))
        fallback = self._fallback() if callable(self._fallback) else self._fallback
        return Decision(DEFAULT_RULE, list(fallback))


def _same_channel(destination: Destination, among: Sequence[Destination]) -> bool:
    where = (destination.platform, destination.channel)
    return any((d.platform, d.channel) == where for d in among)


class StaticRouter:
    """Every item to one Slack and/or one Teams channel, as the environment configures.

    A platform left without a channel may get a default from its adapter (Teams: the General
    channel of the team the app was installed in), looked up when an item is routed.
    """

    def __init__(self, slack_channel: str = "", teams_channel: str = "") -> None:
        self._channels = {Platform.SLACK: slack_channel, Platform.TEAMS: teams_channel}
        self._defaults: dict[Platform, Callable[[], str | None]] = {}

    def use_default(self, platform: Platform, find: Callable[[], str | None]) -> None:
        if not self._channels[platform]:
            self._defaults[platform] = find

    def configured(self) -> list[Destination]:
        """The channels the environment names (without the adapters' defaults)."""
        return [Destination(p, channel) for p, channel in self._channels.items() if channel]

    def has_default(self, platform: Platform) -> bool:
        return platform in self._defaults

    def channels(self) -> list[Destination]:
        found = []
        for platform, channel in self._channels.items():
            default = self._defaults.get(platform)
            chosen = channel or (default() if default else None)
            if chosen:
                found.append(Destination(platform, chosen))
        return found

    def place(self, item: Feedback) -> Placement:
        return Placement(self.channels())


class ConfiguredRouter:
    """Routes leads set in chat (from the database); the environment's channels by default.

    Only destinations on the platforms that are on are kept: a card for a platform nobody
    delivers to would wait in the outbox forever.
    """

    def __init__(self, db: Store, fallback: StaticRouter, enabled: Iterable[Platform]) -> None:
        self._routes = CachedSetting(db, "routes")
        self.fallback = fallback
        self._enabled = set(enabled)

    def deliver_to(self, platforms: Iterable[Platform]) -> None:
        """From now on, keep destinations on exactly these platforms."""
        self._enabled = set(platforms)

    def decide(self, item: Routable) -> Decision:
        config = self._routes.value()
        assert isinstance(config, RoutesConfig)
        decision = RouteTable(config, self.fallback.channels).decide(item)
        kept = [d for d in decision.destinations if d.platform in self._enabled]
        off = [d for d in decision.destinations if d.platform not in self._enabled]
        stubs = [d for d in decision.stubs if d.platform in self._enabled]
        return Decision(decision.rule, kept, off, stubs, decision.sensitive)

    def place(self, item: Feedback) -> Placement:
        return self.decide(item).placement()

    def warnings(self) -> list[str]:
        """Settings that send cards nowhere, which would otherwise pass in silence: a platform
        that is on with no channel for its cards, and channels named on a platform that is off.
        Start-up prints them and `/readyz` lists them."""
        config = self._routes.value()
        assert isinstance(config, RoutesConfig)
        named = [
            (f"route '{r.name}'", d) for r in config.rules for d in _destinations(r.destinations)
        ]
        if config.default:
            named += [("the default route", d) for d in _destinations(config.default)]
        else:
            named += [(_CHANNEL_SETTING[d.platform], d) for d in self.fallback.configured()]
        found = [
            f"{_NAMES[p]} is on but no channel gets its cards: set `{_CHANNEL_SETTING[p]}` or "
            "add a route (`allhands config set routes FILE`, or `config` in chat)"
            for p in sorted(self._enabled)
            if not self.fallback.has_default(p) and all(d.platform != p for _, d in named)
        ]
        found += [
            f"{where}: {off_note(d)}" for where, d in named if d.platform not in self._enabled
        ]
        return found
