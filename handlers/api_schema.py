"""Request models of the ingest API and the OpenAPI document built from the same models.

Request schemas come from the pydantic models the handlers validate with, so the document
cannot drift from the behaviour.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.domain import Kind, LinkStatus, ReplyStatus, Severity, State
from bot.intake import FeedbackDraft
from bot.service import COMMENT_MAX_CHARS

BATCH_MAX_ITEMS = 500


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=COMMENT_MAX_CHARS)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[dict[str, Any]] = Field(min_length=1, max_length=BATCH_MAX_ITEMS)


_NULLABLE_STRING = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_PERSON = {
    "type": ["object", "null"],
    "required": ["name", "email", "platform"],
    "properties": {
        "name": {"type": "string"},
        "email": _NULLABLE_STRING,
        "platform": {"type": "string"},
    },
}
_DUPLICATE_OF = {
    "type": ["string", "null"],
    "pattern": "^FB-[0-9]+$",
    "description": "A repeat: the item whose card it joined instead of posting its own.",
}
_ITEM = {
    "type": "object",
    "required": [
        "ref",
        "source",
        "external_id",
        "title",
        "body",
        "kind",
        "severity",
        "tags",
        "product_area",
        "url",
        "customer",
        "received_at",
        "state",
        "claimed_by",
        "closed_by",
        "resolution",
        "created_at",
        "updated_at",
        "links",
        "fixed_awaiting_reply",
        "duplicate_of",
        "csat",
    ],
    "properties": {
        "ref": {"type": "string", "pattern": "^FB-[0-9]+$"},
        "source": {"type": "string"},
        "external_id": _NULLABLE_STRING,
        "title": _NULLABLE_STRING,
        "body": {"type": "string"},
        "kind": {"enum": [k.value for k in Kind]},
        "severity": {"enum": [s.value for s in Severity]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "product_area": _NULLABLE_STRING,
        "url": _NULLABLE_STRING,
        "customer": {
            "type": "object",
            "required": ["name", "email", "company", "tier"],
            "properties": dict.fromkeys(("name", "email", "company", "tier"), _NULLABLE_STRING),
        },
        "received_at": _TIME,
        "state": {"enum": [s.value for s in State]},
        "claimed_by": _PERSON,
        "closed_by": _PERSON,
        "resolution": _NULLABLE_STRING,
        "created_at": _TIME,
        "updated_at": _TIME,
        "links": {
            "type": "array",
            "description": "The tracker issues that fix this item, as their trackers last said.",
            "items": {
                "type": "object",
                "required": ["url", "title", "status"],
                "properties": {
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"enum": [s.value for s in LinkStatus]},
                },
            },
        },
        "fixed_awaiting_reply": {
            "type": "boolean",
            "description": "A linked fix shipped and the customer has not been told yet.",
        },
        "duplicate_of": _DUPLICATE_OF,
        "csat": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 5,
            "description": "The customer's latest score from the reply's satisfaction link.",
        },
        "comments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["author", "platform", "text", "at"],
                "properties": {
                    "author": {"type": "object"},
                    "platform": {"type": "string"},
                    "text": {"type": "string"},
                    "at": _TIME,
                },
            },
        },
        "replies": {
            "type": "array",
            "description": "Answers sent to the customer through the item's source (email).",
            "items": {
                "type": "object",
                "required": ["by", "at", "channel", "status", "error"],
                "properties": {
                    "by": {"type": "object"},
                    "at": _TIME,
                    "channel": {"type": "string"},
                    "status": {"enum": [s.value for s in ReplyStatus]},
                    "error": _NULLABLE_STRING,
                },
            },
        },
    },
}
# What a token without read access is told about an item it submitted (`receipt_json`).
_RECEIPT = {
    "type": "object",
    "required": ["ref", "source", "external_id", "created_at", "duplicate_of"],
    "additionalProperties": False,
    "properties": {
        "ref": {"type": "string", "pattern": "^FB-[0-9]+$"},
        "source": {"type": "string"},
        "external_id": _NULLABLE_STRING,
        "created_at": _TIME,
        "duplicate_of": _DUPLICATE_OF,
    },
}
_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(status): {
            "description": "Problem details (RFC 9457)",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for status in statuses
    }


def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/components/schemas/{model}")


@cache
def openapi_document() -> dict[str, Any]:
    draft = _schema_of(FeedbackDraft)
    components: dict[str, Any] = dict(draft.pop("$defs", {}))
    components |= {
        "FeedbackIn": draft,
        "CommentIn": _schema_of(CommentIn),
        "Item": _ITEM,
        "Receipt": _RECEIPT,
        "Problem": _PROBLEM,
        "BatchIn": {
            "type": "object",
            "required": ["items"],
            "additionalProperties": False,
            "properties": {
                "items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": BATCH_MAX_ITEMS,
                    "items": _ref("FeedbackIn"),
                }
            },
        },
    }
    item_response = {"content": _json(_ref("Item"))}
    # A token that may not read is answered with a receipt instead of the item.
    written = {"content": _json({"oneOf": [_ref("Item"), _ref("Receipt")]})}
    # 403: a source the token may not submit (`field`: source), or reading without read access.
    write_errors = _problems(400, 401, 403, 413, 415, 422, 429, 503)
    read_errors = _problems(401, 403, 422, 429, 503)
    ref_param = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
    counts = {"type": "object", "additionalProperties": {"type": "integer"}}
    erased = {
        "content": _json(
            {
                "type": "object",
                "required": ["erasure", "found", "removed"],
                "properties": {
                    "erasure": {"type": ["integer", "null"]},
                    "found": {"type": "boolean"},
                    "removed": counts,
                },
            }
        )
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "All Hands ingest API", "version": "1"},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/feedback": {
                "post": {
                    "summary": "Submit one feedback item",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        }
                    ],
                    "requestBody": {"required": True, "content": _json(_ref("FeedbackIn"))},
                    "responses": {
                        "201": {"description": "Created", **written},
                        "200": {"description": "Seen before: the existing item", **written},
                        **write_errors,
                        **_problems(409),
                    },
                },
                "get": {
                    "summary": (
                        "List items, oldest first, with cursor pagination; with q, the items "
                        "that match it by words or meaning, best first"
                    ),
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "minLength": 1}},
                        {
                            "name": "state",
                            "in": "query",
                            "schema": {"enum": [s.value for s in State]},
                        },
                        {"name": "source", "in": "query", "schema": {"type": "string"}},
                        {"name": "since", "in": "query", "schema": _TIME},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of items",
                            "content": _json(
                                {
                                    "type": "object",
                                    "required": ["items", "next_cursor"],
                                    "properties": {
                                        "items": {"type": "array", "items": _ref("Item")},
                                        "next_cursor": _NULLABLE_STRING,
                                    },
                                }
                            ),
                        },
                        **read_errors,
                    },
                },
            },
            "/api/v1/feedback/batch": {
                "post": {
                    "summary": "Submit up to 500 items; all are validated before any is stored",
                    "requestBody": {"required": True, "content": _json(_ref("BatchIn"))},
                    "responses": {
                        "200": {
                            "description": "One result per item, in order",
                            "content": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "results": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "index": {"type": "integer"},
                                                    "status": {"enum": ["created", "existing"]},
                                                    "item": {
                                                        "oneOf": [_ref("Item"), _ref("Receipt")]
                                                    },
                                                },
                                            },
                                        }
                                    },
                                }
                            ),
                        },
                        **write_errors,
                    },
                }
            },
            "/api/v1/feedback/{ref}": {
                "get": {
                    "summary": "One item with its discussion",
                    "parameters": [ref_param],
                    "responses": {
                        "200": {"description": "The item", **item_response},
                        **read_errors,
                        **_problems(404),
                    },
                }
            },
            "/api/v1/customers/{email}": {
                "delete": {
                    "summary": "Erase one customer's words and details everywhere (lead token)",
                    "parameters": [
                        {
                            "name": "email",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "What was removed, per kind", **erased},
                        "202": {"description": "An erasure of them is under way"},
                        **_problems(401, 403, 422, 429, 503),
                    },
                }
            },
            "/api/v1/feedback/{ref}/comments": {
                "post": {
                    "summary": "Add a comment to the discussion",
                    "parameters": [ref_param],
                    "requestBody": {"required": True, "content": _json(_ref("CommentIn"))},
                    "responses": {
                        "201": {"description": "The item with its comments", **written},
                        **write_errors,
                        **_problems(404),
                    },
                }
            },
        },
    }
