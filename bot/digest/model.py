"""The digest as data: what every rendering (text, JSON, Slack, Teams, chart) draws from.

Renderers only choose how to show these values; every number is decided in `bot.digest`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.digest.period import Period
from bot.domain import Kind, Severity
from bot.signal.themes import change_text

EXEC_THEMES = 3
EXEC_QUOTES = 1
EXEC_OPEN_ITEMS = 3
EXEC_HELPERS = 3


@dataclass(frozen=True, slots=True)
class Count:
    """A count for the period beside what a typical period of the same length held.

    `average` is the mean of the 7 days before the period, per day, times the period's days
    (for the backlog, which is a level rather than a flow: the mean of those 7 days' ends).
    """

    value: int
    average: float

    @property
    def trend(self) -> str:
        if self.value > self.average:
            return "▲"
        return "▼" if self.value < self.average else "="


@dataclass(frozen=True, slots=True)
class Counts:
    new: Count
    claimed: Count
    closed: Count
    still_open: Count


@dataclass(frozen=True, slots=True)
class Theme:
    """A tag, or a cluster of items alike in meaning: items in the period, this week and the
    last; a cluster also has its period's items and two short examples."""

    label: str
    source: str
    period: int
    this_week: int
    last_week: int
    examples: tuple[str, ...] = ()
    items: frozenset[int] = frozenset()

    @property
    def change(self) -> str:
        """Week-over-week change as people say it: "+40%", "-25%", "new"."""
        return change_text(self.this_week, self.last_week)


@dataclass(frozen=True, slots=True)
class SentimentMix:
    """How the period's feedback felt, as item counts (estimated from a sample when large)."""

    positive: int
    neutral: int
    negative: int

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative

    def percent(self, part: int) -> int:
        return round(100 * part / self.total) if self.total else 0


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    ref: str
    source: str
    customer: str | None
    sentiment: str
    url: str | None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An unclaimed item waiting longest, with what a Claim button needs (`id`, `ref`)."""

    id: int
    ref: str
    title: str
    kind: Kind
    severity: Severity
    source: str
    received_at: datetime
    waiting_minutes: int


@dataclass(frozen=True, slots=True)
class Helper:
    """One person's work on feedback: claims, closes, and every other update (comments,
    hand-offs, reopens, edits, claims given back)."""

    name: str
    email: str | None
    claimed: int
    closed: int
    other: int


@dataclass(frozen=True, slots=True)
class Shift:
    """A number the digest shows that moved away from its usual value.

    `subject` is a count's name (`new`, `claimed`, `closed`, `still_open`), `negative` (the
    share of negative feedback, in percent) or, with `theme` set, that theme's label. `usual`
    is the figure shown beside it elsewhere: the 7-day average, or the week before for a theme.
    """

    subject: str
    value: int
    usual: float
    theme: Theme | None = None

    @property
    def up(self) -> bool:
        return self.value > self.usual


@dataclass(frozen=True, slots=True)
class IssueWeight:
    """An open issue: how many linked items and customers wait on it, and (with the customer
    look-up) what their accounts are worth together."""

    url: str
    title: str
    items: int
    customers: int
    value: float | None = None


@dataclass(frozen=True, slots=True)
class FixLoop:
    """`fixed`: issues closed (their fix shipped) in the week; `waiting`: the customers of
    their items nobody has told yet; `top`: the open issues, most customers first."""

    fixed: int
    waiting: int
    top: tuple[IssueWeight, ...]

    @property
    def empty(self) -> bool:
        return not (self.fixed or self.top)


NO_FIXES = FixLoop(0, 0, ())


@dataclass(frozen=True, slots=True)
class Csat:
    """Customers' satisfaction scores (1-5, each item's latest) given in the 7 days to the
    period's end and in the 7 days before."""

    this_week: tuple[int, ...] = ()
    last_week: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DayVolume:
    """One local day for the chart: new items by kind, and the open backlog at its end."""

    day: date
    new_by_kind: dict[Kind, int]
    backlog: int


@dataclass(frozen=True, slots=True)
class Chart:
    """The digest chart (`bot.digest.chart`) as PNGs, one per way it is seen.

    `sharp` is twice its size in points, for Slack's full-size view and the command line.
    `compact` is 1.5 times, for a Teams card: the card shows it about 540 points wide, where that
    is still twice the density, and it must fit in the card's 28 KB message.
    """

    sharp: bytes
    compact: bytes


@dataclass(frozen=True, slots=True)
class Digest:
    """Every figure of one digest; docs/digest.md says what each one counts.

    `waiting` counts the items still open at the period's end that nobody has claimed now, of
    which `oldest_open` are the first to arrive. `people` counts everyone who worked on feedback
    in the period, of whom `helpers` are the most active; `distinct_helpers_month` counts the
    same from `month_start` (the month's first day, or the period's if it began earlier).
    """

    period: Period
    generated_at: datetime
    counts: Counts
    themes: tuple[Theme, ...]
    sentiment: SentimentMix
    sentiment_before: SentimentMix
    quotes: tuple[Quote, ...]
    waiting: int
    oldest_open: tuple[OpenItem, ...]
    people: int
    helpers: tuple[Helper, ...]
    helpers_week: tuple[Helper, ...]
    distinct_helpers_month: int
    month_start: date
    median_minutes_to_claim: float | None
    median_minutes_to_close: float | None
    volume: tuple[DayVolume, ...]
    sampled: bool
    shifts: tuple[Shift, ...]
    executive: bool = False
    fixes: FixLoop = NO_FIXES
    csat: Csat = Csat()

    @property
    def quiet(self) -> bool:
        """Nothing came in, nobody claimed or closed anything: the short friendly digest."""
        counts = self.counts
        return not (counts.new.value or counts.claimed.value or counts.closed.value)

    def brief(self) -> Digest:
        """The executive variant: the same numbers, led by what moved most, fewer examples."""
        return replace(
            self,
            themes=self.themes[:EXEC_THEMES],
            quotes=self.quotes[:EXEC_QUOTES],
            oldest_open=self.oldest_open[:EXEC_OPEN_ITEMS],
            helpers=self.helpers[:EXEC_HELPERS],
            helpers_week=self.helpers_week[:EXEC_HELPERS],
            executive=True,
        )
