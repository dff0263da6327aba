"""`allhands digest preview|send` as an operator runs them (in-process, real database)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner, Result

from app import cli
from tests.support.realdata import realdata_json

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(db_url: str, *args: str) -> Result:
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_TIMEZONE": "Europe/Berlin"}
    return CliRunner().invoke(cli, list(args), env=env)


def test_preview_prints_each_format_without_posting(db_url: str, tmp_path: Path) -> None:
    day = ["digest", "preview", "--date", "2026-03-09"]

    text = run(db_url, *day)
    slack = json.loads(run(db_url, *day, "--format", "slack").stdout)
    card = json.loads(run(db_url, *day, "--format", "teams", "--exec").stdout)
    chart = run(db_url, *day, "--format", "png", "--output", str(tmp_path / "chart.png"))

    assert text.exit_code == 0, text.output
    assert "Voice of the customer · Friday 6 to Sunday 8 March" in text.stdout
    assert "A quiet" in text.stdout
    assert slack["blocks"][0]["type"] == "header"
    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    assert chart.exit_code == 0, chart.output
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG_MAGIC)
    assert run(db_url, *day, "--format", "png").stdout_bytes.startswith(PNG_MAGIC)


def test_send_says_where_nothing_could_go(db_url: str) -> None:
    nowhere = run(db_url, "digest", "send", "--date", "2026-03-09")
    off = run(db_url, "digest", "send", "--date", "2026-03-09", "--to", "slack:C1")

    assert nowhere.exit_code == 1
    assert "Nowhere to send" in nowhere.stderr
    assert off.exit_code == 0, off.output
    assert off.stdout.strip() == "slack:C1\tplatform off"
