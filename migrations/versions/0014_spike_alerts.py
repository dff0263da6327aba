"""spike alerts

A spike of one tag or source on one local day, one row each (the replica that inserts it is
the one that alerts), and where each copy of its alert lives in chat, to update it in place.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "spike_alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("usual", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("newest_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alerts")),
        sa.UniqueConstraint(
            "dimension", "key", "day", name=op.f("uq_spike_alerts_dimension_key_day")
        ),
    )
    op.create_index(op.f("ix_spike_alerts_day"), "spike_alerts", ["day"], unique=False)
    op.create_table(
        "spike_alert_copies",
        sa.Column("id", _ID, nullable=False),
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["spike_alerts.id"],
            name=op.f("fk_spike_alert_copies_alert_id_spike_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spike_alert_copies")),
        sa.UniqueConstraint(
            "alert_id",
            "platform",
            "channel",
            name=op.f("uq_spike_alert_copies_alert_id_platform_channel"),
        ),
    )


def downgrade() -> None:
    op.drop_table("spike_alert_copies")
    op.drop_index(op.f("ix_spike_alerts_day"), table_name="spike_alerts")
    op.drop_table("spike_alerts")
