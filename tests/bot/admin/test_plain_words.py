"""Validation speaks to people: no regular expression ever reaches a message, and every
pattern a field checks has the words said instead."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest
from pydantic import BaseModel, ValidationError

import bot.admin.schemas
import bot.config
import bot.intake
from bot.admin.schemas import validate
from bot.errors import Invalid
from bot.intake import FeedbackDraft
from bot.validation import hint, problems

MODULES = (bot.config, bot.intake, bot.admin.schemas)


def models(module: ModuleType) -> list[type[BaseModel]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == module.__name__
    ]


def checked_patterns() -> list[tuple[str, str]]:
    found = []
    for module in MODULES:
        for model in models(module):
            for name, field in model.model_fields.items():
                for rule in field.metadata:
                    pattern = getattr(rule, "pattern", None)
                    if pattern is not None:
                        found.append((f"{model.__name__}.{name}", str(pattern)))
    return found


def test_every_pattern_a_field_checks_has_words_for_people() -> None:
    patterns = checked_patterns()
    assert len(patterns) >= 7  # the scan finds them: time, urls, emails, names, non-blank text
    assert [where for where, pattern in patterns if hint(pattern) is None] == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("digest", {"time": "9am"}, "digest.time: use HH:MM, e.g. 09:00"),
        (
            "webhooks",
            {"hooks": [{"name": "CRM!", "url": "https://crm.example.com", "secret": "s" * 16}]},
            "webhooks.hooks.0.name: use lower-case letters, digits, '_' or '-', e.g. crm",
        ),
        (
            "webhooks",
            {"hooks": [{"name": "crm", "url": "crm.example.com", "secret": "s" * 16}]},
            "webhooks.hooks.0.url: use an http:// or https:// address, e.g. https://example.com/hook",
        ),
    ],
)
def test_settings_say_what_to_type(key: str, value: object, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        validate(key, value)
    assert refused.value.message == message


def test_an_item_says_what_to_type_and_drops_pydantics_value_error_prefix() -> None:
    with pytest.raises(ValidationError) as refused:
        FeedbackDraft.model_validate(
            {
                "source": "Bad Source!",
                "body": "hi",
                "url": "ftp://files",
                "customer": {"email": "dana"},
            }
        )
    assert problems(refused.value) == [
        ("source", "use lower-case letters, digits, '.', '_' or '-' (e.g. zendesk)"),
        ("url", "use an http:// or https:// address, e.g. https://example.com/hook"),
        ("customer.email", "use an email address, e.g. dana@example.com"),
    ]


def test_several_mistakes_are_reported_together_and_the_first_is_the_field() -> None:
    with pytest.raises(Invalid) as refused:
        validate("digest", {"time": "9am", "days": "someday", "colour": "blue"})
    lines = refused.value.message.splitlines()
    assert lines[0] == "3 problems:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "  digest.time",
        "  digest.days",
        "  digest.colour",
    ]
    assert refused.value.field == "digest.time"
