"""Leads configure All Hands from Slack: `/allhands config` opens the settings modal, its
submission saves through `bot.admin.form`, and `routes test`, `rota` and `audit` read.

The submission is checked and saved *before* the ack, because only the ack can keep the modal
open with the reason under the field at fault; saving is a few quick transactions, well
inside Slack's 3 seconds, and asking Slack who submitted waits `LOOK_UP_SECONDS` at most (the
lead opened the form moments ago, so their account is known by its id anyway). A repeated
submission finds nothing left to change, so unlike other listeners it needs no delivery record.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.admin import form as settings_form
from bot.commands.answers import SettingsView
from bot.commands.console import Console
from bot.errors import Forbidden, Invalid
from handlers.slack import views
from handlers.slack.ids import SlackId
from handlers.slack.inbound import Body, Inbound
from handlers.slack.views import Origin

LOOK_UP_SECONDS = 1.5


class SettingsForm:
    def __init__(self, inbound: Inbound, console: Console) -> None:
        self._in = inbound
        self._console = console
        self._admin = console.admin

    def register(self, app: AsyncApp) -> None:
        app.view(SlackId.CONFIG_VIEW)(self._submitted)

    async def open(self, trigger_id: str, settings: SettingsView, channel: str) -> None:
        """The form for a lead; for anyone else the settings, read-only."""
        if settings.form is not None:
            sources = await self._in.core(self._console.sources_line)
            view = views.settings_form(settings.form, Origin(channel=channel), sources)
        else:
            view = views.settings_read_only(settings.summary)
        await self._in.client.views_open(trigger_id=trigger_id, view=view)

    async def _submitted(self, ack: AsyncAck, body: Body, context: AsyncBoltContext) -> None:
        state: dict[str, dict[str, dict[str, str | None]]] = body["view"]["state"]["values"]
        values = {name: str(state[name][name].get("value") or "") for name in state}
        who = await self._in.who(context, within=LOOK_UP_SECONDS)
        try:
            changed = await self._in.core(settings_form.apply, self._admin, values, who)
        except (Invalid, Forbidden) as error:
            field = error.field if isinstance(error, Invalid) else None
            await ack(response_action="errors", errors={_block(field, list(state)): error.message})
            return
        await ack()
        saved = f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
        origin = Origin.load(body["view"].get("private_metadata") or "")
        await self._in.after_ack.start(
            self._in.tell(context.user_id or "", origin.channel or None, saved)
        )


def _block(field: str | None, blocks: list[str]) -> str:
    """The form's block for the field an error names (the core names form fields), so Slack
    shows it under that input; an error no field is to blame for (a refusal) goes first."""
    fallback = blocks[0] if blocks else settings_form.FIELD_NAMES[0]
    return field if field in blocks else fallback
