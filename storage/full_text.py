"""Full-text search's own schema (migration 0014), which the models do not describe.

SQLite keeps an FTS5 table (`feedback_fts`, with its shadow tables) in step with `feedback` by
triggers; PostgreSQL has a GIN index over `DOCUMENT`. Schema comparisons leave both out.
"""

from __future__ import annotations

from collections.abc import Mapping

FTS_TABLE = "feedback_fts"
PG_INDEX = "ix_feedback_search"
# The exact expression the index is built on: a query must repeat it to use the index.
DOCUMENT = "to_tsvector('english', coalesce(feedback.title, '') || ' ' || feedback.body)"


def described_by_models(
    name: str | None, type_: str, parent_names: Mapping[str, str | None]
) -> bool:
    """Alembic's `include_name`: False for the search objects the models leave to 0014."""
    return not (name or "").startswith((FTS_TABLE, PG_INDEX))
