"""Erasing one customer in one process: every table (her items, comments, events, her mail
thread's raw deliveries, the reply sent to her), the audit, the report, a second run, the
export and the API's lead-only route (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from app import cli
from bot.admin.secrets import new_key
from bot.core import Core
from bot.domain import Platform
from bot.privacy.scrub import ERASED
from tests.support.builders import API, draft, person
from tests.support.replies import CUSTOMER, SUPPORT, email_thread
from tests.support.stored_text import rows_holding

DANA = "Dana.Reyes@example.com"
WORDS = "my parrot Kiwi ate the invoice"


def _dana_and_others(core: Core) -> tuple[str, str]:
    """Two items of Dana's (one commented on, quoting her), and Eli's that names her."""
    own = core.desk.ingest(
        draft(f"Hello, {WORDS}", title="Invoice", customer={"name": "Dana Reyes", "email": DANA}),
        API,
    ).item
    core.desk.ingest(
        draft("Still waiting", customer={"email": DANA.upper()}, external_id="z-2"), API
    )
    core.desk.comment(own.ref, person("ana"), f"She says {WORDS}")
    core.desk.close(own.ref, person("ana"), f"Refunded; {WORDS}")
    other = core.desk.ingest(
        draft(f"My colleague {DANA} has the same bug", customer={"email": "eli@example.com"}),
        API,
    ).item
    return own.ref, other.ref


@pytest.fixture
def core_settings() -> dict[str, Any]:
    """Replies by email on (nothing is sent: no outbox runs here)."""
    return {
        "ALLHANDS_SECRET_KEY": new_key(),
        "ALLHANDS_SMTP_URL": "smtp://127.0.0.1:1",
        "ALLHANDS_SUPPORT_FROM": SUPPORT,
    }


async def test_forget_removes_her_everywhere_once_and_audits_once(core: Core, db_url: str) -> None:
    thread = await email_thread(core)  # from CUSTOMER: two raw deliveries kept
    core.desk.claim(thread.ref, person("ana"))
    core.replies.reply(thread.ref, person("ana"), "Fixed the CSV export for you, Dana")
    mailed = CliRunner().invoke(cli, ["customer", "export", CUSTOMER], env=_env(db_url))
    assert json.loads(mailed.output)["replies"][0]["text"] == "Fixed the CSV export for you, Dana"
    own, other = _dana_and_others(core)
    exported = CliRunner().invoke(cli, ["customer", "export", DANA], env=_env(db_url))
    assert exported.exit_code == 0, exported.output
    stored = json.loads(exported.output)
    assert [item["ref"] for item in stored["items"]][:1] == [own]
    assert len(stored["items"]) == 2
    assert stored["items"][0]["comments"][0]["text"] == f"She says {WORDS}"
    assert stored["items"][0]["events"][0]["kind"] == "ingested"

    report = core.erasure.forget(DANA)

    assert report.counts["items"] == 2
    assert report.counts["comments"] == 1
    assert report.counts["mentions"] >= 1
    assert rows_holding(db_url, [DANA, WORDS, "Dana Reyes"]) == []
    mail_report = core.erasure.forget(CUSTOMER)
    assert (mail_report.counts["deliveries"], mail_report.counts["replies"]) == (2, 1)
    gone = [CUSTOMER, "Exporting to CSV fails", "Fixed the CSV export"]
    assert rows_holding(db_url, gone) == []
    assert core.desk.get(own).body == ERASED
    assert core.desk.get(own).state.value == "closed"  # counts and states stay
    assert DANA.lower() not in core.desk.get(other).body.lower()
    entries = [e for e in core.admin.audit() if e.key == "customer.forget"]
    assert [e.new["counts"] for e in entries] == [mail_report.counts, report.counts]

    again = CliRunner().invoke(cli, ["customer", "forget", DANA], env=_env(db_url))
    assert again.exit_code == 0, again.output
    assert f"Nothing is stored about {DANA}" in again.output
    assert len([e for e in core.admin.audit() if e.key == "customer.forget"]) == 2
    refused = CliRunner().invoke(cli, ["customer", "forget", "dana at example"], env=_env(db_url))
    assert refused.exit_code != 0
    assert "is not an email address" in refused.output


async def test_only_a_lead_token_may_erase_over_the_api(
    core: Core, client: TestClient[Any, Any], auth: dict[str, str], db_url: str
) -> None:
    _dana_and_others(core)
    refused = await client.delete(f"/api/v1/customers/{DANA}", headers=auth)
    assert refused.status == 403
    assert "lead" in (await refused.json())["detail"]
    assert rows_holding(db_url, [DANA])

    lead = {"Authorization": f"Bearer {core.tokens.create('legal', lead=True)}"}
    erased = await client.delete(f"/api/v1/customers/{DANA}", headers=lead)
    assert erased.status == 200
    body = await erased.json()
    assert body["found"]
    assert body["removed"]["items"] == 2
    assert rows_holding(db_url, [DANA, WORDS]) == []
    (entry,) = [e for e in core.admin.audit() if e.key == "customer.forget"]
    assert entry.platform is Platform.API
    assert entry.actor is not None
    assert entry.actor.name == "legal"

    again = await client.delete(f"/api/v1/customers/{DANA}", headers=lead)
    assert (again.status, (await again.json())["found"]) == (200, False)
    bad = await client.delete("/api/v1/customers/not-an-address", headers=lead)
    assert (bad.status, (await bad.json())["field"]) == (422, "email")


def _env(db_url: str) -> dict[str, str]:
    return {"ALLHANDS_DATABASE_URL": db_url}
