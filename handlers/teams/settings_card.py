"""The leads' settings form as an Adaptive Card, and its submission back as form values.

Pure functions over `bot.admin.form.FIELDS`, so Teams shows exactly the fields the core
validates. The card is rebuilt from the stored settings after a save, never patched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.admin.form import FIELDS
from bot.errors import Invalid
from handlers.teams.cards import SCHEMA_URL, VERSION

SAVE_VERB = "allhands.config.save"


def settings_card(values: Mapping[str, str], note: str | None = None) -> dict[str, Any]:
    """One text input per setting, prefilled with `values`; `note` reports the last save."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "All Hands settings", "weight": "Bolder", "size": "Medium"}
    ]
    if note:
        body.append({"type": "TextBlock", "text": note, "color": "Good", "wrap": True})
    body.extend(
        {
            "type": "Input.Text",
            "id": field.name,
            "label": field.label,
            "placeholder": field.hint,
            "value": values.get(field.name, ""),
            "isMultiline": field.multiline,
        }
        for field in FIELDS
    )
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": "All Hands settings (open in Teams to edit)",
        "body": body,
        "actions": [
            {"type": "Action.Execute", "title": "Save", "verb": SAVE_VERB, "style": "positive"}
        ],
    }


def submitted(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's values from an `Action.Execute` click.

    Teams leaves empty inputs out of the click, so a field missing from it was cleared. But
    Teams has also been seen to send channel clicks without any input at all: read as "clear
    everything", that would wipe every setting, so a click with no field is refused.
    """
    if not any(field.name in data for field in FIELDS):
        raise Invalid(
            "Teams sent the form without its values, so nothing was saved. Try again, "
            "or send `config` in a personal chat with All Hands."
        )
    return {field.name: str(data.get(field.name) or "") for field in FIELDS}
