"""`allhands customer forget|export EMAIL`: one person's right to erasure and to their data."""

from __future__ import annotations

import json

import click

from handlers.cli.context import Context
from handlers.customer_json import export_json, report_json, report_text


@click.group()
def customer() -> None:
    """What is stored about one customer: erase it, or print it."""


@customer.command("forget")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def customer_forget(ctx: Context, email: str, as_json: bool) -> None:
    """Erase EMAIL's words and details from every item, comment, event, reply and kept
    delivery, and update every chat copy; audited. Running it again finds nothing."""
    report = ctx.core.erasure.forget(email)
    click.echo(json.dumps(report_json(report)) if as_json else report_text(email, report))


@customer.command("export")
@click.argument("email")
@click.pass_obj
def customer_export(ctx: Context, email: str) -> None:
    """Print everything stored about EMAIL as JSON: items, comments, events, replies."""
    click.echo(json.dumps(export_json(ctx.core.erasure.stored_about(email)), indent=2))
