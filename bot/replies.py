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
    holder_name,
    id_from_ref,
)
from bot.errors import AllHandsError, Conflict, Forbidden, Invalid
from bot.intake import has_visible_text
from bot.ports.clock import Clock
from bot.ports.records import OutboxAction
from bot.ports.replies import Outgoing, OutgoingEmail, StoredReply, VendorReply, key_of
from bot.ports.store import Store, UnitOfWork
from bot.privacy.scrub import refresh_cards
from bot.satisfaction.scores import Satisfaction
from bot.service import COMMENT_MAX_CHARS, Desk, Outcome
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
    held: bool = False  # waiting for a lead's approval (setting replies.approval)

    @property
    def told(self) -> str:
        """What the person who replied is told, on any platform."""
        if self.held:
            return f"Reply to {self.to} kept for a lead's approval: it goes once one approves it."
        return f"Reply to {self.to} on its way."


@dataclass(frozen=True, slots=True)
class Closed:
    """An item closed, and what the person who closed it hears of telling its customer (None
    when nobody asked to tell them): on its way, held for a lead, or why it could not go (the
    item closed all the same), with their words to copy."""

    outcome: Outcome
    told: str | None = None


class Replies:
    def __init__(
        self,
        desk: Desk,
        support_from: str,
        *,
        mail_server: bool,
        survey: Satisfaction | None = None,
    ) -> None:
        """`support_from` is the address replies come from (`ALLHANDS_SUPPORT_FROM`);
        `mail_server` says whether one is set to send them (`ALLHANDS_SMTP_URL`); `survey`
        makes the satisfaction link a reply on a closed item ends with (setting replies.csat)."""
        self._desk = desk
        self._survey = survey
        self._mail_server = mail_server
        self._db: Store = desk.db
        self._clock: Clock = desk.clock
        self._fanout: Fanout = desk.fanout
        self._from = support_from

    def reply(self, ref: str, who: Identity, text: str) -> Sent:
        """Answer the item's customer: Forbidden unless the `replies` setting lets `who`;
        Invalid when the item has no channel back to the customer. With `replies.approval`,
        anyone's but a lead's reply is held (nothing queued) until a lead approves it."""
        text = _reply_text(text)
        item_id = item_id_of(ref)
        with self._db.write() as uow:
            now = self._clock.now()
            actor = Actor(uow.people.resolve(who, now), who.platform)
            item = load(uow, item_id)
            uow.feedback.lock(item_id)
            config = self._may_reply(uow, item, actor)
            held = config.approval and not actor.person.is_lead
            words = text + self._question(item, config)
            channel, outgoing = self._outgoing(uow, item, words)
            reply_id = uow.replies.add(item_id, actor.person.id, channel, outgoing, now)
            said = (
                "Reply for the customer, awaiting a lead's approval"
                if held
                else "Replied to the customer"
            )
            comment = f"{said}: {text}"
            uow.feedback.add_comment(item_id, actor.person.id, actor.platform, comment, now, None)
            data: dict[str, object] = {"reply_id": reply_id, "channel": channel, "text": text[:500]}
            if held:
                uow.replies.mark(reply_id, ReplyStatus.AWAITING_APPROVAL, None, now)
                data["leads"] = [holder_name(p) for p in uow.people.flagged(leads=True)]
            else:
                self._queue(uow, item_id, reply_id, now)
            kind = EventKind.REPLY_HELD if held else EventKind.REPLIED
            logged = self._fanout.log_change(uow, item_id, kind, actor, now, data)
            if isinstance(outgoing, OutgoingEmail):  # the customer's answer joins the item
                uow.sources.remember_keys(item.source, [outgoing.message_id], item_id)
            self._fanout.commit(uow, [logged.change])
            return Sent(logged.item, reply_id, key_of(outgoing), addressee(outgoing), held=held)

    def close(self, ref: str, who: Identity, resolution: str | None, *, tell: bool) -> Closed:
        """Close the item; with `tell`, its resolution is what the customer is told, as a
        reply from `who` (Invalid before closing when there is no resolution to tell)."""
        if tell and not (resolution or "").strip():
            raise Invalid("Telling the customer needs a resolution to tell them.", "resolution")
        outcome = self._desk.close(ref, who, resolution, notify_customer=tell)
        if not tell or not resolution:
            return Closed(outcome)
        try:
            return Closed(outcome, self.reply(ref, who, resolution).told)
        except AllHandsError as error:
            return Closed(outcome, f"{error.message}\nYour reply:\n{resolution}")

    def held_text(self, ref: str, who: Identity) -> str:
        """The words of the item's reply awaiting approval, for a lead to edit."""
        item_id = item_id_of(ref)
        with self._db.write() as uow:
            actor = Actor(uow.people.resolve(who, self._clock.now()), who.platform)
            return self._held(uow, item_id, actor).outgoing.text

    def approve(self, ref: str, who: Identity, text: str | None = None) -> Sent:
        """A lead lets the item's held reply go (with `text`, as they edited it): it is queued
        for the outbox like any other. Forbidden for anyone else."""
        item_id = item_id_of(ref)
        with self._db.write() as uow:
            now = self._clock.now()
            actor = Actor(uow.people.resolve(who, now), who.platform)
            uow.feedback.lock(item_id)
            held = self._held(uow, item_id, actor)
            data: dict[str, object] = {"reply_id": held.id, "channel": channel_of(held.outgoing)}
            if text is not None:
                edited = _reply_text(text)
                uow.replies.set_text(held.id, edited, now)
                data["text"] = edited[:500]
            uow.replies.mark(held.id, ReplyStatus.PENDING, None, now)
            self._queue(uow, item_id, held.id, now)
            data["approved"] = True
            logged = self._fanout.log_change(uow, item_id, EventKind.REPLIED, actor, now, data)
            self._fanout.commit(uow, [logged.change])
            outgoing = held.outgoing
            return Sent(logged.item, held.id, key_of(outgoing), addressee(outgoing))

    @staticmethod
    def _held(uow: UnitOfWork, item_id: int, actor: Actor) -> StoredReply:
        item = load(uow, item_id)
        if not actor.person.is_lead:
            raise Forbidden(
                "Only support leads may approve replies to customers (setting replies.approval)."
            )
        held = uow.replies.awaiting_approval(item_id)
        if held is None:
            raise Conflict(f"{item.ref} has no reply awaiting approval.")
        return held

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
            refresh_cards(uow, [item_id], now)  # its refusal leaves the card
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

    def _may_reply(self, uow: UnitOfWork, item: Feedback, actor: Actor) -> RepliesConfig:
        """The `replies` setting, once it lets `actor` answer the item's customer."""
        who = stored_setting(uow, "replies", SecretBox(None))
        assert isinstance(who, RepliesConfig)
        if actor.person.is_lead or who.who == "anyone":
            return who
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
        return who

    def _question(self, item: Feedback, config: RepliesConfig) -> str:
        """The satisfaction link a reply on a closed item ends with, when leads turned it on
        and the app can sign and serve it (else left out, with a warning in the log)."""
        if not config.csat or item.state is not State.CLOSED or self._survey is None:
            return ""
        if not self._survey.ready:
            log.warning("replies.csat_link_left_out reason=unsigned_or_no_public_url")
            return ""
        return self._survey.question(item.id, config.csat_days)

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


def channel_of(outgoing: Outgoing) -> str:
    """The channel a reply goes by, as its events name it: email, or its source's name."""
    return Platform.EMAIL.value if isinstance(outgoing, OutgoingEmail) else outgoing.source


def _reply_text(text: str) -> str:
    text = text.replace("\x00", "").strip()
    if not has_visible_text(text):
        raise Invalid("A reply needs some text.", "text")
    if len(text) > COMMENT_MAX_CHARS:
        raise Invalid(f"A reply is at most {COMMENT_MAX_CHARS} characters.", "text")
    return text


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
