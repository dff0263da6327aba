"""The JSON of a customer's erasure report and of what is stored about them (`allhands customer
export`), shared by the command line and the API."""

from __future__ import annotations

from typing import Any

from bot.domain import Event, ref_for
from bot.privacy.erasure import ErasureReport, StoredAbout
from handlers.item_json import item_json, rfc3339


def report_json(report: ErasureReport) -> dict[str, Any]:
    return {"erasure": report.job, "found": not report.found_nothing, "removed": report.counts}


def report_text(email: str, report: ErasureReport) -> str:
    """One line: what was removed, kind by kind, or that nothing was stored."""
    if report.found_nothing:
        return f"Nothing is stored about {email}: nothing to erase."
    counts = ", ".join(f"{kind} {n}" for kind, n in report.counts.items()) or "nothing"
    return f"Erased what was stored about {email} (erasure {report.job}): {counts}."


def _event(event: Event) -> dict[str, Any]:
    actor = event.actor
    return {
        "kind": event.kind.value,
        "at": rfc3339(event.at),
        "platform": event.platform.value,
        "actor": {"name": actor.name, "email": actor.email} if actor else None,
        "data": event.data,
    }


def export_json(stored: StoredAbout) -> dict[str, Any]:
    return {
        "email": stored.email,
        "items": [
            item_json(item, with_comments=True) | {"events": [_event(e) for e in events]}
            for item, events in stored.items
        ],
        "replies": [
            {
                "ref": ref_for(r.feedback_id),
                "at": rfc3339(r.at),
                "to": r.recipient,
                "subject": r.subject,
                "text": r.text,
                "status": r.status,
            }
            for r in stored.replies
        ],
    }
