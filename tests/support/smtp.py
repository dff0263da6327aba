"""A mail server of the test's own (aiosmtpd, on this machine), recording what it accepts.

`refuse` makes it answer the end of DATA with that line (a 5xx refusal); `drop_first` makes it
take the first message and then hang up before answering, as a server does whose answer is
lost: the sender cannot tell whether it went.
"""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class MailSink:
    received: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refuse: str | None = None
    drop_first: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.received.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        if self.drop_first:
            self.drop_first = False
            server.transport.close()
        return "250 2.0.0 Accepted"


@dataclass(frozen=True)
class RunningSmtp:
    sink: MailSink
    url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp() -> Iterator[RunningSmtp]:
    sink = MailSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield RunningSmtp(sink, f"smtp://127.0.0.1:{port}")
    finally:
        controller.stop()
