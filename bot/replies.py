"""Answering the customer from a card or the CLI, through the channel their item came from.

An item that came by email (a polled mailbox, an inbound-email webhook) is answered with a
threaded email from the support address; one from a helpdesk or an app store through that
vendor's API, with the access its source was added with (a public comment on the Zendesk
ticket, an admin reply in the Intercom conversation, a Freshdesk reply, a public response to
the review). A reply is stored with its email (its
Message-ID fixed then), a comment and an event, and an outbox row, in one transaction; the
outbox sends it after commit through the `ReplyChannel`.

A vendor can be asked: each vendor reply carries a marker fixed when it is stored, and an
attempt that follows one whose outcome is unknown first looks for the marker (or the text) at
the vendor, sending only when it is not there.

What "exactly once" can mean over SMTP: each attempt sends the message at most once, and a
reply recorded as sent is never sent again. An attempt whose outcome is unknown (the server
took the message but the connection dropped before it answered, or the process died between
sending and recording) is sent again, with the same Message-ID: mail clients and threading
treat the two as one message. No SMTP server can be asked what it received before then.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.admin.configure import stored_setting
from bot.admin.schemas import RepliesConfig
from bot.admin.secrets import SecretBox
from bot.delivery.fanout import Fanout, load
from bot.domain import (
    SYSTEM_IDENTITY_ID,
    Actor,
    EventKind,
    Feedback,
    Identity,
    Person,
    Platform,
    ReplyStatus,
    State,
    id_from_ref,
)
from bot.errors import Conflict, Forbidden, Invalid
from bot.intake import has_visible_text
from bot.ports.clock import Clock
from bot.ports.records import OutboxAction
from bot.ports.replies import Outgoing, OutgoingEmail, VendorReply, key_of
from bot.ports.store import Store, UnitOfWork
from bot.service import COMMENT_MAX_CHARS, Desk
from bot.sources.kinds import SourceKind

log = logging.getLogger(__name__)

EMAIL_KINDS = frozenset(
    {SourceKind.IMAP, SourceKind.POSTMARK, SourceKind.MAILGUN, SourceKind.SENDGRID}
)
# Sources whose vendor's API takes a reply (`handlers/vendors/replies.py` posts it).
VENDOR_KINDS = frozenset(
    {
        SourceKind.ZENDESK,
        SourceKind.INTERCOM,
        SourceKind.FRESHDESK,
        SourceKind.APPSTORE,
        SourceKind.GOOGLEPLAY,
    }
)
SUBJECT_MAX_CHARS = 400
ERROR_MAX_CHARS = 1000
SYSTEM = Identity(Platform.SYSTEM, SYSTEM_IDENTITY_ID, "All Hands")


@dataclass(frozen=True, slots=True)
class Sent:
    """A reply stored and queued; the outbox sends it."""

    item: Feedback
    reply_id: int
    message_id: str  # the email's Message-ID, or the vendor reply's marker
    to: str  # where it goes, for people to read: an address, or a source and its ticket


class Replies:
    def __init__(self, desk: Desk, support_from: str, *, mail_server: bool) -> None:
        """`support_from` is the address replies come from (`ALLHANDS_SUPPORT_FROM`);
        `mail_server` says whether one is set to send them (`ALLHANDS_SMTP_URL`)."""
        self._desk = desk
        self._mail_server = mail_server
        self._db: Store = desk.db
        self._clock: Clock = desk.clock
        self._fanout: Fanout = desk.fanout
        self._from = support_from

    def reply(self, ref: str, who: Identity, text: str) -> Sent:
        """Answer the item's customer: Forbidden unless the `replies` setting lets `who`;
        Invalid when the item has no channel back to the customer."""
        text = text.replace("\x00", "").strip()
        if not has_visible_text(text):
            raise Invalid("A reply needs some text.", "text")
        if len(text) > COMMENT_MAX_CHARS:
            raise Invalid(f"A reply is at most {COMMENT_MAX_CHARS} characters.", "text")
        item_id = item_id_of(ref)
        with self._db.write() as uow:
            now = self._clock.now()
            actor = Actor(uow.people.resolve(who, now), who.platform)
            item = load(uow, item_id)
            uow.feedback.lock(item_id)
            self._may_reply(uow, item, actor)
            channel, outgoing = self._outgoing(uow, item, text)
            reply_id = uow.replies.add(item_id, actor.person.id, channel, outgoing, now)
            uow.feedback.add_comment(
                item_id,
                actor.person.id,
                actor.platform,
                f"Replied to the customer: {text}",
                now,
                None,
            )
            self._queue(uow, item_id, reply_id, now)
            data = {"reply_id": reply_id, "channel": channel, "text": text[:500]}
            logged = self._fanout.log_change(uow, item_id, EventKind.REPLIED, actor, now, data)
            if isinstance(outgoing, OutgoingEmail):  # the customer's answer joins the item
                uow.sources.remember_keys(item.source, [outgoing.message_id], item_id)
            self._fanout.commit(uow, [logged.change])
            return Sent(logged.item, reply_id, key_of(outgoing), addressee(outgoing))

    def retry(self, ref: str, who: Identity) -> Sent:
        """Send the item's last refused reply again (once more, with the same Message-ID or
        marker)."""
        item_id = item_id_of(ref)
        with self._db.write() as uow:
            now = self._clock.now()
            actor = Actor(uow.people.resolve(who, now), who.platform)
            item = load(uow, item_id)
            uow.feedback.lock(item_id)
            failed = uow.replies.last_failed(item_id)
            if failed is None:
                raise Conflict(f"{item.ref} has no failed reply to send again.")
            self._may_reply(uow, item, actor)
            uow.replies.mark(failed.id, ReplyStatus.PENDING, None, now)
            self._queue(uow, item_id, failed.id, now)
            uow.commit()
            return Sent(item, failed.id, key_of(failed.outgoing), addressee(failed.outgoing))

    def outgoing(self, reply_id: int) -> Outgoing | None:
        """What to send for a queued reply; None once it is recorded as sent (or gone)."""
        with self._db.read() as uow:
            stored = uow.replies.get(reply_id)
        if stored is None or stored.status is ReplyStatus.SENT:
            return None
        return stored.outgoing

    def sent(self, message_id: int, reply_id: int) -> None:
        """The outbox sent it: the reply and its outbox row are recorded together."""
        with self._db.write() as uow:
            now = self._clock.now()
            uow.replies.mark(reply_id, ReplyStatus.SENT, None, now)
            uow.outbox.mark_sent(message_id, now)
            uow.commit()

    def refused(self, message_id: int, reply_id: int, error: str) -> None:
        """The mail server or the vendor refused it for good: failed, with its reason noted on
        the card."""
        reason = error[:ERROR_MAX_CHARS]
        with self._db.write() as uow:
            now = self._clock.now()
            uow.outbox.give_up(message_id, reason)
            stored = uow.replies.get(reply_id)
            if stored is None:
                uow.commit()
                return
            uow.replies.mark(reply_id, ReplyStatus.FAILED, reason, now)
            bot = Actor(uow.people.resolve(SYSTEM, now), Platform.SYSTEM)
            data = {"reply_id": reply_id, "error": reason}
            item_id = stored.feedback_id
            logged = self._fanout.log_change(uow, item_id, EventKind.REPLY_FAILED, bot, now, data)
            self._fanout.commit(uow, [logged.change])
        log.warning("replies.refused reply=%s", reply_id)

    # ---- who, where, what ------------------------------------------------------------------

    def _may_reply(self, uow: UnitOfWork, item: Feedback, actor: Actor) -> None:
        who = stored_setting(uow, "replies", SecretBox(None))
        assert isinstance(who, RepliesConfig)
        if actor.person.is_lead or who.who == "anyone":
            return
        if who.who == "leads":
            raise Forbidden(
                "Only support leads may reply to customers (setting replies.who = leads)."
            )
        holder = _holder(item)
        if holder is None:
            raise Forbidden(
                f"Claim {item.ref} before replying: only its holder may answer the customer "
                "(setting replies.who = claimer)."
            )
        if holder.id != actor.person.id:
            role = "closed" if item.state is State.CLOSED else "holds"
            raise Forbidden(
                f"Only {holder.name}, who {role} {item.ref}, or a lead may reply to its customer "
                "(setting replies.who = claimer)."
            )

    def _outgoing(self, uow: UnitOfWork, item: Feedback, text: str) -> tuple[str, Outgoing]:
        """The reply's channel (`email`, or the source's kind) and what it sends; Invalid when
        the item has no way back to its customer."""
        source = uow.sources.get(item.source)
        kind = source.kind if source else None
        if kind in VENDOR_KINDS and item.external_id:
            marker = f"allhands-{item.ref.lower()}-{secrets.token_hex(8)}"
            return str(kind), VendorReply(item.source, item.external_id, marker, text)
        return Platform.EMAIL.value, self._email(uow, item, text, kind)

    def _email(self, uow: UnitOfWork, item: Feedback, text: str, kind: str | None) -> OutgoingEmail:
        if kind not in EMAIL_KINDS:
            came = f"a {kind} source" if kind else "the API or chat"
            raise Invalid(
                f"{item.ref} came from {item.source} ({came}): there is no channel back to the "
                "customer; copy the text and answer them where they wrote.",
                "ref",
            )
        if not item.customer.email:
            raise Invalid(f"{item.ref} has no customer email address to reply to.", "ref")
        if not self._from or not self._mail_server:
            raise Invalid(
                "Set ALLHANDS_SUPPORT_FROM (the support address) and ALLHANDS_SMTP_URL (the mail "
                "server) to reply by email."
            )
        first = [item.external_id] if item.external_id and _is_message_id(item.external_id) else []
        thread = list(dict.fromkeys(first + uow.replies.thread(item.id, item.source)))
        subject = item.title or "Your message"
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        return OutgoingEmail(
            message_id=self._message_id(item),
            sender=self._from,
            to=item.customer.email,
            subject=" ".join(subject.split())[:SUBJECT_MAX_CHARS],
            text=text,
            in_reply_to=thread[-1] if thread else None,
            references=tuple(thread),
        )

    def _message_id(self, item: Feedback) -> str:
        """Fixed when the reply is stored: named by the item and a random part (unique across
        databases sharing a support domain), at the support address's domain."""
        domain = self._from.rpartition("@")[2]
        return f"<allhands.{item.ref.lower()}.{secrets.token_hex(8)}@{domain}>"

    @staticmethod
    def _queue(uow: UnitOfWork, item_id: int, reply_id: int, now: datetime) -> None:
        """One item's replies go out in order, on a channel of their own."""
        payload = {"reply_id": reply_id}
        channel = f"reply:{item_id}"
        uow.outbox.enqueue(Platform.EMAIL, channel, OutboxAction.REPLY, item_id, payload, now)


def addressee(outgoing: Outgoing) -> str:
    if isinstance(outgoing, OutgoingEmail):
        return outgoing.to
    return f"{outgoing.source} ({outgoing.target})"


def item_id_of(ref: str) -> int:
    item_id = id_from_ref(ref)
    if item_id is None:
        raise Invalid(f"'{ref}' is not a feedback reference like FB-12.", "ref")
    return item_id


def _holder(item: Feedback) -> Person | None:
    """Who answers for the item now: its holder, or once closed, whoever closed it (they may
    tell the customer how it ended)."""
    if item.state is State.CLAIMED and item.claimed:
        return item.claimed.person
    if item.state is State.CLOSED and item.closed:
        return item.closed.person
    return None


def _is_message_id(key: str) -> bool:
    return key.startswith("<") and key.endswith(">") and "@" in key
