"""full-text search of feedback

Search (`/allhands search`, `feedback search`, `GET /api/v1/feedback?q=`) finds items by the
words of their title and body. SQLite: an FTS5 table over `feedback` (its content read from
`feedback` itself), kept in step by triggers on every insert, edit and delete. PostgreSQL: a GIN
index over the same words as a tsvector expression, which the search query repeats exactly.

Beware on SQLite: a later batch migration that recreates `feedback` drops these triggers with
the old table; such a migration must create them again (`_create_sqlite`).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PG_INDEX = (
    "CREATE INDEX ix_feedback_search ON feedback USING gin "
    "(to_tsvector('english', coalesce(title, '') || ' ' || body))"
)
_ADD = "INSERT INTO feedback_fts(rowid, title, body) VALUES (new.id, new.title, new.body);"
_REMOVE = (
    "INSERT INTO feedback_fts(feedback_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body);"
)
_SQLITE = (
    "CREATE VIRTUAL TABLE feedback_fts USING fts5(title, body, content='feedback', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER feedback_fts_insert AFTER INSERT ON feedback BEGIN {_ADD} END",
    f"CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback BEGIN {_REMOVE} END",
    "CREATE TRIGGER feedback_fts_update AFTER UPDATE OF title, body ON feedback "
    f"BEGIN {_REMOVE} {_ADD} END",
    "INSERT INTO feedback_fts(feedback_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite()
    else:
        op.execute(_PG_INDEX)


def _create_sqlite() -> None:
    for statement in _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS feedback_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS feedback_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_feedback_search")
