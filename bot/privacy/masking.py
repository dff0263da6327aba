"""Personal data in free text, found and masked: pure, no I/O.

Emails, phone numbers in international and common national formats, payment card numbers
(known issuer prefix, right length, Luhn-checked) and IBANs (country length, mod-97 checked),
plus the patterns leads add. Each mask keeps a hint a colleague can work with ("a•••@example.com",
"•••• 4242") and none of what would identify the customer. The checksums are what keep order
numbers and dates readable: a run of digits is only a card or an IBAN when its check digits say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DOT = "•"
PATTERN_MAX_CHARS = 200
PATTERNS_MAX = 20


class Personal(StrEnum):
    """The kinds of personal data masked, in the order they win an overlap."""

    EMAIL = "email"
    IBAN = "iban"
    CARD = "card"
    PHONE = "phone"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: Personal
    mask: str


_EMAIL = re.compile(r"(?<![\w.%+-])(\w[\w.%+'-]*)@((?:[\w-]+\.)+[^\W\d_]{2,24})(?![\w-])")

# A card: 13 to 19 digits, in groups separated by single spaces or dashes.
_CARD = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,18}(?![\w/-]|[.,]\d)")
_CARD_LENGTHS: tuple[tuple[tuple[str, ...], frozenset[int]], ...] = (
    (("4",), frozenset({16, 19})),  # Visa (13 digits: long retired)
    (tuple(str(p) for p in range(51, 56)), frozenset({16})),  # Mastercard
    (tuple(str(p) for p in range(2221, 2721)), frozenset({16})),  # Mastercard 2-series
    (("34", "37"), frozenset({15})),  # American Express
    (("6011", "65", *(str(p) for p in range(644, 650))), frozenset({16, 19})),  # Discover
    (("35",), frozenset({16, 17, 18, 19})),  # JCB
    (("36", "38", "39", *(str(p) for p in range(300, 306))), frozenset({14, 16})),  # Diners
    (("62",), frozenset({16, 17, 18, 19})),  # UnionPay
    (("50", "56", "57", "58", "6304", "67"), frozenset(range(16, 20))),  # Maestro
)

# Each country's IBAN length (ISO 13616 registry).
_IBAN_LENGTHS = {
    **dict.fromkeys(("NO",), 15),
    **dict.fromkeys(("BE",), 16),
    **dict.fromkeys(("DK", "FI", "FO", "GL", "NL"), 18),
    **dict.fromkeys(("MK", "SI"), 19),
    **dict.fromkeys(("AT", "BA", "EE", "KZ", "LT", "LU", "XK"), 20),
    **dict.fromkeys(("CH", "HR", "LI", "LV"), 21),
    **dict.fromkeys(("BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"), 22),
    **dict.fromkeys(("AE", "GI", "IL", "IQ", "TL"), 23),
    **dict.fromkeys(("AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"), 24),
    **dict.fromkeys(("PT", "ST"), 25),
    **dict.fromkeys(("IS", "TR"), 26),
    **dict.fromkeys(("FR", "GR", "IT", "MC", "MR", "SM"), 27),
    **dict.fromkeys(("AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV"), 28),
    **dict.fromkeys(("BR", "EG", "PS", "QA", "UA"), 29),
    **dict.fromkeys(("JO", "KW", "MU"), 30),
    **dict.fromkeys(("MT", "SC"), 31),
    **dict.fromkeys(("LC",), 32),
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})(?=[ ]?[A-Za-z0-9])")

# A phone number: `+` or `00` and a country code, or a national number with a trunk `0` or the
# North American (415) 555-0100 shape. Separators are single spaces, dots, dashes, slashes or
# brackets; a bare run of digits (an order number) or a date never has the shape, and neither
# has the tail of a longer run of groups (a broken IBAN, a reference).
_PHONE = re.compile(
    r"""(?<![\w+#/.:-])(?<!\d[ .-])(?:
        (?P<intl>(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .\-/]?(?:\(\d{1,5}\)|\d{1,5})){2,6})
      | (?P<nanp>(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4})
      | (?P<trunk>(?:\(0\d{1,4}\)|0\d{1,4})(?:[ .\-/]\d{2,8}){1,4})
    )(?![\w-]|[.:/]\d)""",
    re.VERBOSE,
)
_PHONE_DIGITS = {"intl": (8, 15), "nanp": (10, 10), "trunk": (10, 12)}
_COUNTRY_CODE = re.compile(r"(?:\+|00)\d{1,3}(?=[ .\-/(])")
_DATE_LIKE = re.compile(r"^\(?\d{1,4}[.\-/]\d{1,2}[.\-/]\d{1,4}$")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616: the country's length, then mod 97 of the rearranged number is 1."""
    iban = iban.upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _card_issued(digits: str) -> bool:
    return any(
        digits.startswith(prefixes) and len(digits) in lengths
        for prefixes, lengths in _CARD_LENGTHS
    )


def _emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        local, domain = match.groups()
        yield Span(match.start(), match.end(), Personal.EMAIL, f"{local[0]}{DOT * 3}@{domain}")


def _cards(text: str) -> Iterator[Span]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if _card_issued(digits) and luhn_valid(digits):
            yield Span(match.start(), match.end(), Personal.CARD, f"{DOT * 4} {digits[-4:]}")


def _ibans(text: str) -> Iterator[Span]:
    for start in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(start.group(1).upper())
        if length is None:
            continue
        taken, end = _iban_chars(text, start.start(), length)
        if len(taken) == length and iban_valid(taken):
            country = taken[:2].upper()
            yield Span(
                start.start(), end, Personal.IBAN, f"{country}{DOT * 2} {DOT * 4} {taken[-4:]}"
            )


def _iban_chars(text: str, start: int, length: int) -> tuple[str, int]:
    """Up to `length` letters and digits from `start`, single spaces between groups skipped;
    the IBAN must end there, not run on into a longer word."""
    taken: list[str] = []
    index = start
    while index < len(text) and len(taken) < length:
        char = text[index]
        if char.isascii() and char.isalnum():
            taken.append(char)
        elif not (char == " " and taken and index + 1 < len(text) and text[index + 1] != " "):
            break
        index += 1
    if index < len(text) and text[index].isascii() and text[index].isalnum():
        return "", index
    return "".join(taken), index


def _phones(text: str) -> Iterator[Span]:
    for match in _PHONE.finditer(text):
        shape = match.lastgroup or "trunk"
        number = match.group()
        digits = re.sub(r"\D", "", number)
        low, high = _PHONE_DIGITS[shape]
        if shape == "intl" and number.startswith("00"):
            digits = digits[2:]
        if not low <= len(digits) <= high or _DATE_LIKE.match(number):
            continue
        code = _COUNTRY_CODE.match(number) if shape == "intl" else None
        hint = f"{code.group()} " if code else ""
        yield Span(match.start(), match.end(), Personal.PHONE, f"{hint}{DOT * 4} {digits[-3:]}")


Finder = Callable[[str], Iterator[Span]]
_FINDERS: tuple[Finder, ...] = (_emails, _ibans, _cards, _phones)


class BadPattern(ValueError):
    """A lead's pattern that cannot be used, with the reason in words."""


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A lead's pattern, checked: short enough, valid, and never matching empty text."""
    if len(pattern) > PATTERN_MAX_CHARS:
        raise BadPattern(f"a pattern is at most {PATTERN_MAX_CHARS} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise BadPattern(f"'{pattern}' is not a regular expression ({error.msg})") from None
    if compiled.fullmatch(""):
        raise BadPattern(f"'{pattern}' matches empty text, so it would mask nothing useful")
    return compiled


class Masker:
    """Finds personal data in text and masks it; `extra` are the leads' own patterns."""

    def __init__(self, extra: Sequence[str] = ()) -> None:
        self._extra = tuple(compile_pattern(p) for p in extra)

    def spans(self, text: str) -> list[Span]:
        """The personal data in `text`, earliest first, overlaps settled by `Personal` order."""
        found = [span for finder in _FINDERS for span in finder(text)]
        found += [
            Span(m.start(), m.end(), Personal.CUSTOM, DOT * 5)
            for pattern in self._extra
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ]
        rank = list(Personal)
        chosen: list[Span] = []
        for span in sorted(found, key=lambda s: (rank.index(s.kind), s.start)):
            if all(span.end <= c.start or span.start >= c.end for c in chosen):
                chosen.append(span)
        return sorted(chosen, key=lambda s: s.start)

    def mask(self, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts: list[str] = []
        at = 0
        for span in spans:
            parts += [text[at : span.start], span.mask]
            at = span.end
        parts.append(text[at:])
        return "".join(parts)

    def mask_optional(self, text: str | None) -> str | None:
        return None if text is None else self.mask(text)

    def mask_json(self, value: Any) -> Any:
        """Every string inside `value` (dicts, lists) masked; keys and other values kept."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {key: self.mask_json(inner) for key, inner in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_json(inner) for inner in value]
        return value
