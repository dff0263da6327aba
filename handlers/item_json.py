"""The public JSON shape of an item (API responses, `allhands feedback show --json`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import Comment, Feedback, Holder, Reply, ref_for


def rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _holder(holder: Holder | None) -> dict[str, Any] | None:
    if holder is None:
        return None
    return {
        "name": holder.person.name,
        "email": holder.person.email,
        "platform": holder.platform.value,
    }


def _comment(comment: Comment) -> dict[str, Any]:
    return {
        "author": {"name": comment.author.name, "email": comment.author.email},
        "platform": comment.platform.value,
        "text": comment.text,
        "at": rfc3339(comment.at),
    }


def _reply(reply: Reply) -> dict[str, Any]:
    return {
        "by": {"name": reply.by.name, "email": reply.by.email},
        "at": rfc3339(reply.at),
        "channel": reply.channel,
        "status": reply.status.value,
        "error": reply.error,
    }


def item_json(item: Feedback, *, with_comments: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ref": item.ref,
        "source": item.source,
        "external_id": item.external_id,
        "title": item.title,
        "body": item.body,
        "kind": item.kind.value,
        "severity": item.severity.value,
        "tags": list(item.tags),
        "product_area": item.product_area,
        "url": item.url,
        "customer": {
            "name": item.customer.name,
            "email": item.customer.email,
            "company": item.customer.company,
            "tier": item.customer.tier,
        },
        "received_at": rfc3339(item.received_at),
        "state": item.state.value,
        "claimed_by": _holder(item.claimed),
        "closed_by": _holder(item.closed),
        "resolution": item.resolution,
        "created_at": rfc3339(item.created_at),
        "updated_at": rfc3339(item.updated_at),
        "links": [
            {"url": link.url, "title": link.title, "status": link.status.value}
            for link in item.links
        ],
        "fixed_awaiting_reply": item.fixed_awaiting_reply,
        "duplicate_of": ref_for(item.duplicate_of) if item.duplicate_of else None,
        "csat": item.csat,
    }
    if with_comments:
        data["comments"] = [_comment(c) for c in item.comments]
        data["replies"] = [_reply(r) for r in item.replies]
    return data


def receipt_json(item: Feedback) -> dict[str, Any]:
    """What a write-only token is told about an item it submitted: where it is, nothing of the
    customer nor of what colleagues made of it (that takes a token that may read)."""
    return {
        "ref": item.ref,
        "source": item.source,
        "external_id": item.external_id,
        "created_at": rfc3339(item.created_at),
        "duplicate_of": ref_for(item.duplicate_of) if item.duplicate_of else None,
    }
