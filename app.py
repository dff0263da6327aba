"""The one wiring place: the core gets its store here, and the command line gets the core.

Nothing else puts `storage/` and `bot/` together: handlers only ever see the core, and the
core only the ports its store (and the company's customer look-up) implement. `allhands ...`
and `python app.py ...` both land in `main()`.
"""

from __future__ import annotations

from bot.config import Settings
from bot.core import Core
from bot.ports.clock import Clock
from handlers.cli.main import build_cli
from handlers.vendors.customers import HttpCustomerLookup
from storage.uow import SqlStore


def build_core(settings: Settings, clock: Clock | None = None) -> Core:
    """The core over the database `settings` name (SQLite or PostgreSQL), with the company's
    customer look-up when `ALLHANDS_CUSTOMER_LOOKUP_URL` names one."""
    lookup = None
    if settings.customer_lookup_url:
        token = settings.customer_lookup_token
        lookup = HttpCustomerLookup(
            settings.customer_lookup_url, token.get_secret_value() if token else None
        )
    return Core.build(settings, SqlStore.connect(settings.database_url), clock, lookup)


cli = build_cli(build_core)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
