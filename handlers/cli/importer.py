"""`allhands import FILE --source S`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.domain import Identity, Platform
from bot.importer import CsvFile, CsvImporter, parse_mapping
from handlers.cli.context import Context

SHOWN_INVALID = 20


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Where the rows come from, e.g. appstore.")
@click.option(
    "--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Map a field to a column."
)
@click.option("--dry-run", is_flag=True, help="Validate and count, store nothing.")
@click.option(
    "--encoding",
    default="utf-8",
    show_default=True,
    help="The file's text encoding (UTF-8 may start with a BOM), e.g. latin-1 or cp1252.",
)
@click.pass_obj
def import_csv(
    ctx: Context, file: Path, source: str, maps: tuple[str, ...], dry_run: bool, encoding: str
) -> None:
    """Import feedback from a CSV file; safe to run again (duplicates are skipped)."""
    mapping = parse_mapping(list(maps))
    importer = CsvImporter(ctx.core.db, ctx.core.clock)
    checked = CsvFile.check(file, encoding)
    who = Identity(Platform.CLI, "import", "CSV import")
    total = max(0, checked.lines - 1)
    with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
        report = importer.run(checked, source, who, mapping, dry_run=dry_run, progress=bar.update)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{report.rows} rows: {verb} {report.imported}, duplicates {report.duplicates}, "
        f"invalid {len(report.invalid)}"
    )
    for line, problem in report.invalid[:SHOWN_INVALID]:
        click.echo(f"  line {line}: {problem}")
    if len(report.invalid) > SHOWN_INVALID:
        click.echo(f"  ... and {len(report.invalid) - SHOWN_INVALID} more invalid rows")
