"""mailbox positions and leases

How far each polled mailbox (an IMAP folder) has been read, as the folder's UIDVALIDITY and the
last UID kept, so a restart neither loses nor repeats a message; and the lease that lets one
process at a time read it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_state",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_mailbox_state")),
    )


def downgrade() -> None:
    op.drop_table("mailbox_state")
