"""Typeform's documented `form_response` webhook, read by the Typeform module: signature, event
id, and the answers mapped to body, rating and email. Variants (other ratings, scales, hidden
fields, a partial response) are that example changed here, in the shape Typeform documents.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain import Kind, Severity
from bot.sources.events import Arrived, FollowedUp, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import typeform
from handlers.sources.base import Received, hmac_base64, hmac_hex
from tests.support.realdata import needs_realdata, realdata_json, realdata_path

pytestmark = needs_realdata

SECRET = "typeform-webhook-secret"
SOURCE = SourceConfig("survey", SourceKind.TYPEFORM, SECRET)
LONG_TEXT = (
    "It's cold right now! I live in an older medium-sized city with a university. "
    "Geographically, the area is hilly."
)


def example() -> dict[str, Any]:
    return realdata_json("sources", "typeform", "webhook_form_response_docs_example.json")  # type: ignore[no-any-return]


def arrived(data: dict[str, Any]) -> Arrived:
    [event] = typeform.parse(Received({}, json.dumps(data).encode()), SOURCE)
    assert isinstance(event, FollowedUp)
    assert event.otherwise is not None
    return event.otherwise


def rated(data: dict[str, Any], field_type: str, score: int, **properties: Any) -> Arrived:
    """The example with one rating answer of `field_type` (the example's others removed)."""
    response = data["form_response"]
    answers = [a for a in response["answers"] if a["field"]["type"] not in typeform.RATINGS]
    answers.append({"type": "number", "number": score, "field": {"id": "R", "type": field_type}})
    response["answers"] = answers
    response["definition"]["fields"].append(
        {"id": "R", "title": "How likely are you to recommend us?", "type": field_type}
        | ({"properties": properties} if properties else {})
    )
    return arrived(data)


def test_the_signature_is_base64_hmac_sha256_of_the_body() -> None:
    body = realdata_path("sources", "typeform", "webhook_form_response_docs_example.json")
    raw = body.read_bytes()

    def verified(header: str | None, source: SourceConfig = SOURCE) -> bool:
        headers = {} if header is None else {"typeform-signature": header}
        return typeform.verify(Received(headers, raw), source)

    assert verified("sha256=" + hmac_base64(SECRET, raw))
    assert not verified("sha256=" + hmac_base64("guess", raw))
    assert not verified("sha256=" + hmac_hex(SECRET, raw))  # hex is not Typeform's way
    assert not verified(hmac_base64(SECRET, raw))
    assert not verified(None)
    assert not verified(
        "sha256=" + hmac_base64(SECRET, raw), SourceConfig("s", SourceKind.TYPEFORM)
    )
    assert typeform.event_id(Received({}, raw)) == "LtWXD3crgy"


def test_the_documented_response_becomes_an_item_keyed_by_its_token() -> None:
    [event] = typeform.parse(Received({}, json.dumps(example()).encode()), SOURCE)

    assert isinstance(event, FollowedUp)  # a later delivery of the response: words on its item
    assert event.refers_to == ("a3a12ec67a1365927098a606107fac15",)
    item = event.otherwise
    assert item is not None
    assert item.key == "a3a12ec67a1365927098a606107fac15"
    assert item.title == "Webhooks example"
    assert item.body == (
        f"{LONG_TEXT}\n\nRating: 3 on a scale of 1 to 5 (How would you rate the weather where "
        "you currently live? 1 is poor weather, 5 is excellent weather.)"
    )
    assert event.text == item.body
    assert (item.kind, item.severity) == (Kind.FEEDBACK, Severity.NORMAL)  # 3 of 5
    assert item.customer.email == "laura@example.com"
    assert item.url == "https://admin.typeform.com/form/lT4Z3j/results#responses"
    assert item.received_at is not None
    assert item.received_at.isoformat() == "2018-01-18T18:17:02+00:00"


@pytest.mark.parametrize(
    ("score", "kind", "severity"),
    [
        (1, Kind.COMPLAINT, Severity.HIGH),
        (2, Kind.COMPLAINT, Severity.NORMAL),
        (3, Kind.FEEDBACK, Severity.NORMAL),
        (4, Kind.PRAISE, Severity.LOW),
        (5, Kind.PRAISE, Severity.LOW),
    ],
)
def test_a_star_rating_sets_kind_and_severity(score: int, kind: Kind, severity: Severity) -> None:
    item = rated(example(), "rating", score)
    assert (item.kind, item.severity) == (kind, severity)
    assert f"Rating: {score} on a scale of 1 to 5 (How likely" in item.body


def test_an_opinion_scale_is_read_on_its_own_scale() -> None:
    nps = rated(example(), "opinion_scale", 2)  # Typeform's default: 0 to 10
    five = rated(example(), "opinion_scale", 2, steps=5, start_at_one=True)
    promoter = rated(example(), "nps", 9)

    assert (nps.kind, nps.severity) == (Kind.COMPLAINT, Severity.HIGH)
    assert "Rating: 2 on a scale of 0 to 10" in nps.body
    assert (five.kind, five.severity) == (Kind.COMPLAINT, Severity.NORMAL)
    assert "Rating: 2 on a scale of 1 to 5" in five.body
    assert (promoter.kind, promoter.severity) == (Kind.PRAISE, Severity.LOW)


def test_a_star_rating_is_preferred_to_an_opinion_scale() -> None:
    data = example()  # it has both: an opinion scale (2) first, then a rating (3)
    assert "Rating: 3 on a scale of 1 to 5" in arrived(data).body


def test_the_email_comes_from_a_hidden_field_when_no_answer_gives_it() -> None:
    data = example()
    response = data["form_response"]
    response["answers"] = [a for a in response["answers"] if a["type"] != "email"]
    response["hidden"] = {"email": "ana@example.com", "name": "Ana"}
    item = arrived(data)
    assert (item.customer.email, item.customer.name) == ("ana@example.com", "Ana")


def test_a_response_without_long_text_or_rating_lists_its_answers() -> None:
    data = example()
    response = data["form_response"]
    response["answers"] = [
        a for a in response["answers"] if a["field"]["type"] in {"multiple_choice", "yes_no"}
    ]
    assert arrived(data).body == (
        "Which of these cities is your favorite?: London\n\n"
        "Do you have a favorite city we haven't listed?: no"
    )


def test_a_partial_response_is_the_same_response() -> None:
    data = example() | {"event_id": "partial-1", "event_type": "form_response_partial"}
    data["form_response"]["answers"] = data["form_response"]["answers"][:1]
    item = arrived(data)
    assert (item.key, item.body) == ("a3a12ec67a1365927098a606107fac15", LONG_TEXT)


def test_other_events_say_nothing() -> None:
    data = example() | {"event_type": "form_deleted"}
    assert typeform.parse(Received({}, json.dumps(data).encode()), SOURCE) == []


def test_an_unreadable_payload_says_what_is_missing() -> None:
    raw = json.dumps(example()).encode()
    with pytest.raises(Unusable, match="not JSON"):
        typeform.parse(Received({}, raw[: len(raw) // 2]), SOURCE)
    for missing, reason in [
        ("token", r"form_response\.token is missing"),
        ("answers", r"form_response\.answers is missing"),
    ]:
        data = example()
        del data["form_response"][missing]
        with pytest.raises(Unusable, match=reason):
            typeform.parse(Received({}, json.dumps(data).encode()), SOURCE)
    data = example()
    data["form_response"]["answers"] = []
    with pytest.raises(Unusable, match="no answer to read"):
        typeform.parse(Received({}, json.dumps(data).encode()), SOURCE)
