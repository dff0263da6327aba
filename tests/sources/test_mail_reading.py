"""Reading one email: the customer's own words (plain text preferred, HTML read as text, quoted
history and signatures left out), attachments by name and size, replies on their thread,
auto-replies dropped, the sender as the customer. Every real message in
`../shared/realdata/sources/email/` is read; the Outlook, signature and auto-reply variants
no public sample covers are written here from what those clients send."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
from pathlib import Path

import pytest

from bot.sources.events import Arrived, FollowedUp, Unusable
from handlers.sources.base import html_to_text
from handlers.sources.mail import KEY_MAX_CHARS, Attachment, mail_events, mail_of, read_mail
from handlers.sources.mail_text import customer_words, strip_quoted
from tests.support.realdata import needs_realdata, realdata_path

pytestmark = needs_realdata

# Each real message: the words that are the customer's own, and words of the history it
# quotes, none of which may remain.
REAL = {
    "apple_mail_reply_with_references.eml": ("Hello", ["Hi there", "wrote:", ">"]),
    "gmail_reply_multipart_quoted.eml": ("Hello", ["Hi", "wrote:", "Megan One <"]),
    "rfc2822_thread_1_hello.eml": ('This is a message just to say hello.\nSo, "Hello".', []),
    "rfc2822_thread_2_reply.eml": ("This is a reply to your hello.", []),
    "rfc2822_thread_3_reply_to_reply.eml": ("This is a reply to your reply.", []),
    "thunderbird_reply_with_references.eml": ("Message body", []),
    "yahoo_reply_with_in_reply_to.eml": ("Hello", ["Original Message", "Sent:", "Hi", "From:"]),
}


def email_folder() -> Path:
    return realdata_path("sources", "email")


def message(headers: str, body: str) -> bytes:
    return (
        (headers.strip() + "\r\n\r\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()
    )


HEADERS = "From: Dana <dana@example.com>\nSubject: Export\nMessage-ID: <m1@example.com>"


def test_every_real_message_is_read() -> None:
    assert sorted(p.name for p in email_folder().glob("*.eml")) == sorted(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_message_keeps_the_customers_words_and_none_of_the_history(name: str) -> None:
    words, history = REAL[name]
    mail = read_mail((email_folder() / name).read_bytes())
    assert mail.text == words
    for quoted in history:
        assert quoted not in mail.text.replace(words, "", 1)


def test_html_is_read_as_text_when_there_is_no_plain_part() -> None:
    """Gmail's HTML half of the real reply, alone: its gmail_quote is history."""
    raw = (email_folder() / "gmail_reply_multipart_quoted.eml").read_text()
    html = raw.split("Content-Transfer-Encoding: 7bit\n\n")[2].split("\n--===")[0]
    mail = read_mail(message(HEADERS + "\nContent-Type: text/html; charset=utf-8", html))
    assert mail.text == "Hello"


def test_plain_text_is_preferred_to_html() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nThe plain words\n"
        "--b\nContent-Type: text/html\n\n<p>The <b>HTML</b> words</p>\n--b--\n"
    )
    mail = read_mail(message(HEADERS + '\nContent-Type: multipart/alternative; boundary="b"', body))
    assert mail.text == "The plain words"


def test_html_to_text_lays_out_blocks_and_leaves_out_what_says_nothing() -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<div>Hi&nbsp;team,</div><div><br></div><div>The <b>export</b>\n   button &amp; the"
        " menu:</div><ul><li>crash</li><li>freeze</li></ul><p>Thanks</p>"
        "<script>alert(1)</script></body></html>"
    )
    assert (
        html_to_text(html)
        == "Hi team,\n\nThe export button & the menu:\n\n- crash\n- freeze\n\nThanks"
    )


def test_html_quotes_and_signatures_are_left_out() -> None:
    html = (
        "<div>It still fails.</div><div class='gmail_signature'>Dana | ACME</div>"
        "<blockquote type='cite'>On Monday Support wrote: <div>Try again</div></blockquote>"
        "<div>After the quote.</div><div id='appendonsend'></div><hr>"
        "<b>From:</b> Support<br><b>Sent:</b> Monday<br>Try again"
    )
    assert html_to_text(html, without_quotes=True) == "It still fails.\nAfter the quote."
    assert "Try again" in html_to_text(html)


def test_html_the_standard_parser_refuses_is_still_read() -> None:
    """Outlook's conditional sections parse; an unknown `<![…]>` makes `html.parser` raise."""
    assert html_to_text("<p><![if !supportLists]>1.<![endif]>Export</p>") == "1.Export"
    assert html_to_text("<p>Export<![foo bar]> fails</p>") == "Export fails"


@pytest.mark.parametrize(
    ("text", "own"),
    [
        pytest.param(
            "It fails.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nTry again",
            "It fails.",
            id="outlook-original-message",
        ),
        pytest.param(
            "It fails.\n\n________________________________\nFrom: Support <s@acme.example>\n"
            "Sent: Monday, 5 January 2026 09:00\nTo: Dana\nSubject: RE: Export\n\nTry again",
            "It fails.",
            id="outlook-header",
        ),
        pytest.param(
            "It fails.\n\n*From:* Support <s@acme.example>\n*Date:* Mon, 5 Jan 2026\n\nTry again",
            "It fails.",
            id="outlook-plain-bold",
        ),
        pytest.param(
            "It fails.\n\nOn Mon, 5 Jan 2026 at 09:00, Support Team <support@acme.example>\n"
            "wrote:\n\n> Try again",
            "It fails.",
            id="attribution-on-two-lines",
        ),
        pytest.param(
            "Es geht nicht.\n\nAm 05.01.2026 um 09:00 schrieb Support <s@acme.example>:\n> Bitte",
            "Es geht nicht.",
            id="attribution-german",
        ),
        pytest.param("It fails.\n\n-- \nDana Customer\nACME Corp", "It fails.", id="signature"),
        pytest.param("It fails.\n\nSent from my iPhone", "It fails.", id="iphone"),
        pytest.param(
            "It fails.\nGet Outlook for Android\n\n> Try again", "It fails.", id="outlook-mobile"
        ),
        pytest.param(
            "> Did it work?\nNo, it fails.\n> And now?\nStill.",
            "No, it fails.\nStill.",
            id="inline",
        ),
    ],
)
def test_history_and_signatures_are_stripped(text: str, own: str) -> None:
    assert strip_quoted(text) == own


def test_a_message_that_is_all_quotation_keeps_its_text() -> None:
    """A forward without a word of its own: the forwarded words are what there is."""
    text = "-----Original Message-----\nFrom: Eve\nSent: Monday\n\nThe app crashes"
    assert customer_words(text, "") == text


def test_attachments_are_listed_by_name_and_size_not_stored() -> None:
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 8
    body = (
        "--m\nContent-Type: text/plain\n\nSee the invoice.\n"
        "--m\nContent-Type: application/pdf\nContent-Disposition: attachment;"
        ' filename="invoice.pdf"\nContent-Transfer-Encoding: base64\n\n'
        + base64.encodebytes(pdf).decode()
        + "--m--\n"
    )
    mail = read_mail(message(HEADERS + '\nContent-Type: multipart/mixed; boundary="m"', body))
    assert mail.attachments == (Attachment("invoice.pdf", len(pdf)),)
    [event] = mail_events(mail)
    assert isinstance(event, Arrived)
    assert event.body == (
        f"See the invoice.\n\nAttachments (not stored): invoice.pdf ({len(pdf):,} bytes)"
    )


def test_a_real_attachment_in_a_sendgrid_raw_message_is_listed() -> None:
    raw = realdata_path("sources", "sendgrid", "inbound_parse_raw_data_with_attachments.txt")
    mime = raw.read_text().split('name="email"\n\n', 1)[1].split("\n--xYzZY")[0]
    mail = read_mail(mime.encode())
    assert [a.name for a in mail.attachments] == ["SendGrid.jpg"]
    assert mail.attachments[0].size > 10_000


def test_encoded_and_8bit_headers_are_decoded() -> None:
    """An encoded comma in a name does not split the address; raw UTF-8 (unlabelled, as
    many mailers send it) and encoded file names read as they were meant."""
    headers = (
        "From: =?utf-8?q?Doe=2C_J=C3=B6rg?= <Joerg@Example.com>\n"
        "Subject: Grüße: the =?iso-8859-1?q?caf=E9?= menu\n"
        'Content-Type: multipart/mixed; boundary="m"'
    )
    body = (
        "--m\nContent-Type: text/plain; charset=us-ascii\n\nDanke schön\n"
        "--m\nContent-Type: text/plain\nContent-Disposition: attachment;"
        ' filename="=?utf-8?q?R=C3=A9sum=C3=A9=2Etxt?="\n\nabc\n--m--\n'
    )
    mail = read_mail(message(headers, body))
    assert (mail.sender_name, mail.sender_email) == ("Doe, Jörg", "joerg@example.com")
    assert mail.subject == "Grüße: the café menu"
    assert mail.text == "Danke schön"
    assert mail.attachments == (Attachment("Résumé.txt", 3),)


def test_a_message_parsed_by_the_caller_with_the_modern_policy_reads_the_same() -> None:
    """A mailbox poller may parse with `email.policy.default` and hand the message over."""
    for path in sorted(email_folder().glob("*.eml")):
        raw = path.read_bytes()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert mail_of(parsed) == read_mail(raw)


def test_the_sender_is_the_customer_and_a_reply_follows_its_thread() -> None:
    reply = read_mail((email_folder() / "rfc2822_thread_3_reply_to_reply.eml").read_bytes())
    [event] = mail_events(reply)
    assert isinstance(event, FollowedUp)
    assert event.refers_to == ("<3456@example.net>", "<1234@local.machine.example>")
    assert (event.author, event.own_key) == ("John Doe", "<abcd.1234@local.machine.tld>")
    assert event.otherwise is not None
    assert (event.otherwise.customer.name, event.otherwise.customer.email) == (
        "John Doe",
        "jdoe@machine.example",
    )


def test_keys_fit_an_external_id_and_a_long_message_id_still_threads() -> None:
    long_id = "<" + "x" * 250 + "@example.com>"
    first = read_mail(message(f"From: a@example.com\nSubject: {'s' * 300}", "Hi"))
    assert len(first.key) <= KEY_MAX_CHARS
    original = read_mail(message(f"From: a@example.com\nMessage-ID: {long_id}", "Hi"))
    reply = read_mail(message(f"From: a@example.com\nIn-Reply-To: {long_id}", "Again"))
    assert len(original.key) <= KEY_MAX_CHARS
    assert reply.replies_to == (original.key,)


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "Precedence: auto_reply",
        "Subject: Automatic reply: Export",
        "Subject: Out of Office: Export",
        "Subject: Abwesenheitsnotiz: Export",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
    ],
)
def test_auto_replies_are_dropped(header: str) -> None:
    headers = "From: Dana <dana@example.com>\nMessage-ID: <ooo@example.com>\n" + header
    mail = read_mail(message(headers, "I am away until Monday."))
    assert mail.automatic
    assert mail_events(mail) == []


def test_a_message_to_a_group_address_is_not_an_auto_reply() -> None:
    """Google Groups marks every message `Precedence: list`, customers' ones too."""
    mail = read_mail(message(HEADERS + "\nPrecedence: list", "The export fails."))
    assert not mail.automatic
    assert len(mail_events(mail)) == 1


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param("Subject: no sender", "From is missing", id="no-from"),
        pytest.param('From: "', "From is missing", id="malformed-from"),
        pytest.param("From: <a@", "From is missing", id="unterminated-from"),
        pytest.param("From: dana@example.com", "no text", id="no-words"),
    ],
)
def test_an_unreadable_message_says_what_is_missing(headers: str, reason: str) -> None:
    with pytest.raises(Unusable, match=reason):
        mail_events(read_mail(message(headers, "")))


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_cut_message_is_read_or_refused_never_a_crash(name: str) -> None:
    raw = (email_folder() / name).read_bytes()
    for end in range(0, len(raw), 7):
        with contextlib.suppress(Unusable):
            mail_events(read_mail(raw[:end]))
