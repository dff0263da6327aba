"""outbox priority and card floods

An outbox message's priority, so an urgent or high item's card overtakes a channel's backlog
of normal ones; and per source, channel and hour how many new cards were shown, how many held
back past the flood threshold, and the summary message that counts those.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.create_table(
        "card_floods",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=300), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("summary_queued", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source", "platform", "channel", "hour", name=op.f("pk_card_floods")
        ),
    )


def downgrade() -> None:
    op.drop_table("card_floods")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("priority")
