"""The command line as a new operator meets it in the first hour (in-process, real database):
what `feedback show` tells, tokens that can be rotated, one dev token, every setting at once,
every mistake in a routes file at once, and settings that would send cards nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import handlers.cli.server
from app import build_core, cli
from bot.config import Settings

APP = Path(__file__).resolve().parents[2] / "app.py"
CHAT_OFF: dict[str, str | None] = {"SLACK_BOT_TOKEN": None, "MicrosoftAppId": None}


def run(db_url: str, *args: str, **env: str | None) -> Result:
    runner = CliRunner()
    return runner.invoke(cli, list(args), env={"ALLHANDS_DATABASE_URL": db_url, **env})


def authenticates(db_url: str, token: str) -> bool:
    core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url))
    try:
        return core.tokens.authenticate(token) is not None
    finally:
        core.close()


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` does everything up to listening, then returns; the heap is left alone."""
    monkeypatch.setattr("aiohttp.web.run_app", lambda *_, **__: None)
    monkeypatch.setattr(handlers.cli.server, "settle_heap", lambda: None)


def test_feedback_show_tells_kind_source_customer_and_resolution(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "one.csv"
    path.write_text(
        "external_id,body,kind,severity,customer_name,customer_email,customer_company\n"
        "z-4711,The export button does nothing,bug,high,Dana,dana@example.com,Acme\n"
    )
    assert run(db_url, "import", str(path), "--source", "zendesk").exit_code == 0
    closed = run(db_url, "feedback", "close", "FB-1", "--as", "ana@example.com", "--note", "2.3")
    assert closed.exit_code == 0, closed.output
    lines = run(db_url, "feedback", "show", "FB-1").stdout.splitlines()
    assert "kind: bug, severity high" in lines
    assert any(line.startswith("source: zendesk z-4711, received ") for line in lines)
    assert "customer: Dana <dana@example.com> (Acme)" in lines
    assert any(line.startswith("closed: by ana (cli) ") for line in lines)
    assert "resolution: 2.3" in lines


def test_a_revoked_tokens_name_can_be_used_again(db_url: str) -> None:
    first = run(db_url, "token", "create", "--name", "zendesk").stdout.splitlines()[-1]
    assert run(db_url, "token", "revoke", "zendesk").exit_code == 0
    again = run(db_url, "token", "create", "--name", "zendesk")
    assert again.exit_code == 0, again.output
    assert authenticates(db_url, again.stdout.splitlines()[-1])
    assert not authenticates(db_url, first)
    taken = run(db_url, "token", "create", "--name", "zendesk")
    assert taken.exit_code == 1
    assert "token rotate zendesk" in taken.stderr


def test_token_rotate_revokes_the_old_and_prints_the_new_alone_on_the_last_line(
    db_url: str,
) -> None:
    old = run(db_url, "token", "create", "--name", "crm").stdout.strip()
    rotated = run(db_url, "token", "rotate", "crm")
    assert rotated.exit_code == 0, rotated.output
    new = rotated.stdout.strip()
    assert new.startswith("ah_")
    assert "\n" not in new
    assert authenticates(db_url, new)
    assert not authenticates(db_url, old)
    listed = run(db_url, "token", "list").stdout.splitlines()
    assert [line.split("\t")[2].split()[0] for line in listed] == ["revoked", "active"]
    unknown = run(db_url, "token", "rotate", "nobody")
    assert unknown.exit_code == 1
    assert unknown.stderr == "allhands: There is no active token named nobody to rotate.\n"


@pytest.mark.usefixtures("no_server")
def test_serve_dev_keeps_one_live_dev_token_across_runs(db_url: str) -> None:
    printed = []
    for _ in range(3):
        started = run(db_url, "serve", "--dev", **CHAT_OFF)
        assert started.exit_code == 0, started.output
        printed.append(next(w for w in started.stdout.split() if w.startswith("ah_")))
    states = [line.split("\t") for line in run(db_url, "token", "list").stdout.splitlines()]
    assert sorted((name, state.split()[0]) for name, _, state, _ in states) == [
        ("dev", "active"),
        ("dev", "revoked"),
        ("dev", "revoked"),
    ]
    assert [authenticates(db_url, token) for token in printed] == [False, False, True]


@pytest.mark.usefixtures("no_server")
def test_serve_warns_at_start_about_settings_that_send_cards_nowhere(db_url: str) -> None:
    slack = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "MicrosoftAppId": None}
    started = run(db_url, "serve", **slack)
    assert started.exit_code == 0, started.output
    assert "warning: Slack is on but no channel gets its cards" in started.stdout
    with_channel = run(db_url, "serve", **slack, ALLHANDS_SLACK_CHANNEL="C0FEEDBACK")
    assert "warning:" not in with_channel.stdout


def test_config_show_without_a_key_shows_every_setting(db_url: str) -> None:
    shown = run(db_url, "config", "show")
    assert shown.exit_code == 0, shown.output
    every = json.loads(shown.stdout)
    assert sorted(every) == [
        "customers",
        "digest",
        "privacy",
        "replies",
        "rota",
        "routes",
        "timeouts",
        "webhooks",
    ]
    assert every["timeouts"]["claim_minutes"]["urgent"] == 15
    assert every["replies"] == {"who": "claimer", "approval": False, "csat": False, "csat_days": 14}


def test_config_set_routes_reports_every_mistake_at_once(db_url: str, tmp_path: Path) -> None:
    routes: dict[str, Any] = {
        "rules": [
            {"name": "bugs", "kinds": ["bugg"], "destinations": [{"platform": "slack"}]},
            {"name": "", "destinations": [{"platform": "email", "channel": "x"}]},
        ]
    }
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(routes))
    result = run(db_url, "config", "set", "routes", str(path))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "allhands: 4 problems:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "  routes.rules.0.kinds.0",
        "  routes.rules.0.destinations.0.channel",
        "  routes.rules.1.name",
        "  routes.rules.1.destinations.0.platform",
    ]


def test_routes_test_says_a_channel_on_a_platform_that_is_off_gets_nothing(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "routes.json"
    rule = {
        "name": "bugs",
        "kinds": ["bug"],
        "destinations": [{"platform": "slack", "channel": "C0APPBUGS"}],
    }
    path.write_text(json.dumps({"rules": [rule]}))
    assert run(db_url, "config", "set", "routes", str(path)).exit_code == 0
    item = '{"source": "appstore", "kind": "bug", "body": "Crash on start"}'
    tested = run(db_url, "routes", "test", "--json", item, **CHAT_OFF)
    assert tested.stdout.splitlines() == [
        "rule: bugs",
        "destinations: nowhere",
        "  slack:C0APPBUGS gets no card: Slack is off (set `SLACK_BOT_TOKEN`)",
    ]


def test_patterns_never_reach_people(db_url: str, tmp_path: Path) -> None:
    setting = run(db_url, "token", "list", ALLHANDS_DIGEST_TIME="9am")
    assert setting.exit_code == 2
    assert setting.stderr == (
        "allhands: invalid configuration: ALLHANDS_DIGEST_TIME: use HH:MM, e.g. 09:00\n"
    )
    path = tmp_path / "digest.json"
    path.write_text('{"time": "25:00"}')
    stored = run(db_url, "config", "set", "digest", str(path))
    assert stored.stderr == "allhands: digest.time: use HH:MM, e.g. 09:00\n"
    item = '{"source": "x", "body": "hi", "url": "ftp://a", "customer": {"email": "dana"}}'
    tested = run(db_url, "routes", "test", "--json", item)
    assert "pattern" not in tested.stderr
    assert "url: use an http:// or https:// address" in tested.stderr
    assert "customer.email: use an email address, e.g. dana@example.com" in tested.stderr


def test_digest_png_is_not_written_to_a_terminal(db_url: str, tmp_path: Path) -> None:
    """Run under a pseudo-terminal, as someone typing the command sees it."""
    controller, terminal = os.openpty()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ALLHANDS_")}
    try:
        result = subprocess.run(
            [sys.executable, str(APP), "digest", "preview", "--format", "png"],
            env=inherited | {"ALLHANDS_DATABASE_URL": db_url},
            cwd=tmp_path,
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 1
    assert result.stderr == (
        "allhands: --format png is an image, not for a terminal: add --output chart.png, or "
        "redirect it (> chart.png)\n"
    )
    written = run(db_url, "digest", "preview", "--format", "png")  # not a terminal
    assert written.exit_code == 0
    assert written.stdout_bytes.startswith(b"\x89PNG")
