"""inbox taken in order from an index

Taking a batch asks for the oldest undone deliveries. With the index on (done_at,
next_attempt_at), SQLite read and sorted every undone row for each batch (draining a backlog
cost its length squared) and PostgreSQL walked the handled rows kept for a day. On (done_at,
id), ordered by both (done_at is NULL throughout), a batch is the index's first entries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_pending")
        batch_op.create_index("ix_inbox_undone_in_order", ["done_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_undone_in_order")
        batch_op.create_index("ix_inbox_pending", ["done_at", "next_attempt_at"], unique=False)
