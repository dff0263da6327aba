"""Every action id, callback id, block id and command the Slack app registers, in one place.

The manifest in `deploy/slack/manifest.yaml` names the same shortcut and slash command (a test
checks), and the digest's Claim button uses `SlackId.CLAIM` too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class SlackId(StrEnum):
    # buttons and menus on the card (and in lists)
    CLAIM = "allhands.claim"
    UNCLAIM = "allhands.unclaim"
    CLOSE = "allhands.close"
    REOPEN = "allhands.reopen"
    SHOW_FULL = "allhands.show_full"
    MORE = "allhands.more"
    RETRY_REPLY = "allhands.retry_reply"  # on a refused reply's note in the card's thread
    APPROVE_REPLY = "allhands.approve_reply"  # a lead lets a held reply go
    EDIT_REPLY = "allhands.edit_reply"  # a lead edits a held reply, then it goes
    # the overflow menu's options
    OPEN_SOURCE = "allhands.open_source"
    HAND_OFF = "allhands.hand_off"
    SEVERITY = "allhands.severity"
    TAGS = "allhands.tags"
    REPLY = "allhands.reply"
    REPEATS = "allhands.repeats"  # merge into another card, or split a repeat out
    LINK = "allhands.link"
    # modals (callback ids)
    CLOSE_VIEW = "allhands.close_view"
    HAND_OFF_VIEW = "allhands.hand_off_view"
    SEVERITY_VIEW = "allhands.severity_view"
    TAGS_VIEW = "allhands.tags_view"
    REPLY_VIEW = "allhands.reply_view"
    REPEATS_VIEW = "allhands.repeats_view"
    LINK_VIEW = "allhands.link_view"
    EDIT_REPLY_VIEW = "allhands.edit_reply_view"
    LOG_VIEW = "allhands.log_view"
    CONFIG_VIEW = "allhands.config_view"
    # entry points
    LOG_SHORTCUT = "allhands.log_message"
    COMMAND = "/allhands"


class SlackEvent(StrEnum):
    """The Events API types the app subscribes to (the manifest names the same; `message`
    arrives from message.channels and message.groups)."""

    REACTION_ADDED = "reaction_added"
    REACTION_REMOVED = "reaction_removed"
    MESSAGE = "message"
    APP_HOME_OPENED = "app_home_opened"
    APP_MENTION = "app_mention"


class Field(StrEnum):
    """Input blocks of the modals; each block holds one element with the same action id."""

    RESOLUTION = "resolution"
    TELL_CUSTOMER = "tell_customer"
    TARGET = "target"
    NOTE = "note"
    SEVERITY = "severity"
    TAGS = "tags"
    BODY = "body"
    CUSTOMER = "customer"
    KIND = "kind"
    REPLY = "reply"
    MERGE_INTO = "merge_into"
    SPLIT_OUT = "split_out"
    ISSUE_URL = "issue_url"


def message_key(channel: str, ts: str) -> str:
    """A Slack message's id across channels (`ts` is unique only within one channel)."""
    return f"{channel}:{ts}"


DurableId = SlackId | SlackEvent


def durable_id(body: dict[str, Any]) -> DurableId:
    """The table's key for a recorded delivery: ValueError for one no listener records."""
    if body.get("type") == "block_actions":
        return SlackId(body["actions"][0]["action_id"])
    if body.get("type") == "view_submission":
        return SlackId(body["view"]["callback_id"])
    return SlackEvent(str((body.get("event") or {}).get("type")))
