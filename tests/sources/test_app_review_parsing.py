"""Reading one app store review into what it does to an item, and following a store's pages:
pure, no server.

No permissively licensed capture of App Store Connect's or Google Play's review answers
exists, so each review here is built from the vendor's published reference (Apple's
`CustomerReview` resource as "List all customer reviews for an app" returns it; Google's
`Review` resource of `reviews.list`), with the fields those documents show.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import Kind, Severity
from bot.ports.sources import PollFailed
from bot.sources.events import Revised, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import appstore, googleplay
from handlers.sources.base import Received
from handlers.vendors.http import next_link

APPLE = SourceConfig("ios", SourceKind.APPSTORE, options={"app_id": "682658836"})
GOOGLE = SourceConfig("android", SourceKind.GOOGLEPLAY, options={"package": "com.example.app"})


def apple_review(**attributes: Any) -> dict[str, Any]:
    """A `customerReviews` resource as Apple's documented example shows it."""
    review_id = "00000028-b08c-0014-729e-fbd500000000"
    own = f"https://api.appstoreconnect.apple.com/v1/customerReviews/{review_id}"
    return {
        "type": "customerReviews",
        "id": review_id,
        "attributes": {
            "rating": 5,
            "title": "Awesome!!!",
            "body": "It's a really fantastic app!",
            "reviewerNickname": "Anne Johnson",
            "createdDate": "2017-11-15T08:10:34-08:00",
            "territory": "USA",
            **attributes,
        },
        "relationships": {
            "response": {
                "links": {"self": f"{own}/relationships/response", "related": f"{own}/response"}
            }
        },
        "links": {"self": own},
    }


def google_review(**comment: Any) -> dict[str, Any]:
    """A `Review` resource as Google's `reviews.list` reference describes it."""
    return {
        "reviewId": "gp:AOqpTOGx1",
        "authorName": "Priya Raman",
        "comments": [
            {
                "userComment": {
                    "text": "\tWorks well, syncs fast",
                    "lastModified": {"seconds": "1736413200", "nanos": 512000000},
                    "starRating": 4,
                    "reviewerLanguage": "en",
                    "device": "a32",
                    "androidOsVersion": 33,
                    "appVersionCode": 412,
                    "appVersionName": "4.1.2",
                    "thumbsUpCount": 3,
                    "thumbsDownCount": 0,
                    **comment,
                }
            },
            {
                "developerComment": {
                    "text": "Thanks for the kind words!",
                    "lastModified": {"seconds": "1736416800", "nanos": 0},
                }
            },
        ],
    }


def read(module: Any, review: dict[str, Any], source: SourceConfig) -> Revised:
    [event] = module.parse(Received({}, json.dumps(review).encode(), "application/json"), source)
    assert isinstance(event, Revised)
    return event


@pytest.mark.parametrize(
    ("rating", "kind", "severity"),
    [
        (1, Kind.COMPLAINT, Severity.HIGH),
        (2, Kind.COMPLAINT, Severity.NORMAL),
        (3, Kind.FEEDBACK, Severity.NORMAL),
        (4, Kind.PRAISE, Severity.LOW),
        (5, Kind.PRAISE, Severity.LOW),
    ],
)
def test_the_rating_sets_kind_and_severity_in_both_stores(
    rating: int, kind: Kind, severity: Severity
) -> None:
    for event in (
        read(appstore, apple_review(rating=rating), APPLE),
        read(googleplay, google_review(starRating=rating), GOOGLE),
    ):
        assert (event.latest.kind, event.latest.severity, event.rating) == (kind, severity, rating)
        assert f"{rating}-star" in event.latest.tags


def test_an_apple_review_becomes_an_item_linked_to_the_apps_reviews() -> None:
    event = read(appstore, apple_review(), APPLE)

    latest = event.latest
    assert latest.key == "00000028-b08c-0014-729e-fbd500000000"
    assert (latest.title, latest.body) == ("Awesome!!!", "It's a really fantastic app!")
    assert latest.customer.name == "Anne Johnson"
    assert latest.url == (
        "https://appstoreconnect.apple.com/apps/682658836/distribution/activity/ios/ratingsResponses"
    )
    assert latest.received_at is not None
    assert latest.received_at == datetime(2017, 11, 15, 16, 10, 34, tzinfo=UTC)
    assert latest.tags == ("5-star", "usa")
    assert event.what == "review"


def test_a_google_review_becomes_an_item_linked_to_the_review() -> None:
    event = read(googleplay, google_review(), GOOGLE)

    latest = event.latest
    assert latest.key == "gp:AOqpTOGx1"
    assert (latest.title, latest.body) == (None, "Works well, syncs fast")
    assert latest.customer.name == "Priya Raman"
    assert latest.url == (
        "https://play.google.com/store/apps/details?id=com.example.app&reviewId=gp%3AAOqpTOGx1"
    )
    assert latest.tags == ("4-star", "v4.1.2")
    assert latest.received_at is not None
    assert latest.received_at.timestamp() == pytest.approx(1736413200.512)


def test_a_google_review_with_a_title_has_it_apart_from_the_text() -> None:
    """Google joins a title to the text with a tab."""
    event = read(googleplay, google_review(text="Crashes\tIt crashes when I open settings"), GOOGLE)
    assert (event.latest.title, event.latest.body) == (
        "Crashes",
        "It crashes when I open settings",
    )


def test_an_unchanged_review_keeps_its_event_id_and_an_edit_gets_a_new_one() -> None:
    apple = apple_review()
    assert appstore.event_id(apple) == appstore.event_id(json.loads(json.dumps(apple)))
    edited = apple_review(rating=1, body="It stopped syncing.")
    assert appstore.event_id(edited) != appstore.event_id(apple)

    google = google_review()
    assert googleplay.event_id(google) == googleplay.event_id(google_review())
    later = google_review(lastModified={"seconds": "1736499600", "nanos": 0})
    assert googleplay.event_id(later) != googleplay.event_id(google)


@pytest.mark.parametrize(
    ("module", "review", "source", "missing"),
    [
        (appstore, apple_review(body="", title=""), APPLE, "attributes.body is missing"),
        (appstore, apple_review(rating=0), APPLE, "the rating 0 is not 1 to 5 stars"),
        (appstore, {"type": "customerReviews"}, APPLE, "id is missing"),
        (googleplay, google_review(starRating=None), GOOGLE, "the rating None is not 1 to 5"),
        (googleplay, {"reviewId": "gp:1", "comments": []}, GOOGLE, "userComment is missing"),
        (googleplay, google_review(text=" \t "), GOOGLE, "text is missing"),
    ],
)
def test_a_review_that_cannot_be_read_says_what_is_missing(
    module: Any, review: dict[str, Any], source: SourceConfig, missing: str
) -> None:
    with pytest.raises(Unusable) as error:
        module.parse(Received({}, json.dumps(review).encode()), source)
    assert missing in error.value.reason


def test_a_review_without_words_but_a_title_keeps_the_title_as_its_text() -> None:
    event = read(appstore, apple_review(body="", title="Love it"), APPLE)
    assert (event.latest.title, event.latest.body) == (None, "Love it")


def test_paging_stays_on_the_vendors_api_and_never_goes_round_in_circles() -> None:
    """The bearer token goes with the next page: a link elsewhere is refused, not followed."""
    base = "https://api.appstoreconnect.apple.com"
    seen: set[str] = set()
    first = f"{base}/v1/apps/1/customerReviews?cursor=AQ&limit=200"

    assert next_link(first, base, "App Store Connect", seen) == first
    assert next_link(None, base, "App Store Connect", seen) is None
    with pytest.raises(PollFailed, match="paging in circles"):
        next_link(first, base, "App Store Connect", seen)
    with pytest.raises(PollFailed, match=r"away from its API \(evil.example\)"):
        next_link("https://evil.example/v1/apps/1/customerReviews", base, "App Store Connect", seen)
