"""Every rendering of the digest shows the same numbers, and they are the right ones.

The story below imports history (some of it the day after the customers wrote), claims, closes,
reopens, gives claims back and comments across two weeks. The test keeps its own record of each
fact it created and counts from that record alone; then it reads the numbers back out of the
text, JSON, Slack and Teams previews, channel and executive versions alike, as a reader would.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from app import cli
from bot.digest.render import duration
from bot.domain import EventKind, Identity, Kind, Platform, Severity, id_from_ref
from bot.importer import CsvFile, CsvImporter
from bot.intake import FeedbackDraft
from bot.service import Desk
from tests.support.clock import FakeClock

ZONE = ZoneInfo("Europe/Berlin")
SOURCE = Identity(Platform.API, "zendesk-token", "zendesk")
OPS = Identity(Platform.CLI, "ops@example.com", "Ops", "ops@example.com")
NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
COUNTS = {"new": "New", "claimed": "Claimed", "closed": "Closed", "still_open": "Open"}
# (digest date, first day it covers): a Tuesday covers Monday; a Monday covers Friday to Sunday.
PERIODS = [
    pytest.param(date(2026, 3, 10), date(2026, 3, 9), id="tuesday"),
    pytest.param(date(2026, 3, 9), date(2026, 3, 6), id="monday"),
]
# One content word each, so no two items share a phrase and the only themes are the tags.
NOUNS = ["invoices", "exports", "calendars", "receipts", "avatars", "widgets", "folders"]
EVERYDAY = [
    ("Where is {}?", Kind.QUESTION, NEUTRAL),
    ("Thanks, {} is great", Kind.PRAISE, POSITIVE),
    ("Add {}", Kind.FEEDBACK, NEUTRAL),
    ("{} is wrong", Kind.COMPLAINT, NEGATIVE),
]


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    local = datetime.combine(date(2026, month, day), time(hour, minute), tzinfo=ZONE)
    return local.astimezone(UTC)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)


def colleague(name: str, platform: Platform = Platform.SLACK) -> Identity:
    return Identity(platform, f"{platform.value}:{name}", name.capitalize(), f"{name}@example.com")


@dataclass
class Facts:
    """What the story did, as the test recorded it: the only source of expected numbers."""

    arrived: dict[str, datetime] = field(default_factory=dict)
    mood: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    acts: list[tuple[datetime, str, str, str]] = field(default_factory=list)  # when verb who ref

    def times(self, verb: str) -> list[datetime]:
        return [when for when, done, _, _ in self.acts if done == verb]


class Story:
    """Makes changes through the service and the CSV importer, noting each in `facts`."""

    def __init__(self, desk: Desk, clock: FakeClock, tmp_path: Path) -> None:
        self.desk, self.clock, self.tmp_path = desk, clock, tmp_path
        self.facts = Facts()

    def arrive(
        self,
        when: datetime,
        body: str,
        kind: Kind,
        mood: str,
        *tags: str,
        severity: Severity = Severity.NORMAL,
    ) -> str:
        self.clock.current = when
        draft = FeedbackDraft(
            source="zendesk", body=body, kind=kind, severity=severity, tags=list(tags)
        )
        ref = self.desk.ingest(draft, SOURCE).item.ref
        self._note(ref, when, mood, list(tags))
        return ref

    def everyday(self, when: datetime) -> str:
        """An ordinary item with words of its own, cycling through the kinds."""
        n = len(self.facts.arrived)
        text, kind, mood = EVERYDAY[n % len(EVERYDAY)]
        return self.arrive(when, text.format(f"{NOUNS[n % len(NOUNS)]}{n}"), kind, mood)

    def import_rows(
        self, when: datetime, rows: list[tuple[datetime, str, Kind, str, str]]
    ) -> list[str]:
        """A CSV import run at `when` of (customer wrote at, body, kind, mood, tag) rows."""
        path = self.tmp_path / f"import-{len(self.facts.arrived)}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["received_at", "body", "kind", "tags"])
            writer.writerows(
                (wrote.isoformat(), body, kind, tag) for wrote, body, kind, _, tag in rows
            )
        first = len(self.facts.arrived) + 1
        self.clock.current = when
        imported = CsvImporter(self.desk.db, self.clock).run(CsvFile.check(path), "archive", OPS)
        assert imported.imported == len(rows)
        refs = [f"FB-{first + n}" for n in range(len(rows))]
        for ref, (wrote, _, _, mood, tag) in zip(refs, rows, strict=True):
            self._note(ref, wrote, mood, [tag] if tag else [])
        return refs

    def act(self, when: datetime, verb: str, ref: str, who: str) -> None:
        self.clock.current = when
        person = colleague(who, Platform.TEAMS if who in ("cy", "dee") else Platform.SLACK)
        if verb == "comment":
            self.desk.comment(ref, person, "Looking into it")
        else:
            getattr(self.desk, verb)(ref, person)
        self.facts.acts.append((when, verb, who, ref))

    def _note(self, ref: str, wrote: datetime, mood: str, tags: list[str]) -> None:
        self.facts.arrived[ref] = wrote
        self.facts.mood[ref] = mood
        self.facts.tags[ref] = tags


def tell(story: Story) -> None:
    """Two weeks: daily arrivals, crash reports on Monday 9 March, two imports, and the work."""
    before = [story.everyday(at(day, 10, month=2)) for day in range(24, 29)]
    for day in range(1, 9):
        before += [story.everyday(at(day, 9 + extra)) for extra in range(1 + day % 2)]
    story.arrive(at(2, 15), "Camera view goes black", Kind.BUG, NEGATIVE, "camera")
    billing = story.import_rows(
        at(9, 11),
        [
            (at(5, 10), "I was charged twice for my order", Kind.COMPLAINT, NEGATIVE, "billing"),
            (at(5, 16), "Double charge on the card", Kind.COMPLAINT, NEGATIVE, "billing"),
            (at(2, 12), "Where is the address form?", Kind.QUESTION, NEUTRAL, ""),
            (at(28, 9, month=2), "Lovely onboarding call", Kind.PRAISE, POSITIVE, ""),
            (at(9, 8), "Great support, thank you so much", Kind.PRAISE, POSITIVE, ""),
        ],
    )
    crashes = [
        story.arrive(
            at(9, 9),
            "App crashes when opening the camera",
            Kind.BUG,
            NEGATIVE,
            "camera",
            severity=Severity.HIGH,
        ),
        story.arrive(
            at(9, 13),
            "Taking a photo kills everything",
            Kind.BUG,
            NEGATIVE,
            "camera",
            severity=Severity.URGENT,
        ),
        story.arrive(at(9, 14), "Screen freezes then closes", Kind.FEEDBACK, NEGATIVE, "camera"),
    ]
    praise = story.arrive(
        at(9, 17), "I love the new dashboard, it is wonderful", Kind.PRAISE, POSITIVE
    )
    # The morning after: one more row of Monday's, and a new item that no Monday digest counts.
    late = story.import_rows(
        at(10, 8),
        [(at(9, 15), "Uploading pictures keeps failing", Kind.COMPLAINT, NEGATIVE, "camera")],
    )
    story.arrive(at(10, 7), "Where is the new logo?", Kind.QUESTION, NEUTRAL)

    for when, verb, ref, who in [
        (at(3, 11), "claim", before[6], "ana"),
        (at(4, 9), "close", before[6], "ana"),
        (at(6, 10), "claim", before[10], "bo"),
        (at(7, 12), "close", before[10], "bo"),
        (at(9, 10), "reopen", before[10], "lee"),
        (at(8, 9), "claim", before[12], "cy"),
        (at(8, 18), "close", before[12], "cy"),
        (at(10, 8, 30), "reopen", before[12], "lee"),
        (at(6, 14), "claim", before[11], "dee"),
        (at(6, 15), "comment", before[11], "eve"),
        (at(9, 9, 30), "claim", crashes[0], "ana"),
        (at(9, 16), "close", crashes[0], "bo"),
        (at(9, 13, 30), "claim", crashes[1], "ana"),
        (at(9, 14, 10), "comment", crashes[1], "eve"),
        (at(9, 12), "claim", billing[0], "bo"),
        (at(9, 18), "claim", praise, "dee"),
        (at(10, 8, 45), "unclaim", praise, "dee"),
        (at(10, 8, 50), "claim", late[0], "ana"),
    ]:
        story.act(when, verb, ref, who)
    # Neither an integration's comment nor the bot's own nudge is a colleague at work.
    story.clock.current = at(9, 15)
    story.desk.comment(crashes[2], SOURCE, "The customer added a screenshot")
    item = id_from_ref(crashes[2])
    assert item is not None
    story.desk.system_note(item, EventKind.NUDGED, {}, ("nudge", crashes[2]))


@pytest.fixture
def facts(desk: Desk, clock: FakeClock, tmp_path: Path) -> Facts:
    story = Story(desk, clock, tmp_path)
    tell(story)
    return story.facts


# ---- what the numbers should be, from the facts alone -------------------------------------


def count(times: list[datetime], start: datetime, end: datetime) -> int:
    return sum(start <= t < end for t in times)


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


class Expected:
    def __init__(self, facts: Facts, first: date, digest_day: date) -> None:
        self.facts = facts
        self.days = (digest_day - first).days
        self.start, self.end = midnight(first), midnight(digest_day)
        self.before = midnight(first - timedelta(days=7))
        self.first = first

    def flow(self, times: list[datetime]) -> tuple[int, float]:
        usual = count(times, self.before, self.start) / 7 * self.days
        return count(times, self.start, self.end), round(usual, 1)

    def open_at(self, moment: datetime) -> int:
        """Arrived before `moment`, less closes, plus reopens."""
        arrived = sum(t < moment for t in self.facts.arrived.values())
        closes, reopens = self.facts.times("close"), self.facts.times("reopen")
        return arrived - sum(t < moment for t in closes) + sum(t < moment for t in reopens)

    def counts(self) -> dict[str, tuple[int, float]]:
        day_ends = [midnight(self.first - timedelta(days=back)) for back in range(7)]
        return {
            "new": self.flow(list(self.facts.arrived.values())),
            "claimed": self.flow(self.facts.times("claim")),
            "closed": self.flow(self.facts.times("close")),
            "still_open": (
                self.open_at(self.end),
                round(sum(self.open_at(t) for t in day_ends) / 7, 1),
            ),
        }

    def waiting(self) -> list[str]:
        """Open at the period's end (arrived, not closed then) and nobody's claim now."""
        held: dict[str, bool] = {}
        closed_then: dict[str, bool] = {}
        for when, verb, _, ref in sorted(self.facts.acts):
            if verb != "comment":
                held[ref] = verb == "claim"
            if when < self.end and verb in ("close", "reopen"):
                closed_then[ref] = verb == "close"
        chosen = [
            ref
            for ref, wrote in self.facts.arrived.items()
            if wrote < self.end and not closed_then.get(ref) and not held.get(ref)
        ]
        return sorted(chosen, key=lambda ref: (self.facts.arrived[ref], id_from_ref(ref)))

    def people(self, since: datetime) -> int:
        return len({who for when, _, who, _ in self.facts.acts if since <= when < self.end})

    def moods(self, start: datetime, end: datetime) -> list[str]:
        return [m for ref, m in self.facts.mood.items() if start <= self.facts.arrived[ref] < end]

    def camera(self) -> tuple[int, int, int] | None:
        """The #camera theme: items in the period, this week and the week before; None if
        fewer than two in the period."""
        times = [self.facts.arrived[r] for r, tags in self.facts.tags.items() if "camera" in tags]
        week = self.end - timedelta(days=7)
        figures = (
            count(times, self.start, self.end),
            count(times, week, self.end),
            count(times, week - timedelta(days=7), week),
        )
        return figures if figures[0] >= 2 else None

    def median(self, verb: str) -> str:
        waits = [
            (when - self.facts.arrived[ref]).total_seconds() / 60
            for when, done, _, ref in self.facts.acts
            if done == verb and self.start <= when < self.end
        ]
        return duration(round(statistics.median(waits), 1) if waits else None)

    def figures(self) -> dict[str, Any]:
        counts = self.counts()
        now, earlier = self.moods(self.start, self.end), self.moods(self.before, self.start)
        month = min(self.start, midnight((self.first + timedelta(self.days - 1)).replace(day=1)))
        return {
            **{COUNTS[name]: value for name, value in counts.items()},
            "waiting": (len(self.waiting()), counts["still_open"][0]),
            "people": self.people(self.start),
            "month": self.people(month),
            "sentiment": tuple(
                percent(now.count(m), len(now)) for m in (POSITIVE, NEUTRAL, NEGATIVE)
            ),
            "negative_before": percent(earlier.count(NEGATIVE), len(earlier)),
            "camera": self.camera(),
            "medians": (self.median("claim"), self.median("close")),
        }

    def shifts(self) -> list[tuple[str, int, float]]:
        """The three moves the executive version leads with, by the rule docs/digest.md gives:
        distance from the usual value over √(usual + 1)."""
        counts = self.counts()
        ranked = [(COUNTS[name], value, usual) for name, (value, usual) in counts.items()]
        scores = [abs(value - usual) / math.sqrt(usual + 1) for _, value, usual in ranked]
        if camera := self.camera():
            ranked.append(("#camera", camera[1], camera[2]))
            scores.append(abs(camera[1] - camera[2]) / math.sqrt(camera[2] + 1))
        now, earlier = self.moods(self.start, self.end), self.moods(self.before, self.start)
        expected = earlier.count(NEGATIVE) / len(earlier) * len(now)
        negative = percent(now.count(NEGATIVE), len(now))
        ranked.append(("Negative", negative, percent(earlier.count(NEGATIVE), len(earlier))))
        scores.append(abs(now.count(NEGATIVE) - expected) / math.sqrt(expected + 1))
        order = sorted(range(len(ranked)), key=lambda i: -scores[i])
        return [ranked[i] for i in order if ranked[i][1] != ranked[i][2]][:3]


# ---- what each rendering shows ----------------------------------------------------------


def preview(db_url: str, digest_day: date, fmt: str, *more: str) -> str:
    args = ["digest", "preview", "--date", digest_day.isoformat(), "--format", fmt, *more]
    env = {"ALLHANDS_TIMEZONE": "Europe/Berlin", "ALLHANDS_DIGEST_DAYS": "mon-fri"}
    result = CliRunner().invoke(cli, args, env={"ALLHANDS_DATABASE_URL": db_url, **env})
    assert result.exit_code == 0, result.output
    return result.stdout


def slack_lines(message: dict[str, Any]) -> str:
    """What a reader sees of a Block Kit message, one line per text, mrkdwn stars dropped."""
    texts: list[str] = []
    for block in message["blocks"]:
        parts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        texts += [
            p["text"].replace("\n", " ") for p in parts if isinstance(p, dict) and "text" in p
        ]
    return "\n".join(texts).replace("*", "").replace("&amp;", "&")


def teams_lines(card: dict[str, Any]) -> str:
    """What a reader sees of an Adaptive Card: text blocks, and each fact as "title value"."""
    texts: list[str] = []

    def walk(element: Any) -> None:
        if isinstance(element, list):
            for item in element:
                walk(item)
        elif isinstance(element, dict):
            if element.get("type") == "TextBlock":
                texts.append(element["text"])
            elif element.get("type") == "FactSet":
                texts.extend(f"{fact['title']} {fact['value']}" for fact in element["facts"])
            else:
                walk(element.get("body") or element.get("columns") or element.get("items") or [])

    walk(card)
    return re.sub(r"\\(.)", r"\1", "\n".join(texts))


def shown(db_url: str, digest_day: date, fmt: str, *more: str) -> str:
    out = preview(db_url, digest_day, fmt, *more)
    if fmt == "slack":
        return slack_lines(json.loads(out))
    return teams_lines(json.loads(out)) if fmt == "teams" else out


def read_figures(text: str) -> dict[str, Any]:
    """The figures as a reader finds them in a rendering's text."""

    def find(pattern: str) -> tuple[str, ...] | None:
        found = re.search(pattern, text)
        return found.groups() if found else None

    figures: dict[str, Any] = {}
    for label in COUNTS.values():
        value, usual = find(rf"\b{label} (\d+) [▲▼=] \(7-day avg ([\d.]+)\)") or ("", "")
        figures[label] = (int(value), float(usual)) if value else None
    waiting = find(r"\((\d+) of the (\d+) still open\)")
    figures["waiting"] = tuple(map(int, waiting)) if waiting else None
    people = find(r"Thanks to the (\d+) (?:people|person) who worked on feedback")
    figures["people"] = int(people[0]) if people else None
    month = find(r"All hands: (\d+) ")
    figures["month"] = int(month[0]) if month else None
    mix = find(r"(\d+)% positive · (\d+)% neutral · (\d+)% negative \(7-day avg (\d+)% negative\)")
    figures["sentiment"] = tuple(map(int, mix[:3])) if mix else None
    figures["negative_before"] = int(mix[3]) if mix else None
    camera = find(r"#camera(?: ·)? (\d+) items? · (\d+) this week, (\d+) the week before")
    figures["camera"] = tuple(map(int, camera)) if camera else None
    figures["medians"] = find(r"Median time to claim ([^·\n]+) · to close ([^·\n]+?)\s*(?:\n|$)")
    return figures


def json_figures(document: dict[str, Any]) -> dict[str, Any]:
    """The same figures from the JSON preview's fields."""
    counts = {COUNTS[k]: (v["value"], v["average_7d"]) for k, v in document["counts"].items()}
    mix, before = document["sentiment"], document["sentiment_7d_before"]
    total = sum(mix.values())
    camera = [t for t in document["themes"] if (t["source"], t["label"]) == ("tag", "camera")]
    return {
        **counts,
        "waiting": (document["waiting"], document["counts"]["still_open"]["value"]),
        "people": document["people_in_period"],
        "month": document["distinct_helpers_month"],
        "sentiment": tuple(percent(mix[m], total) for m in (POSITIVE, NEUTRAL, NEGATIVE)),
        "negative_before": percent(before[NEGATIVE], sum(before.values())),
        "camera": (camera[0]["period"], camera[0]["this_week"], camera[0]["last_week"])
        if camera
        else None,
        "medians": tuple(
            duration(document[f"median_minutes_to_{verb}"]) for verb in ("claim", "close")
        ),
    }


def read_shifts(text: str) -> list[tuple[str, int, float]]:
    """The "What changed most" lines, in order, as (subject, now, usual)."""
    lead = text.split("What changed most", 1)[1]
    found = re.findall(
        r"(New|Claimed|Closed|Open|#camera|Negative feedback): (\d+)%?(?: items?)?"
        r"(?: this week)?, (?:up|down) from (?:a 7-day avg of )?([\d.]+)",
        lead,
    )
    return [(subject.split()[0], int(now), float(usual)) for subject, now, usual in found[:3]]


@pytest.mark.parametrize(("digest_day", "first"), PERIODS)
def test_every_rendering_shows_the_numbers_the_facts_add_up_to(
    db_url: str, facts: Facts, digest_day: date, first: date
) -> None:
    want = Expected(facts, first, digest_day).figures()

    document = json.loads(preview(db_url, digest_day, "json"))
    brief = json.loads(preview(db_url, digest_day, "json", "--exec"))

    assert json_figures(document) == want
    assert json_figures(brief) == want
    for fmt in ("text", "slack", "teams"):
        for variant in ((), ("--exec",)):
            assert read_figures(shown(db_url, digest_day, fmt, *variant)) == want, (fmt, variant)


def test_the_story_exercises_every_figure(facts: Facts) -> None:
    want = Expected(facts, date(2026, 3, 9), date(2026, 3, 10))
    figures = want.figures()

    assert all(figures[label][0] > 0 for label in COUNTS.values())
    assert figures["waiting"][0] < figures["waiting"][1], "some open items are claimed"
    assert figures["camera"] is not None
    assert figures["people"] < figures["month"]
    assert figures["sentiment"][2] > 50, "a day of crash reports reads as negative"


@pytest.mark.parametrize(("digest_day", "first"), PERIODS)
def test_the_executive_version_leads_with_the_three_biggest_moves(
    db_url: str, facts: Facts, digest_day: date, first: date
) -> None:
    want = Expected(facts, first, digest_day).shifts()

    for fmt in ("text", "slack", "teams"):
        text = shown(db_url, digest_day, fmt, "--exec")
        assert read_shifts(text) == want, fmt
        assert text.index("What changed most") < text.index("New "), fmt
        assert "What changed most" not in shown(db_url, digest_day, fmt)
    document = json.loads(preview(db_url, digest_day, "json", "--exec"))
    assert document["audience"] == "executive"
    assert [(s["value"], s["usual"]) for s in document["shifts"]] == [(v, u) for _, v, u in want]
