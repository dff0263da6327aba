"""`allhands people|routes|config|webhooks|audit`: the operator's side of what leads configure."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal

import click
from pydantic import ValidationError

from bot.admin.routing import off_note
from bot.admin.schemas import SCHEMAS, RoutesConfig, WebhooksConfig
from bot.errors import Invalid
from bot.intake import FeedbackDraft
from bot.validation import problems
from handlers.cli.context import Context
from handlers.item_json import rfc3339


@click.group()
def people() -> None:
    """Leads (who configure) and executives (who get the digest)."""


def _role_group(role: Literal["lead", "exec"]) -> click.Group:
    group = click.Group(role, help=f"Add, remove or list {role}s.")

    @group.command("add")
    @click.argument("email")
    @click.pass_obj
    def add(ctx: Context, email: str) -> None:
        person = ctx.core.admin.set_role(email, role, True, None)
        click.echo(f"{person.email} is a {role}.")

    @group.command("remove")
    @click.argument("email")
    @click.pass_obj
    def remove(ctx: Context, email: str) -> None:
        person = ctx.core.admin.set_role(email, role, False, None)
        click.echo(f"{person.email} is no longer a {role}.")

    @group.command("list")
    @click.pass_obj
    def listing(ctx: Context) -> None:
        for person in ctx.core.admin.people(role):
            click.echo(f"{person.name}\t{person.email}")

    return group


people.add_command(_role_group("lead"))
people.add_command(_role_group("exec"))


@click.group()
def routes() -> None:
    """Where cards go: ordered rules, first match wins, then the default."""


@routes.command("list")
@click.pass_obj
def routes_list(ctx: Context) -> None:
    config = ctx.core.admin.read("routes")
    assert isinstance(config, RoutesConfig)
    for number, rule in enumerate(config.rules, 1):
        criteria = {
            k: v
            for k, v in rule.model_dump(mode="json").items()
            if v and k not in {"name", "destinations"}
        }
        where = ", ".join(d.as_text() for d in rule.destinations)
        click.echo(f"{number}. {rule.name}  when {json.dumps(criteria)}  → {where}")
    default = ", ".join(d.as_text() for d in config.default) or "the environment's channels"
    click.echo(f"default → {default}")


@routes.command("test")
@click.option(
    "--json", "item_json", required=True, metavar="ITEM", help="An item as the API takes it."
)
@click.pass_obj
def routes_test(ctx: Context, item_json: str) -> None:
    """Show where an item would go and which rule decided, without storing anything."""
    try:
        draft = FeedbackDraft.model_validate_json(item_json)
    except ValidationError as error:
        found = "; ".join(f"{where}: {what}" if where else what for where, what in problems(error))
        raise Invalid(f"--json: {found}") from None
    decision = ctx.core.router.decide(draft)
    where = ", ".join(f"{d.platform.value}:{d.channel}" for d in decision.destinations) or "nowhere"
    click.echo(f"rule: {decision.rule}\ndestinations: {where}")
    if decision.sensitive:
        stubs = ", ".join(f"{d.platform.value}:{d.channel}" for d in decision.stubs) or "none"
        click.echo(f"sensitive: broad channels get a stub at most: {stubs}")
    for destination in decision.off:
        click.echo(f"  {off_note(destination)}")


@click.group()
def config() -> None:
    """Read or replace one setting (routes, timeouts, rota, webhooks) as JSON."""


@config.command("show")
@click.argument("key", type=click.Choice(sorted(SCHEMAS)), required=False)
@click.pass_obj
def config_show(ctx: Context, key: str | None) -> None:
    """Print KEY's value as JSON; without KEY, every setting, keyed by name."""
    if key is not None:
        click.echo(ctx.core.admin.read(key).model_dump_json(indent=2))
        return
    every = {name: ctx.core.admin.read(name).model_dump(mode="json") for name in sorted(SCHEMAS)}
    click.echo(json.dumps(every, indent=2))


@config.command("set")
@click.argument("key", type=click.Choice(sorted(SCHEMAS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def config_set(ctx: Context, key: str, file: Path) -> None:
    """Replace KEY with the JSON in FILE (audited)."""
    try:
        value = json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise Invalid(f"{file} is not JSON: {error}") from None
    ctx.core.admin.change(key, value, None)
    click.echo(f"{key} updated.")


@click.group()
def webhooks() -> None:
    """Signed HTTP callbacks when feedback is claimed, commented, closed or reopened."""


@webhooks.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--event", "events", multiple=True, help="Only these events (default: all).")
@click.option("--trusted", is_flag=True, help="Send sensitive items' words and customer too.")
@click.pass_obj
def webhooks_add(ctx: Context, name: str, url: str, events: tuple[str, ...], trusted: bool) -> None:
    """Add a webhook; its signing secret is printed once, on the last line."""
    current = ctx.core.admin.read("webhooks")
    assert isinstance(current, WebhooksConfig)
    if any(hook.name == name for hook in current.hooks):
        raise Invalid(f"a webhook named {name} exists already", "name")
    secret = secrets.token_hex(24)
    hook = {
        "name": name,
        "url": url,
        "secret": secret,
        **({"events": list(events)} if events else {}),
        **({"trusted": True} if trusted else {}),
    }
    hooks = [h.model_dump(mode="json") for h in current.hooks] + [hook]
    ctx.core.admin.change("webhooks", {"hooks": hooks}, None)
    click.echo(f"Webhook {name} added; verify X-AllHands-Signature with this secret:", err=True)
    click.echo(secret)


@webhooks.command("list")
@click.pass_obj
def webhooks_list(ctx: Context) -> None:
    current = ctx.core.admin.read("webhooks")
    assert isinstance(current, WebhooksConfig)
    for hook in current.hooks:
        trust = "\ttrusted" if hook.trusted else ""
        click.echo(f"{hook.name}\t{hook.url}\t{','.join(hook.events)}{trust}")


@webhooks.command("failed")
@click.pass_obj
def webhooks_failed(ctx: Context) -> None:
    """Deliveries that were given up on."""
    for failed in ctx.core.webhooks.failed():
        click.echo(f"{failed.id}\t{failed.channel}\t{failed.payload.get('event')}\t{failed.error}")


@webhooks.command("redeliver")
@click.argument("delivery_id", type=int)
@click.pass_obj
def webhooks_redeliver(ctx: Context, delivery_id: int) -> None:
    """Send a failed delivery again."""
    ctx.core.webhooks.redeliver(delivery_id)
    click.echo(f"Delivery {delivery_id} queued again.")


@click.command("audit")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.pass_obj
def audit(ctx: Context, limit: int) -> None:
    """Configuration changes, newest first: who, when, old and new value."""
    for entry in ctx.core.admin.audit(limit):
        who = f"{entry.actor.name} ({entry.platform.value})" if entry.actor else "operator (cli)"
        change = f"{json.dumps(entry.old)} → {json.dumps(entry.new)}"
        click.echo(f"{rfc3339(entry.at)}\t{who}\t{entry.key}\t{change}")
