"""Checks API answers against the OpenAPI document the server publishes."""

from __future__ import annotations

from typing import Any

import jsonschema

from handlers.api_schema import openapi_document


def assert_matches(schema_name: str, data: Any) -> None:
    """`data` fits the document's component schema `schema_name`."""
    document = openapi_document()
    schema = {
        **document["components"]["schemas"][schema_name],
        "components": document["components"],
    }
    resolver_root = {"components": document["components"]}
    jsonschema.validate(data, {**schema, **resolver_root})
