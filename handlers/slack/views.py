"""Pure modal builders, and the context a modal carries from its opening to its submission.

Modals carry `Origin` in `private_metadata`: the item and the card (or message) it was opened
from, so the submission knows where to answer without a look-up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.admin.form import FIELDS, FormField
from bot.commands.answers import READ_ONLY
from bot.domain import Feedback, Kind, Severity
from bot.service import COMMENT_MAX_CHARS
from bot.trackers.issues import URL_MAX_CHARS
from handlers.slack.blocks import SECTION_CHARS, title_section, verbatim
from handlers.slack.ids import Field, SlackId
from handlers.slack.text import escaped_preview, shorten

INPUT_CHARS = 3_000
TAGS_CHARS = 500
PLACEHOLDER_CHARS = 150


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a modal was opened from: the item (if any) and a channel message (if any)."""

    ref: str = ""
    channel: str = ""
    ts: str = ""
    author: str = ""

    def dump(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def load(cls, text: str) -> Origin:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def close_item(item: Feedback, origin: Origin) -> View:
    tell = Option(value="yes", text="Send the resolution to the customer")
    blocks: list[Block] = [
        title_section(item),
        InputBlock(
            block_id=Field.RESOLUTION,
            label="What was done?",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.RESOLUTION, multiline=True, max_length=COMMENT_MAX_CHARS
            ),
        ),
        InputBlock(
            block_id=Field.TELL_CUSTOMER,
            label="Customer",
            optional=True,
            element=CheckboxesElement(action_id=Field.TELL_CUSTOMER, options=[tell]),
        ),
    ]
    return _modal(SlackId.CLOSE_VIEW, f"Close {item.ref}", blocks, origin=origin)


def hand_off(item: Feedback, origin: Origin) -> View:
    blocks: list[Block] = [
        title_section(item),
        InputBlock(
            block_id=Field.TARGET,
            label="Hand off to",
            element=UserSelectElement(action_id=Field.TARGET, placeholder="Pick a colleague"),
        ),
        InputBlock(
            block_id=Field.NOTE,
            label="Note for them",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.NOTE, multiline=True, max_length=COMMENT_MAX_CHARS
            ),
        ),
    ]
    return _modal(SlackId.HAND_OFF_VIEW, f"Hand off {item.ref}", blocks, origin=origin)


def merge_or_split(item: Feedback, origin: Origin) -> View:
    """Merge this card into another, or give a repeat on it a card of its own (either field)."""

    def ref_input(field: Field, label: str, hint: str) -> InputBlock:
        element = PlainTextInputElement(action_id=field, placeholder="FB-12", max_length=20)
        return InputBlock(block_id=field, label=label, hint=hint, optional=True, element=element)

    blocks: list[Block] = [
        title_section(item),
        ref_input(Field.MERGE_INTO, "Merge into", "Every customer, comment and event is kept."),
        ref_input(
            Field.SPLIT_OUT,
            "Not the same problem",
            "A repeat on this card, to get a card of its own.",
        ),
    ]
    return _modal(SlackId.REPEATS_VIEW, f"Merge or split {item.ref}", blocks, origin=origin)


def reply_to_customer(item: Feedback, origin: Origin) -> View:
    """What the customer will read; sent through the item's source (an email, threaded)."""
    to = item.customer.email or "the customer"
    text = PlainTextInputElement(multiline=True, max_length=COMMENT_MAX_CHARS)
    blocks = _item_and_field(item, Field.REPLY, shorten(f"Reply to {to}", 150), text)
    title = f"Reply on {item.ref}"
    return _modal(SlackId.REPLY_VIEW, title, blocks, origin=origin, submit="Send")


def edit_reply(item: Feedback, origin: Origin, text: str) -> View:
    """A held reply's words for a lead to change; Send approves it as it then reads."""
    words = PlainTextInputElement(
        multiline=True, max_length=COMMENT_MAX_CHARS, initial_value=text[:COMMENT_MAX_CHARS]
    )
    to = item.customer.email or "the customer"
    blocks = _item_and_field(item, Field.REPLY, shorten(f"Reply to {to}", 150), words)
    title = f"Approve reply on {item.ref}"
    return _modal(SlackId.EDIT_REPLY_VIEW, title, blocks, origin=origin, submit="Send")


def link_issue(item: Feedback, origin: Origin) -> View:
    """The tracker issue that fixes the item; its closing then shows on the card."""
    url = PlainTextInputElement(
        placeholder="https://github.com/org/repo/issues/12", max_length=URL_MAX_CHARS
    )
    label = "Issue URL (GitHub, GitLab, Jira or Linear)"
    blocks = _item_and_field(item, Field.ISSUE_URL, label, url)
    return _modal(SlackId.LINK_VIEW, f"Link the fix for {item.ref}", blocks, origin=origin)


def _item_and_field(
    item: Feedback, field: Field, label: str, element: PlainTextInputElement
) -> list[Block]:
    """The item's title over one text field (its block and action ids both `field`)."""
    element.action_id = field
    return [title_section(item), InputBlock(block_id=field, label=label, element=element)]


def change_severity(item: Feedback, origin: Origin) -> View:
    options = {s: Option(value=s.value, text=s.value.capitalize()) for s in Severity}
    select = StaticSelectElement(
        action_id=Field.SEVERITY,
        options=list(options.values()),
        initial_option=options[item.severity],
    )
    blocks: list[Block] = [
        title_section(item),
        InputBlock(block_id=Field.SEVERITY, label="Severity", element=select),
    ]
    return _modal(SlackId.SEVERITY_VIEW, f"Severity of {item.ref}", blocks, origin=origin)


def edit_tags(item: Feedback, origin: Origin) -> View:
    field = PlainTextInputElement(
        action_id=Field.TAGS,
        initial_value=shorten(", ".join(item.tags), TAGS_CHARS) or None,
        placeholder="billing, export",
        max_length=TAGS_CHARS,
    )
    blocks: list[Block] = [
        title_section(item),
        InputBlock(
            block_id=Field.TAGS, label="Tags (comma-separated)", optional=True, element=field
        ),
    ]
    return _modal(SlackId.TAGS_VIEW, f"Tags of {item.ref}", blocks, origin=origin)


def log_message(text: str, author_name: str, origin: Origin) -> View:
    """The shortcut's form, prefilled with the message and its author as the customer."""
    kinds = {k: Option(value=k.value, text=k.value.capitalize()) for k in Kind}
    blocks: list[Block] = [
        InputBlock(
            block_id=Field.BODY,
            label="What the customer said",
            element=PlainTextInputElement(
                action_id=Field.BODY,
                multiline=True,
                initial_value=shorten(text, INPUT_CHARS) or None,
                max_length=INPUT_CHARS,
            ),
        ),
        InputBlock(
            block_id=Field.CUSTOMER,
            label="Customer",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.CUSTOMER,
                initial_value=shorten(author_name, 200) or None,
                max_length=200,
            ),
        ),
        InputBlock(
            block_id=Field.KIND,
            label="Kind",
            element=StaticSelectElement(
                action_id=Field.KIND,
                options=list(kinds.values()),
                initial_option=kinds[Kind.FEEDBACK],
            ),
        ),
    ]
    return _modal(SlackId.LOG_VIEW, "Log feedback", blocks, origin=origin, submit="Log")


def settings_form(values: Mapping[str, str], origin: Origin, sources: str = "") -> View:
    """A lead's form: one input per setting (block and action id are the setting's name),
    under a line naming the sources feedback arrives from (`sources`, read-only here).

    A value longer than Slack lets an input hold is shown as a note and left out of the form:
    cut to fit, saving it would silently drop the rest.
    """
    blocks: list[Block] = []
    if sources:
        blocks.append(ContextBlock(elements=[verbatim(escaped_preview(sources, SECTION_CHARS)[0])]))
    for field in FIELDS:
        value = values.get(field.name, "")
        if len(value) > INPUT_CHARS:
            note = f"*{field.label}* is too long to edit in Slack: use `allhands config` instead."
            blocks.append(ContextBlock(elements=[verbatim(note)]))
        else:
            blocks.append(_setting_input(field, value))
    return _modal(SlackId.CONFIG_VIEW, "All Hands settings", blocks, origin=origin)


def settings_read_only(summary: str) -> View:
    """What everyone else sees: the settings, and that only leads change them.

    Inputs nobody can save would waste the reader's edits and suggest they may change them;
    like Sentry's and PagerDuty's settings for members without the permission, the values are
    shown read-only, with who can change them (the summary names the leads).
    """
    blocks: list[Block] = [
        SectionBlock(text=verbatim(escaped_preview(summary, SECTION_CHARS)[0])),
        ContextBlock(elements=[verbatim(READ_ONLY)]),
    ]
    return _modal(SlackId.CONFIG_VIEW, "All Hands settings", blocks, submit=None)


def _setting_input(field: FormField, value: str) -> InputBlock:
    return InputBlock(
        block_id=field.name,
        label=field.label,
        hint=field.hint,
        optional=True,  # an empty field clears a setting (no executives, no rota)
        element=PlainTextInputElement(
            action_id=field.name,
            multiline=field.multiline,
            initial_value=value or None,
            placeholder=shorten(field.hint, PLACEHOLDER_CHARS),
            max_length=INPUT_CHARS,
        ),
    )


def _modal(
    callback_id: SlackId,
    title: str,
    blocks: list[Block],
    *,
    origin: Origin | None = None,
    submit: str | None = "Save",
) -> View:
    return View(
        type="modal",
        callback_id=callback_id,
        title=shorten(title, 24),
        submit=submit,
        close="Cancel" if submit else "Close",
        blocks=blocks,
        private_metadata=origin.dump() if origin else None,
    )
