"""Replies through a helpdesk's API: a public comment on the Zendesk ticket, an admin reply in
the Intercom conversation, a reply on the Freshdesk ticket, with the access the source was
added with (`sources add --api-url --api-token`).

None of these APIs takes an idempotency key for a reply, so an attempt that follows one whose
outcome is unknown (`retry`) first reads the ticket or conversation: Zendesk keeps the reply's
marker in the audit's custom metadata; Intercom's and Freshdesk's replies are recognised by
their words among the agents' public ones.
"""

from __future__ import annotations

import base64
from functools import partial
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from bot.errors import DeliveryError
from bot.ports.replies import VendorReply
from bot.sources.registry import SourceConfig
from handlers.sources.base import dig
from handlers.vendors.http import api_base, call, entries, next_link, page
from handlers.vendors.posting import answered, post_once, same_words, unreadable

MARKER_FIELD = "allhands_reply"
INTERCOM_API = "https://api.intercom.io"
INTERCOM_VERSION = "2.11"
FRESHDESK_PAGE = 100


def paragraphs(text: str) -> str:
    """Plain text as the HTML body Intercom and Freshdesk take: escaped, one paragraph a line."""
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def _basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _needs_url(source: SourceConfig, vendor: str) -> str:
    url = str(source.options.get("api_url") or "").rstrip("/")
    if not url or not source.credentials:
        raise DeliveryError(
            f"{vendor}: the source {source.name} was added without --api-url and --api-token, "
            "so it cannot reply; add it again with them and retry",
            None,
        )
    return url


# ---- Zendesk ---------------------------------------------------------------------------------


def zendesk_said(answer: Any) -> str:
    """`{"error", "description", "details": {field: [{"description"}]}}`, in words."""
    if not isinstance(answer, dict):
        return ""
    details = answer.get("details")
    found = [
        str(problem.get("description"))
        for problems in (details.values() if isinstance(details, dict) else ())
        if isinstance(problems, list)
        for problem in problems
        if isinstance(problem, dict) and problem.get("description")
    ]
    return "; ".join(found) or str(answer.get("description") or answer.get("error") or "")


class ZendeskReplies:
    """`PUT /api/v2/tickets/{id}.json` with a public comment; the marker rides in the update's
    custom metadata, which the ticket's audits keep."""

    vendor = "Zendesk"

    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None:
        base = _needs_url(source, self.vendor)
        headers = _basic(source.credentials or "")  # EMAIL/token:TOKEN
        ticket = f"{base}/api/v2/tickets/{quote(reply.target, safe='')}"
        update = {
            "ticket": {
                "comment": {"body": reply.text, "public": True},
                "metadata": {"custom": {MARKER_FIELD: reply.marker}},
            }
        }
        there = partial(self._there, client, base, ticket, headers, reply.marker)
        request = ("PUT", f"{ticket}.json", headers, update)
        await post_once(client, self.vendor, there if retry else None, request, zendesk_said)

    async def _there(
        self,
        client: aiohttp.ClientSession,
        base: str,
        ticket: str,
        headers: dict[str, str],
        marker: str,
    ) -> bool:
        url: str | None = f"{ticket}/audits.json"
        seen: set[str] = set()
        while url:
            status, answer = await call(client, self.vendor, "GET", url, headers=headers)
            if status != 200:
                raise unreadable(self.vendor, status)
            listed = page(self.vendor, status, answer)
            if any(
                dig(audit, ("metadata", "custom", MARKER_FIELD)) == marker
                for audit in entries(listed, "audits")
            ):
                return True
            url = next_link(listed.get("next_page"), base, self.vendor, seen)
        return False


# ---- Intercom --------------------------------------------------------------------------------


def intercom_said(answer: Any) -> str:
    """`{"type": "error.list", "errors": [{"code", "message"}]}`, in words."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return "; ".join(
        str(error.get("message") or error.get("code"))
        for error in (errors if isinstance(errors, list) else ())
        if isinstance(error, dict)
    )


class IntercomReplies:
    """`POST /conversations/{id}/reply` as the admin the access token belongs to (`GET /me`)."""

    vendor = "Intercom"

    def __init__(self) -> None:
        self._admins: dict[str, str] = {}  # the admin id per access token's source

    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None:
        if not source.credentials:
            raise DeliveryError(
                f"Intercom: the source {source.name} was added without --api-token, so it "
                "cannot reply; add it again with one and retry",
                None,
            )
        base = api_base(source, INTERCOM_API)
        headers = {
            "Authorization": f"Bearer {source.credentials}",
            "Accept": "application/json",
            "Intercom-Version": INTERCOM_VERSION,
        }
        conversation = f"{base}/conversations/{quote(reply.target, safe='')}"
        admin = await self._admin(client, base, headers, source.name)
        message = {
            "message_type": "comment",
            "type": "admin",
            "admin_id": admin,
            "body": paragraphs(reply.text),
        }
        there = partial(self._there, client, conversation, headers, reply.text)
        request = ("POST", f"{conversation}/reply", headers, message)
        await post_once(client, self.vendor, there if retry else None, request, intercom_said)

    async def _admin(
        self, client: aiohttp.ClientSession, base: str, headers: dict[str, str], name: str
    ) -> str:
        if name not in self._admins:
            status, answer = await call(client, self.vendor, "GET", f"{base}/me", headers=headers)
            answered(self.vendor, status, answer, intercom_said(answer))
            admin = answer.get("id") if isinstance(answer, dict) else None
            if not admin:
                raise DeliveryError("Intercom: /me named no admin for the access token", None)
            self._admins[name] = str(admin)
        return self._admins[name]

    async def _there(
        self, client: aiohttp.ClientSession, url: str, headers: dict[str, str], text: str
    ) -> bool:
        status, answer = await call(client, self.vendor, "GET", url, headers=headers)
        if status != 200:
            raise unreadable(self.vendor, status)
        parts = dig(page(self.vendor, status, answer), "conversation_parts.conversation_parts")
        return any(
            isinstance(part, dict)
            and part.get("part_type") == "comment"
            and dig(part, "author.type") == "admin"
            and same_words(str(part.get("body") or ""), text)
            for part in (parts if isinstance(parts, list) else ())
        )


# ---- Freshdesk -------------------------------------------------------------------------------


def freshdesk_said(answer: Any) -> str:
    """`{"description", "errors": [{"field", "message", "code"}]}`, in words."""
    if not isinstance(answer, dict):
        return ""
    errors = answer.get("errors")
    found = [
        ": ".join(str(e[k]) for k in ("field", "message") if e.get(k))
        for e in (errors if isinstance(errors, list) else ())
        if isinstance(e, dict)
    ]
    return "; ".join(found) or str(answer.get("description") or "")


class FreshdeskReplies:
    """`POST /api/v2/tickets/{id}/reply`, with the API key as the basic-auth user."""

    vendor = "Freshdesk"

    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None:
        base = _needs_url(source, self.vendor)
        headers = _basic(f"{source.credentials}:X")
        ticket = f"{base}/api/v2/tickets/{quote(reply.target, safe='')}"
        there = partial(self._there, client, ticket, headers, reply.text)
        request = ("POST", f"{ticket}/reply", headers, {"body": paragraphs(reply.text)})
        await post_once(client, self.vendor, there if retry else None, request, freshdesk_said)

    async def _there(
        self, client: aiohttp.ClientSession, ticket: str, headers: dict[str, str], text: str
    ) -> bool:
        number = 1
        while True:
            query = urlencode({"per_page": FRESHDESK_PAGE, "page": number})
            url = f"{ticket}/conversations?{query}"
            status, answer = await call(client, self.vendor, "GET", url, headers=headers)
            if status != 200 or not isinstance(answer, list):
                raise unreadable(self.vendor, status)
            if any(
                isinstance(entry, dict)
                and not entry.get("private")
                and not entry.get("incoming")
                and same_words(str(entry.get("body_text") or ""), text)
                for entry in answer
            ):
                return True
            if len(answer) < FRESHDESK_PAGE:
                return False
            number += 1
