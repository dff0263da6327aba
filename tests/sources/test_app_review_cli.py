"""`allhands sources add|test|list` for the app stores, run as the operator would, against the
fake store servers (`tests/fakes/app_stores.py`: the vendors' documented shapes, as no
permissively licensed capture of either API exists)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, func, select

from app import build_core, cli
from bot.admin.secrets import new_key
from bot.config import Settings
from handlers.jobs import source_polling
from storage.models import SourceDeliveryRow
from tests.support.fakes.app_stores import FakeAppStoreConnect, FakeGooglePlay


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
async def apple() -> AsyncIterator[FakeAppStoreConnect]:
    async with FakeAppStoreConnect() as fake:
        yield fake


@pytest.fixture
async def google() -> AsyncIterator[FakeGooglePlay]:
    async with FakeGooglePlay() as fake:
        yield fake


def run(db_url: str, key: str, *args: str) -> Result:
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_SECRET_KEY": key}
    return CliRunner().invoke(cli, list(args), env=env)


async def run_beside_the_fakes(db_url: str, key: str, *args: str) -> Result:
    """The command on its own thread (it runs its own event loop), the fakes answering here."""
    return await asyncio.to_thread(run, db_url, key, *args)


def add_apple(db_url: str, key: str, apple: FakeAppStoreConnect, tmp_path: Path) -> Result:
    p8 = tmp_path / f"AuthKey_{apple.key_id}.p8"
    p8.write_text(apple.key_pem)
    return run(
        db_url,
        key,
        *("sources", "add", "appstore", "ios", "--app-id", apple.app_id),
        *("--key-id", apple.key_id, "--issuer-id", apple.issuer_id),
        *("--key-file", str(p8), "--api-url", apple.url),
    )


def deliveries(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(SourceDeliveryRow)) or 0)
    finally:
        engine.dispose()


async def test_an_app_store_source_is_added_and_test_polls_once_storing_nothing(
    db_url: str, key: str, apple: FakeAppStoreConnect, tmp_path: Path
) -> None:
    added = add_apple(db_url, key, apple, tmp_path)

    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines() == [
        "Source ios (appstore) added.",
        "Polled every 5 min; the first poll reaches back 7 days. "
        "`allhands sources test ios` polls once now.",
    ]
    assert apple.key_pem not in added.output
    apple.add(1, "It crashes when I open settings", "Crashes")

    tested = await run_beside_the_fakes(db_url, key, "sources", "test", "ios")

    assert tested.exit_code == 0, tested.output
    lines = tested.stdout.splitlines()
    assert lines[0].startswith("1 changed since ")
    assert lines[0].endswith("(nothing stored):")
    assert lines[1].startswith("review 00000028-")
    assert "(1★, complaint, high): Crashes" in lines[1]
    assert deliveries(db_url) == 0
    listed = run(db_url, key, "sources", "list")
    assert listed.stdout.strip() == "ios\tappstore\tpolled: not polled yet"


async def test_a_google_play_source_takes_a_service_account_key(
    db_url: str, key: str, google: FakeGooglePlay, tmp_path: Path
) -> None:
    account = tmp_path / "allhands-test-0f1e2d3c4b5a.json"
    account.write_text(google.service_account_json)
    added = run(
        db_url,
        key,
        *("sources", "add", "googleplay", "android", "--package", google.package),
        *("--service-account", str(account), "--api-url", google.url),
    )
    assert added.exit_code == 0, added.output
    google.add(3, "Fine\tWorks, but the widget is slow")

    tested = await run_beside_the_fakes(db_url, key, "sources", "test", "android")

    assert tested.exit_code == 0, tested.output
    assert "(3★, feedback, normal): Fine" in tested.stdout
    assert len(google.assertions) == 1


async def test_a_refused_poll_is_one_clear_line_and_shows_in_the_list(
    db_url: str, key: str, apple: FakeAppStoreConnect, tmp_path: Path
) -> None:
    assert add_apple(db_url, key, apple, tmp_path).exit_code == 0
    apple.refuse(2)

    tested = await run_beside_the_fakes(db_url, key, "sources", "test", "ios")

    assert tested.exit_code == 1
    assert tested.stderr.strip() == (
        "allhands: ios: App Store Connect answered 401 (NOT_AUTHORIZED: Authentication "
        "credentials are missing or invalid.); check --key-id, --issuer-id and the .p8 key "
        "(revoked?); the next poll tries again"
    )
    core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url, ALLHANDS_SECRET_KEY=key))
    try:
        await source_polling(core).poll(core.sources.get("ios"))
    finally:
        core.close()
    listed = run(db_url, key, "sources", "list")
    assert "ios\tappstore\tpolled: the poll at " in listed.stdout
    assert "failed: App Store Connect answered 401" in listed.stdout


def test_an_app_store_source_names_what_it_is_missing(
    db_url: str, key: str, tmp_path: Path
) -> None:
    p8 = tmp_path / "AuthKey.p8"
    p8.write_text("not a key")
    missing = run(db_url, key, "sources", "add", "appstore", "ios", "--app-id", "1")

    assert missing.exit_code == 1
    assert missing.stderr.strip() == (
        "allhands: appstore sources need --app-id, --key-id, --issuer-id and --key-file; "
        "missing: --key-id, --issuer-id, --key-file."
    )
    assert "Traceback" not in missing.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not a key", "it is not a PEM private key (the .p8 file App Store Connect gave you)"),
        (b"\xff\xfe\x00garbage", "it is not a PEM private key"),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "it is not an ES256 (P-256) key",
        ),
    ],
)
def test_a_key_file_that_is_no_app_store_key_is_refused_before_it_is_stored(
    db_url: str, key: str, tmp_path: Path, content: bytes, problem: str
) -> None:
    p8 = tmp_path / "AuthKey.p8"
    p8.write_bytes(content)
    added = run(
        db_url,
        key,
        *("sources", "add", "appstore", "ios", "--app-id", "1", "--key-id", "K"),
        *("--issuer-id", "I", "--key-file", str(p8)),
    )

    assert added.exit_code == 1
    assert added.stderr.startswith(f"allhands: --key-file {p8}: {problem}")
    assert run(db_url, key, "sources", "list").stdout == ""


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("appstore", "ios", "--package", "com.example.app"),
            "--package is for googleplay sources.",
        ),
        (
            ("zendesk", "desk", "--secret", "s", "--app-id", "1"),
            "--app-id is for appstore sources.",
        ),
        (
            ("googleplay", "android", "--package", "com.example.app", "--api-token", "t"),
            "A googleplay source takes no --api-token: give --service-account.",
        ),
    ],
)
def test_options_given_to_the_wrong_kind_are_refused(
    db_url: str, key: str, args: tuple[str, ...], said: str
) -> None:
    added = run(db_url, key, "sources", "add", *args)

    assert added.exit_code == 1
    assert added.stderr.strip() == f"allhands: {said}"


def test_a_service_account_file_that_is_not_one_is_refused(
    db_url: str, key: str, tmp_path: Path
) -> None:
    account = tmp_path / "account.json"
    account.write_text('{"type": "service_account"}')
    added = run(
        db_url,
        key,
        *("sources", "add", "googleplay", "android", "--package", "com.example.app"),
        *("--service-account", str(account)),
    )

    assert added.exit_code == 1
    assert added.stderr.strip() == (
        f"allhands: --service-account {account}: it has no client_email and private_key "
        "(a service account's key?)."
    )
