"""The Dockerfile and compose.yaml cannot be built here (no container engine), so check what
can be checked: the shape of the stack and that every command they run is a real command."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import make_url

from app import cli
from bot.config import describe_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def dockerfile_instruction(name: str) -> str:
    """The argument of the Dockerfile's last `name` instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.+)$", text, flags=re.MULTILINE)
    assert found, f"no {name} in the Dockerfile"
    return str(found[-1])


def assert_real_command(argv: list[str]) -> None:
    """argv is the installed `allhands` script followed by a sub-command that exists."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv[0] in scripts
    result = CliRunner().invoke(cli, [*argv[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_the_image_runs_the_server_as_a_non_root_user_with_a_health_check() -> None:
    assert dockerfile_instruction("FROM") == "python:3.11-slim"
    assert dockerfile_instruction("USER") not in {"root", "0"}
    assert "/healthz" in dockerfile_instruction("HEALTHCHECK")
    command = json.loads(dockerfile_instruction("CMD"))
    assert command == ["allhands", "serve"]
    assert_real_command(command)


def test_compose_runs_postgres_a_migration_job_and_two_replicas(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", "migrate", "app1", "app2"}
    assert services["db"]["image"] == "postgres:15"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert_real_command(services["migrate"]["command"])
    replicas = [services["app1"], services["app2"]]
    for replica in replicas:
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "command" not in replica  # the image's CMD: allhands serve
    host_ports = [port.split(":")[0] for replica in replicas for port in replica["ports"]]
    assert len(set(host_ports)) == 2


def test_every_service_shares_one_postgres_and_sets_only_known_settings(
    compose: dict[str, Any],
) -> None:
    known = {name for name, _, _ in describe_environment()}
    for name in ("migrate", "app1", "app2"):
        environment = compose["services"][name]["environment"]
        assert set(environment) <= known
        url = re.sub(r"\$\{\w+:-(\w+)\}", r"\1", environment["ALLHANDS_DATABASE_URL"])
        parsed = make_url(url)
        assert (parsed.drivername, parsed.host, parsed.database) == (
            "postgresql+psycopg",
            "db",
            compose["services"]["db"]["environment"]["POSTGRES_DB"],
        )
