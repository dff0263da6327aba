"""Reading 1,000 real emails into sources' events, against the standard library's bare parse.

The real messages in `../shared/realdata/sources/email/` (Gmail, Apple Mail, Thunderbird,
Yahoo and RFC 2822 replies, with quoted history), read from there and repeated to 1,000.
Ours is what every inbound email goes through (`read_mail` + `mail_events`: headers, thread,
body chosen and decoded, HTML read, history and signature cut, attachments sized); the
baseline is `email.message_from_bytes` alone, the least any reader does. Best of three runs.

Target: at least 200 messages/s.

Run: python -m benchmarks.email_parsing
"""

from __future__ import annotations

import email
import sys
import time
from collections.abc import Callable

from benchmarks.harness import row
from handlers.sources.mail import mail_events, read_mail
from tests.support.realdata import REALDATA

MESSAGES = 1_000
TARGET_PER_SECOND = 200.0


def corpus() -> list[bytes]:
    samples = [path.read_bytes() for path in sorted((REALDATA / "sources" / "email").glob("*.eml"))]
    if not samples:
        sys.exit(f"no real emails under {REALDATA / 'sources' / 'email'} (set ALLHANDS_REALDATA)")
    return [samples[n % len(samples)] for n in range(MESSAGES)]


def ours(messages: list[bytes]) -> None:
    for raw in messages:
        mail_events(read_mail(raw))


def bare(messages: list[bytes]) -> None:
    for raw in messages:
        email.message_from_bytes(raw)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    messages = corpus()
    ours(messages[:10])  # warm up (regular expressions compiled, modules loaded)
    ours_rate = MESSAGES / best_of(3, lambda: ours(messages))
    bare_rate = MESSAGES / best_of(3, lambda: bare(messages))
    print(f"{MESSAGES:,} messages, {len(set(messages))} distinct real samples repeated")
    print(row("email read into events, 1,000 real", ours_rate, bare_rate, "msg/s"))
    verdict = "met" if ours_rate >= TARGET_PER_SECOND else "MISSED"
    print(f"target (>= {TARGET_PER_SECOND:g} messages/s): {verdict}")


if __name__ == "__main__":
    main()
