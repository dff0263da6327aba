"""Adaptive Cards 1.5 for feedback items: pure functions from the model to card JSON.

A card is always rebuilt from the item as it is now ("Claimed by Ana (in Slack)"), never patched.
Buttons are Universal Actions (`Action.Execute`), so Teams sends every click to the bot as an
`adaptiveCard/action` invoke and shows the card the bot answers with. The card's `refresh`
lists the claimer, whose client then asks for their own view: the one with Unclaim.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from bot.customers.story import NO_STORY, AccountFact, CustomerStory, EarlierItem, History
from bot.domain import (
    BODY_MAX_CHARS,
    Actor,
    Event,
    EventKind,
    Feedback,
    Holder,
    Person,
    Platform,
    Severity,
    State,
    can_unclaim,
    holder_name,
    ref_for,
)
from bot.notes import follow_up, refusal_line
from bot.ports.spikes import SpikeNotice
from bot.trackers.issues import link_lines

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
BODY_PREVIEW_CHARS = 1_500
NOTE_PREVIEW_CHARS = 300
ALERT_HEADLINE_CHARS = 150
ALERT_LINE_CHARS = 500
RESOLUTION_INPUT = "resolution"
TELL_INPUT = "tell_customer"  # the close form's toggle: the resolution goes to the customer
REPLY_INPUT = "reply"
ISSUE_INPUT = "issue_url"
EDITED_REPLY_INPUT = "edited_reply"
EARLIER_SUMMARY_CHARS = 120
FACT_LABEL_CHARS = 64
REFRESH_USERS_MAX = 60  # Teams refreshes automatically for at most 60 listed users

_PLATFORM_LABEL = {
    Platform.SLACK: "Slack",
    Platform.API: "the API",
    Platform.CLI: "the command line",
    Platform.SYSTEM: "automation",
}
# Characters that would turn customer text into markdown (bold, links, headings, quotes).
_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_~[]#>"})
# In a message `>` becomes an entity instead (a backslash before it would show).
_MESSAGE_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "\\`*_~[]#"})


MERGE_INPUT = "merge_into"
SPLIT_INPUT = "split_out"


class Verb(StrEnum):
    """`Action.Execute` verbs; the invoke handler dispatches on these."""

    CLAIM = "allhands.claim"
    UNCLAIM = "allhands.unclaim"
    CLOSE = "allhands.close"
    REOPEN = "allhands.reopen"
    REFRESH = "allhands.refresh"
    SHOW = "allhands.show"  # an earlier item of the customer's, named on the card
    SHOW_FULL = "allhands.show_full"  # the item's words unmasked, to the one who clicked
    RETRY_REPLY = "allhands.retry_reply"  # on a refused reply's note in the card's thread
    MERGE = "allhands.merge"  # this card's items join the card of the item typed in
    SPLIT = "allhands.split"  # the repeat typed in leaves this card for its own
    REPLY = "allhands.reply"  # the card form's text, sent to the customer
    LINK = "allhands.link"  # the card form's tracker issue URL, linked as the fix
    APPROVE_REPLY = "allhands.approve_reply"  # a lead lets a held reply go (edited, or not)
    EDIT_REPLY = "allhands.edit_reply"  # a held reply's words, in a form for the lead alone


def plain(text: str, limit: int) -> str:
    """Customer or colleague text shown as text on a card: markdown neutralised, cut with "…"."""
    return _cut(text, limit).translate(_MARKDOWN)


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


def feedback_card(
    item: Feedback,
    viewer: Person | None = None,
    refresh_for: Sequence[str] = (),
    story: CustomerStory = NO_STORY,
    *,
    whole: bool = False,
) -> dict[str, Any]:
    """The card of `item` as `viewer` should see it (None: the copy everybody sees).

    `refresh_for` are Teams user ids whose clients fetch their own view automatically; `story`
    adds what is known of the customer (account fields, earlier items). `whole` shows all of
    the body (the personal card "Show full text" answers with); otherwise a body that is cut
    or masked gets that button.
    """
    body_chars = BODY_MAX_CHARS if whole else BODY_PREVIEW_CHARS
    actions = _actions(item, viewer)
    if not whole and (item.text_masked or len(item.body.strip()) > BODY_PREVIEW_CHARS):
        actions.append(_execute("Show full text", Verb.SHOW_FULL, item))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": f"{item.ref}: {plain(item.title or item.body, 200)}",
        "body": [
            *_body(item, story.account, body_chars),
            *_repeats(item, story),
            *_held_reply(item),
            *_refused_reply(item),
            *_history(story.history),
            *_listed("Similar items", story.similar),
        ],
        "actions": actions,
    }
    user_ids = list(dict.fromkeys(refresh_for))[:REFRESH_USERS_MAX]
    if user_ids:
        card["refresh"] = {
            "action": _execute("Refresh", Verb.REFRESH, item),
            "userIds": user_ids,
        }
    return card


def message_card(lines: Sequence[str]) -> dict[str, Any]:
    """A plain card for command answers that list several items."""
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "body": [{"type": "TextBlock", "text": line, "wrap": True} for line in lines],
    }


def retry_card(item: Feedback, note: str) -> dict[str, Any]:
    """A refused reply's note, with Retry: the reply goes out once more, as it was written."""
    card = message_card([note])
    card["actions"] = [_execute("Retry", Verb.RETRY_REPLY, item, style="positive")]
    return card


def spike_card(notice: SpikeNotice) -> dict[str, Any]:
    """A spike alert: its headline bold, its details beneath (masked already)."""
    headline = plain(notice.headline, ALERT_HEADLINE_CHARS)
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": headline,
        "body": [
            {"type": "TextBlock", "text": headline, "weight": "Bolder", "wrap": True},
            *(
                {"type": "TextBlock", "text": plain(line, ALERT_LINE_CHARS), "wrap": True}
                for line in notice.lines
            ),
        ],
    }


def status_line(item: Feedback) -> str:
    if item.state is State.CLAIMED and item.claimed:
        return f"Claimed by {_who(item.claimed)}"
    if item.state is State.CLOSED and item.closed:
        return f"Closed by {_who(item.closed)}"
    return "Open: waiting for someone to claim it"


def note_text(item: Feedback, event: Event) -> str:
    """The one line posted in the card's thread after a change, safe as message text: a
    message renders markdown and HTML, so names and customer words are escaped for both."""
    return message_safe(_note_line(item, event))


def _note_line(item: Feedback, event: Event) -> str:
    who = event.actor.name if event.actor else "Someone"
    where = _where(event.platform)
    data = event.data
    if event.kind is EventKind.COMMENTED:
        return f"{who}{where}: {_cut(str(data.get('text', '')), NOTE_PREVIEW_CHARS)}"
    if event.kind is EventKind.HANDED_OFF:
        note = str(data.get("note") or "")
        return f"{who}{where} handed {item.ref} to {data.get('to_name', 'someone')}" + (
            f": {_cut(note, NOTE_PREVIEW_CHARS)}" if note else "."
        )
    if event.kind is EventKind.CLOSED:
        resolution = str(data.get("resolution") or "")
        return f"{who}{where} closed {item.ref}" + (
            f": {_cut(resolution, NOTE_PREVIEW_CHARS)}" if resolution else "."
        )
    if event.kind is EventKind.LINKED:
        return f"{who}{where} linked the fix for {item.ref}: {data.get('url', '')}"
    follow_up_line = follow_up(item, event)
    if follow_up_line is not None:
        return follow_up_line
    verb = {
        EventKind.INGESTED: "logged",
        EventKind.CLAIMED: "claimed",
        EventKind.UNCLAIMED: "unclaimed",
        EventKind.REOPENED: "reopened",
        EventKind.EDITED: "edited",
    }.get(event.kind, event.kind.value)
    return f"{who}{where} {verb} {item.ref}."


def message_safe(text: str) -> str:
    """Text for a Teams message: markdown neutralised, then `<`, `>` and `&` as entities (so
    `<at>` cannot mention anyone and no tag renders)."""
    return html.escape(text.translate(_MESSAGE_MARKDOWN), quote=False)


def _who(holder: Holder) -> str:
    return holder_name(holder.person) + _where(holder.platform)


def _where(platform: Platform) -> str:
    label = _PLATFORM_LABEL.get(platform)
    return f" (in {label})" if label else ""


def queue_card(intro: str, items: Sequence[Feedback]) -> dict[str, Any]:
    """The rota's direct message: the open queue, each item with its own Claim button.

    The buttons are the item cards' Claim (same verb and data), so a click there is an
    ordinary claim and answers with that item's card.
    """
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": intro, "wrap": True}]
    for item in items:
        summary = plain(item.title or item.body, 200)
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    _header(item),
                    {"type": "TextBlock", "text": summary, "wrap": True, "maxLines": 2},
                    {
                        "type": "ActionSet",
                        "actions": [_execute("Claim", Verb.CLAIM, item, style="positive")],
                    },
                ],
            }
        )
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": intro,
        "body": body,
    }


def _header(item: Feedback) -> dict[str, Any]:
    urgent = item.severity in (Severity.HIGH, Severity.URGENT)
    return {
        "type": "TextBlock",
        "text": f"{item.ref} · {item.kind.value.capitalize()} · {item.severity.value.capitalize()}",
        "weight": "Bolder",
        "color": "Attention" if urgent else "Default",
        "wrap": True,
    }


def _body(
    item: Feedback, account: Sequence[AccountFact] = (), body_chars: int = BODY_PREVIEW_CHARS
) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [_header(item)]
    if item.title:
        body.append(
            {"type": "TextBlock", "text": plain(item.title, 300), "size": "Medium", "wrap": True}
        )
    body.append({"type": "TextBlock", "text": plain(item.body, body_chars), "wrap": True})
    facts = [
        ("Customer", item.customer.name or item.customer.email),
        ("Company", item.customer.company),
        ("Tier", item.customer.tier),
        *((plain(fact.label, FACT_LABEL_CHARS), fact.value) for fact in account),
        ("Area", item.product_area),
        ("Tags", ", ".join(item.tags) or None),
        ("Source", item.source + (f" ({item.source_status})" if item.source_status else "")),
        ("Satisfaction", f"{item.csat}/5" if item.csat else None),
    ]
    body.append(
        {
            "type": "FactSet",
            "facts": [{"title": t, "value": plain(v, 200)} for t, v in facts if v],
        }
    )
    status = status_line(item)
    if item.state is State.CLOSED and item.resolution:
        status += f": {plain(item.resolution, NOTE_PREVIEW_CHARS)}"
    body.append({"type": "TextBlock", "text": status, "isSubtle": True, "wrap": True})
    body += [
        {"type": "TextBlock", "text": plain(line, 300), "wrap": True} for line in link_lines(item)
    ]
    return body


def _repeats(item: Feedback, story: CustomerStory) -> list[dict[str, Any]]:
    """Who else reported this (on the card they joined), or where this card was merged."""
    if item.duplicate_of:
        text = f"🔗 Merged into {ref_for(item.duplicate_of)}"
    elif story.repeats:
        text = "🔁 " + plain(story.repeats.line(), 600)
    else:
        return []
    return [{"type": "TextBlock", "text": text, "weight": "Bolder", "wrap": True}]


def _held_reply(item: Feedback) -> list[dict[str, Any]]:
    """A reply waiting for a lead: their Approve sends it, Edit… answers them with its words."""
    if not item.reply_held:
        return []
    buttons = [
        _execute("Approve reply", Verb.APPROVE_REPLY, item, style="positive"),
        _execute("Edit reply…", Verb.EDIT_REPLY, item),
    ]
    line = "✋ A reply to the customer waits for a lead's approval."
    return [
        {"type": "TextBlock", "text": line, "weight": "Bolder", "separator": True, "wrap": True},
        {"type": "ActionSet", "actions": buttons},
    ]


def _refused_reply(item: Feedback) -> list[dict[str, Any]]:
    """The reason the customer's reply was refused, with Retry (the card's own actions are at
    Teams' limit, so it sits in the body)."""
    refusal = refusal_line(item)
    if refusal is None:
        return []
    retry = _execute("Retry", Verb.RETRY_REPLY, item, style="positive")
    return [
        {"type": "TextBlock", "text": plain(refusal, 400), "separator": True, "wrap": True},
        {"type": "ActionSet", "actions": [retry]},
    ]


def edit_reply_card(item: Feedback, text: str) -> dict[str, Any]:
    """The form a lead gets (to themselves) from Edit…: Send approves the reply as it then reads."""
    field = _input(EDITED_REPLY_INPUT, f"Reply on {item.ref}", "What the customer will read")
    field["value"] = text
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": f"The reply on {item.ref}",
        "body": [_header(item), field],
        "actions": [_execute("Send", Verb.APPROVE_REPLY, item, style="positive")],
    }


def _history(history: History) -> list[dict[str, Any]]:
    """A "3 earlier items from this customer" line, then a line and a Show button each."""
    if not history.count:
        return []
    plural = "s" if history.count != 1 else ""
    return _listed(f"{history.count} earlier item{plural} from this customer", history.shown)


def _listed(head: str, items: Sequence[EarlierItem]) -> list[dict[str, Any]]:
    """A bold heading line, then a line each and a Show button per item."""
    if not items:
        return []
    lines: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": head, "weight": "Bolder", "separator": True, "wrap": True}
    ]
    lines += [
        {"type": "TextBlock", "text": earlier_line(e), "isSubtle": True, "wrap": True}
        for e in items
    ]
    shows = [
        {"type": "Action.Execute", "title": e.ref, "verb": Verb.SHOW.value, "data": {"ref": e.ref}}
        for e in items
    ]
    return [*lines, {"type": "ActionSet", "actions": shows}] if shows else lines


def earlier_line(earlier: EarlierItem) -> str:
    """FB-3 · Closed by Ana (in Slack): Refunded both charges… · Card declined"""
    line = f"{earlier.ref} · {earlier.state.value.capitalize()}"
    if earlier.by is not None and earlier.platform is not None:
        line += f" by {holder_name(earlier.by)}{_where(earlier.platform)}"
    if earlier.resolution_start:
        line += f": {plain(earlier.resolution_start, NOTE_PREVIEW_CHARS)}"
    return f"{line} · {plain(' '.join(earlier.summary.split()), EARLIER_SUMMARY_CHARS)}"


def _actions(item: Feedback, viewer: Person | None) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    if item.state is State.OPEN:
        actions.append(_execute("Claim", Verb.CLAIM, item, style="positive"))
    if (
        item.state is State.CLAIMED
        and viewer is not None
        and can_unclaim(item, Actor(viewer, Platform.TEAMS))
    ):
        actions.append(_execute("Unclaim", Verb.UNCLAIM, item))
    if item.state is not State.CLOSED:
        actions.append(_close(item))
    else:
        actions.append(_execute("Reopen", Verb.REOPEN, item))
    if item.url:
        actions.append({"type": "Action.OpenUrl", "title": "Open source", "url": item.url})
    # Teams shows six actions at most: Claim or Unclaim, Close or Reopen, Open source, these two
    # and Show full text; Merge or split… goes in the card's "…" menu (a secondary action).
    actions.append(_reply_form(item.ref))
    issue = _input(ISSUE_INPUT, "Issue URL", "https://github.com/org/repo/issues/12", False)
    actions.append(_form("Link issue…", issue, _execute("Link", Verb.LINK, item)))
    if item.duplicate_of is None:
        actions.append(_merge_or_split(item))
    return actions


def _merge_or_split(item: Feedback) -> dict[str, Any]:
    """ "Merge into FB-…" and "Not the same problem" (a repeat on this card back to its own)."""

    def ref_input(input_id: str, label: str) -> dict[str, Any]:
        return {"type": "Input.Text", "id": input_id, "label": label, "placeholder": "FB-12"}

    form = {
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": [
            ref_input(MERGE_INPUT, f"Merge {item.ref}'s card into"),
            ref_input(SPLIT_INPUT, "Not the same problem: give this repeat its own card"),
        ],
        "actions": [
            _execute("Merge", Verb.MERGE, item),
            _execute("Split out", Verb.SPLIT, item),
        ],
    }
    return {
        "type": "Action.ShowCard",
        "title": "Merge or split…",
        "card": form,
        "mode": "secondary",
    }


def _close(item: Feedback) -> dict[str, Any]:
    resolution = _input(RESOLUTION_INPUT, "Resolution (optional)", "What was done, for the record")
    tell = {
        "type": "Input.Toggle",
        "id": TELL_INPUT,
        "title": "Tell the customer (they get the resolution as a reply)",
        "valueOn": "true",
        "valueOff": "false",
    }
    close = _execute("Close", Verb.CLOSE, item, style="destructive")
    return _form("Close…", resolution, close, tell)


def _input(input_id: str, label: str, placeholder: str, multiline: bool = True) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "placeholder": placeholder,
        "isMultiline": multiline,
        "maxLength": 4000,
    }


def _form(
    title: str, field: dict[str, Any], submit: dict[str, Any], *more: dict[str, Any]
) -> dict[str, Any]:
    """A button that opens a form under the card (a field, and `more` inputs after it); its
    button sends them along."""
    form = {"type": "AdaptiveCard", "version": VERSION, "body": [field, *more], "actions": [submit]}
    return {"type": "Action.ShowCard", "title": title, "card": form}


def _reply_form(ref: str) -> dict[str, Any]:
    reply = _input(REPLY_INPUT, "Reply to the customer", "What the customer will read", True)
    return _form("Reply to customer…", reply, _execute_on("Send", Verb.REPLY, ref))


def direct_card(text: str, reply_ref: str) -> dict[str, Any]:
    """A direct message that lets its reader answer the customer of `reply_ref` (a fix shipped
    for them), with the card's own Reply to customer… form."""
    card = message_card([plain(text, BODY_MAX_CHARS)])
    card["actions"] = [_reply_form(reply_ref)]
    return card


def _execute(title: str, verb: Verb, item: Feedback, style: str | None = None) -> dict[str, Any]:
    return _execute_on(title, verb, item.ref, style)


def _execute_on(title: str, verb: Verb, ref: str, style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb.value,
        "data": {"ref": ref},
    }
    if style:
        action["style"] = style
    return action
