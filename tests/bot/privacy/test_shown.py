"""Items as chat shows them, and who may see their full text: on both engines."""

from __future__ import annotations

import pytest

from bot.admin.configure import Admin
from bot.domain import Platform
from bot.errors import Forbidden
from bot.intake import FeedbackDraft
from bot.service import Desk
from tests.support.builders import person

ANA, BO, LEE = person("ana"), person("bo"), person("lee")
BODY = "Refund to DE89 3704 0044 0532 0130 00 please, or call +44 20 7946 0958."


def _new(desk: Desk, body: str = BODY) -> str:
    draft = FeedbackDraft.model_validate(
        {
            "source": "email",
            "title": "Card 4242 4242 4242 4242 charged twice",
            "body": body,
            "customer": {"name": "Dana", "email": "dana@example.com"},
        }
    )
    return desk.ingest(draft, person("api", Platform.API)).item.ref


def test_the_shown_copy_masks_every_word_and_the_database_keeps_them(desk: Desk) -> None:
    ref = _new(desk)
    desk.claim(ref, ANA)
    desk.comment(ref, ANA, "Called her on +44 20 7946 0958", external_id="c1")
    desk.close(ref, ANA, "Refunded to DE89370400440532013000")

    shown = desk.shown(ref)

    assert shown.title == "Card •••• 4242 charged twice"
    assert shown.body == "Refund to DE•• •••• 3000 please, or call +44 •••• 958."
    assert shown.customer.email == "d•••@example.com"
    assert [c.text for c in shown.comments] == ["Called her on +44 •••• 958"]
    assert shown.resolution == "Refunded to DE•• •••• 3000"
    assert shown.text_masked
    assert desk.get(ref).body == BODY
    assert not desk.get(ref).text_masked


def test_words_with_nothing_personal_are_not_marked_masked(desk: Desk) -> None:
    draft = FeedbackDraft(source="email", title="Export", body="The export button does nothing")
    ref = desk.ingest(draft, person("api", Platform.API)).item.ref
    assert not desk.shown(ref).text_masked
    assert desk.full_text(ref, BO).body == "The export button does nothing"  # anyone's to read


def test_the_claimer_and_leads_see_the_full_text_and_nobody_else(desk: Desk) -> None:
    ref = _new(desk)
    Admin(desk.db).set_role("lee@example.com", "lead", True, None)
    with pytest.raises(Forbidden, match=f"Only whoever claimed {ref} or a support lead"):
        desk.full_text(ref, ANA)  # nobody has claimed it yet
    desk.claim(ref, ANA)

    assert desk.full_text(ref, ANA).body == BODY
    assert desk.full_text(ref, LEE).body == BODY
    with pytest.raises(Forbidden, match="or a support lead"):
        desk.full_text(ref, BO)


def test_leads_can_turn_the_full_text_off_for_everyone(desk: Desk) -> None:
    ref = _new(desk)
    desk.claim(ref, ANA)
    admin = Admin(desk.db)
    admin.set_role("lee@example.com", "lead", True, None)
    admin.change("privacy", {"show_full_text": False}, LEE)

    for who in (ANA, LEE):
        with pytest.raises(Forbidden, match="Leads turned off showing the full text"):
            desk.full_text(ref, who)


def test_leads_patterns_are_masked_on_every_copy(desk: Desk) -> None:
    ref = _new(desk, body="Customer CUST-004211 wants a refund")
    Admin(desk.db).change("privacy", {"patterns": [r"CUST-\d{6}"]}, None)

    assert desk.shown(ref).body == "Customer ••••• wants a refund"
