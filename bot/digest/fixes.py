"""The digest closes the loop: fixes that shipped this week with the customers still waiting to
hear, and the open issues with the most customers behind them.

Customers are told apart by email (an item without one is a customer of its own). When the
company's customer look-up is on, each open issue also shows its customers' summed account
value (`ALLHANDS_CUSTOMER_VALUE_FIELD` of their records); that is asked after the digest is
built, within the look-up's usual one-second wait, so the emails never enter the digest itself.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from bot.customers.accounts import Accounts, number_at
from bot.digest.model import FixLoop, IssueWeight
from bot.domain import LinkStatus
from bot.ports.records import IssueLinkRow
from bot.ports.store import Store
from bot.privacy.masking import Masker

TOP_ISSUES = 5


def _customer(row: IssueLinkRow) -> str:
    return row.customer_email or f"item:{row.feedback_id}"


def fix_loop(rows: Sequence[IssueLinkRow], week_start: datetime, masker: Masker) -> FixLoop:
    """The loop's figures from the links (`DigestQueries.issue_links`); titles masked."""
    shipped = [r for r in rows if r.status is LinkStatus.CLOSED and r.changed_at >= week_start]
    waiting = {_customer(r) for r in shipped if r.awaiting_reply}
    top = sorted(
        (
            IssueWeight(
                url,
                masker.mask(linked[-1].title),
                len({r.feedback_id for r in linked}),
                len({_customer(r) for r in linked}),
            )
            for url, linked in _open_issues(rows).items()
        ),
        key=lambda issue: (-issue.customers, -issue.items, issue.title),
    )
    return FixLoop(len({r.url for r in shipped}), len(waiting), tuple(top[:TOP_ISSUES]))


def _open_issues(rows: Iterable[IssueLinkRow]) -> dict[str, list[IssueLinkRow]]:
    issues: dict[str, list[IssueLinkRow]] = defaultdict(list)
    for row in rows:
        if row.status is LinkStatus.OPEN:
            issues[row.url].append(row)
    return issues


class IssueValues:
    """Adds the summed account value of each top issue's customers, when the look-up is on."""

    def __init__(self, db: Store, accounts: Accounts, field: str) -> None:
        self._db = db
        self._accounts = accounts
        self._field = field

    async def weighed(self, loop: FixLoop) -> FixLoop:
        if not self._accounts.enabled or not self._field or not loop.top:
            return loop
        emails = await asyncio.to_thread(self._emails, [issue.url for issue in loop.top])
        records = await self._accounts.records({e for found in emails.values() for e in found})
        values = {email: number_at(record, self._field) for email, record in records.items()}
        return replace(
            loop, top=tuple(replace(i, value=_sum(emails.get(i.url, ()), values)) for i in loop.top)
        )

    def _emails(self, urls: Sequence[str]) -> dict[str, set[str]]:
        with self._db.read() as uow:
            rows = uow.digest.issue_links(None)
        emails: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            if row.url in urls and row.customer_email:
                emails[row.url].add(row.customer_email)
        return emails


def _sum(emails: Iterable[str], values: Mapping[str, float | None]) -> float | None:
    known = [v for v in (values.get(email) for email in emails) if v is not None]
    return sum(known) if known else None
