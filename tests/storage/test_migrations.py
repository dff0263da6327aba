"""Migrations create exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_db_engine, current_revision, downgrade, head_revision, schema_problem
from storage.full_text import described_by_models
from storage.models import Base


def test_head_matches_models_and_downgrades_to_base(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": described_by_models}
            )
            assert compare_metadata(context, Base.metadata) == []
        assert schema_problem(engine) is None

        downgrade(db_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert "run `allhands db upgrade`" in (schema_problem(engine) or "")
    finally:
        engine.dispose()
