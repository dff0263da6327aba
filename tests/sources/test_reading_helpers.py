"""What every vendor module reads with: HTML turned into text, dotted paths, times, ratings and
signatures in `scheme=value` headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import Kind, Severity
from handlers.sources.base import (
    customer,
    dig,
    html_to_text,
    rating_verdict,
    scheme_signature_holds,
    timestamp,
    web_url,
)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hi Bob,hola</p>", "Hi Bob,hola"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("first<br>second<br/><br>fourth", "first\nsecond\n\nfourth"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<p>Hello <b>big</b>\n   <i>world</i></p>", "Hello big world"),
        ("Fish &amp; chips &lt;3 &#9731; caf&eacute;&nbsp;!", "Fish & chips <3 ☃ café !"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "- one\n- two\n\nafter"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<pre>keep\n   this</pre>and this", "keep\nthis\n\nand this"),  # lines, not indents
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("plain words", "plain words"),
        ("<p> </p>", ""),
    ],
)
def test_html_becomes_the_text_a_reader_sees(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_scripts_styles_and_the_head_say_nothing() -> None:
    html = (
        "<html><head><title>Mail</title><style>p { color: red }</style></head>"
        "<body><script>alert('x')</script><p>Body</p><noscript>js off</noscript></body></html>"
    )
    assert html_to_text(html) == "Body"


def test_dotted_paths_reach_into_objects_and_lists() -> None:
    data = {"a": {"b": [{"c": "here"}, {"c": 2}]}}
    assert dig(data, "a.b.0.c") == "here"
    assert dig(data, ["a", "b", "1", "c"]) == 2
    assert dig(data, "a.b.2.c") is None
    assert dig(data, "a.x.c") is None
    assert dig(data, "a.b.c") is None
    assert dig(None, "a") is None


def test_times_are_rfc_3339_or_unix_seconds_even_in_a_string() -> None:
    expected = datetime(2014, 9, 10, 7, 48, 13, tzinfo=UTC)
    assert timestamp(1410335293) == expected
    assert timestamp("1410335293") == expected
    assert timestamp("2014-09-10T07:48:13Z") == expected
    assert timestamp("2014-09-10T09:48:13.123456789+02:00") == expected.replace(microsecond=123456)
    for unreadable in ("last tuesday", "", None, True, 10**20, {"at": 1}):
        assert timestamp(unreadable) is None


def test_a_rating_sets_kind_and_severity_by_where_it_sits_on_its_scale() -> None:
    assert rating_verdict(1, 1, 5) == (Kind.COMPLAINT, Severity.HIGH)
    assert rating_verdict(2, 1, 5) == (Kind.COMPLAINT, Severity.NORMAL)
    assert rating_verdict(3, 1, 5) == (Kind.FEEDBACK, Severity.NORMAL)
    assert rating_verdict(4, 1, 5) == (Kind.PRAISE, Severity.LOW)
    assert rating_verdict(0, 0, 10) == (Kind.COMPLAINT, Severity.HIGH)
    assert rating_verdict(10, 0, 10) == (Kind.PRAISE, Severity.LOW)
    assert rating_verdict(7, 7, 7) == (Kind.FEEDBACK, Severity.NORMAL)  # no scale at all


def test_a_scheme_signature_is_compared_whole() -> None:
    assert scheme_signature_holds("sha256=abc", "sha256", "abc")
    assert scheme_signature_holds(" SHA256=abc ", "sha256", "abc")
    assert not scheme_signature_holds("sha256=abd", "sha256", "abc")
    assert not scheme_signature_holds("sha1=abc", "sha256", "abc")
    assert not scheme_signature_holds("abc", "sha256", "abc")
    assert not scheme_signature_holds("", "sha256", "abc")


def test_a_customer_and_a_link_are_kept_only_when_they_are_one() -> None:
    assert customer("  Dana ", "dana@example.com").model_dump(exclude_none=True) == {
        "name": "Dana",
        "email": "dana@example.com",
    }
    assert customer("x" * 300, "{{ticket.requester.email}}").email is None
    assert len(customer("x" * 300, None).name or "") == 200
    assert web_url("https://example.com/t/1") == "https://example.com/t/1"
    assert web_url("javascript:alert(1)") is None
    assert web_url("https://example.com/" + "x" * 2000) is None
