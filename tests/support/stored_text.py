"""Every place a database keeps words: each table's text, JSON and binary columns scanned for
what must be gone (an erased customer's address, their words)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import LargeBinary, create_engine, select

from storage.models import Base


def rows_holding(db_url: str, needles: Iterable[str]) -> list[str]:
    """`table.column = value` for every stored value holding one of `needles` (any case)."""
    wanted = [n.lower() for n in needles]
    engine = create_engine(db_url)
    found = []
    try:
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if value is None:
                            continue
                        if isinstance(column.type, LargeBinary):
                            seen = bytes(value).decode("utf-8", "replace").lower()
                        else:
                            seen = str(value).lower()
                        if any(needle in seen for needle in wanted):
                            found.append(f"{table.name}.{column.name} = {seen[:120]}")
    finally:
        engine.dispose()
    return found
