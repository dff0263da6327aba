"""What the bot itself says in a card's thread: its follow-ups and the page for urgent items.

Plain text: each chat adapter escapes and wraps it for its platform.
"""

from __future__ import annotations

from bot.domain import Event, EventKind, Feedback, State

REFUSAL_CHARS = 300  # of a refused reply's reason on the card; the thread note has it all


def follow_up(item: Feedback, event: Event) -> str | None:
    """The thread line for what the bot saw happen on its own (a nudge, an escalation, a
    reminder, the source changing the conversation's status, the customer editing what they
    wrote, a linked fix shipping or reopening, a reply to the customer, held for a lead's
    approval or refused), else
    None."""
    data = event.data
    if event.kind is EventKind.NUDGED:
        return f"⏰ {item.ref} has waited {data.get('minutes')} min for someone. Can you take it?"
    if event.kind is EventKind.ESCALATED:
        leads = data.get("leads")
        named = (
            ", ".join(str(n) for n in leads) if isinstance(leads, list) and leads else "the leads"
        )
        return f"🚨 {item.ref} has waited {data.get('minutes')} min: escalated to {named}."
    if event.kind is EventKind.REMINDED:
        return (
            f"👋 {data.get('holder', 'Whoever has it')}: {item.ref} has been quiet for "
            f"{data.get('hours')} h. Still on it? If not, unclaim or close it."
        )
    if event.kind is EventKind.SOURCE_STATUS:
        return f"🔄 In {data.get('source', item.source)}, {item.ref} is now {data.get('status')}."
    if event.kind is EventKind.REVISED:
        rating = data.get("rating")
        stars = f" (now {rating}★)" if isinstance(rating, int) else ""
        what = data.get("what", "message")
        return f"✏️ The customer edited their {what}{stars}: the card shows the new version."
    if event.kind is EventKind.FIX_SHIPPED:
        return f"🚀 Fix shipped: {data.get('title')} ({data.get('url')}). Tell the customer."
    if event.kind is EventKind.FIX_REOPENED:
        return f"↩️ Fix reopened: {data.get('title')} ({data.get('url')})."
    if event.kind is EventKind.REPEATED:
        held = item.claimed if item.state is State.CLAIMED else None
        told = f"{held.person.name}: a" if held else "A"
        return f"🔁 {told}nother customer reported this ({data.get('ref')}): see the card."
    if event.kind is EventKind.SPLIT:
        return f"↔️ {data.get('ref')} is not the same problem: it has a card of its own now."
    if event.kind is EventKind.MERGED and item.ref == data.get("into"):
        return f"🔗 {data.get('from')} and its customers were merged into this card."
    if event.kind is EventKind.MERGED:
        return f"🔗 Merged into {data.get('into')}: its customers are counted there now."
    who = event.actor.name if event.actor else "Someone"
    if event.kind is EventKind.REPLIED:
        did = "approved the reply" if data.get("approved") else "replied"
        return f"✉️ {who} {did} to the customer by {data.get('channel', 'email')}."
    if event.kind is EventKind.CSAT_RATED:
        return f"⭐ The customer rated the answer {data.get('score')}/5."
    if event.kind is EventKind.REPLY_HELD:
        leads = data.get("leads")
        named = ", ".join(str(n) for n in leads) if isinstance(leads, list) and leads else "a lead"
        return (
            f"✋ {who}'s reply to the customer waits for {named} to approve it: "
            "Approve or Edit it on the card."
        )
    if event.kind is EventKind.REPLY_FAILED:
        return (
            f"⚠️ The reply to the customer was refused: {data.get('error')}. "
            f"Retry sends it again (or `allhands feedback reply-retry {item.ref}`)."
        )
    return None


def refusal_line(item: Feedback) -> str | None:
    """The card's line while the item's latest reply stands refused: the vendor's or mail
    server's reason on one line, cut."""
    refused = item.refused_reply
    if refused is None:
        return None
    reason = " ".join((refused.error or "no reason given").split())
    if len(reason) > REFUSAL_CHARS:
        reason = reason[: REFUSAL_CHARS - 1].rstrip() + "…"
    return f"⚠️ Reply to the customer refused: {reason}"


def urgent_call(item: Feedback) -> str:
    """What follows the mention of the on-call group when an urgent item arrives."""
    return f"urgent: {item.ref} needs someone now"
