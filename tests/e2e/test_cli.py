"""The `allhands` command line, run as the operator would (in-process, real database)."""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import handlers.cli.server
from app import cli
from handlers.server import YOUNG_COLLECTION_EVERY
from storage.db import head_revision
from tests.support.realdata import needs_realdata, realdata_path


def run(db_url: str, *args: str, **env: str) -> Result:
    runner = CliRunner()
    return runner.invoke(cli, list(args), env={"ALLHANDS_DATABASE_URL": db_url, **env})


def test_token_create_prints_the_token_alone_on_the_last_line(db_url: str) -> None:
    created = run(db_url, "token", "create", "--name", "zendesk")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("ah_")
    assert len(token) > 40
    listed = run(db_url, "token", "list")
    assert "zendesk" in listed.stdout
    assert token not in listed.stdout
    assert run(db_url, "token", "revoke", "zendesk").exit_code == 0
    assert "revoked" in run(db_url, "token", "list").stdout
    again = run(db_url, "token", "revoke", "zendesk")
    assert again.exit_code == 1
    assert again.stderr.strip() == "allhands: There is no active token named zendesk."


def test_token_create_limits_a_token_and_token_list_shows_what_it_may_do(
    db_url: str, tmp_path: Path
) -> None:
    args = ("token", "create", "--name", "stores", "--source", "appstore", "--source", "zendesk")
    created = run(db_url, *args, "--read")
    assert created.exit_code == 0, created.output
    assert created.stdout.strip().startswith("ah_")
    assert run(db_url, "token", "create", "--name", "crm").exit_code == 0
    path = tmp_path / "survey.csv"
    path.write_text("body\nLove it\n")
    assert run(db_url, "import", str(path), "--source", "survey").exit_code == 0
    assert run(db_url, "token", "create", "--name", "survey", "--source", "Survey").exit_code == 0
    lines = [line.split("\t") for line in run(db_url, "token", "list").stdout.splitlines()]
    assert [(line[0], line[2], line[3]) for line in lines] == [
        ("crm", "active", "sources=any write-only"),
        ("stores", "active", "sources=appstore,zendesk read"),
        ("survey", "active", "sources=survey write-only"),
    ]


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("zendsk", "allhands: unknown source 'zendsk': name a kind of source ("),
        ("  ", "allhands: --source cannot be blank: name a source, e.g. zendesk"),
        ("", "allhands: --source cannot be blank: name a source, e.g. zendesk"),
        ("Not a source!", "allhands: unknown source 'not a source!': name a kind of source ("),
    ],
)
def test_token_create_refuses_an_unknown_or_blank_source_in_one_line(
    db_url: str, source: str, said: str
) -> None:
    refused = run(
        db_url, "token", "create", "--name", "x", "--source", "appstore", "--source", source
    )
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert len(refused.stderr.splitlines()) == 1
    assert refused.stderr.startswith(said)
    assert run(db_url, "token", "list").stdout == ""


def test_feedback_verbs_act_as_a_named_person(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("body,external_id\nThe export button is broken,x1\n")
    assert run(db_url, "import", str(path), "--source", "email").exit_code == 0
    claimed = run(db_url, "feedback", "claim", "FB-1", "--as", "ana@example.com", "--note", "on it")
    assert claimed.exit_code == 0, claimed.output
    assert claimed.stdout.strip() == "FB-1 claimed."
    taken = run(db_url, "feedback", "claim", "FB-1", "--as", "bo@example.com")
    assert taken.exit_code == 1
    assert taken.stderr.strip() == "allhands: FB-1 is already claimed by ana."
    closed = run(
        db_url, "feedback", "close", "FB-1", "--as", "ana@example.com", "--note", "Fixed in 2.3"
    )
    assert closed.exit_code == 0
    shown = json.loads(run(db_url, "feedback", "show", "FB-1", "--json").stdout)
    assert shown["state"] == "closed"
    assert shown["resolution"] == "Fixed in 2.3"
    assert shown["closed_by"] == {"name": "ana", "email": "ana@example.com", "platform": "cli"}
    assert [c["text"] for c in shown["comments"]] == ["on it"]
    assert run(db_url, "feedback", "reopen", "FB-1", "--as", "bo@example.com").exit_code == 0
    assert "FB-1\topen" in run(db_url, "feedback", "list").stdout
    assert run(db_url, "feedback", "unclaim", "FB-1", "--as", "bo@example.com").exit_code == 1
    assert run(db_url, "feedback", "claim", "FB-1", "--as", "not-an-email").exit_code == 1


def test_import_reports_invalid_rows_with_line_numbers_and_is_idempotent(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        "id,text,stars,when\n"
        "r1,Great app,5,2026-01-01T10:00:00Z\n"
        'r2,"Crashes on\nstartup",1,2026-01-02\n'
        "r3,,3,2026-01-03\n"
        "r4,Slow sync,2,last tuesday\n"
    )
    args = (
        "import",
        str(path),
        "--source",
        "appstore",
        "--map",
        "external_id=id",
        "--map",
        "body=text",
        "--map",
        "received_at=when",
    )
    first = run(db_url, *args)
    assert first.exit_code == 0, first.output
    assert "4 rows: imported 2, duplicates 0, invalid 2" in first.stdout
    assert "line 5: body:" in first.stdout
    assert "line 6: received_at: 'last tuesday'" in first.stdout
    second = run(db_url, *args)
    assert "4 rows: imported 0, duplicates 2, invalid 2" in second.stdout
    dry = run(db_url, *args, "--dry-run")
    assert "would import 0, duplicates 2" in dry.stdout
    bad_map = run(db_url, "import", str(path), "--source", "appstore", "--map", "colour=text")
    assert bad_map.exit_code == 1
    assert "unknown field 'colour'" in bad_map.stderr


def test_invalid_configuration_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path}/x.db", "token", "list", ALLHANDS_PORT="not-a-port")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "ALLHANDS_PORT" in result.stderr


@pytest.mark.parametrize("verb", ["serve", "work"])
def test_serve_and_work_refuse_a_database_that_is_behind(tmp_path: Path, verb: str) -> None:
    result = run(f"sqlite:///{tmp_path}/empty.db", verb)
    assert result.exit_code == 2
    assert result.stderr.strip() == "allhands: the database is empty: run `allhands db upgrade`"
    assert run(f"sqlite:///{tmp_path}/empty.db", "db", "upgrade").exit_code == 0
    current = run(f"sqlite:///{tmp_path}/empty.db", "db", "current").stdout
    assert f"database: {head_revision()}" in current


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """The collector's settings are the whole test process's: give them back afterwards."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize("verb", ["serve", "work"])
def test_long_running_verbs_settle_the_heap_before_their_work(
    db_url: str, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    seen: list[tuple[int, int]] = []

    def settled(*_: Any, **__: Any) -> None:
        seen.append((gc.get_freeze_count(), gc.get_threshold()[0]))

    async def worked(*args: Any, **kwargs: Any) -> None:
        settled()

    monkeypatch.setattr("aiohttp.web.run_app", settled)
    monkeypatch.setattr(handlers.cli.server, "run_worker", worked)
    gc.set_threshold(700)
    result = run(db_url, verb)
    assert result.exit_code == 0, result.output
    [(frozen, young_threshold)] = seen
    assert frozen > 10_000  # the modules, the app and the engine built at start-up
    assert young_threshold == YOUNG_COLLECTION_EVERY


def test_serve_help_lists_every_environment_variable() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    for name in (
        "ALLHANDS_DATABASE_URL",
        "ALLHANDS_HOST",
        "ALLHANDS_PORT",
        "SLACK_BOT_TOKEN",
        "MicrosoftAppId",
    ):
        assert name in result.stdout


@pytest.mark.slow
def test_hundred_thousand_rows_import_once_then_all_duplicates(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "body", "severity", "tags", "customer_email"])
        for n in range(100_000):
            writer.writerow(
                [f"row-{n}", f"Feedback number {n}", "normal", "bulk;csv", f"c{n}@example.com"]
            )
    first = run(db_url, "import", str(path), "--source", "legacy")
    assert first.exit_code == 0, first.output
    assert "100000 rows: imported 100000, duplicates 0, invalid 0" in first.stdout
    assert "Importing" in first.stderr
    second = run(db_url, "import", str(path), "--source", "legacy")
    assert "100000 rows: imported 0, duplicates 100000, invalid 0" in second.stdout


@needs_realdata
def test_real_customer_messages_import_from_banking77(db_url: str) -> None:
    path = realdata_path("feedback", "banking77_test.csv")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = run(
        db_url,
        "import",
        str(path),
        "--source",
        "banking77",
        "--map",
        "body=text",
        "--map",
        "tags=category",
    )
    assert result.exit_code == 0, result.output
    distinct = len({row["text"].strip() for row in rows})
    assert (
        f"{len(rows)} rows: imported {distinct}, duplicates {len(rows) - distinct}, invalid 0"
        in result.stdout
    )
    shown = json.loads(run(db_url, "feedback", "show", "FB-1", "--json").stdout)
    assert shown["body"] == rows[0]["text"]
    assert shown["tags"] == [rows[0]["category"]]
