"""What `allhands sources add` needs to poll an app store: the app, and the credentials that
let us read its reviews, checked before they are sealed and stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bot.errors import Invalid
from bot.sources.kinds import SourceKind
from handlers.vendors.appstore import key_problem
from handlers.vendors.googleplay import service_account

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
# Each store's options of `sources add` (by their Python names), the file among them last.
STORE_OPTIONS = {
    SourceKind.APPSTORE: ("app_id", "key_id", "issuer_id", "key_file"),
    SourceKind.GOOGLEPLAY: ("package", "service_account"),
}


def store_access(
    kind: SourceKind, api_token: str | None, given: dict[str, Any]
) -> tuple[str | None, dict[str, str]]:
    """The credentials (the key file's text) and the options an app store source keeps;
    Invalid naming an option given to a kind that does not take it, or a key file that
    cannot be what it should."""
    mine = STORE_OPTIONS.get(kind, ())
    for option, value in given.items():
        if value and option not in mine:
            takers = [k.value for k, names in STORE_OPTIONS.items() if option in names]
            raise Invalid(f"{_flag(option)} is for {' and '.join(takers)} sources.", option)
    if api_token:
        raise Invalid(f"A {kind} source takes no --api-token: give {_flag(mine[-1])}.", "api_token")
    *names, file_option = mine
    options = {name: str(given[name]).strip() for name in names if given.get(name)}
    path: Path | None = given.get(file_option)
    if path is None:
        return None, options  # the registry names what is missing
    text = path.read_bytes().decode("utf-8", errors="replace")
    problem = key_problem(text) if kind is SourceKind.APPSTORE else _account_problem(text)
    if problem:
        raise Invalid(f"{_flag(file_option)} {path}: {problem}.", file_option)
    return text, options


def _account_problem(text: str) -> str | None:
    try:
        service_account(text)
    except ValueError as error:
        return str(error)
    return None


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")
