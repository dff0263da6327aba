"""source polls: where polling a source got to

What an app store source holds is fetched on a schedule; this remembers, per source, up to when
its reviews are kept, so a restart neither loses nor repeats one, and how the last poll went.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:29:04.388938
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_polls",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("reached", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_polls")),
    )


def downgrade() -> None:
    op.drop_table("source_polls")
