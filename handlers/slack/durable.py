"""What each recorded Slack delivery does once an inbox worker takes it: one table, keyed by
Slack's own ids (the button's action id, the modal's callback id, the event's type).

Listeners record these deliveries before they ack (`Inbound.record`); the key is read back off
the delivery's body (`ids.durable_id`), so a delivery recorded by an earlier version is handled
the same way.
"""

from __future__ import annotations

from handlers.slack.actions import CardActions
from handlers.slack.commands import Commands
from handlers.slack.events import Events
from handlers.slack.ids import DurableId, SlackEvent, SlackId
from handlers.slack.inbound import Handler
from handlers.slack.submissions import Submissions


def durable_handlers(
    actions: CardActions, submissions: Submissions, events: Events, commands: Commands
) -> dict[DurableId, Handler]:
    return {
        SlackId.CLAIM: actions.change,
        SlackId.UNCLAIM: actions.change,
        SlackId.REOPEN: actions.change,
        SlackId.RETRY_REPLY: actions.retry_reply,
        SlackId.CLOSE_VIEW: submissions.close,
        SlackId.HAND_OFF_VIEW: submissions.hand_off,
        SlackId.SEVERITY_VIEW: submissions.severity,
        SlackId.TAGS_VIEW: submissions.edit_tags,
        SlackId.LOG_VIEW: submissions.log,
        SlackId.REPLY_VIEW: submissions.reply,
        SlackId.REPEATS_VIEW: submissions.merge_or_split,
        SlackId.LINK_VIEW: submissions.link,
        SlackId.APPROVE_REPLY: actions.approve_reply,
        SlackId.EDIT_REPLY_VIEW: submissions.approve_edited,
        SlackEvent.REACTION_ADDED: events.reaction_added,
        SlackEvent.REACTION_REMOVED: events.reaction_removed,
        SlackEvent.MESSAGE: events.message,
        SlackEvent.APP_HOME_OPENED: events.home_opened,
        SlackEvent.APP_MENTION: commands.mention,
    }
