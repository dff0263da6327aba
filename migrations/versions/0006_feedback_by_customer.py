"""feedback by customer: the history on a returning customer's card

A card lists its customer's earlier items (the same email, in any case, from any source). An
index on the lower-cased address, then the id, finds them without reading the table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_feedback_customer", "feedback", [sa.text("lower(customer_email)"), "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_customer", table_name="feedback")
