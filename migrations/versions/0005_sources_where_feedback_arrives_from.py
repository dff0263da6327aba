"""sources: where feedback arrives from

Registered sources (secrets sealed), every delivery kept raw before it is parsed, the keys an
email thread goes by, and the vendor"s own status of an item"s conversation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:12:46.109663
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_deliveries")),
        sa.UniqueConstraint(
            "source", "event_id", name=op.f("uq_source_deliveries_source_event_id")
        ),
    )
    with op.batch_alter_table("source_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_deliveries_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sealed_secret", sa.Text(), nullable=True),
        sa.Column("sealed_credentials", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sources")),
    )
    op.create_table(
        "source_threads",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_source_threads_feedback_id_feedback")
        ),
        sa.PrimaryKeyConstraint("source", "key", name=op.f("pk_source_threads")),
    )
    with op.batch_alter_table("source_threads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_threads_feedback_id"), ["feedback_id"], unique=False
        )

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_status", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("source_status")

    with op.batch_alter_table("source_threads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_threads_feedback_id"))

    op.drop_table("source_threads")
    op.drop_table("sources")
    with op.batch_alter_table("source_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_deliveries_received_at"))

    op.drop_table("source_deliveries")
