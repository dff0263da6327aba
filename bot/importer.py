"""Bulk CSV import: validate each row like an API item, skip bad rows, never import twice.

Rows without an external id get one from their content, so re-running the same file finds
every row a duplicate. Imported items are history: they get no chat cards.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.admin.routing import RouteTable, stored_routes
from bot.domain import Identity, Platform
from bot.errors import Invalid, SetupError
from bot.intake import FeedbackDraft
from bot.ports.clock import Clock, SystemClock
from bot.ports.store import Store
from bot.validation import problems

CHUNK_ROWS = 10_000
FIELDS = (
    "external_id",
    "title",
    "body",
    "kind",
    "severity",
    "tags",
    "product_area",
    "url",
    "customer_name",
    "customer_email",
    "customer_company",
    "customer_tier",
    "received_at",
)
_CUSTOMER_FIELDS = {"customer_name", "customer_email", "customer_company", "customer_tier"}


@dataclass(frozen=True)
class CsvFile:
    """A CSV file known to read whole in `codec`, checked before any row is stored: a
    spreadsheet's Latin-1 export would otherwise stop an import halfway. UTF-8 is read with
    or without the byte-order mark Excel writes."""

    path: Path
    codec: str
    lines: int

    @classmethod
    def check(cls, path: Path, encoding: str = "utf-8") -> CsvFile:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise SetupError(
                f"--encoding: unknown encoding '{encoding}'; try utf-8, latin-1 or cp1252"
            ) from None
        codec = "utf-8-sig" if codec == "utf-8" else codec
        decoder = codecs.getincrementaldecoder(codec)()
        number = 0
        with path.open("rb") as handle:
            try:
                for number, line in enumerate(handle, 1):  # noqa: B007 - named if it fails
                    decoder.decode(line)
                decoder.decode(b"", final=True)
            except UnicodeError:
                if codec == "utf-8-sig":
                    problem, fix = (
                        "UTF-8",
                        "save it as UTF-8 or pass --encoding latin-1 (or cp1252)",
                    )
                else:
                    problem, fix = encoding, "pass its encoding, e.g. --encoding cp1252"
                raise SetupError(f"{path.name} is not {problem} (line {number}): {fix}") from None
        return cls(path, codec, number)


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`field=column` options; a field not given maps to the column of its own name."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not column:
            raise Invalid(f"--map takes field=column, got '{pair}'", "map")
        if name not in FIELDS:
            raise Invalid(f"--map: unknown field '{name}'; fields are {', '.join(FIELDS)}", "map")
        mapping[name] = column
    return mapping


class CsvImporter:
    def __init__(self, db: Store, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()

    def run(
        self,
        file: CsvFile,
        source: str,
        who: Identity,
        mapping: Mapping[str, str] | None = None,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import `file`; `progress` is told how many more rows were read after each chunk."""
        report = ImportReport()
        with file.path.open(newline="", encoding=file.codec) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise Invalid(f"{file.path} is empty", "file")
            columns = self._columns(header, dict(mapping or {}))
            chunk: list[FeedbackDraft] = []
            for line, row in _records(reader):
                report.rows += 1
                values = self._validate(row, columns, source, line, report)
                if values is not None:
                    chunk.append(values)
                if report.rows % CHUNK_ROWS == 0:
                    self._flush(chunk, source, who, dry_run, report)
                    chunk = []
                    if progress:
                        progress(CHUNK_ROWS)
            self._flush(chunk, source, who, dry_run, report)
            if progress:
                progress(report.rows % CHUNK_ROWS)
        return report

    @staticmethod
    def _columns(header: list[str], mapping: dict[str, str]) -> dict[str, int]:
        positions = {name.strip(): index for index, name in enumerate(header)}
        columns: dict[str, int] = {}
        for name in FIELDS:
            column = mapping.get(name, name)
            if column in positions:
                columns[name] = positions[column]
            elif name in mapping:
                raise Invalid(f"--map {name}={column}: the file has no column '{column}'", "map")
        if "body" not in columns:
            raise Invalid("the file has no 'body' column; say which one with --map body=COLUMN")
        return columns

    def _validate(
        self,
        row: list[str],
        columns: Mapping[str, int],
        source: str,
        line: int,
        report: ImportReport,
    ) -> FeedbackDraft | None:
        raw: dict[str, Any] = {
            name: row[i].strip() for name, i in columns.items() if i < len(row) and row[i].strip()
        }
        customer = {
            k.removeprefix("customer_"): raw.pop(k) for k in list(raw) if k in _CUSTOMER_FIELDS
        }
        if "tags" in raw:
            raw["tags"] = [t for t in raw["tags"].replace(";", ",").split(",") if t.strip()]
        received = raw.get("received_at")
        try:
            if received:
                raw["received_at"] = _aware(datetime.fromisoformat(received))
            draft = FeedbackDraft.model_validate({"source": source, **raw, "customer": customer})
        except ValidationError as error:
            found = "; ".join(f"{where or 'row'}: {what}" for where, what in problems(error))
            report.invalid.append((line, found))
            return None
        except ValueError:
            report.invalid.append((line, f"received_at: '{received}' is not an ISO 8601 time"))
            return None
        if draft.external_id is None:
            draft = draft.model_copy(update={"external_id": _content_id(draft)})
        return draft

    def _flush(
        self,
        chunk: list[FeedbackDraft],
        source: str,
        who: Identity,
        dry_run: bool,
        report: ImportReport,
    ) -> None:
        if not chunk:
            return
        if dry_run:
            with self._db.read() as uow:
                known = uow.feedback.known_external_ids(source, _external_ids(chunk))
            fresh = set(_external_ids(chunk)) - known
            report.imported += len(fresh)
            report.duplicates += len(chunk) - len(fresh)
            return
        with self._db.write() as uow:
            now = self._clock.now()
            actor = uow.people.resolve(who, now)
            # No cards for history, but a sensitive route's items stay out of the digest's words.
            routes = RouteTable(stored_routes(uow), [])
            sensitive = [routes.decide(draft).placement().sensitive for draft in chunk]
            imported = uow.feedback.insert_many(chunk, now, sensitive)
            uow.events.add_ingested(
                source,
                _external_ids(chunk),
                actor.id,
                Platform.CLI,
                now,
                {"source": source, "import": True},
            )
            uow.commit()
        report.imported += imported
        report.duplicates += len(chunk) - imported


def _external_ids(drafts: list[FeedbackDraft]) -> list[str]:
    """Every imported draft has one: its own, or one made from its content."""
    return [draft.external_id or "" for draft in drafts]


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each record with the file line it starts on (quoted fields may span lines)."""
    start = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 1


def _aware(value: datetime) -> datetime:
    """CSV exports often omit the offset; such times are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _content_id(draft: FeedbackDraft) -> str:
    parts = [
        draft.body,
        draft.title or "",
        str(draft.customer.email or ""),
        str(draft.received_at or ""),
    ]
    return "sha1:" + hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()
