"""What an operator sees of a running server: request ids, JSON logs and `/metrics`.

A request id ties every log line of one request together across threads (contextvars follow
`asyncio.to_thread`); the caller's `X-Request-Id` is kept so ids line up with a proxy's logs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from bot.delivery.backlog import waiting_work
from bot.errors import DatabaseUnavailable
from bot.ports.clock import Clock
from bot.ports.store import Store
from handlers.metrics_access import MetricsAccess

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_KEY = web.RequestKey("allhands.request_id", str)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

request_id: ContextVar[str | None] = ContextVar("allhands_request_id", default=None)
# Unique per process start plus a counter: as unique as a random id in logs, without a system
# call for randomness on every request.
_ID_PREFIX = uuid.uuid4().hex[:16]
_ID_COUNTER = itertools.count(1)


def _next_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


HTTP_REQUESTS = Counter(
    "allhands_http_requests",
    "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "allhands_http_request_seconds", "Time to answer an HTTP request, by route pattern.", ["route"]
)
OUTBOX_PENDING = Gauge("allhands_outbox_pending", "Outbox messages waiting to be sent.")
OUTBOX_OLDEST_AGE = Gauge(
    "allhands_outbox_oldest_age_seconds", "Age of the oldest unsent outbox message (0 if none)."
)
INBOX_PENDING = Gauge(
    "allhands_inbox_pending", "Chat deliveries answered and stored, not yet worked."
)


# ---- logs --------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so log pipelines need no parsing rules."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get() or getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# Libraries whose DEBUG lines carry whole requests and answers: slack_sdk logs each Web API
# call's arguments and response (a card's text and blocks, the customer's words), Socket Mode's
# envelopes and Bolt its acks; msrest logs the Bot Connector's bodies when its HTTP logging is on.
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt", "msrest")


def configure_logging(level: str, log_format: str) -> None:
    """Root logging for `allhands serve`: JSON lines in production, plain text in dev.

    ALLHANDS_LOG_LEVEL=DEBUG opens our own DEBUG lines, never `PAYLOAD_LOGGERS`' (INFO at most):
    customers' words do not belong in logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler])
    quietest = max(logging.getLevelNamesMapping()[level], logging.INFO)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(quietest)


class AccessLog(AbstractAccessLogger):
    """One line per request, without the query string: clients sometimes put secrets there."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "http.request method=%s path=%s status=%s seconds=%.4f",
            request.method,
            request.path,
            response.status,
            time,
            extra={"request_id": request.get(REQUEST_ID_KEY)},
        )


# ---- metrics -----------------------------------------------------------------------------


def _route(request: web.Request) -> str:
    """The route pattern (/api/v1/feedback/{ref}), never the raw path: bounded label values."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


CROWD = 8  # requests in progress beyond which answers are waiting on each other


class Answering:
    """How many requests a server is answering right now, counted by `observed`: a worker in
    the same process steps back while they crowd (see `bot.delivery.inbox`)."""

    def __init__(self) -> None:
        self.now = 0

    def crowded(self) -> bool:
        return self.now > CROWD


ANSWERING_KEY = web.AppKey("allhands.answering", Answering)


@web.middleware
async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request's id, time and count, in one layer (each middleware layer costs a little on
    every request, the Slack acks' included).

    The id is the caller's (if sane) or a new one, and goes back in the response. Requests are
    counted and timed by route pattern and final status, and counted while in progress where
    the application keeps an `Answering`.
    """
    answering = request.app.get(ANSWERING_KEY)
    if answering is not None:
        answering.now += 1
    given = request.headers.get(REQUEST_ID_HEADER, "")
    rid = given if _SANE_REQUEST_ID.fullmatch(given) else _next_request_id()
    request[REQUEST_ID_KEY] = rid
    reset = request_id.set(rid)
    started = time.perf_counter()
    status = "500"
    try:
        response = await handler(request)
        status = str(response.status)
    except web.HTTPException as http:
        status = str(http.status)
        http.headers[REQUEST_ID_HEADER] = rid
        raise
    except asyncio.CancelledError:
        status = "499"  # the client went away first
        raise
    finally:
        request_id.reset(reset)
        _count(request, status, time.perf_counter() - started)
        if answering is not None:
            answering.now -= 1
    if not response.prepared:
        response.headers[REQUEST_ID_HEADER] = rid
    return response


def _count(request: web.Request, status: str, seconds: float) -> None:
    route = _route(request)
    method = request.method if request.method in _METHODS else "OTHER"
    HTTP_SECONDS.labels(route=route).observe(seconds)
    HTTP_REQUESTS.labels(route=route, method=method, status=status).inc()


class Metrics:
    """`/metrics` in Prometheus text format; outbox depth and age are read at scrape time.
    Only for a client that `MetricsAccess` lets in."""

    def __init__(self, db: Store, clock: Clock, access: MetricsAccess) -> None:
        self._db = db
        self._clock = clock
        self._access = access

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.scrape)

    async def scrape(self, request: web.Request) -> web.Response:
        refusal = self._access.refusal(request)
        if refusal is not None:
            return refusal.response()
        await asyncio.to_thread(self._measure_backlogs)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _measure_backlogs(self) -> None:
        try:
            backlog = waiting_work(self._db)
        except DatabaseUnavailable:
            log.warning("metrics.backlogs_unknown reason=database-unavailable")
            for gauge in (OUTBOX_PENDING, OUTBOX_OLDEST_AGE, INBOX_PENDING):
                gauge.set(math.nan)
            return
        INBOX_PENDING.set(backlog.inbox)
        OUTBOX_PENDING.set(backlog.outbox)
        oldest = backlog.oldest_outbox
        age = (self._clock.now() - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.set(max(0.0, age))


MIDDLEWARES = (observed,)
