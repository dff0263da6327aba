"""sensitive items

The sensitive route that restricted an item when it arrived, kept on the item so it holds
however the routes change later; and which copy of its card sits in the restricted channel,
the only kind of copy that shows its words.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.add_column(sa.Column("sensitive_rule", sa.String(length=80), nullable=True))
    with op.batch_alter_table("card_messages") as batch_op:
        batch_op.add_column(
            sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("card_messages") as batch_op:
        batch_op.alter_column("restricted", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("card_messages") as batch_op:
        batch_op.drop_column("restricted")
    # SQLite drops the column by copying the table, which would lose this expression index.
    op.drop_index("ix_feedback_customer", table_name="feedback")
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.drop_column("sensitive_rule")
    op.create_index(
        "ix_feedback_customer", "feedback", [sa.text("lower(customer_email)"), "id"], unique=False
    )
