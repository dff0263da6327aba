"""`allhands sources add` and `sources test` for Intercom, Freshdesk, Typeform and JSON sources,
run as an operator would (in-process, real database)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from app import cli
from bot.admin.secrets import new_key

KEY = new_key()


def run(db_url: str, *args: str) -> Result:
    env = {
        "ALLHANDS_DATABASE_URL": db_url,
        "ALLHANDS_SECRET_KEY": KEY,
        "ALLHANDS_PUBLIC_URL": "https://allhands.example.com/",
    }
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize(
    ("add", "signing", "new_item"),
    [
        (
            ["intercom", "chat", "--secret", "client-secret", "--api-token", "tok"],
            "X-Hub-Signature: sha1=",
            "new item 1: Sample: the export button does nothing. (feedback, normal)",
        ),
        (
            ["freshdesk", "chat", "--api-url", "https://acme.freshdesk.com"],
            "Authorization: Bearer SECRET",
            "new item 1: Sample: the export button does nothing (bug, high)",
        ),
        (
            ["typeform", "chat"],
            "Typeform-Signature: sha256=",
            "new item sample-response: How are we doing? (complaint, high)",
        ),
        (
            ["json", "chat", "--map", "key=data.id", "--map", "body=data.text"],
            "X-AllHands-Signature: sha256=HEX",
            "new item sample-1: Sample: the export button does nothing. (feedback, normal)",
        ),
    ],
    ids=["intercom", "freshdesk", "typeform", "json"],
)
def test_a_source_is_added_with_its_url_and_signing_and_reads_its_sample(
    db_url: str, add: list[str], signing: str, new_item: str
) -> None:
    added = run(db_url, "sources", "add", *add)

    assert added.exit_code == 0, added.output
    lines = added.stdout.splitlines()
    assert "url: https://allhands.example.com/sources/chat" in lines
    assert any(line.startswith("signing: ") and signing in line for line in lines)
    generated = [line for line in lines if line.startswith("secret: ")]
    assert len(generated) == (0 if "--secret" in add else 1)

    tested = run(db_url, "sources", "test", "chat")

    assert tested.exit_code == 0, tested.output
    assert new_item in tested.stdout


def test_a_json_source_needs_a_sound_field_map(db_url: str) -> None:
    missing = run(db_url, "sources", "add", "json", "widget")
    assert missing.exit_code == 1
    assert "needs --map for key and body" in missing.stderr
    wrong = run(db_url, "sources", "add", "json", "widget", "--map", "key=id", "--map", "bdy=t")
    assert wrong.exit_code == 1
    assert "--map 'bdy=t': write FIELD=PATH with FIELD one of key, body" in wrong.stderr
    elsewhere = run(db_url, "sources", "add", "typeform", "survey", "--map", "key=id")
    assert elsewhere.exit_code == 1
    assert "--map is for json sources only" in elsewhere.stderr
    assert run(db_url, "sources", "list").stdout == ""

    mapped = ("--map", "key=data.id", "--map", "body=data.text", "--map", "event=data.type")
    assert run(db_url, "sources", "add", "json", "widget", *mapped).exit_code == 0
    tested = run(db_url, "sources", "test", "widget")
    assert "new item sample-1" in tested.stdout
