"""repeats attach to the card they repeat

An item that says what an open (or lately closed) item says is stored as a repeat of it:
`duplicate_of_id` names the item whose card it attached to instead of posting its own.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's reference only inline
        op.execute(
            "ALTER TABLE feedback ADD COLUMN duplicate_of_id INTEGER REFERENCES feedback (id)"
        )
    else:
        op.add_column("feedback", sa.Column("duplicate_of_id", _ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_feedback_duplicate_of_id_feedback"),
            "feedback",
            "feedback",
            ["duplicate_of_id"],
            ["id"],
        )
    op.create_index(op.f("ix_feedback_duplicate_of_id"), "feedback", ["duplicate_of_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_duplicate_of_id"), table_name="feedback")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_feedback_duplicate_of_id_feedback"), "feedback", type_="foreignkey"
        )
        op.drop_column("feedback", "duplicate_of_id")
        return
    # SQLite drops a referencing column only by copying the table, which loses the expression
    # index: it is made again after the copy.
    op.drop_index("ix_feedback_customer", table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("duplicate_of_id")
    op.create_index(
        "ix_feedback_customer", "feedback", [sa.text("lower(customer_email)"), "id"], unique=False
    )
