"""The README is the operator's manual: it must name every setting and start with the commands."""

from __future__ import annotations

from pathlib import Path

from bot.config import describe_environment

ROOT = Path(__file__).resolve().parents[1]


def test_readme_lists_every_environment_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name, _, _ in describe_environment() if f"`{name}`" not in readme]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```sh\n")[1:3]]
    assert blocks[0].endswith("allhands serve --dev")
    assert blocks[1] in (ROOT / ".ci" / "run").read_text()
