"""What the fake Slack holds (users, messages, reactions, views, uploads) and how its Web API
methods answer, in Slack's shapes and with the checks Slack makes that slack_sdk does not.

`FakeSlackApi` (slack_api.py) serves these methods over HTTP; tests read the state here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0001"
MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
SECTION_CHARS = 3_000

Method = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    user: str = BOT_USER
    bot_id: str | None = BOT_ID
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self, *, with_metadata: bool = False) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "ts": self.ts,
            "team": TEAM,
        }
        if self.bot_id:
            shown["bot_id"] = self.bot_id
        if self.thread_ts:
            shown["thread_ts"] = self.thread_ts
        if with_metadata and self.metadata:
            shown["metadata"] = self.metadata
        if self.reactions:
            shown["reactions"] = [
                {"name": name, "users": users, "count": len(users)}
                for name, users in self.reactions.items()
            ]
        return shown


class SlackWorkspace:
    """One workspace's people and conversations, and the Web API methods over them."""

    def __init__(self, now: Callable[[], float]) -> None:
        """`now` sets the message timestamps (give it the test's clock, as Slack's ts is time)."""
        self._now = now
        self.messages: list[Message] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._methods: dict[str, Method] = {
            "api.test": lambda args: {"args": args},
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email,
            "views.open": self._view,
            "views.update": self._view,
            "views.publish": self._view,
            "conversations.open": self._conversations_open,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "files.completeUploadExternal": self._complete_upload,
        }

    # ---- what tests set up and look at ------------------------------------------------------

    def add_user(self, user_id: str, name: str, email: str | None = None) -> None:
        profile = {"real_name": name, "display_name": name.split()[0], "email": email or ""}
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "profile": profile,
        }

    def cards(self, channel: str | None = None) -> list[Message]:
        """Top-level messages (not thread replies), oldest first."""
        return [
            m
            for m in self.messages
            if m.thread_ts is None and (channel is None or m.channel == channel)
        ]

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts == thread_ts]

    def post_as_user(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> Message:
        """A person's message, so history and replies look as they would in Slack."""
        message = Message(channel, self._next_ts(), text, [], user, None, thread_ts)
        self.messages.append(message)
        return message

    # ---- methods ------------------------------------------------------------------------------

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """What Slack answers to `method` with `args` (an `ok` flag included)."""
        handler = self._methods.get(method)
        answer = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        answer.setdefault("ok", "error" not in answer)
        return answer

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://allhands-test.slack.com/",
            "team": "All Hands Test",
            "user": "allhands",
            "team_id": TEAM,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        problem = _message_problem(args)
        if problem:
            return {"error": problem}
        channel = str(args["channel"])
        if channel.startswith("U"):  # a user id posts to the app's DM with them
            channel = f"D{channel}"
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=str(args.get("text") or ""),
            blocks=list(args.get("blocks") or []),
            thread_ts=args.get("thread_ts") or None,
            metadata=args.get("metadata"),
        )
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": message.as_json()}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"error": "message_not_found"}
        problem = _message_problem(args)
        if problem:
            return {"error": problem}
        message.text = str(args.get("text") or "")
        message.blocks = list(args.get("blocks") or [])
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.as_json(),
        }

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"error": "message_not_found"}
        self.messages.remove(message)
        return {"channel": message.channel, "ts": message.ts}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("user"):
            return {"error": "invalid_arguments"}
        return {"message_ts": self._next_ts()}

    def _permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("message_ts"))
        link = f"https://allhands-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is None:
            return {"error": "message_not_found"}
        users = message.reactions.setdefault(str(args["name"]), [])
        if BOT_USER in users:
            return {"error": "already_reacted"}
        users.append(BOT_USER)
        return {}

    def _reactions_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._find(args.get("channel"), args.get("timestamp"))
        if message is None:
            return {"error": "message_not_found"}
        users = message.reactions.get(str(args["name"]), [])
        if BOT_USER not in users:
            return {"error": "no_reaction"}
        users.remove(BOT_USER)
        if not users:
            del message.reactions[str(args["name"])]
        return {}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        return {"user": user} if user else {"error": "user_not_found"}

    def _lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        found = [u for u in self.users.values() if u["profile"]["email"].lower() == email]
        return {"user": found[0]} if found else {"error": "users_not_found"}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            return {"error": "invalid_arguments"}
        if len(view.get("blocks") or []) > MAX_BLOCKS.get(str(view.get("type")), 100):
            return {"error": "invalid_arguments"}
        view_id = str(args.get("view_id") or self._next_id("V"))
        self.views[view_id] = view
        return {"view": {"id": view_id, **view}}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users:
            return {"error": "users_list_not_supplied"}
        return {"channel": {"id": f"D{users.split(',')[0]}"}}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        oldest = float(args.get("oldest") or 0)
        shown = [m for m in reversed(self.cards(str(args.get("channel")))) if float(m.ts) > oldest]
        return self._page(shown, args)

    def _replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel")), str(args.get("ts"))
        parent = self._find(channel, ts)
        if parent is None:
            return {"error": "thread_not_found"}
        return self._page([parent, *self.replies(channel, ts)], args)

    def _page(self, messages: list[Message], args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = messages[start : start + limit]
        metadata = str(args.get("include_all_metadata")).lower() in {"1", "true"}
        more = start + limit < len(messages)
        return {
            "messages": [m.as_json(with_metadata=metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files") or []
        return {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def _find(self, channel: object, ts: object) -> Message | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def _next_ts(self) -> str:
        return f"{int(self._now())}.{next(self._ts):06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"


def _message_problem(args: dict[str, Any]) -> str | None:
    """The checks Slack makes that slack_sdk does not (or not on plain dicts)."""
    if not args.get("channel"):
        return "channel_not_found"
    blocks = args.get("blocks") or []
    if not args.get("text") and not blocks:
        return "no_text"
    if len(blocks) > MAX_BLOCKS["message"]:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > SECTION_CHARS:
            return "invalid_blocks"
    return None
