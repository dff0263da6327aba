"""`allhands feedback reply` and `reply-retry`: one readable line for a refusal, the reply in
`feedback show --json` as it goes from pending to sent; `feedback close --tell` sends the
resolution the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner, Result

from app import cli
from bot.core import Core
from tests.support.clock import FakeClock
from tests.support.replies import CUSTOMER, email_thread, outbox
from tests.support.smtp import RunningSmtp

ANA, BEN = "ana@company.example", "ben@company.example"


def run(db_url: str, settings: dict[str, Any], *args: str) -> Result:
    env = {"ALLHANDS_DATABASE_URL": db_url, **settings}
    return CliRunner().invoke(cli, list(args), env=env)


async def test_reply_from_the_command_line(
    core: Core, db_url: str, core_settings: dict[str, Any], smtp: RunningSmtp, clock: FakeClock
) -> None:
    item = await email_thread(core)
    ref = item.ref
    assert run(db_url, core_settings, "feedback", "claim", ref, "--as", ANA).exit_code == 0

    refused = run(db_url, core_settings, "feedback", "reply", ref, "--as", BEN, "--text", "Hi")
    assert refused.exit_code == 1
    assert refused.stderr.strip().startswith(f"allhands: Only ana, who holds {ref}")
    assert len(refused.stderr.strip().splitlines()) == 1

    sent = run(db_url, core_settings, "feedback", "reply", ref, "--as", ANA, "--text", "Fixed!")
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith(f"{ref}: reply queued to {CUSTOMER} (<allhands.")
    shown = json.loads(run(db_url, core_settings, "feedback", "show", ref, "--json").stdout)
    assert [(r["by"]["email"], r["status"], r["channel"]) for r in shown["replies"]] == [
        (ANA, "pending", "email")
    ]

    clock.current = datetime.now(UTC) + timedelta(minutes=1)  # the command wrote it just now
    await outbox(core, smtp.url).drain_once()

    shown = json.loads(run(db_url, core_settings, "feedback", "show", ref, "--json").stdout)
    assert [r["status"] for r in shown["replies"]] == ["sent"]
    assert len(smtp.sink.received) == 1
    nothing = run(db_url, core_settings, "feedback", "reply-retry", ref, "--as", ANA)
    assert nothing.exit_code == 1
    assert nothing.stderr.strip() == f"allhands: {ref} has no failed reply to send again."


async def test_close_with_tell_sends_the_resolution(
    core: Core, db_url: str, core_settings: dict[str, Any], smtp: RunningSmtp, clock: FakeClock
) -> None:
    ref = (await email_thread(core)).ref
    assert run(db_url, core_settings, "feedback", "claim", ref, "--as", ANA).exit_code == 0

    bare = run(db_url, core_settings, "feedback", "close", ref, "--as", ANA, "--tell")
    assert bare.exit_code == 1
    assert bare.stderr.strip() == "allhands: Telling the customer needs a resolution to tell them."
    close = ["feedback", "close", ref, "--as", ANA, "--note", "Fixed in 4.2.", "--tell"]
    closed = run(db_url, core_settings, *close)
    assert closed.exit_code == 0, closed.output
    assert closed.stdout == f"{ref} closed.\nReply to {CUSTOMER} on its way.\n"

    clock.current = datetime.now(UTC) + timedelta(minutes=1)  # the command wrote it just now
    await outbox(core, smtp.url).drain_once()
    shown = json.loads(run(db_url, core_settings, "feedback", "show", ref, "--json").stdout)
    assert (shown["state"], [r["status"] for r in shown["replies"]]) == ("closed", ["sent"])
    (mail,) = smtp.sink.received
    assert "Fixed in 4.2." in mail.get_payload()
