"""token names unique among live tokens

A revoked token's name can be reused (`allhands token rotate NAME` revokes and creates under
the same name, and so does every `serve --dev` run): the name is unique among the tokens that
are not revoked, by a partial unique index, instead of among all of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("uq_api_tokens_name", type_="unique")
        batch_op.create_index(
            "uq_api_tokens_live_name",
            ["name"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    # Names unique among all tokens again: revoked tokens sharing a name are history, dropped.
    op.execute(
        "DELETE FROM api_tokens WHERE revoked_at IS NOT NULL AND name IN "
        "(SELECT name FROM api_tokens GROUP BY name HAVING COUNT(*) > 1)"
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index("uq_api_tokens_live_name")
        batch_op.create_unique_constraint("uq_api_tokens_name", ["name"])
