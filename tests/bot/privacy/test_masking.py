"""The masker, one kind of personal data at a time, and the leads' own patterns."""

from __future__ import annotations

import pytest

from bot.admin.schemas import validate
from bot.domain import Person, Reply, ReplyStatus
from bot.errors import Invalid
from bot.notes import refusal_line
from bot.privacy.masking import PATTERN_MAX_CHARS, BadPattern, Masker, Personal
from bot.privacy.shown import masked_item
from tests.support.builders import STORED_AT, stored

MASKER = Masker()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("write to jane.doe@example.com today", "write to j•••@example.com today"),
        ("<ANA+refunds@Mail.Example.CO.UK>", "<A•••@Mail.Example.CO.UK>"),
        ("josé@ejemplo.es.", "j•••@ejemplo.es."),
        ("{'email': 'ana@example.com'}", "{'email': 'a•••@example.com'}"),
    ],
)
def test_an_email_keeps_its_first_letter_and_its_domain(text: str, masked: str) -> None:
    assert MASKER.mask(text) == masked


def test_at_signs_that_are_no_address_stay() -> None:
    for text in ("@channel look", "meet @ 10", "user@localhost", "a@b"):
        assert MASKER.mask(text) == text


@pytest.mark.parametrize(
    "card",
    ["4242424242424242", "4242 4242 4242 4242", "5555-5555-5555-4444", "3782 822463 10005"],
)
def test_a_card_number_that_passes_luhn_keeps_its_last_four_digits(card: str) -> None:
    assert MASKER.mask(f"card {card} was charged") == f"card •••• {card[-4:]} was charged"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("card 4242424242424241 was charged", "the Luhn check fails"),
        ("ref 9234567812345673 attached", "no card network issues numbers starting with 9"),
        ("card 424242424242424 was charged", "15 digits is no Visa length"),
        ("id 4242424242424242.5", "part of a decimal number"),
    ],
)
def test_digits_that_are_no_card_number_stay(text: str, why: str) -> None:
    assert MASKER.mask(text) == text, why


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE•• •••• 3000"),
        ("DE89370400440532013000", "DE•• •••• 3000"),
        ("gb82west12345698765432", "GB•• •••• 5432"),
        ("NO9386011117947", "NO•• •••• 7947"),
    ],
)
def test_an_iban_keeps_its_country_and_last_four(iban: str, masked: str) -> None:
    assert MASKER.mask(f"IBAN: {iban}, thanks") == f"IBAN: {masked}, thanks"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("IBAN DE88 3704 0044 0532 0130 00", "the check digits are wrong"),
        ("IBAN DE89370400440532013000X", "it runs on into a longer word"),
        ("IBAN DE8937040044053201300", "one character short of a German IBAN"),
        ("code XX89370400440532013000", "no country XX"),
    ],
)
def test_what_only_looks_like_an_iban_stays(text: str, why: str) -> None:
    assert MASKER.mask(text) == text, why


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+44 20 7946 0958", "+44 •••• 958"),
        ("+1 (415) 555-2671", "+1 •••• 671"),
        ("+49 (0)30 1234 5678", "+49 •••• 678"),
        ("+81-3-1234-5678", "+81 •••• 678"),
        ("0033 1 23 45 67 89", "0033 •••• 789"),
        ("+442079460958", "•••• 958"),
        ("(415) 555-2671", "•••• 671"),
        ("020 7946 0958", "•••• 958"),
    ],
)
def test_a_phone_number_keeps_its_country_code_and_last_three_digits(
    phone: str, masked: str
) -> None:
    assert MASKER.mask(f"call {phone} after 5") == f"call {masked} after 5"


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890 arrived",
        "Order #100234567",
        "ORD-2024-000123",
        "INV-20240315-0042",
        "on 2024-03-15 at 10:30",
        "on 15.03.2024 10:30",
        "on 03/15/2024",
        "since 2024-03-15T10:30:00Z",
        "version 2.4.10 and 10.0.19045",
        "total 1,234,567.89",
        "from 192.168.100.200",
    ],
)
def test_order_numbers_dates_and_other_figures_stay(text: str) -> None:
    assert MASKER.mask(text) == text


def test_overlapping_finds_keep_the_kind_that_ranks_first() -> None:
    text = "mail 4242424242424242@example.com"
    (span,) = MASKER.spans(text)
    assert span.kind is Personal.EMAIL
    assert MASKER.mask(text) == "mail 4•••@example.com"


def test_leads_patterns_mask_what_they_match_too() -> None:
    masker = Masker([r"CUST-\d{6}", r"(?i)member no\. \d+"])
    text = "CUST-123456 (Member No. 42) ana@example.com"
    assert masker.mask(text) == "••••• (•••••) a•••@example.com"
    assert [s.kind for s in masker.spans(text)] == [
        Personal.CUSTOM,
        Personal.CUSTOM,
        Personal.EMAIL,
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("CUST-(\\d+", "is not a regular expression (missing ), unterminated subpattern)"),
        ("x*", "matches empty text"),
        ("a" * (PATTERN_MAX_CHARS + 1), f"at most {PATTERN_MAX_CHARS} characters"),
    ],
)
def test_a_bad_pattern_is_a_clear_error(pattern: str, message: str) -> None:
    with pytest.raises(BadPattern, match=message.replace("(", r"\(").replace(")", r"\)")):
        Masker([pattern])
    with pytest.raises(Invalid) as refused:
        validate("privacy", {"patterns": ["ORD-\\d+", pattern]})
    assert refused.value.field == "privacy.patterns"
    assert message in refused.value.message


def test_the_privacy_setting_defaults_to_no_patterns_and_full_text_allowed() -> None:
    assert validate("privacy", {}).model_dump() == {
        "patterns": [],
        "show_full_text": True,
        "retention_days": None,
        "sensitive_elsewhere": "stub",
    }


def test_json_has_every_string_masked_and_the_rest_kept() -> None:
    body = {"a": ["ana@example.com", 3, None], "b": {"c": "+44 20 7946 0958"}, "d": True}
    assert MASKER.mask_json(body) == {
        "a": ["a•••@example.com", 3, None],
        "b": {"c": "+44 •••• 958"},
        "d": True,
    }


def test_a_refused_replys_reason_is_masked_for_the_card() -> None:
    refused = Reply(
        Person(1, "Ana", "ana@example.com"),
        STORED_AT,
        "email",
        ReplyStatus.FAILED,
        "550 mailbox jane.doe@example.com is full",
    )

    shown = masked_item(stored(replies=(refused,)), MASKER)

    assert shown.refused_reply is not None
    assert shown.refused_reply.error == "550 mailbox j•••@example.com is full"
    assert (
        refusal_line(shown)
        == "⚠️ Reply to the customer refused: 550 mailbox j•••@example.com is full"
    )
