"""Validation problems in words people act on: where, and what to type instead.

Pydantic words a failed `pattern` as "String should match pattern '^([01]\\d|2[0-3]):[0-5]\\d$'"
and a validator's ValueError as "Value error, …"; neither belongs in front of a person. Every
pattern a field uses is declared here beside the words that replace it, so the regex stays in
the schema (OpenAPI clients use it) and never reaches a message.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"
HTTP_URL = r"^https?://\S+$"
NOT_BLANK = r"\S"  # surrounding blanks are stripped, so blanks alone are no text at all
# A syntax check only: customer addresses come from helpdesks that verified them already.
EMAIL_PATTERN = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$"
LOWER_SLUG = r"^[a-z0-9][a-z0-9_-]*$"

_HINTS = {
    HH_MM: "use HH:MM, e.g. 09:00",
    HTTP_URL: "use an http:// or https:// address, e.g. https://example.com/hook",
    NOT_BLANK: "must not be blank",
    EMAIL_PATTERN: "use an email address, e.g. dana@example.com",
    LOWER_SLUG: "use lower-case letters, digits, '_' or '-', e.g. crm",
}


def hint(pattern: str) -> str | None:
    """The words shown instead of `pattern`, or None for a pattern nobody worded yet."""
    return _HINTS.get(pattern)


def problems(error: ValidationError) -> list[tuple[str, str]]:
    """(where, what) for every problem, in order: `where` is the dotted path of the field at
    fault ('' when the whole value is), `what` what is wrong with it, in plain words."""
    return [(".".join(str(part) for part in e["loc"]), _words(e)) for e in error.errors()]


def _words(error: ErrorDetails) -> str:
    context = error.get("ctx", {})
    if error["type"] == "string_pattern_mismatch":
        return hint(str(context.get("pattern"))) or "is not in the expected form"
    if error["type"] == "value_error":  # our own validators' messages, without "Value error, "
        return str(context.get("error", error["msg"]))
    return error["msg"]
