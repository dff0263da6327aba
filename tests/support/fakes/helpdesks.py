"""Fake helpdesk APIs that take replies: Zendesk, Intercom and Freshdesk, each a real aiohttp
server on 127.0.0.1 answering in the vendor's shapes (their answers start from the vendors'
real examples in the shared real data, changed where the reply changes them). Each refuses a
request without the source's access (401), keeps the replies it took and shows them when asked
(`vendor_replies.FakeVendor`).
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from aiohttp import web

from tests.support.fakes.vendor_replies import FakeVendor, TakenReply
from tests.support.realdata import realdata_json


def basic(user: str) -> str:
    return "Basic " + base64.b64encode(user.encode()).decode()


class FakeZendesk(FakeVendor):
    """`PUT /api/v2/tickets/{id}.json` (a comment and custom metadata) and
    `GET /api/v2/tickets/{id}/audits.json`."""

    vendor = "zendesk"
    token = "agent@company.example/token:zd-token"

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == basic(self.token)

    def routes(self, app: web.Application) -> None:
        app.router.add_put("/api/v2/tickets/{id}.json", self._update)
        app.router.add_get("/api/v2/tickets/{id}/audits.json", self._audits)

    def refusal(self, text: str) -> dict[str, Any]:
        return {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {"status": [{"description": text, "error": "InvalidValue"}]},
        }

    async def _update(self, request: web.Request) -> web.Response:
        ticket = request.match_info["id"]
        update = (await request.json())["ticket"]
        custom = update.get("metadata", {}).get("custom", {})
        taken = TakenReply(ticket, update["comment"]["body"], custom.get("allhands_reply"))
        refused = await self.take(request, taken)
        if refused is not None:
            return refused
        answer = realdata_json("sources", "zendesk", "api", "ticket_update_response.json")
        answer["ticket"]["id"] = int(ticket)
        return web.json_response(answer)

    async def _audits(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        ticket = request.match_info["id"]
        example = realdata_json("sources", "zendesk", "api", "ticket_audits_list.json")
        audits = []
        for number, reply in enumerate(self.replies, start=1):
            if reply.target != ticket:
                continue
            audit = copy.deepcopy(example["audits"][0])
            audit.update(id=number, ticket_id=int(ticket))
            audit["metadata"]["custom"] = {"allhands_reply": reply.marker} if reply.marker else {}
            comment = {"id": number, "type": "Comment", "body": reply.text, "public": True}
            audit["events"] = [comment]
            audits.append(audit)
        return web.json_response(
            {"audits": audits, "next_page": None, "previous_page": None, "count": len(audits)}
        )


class FakeIntercom(FakeVendor):
    """`GET /me`, `POST /conversations/{id}/reply` and `GET /conversations/{id}`."""

    vendor = "intercom"
    token = "ic-token"
    admin_id = "991267696"

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/me", self._me)
        app.router.add_post("/conversations/{id}/reply", self._reply)
        app.router.add_get("/conversations/{id}", self._conversation)

    def refusal(self, text: str) -> dict[str, Any]:
        return {
            "type": "error.list",
            "request_id": "b3e6f0b1-0000-4000-8000-000000000001",
            "errors": [{"code": "conversation_closed", "message": text}],
        }

    async def _me(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        return web.json_response(
            {"type": "admin", "id": self.admin_id, "name": "Support", "email": "support@x.example"}
        )

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (body.get("type"), body.get("message_type"), body.get("admin_id")) != (
            "admin",
            "comment",
            self.admin_id,
        ):
            return web.json_response(self.refusal("type admin, comment, admin_id"), status=400)
        refused = await self.take(request, TakenReply(request.match_info["id"], body["body"]))
        if refused is not None:
            return refused
        return web.json_response(self._shown(request.match_info["id"], "reply_response_user_reply"))

    async def _conversation(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        return web.json_response(self._shown(request.match_info["id"], "conversation_retrieve"))

    def _shown(self, conversation: str, example: str) -> dict[str, Any]:
        answer = realdata_json("sources", "intercom", "api", f"{example}.json")
        template = answer["conversation_parts"]["conversation_parts"][0]
        parts = [
            {
                **copy.deepcopy(template),
                "id": str(number),
                "part_type": "comment",
                "body": reply.text,
                "author": {"type": "admin", "id": self.admin_id, "name": "Support"},
            }
            for number, reply in enumerate(self.replies, start=1)
            if reply.target == conversation
        ]
        answer["id"] = conversation
        answer["conversation_parts"] = {
            "type": "conversation_part.list",
            "conversation_parts": parts,
            "total_count": len(parts),
        }
        return answer  # type: ignore[no-any-return]


class FakeFreshdesk(FakeVendor):
    """`POST /api/v2/tickets/{id}/reply` and `GET /api/v2/tickets/{id}/conversations`."""

    vendor = "freshdesk"
    token = "fd-key"

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == basic(f"{self.token}:X")

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/v2/tickets/{id}/reply", self._reply)
        app.router.add_get("/api/v2/tickets/{id}/conversations", self._conversations)

    def refusal(self, text: str) -> dict[str, Any]:
        return {
            "description": "Validation failed",
            "errors": [{"field": "ticket_id", "message": text, "code": "invalid_value"}],
        }

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = await self.take(request, TakenReply(request.match_info["id"], body["body"]))
        if refused is not None:
            return refused
        return web.json_response(self._entries(request.match_info["id"])[-1], status=201)

    async def _conversations(self, request: web.Request) -> web.Response:
        if denied := self.denied(request):
            return denied
        return web.json_response(self._entries(request.match_info["id"]))

    def _entries(self, ticket: str) -> list[dict[str, Any]]:
        example = realdata_json("sources", "freshdesk", "api", "reply_create_response.json")
        return [
            {
                **example,
                "id": number,
                "ticket_id": int(ticket),
                "body": reply.text,
                "body_text": reply.text.replace("<p>", "").replace("</p>", "\n").strip(),
            }
            for number, reply in enumerate(self.replies, start=1)
            if reply.target == ticket
        ]
