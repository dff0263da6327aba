"""Platform-neutral renderings of the digest: plain text (previews, logs) and JSON (the CLI).

The wording helpers here are shared by the Slack and Teams renderings, so every surface says
the same thing in the same words.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.digest.model import Count, Digest, Helper, Quote, Theme

COUNT_NAMES = (("new", "New"), ("claimed", "Claimed"), ("closed", "Closed"), ("still_open", "Open"))


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
    return f"#{theme.label}" if theme.source == "tag" else f"“{theme.label}”"


def theme_figures(theme: Theme) -> str:
    return f"{theme.period} · {theme.change} wk/wk"


def theme_text(theme: Theme) -> str:
    return f"{theme_label(theme)} · {theme_figures(theme)}"


def quote_credit(quote: Quote) -> str:
    who = quote.customer or "a customer"
    return f"{who} via {quote.source} ({quote.ref}, {quote.sentiment})"


def helper_figures(helper: Helper) -> str:
    return f"{helper.claimed} claimed, {helper.closed} closed"


def helper_text(helper: Helper) -> str:
    return f"{helper.name}: {helper_figures(helper)}"


def medians(digest: Digest) -> str:
    return (
        f"Median time to claim {duration(digest.median_minutes_to_claim)}"
        f" · to close {duration(digest.median_minutes_to_close)}"
    )


def all_hands(digest: Digest) -> str:
    people = digest.distinct_helpers_month
    noun = "person has" if people == 1 else "different people have"
    return f"All hands: {people} {noun} worked on customer feedback this month."


def quiet_line(digest: Digest) -> str:
    still = digest.counts.still_open.value
    return (
        f"A quiet {digest.period.label}: no new feedback, nothing claimed or closed. "
        f"{still} item{'s' if still != 1 else ''} still open. Enjoy the calm!"
    )


def sentiment_text(digest: Digest) -> str:
    mix = digest.sentiment
    return (
        f"Sentiment: {mix.percent(mix.positive)}% positive · {mix.percent(mix.neutral)}% neutral"
        f" · {mix.percent(mix.negative)}% negative"
    )


def digest_text(digest: Digest) -> str:
    lines = [title(digest), subtitle(digest), ""]
    if digest.quiet:
        lines.append(quiet_line(digest))
    else:
        lines.append(" · ".join(f"{label} {count_text(c)}" for label, c in counts(digest)))
        lines += [medians(digest), "", "Themes:"]
        lines += [f"  {theme_text(t)}" for t in digest.themes] or ["  (none)"]
        lines += ["", sentiment_text(digest), "", "What customers said:"]
        lines += [f"  “{q.text}” — {quote_credit(q)}" for q in digest.quotes] or ["  (none)"]
        lines += ["", "Thanks to:"]
        lines += [f"  {helper_text(h)}" for h in digest.helpers] or ["  (nobody yet)"]
    if digest.oldest_open:
        lines += ["", "Waiting longest for someone to claim them:"]
        lines += [
            f"  {i.ref} {i.title} · waiting {duration(i.waiting_minutes)}"
            for i in digest.oldest_open
        ]
    lines += ["", all_hands(digest)]
    return "\n".join(lines)


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
            }
            for t in digest.themes
        ],
        "sentiment": {
            "positive": digest.sentiment.positive,
            "neutral": digest.sentiment.neutral,
            "negative": digest.sentiment.negative,
        },
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
        "helpers": [_helper_json(h) for h in digest.helpers],
        "helpers_week": [_helper_json(h) for h in digest.helpers_week],
        "distinct_helpers_month": digest.distinct_helpers_month,
        "median_minutes_to_claim": digest.median_minutes_to_claim,
        "median_minutes_to_close": digest.median_minutes_to_close,
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
    }
