"""Assembles each card's `CustomerStory` when the card is rendered.

The outbox reads the customers' earlier items together with the items of a whole round of
cards (one query, `histories`), then asks the look-up for the accounts of all of them at once
(`accounts`, within its timeout). An answer that shows a card at once (a Teams click) reads
one item's history and takes the account as kept (`for_item`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.admin.configure import CachedSetting
from bot.admin.schemas import CustomersConfig
from bot.customers.accounts import Accounts, facts
from bot.customers.story import SHOWN_EARLIER, AccountFact, CustomerStory, EarlierItem, History
from bot.domain import Feedback
from bot.ports.store import Store, UnitOfWork
from bot.signal.repeats import Repeats


class CustomerStories:
    def __init__(self, db: Store, accounts: Accounts, repeats: Repeats | None = None) -> None:
        self._db = db
        self._repeats = repeats  # other cards alike, named on each card
        self._setting = CachedSetting(db, "customers")
        self.accounts = accounts

    def fields(self) -> tuple[str, ...]:
        """The account fields leads allowlisted (none: no look-up at all). Reads the database
        at most every few seconds."""
        if not self.accounts.enabled:
            return ()
        config = self._setting.value()
        assert isinstance(config, CustomersConfig)
        return tuple(config.fields)

    @staticmethod
    def histories(uow: UnitOfWork, items: Iterable[Feedback]) -> dict[int, History]:
        """Each item's earlier items from its customer, by item id (items without a customer
        email, and first-time customers, are left out)."""
        ids = sorted({item.id for item in items if item.customer.email})
        return uow.feedback.earlier_by_customer(ids, SHOWN_EARLIER) if ids else {}

    def stories(self, uow: UnitOfWork, items: Sequence[Feedback]) -> dict[int, CustomerStory]:
        """Each card's story as the store knows it (the account comes later): the customer's
        earlier items, the other customers who said the same and other cards alike, for the
        items with any of them."""
        histories = self.histories(uow, items)
        repeats = uow.repeats.summaries([item.id for item in items])
        similar = self._similar(uow, items)
        return {
            item_id: CustomerStory(
                histories.get(item_id, History()),
                repeats=repeats.get(item_id),
                similar=similar.get(item_id, ()),
            )
            for item_id in histories.keys() | repeats.keys() | similar.keys()
        }

    def _similar(
        self, uow: UnitOfWork, items: Sequence[Feedback]
    ) -> dict[int, tuple[EarlierItem, ...]]:
        if self._repeats is None or not items:
            return {}
        self._repeats.nearest.refresh(uow)
        found = {item.id: self._repeats.similar(uow, item.id) for item in items}
        lines = uow.repeats.lines(sorted({i for ids in found.values() for i in ids}))
        return {
            item_id: tuple(lines[i] for i in ids if i in lines)
            for item_id, ids in found.items()
            if ids
        }

    async def account_facts(
        self, items: Iterable[Feedback], fields: Sequence[str]
    ) -> dict[int, tuple[AccountFact, ...]]:
        """The allowlisted account fields of each item's customer, by item id."""
        if not fields:
            return {}
        emails = {item.id: item.customer.email.lower() for item in items if item.customer.email}
        records = await self.accounts.records(emails.values())
        return {
            item_id: facts(records[email], fields)
            for item_id, email in emails.items()
            if email in records
        }

    def for_item(self, item: Feedback) -> CustomerStory:
        """The story of one item's card now, without waiting on the look-up. Blocks on the
        database: call it in a worker thread."""
        with self._db.read() as uow:
            story = self.stories(uow, [item]).get(item.id, CustomerStory())
        fields = self.fields()
        record = self.accounts.cached(item.customer.email) if item.customer.email else None
        return replace(story, account=facts(record, fields) if record and fields else ())
