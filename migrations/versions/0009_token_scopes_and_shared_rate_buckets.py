"""token scopes and shared rate buckets

An API token may be limited to the sources it submits and may read items and customers only
when it says so. Tokens made before this keep doing what they did: they may read and submit any
source. The API's rate limit is one token bucket per API token in the database, so every replica
spends from the same one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sources", sa.JSON(), nullable=True))
        # Existing tokens may read, as they always could; the default then goes, so a new
        # token reads only when created with --read.
        batch_op.add_column(
            sa.Column("can_read", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("can_read", server_default=None)
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("refilled_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("can_read")
        batch_op.drop_column("sources")
