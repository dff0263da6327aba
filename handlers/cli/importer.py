"""`allhands import FILE --source S`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.domain import Identity, Platform
from bot.importer import CsvImporter, parse_mapping
from handlers.cli.context import Context

SHOWN_INVALID = 20


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="Where the rows come from, e.g. appstore.")
@click.option(
    "--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Map a field to a column."
)
@click.option("--dry-run", is_flag=True, help="Validate and count, store nothing.")
@click.pass_obj
def import_csv(ctx: Context, file: Path, source: str, maps: tuple[str, ...], dry_run: bool) -> None:
    """Import feedback from a CSV file; safe to run again (duplicates are skipped)."""
    mapping = parse_mapping(list(maps))
    importer = CsvImporter(ctx.core.db, ctx.core.clock)
    with file.open("rb") as handle:
        total = max(0, sum(1 for _ in handle) - 1)
    who = Identity(Platform.CLI, "import", "CSV import")
    with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
        report = importer.run(file, source, who, mapping, dry_run=dry_run, progress=bar.update)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{report.rows} rows: {verb} {report.imported}, duplicates {report.duplicates}, "
        f"invalid {len(report.invalid)}"
    )
    for line, problem in report.invalid[:SHOWN_INVALID]:
        click.echo(f"  line {line}: {problem}")
    if len(report.invalid) > SHOWN_INVALID:
        click.echo(f"  ... and {len(report.invalid) - SHOWN_INVALID} more invalid rows")
