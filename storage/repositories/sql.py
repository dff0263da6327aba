"""What every repository shares: inserts and reads through compiled plans (`storage.plans`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from storage.plans import insert_plan, plan


def insert_returning(
    session: Session,
    table: Table,
    row: dict[str, Any],
    returning: str,
    conflict: list[str] | None = None,
) -> Any:
    """One row through a compiled plan; the `returning` column's value, or None on a conflict."""
    found = insert_plan(session, table, list(row), conflict, returning).run(session, row)
    return found[0][0] if found else None


def insert_row(session: Session, table: Table, row: dict[str, Any]) -> None:
    """One row through a compiled plan, nothing read back."""
    insert_plan(session, table, list(row)).run(session, row)


def bulk_insert_ignoring(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict: list[str]
) -> int:
    """executemany of one INSERT … ON CONFLICT DO NOTHING; returns how many rows were new.

    Repeated values across rows (the import time, common tags) are converted once.
    """
    if not rows:
        return 0
    plan = insert_plan(session, table, list(rows[0]), conflict)
    converters = [(index, _reusing(convert)) for index, convert in plan.converters]
    params = [plan.params(row, converters) for row in rows]
    result = session.connection().exec_driver_sql(plan.sql, params)
    return int(result.rowcount)


def _reusing(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A column converter that skips the work when a value repeats the previous row's.

    Bulk rows share many values (the import time, common tags), so most conversions are skipped.
    """
    last: list[Any] = [object(), None]

    def cached(value: Any) -> Any:
        if value is not last[0] and value != last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return cached


def table_of(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def flush_pending(session: Session) -> None:
    """Planned statements bypass the ORM: rows it still holds must reach the database first."""
    if session.new or session.dirty or session.deleted:
        session.flush()


def planned_read(
    session: Session, name: str, build: Callable[[], Any], values: dict[str, Any]
) -> list[tuple[Any, ...]]:
    flush_pending(session)
    return plan(session, name, build).run(session, values)
