"""The README's examples work as written: what a first hour copies from it runs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import cli
from bot.admin.schemas import validate
from bot.intake import FeedbackDraft
from handlers.api_schema import CommentIn

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def curl_payloads() -> dict[str, object]:
    """Each `curl -X POST URL … -d '{…}'` example's JSON body, by the URL's path."""
    found: dict[str, object] = {}
    for match in re.finditer(r"curl -X POST \S+?(/api/\S+).*?-d '(\{.*?\})'", README, re.S):
        found[match.group(1)] = json.loads(match.group(2))
    return found


def test_items_take_body_and_comments_take_text_as_the_examples_show() -> None:
    payloads = curl_payloads()
    FeedbackDraft.model_validate(payloads["/api/v1/feedback"])
    comment = CommentIn.model_validate(payloads["/api/v1/feedback/FB-1/comments"])
    assert comment.text


def test_the_token_is_exported_and_the_venv_activated_before_they_are_used() -> None:
    assert README.index("export TOKEN=") < README.index("$TOKEN")
    assert ". .venv/bin/activate" in README
    assert "`.venv/bin/allhands`" in README


def test_the_routes_example_is_a_valid_routes_setting() -> None:
    block = README.split("```json\n", 1)[1].split("```", 1)[0]
    routes = validate("routes", json.loads(block))
    assert [rule["name"] for rule in routes.model_dump()["rules"]] == ["app crashes", "billing"]


def test_teams_package_works_as_the_readme_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the app id set, as the same line of the README says to."""
    (line,) = [line for line in README.splitlines() if "allhands teams package" in line]
    command = line.split("`allhands ", 1)[1].split("`", 1)[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MicrosoftAppId", "11111111-2222-3333-4444-555555555555")
    monkeypatch.delenv("ALLHANDS_PUBLIC_URL", raising=False)
    result = CliRunner().invoke(cli, shlex.split(command))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "allhands.zip").is_file()
