"""Postmark, Mailgun and SendGrid inbound payloads (their own examples, from
`../shared/realdata/sources/`), read by their modules: verification, event id, the message.

SendGrid's bodies are stored upstream with LF line endings; an HTTP client sends CRLF, so the
tests send them converted, and once as stored to show both are read. Replies, HTML-only
bodies and charset variants no vendor example covers are built from each vendor's documented
fields, starting from its real example."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.sources.events import Arrived, FollowedUp, Unusable
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import mailgun, postmark, sendgrid
from handlers.sources.base import Received, url_key_holds
from tests.support.realdata import needs_realdata, realdata_json, realdata_path

pytestmark = needs_realdata

KEY = "url-secret"
SIGNING_KEY = "key-test-signing"
POSTMARK = SourceConfig("inbox", SourceKind.POSTMARK, KEY)
MAILGUN = SourceConfig("routes", SourceKind.MAILGUN, SIGNING_KEY)
SENDGRID = SourceConfig("parse", SourceKind.SENDGRID, KEY)
Multipart = Callable[..., tuple[bytes, str]]


def as_json(data: dict[str, Any]) -> Received:
    return Received({}, json.dumps(data).encode(), "application/json", {"key": KEY})


def urlencoded(fields: dict[str, Any]) -> Received:
    return Received({}, urlencode(fields).encode(), "application/x-www-form-urlencoded")


def form(multipart: Multipart, fields: dict[str, Any], files: Any = ()) -> Received:
    body, content_type = multipart({k: str(v) for k, v in fields.items()}, files)
    return Received({}, body, content_type, {"key": KEY})


def sendgrid_file(name: str, crlf: bool = True) -> Received:
    body = realdata_path("sources", "sendgrid", name).read_bytes()
    body = body.replace(b"\n", b"\r\n") if crlf else body
    return Received({}, body, "multipart/form-data; boundary=xYzZY", {"key": KEY})


# ---- the URL key (Postmark, SendGrid) ----------------------------------------------------


def test_the_url_key_must_be_the_sources_secret() -> None:
    body = realdata_path("sources", "postmark", "inbound_check_payload.json").read_bytes()
    assert url_key_holds(Received({}, body, query={"key": KEY}), POSTMARK)
    assert not url_key_holds(Received({}, body, query={"key": KEY + "x"}), POSTMARK)
    assert not url_key_holds(Received({}, body, query={"key": ""}), POSTMARK)
    assert not url_key_holds(Received({}, body), POSTMARK)
    assert not url_key_holds(
        Received({}, body, query={"key": KEY}), SourceConfig("x", POSTMARK.kind)
    )
    assert postmark.verify is url_key_holds
    assert sendgrid.verify is url_key_holds


# ---- Postmark ----------------------------------------------------------------------------


def test_postmarks_check_message_arrives_with_its_attachment_listed() -> None:
    received = as_json(realdata_json("sources", "postmark", "inbound_check_payload.json"))
    [event] = postmark.parse(received, POSTMARK)
    assert isinstance(event, Arrived)
    assert event.key == "00000000-0000-0000-0000-000000000000"  # no Message-ID: Postmark's id
    assert postmark.event_id(received) == event.key
    assert event.title == "Test subject"
    assert (
        event.body == "This is a test text body.\n\nAttachments (not stored): test.txt (45 bytes)"
    )
    assert (event.customer.name, event.customer.email) == (
        "Postmarkapp Support",
        "support@postmarkapp.com",
    )


def test_postmarks_raw_email_is_read_as_the_message() -> None:
    data = realdata_json("sources", "postmark", "inbound_check_payload_with_raw.json")
    data["RawEmail"] = data["RawEmail"].replace("This is a test text body.", "Read from the raw.")
    [event] = postmark.parse(as_json(data), POSTMARK)
    assert isinstance(event, Arrived)
    assert event.body == "Read from the raw."


def test_postmarks_documented_example_is_known_by_its_message_id() -> None:
    received = as_json(realdata_json("sources", "postmark", "inbound_docs_example.json"))
    [event] = postmark.parse(received, POSTMARK)
    assert isinstance(event, Arrived)
    message_id = "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>"
    assert (event.key, postmark.event_id(received)) == (message_id, message_id)
    assert event.body.endswith("myimage.png (4,096 bytes), mypaper.doc (16,384 bytes)")
    assert event.customer.email == "myuser@theirdomain.com"


def postmark_reply(**changes: Any) -> dict[str, Any]:
    """A reply to Postmark's documented example, in the same shape."""
    data = realdata_json("sources", "postmark", "inbound_docs_example.json")
    original = "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>"
    data |= {
        "MessageID": "9b1e77a5-0000-4000-8000-000000000002",
        "Subject": "Re: This is an inbound message",
        "TextBody": "Thanks, it works now.\n\nOn Thu, 5 Apr 2012 at 16:59, Support"
        " <support@example.com> wrote:\n> [ASCII]\n",
        "HtmlBody": "",
        "Attachments": [],
        "Headers": [
            {"Name": "Message-ID", "Value": "<reply-2@theirDomain.com>"},
            {"Name": "In-Reply-To", "Value": original},
            {"Name": "References", "Value": original},
        ],
    }
    return data | changes


def test_a_postmark_reply_follows_its_thread_without_the_history() -> None:
    [event] = postmark.parse(as_json(postmark_reply()), POSTMARK)
    assert isinstance(event, FollowedUp)
    assert event.refers_to == (
        "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>",
    )
    assert (event.text, event.author, event.own_key) == (
        "Thanks, it works now.",
        "John Doe",
        "<reply-2@theirDomain.com>",
    )


def test_postmark_html_only_is_read_as_text_without_its_quote() -> None:
    html = "<div>Thanks, it works.</div><blockquote>[ASCII]</blockquote>"
    [event] = postmark.parse(as_json(postmark_reply(TextBody="", HtmlBody=html)), POSTMARK)
    assert isinstance(event, FollowedUp)
    assert event.text == "Thanks, it works."


def test_a_postmark_auto_reply_says_nothing() -> None:
    headers = [*postmark_reply()["Headers"], {"Name": "Auto-Submitted", "Value": "auto-replied"}]
    assert postmark.parse(as_json(postmark_reply(Headers=headers)), POSTMARK) == []


def test_a_truncated_postmark_payload_says_what_is_wrong() -> None:
    body = realdata_path("sources", "postmark", "inbound_check_payload.json").read_bytes()
    with pytest.raises(Unusable, match="not JSON"):
        postmark.parse(Received({}, body[: len(body) // 2]), POSTMARK)
    with pytest.raises(Unusable, match="From is missing"):
        postmark.parse(as_json({"TextBody": "words"}), POSTMARK)


# ---- Mailgun -----------------------------------------------------------------------------


def test_mailguns_own_signature_vectors() -> None:
    vectors = realdata_json("sources", "mailgun", "webhook_signature_vectors.json")
    for vector in vectors.values():
        holds = mailgun.signature_holds(
            vector["signing_key"], str(vector["timestamp"]), vector["token"], vector["signature"]
        )
        assert holds is vector["expected"]


def test_a_mailgun_signature_must_be_fresh() -> None:
    """Mailgun's valid vector, posted as its fields: accepted within 15 minutes of its
    timestamp either way, refused beyond."""
    vector = realdata_json("sources", "mailgun", "webhook_signature_vectors.json")["valid"]
    source = SourceConfig("routes", SourceKind.MAILGUN, vector["signing_key"])
    received = urlencoded({name: vector[name] for name in ("timestamp", "token", "signature")})
    at = vector["timestamp"]
    assert mailgun.verify(received, source, now=at + 60)
    assert mailgun.verify(received, source, now=at - mailgun.MAX_AGE_SECONDS)
    assert not mailgun.verify(received, source, now=at + mailgun.MAX_AGE_SECONDS + 1)
    assert not mailgun.verify(received, source, now=at - mailgun.MAX_AGE_SECONDS - 1)
    assert not mailgun.verify(received, MAILGUN, now=at)  # another key
    assert not mailgun.verify(urlencoded({"token": vector["token"]}), source, now=at)
    assert not mailgun.verify(Received({}, b"{}", "application/json"), source, now=at)


def test_mailguns_routed_message_arrives(
    multipart: Multipart, mailgun_signed: Callable[..., dict[str, str]]
) -> None:
    data = realdata_json("sources", "mailgun", "inbound_forward_route_docs_sample.json")
    received = form(multipart, mailgun_signed(data, SIGNING_KEY))
    assert mailgun.verify(received, MAILGUN)
    [event] = mailgun.parse(received, MAILGUN)
    assert isinstance(event, Arrived)
    message_id = "<CABPem2N_Ucj3wRRZnLVpVF_fRjkTBXHZReZC3zY-hHsRa=T51g@samples.mailgun.com>"
    assert (event.key, mailgun.event_id(received)) == (message_id, message_id)
    assert event.body == "Testing Mailgun's forwarded and stored message routes :)"
    assert (event.customer.name, event.customer.email) == (
        "Excited User",
        "user@samples.mailgun.com",
    )


def test_a_mailgun_reply_follows_its_thread_without_the_history() -> None:
    """Mailgun's route-tester reply, urlencoded this time (its `message-headers` does not
    parse as JSON, so the headers come from their own fields); its HTML reads the same."""
    data = realdata_json("sources", "mailgun", "inbound_route_sample_reply.json")
    [event] = mailgun.parse(urlencoded(data), MAILGUN)
    assert isinstance(event, FollowedUp)
    assert event.refers_to == (
        "<517AC78B.5060404@sandbox085a3b878a964897b9b9efb2395a1f5a.mailgun.org>",
    )
    assert event.text == "Hi Alice,\n\nThis is Bob.\n\nI also attached a file.\n\nThanks,\nBob"
    assert event.author == "Bob"
    [from_html] = mailgun.parse(urlencoded(data | {"body-plain": ""}), MAILGUN)  # its HTML alone
    assert isinstance(from_html, FollowedUp)
    assert from_html.text == event.text


def test_mailgun_attachments_are_listed(multipart: Multipart) -> None:
    data = realdata_json("sources", "mailgun", "inbound_forward_route_docs_sample.json")
    files = [("attachment-1", "trace.log", b"x" * 1234), ("attachment-2", "shot.png", b"\x89PNG")]
    [event] = mailgun.parse(form(multipart, data | {"attachment-count": 2}, files), MAILGUN)
    assert isinstance(event, Arrived)
    assert event.body.endswith("trace.log (1,234 bytes), shot.png (4 bytes)")
    stored = realdata_json("sources", "mailgun", "inbound_store_route_docs_sample.json")
    described = [{"url": "https://x", "content-type": "text/plain", "name": "a.txt", "size": 7}]
    [event] = mailgun.parse(urlencoded(stored | {"attachments": json.dumps(described)}), MAILGUN)
    assert isinstance(event, Arrived)
    assert event.body.endswith("Attachments (not stored): a.txt (7 bytes)")


def test_mailguns_whole_mime_is_read_as_the_message(multipart: Multipart) -> None:
    mime = realdata_path("sources", "email", "rfc2822_thread_2_reply.eml").read_text()
    received = form(multipart, {"recipient": "support@example.com", "body-mime": mime})
    [event] = mailgun.parse(received, MAILGUN)
    assert isinstance(event, FollowedUp)
    assert (event.text, event.own_key) == ("This is a reply to your hello.", "<3456@example.net>")


def test_a_truncated_mailgun_form_says_what_is_wrong(
    multipart: Multipart, mailgun_signed: Callable[..., dict[str, str]]
) -> None:
    data = realdata_json("sources", "mailgun", "inbound_forward_route_docs_sample.json")
    received = form(multipart, mailgun_signed(data, SIGNING_KEY))
    cut = Received({}, received.body[: len(received.body) // 2], received.content_type)
    assert mailgun.verify(cut, MAILGUN)  # the signature came first, so it is still there
    with pytest.raises(Unusable, match="cut short"):
        mailgun.parse(cut, MAILGUN)
    with pytest.raises(Unusable, match="not a form"):
        mailgun.parse(Received({}, b"{}", "application/json"), MAILGUN)


# ---- SendGrid ----------------------------------------------------------------------------


@pytest.mark.parametrize("crlf", [True, False], ids=["crlf", "lf-as-stored"])
def test_sendgrids_default_mode_message_arrives(crlf: bool) -> None:
    received = sendgrid_file("inbound_parse_default_data.txt", crlf)
    [event] = sendgrid.parse(received, SENDGRID)
    assert isinstance(event, Arrived)
    assert (event.title, event.body) == ("Inbound Parse Test Data", "Hello Twilio SendGrid!")
    assert (event.customer.name, event.customer.email) == ("Example User", "test@example.com")
    assert sendgrid.event_id(received) == event.key  # no Message-ID: sender, date, subject


@pytest.mark.parametrize("crlf", [True, False], ids=["crlf", "lf-as-stored"])
def test_sendgrids_raw_mode_is_read_as_the_message(crlf: bool) -> None:
    [event] = sendgrid.parse(
        sendgrid_file("inbound_parse_raw_data_with_attachments.txt", crlf), SENDGRID
    )
    assert isinstance(event, Arrived)
    assert event.title == "Inbound Parse Test Raw Data with Attachment"
    assert event.body.startswith(
        "Hello Twilio SendGrid!\n\nAttachments (not stored): SendGrid.jpg ("
    )


def test_sendgrids_captured_message_without_its_signature_line(multipart: Multipart) -> None:
    """A captured default-mode post (its fields; the file itself was not kept upstream, so
    `attachment-info` names it without a size)."""
    received = form(multipart, realdata_json("sources", "sendgrid", "inbound_parse_capture.json"))
    [event] = sendgrid.parse(received, SENDGRID)
    assert isinstance(event, Arrived)
    assert event.key == "<E31C8C77-1EE4-41C9-A503-2C028F224D7C@example.com>"
    assert event.body == (
        "This is a message.\n\nAttachments (not stored): Screen Shot 2014-05-12 at 17.06.14.png"
    )


def test_sendgrid_fields_are_read_in_their_charsets(multipart: Multipart) -> None:
    fields = realdata_json("sources", "sendgrid", "inbound_parse_capture.json")
    fields |= {"text": "Grüße aus Köln", "charsets": json.dumps({"text": "iso-8859-1"})}
    body, content_type = multipart(fields)
    latin = body.replace("Grüße aus Köln".encode(), "Grüße aus Köln".encode("iso-8859-1"))
    [event] = sendgrid.parse(Received({}, latin, content_type), SENDGRID)
    assert isinstance(event, Arrived)
    assert event.body.startswith("Grüße aus Köln")


def test_a_truncated_sendgrid_form_says_what_is_wrong() -> None:
    whole = sendgrid_file("inbound_parse_default_data.txt")
    cut = Received({}, whole.body[: len(whole.body) // 2], whole.content_type)
    with pytest.raises(Unusable, match="cut short"):
        sendgrid.parse(cut, SENDGRID)


@pytest.mark.parametrize("vendor", [postmark, mailgun, sendgrid], ids=lambda m: m.__name__)
def test_each_vendors_sample_reads_for_sources_test(vendor: Any) -> None:
    [event] = vendor.parse(Received({}, vendor.sample, vendor.sample_type), None)
    assert isinstance(event, Arrived)
    assert event.body == "When I press Export nothing happens."
    assert event.customer.email == "dana@example.com"
