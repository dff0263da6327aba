"""The company's own record of each customer (plan, ARR, owner …), for the cards that show it.

Asked of the company's endpoint (`bot.ports.customers.CustomerLookup`) by email, kept a few
minutes per email, and never waited for longer than `LOOKUP_SECONDS`: a card goes out without
the account rather than late. An endpoint that failed or was too slow for an email is not asked
about it again for a minute, so a slow endpoint costs each customer's cards one wait, not one
per card. Only the fields leads allowlisted (`customers` setting) reach a card.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from time import monotonic
from typing import Any

from bot.customers.story import AccountFact
from bot.ports.customers import CustomerLookup

log = logging.getLogger(__name__)

LOOKUP_SECONDS = 1.0
KEEP_SECONDS = 300.0
KEEP_FAILURE_SECONDS = 60.0
KEPT_MAX = 10_000
VALUE_CHARS = 200

Record = Mapping[str, Any]


class Accounts:
    def __init__(
        self,
        lookup: CustomerLookup | None,
        *,
        timeout: float = LOOKUP_SECONDS,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self._lookup = lookup
        self._timeout = timeout
        self._clock = clock
        # lower-cased email → (kept until, the record; None: the look-up failed)
        self._kept: dict[str, tuple[float, Record | None]] = {}

    @property
    def enabled(self) -> bool:
        return self._lookup is not None

    def cached(self, email: str) -> Record | None:
        """The record as kept now, without asking (for answers that cannot wait at all)."""
        hit = self._kept.get(email.lower())
        return hit[1] if hit and hit[0] > self._clock() else None

    async def records(self, emails: Iterable[str]) -> dict[str, Record]:
        """Records by lower-cased email: kept ones at once, the others asked for all together
        and waited for `LOOKUP_SECONDS` at most. An email without a record is left out."""
        found: dict[str, Record] = {}
        asking: list[str] = []
        now = self._clock()
        for email in {e.lower() for e in emails}:
            hit = self._kept.get(email)
            if hit is None or hit[0] <= now:
                asking.append(email)
            elif hit[1] is not None:
                found[email] = hit[1]
        if not asking or self._lookup is None:
            return found
        lookup = self._lookup
        tasks = {email: asyncio.create_task(lookup.find(email)) for email in asking}
        done, late = await asyncio.wait(tasks.values(), timeout=self._timeout)
        for task in late:
            task.cancel()
            task.add_done_callback(_ignored)  # it may have failed on its own meanwhile
        failed = 0
        for email, task in tasks.items():
            if task in done and task.exception() is None:
                record = task.result() or {}
                self._keep(email, record, KEEP_SECONDS)
                found[email] = record
            else:
                self._keep(email, None, KEEP_FAILURE_SECONDS)
                failed += 1
        if failed:
            # No addresses in the log: they are customers' personal data.
            log.warning(
                "customers.lookup_failed asked=%s failed=%s late=%s", len(tasks), failed, len(late)
            )
        return found

    def _keep(self, email: str, record: Record | None, seconds: float) -> None:
        self._kept.pop(email, None)
        if len(self._kept) >= KEPT_MAX:  # the oldest kept first
            del self._kept[next(iter(self._kept))]
        self._kept[email] = (self._clock() + seconds, record)

    async def close(self) -> None:
        if self._lookup is not None:
            await self._lookup.close()


def _ignored(task: asyncio.Task[Record | None]) -> None:
    if not task.cancelled():
        task.exception()


def facts(record: Record, fields: Sequence[str]) -> tuple[AccountFact, ...]:
    """The allowlisted fields of a record, in the leads' order; nothing else of it.

    A field is a key of the record (`plan`), or a path into it (`owner.name`); keys match
    exactly, else ignoring case. Text, numbers, yes/no and lists of those are shown; an absent,
    empty or nested value is not.
    """
    shown = []
    for field in fields:
        value = _shown(_pick(record, field))
        if value:
            shown.append(AccountFact(field, value))
    return tuple(shown)


def number_at(record: Record, field: str) -> float | None:
    """The record's number at `field` (a key or a path, as for `facts`): a number, or text
    that reads as one ("48000", "48,000.50"); None otherwise."""
    value = _pick(record, field)
    if isinstance(value, bool):
        return None
    try:
        number = float(value.replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pick(record: Record, field: str) -> Any:
    value: Any = record
    for key in field.split("."):
        if not isinstance(value, Mapping):
            return None
        if key in value:
            value = value[key]
            continue
        folded = {str(k).casefold(): v for k, v in value.items()}
        value = folded.get(key.casefold())
    return value


def _shown(value: Any) -> str | None:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int | float | str):
        text = " ".join(str(value).split())
    elif isinstance(value, list) and all(isinstance(v, int | float | str) for v in value):
        text = ", ".join(" ".join(str(v).split()) for v in value if str(v).strip())
    else:
        return None
    return text[: VALUE_CHARS - 1] + "…" if len(text) > VALUE_CHARS else text or None
