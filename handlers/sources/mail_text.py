"""What of an email's text is the customer's own: plain text preferred, HTML read as text, and
the history a reply quotes and the signature below it left out.

A reply carries the whole conversation: "On … wrote:" and `>`-quoted lines, Outlook's
"-----Original Message-----" or "From: … Sent: …" header before the message it answers, the
"-- " signature delimiter, "Sent from my iPhone". Cut there, a comment says only what is new.
Forwarded messages are kept: forwarding is how a customer passes words on on purpose. A
message that is all quotation keeps its text rather than saying nothing.
"""

from __future__ import annotations

import re

from handlers.sources.base import html_to_text, squeeze_blank_lines

# "On Mon, 2 Apr 2012 at 18:26, Megan <m@example.com> wrote:" and its sisters elsewhere.
_ATTRIBUTION = re.compile(
    r"^(on\b.{0,300}\bwrote|le\b.{0,300}\ba écrit|el\b.{0,300}\bescribió"
    r"|il\b.{0,300}\bha scritto|em\b.{0,300}\bescreveu"
    r"|am\b.{0,300}\bschrieb\b.{0,300}|op\b.{0,300}\bschreef\b.{0,300})\s*:$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}$",
    re.IGNORECASE,
)
# Outlook's header of the message replied to: "From:" then "Sent:" (or "Date:") soon after.
_HEADER_FROM = re.compile(r"^\**(from|von|de|van|da)\s*:\**\s+\S", re.IGNORECASE)
_HEADER_SENT = re.compile(
    r"^\**(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden)\s*:\**", re.IGNORECASE
)
_RULE = re.compile(r"^_{5,}$")
_DEVICE = re.compile(
    r"^(sent from my \w[\w ]{0,30}|sent from \w[\w ]{0,30} for \w+|sent (with|via|from) \w[\w.]*"
    r"|get outlook for \w+|envoyé de mon \w[\w ]{0,30}|von meinem \w[\w ]{0,30} gesendet"
    r"|enviado desde mi \w[\w ]{0,30})\.?$",
    re.IGNORECASE,
)
_HEADER_WINDOW = 5  # lines after "From:" in which Outlook's "Sent:" must come


def customer_words(plain: str, html: str) -> str:
    """The customer's own words in a message with these bodies (either may be empty)."""
    if plain.strip():
        return strip_quoted(plain) or squeeze_blank_lines(_lines(plain))
    if not html.strip():
        return ""
    return strip_quoted(html_to_text(html, without_quotes=True)) or html_to_text(html)


def strip_quoted(text: str) -> str:
    """The text above the first sign of quoted history or signature, without `>` lines and
    without a device's "Sent from …" line at its end."""
    lines = _lines(text)
    own = lines[: _history_starts(lines)]
    own = [line for line in own if not line.lstrip().startswith(">")]
    while own and (not own[-1].strip() or _DEVICE.match(own[-1].strip())):
        own.pop()
    return squeeze_blank_lines(own)


def _history_starts(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if (
            line == "--"  # the signature delimiter "-- ", its space cut with the others
            or _ORIGINAL.match(stripped)
            or _ATTRIBUTION.match(stripped)
            or (following and _ATTRIBUTION.match(f"{stripped} {following}"))
        ):
            return index
        if _HEADER_FROM.match(stripped) and _outlook_header(lines, index):
            return index - 1 if index and _RULE.match(lines[index - 1].strip()) else index
    return len(lines)


def _outlook_header(lines: list[str], start: int) -> bool:
    window = lines[start + 1 : start + 1 + _HEADER_WINDOW]
    return any(_HEADER_SENT.match(line.strip()) for line in window)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
