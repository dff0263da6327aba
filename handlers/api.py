"""HTTP ingest API (`/api/v1`), health checks, and the error middleware every route shares.

Errors are RFC 9457 problem details naming the field at fault; nothing answers a bare 500.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from bot.access.rate_limits import SharedBuckets
from bot.access.tokens import Tokens
from bot.delivery.group_commit import ingest_queue
from bot.domain import Feedback, Identity, Platform, State
from bot.errors import AllHandsError, Conflict, DatabaseUnavailable, Forbidden, Invalid, NotFound
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter, TokenGrant
from bot.privacy.erasure import Erasure
from bot.service import Desk, IngestRequest
from bot.signal.search import RANKED
from bot.validation import problems
from handlers.api_schema import BatchIn, CommentIn, openapi_document
from handlers.bodies import BodyRefused, read_limited
from handlers.customer_json import report_json
from handlers.item_json import item_json, receipt_json
from handlers.rate_limit import TokenBuckets

log = logging.getLogger(__name__)

ITEM_LIMIT_BYTES = 256 * 1024
BATCH_LIMIT_BYTES = 8 * 1024 * 1024
PAGE_MAX = 200
# Digits as people type them in a URL: `isdigit()` also takes '²' (which int() refuses) and
# Arabic-Indic or full-width digits (which int() reads).
ASCII_NUMBER = re.compile(r"[0-9]{1,19}")
LARGEST_ID = 2**63 - 1  # a BIGINT id
RETRY_AFTER_SECONDS = 5
# Token look-ups in the database per client address (a known token is cached for seconds).
LOOKUPS_PER_SECOND = 5.0
LOOKUP_BURST = 50


class Problem(Exception):
    """An HTTP error answered as application/problem+json."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}  # members of this problem type (RFC 9457 extensions)

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "type": f"urn:allhands:problem:{self.slug}",
            "title": self.slug.replace("-", " ").capitalize(),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["field"] = self.errors[0]["field"]
            body["errors"] = self.errors
        body |= self.extra
        return web.json_response(
            body, status=self.status, headers=self.headers, content_type="application/problem+json"
        )


def _from_core(error: AllHandsError) -> Problem:
    if isinstance(error, NotFound):
        return Problem(404, "not-found", error.message)
    if isinstance(error, Conflict):
        return Problem(409, "conflict", error.message)
    if isinstance(error, Forbidden):
        return Problem(403, "forbidden", error.message)
    if isinstance(error, Invalid):
        errors = [{"field": error.field or "body", "message": error.message}]
        return Problem(422, "invalid-fields", error.message, errors=errors)
    return Problem(400, "bad-request", error.message)


_STATUS_SLUGS = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turns every failure into a problem response; only routes under /api/ and health use it."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response()
    except AllHandsError as error:
        return _from_core(error).response()
    except DatabaseUnavailable:
        log.warning("database.unavailable path=%s", request.path)
        return Problem(
            503,
            "unavailable",
            "The database is unavailable; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ).response()
    except web.HTTPException as http:
        if http.status < 400 or not request.path.startswith("/api/"):
            raise
        slug = _STATUS_SLUGS.get(http.status, "http-error")
        return Problem(http.status, slug, http.reason).response()
    except Exception:
        if not request.path.startswith("/api/"):
            raise
        log.exception("api.unhandled path=%s", request.path)
        return Problem(500, "internal-error", "Something went wrong on our side.").response()


def _invalid(error: ValidationError, prefix: str = "") -> Problem:
    errors = [
        {"field": prefix + where if where else prefix or "body", "message": what}
        for where, what in problems(error)
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return Problem(422, "invalid-fields", detail, errors=errors)


class IngestApi:
    """The `/api/v1` routes. Each token may submit only items of its sources, and read items
    only when it was made to (`TokenScope`); its rate counts items, in a bucket every replica
    shares (`SharedBuckets`)."""

    def __init__(
        self, desk: Desk, tokens: Tokens, limits: SharedBuckets, erasure: Erasure | None = None
    ) -> None:
        self._desk = desk
        self._tokens = tokens
        self._limits = limits
        self._erasure = erasure
        self._lookups = TokenBuckets(LOOKUPS_PER_SECOND, LOOKUP_BURST)
        self._queue = ingest_queue(desk)

    def mount(self, app: web.Application) -> None:
        app.router.add_post("/api/v1/feedback", self.create)
        app.router.add_post("/api/v1/feedback/batch", self.create_batch)
        app.router.add_get("/api/v1/feedback", self.list)
        app.router.add_get("/api/v1/feedback/{ref}", self.show)
        app.router.add_post("/api/v1/feedback/{ref}/comments", self.add_comment)
        app.router.add_get("/api/v1/openapi.json", self.openapi)
        if self._erasure is not None:
            app.router.add_delete("/api/v1/customers/{email}", self.forget_customer)

    async def forget_customer(self, request: web.Request) -> web.Response:
        """Erase one customer (a lead's token only): 200 with what was removed, or 202 while
        another request's erasure of them is still under way."""
        assert self._erasure is not None
        grant = await self._admit(request)
        if not grant.scope.erase:
            raise Problem(
                403,
                "forbidden",
                f"Token '{grant.name}' may not erase customers; that takes a lead's token "
                "(`allhands token create --name N --lead`).",
            )
        try:
            report = await asyncio.to_thread(
                self._erasure.forget, request.match_info["email"], _api_identity(grant)
            )
        except Conflict as under_way:
            return web.json_response({"erasure": None, "detail": under_way.message}, status=202)
        return web.json_response(report_json(report))

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi_document())

    async def create(self, request: web.Request) -> web.Response:
        grant = await self._admit(request)
        payload = await _json_body(request, ITEM_LIMIT_BYTES)
        try:
            draft = FeedbackDraft.model_validate(payload)
        except ValidationError as error:
            raise _invalid(error) from None
        _check_sources(grant, [draft.source])
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 200:
            raise Problem(
                400,
                "bad-header",
                "Idempotency-Key must be 1 to 200 characters.",
                errors=[{"field": "Idempotency-Key", "message": "1 to 200 characters"}],
            )
        result = await self._queue.submit(IngestRequest(draft, _api_identity(grant), key))
        location = f"/api/v1/feedback/{result.item.ref}"
        return web.json_response(
            _shown(grant, result.item),
            status=201 if result.created else 200,
            headers={"Location": location},
        )

    async def create_batch(self, request: web.Request) -> web.Response:
        grant = await self._authenticate(request)
        payload = await _json_body(request, BATCH_LIMIT_BYTES)
        try:
            batch = BatchIn.model_validate(payload)
        except ValidationError as error:
            raise _invalid(error) from None
        await self._spend(grant, len(batch.items))
        drafts: list[FeedbackDraft] = []
        errors: list[dict[str, str]] = []
        for index, raw in enumerate(batch.items):
            try:
                drafts.append(FeedbackDraft.model_validate(raw))
            except ValidationError as error:
                errors.extend(_invalid(error, f"items.{index}.").errors)
        if errors:
            detail = f"{len(errors)} problem(s) in the batch; nothing was stored"
            raise Problem(422, "invalid-fields", detail, errors=errors)
        _check_sources(grant, [draft.source for draft in drafts], batch=True)
        results = await asyncio.to_thread(self._desk.ingest_many, drafts, _api_identity(grant))
        body = {
            "results": [
                {
                    "index": i,
                    "status": "created" if r.created else "existing",
                    "item": _shown(grant, r.item),
                }
                for i, r in enumerate(results)
            ]
        }
        return web.json_response(body, status=200)

    async def show(self, request: web.Request) -> web.Response:
        _check_read(await self._admit(request))
        item = await asyncio.to_thread(self._desk.get, request.match_info["ref"])
        return web.json_response(item_json(item, with_comments=True))

    async def list(self, request: web.Request) -> web.Response:
        _check_read(await self._admit(request))
        where = _list_filter(request.query)
        if "q" in request.query:
            return await self._search(request.query, where)
        items = await asyncio.to_thread(self._desk.search, where)
        next_cursor = _cursor("id", items[-1].id) if len(items) == where.limit else None
        return web.json_response(
            {"items": [item_json(i) for i in items], "next_cursor": next_cursor}
        )

    async def _search(self, query: Any, where: ListFilter) -> web.Response:
        """`?q=`: the items passing the other filters that match, best first; the cursor says
        how far down the ranking the next page starts."""
        offset = _cursor_value(query["cursor"], "at") if query.get("cursor") else 0
        items = await asyncio.to_thread(self._desk.search_text, query["q"], where, offset)
        end = offset + where.limit
        more = len(items) == where.limit and end < RANKED
        return web.json_response(
            {
                "items": [item_json(i) for i in items],
                "next_cursor": _cursor("at", end) if more else None,
            }
        )

    async def add_comment(self, request: web.Request) -> web.Response:
        grant = await self._admit(request)
        payload = await _json_body(request, ITEM_LIMIT_BYTES)
        try:
            comment = CommentIn.model_validate(payload)
        except ValidationError as error:
            raise _invalid(error) from None
        ref = request.match_info["ref"]
        if grant.scope.sources is not None:
            _check_sources(grant, [(await asyncio.to_thread(self._desk.get, ref)).source])
        await asyncio.to_thread(self._desk.comment, ref, _api_identity(grant), comment.text)
        item = await asyncio.to_thread(self._desk.get, ref)
        return web.json_response(
            _shown(grant, item, with_comments=True),
            status=201,
            headers={"Location": f"/api/v1/feedback/{item.ref}"},
        )

    async def _admit(self, request: web.Request) -> TokenGrant:
        """The request's token, one unit of its rate spent."""
        grant = await self._authenticate(request)
        await self._spend(grant, 1)
        return grant

    async def _authenticate(self, request: web.Request) -> TokenGrant:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        grant = None
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            grant = self._tokens.cached(token) or await self._look_up(request, token)
        if grant is None:
            detail = "Send 'Authorization: Bearer <token>' with a valid, unrevoked API token."
            raise Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
        return grant

    async def _spend(self, grant: TokenGrant, items: int) -> None:
        """Spend `items` from the token's bucket, or refuse the request (nothing stored)."""
        if items > self._limits.burst:
            detail = (
                f"A batch may hold at most {self._limits.burst} items for token "
                f"'{grant.name}'; send {items} in smaller batches."
            )
            errors = [{"field": "items", "message": f"at most {self._limits.burst} items"}]
            raise Problem(422, "invalid-fields", detail, errors=errors)
        wait = await asyncio.to_thread(self._limits.take, f"api:{grant.name}", items)
        if wait > 0:
            raise Problem(
                429,
                "rate-limited",
                f"Token '{grant.name}' is over its rate of {self._limits.rate:g} items a "
                f"second; {items} more in {math.ceil(wait)} s.",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    async def _look_up(self, request: web.Request, token: str) -> TokenGrant | None:
        """A token not seen lately costs a database read: each address gets only so many, so
        a stream of made-up tokens cannot turn into a stream of reads."""
        wait = self._lookups.take(request.remote or "unknown")
        if wait > 0:
            raise Problem(
                429,
                "rate-limited",
                "Too many unknown tokens from this address; slow down.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return await asyncio.to_thread(self._tokens.authenticate, token)


def _api_identity(grant: TokenGrant) -> Identity:
    return Identity(Platform.API, grant.name, grant.name)


def _check_read(grant: TokenGrant) -> None:
    if not grant.scope.read:
        raise Problem(
            403,
            "forbidden",
            f"Token '{grant.name}' may only submit; reading items and customers takes a token "
            "created with --read.",
        )


def _check_sources(grant: TokenGrant, sources: list[str], *, batch: bool = False) -> None:
    """403 naming `source` when the token may not submit one of `sources` (in a batch, each
    item at fault is named too); nothing is stored then."""
    refused = [i for i, source in enumerate(sources) if not grant.scope.allows(source)]
    if not refused:
        return
    may = ", ".join(sorted(grant.scope.sources or ()))
    errors = [
        {
            "field": f"items.{i}.source" if batch else "source",
            "message": f"token '{grant.name}' may not submit source '{sources[i]}'",
        }
        for i in refused
    ]
    detail = f"Token '{grant.name}' may submit only items of {may}; nothing was stored."
    raise Problem(403, "forbidden", detail, errors=errors, extra={"field": "source"})


def _shown(grant: TokenGrant, item: Feedback, *, with_comments: bool = False) -> dict[str, Any]:
    """The item as this token may see it: whole for one that may read, else only a receipt."""
    if grant.scope.read:
        return item_json(item, with_comments=with_comments)
    return receipt_json(item)


async def read_bounded(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is over `limit` bytes (declared or sent), 408 when
    it trickles in too slowly."""
    try:
        return await read_limited(request, limit)
    except BodyRefused as refused:
        if refused.status == 413:
            raise Problem(413, "body-too-large", f"The body is over {limit // 1024} KB.") from None
        raise Problem(refused.status, "body-too-slow", f"{refused.reason.capitalize()}.") from None


async def _json_body(request: web.Request, limit: int) -> Any:
    """The parsed JSON body; 415, 413 and 400 for the wrong type, size or syntax."""
    if request.content_type != "application/json":
        raise Problem(415, "unsupported-media-type", "Send the body as application/json.")
    raw = await read_bounded(request, limit)
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise Problem(400, "malformed-json", f"The body is not valid JSON: {error}") from None
    if b"\\u0000" in raw and _contains_nul(payload):
        raise Problem(400, "nul-character", "Text cannot contain NUL (\\u0000) characters.")
    return payload


def _contains_nul(value: Any) -> bool:
    """NUL is never text, and PostgreSQL cannot store it; walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            stack.extend([*item.keys(), *item.values()])
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _cursor(kind: str, value: int) -> str:
    """`id`: the last item listed; `at`: how many of a search's ranking were shown."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _cursor_value(cursor: str, kind: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, value = text.partition(":")
        if found == kind and ASCII_NUMBER.fullmatch(value) and int(value) <= LARGEST_ID:
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Invalid("cursor is not one this API returned", "cursor")


def _list_filter(query: Any) -> ListFilter:
    for name, text in query.items():
        if "\x00" in text:
            raise Invalid("query parameters cannot contain NUL characters", name)
    state = query.get("state")
    if state is not None and state not in {s.value for s in State}:
        raise Invalid("state must be open, claimed or closed", "state")
    since = None
    if "since" in query:
        try:
            since = datetime.fromisoformat(query["since"])
        except ValueError:
            raise Invalid("since must be an RFC 3339 time", "since") from None
        if since.tzinfo is None:
            raise Invalid("since needs a time zone offset, e.g. Z", "since")
        try:
            since = since.astimezone(UTC)
        except OverflowError:
            raise Invalid("since is outside the calendar once taken to UTC", "since") from None
    limit_text = query.get("limit", "50")
    if not ASCII_NUMBER.fullmatch(limit_text) or not 1 <= int(limit_text) <= PAGE_MAX:
        raise Invalid(f"limit must be a whole number from 1 to {PAGE_MAX}", "limit")
    return ListFilter(
        state=State(state) if state else None,
        source=query.get("source") or None,
        since=since,
        after_id=_cursor_value(query["cursor"], "id")
        if query.get("cursor") and "q" not in query
        else None,
        limit=int(limit_text),
    )


# Where someone who opens the server's address in a browser can go from there.
INDEX = {
    "service": "All Hands",
    "links": {
        "health": "/healthz",
        "ready": "/readyz",
        "openapi": "/api/v1/openapi.json",
        "metrics": "/metrics",
    },
    "docs": "README.md and docs/ in the All Hands source: the API, Slack, Teams, the digest",
}


class Health:
    """`/`: where to go from here. `/healthz`: the process answers. `/readyz`: the database
    answers and fits this code; `warnings` names settings that send cards nowhere (the server
    is still ready: feedback is stored, only its cards go nowhere)."""

    def __init__(self, desk: Desk, warnings: Callable[[], list[str]]) -> None:
        self._desk = desk
        self._warnings = warnings

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_get("/healthz", self.alive)
        app.router.add_get("/readyz", self.ready)

    async def index(self, request: web.Request) -> web.Response:
        return web.json_response(INDEX)

    async def alive(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def ready(self, request: web.Request) -> web.Response:
        try:
            problem, warnings = await asyncio.to_thread(self._check)
        except Exception as error:  # the kind only: where the database is stays private
            cause = error.__cause__ if isinstance(error, DatabaseUnavailable) else error
            problem, warnings = f"database unreachable ({type(cause).__name__})", []
        if problem:
            return web.json_response({"status": "unavailable", "reason": problem}, status=503)
        return web.json_response({"status": "ready", "warnings": warnings})

    def _check(self) -> tuple[str | None, list[str]]:
        problem = self._desk.db.schema_problem()
        return problem, [] if problem else self._warnings()
