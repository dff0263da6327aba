"""Hot statements compiled once per dialect and run straight on the driver's cursor.

Building a statement, computing its cache key and processing its parameters costs SQLAlchemy
far more than SQLite spends running a small query; the few statements every chat action runs
(find the person, change the item, read it back, queue its card updates) skip that work here.
Every bound value is a named `bindparam` given at run time, converted by its column type the
way SQLAlchemy would, and selected columns are converted back the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Plan:
    sql: str
    order: tuple[str, ...]  # bound names in the driver's order
    positional: bool
    converters: tuple[tuple[int, Convert], ...]
    results: tuple[Convert | None, ...]  # one per selected column

    def params(self, values: dict[str, Any], converters: Sequence[tuple[int, Convert]]) -> Any:
        ordered = [values[name] for name in self.order]
        for index, convert in converters:
            ordered[index] = convert(ordered[index])
        return tuple(ordered) if self.positional else dict(zip(self.order, ordered, strict=True))

    def run(self, session: Session, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Execute in the session's transaction; converted rows for a SELECT or RETURNING."""
        cursor = session.connection().connection.cursor()  # this transaction's own connection
        try:
            cursor.execute(self.sql, self.params(values, self.converters))
            rows = cursor.fetchall() if self.results else []  # (PostgreSQL may RETURN the key)
        finally:
            cursor.close()
        return [self._converted(row) for row in rows]

    def changed(self, session: Session, values: dict[str, Any]) -> int:
        """Execute an UPDATE or DELETE; how many rows it touched."""
        cursor = session.connection().connection.cursor()
        try:
            cursor.execute(self.sql, self.params(values, self.converters))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _converted(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            convert(value) if convert else value
            for convert, value in zip(self.results, row, strict=True)
        )


_PLANS: dict[tuple[str, str], Plan] = {}


def insert_for(session: Session, table: Table) -> Any:
    """A dialect-specific INSERT, so callers can say ON CONFLICT DO NOTHING on both engines."""
    dialect = session.get_bind().dialect.name
    statement: Insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement


def plan(session: Session, name: str, build: Callable[[], Executable]) -> Plan:
    """The statement `build()` makes, compiled for this session's dialect once per `name`."""
    dialect = session.get_bind().dialect
    key = (dialect.name, name)
    found = _PLANS.get(key)
    if found is not None:
        return found
    statement: Any = build()
    compiled = statement.compile(dialect=dialect)
    binds: dict[str, BindParameter[Any]] = compiled.binds
    unnamed = [n for n, b in binds.items() if not b.required]
    assert not unnamed, f"{name}: bind every value by name, not {unnamed}"
    order = tuple(compiled.positiontup or binds)
    converters = tuple(
        (index, convert)
        for index, bound in enumerate(order)
        if (convert := binds[bound].type.dialect_impl(dialect).bind_processor(dialect))
    )
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.exported_columns  # a SELECT's columns, or what it RETURNS
    )
    found = _PLANS[key] = Plan(
        compiled.string, order, compiled.positiontup is not None, converters, results
    )
    return found


def insert_plan(
    session: Session,
    table: Table,
    columns: Sequence[str],
    conflict: list[str] | None = None,
    returning: str | None = None,
) -> Plan:
    """An INSERT of `columns` (ignoring `conflict`s, returning one column), compiled once."""

    def build() -> Executable:
        statement: Any = insert_for(session, table).values(
            {column: bindparam(column) for column in columns}
        )
        if conflict:
            statement = statement.on_conflict_do_nothing(index_elements=conflict)
        if returning:
            statement = statement.returning(table.c[returning])
        return statement  # type: ignore[no-any-return]

    return plan(session, f"insert:{table.name}:{conflict}:{returning}:{tuple(columns)}", build)


MOST_PARAMETERS = 999  # SQLite's floor for bound values in one statement (older builds)


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], conflict: list[str]
) -> None:
    """Rows (with the same columns) in as few INSERT … ON CONFLICT DO NOTHING statements as
    the driver allows, each compiled once per row count.

    One statement for many rows is one call into the database: the driver lets go of the
    interpreter once rather than once a row, and every let-go costs the event loop's thread a
    wait to get it back.
    """
    if not rows:
        return
    columns = list(rows[0])
    per_statement = MOST_PARAMETERS // len(columns)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = {f"{column}_{n}": row[column] for n, row in enumerate(chunk) for column in columns}
        _rows_plan(session, table, columns, len(chunk), conflict).run(session, values)


def _rows_plan(
    session: Session, table: Table, columns: Sequence[str], count: int, conflict: list[str]
) -> Plan:
    def build() -> Executable:
        statement: Any = insert_for(session, table).values(
            [
                {
                    column: bindparam(f"{column}_{n}", type_=table.c[column].type)
                    for column in columns
                }
                for n in range(count)
            ]
        )
        return statement.on_conflict_do_nothing(index_elements=conflict)  # type: ignore[no-any-return]

    return plan(session, f"insert rows:{table.name}:{conflict}:{tuple(columns)}:{count}", build)
