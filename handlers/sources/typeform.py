"""Typeform webhooks: a form response (`form_response`), and a partial one
(`form_response_partial`) when the webhook is set to send those too.

Signed with `Typeform-Signature: sha256=` + base64(HMAC-SHA256(secret, body)), the secret set
on the webhook (Connect → Webhooks → Edit → Secret); `allhands sources add typeform NAME`
makes one up to paste there.

The answers become an item: long-text answers make its body; a rating (else an opinion scale
or NPS) answer sets its kind and severity, low ratings being complaints that need attention and
high ones praise, and is stated in the body; an email answer, else a hidden field `email`, is
the customer's address (a hidden field `name`, their name). A response is keyed by its token, so
a later delivery of it (a partial response, then the whole one) is more words on its item.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from handlers.sources.base import (
    Received,
    customer,
    dig,
    hmac_base64,
    json_object,
    need,
    rating_verdict,
    scheme_signature_holds,
    text_of,
    timestamp,
    web_url,
)

SIGNATURE = "typeform-signature"
RESPONSE = "form_response"
PARTIAL = "form_response_partial"
RATINGS = ("rating", "opinion_scale", "nps")  # the answer that rates, in order of preference

kept_headers: tuple[str, ...] = ()
sample_type = "application/json"
# A form_response in the shape Typeform documents (written here, for `sources test`).
sample = json.dumps(
    {
        "event_id": "sample-event",
        "event_type": RESPONSE,
        "form_response": {
            "form_id": "sample",
            "token": "sample-response",
            "submitted_at": "2026-01-05T09:00:00Z",
            "hidden": {},
            "definition": {
                "id": "sample",
                "title": "How are we doing?",
                "fields": [
                    {"id": "f1", "title": "How would you rate us?", "type": "rating"},
                    {"id": "f2", "title": "What should we fix?", "type": "long_text"},
                    {"id": "f3", "title": "Your email", "type": "email"},
                ],
            },
            "answers": [
                {"type": "number", "number": 1, "field": {"id": "f1", "type": "rating"}},
                {
                    "type": "text",
                    "text": "Sample: the export button does nothing.",
                    "field": {"id": "f2", "type": "long_text"},
                },
                {
                    "type": "email",
                    "email": "dana@example.com",
                    "field": {"id": "f3", "type": "email"},
                },
            ],
        },
    }
).encode()


def verify(received: Received, source: SourceConfig) -> bool:
    if not source.secret:
        return False
    expected = hmac_base64(source.secret, received.body)
    return scheme_signature_holds(received.headers.get(SIGNATURE, ""), "sha256", expected)


def event_id(received: Received) -> str | None:
    try:
        return str(json_object(received.body).get("event_id") or "") or None
    except Unusable:
        return None


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    if need(data, "event_type") not in (RESPONSE, PARTIAL):
        return []
    response = need(data, "form_response")
    token = str(need(data, "form_response", "token"))
    answers = response.get("answers")
    if not isinstance(answers, list):
        raise Unusable("form_response.answers is missing")
    questions = {
        str(field.get("id")): field
        for field in dig(response, "definition.fields") or ()
        if isinstance(field, dict)
    }
    read = _Answers([a for a in answers if isinstance(a, dict)], questions)
    hidden = response.get("hidden") if isinstance(response.get("hidden"), dict) else {}
    who = customer(hidden.get("name"), read.email or hidden.get("email"))
    form = text_of(response.get("form_id"))
    at = timestamp(response.get("submitted_at")) or timestamp(response.get("landed_at"))
    arrived = Arrived(
        key=token,
        body=read.body(),
        title=text_of(dig(response, "definition.title")) or None,
        kind=read.kind,
        severity=read.severity,
        customer=who,
        url=web_url(f"https://admin.typeform.com/form/{form}/results#responses") if form else None,
        received_at=at,
    )
    return [
        FollowedUp(
            refers_to=(token,),
            text=arrived.body,
            author=who.name or who.email,
            at=at,
            otherwise=arrived,
        )
    ]


class _Answers:
    """One response's answers, read for what an item needs."""

    def __init__(self, answers: list[dict[str, Any]], questions: dict[str, dict[str, Any]]) -> None:
        self._answers = answers
        self._questions = questions
        self.email = next((a.get("email") for a in answers if a.get("type") == "email"), None)
        self._rating, self.kind, self.severity = self._rated() or (
            "",
            Kind.FEEDBACK,
            Severity.NORMAL,
        )

    def body(self) -> str:
        """The long-text answers and the rating; every answer when there are neither."""
        written = [text_of(a.get("text")) for a in self._answers if _type(a) == "long_text"]
        parts = [text for text in written if text] + ([self._rating] if self._rating else [])
        if not parts:
            parts = [line for line in map(self._line, self._answers) if line]
        if not parts:
            raise Unusable("form_response.answers has no answer to read")
        return "\n\n".join(parts)

    def _rated(self) -> tuple[str, Kind, Severity] | None:
        """The rating as a sentence, and what it says, from the answer that rates."""
        for wanted in RATINGS:
            for answer in self._answers:
                score = answer.get("number")
                if _type(answer) == wanted and isinstance(score, int | float):
                    lowest, highest = self._scale(answer)
                    title = self._title(answer)
                    stated = f"Rating: {score:g} on a scale of {lowest} to {highest}"
                    return (
                        f"{stated} ({title})" if title else stated,
                        *rating_verdict(score, lowest, highest),
                    )
        return None

    def _scale(self, answer: dict[str, Any]) -> tuple[int, int]:
        """Typeform's scale for the question: as its definition says, else Typeform's default
        (5 stars; 0 to 10)."""
        properties = dig(self._questions.get(_field_id(answer)), "properties") or {}
        steps = properties.get("steps") if isinstance(properties, dict) else None
        if _type(answer) == "rating":
            return 1, steps if isinstance(steps, int) and steps > 1 else 5
        lowest = 1 if isinstance(properties, dict) and properties.get("start_at_one") else 0
        return lowest, lowest + (steps - 1 if isinstance(steps, int) and steps > 1 else 10)

    def _title(self, answer: dict[str, Any]) -> str:
        return text_of(dig(self._questions.get(_field_id(answer)), "title"))

    def _line(self, answer: dict[str, Any]) -> str:
        value = _value(answer)
        title = self._title(answer)
        return f"{title}: {value}" if title and value else value


def _type(answer: dict[str, Any]) -> str:
    return str(dig(answer, "field.type") or "")


def _field_id(answer: dict[str, Any]) -> str:
    return str(dig(answer, "field.id") or "")


def _value(answer: dict[str, Any]) -> str:
    """An answer as words, whatever its type."""
    kind = str(answer.get("type") or "")
    value = answer.get(kind)
    if kind == "choice":
        return text_of(dig(value, "label")) or text_of(dig(value, "other"))
    if kind == "choices":
        labels = [*(dig(value, "labels") or ()), dig(value, "other")]
        return ", ".join(text_of(label) for label in labels if text_of(label))
    if kind == "boolean":
        return "yes" if value else "no"
    return str(value).strip() if isinstance(value, str | int | float) else ""
