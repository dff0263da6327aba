"""Platform-neutral renderings of the digest: plain text (previews, logs) and JSON (the CLI).

The wording helpers here are shared by the Slack and Teams renderings, so every surface says
the same thing in the same words.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.digest.model import (
    Count,
    Csat,
    Digest,
    FixLoop,
    Helper,
    IssueWeight,
    Quote,
    SentimentMix,
    Shift,
    Theme,
)

COUNT_NAMES = (("new", "New"), ("claimed", "Claimed"), ("closed", "Closed"), ("still_open", "Open"))
SHIFTS_HEADING = "What changed most"
ISSUES_HEADING = "Open issues with the most customers behind them"
EXAMPLE_CHARS = 140


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and end with "…" when `text` is longer than `limit`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"


def title(digest: Digest) -> str:
    return f"Voice of the customer · {digest.period.label}"


def subtitle(digest: Digest) -> str:
    """Whose calendar the days follow, and how fresh the "waiting longest" list is."""
    built = digest.generated_at.astimezone(ZoneInfo(digest.period.zone))
    return f"Days in {digest.period.zone} · as of {built:%a} {built.day} {built:%b %H:%M}"


def duration(minutes: float | None) -> str:
    """42 min, 3 h 5 min, 2 d 4 h; "n/a" when nothing was measured."""
    if minutes is None:
        return "n/a"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, mins = divmod(whole, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def counts(digest: Digest) -> list[tuple[str, Count]]:
    """(label, count) for new, claimed, closed and still open, in that order."""
    return [(label, getattr(digest.counts, name)) for name, label in COUNT_NAMES]


def count_text(count: Count) -> str:
    return f"{count.value} {count.trend} (7-day avg {count.average:g})"


def theme_label(theme: Theme) -> str:
    return f"#{theme.label}" if theme.source == "tag" else theme.label


def theme_figures(theme: Theme) -> str:
    return (
        f"{_items(theme.period)} · {theme.this_week} this week, {theme.last_week} the week before"
    )


def theme_text(theme: Theme) -> str:
    return f"{theme_label(theme)} · {theme_figures(theme)}"


def quote_credit(quote: Quote) -> str:
    who = quote.customer or "a customer"
    return f"{who} via {quote.source} ({quote.ref}, {quote.sentiment})"


def thanks_heading(digest: Digest) -> str:
    people = "person" if digest.people == 1 else "people"
    return f"Thanks to the {digest.people} {people} who worked on feedback {digest.period.phrase}"


def more_helpers(digest: Digest) -> str | None:
    """ "…and 4 more" when the list names fewer people than worked in the period."""
    rest = digest.people - len(digest.helpers)
    return f"…and {rest} more" if rest > 0 else None


def helper_figures(helper: Helper) -> str:
    figures = f"{helper.claimed} claimed, {helper.closed} closed"
    if helper.other:
        figures += f", {helper.other} other update{'s' if helper.other != 1 else ''}"
    return figures


def helper_text(helper: Helper) -> str:
    return f"{helper.name}: {helper_figures(helper)}"


def waiting_heading(digest: Digest) -> str:
    """Says the list is part of the open items: the same items, as they stand now."""
    still = digest.counts.still_open.value
    return f"Waiting longest for someone to claim them ({digest.waiting} of the {still} still open)"


def medians(digest: Digest) -> str:
    """The times to claim and close, and the customers' satisfaction when any answered."""
    line = (
        f"Median time to claim {duration(digest.median_minutes_to_claim)}"
        f" · to close {duration(digest.median_minutes_to_close)}"
    )
    return f"{line} · {satisfaction}" if (satisfaction := csat_text(digest.csat)) else line


def csat_text(csat: Csat) -> str | None:
    """Satisfaction 4.3/5 this week (6 answers; last week 3.9/5 from 4)"""
    if not (csat.this_week or csat.last_week):
        return None
    text = f"Satisfaction {_average(csat.this_week)} this week ({_answers(csat.this_week)}"
    if csat.last_week:
        text += f"; last week {_average(csat.last_week)} from {len(csat.last_week)}"
    return text + ")"


def _average(scores: tuple[int, ...]) -> str:
    return f"{sum(scores) / len(scores):.1f}/5" if scores else "none"


def _answers(scores: tuple[int, ...]) -> str:
    return f"{len(scores)} answer{'s' if len(scores) != 1 else ''}"


def all_hands(digest: Digest) -> str:
    people = digest.distinct_helpers_month
    noun = "person has" if people == 1 else "different people have"
    start = digest.month_start
    since = "this month" if start.day == 1 else f"since {start:%A} {start.day} {start:%B}"
    return f"All hands: {people} {noun} worked on customer feedback {since}."


def quiet_line(digest: Digest) -> str:
    return (
        f"A quiet {digest.period.label}: no new feedback, nothing claimed or closed. "
        f"{_items(digest.counts.still_open.value)} still open. Enjoy the calm!"
    )


def sentiment_text(digest: Digest) -> str:
    mix, before = digest.sentiment, digest.sentiment_before
    text = (
        f"Sentiment: {mix.percent(mix.positive)}% positive · {mix.percent(mix.neutral)}% neutral"
        f" · {mix.percent(mix.negative)}% negative"
    )
    if before.total:
        text += f" (7-day avg {before.percent(before.negative)}% negative)"
    return text


def shift_text(shift: Shift) -> str:
    """One moved figure in a sentence, with the same numbers its own section shows."""
    direction = "up" if shift.up else "down"
    if shift.theme is not None:
        return (
            f"{theme_label(shift.theme)}: {_items(shift.value)} this week, "
            f"{direction} from {shift.usual:g} the week before"
        )
    if shift.subject == "negative":
        return (
            f"Negative feedback: {shift.value}%, {direction} from a 7-day avg of {shift.usual:g}%"
        )
    label = dict(COUNT_NAMES)[shift.subject]
    return f"{label}: {shift.value}, {direction} from a 7-day avg of {shift.usual:g}"


def shown_shifts(digest: Digest) -> tuple[Shift, ...]:
    """The executive version leads with what moved; the channel's digest leaves it out."""
    return digest.shifts if digest.executive else ()


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def _customers(count: int) -> str:
    return f"{count} customer{'s' if count != 1 else ''}"


def fixed_line(fixes: FixLoop) -> str | None:
    """Fixes that shipped in the week, and who still has to hear of them; None: none did."""
    if not fixes.fixed:
        return None
    issues = f"{fixes.fixed} issue{'s' if fixes.fixed != 1 else ''}"
    return f"Fixed this week: {issues} — {_customers(fixes.waiting)} waiting to hear"


def issue_figures(issue: IssueWeight) -> str:
    text = f"{_customers(issue.customers)} · {_items(issue.items)}"
    return text if issue.value is None else f"{text} · account value {issue.value:,.0f}"


def issue_text(issue: IssueWeight) -> str:
    return f"{issue.title} — {issue_figures(issue)}"


def digest_text(digest: Digest) -> str:
    lines = [title(digest), subtitle(digest), ""]
    if shifts := shown_shifts(digest):
        lines += [f"{SHIFTS_HEADING}:", *(f"  {shift_text(s)}" for s in shifts), ""]
    if digest.quiet:
        lines.append(quiet_line(digest))
    else:
        lines.append(" · ".join(f"{label} {count_text(c)}" for label, c in counts(digest)))
        lines += [medians(digest), "", "Themes:"]
        lines += [
            line
            for t in digest.themes
            for line in [
                f"  {theme_text(t)}",
                *(f"    “{shorten(e, EXAMPLE_CHARS)}”" for e in t.examples),
            ]
        ] or ["  (none)"]
        lines += ["", sentiment_text(digest), "", "What customers said:"]
        lines += [f"  “{q.text}” — {quote_credit(q)}" for q in digest.quotes] or ["  (none)"]
        lines += ["", f"{thanks_heading(digest)}:" if digest.helpers else "Thanks to:"]
        lines += [f"  {helper_text(h)}" for h in digest.helpers] or ["  (nobody yet)"]
        lines += [f"  {more}" for more in [more_helpers(digest)] if more]
    if digest.oldest_open:
        lines += ["", f"{waiting_heading(digest)}:"]
        lines += [
            f"  {i.ref} {i.title} · waiting {duration(i.waiting_minutes)}"
            for i in digest.oldest_open
        ]
    lines += _fixes_text(digest.fixes)
    lines += ["", all_hands(digest)]
    return "\n".join(lines)


def _fixes_text(fixes: FixLoop) -> list[str]:
    if fixes.empty:
        return []
    lines = [""] + [line for line in [fixed_line(fixes)] if line]
    if fixes.top:
        lines += [f"{ISSUES_HEADING}:", *(f"  {issue_text(i)} ({i.url})" for i in fixes.top)]
    return lines


def digest_json(digest: Digest) -> dict[str, Any]:
    """The `digest preview --format json` document (the issue's public contract)."""
    period = digest.period
    return {
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "days": period.days,
            "timezone": period.zone,
        },
        "generated_at": digest.generated_at.isoformat(),
        "audience": "executive" if digest.executive else "channel",
        "quiet": digest.quiet,
        "counts": {
            name: {"value": c.value, "average_7d": c.average, "trend": c.trend}
            for name, c in ((name, getattr(digest.counts, name)) for name, _ in COUNT_NAMES)
        },
        "themes": [
            {
                "label": t.label,
                "source": t.source,
                "period": t.period,
                "this_week": t.this_week,
                "last_week": t.last_week,
                "change": t.change,
                "examples": list(t.examples),
            }
            for t in digest.themes
        ],
        "sentiment": _mix_json(digest.sentiment),
        "sentiment_7d_before": _mix_json(digest.sentiment_before),
        "shifts": [
            {
                "subject": s.subject,
                "value": s.value,
                "usual": s.usual,
                "direction": "up" if s.up else "down",
                "text": shift_text(s),
            }
            for s in digest.shifts
        ],
        "sampled": digest.sampled,
        "quotes": [
            {
                "text": q.text,
                "ref": q.ref,
                "source": q.source,
                "customer": q.customer,
                "sentiment": q.sentiment,
                "url": q.url,
            }
            for q in digest.quotes
        ],
        "waiting": digest.waiting,
        "oldest_open": [
            {
                "id": i.id,
                "ref": i.ref,
                "title": i.title,
                "kind": i.kind.value,
                "severity": i.severity.value,
                "source": i.source,
                "received_at": i.received_at.isoformat(),
                "waiting_minutes": i.waiting_minutes,
            }
            for i in digest.oldest_open
        ],
        "people_in_period": digest.people,
        "helpers": [_helper_json(h) for h in digest.helpers],
        "helpers_week": [_helper_json(h) for h in digest.helpers_week],
        "distinct_helpers_month": digest.distinct_helpers_month,
        "month_start": digest.month_start.isoformat(),
        "median_minutes_to_claim": digest.median_minutes_to_claim,
        "median_minutes_to_close": digest.median_minutes_to_close,
        "fixes": {
            "fixed_this_week": digest.fixes.fixed,
            "customers_waiting": digest.fixes.waiting,
            "top_issues": [
                {
                    "url": i.url,
                    "title": i.title,
                    "items": i.items,
                    "customers": i.customers,
                    "account_value": i.value,
                }
                for i in digest.fixes.top
            ],
        },
        "csat": {
            "this_week": list(digest.csat.this_week),
            "last_week": list(digest.csat.last_week),
        },
        "volume": [
            {
                "day": v.day.isoformat(),
                "new_by_kind": {k.value: n for k, n in v.new_by_kind.items()},
                "backlog": v.backlog,
            }
            for v in digest.volume
        ],
    }


def _helper_json(helper: Helper) -> dict[str, Any]:
    return {
        "name": helper.name,
        "email": helper.email,
        "claimed": helper.claimed,
        "closed": helper.closed,
        "other": helper.other,
    }


def _mix_json(mix: SentimentMix) -> dict[str, int]:
    return {"positive": mix.positive, "neutral": mix.neutral, "negative": mix.negative}
