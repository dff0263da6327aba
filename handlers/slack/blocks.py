"""Pure message builders: an item (as it is now) → a Block Kit card, list rows, thread notes.

Built from typed `slack_sdk.models.blocks`, which check each field's limits when serialised; the
limits slack_sdk never checks (50 blocks a message, 3,000 characters a section) hold by
construction. Customer text always goes through `handlers.slack.text` and into `verbatim`
mrkdwn, so it can neither ping nor link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)

from bot import notes
from bot.customers.story import NO_STORY, AccountFact, CustomerStory, EarlierItem, History
from bot.domain import Event, EventKind, Feedback, Kind, Person, Platform, State, ref_for
from bot.ports.spikes import SpikeNotice
from bot.trackers.issues import link_lines
from handlers.slack.ids import SlackId
from handlers.slack.text import escape, escaped_pieces, escaped_preview, one_line

SECTION_CHARS = 3_000
MAX_BLOCKS = 50
BODY_PREVIEW_CHARS = 1_200
TITLE_CHARS = 150
RESOLUTION_CHARS = 1_000
NOTE_CHARS = 2_000
FALLBACK_CHARS = 300
STORY_COMMENTS = 20
STORY_COMMENT_CHARS = 500
FACT_LABEL_CHARS = 64
FACT_VALUE_CHARS = 160
FIX_LINES = 4  # linked fixes shown on a card
FIX_CHARS = 150
ALERT_LINE_CHARS = 1_000  # escaped; a context block holds 3,000 and an alert has two lines
EARLIER_SUMMARY_CHARS = 120
KIND_EMOJI = {
    Kind.COMPLAINT: ":rage:",
    Kind.BUG: ":bug:",
    Kind.QUESTION: ":question:",
    Kind.FEEDBACK: ":speech_balloon:",
    Kind.PRAISE: ":tada:",
}
STATE_REACTION = {State.CLAIMED: "eyes", State.CLOSED: "white_check_mark"}

# person id → Slack user id, for the people shown on a card who have a Slack account
Mentions = Mapping[int, str]


@dataclass(frozen=True, slots=True)
class Message:
    """`text` is the notification fallback (escaped too: it is mrkdwn as well)."""

    text: str
    blocks: list[Block]


def card(item: Feedback, mentions: Mentions, story: CustomerStory = NO_STORY) -> Message:
    """The item's card; `story` adds what is known of its customer (account, earlier items)."""
    blocks: list[Block] = [
        title_section(item),
        ContextBlock(elements=[verbatim(_facts(item))]),
    ]
    if story.account:
        blocks.append(ContextBlock(elements=[verbatim(_account(story.account))]))
    preview, cut = escaped_preview(item.body, BODY_PREVIEW_CHARS)
    show_full = ButtonElement(text="Show full text", action_id=SlackId.SHOW_FULL, value=item.ref)
    shows_less = cut or item.text_masked
    blocks.append(SectionBlock(text=verbatim(preview), accessory=show_full if shows_less else None))
    if item.tags:
        tags = " ".join(f"`#{escape(tag)}`" for tag in item.tags)
        blocks.append(ContextBlock(elements=[verbatim(tags)]))
    blocks += _repeats(item, story)
    merge_or_split = None if item.duplicate_of else _merge_or_split(item)
    blocks.append(SectionBlock(text=verbatim(state_line(item, mentions)), accessory=merge_or_split))
    if item.links:  # a few short lines, so even all escaped they fit a context element
        shown = link_lines(item)[:FIX_LINES]
        fixes = "\n".join(f":link: {escape(one_line(line, FIX_CHARS))}" for line in shown)
        blocks.append(ContextBlock(elements=[verbatim(fixes)]))
    if item.reply_held:
        blocks += _held_reply(item)
    if refusal := notes.refusal_line(item):
        retry = ButtonElement(text="Retry", action_id=SlackId.RETRY_REPLY, value=item.ref)
        blocks += [SectionBlock(text=verbatim(escape(refusal)), accessory=retry)]
    blocks.append(ActionsBlock(elements=[*_buttons(item), *_open_source(item), _overflow(item)]))
    blocks += _history(story.history)
    blocks += _listed("Similar items", story.similar)
    return Message(fallback(item), blocks)


def full_text(item: Feedback) -> Message:
    """The item's title and all of its words, for the one person who asked to see them."""
    pieces = list(escaped_pieces(item.body, SECTION_CHARS))[: MAX_BLOCKS - 1]
    body: list[Block] = [SectionBlock(text=verbatim(piece)) for piece in pieces]
    return Message(escape(f"The full text of {item.ref}"), [title_section(item), *body])


def _account(facts: Sequence[AccountFact]) -> str:
    """The allowlisted fields of the company's record: "*plan:* pro · *arr:* 120000".

    Each label and value is cut on its own, so the most fields leads may list (12) fit the
    3,000 characters of a context element.
    """
    return " · ".join(
        f"*{escaped_preview(f.label, FACT_LABEL_CHARS)[0]}:* "
        + escaped_preview(f.value, FACT_VALUE_CHARS)[0]
        for f in facts
    )


def _repeats(item: Feedback, story: CustomerStory) -> list[Block]:
    """Who else reported this (on the card they joined), or where this card was merged."""
    if item.duplicate_of:
        return [
            ContextBlock(elements=[verbatim(f":link: *Merged into {ref_for(item.duplicate_of)}*")])
        ]
    if story.repeats is None:
        return []
    line, _ = escaped_preview(story.repeats.line(), 1_000)
    return [ContextBlock(elements=[verbatim(f":repeat: {line}")])]


def _history(history: History) -> list[Block]:
    """A "3 earlier items from this customer" line, then one line each with a Show button."""
    if not history.count:
        return []
    plural = "s" if history.count != 1 else ""
    return _listed(f"{history.count} earlier item{plural} from this customer", history.shown)


def _listed(head: str, items: Sequence[EarlierItem]) -> list[Block]:
    """A bold heading line, then one line per item with a Show button."""
    if not items:
        return []
    blocks: list[Block] = [ContextBlock(elements=[verbatim(f"*{head}*")])]
    for earlier in items:
        show = ButtonElement(text="Show", action_id=SlackId.SHOW_FULL, value=earlier.ref)
        blocks.append(SectionBlock(text=verbatim(_earlier_line(earlier)), accessory=show))
    return blocks


def _earlier_line(earlier: EarlierItem) -> str:
    """`FB-3` · ✅ Closed by Ana: Refunded both charges… — Card declined"""
    emoji = {State.OPEN: ":large_green_circle:", State.CLAIMED: ":eyes:"}
    line = f"`{earlier.ref}` · {emoji.get(earlier.state, ':white_check_mark:')} "
    line += earlier.state.value.capitalize()
    if earlier.by is not None and earlier.platform is not None:
        line += f" by {who(earlier.by, earlier.platform, {})}"  # a name: nobody is paged
    line += _quoted(earlier.resolution_start)
    return f"{line} — {escape(one_line(earlier.summary, EARLIER_SUMMARY_CHARS))}"


def title_section(item: Feedback) -> SectionBlock:
    return SectionBlock(text=verbatim(f"*{escape(headline(item))}*"))


def headline(item: Feedback) -> str:
    """Kind emoji, FB-12 and the title (or the body's start), on one line."""
    title = one_line(item.title or item.body, TITLE_CHARS)
    return f"{KIND_EMOJI[item.kind]} {item.ref} · {title}"


def fallback(item: Feedback) -> str:
    return escape(one_line(f"{headline(item)} ({item.state.value})", FALLBACK_CHARS))


def state_line(item: Feedback, mentions: Mentions) -> str:
    """Open — nobody has it yet / Claimed by @ana · 3 minutes ago / Closed by @ana: note."""
    if item.state is State.CLAIMED and item.claimed:
        holder = item.claimed
        name = who(holder.person, holder.platform, mentions)
        return f":eyes: Claimed by {name} · {_ago(holder.at)}"
    if item.state is State.CLOSED and item.closed:
        closer = who(item.closed.person, item.closed.platform, mentions)
        note = _quoted(item.resolution, limit=RESOLUTION_CHARS)
        told = " _(the customer will be told)_" if item.notify_customer else ""
        return f":white_check_mark: Closed by {closer}{note}{told}"
    return ":large_green_circle: Open — nobody has it yet"


def who(person: Person, platform: Platform, mentions: Mentions) -> str:
    """A Slack mention when the person has a Slack account, else their name and platform."""
    if person.id in mentions:
        return f"<@{mentions[person.id]}>"
    name = escape(person.name or person.email or f"person {person.id}")
    return name if platform is Platform.SLACK else f"{name} (in {platform.value.capitalize()})"


def note(item: Feedback, event: Event, mentions: Mentions) -> Message | None:
    """The thread note for a change, or None for changes that need none.

    A reminder that the holder has gone quiet carries the card's own Unclaim and Close…
    buttons while the item is still claimed, so it can be acted on from the thread; a refused
    reply to the customer carries Retry.
    """
    text = _change_line(event, mentions)
    if text is None and (follow_up := notes.follow_up(item, event)):
        text = escape(follow_up)  # the bot's own nudge, escalation or reminder
    if text is None:
        return None
    blocks: list[Block] = [SectionBlock(text=verbatim(text))]
    if event.kind is EventKind.REMINDED and item.state is State.CLAIMED:
        blocks.append(ActionsBlock(elements=_buttons(item)))
    if event.kind is EventKind.REPLY_FAILED:
        retry = ButtonElement(text="Retry", action_id=SlackId.RETRY_REPLY, value=item.ref)
        blocks.append(ActionsBlock(elements=[retry]))
    return Message(text, blocks)


def direct_message(text: str, reply_ref: str | None) -> Message:
    """A direct message from the bot; with `reply_ref`, a button opening that item's Reply to
    customer… modal."""
    escaped = escape(text)
    blocks: list[Block] = [SectionBlock(text=verbatim(escaped))]
    if reply_ref is not None:
        reply = ButtonElement(text="Reply to customer…", action_id=SlackId.REPLY, value=reply_ref)
        blocks.append(ActionsBlock(elements=[reply]))
    return Message(escaped, blocks)


def urgent_mention(item: Feedback, group_id: str) -> Message:
    """The thread message that pages a user group for an urgent item.

    `group_id` was validated as a user group id when the route was saved; the rest is ours.
    """
    text = f"<!subteam^{group_id}> {escape(notes.urgent_call(item))}"
    return Message(text, [SectionBlock(text=verbatim(text))])


def plain(text: str) -> Message:
    """A message of our own words only (a flood's summary), escaped like any text."""
    shown = escape(text)
    return Message(shown, [SectionBlock(text=verbatim(shown))])


def spike_alert(notice: SpikeNotice) -> Message:
    """A spike alert: its headline bold, its details beneath (masked already, escaped here)."""
    headline = escape(one_line(notice.headline, TITLE_CHARS))
    details = "\n".join(
        escaped_preview(" ".join(line.split()), ALERT_LINE_CHARS)[0] for line in notice.lines
    )
    blocks: list[Block] = [SectionBlock(text=verbatim(f"*{headline}*"))]
    if details:
        blocks.append(ContextBlock(elements=[verbatim(details)]))
    return Message(headline, blocks)


def _change_line(event: Event, mentions: Mentions) -> str | None:
    """The one line a person's change gets in the card's thread."""
    actor = who(event.actor, event.platform, mentions) if event.actor else "Someone"
    data = event.data
    match event.kind:
        case EventKind.CLAIMED:
            return f"{actor} claimed this"
        case EventKind.UNCLAIMED:
            return f"{actor} gave this back"
        case EventKind.REOPENED:
            return f"{actor} reopened this"
        case EventKind.CLOSED:
            return f"{actor} closed this" + _quoted(data.get("resolution"))
        case EventKind.HANDED_OFF:
            target = data.get("to_id")
            if isinstance(target, int) and target in mentions:
                to = f"<@{mentions[target]}>"
            else:
                to = escape(str(data.get("to_name", "someone")))
            return f"{actor} handed this to {to}" + _quoted(data.get("note"))
        case EventKind.COMMENTED:
            return f"{actor}:" + _quoted(data.get("text"), sep=" ")
        case EventKind.EDITED:
            return f"{actor} changed {_edits(data)}"
        case EventKind.LINKED:
            return f"{actor} linked the fix: {escape(str(data.get('url', '')))}"
    return None


def hand_off_story(
    item: Feedback, mentions: Mentions, sender: str, note_text: str, link: str | None
) -> Message:
    """The DM a new holder gets: who passed it on and why, the card, the discussion, the thread."""
    head = f"<@{sender}> handed {item.ref} to you" + _quoted(note_text)
    blocks: list[Block] = [SectionBlock(text=verbatim(head)), *card(item, mentions).blocks]
    for comment in item.comments[-STORY_COMMENTS:]:
        author = who(comment.author, comment.platform, mentions)
        blocks.append(
            ContextBlock(
                elements=[verbatim(f"{author}:" + _quoted(comment.text, " ", STORY_COMMENT_CHARS))]
            )
        )
    if link:
        blocks.append(SectionBlock(text=verbatim(f"<{link}|Open the card's thread>")))
    return Message(escape(f"{item.ref} was handed to you"), blocks)


def item_rows(items: Sequence[Feedback], *, claim_buttons: bool) -> list[Block]:
    """One section per item (for lists in commands and App Home), with a Claim button."""
    rows: list[Block] = []
    for item in items:
        button = ButtonElement(
            text="Claim", action_id=SlackId.CLAIM, value=item.ref, style="primary"
        )
        text = f"*{escape(headline(item))}*\n{escape(one_line(item.body, 200))}"
        rows.append(
            SectionBlock(
                text=verbatim(text),
                accessory=button if claim_buttons and item.state is State.OPEN else None,
            )
        )
    return rows


def _facts(item: Feedback) -> str:
    customer = item.customer
    name = customer.name or customer.email or "Unknown customer"
    extras = ", ".join(x for x in (customer.company, customer.tier) if x)
    who_said = f"{name} ({extras})" if extras else name
    received = _date(item.received_at, "{date_short_pretty} {time}")
    severity = (
        f"*{item.severity.value}*"
        if item.severity.value in {"high", "urgent"}
        else (item.severity.value)
    )
    source = item.source + (f": {item.source_status}" if item.source_status else "")
    rated = f" · :star: {item.csat}/5" if item.csat else ""
    return f"{escape(one_line(who_said, 300))} · {escape(source)} · {severity} · {received}{rated}"


def _buttons(item: Feedback) -> list[ButtonElement]:
    ref = item.ref
    close = ButtonElement(text="Close…", action_id=SlackId.CLOSE, value=ref)
    if item.state is State.OPEN:
        claim = ButtonElement(text="Claim", action_id=SlackId.CLAIM, value=ref, style="primary")
        return [claim, close]
    if item.state is State.CLAIMED:
        return [ButtonElement(text="Unclaim", action_id=SlackId.UNCLAIM, value=ref), close]
    return [ButtonElement(text="Reopen", action_id=SlackId.REOPEN, value=ref)]


def _overflow(item: Feedback) -> OverflowMenuElement:
    def option(choice: SlackId, text: str, url: str | None = None) -> Option:
        return Option(value=f"{choice}:{item.ref}", text=text, url=url)

    options = [option(SlackId.HAND_OFF, "Hand off to…")] if item.state is not State.CLOSED else []
    options += [option(SlackId.SEVERITY, "Change severity"), option(SlackId.TAGS, "Edit tags")]
    options.append(option(SlackId.REPLY, "Reply to customer…"))
    options.append(option(SlackId.LINK, "Link issue…"))  # Slack allows five
    return OverflowMenuElement(action_id=SlackId.MORE, options=options)


def _merge_or_split(item: Feedback) -> OverflowMenuElement:
    """Beside the state line, as the card's own menu holds Slack's five options already."""
    option = Option(value=f"{SlackId.REPEATS}:{item.ref}", text="Merge or split…")
    return OverflowMenuElement(action_id=SlackId.MORE, options=[option])


def _held_reply(item: Feedback) -> list[Block]:
    """A reply waiting for a lead: their Approve sends it, Edit… opens its words first."""
    ref = item.ref
    buttons = [
        ButtonElement(
            text="Approve reply", action_id=SlackId.APPROVE_REPLY, value=ref, style="primary"
        ),
        ButtonElement(text="Edit reply…", action_id=SlackId.EDIT_REPLY, value=ref),
    ]
    line = ":raised_hand: A reply to the customer waits for a lead's approval."
    return [SectionBlock(text=verbatim(line)), ActionsBlock(elements=buttons)]


def _open_source(item: Feedback) -> list[ButtonElement]:
    """A link button (the overflow menu has no room left for it): Slack opens the URL itself."""
    if not item.url:
        return []
    return [ButtonElement(text="Open source", action_id=SlackId.OPEN_SOURCE, url=item.url)]


def _edits(data: Mapping[str, object]) -> str:
    changes = []
    severity = data.get("severity")
    if isinstance(severity, list):
        changes.append(f"severity to *{escape(str(severity[-1]))}*")
    tags = data.get("tags")
    if isinstance(tags, list) and tags:
        new = tags[-1] if isinstance(tags[-1], list) else []
        shown = " ".join(f"`#{escape(str(t))}`" for t in new) or "none"
        changes.append(f"tags to {shown}")
    return " and ".join(changes) or "this"


def _quoted(text: object, sep: str = ": ", limit: int = NOTE_CHARS) -> str:
    if not isinstance(text, str) or not text.strip():
        return ""
    return sep + escaped_preview(" ".join(text.split()), limit)[0]


def _ago(at: datetime) -> str:
    return _date(at, "{ago}")


def _date(at: datetime, token: str) -> str:
    """Slack renders the date in each reader's time zone and keeps `{ago}` current."""
    return f"<!date^{int(at.timestamp())}^{token}|{at:%Y-%m-%d %H:%M} UTC>"


def verbatim(text: str) -> MarkdownTextObject:
    """mrkdwn Slack will not auto-link or auto-mention (only our own `<@U…>` markup acts)."""
    return MarkdownTextObject(text=text, verbatim=True)
