"""POST /sources/NAME end to end for the inbound-email webhooks (Postmark, Mailgun, SendGrid),
with their own example payloads: one item and one card per message, a retry does nothing, a
reply in the thread is a comment on the same item, a wrong URL key or signature stores
nothing, an unreadable delivery is kept for a replay; auto-replies are dropped.

Postmark and SendGrid are given the URL `sources add` prints (`?key=…`); Mailgun's fields are
signed with a test signing key when posted (a fresh timestamp and token each time, as Mailgun
does on every attempt). Replies no vendor example covers are built from a real example."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from sqlalchemy import func, select

from app import cli
from bot.admin.secrets import new_key
from bot.core import Core
from bot.ports.records import ListFilter
from bot.sources.events import Arrived
from handlers.sources import mailgun, postmark, sendgrid
from handlers.sources.vendors import VendorParser
from storage.models import SourceDeliveryRow
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json, realdata_path
from tests.support.slack_payloads import CARDS

pytestmark = needs_realdata


SECRET = "inbound-email-secret"
SOURCE = "mail"
Client = TestClient[Any, Any]


@dataclass(frozen=True)
class Payload:
    """A message as its vendor posts it: a JSON body, or form fields (multipart)."""

    body: bytes = b""
    fields: dict[str, str] | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class Expected:
    external_id: str
    title: str
    customer: str
    comment: str  # the reply's comment on the item its thread started


def sendgrid_txt(name: str) -> Payload:
    body = realdata_path("sources", "sendgrid", name).read_bytes().replace(b"\n", b"\r\n")
    return Payload(body, content_type="multipart/form-data; boundary=xYzZY")


def postmark_docs(**changes: Any) -> Payload:
    data = realdata_json("sources", "postmark", "inbound_docs_example.json") | changes
    return Payload(json.dumps(data).encode())


POSTMARK_ID = "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.gmail.com>"
MAILGUN_ORIGINAL = "<517AC78B.5060404@sandbox085a3b878a964897b9b9efb2395a1f5a.mailgun.org>"
MAILGUN_FORWARD_ID = "<CABPem2N_Ucj3wRRZnLVpVF_fRjkTBXHZReZC3zY-hHsRa=T51g@samples.mailgun.com>"
SENDGRID_CAPTURE_ID = "<E31C8C77-1EE4-41C9-A503-2C028F224D7C@example.com>"


def mailgun_forward(**replace: str) -> Payload:
    text = realdata_path("sources", "mailgun", "inbound_forward_route_docs_sample.json").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return Payload(fields=json.loads(text))


# Per kind: a new message, the first message of a thread and a reply in it, and what to expect.
NEW: dict[str, Callable[[], Payload]] = {
    "postmark": postmark_docs,
    "mailgun": mailgun_forward,
    "sendgrid": lambda: sendgrid_txt("inbound_parse_default_data.txt"),
}
THREAD: dict[str, Callable[[], tuple[Payload, Payload]]] = {
    "postmark": lambda: (
        postmark_docs(),
        postmark_docs(
            MessageID="9b1e77a5-0000-4000-8000-000000000002",
            Subject="Re: This is an inbound message",
            TextBody="Thanks, it works now.\n\nOn Thu, 5 Apr 2012 at 16:59, Support"
            " <support@example.com> wrote:\n> [ASCII]\n",
            HtmlBody="",
            Attachments=[],
            Headers=[
                {"Name": "Message-ID", "Value": "<reply-2@theirDomain.com>"},
                {"Name": "In-Reply-To", "Value": POSTMARK_ID},
            ],
        ),
    ),
    # Mailgun's own route-tester reply, after the message it answers (built from its
    # documented forward sample, given the id the reply names).
    "mailgun": lambda: (
        mailgun_forward(**{MAILGUN_FORWARD_ID: MAILGUN_ORIGINAL}),
        Payload(fields=realdata_json("sources", "mailgun", "inbound_route_sample_reply.json")),
    ),
    # A captured default-mode message, then a raw-mode reply naming it.
    "sendgrid": lambda: (
        Payload(fields=realdata_json("sources", "sendgrid", "inbound_parse_capture.json")),
        sendgrid_reply(),
    ),
}
EXPECTED = {
    "postmark": Expected(
        POSTMARK_ID, "This is an inbound message", "myuser@theirdomain.com",
        "John Doe: Thanks, it works now.",
    ),
    "mailgun": Expected(
        MAILGUN_FORWARD_ID, "Message Routes", "user@samples.mailgun.com",
        "Bob: Hi Alice,\n\nThis is Bob.\n\nI also attached a file.\n\nThanks,\nBob",
    ),
    "sendgrid": Expected(
        "test@example.com:2016-08-10 18:10:13-07:00:Inbound Parse Test Data",
        "Inbound Parse Test Data", "test@example.com",
        "Example User: Hello Twilio SendGrid!",
    ),
}  # fmt: skip
KINDS = sorted(NEW)


def sendgrid_reply() -> Payload:
    payload = sendgrid_txt("inbound_parse_raw_data.txt")
    thread = f"Message-ID: <sg-reply@example.com>\r\nIn-Reply-To: {SENDGRID_CAPTURE_ID}\r\n"
    body = payload.body.replace(
        b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\n" + thread.encode()
    )
    return Payload(body, content_type=payload.content_type)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def registered(core: Core, kind: str) -> None:
    core.sources.add(kind, SOURCE, secret=SECRET)


Post = Callable[..., Awaitable[Any]]


@pytest.fixture
def deliver(
    client: Client,
    kind: str,
    multipart: Callable[..., tuple[bytes, str]],
    mailgun_signed: Callable[..., dict[str, str]],
) -> Post:
    async def post(
        payload: Payload, secret: str | None = SECRET, cut: bool = False, at: float | None = None
    ) -> Any:
        """Post as the vendor does: Mailgun signs its fields (unless `secret` is None), the
        others put the key in the URL; `cut` sends only the first half."""
        url = f"/sources/{SOURCE}"
        body, content_type = payload.body, payload.content_type
        if payload.fields is not None:
            fields = payload.fields
            if kind == "mailgun" and secret is not None:
                fields = mailgun_signed(fields, secret, at)
            body, content_type = multipart(fields)
        if kind != "mailgun" and secret is not None:
            url += f"?key={secret}"
        if cut:
            body = body[: len(body) // 2]
        return await client.post(url, data=body, headers={"Content-Type": content_type})

    return post


def items(core: Core) -> list[Any]:
    return core.desk.search(ListFilter(limit=100))


def deliveries(core: Core, status: str | None = None) -> int:
    query = select(func.count()).select_from(SourceDeliveryRow)
    if status:
        query = query.where(SourceDeliveryRow.status == status)
    with core.db.read() as uow:
        return int(uow.session.scalar(query))  # type: ignore[attr-defined]


async def test_a_message_becomes_one_item_and_one_card_and_a_retry_nothing(
    deliver: Post, core: Core, slack: FakeSlackApi, kind: str
) -> None:
    expected = EXPECTED[kind]

    first = await deliver(NEW[kind]())
    assert first.status == 200, await first.text()
    await eventually(lambda: len(slack.cards(CARDS)) == 1)
    [item] = items(core)
    assert (item.source, item.external_id, item.title) == (
        SOURCE,
        expected.external_id,
        expected.title,
    )
    assert item.customer.email == expected.customer

    again = await deliver(NEW[kind]())  # Mailgun: signed anew, as a retry is
    assert again.status == 200
    assert (await again.json())["duplicate"] is True
    assert deliveries(core) == 1
    assert len(items(core)) == 1
    assert len(slack.cards(CARDS)) == 1


async def test_a_reply_in_the_thread_is_a_comment_on_the_same_item(
    deliver: Post, core: Core, slack: FakeSlackApi, kind: str
) -> None:
    message, reply = THREAD[kind]()
    assert (await deliver(message)).status == 200
    await eventually(lambda: len(slack.cards(CARDS)) == 1)

    answered = await deliver(reply)

    assert answered.status == 200, await answered.text()
    [item] = items(core)
    await eventually(lambda: len(core.desk.get(item.ref).comments) == 1)
    [comment] = core.desk.get(item.ref).comments
    assert comment.text == EXPECTED[kind].comment
    assert len(slack.cards(CARDS)) == 1  # never a second card
    assert len(items(core)) == 1


async def test_a_wrong_key_or_signature_is_401_and_stores_nothing(
    deliver: Post, core: Core, kind: str
) -> None:
    response = await deliver(NEW[kind](), secret="guess")

    assert response.status == 401
    assert deliveries(core) == 0
    assert items(core) == []


async def test_no_key_or_signature_at_all_is_401(deliver: Post, core: Core, kind: str) -> None:
    response = await deliver(NEW[kind](), secret=None)

    assert response.status == 401
    assert deliveries(core) == 0


@pytest.mark.parametrize("kind", ["mailgun"])
async def test_a_stale_mailgun_signature_is_401(deliver: Post, core: Core, kind: str) -> None:
    """Signed with the right key, at the timestamp of Mailgun's own sample (2016)."""
    response = await deliver(mailgun_forward(), at=1_481_310_293)

    assert response.status == 401
    assert deliveries(core) == 0


async def test_a_truncated_payload_is_422_kept_and_replayed_once_the_parser_is_fixed(
    deliver: Post, core: Core, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await deliver(NEW[kind](), cut=True)

    assert response.status == 422
    problem = await response.json()
    assert "not JSON" in problem["detail"] or "cut short" in problem["detail"]
    assert deliveries(core, "unusable") == 1
    assert items(core) == []

    def fixed(received: Any, source: Any) -> list[Arrived]:
        """A parser that reads what the broken one could not (the fix, simulated)."""
        return [Arrived(key="fixed-1", body=received.body.decode(errors="replace")[:200])]

    vendor = {"postmark": postmark, "mailgun": mailgun, "sendgrid": sendgrid}[kind]
    monkeypatch.setattr(vendor, "parse", fixed)
    applied = core.source_intake.apply(problem["delivery"], VendorParser())

    assert applied.unusable is None
    [item] = items(core)
    assert (item.source, item.external_id) == (SOURCE, "fixed-1")


@pytest.mark.parametrize("kind", ["postmark"])  # one kind is enough: the reading is shared
async def test_an_auto_reply_is_accepted_and_dropped(
    deliver: Post, core: Core, slack: FakeSlackApi, kind: str
) -> None:
    headers = [{"Name": "Auto-Submitted", "Value": "auto-replied"}]
    response = await deliver(postmark_docs(Headers=headers, Subject="Out of Office"))

    assert response.status == 200
    await eventually(lambda: deliveries(core, "applied") == 1)
    assert items(core) == []
    assert slack.cards(CARDS) == []


def test_sources_add_prints_the_url_to_paste_and_test_reads_a_delivery(
    db_url: str, tmp_path: Path, multipart: Callable[..., tuple[bytes, str]]
) -> None:
    """The operator's side: a URL with the key for Postmark and SendGrid, none for Mailgun
    (it signs with the key it issues); `sources test` reads each vendor's sample, and a real
    delivery saved to a file (a multipart body read by its own boundary)."""
    runner = CliRunner()
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_SECRET_KEY": new_key()}
    saved = {
        "postmark": realdata_path("sources", "postmark", "inbound_check_payload.json"),
        "mailgun": tmp_path / "mailgun.txt",
        "sendgrid": realdata_path("sources", "sendgrid", "inbound_parse_default_data.txt"),
    }
    saved["mailgun"].write_bytes(multipart(mailgun_forward().fields or {})[0])
    for kind in KINDS:
        secret = ["--secret", "key-from-mailgun"] if kind == "mailgun" else []
        added = runner.invoke(cli, ["sources", "add", kind, f"{kind}-in", *secret], env=env)
        assert added.exit_code == 0, added.output
        [url] = [line for line in added.stdout.splitlines() if line.startswith("url: ")]
        assert ("?key=" in url) is (kind != "mailgun")
        tested = runner.invoke(cli, ["sources", "test", f"{kind}-in"], env=env)
        assert tested.exit_code == 0, tested.output
        assert "new item <sample-1@example.com>: Sample: the export button" in tested.stdout
        real = runner.invoke(
            cli, ["sources", "test", f"{kind}-in", "--file", str(saved[kind])], env=env
        )
        assert real.exit_code == 0, real.output
        assert real.stdout.startswith("new item "), real.stdout
