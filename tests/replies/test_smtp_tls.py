"""The reply travels encrypted: STARTTLS when the server offers it (this one accepts nothing
before it), TLS from the first byte with smtps://, and the server's certificate checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiosmtplib import SMTPConnectError

from bot.ports.replies import OutgoingEmail
from handlers.vendors.smtp import SmtpReplyChannel
from tests.support.smtp import running_smtp, self_signed

EMAIL = OutgoingEmail(
    message_id="<allhands.fb-1.abc@support.example>",
    sender="help@support.example",
    to="dana@customer.example",
    subject="Re: Export is broken",
    text="Fixed in 4.2.",
    in_reply_to="<first.1@customer.example>",
    references=("<first.1@customer.example>",),
)


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "smtps"])
async def test_the_reply_goes_over_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, implicit_tls: bool
) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # this test's certificate is the one trusted
    with running_smtp((cert, key), implicit_tls=implicit_tls) as server:
        await SmtpReplyChannel(server.url).send(EMAIL)

    (message,) = server.sink.received
    assert message["Message-ID"] == EMAIL.message_id


async def test_an_untrusted_certificate_stops_the_reply(tmp_path: Path) -> None:
    with (
        running_smtp(self_signed(tmp_path), implicit_tls=True) as server,
        pytest.raises(SMTPConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        await SmtpReplyChannel(server.url).send(EMAIL)

    assert server.sink.received == []
