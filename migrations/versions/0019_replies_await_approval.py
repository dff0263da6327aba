"""replies await a lead's approval; the customer's satisfaction score

A reply's status grows `awaiting_approval` (setting replies.approval), longer than its column;
an item keeps the customer's latest score (1-5) from the reply's satisfaction link.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.alter_column("status", existing_type=sa.String(length=16), type_=sa.String(32))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("csat", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table, which loses the expression index: it is made
    # again afterwards (0006 made it).
    op.drop_index("ix_feedback_customer", table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("csat")
    op.create_index("ix_feedback_customer", "feedback", [sa.text("lower(customer_email)"), "id"])
    # A held reply's status does not fit the old column: it goes back to failed (sendable
    # again with reply-retry) rather than being cut.
    op.execute("UPDATE replies SET status = 'failed' WHERE status = 'awaiting_approval'")
    with op.batch_alter_table("replies") as batch:
        batch.alter_column("status", existing_type=sa.String(length=32), type_=sa.String(16))
