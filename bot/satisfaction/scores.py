"""The customer's answer to "did it work?": a score from 1 to 5 landing on the item.

A second score replaces the first (the customer changed their mind; the latest is what they
think now); the same score again changes nothing. Each change is an event, so the card and the
digest hear of it like any other.
"""

from __future__ import annotations

from datetime import timedelta

from bot.delivery.fanout import load
from bot.domain import SYSTEM_IDENTITY_ID, Actor, EventKind, Feedback, Identity, Platform
from bot.errors import Invalid
from bot.satisfaction.links import SurveyLinks
from bot.service import Desk

SCORES = range(1, 6)
ROUTE = "/csat"
SYSTEM = Identity(Platform.SYSTEM, SYSTEM_IDENTITY_ID, "All Hands")


class Satisfaction:
    def __init__(self, desk: Desk, links: SurveyLinks, public_url: str) -> None:
        self._desk = desk
        self._links = links
        self._base = public_url.rstrip("/")

    @property
    def ready(self) -> bool:
        """Links can be made: a secret key signs them and a public URL serves them."""
        return self._links.ready and bool(self._base)

    def question(self, item_id: int, days: int) -> str:
        """The lines a reply ends with: one link per score, each valid for `days`."""
        token = self._links.token(item_id, self._desk.clock.now(), timedelta(days=days))
        links = "\n".join(f"{s} - {self._base}{ROUTE}/{token}?score={s}" for s in SCORES)
        return f"\n\nDid this solve it? From 1 (not at all) to 5 (completely):\n{links}"

    def rate(self, token: str, score: str) -> Feedback:
        """Record the customer's score; NotFound or Expired for a link that cannot count."""
        if not score.isdigit() or int(score) not in SCORES:
            raise Invalid("The score is a number from 1 to 5.", "score")
        rated = int(score)
        db, clock = self._desk.db, self._desk.clock
        item_id = self._links.read(token, clock.now()).item_id
        with db.write() as uow:
            now = clock.now()
            item = load(uow, item_id)
            uow.feedback.lock(item_id)
            if item.csat == rated:
                return item
            uow.feedback.set_csat(item_id, rated, now)
            bot = Actor(uow.people.resolve(SYSTEM, now), Platform.SYSTEM)
            data = {"score": rated, "previous": item.csat}
            logged = self._desk.fanout.log_change(
                uow, item_id, EventKind.CSAT_RATED, bot, now, data
            )
            self._desk.fanout.commit(uow, [logged.change])
            return logged.item
