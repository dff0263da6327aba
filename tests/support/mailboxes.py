"""Reading what a polled mailbox left behind: the real messages tests deliver, the items they
became, and the deliveries kept for them."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core import Core
from bot.domain import Feedback
from bot.ports.records import ListFilter
from storage.models import SourceDeliveryRow
from tests.support.realdata import realdata_path

# Five messages from five different threads (real mail clients' messages).
THREAD_STARTERS = (
    "rfc2822_thread_1_hello.eml",
    "apple_mail_reply_with_references.eml",
    "gmail_reply_multipart_quoted.eml",
    "thunderbird_reply_with_references.eml",
    "yahoo_reply_with_in_reply_to.eml",
)


def eml(name: str) -> bytes:
    """A real message from the shared real-data folder, as its client wrote it."""
    return realdata_path("sources", "email", name).read_bytes()


def auto_reply(raw: bytes) -> bytes:
    """The message as an out-of-office answer marks itself (RFC 3834)."""
    return b"Auto-Submitted: auto-replied\r\n" + raw


def items(core: Core) -> list[Feedback]:
    return core.desk.search(ListFilter(limit=100))


def kept(core: Core) -> int:
    """How many deliveries the sources' intake has kept."""
    with core.db.read() as uow:
        count = uow.session.scalar(select(func.count()).select_from(SourceDeliveryRow))  # type: ignore[attr-defined]
    return int(count or 0)
