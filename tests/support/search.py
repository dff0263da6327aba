"""Items every search test looks for, and the queries that should find the refund among them."""

from __future__ import annotations

from bot.domain import Identity, Platform
from bot.intake import FeedbackDraft
from bot.service import Desk

REFUND = "My refund has not shown up in my account, write to jane.doe@example.com"
OTHERS = (
    "The app crashes when I open the settings page",
    "Please add dark mode to the dashboard",
    "I was charged twice for the same purchase",
    "My new card has still not arrived after two weeks",
)
BY_WORD = "refunds"  # a word of the body, in another form
BY_MEANING = "I did not get my money back"  # a paraphrase sharing no word with it
SHOP = Identity(Platform.API, "shop", "shop")


def seed(desk: Desk) -> str:
    """Stores the refund and the others (the refund first, so it is not simply the newest);
    the refund's ref."""
    ref = desk.ingest(FeedbackDraft(source="shop", body=REFUND), SHOP).item.ref
    for body in OTHERS:
        desk.ingest(FeedbackDraft(source="shop", body=body), SHOP)
    return ref
