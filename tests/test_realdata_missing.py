"""A fresh clone has no real-data folder beside it: tests that need it skip there, saying why,
and fail only where ALLHANDS_REQUIRE_REALDATA=1 asks for the payloads (CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.realdata import realdata_path

ROOT = Path(__file__).resolve().parents[1]
MISSING = ("teams", "schemas", "no-such-schema.json")


def test_a_missing_real_data_file_skips_the_test_and_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALLHANDS_REQUIRE_REALDATA", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no-such-schema\.json"):
        realdata_path(*MISSING)


def test_a_missing_real_data_file_fails_when_the_payloads_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALLHANDS_REQUIRE_REALDATA", "1")
    with pytest.raises(pytest.fail.Exception, match="ALLHANDS_REQUIRE_REALDATA=1 needs it"):
        realdata_path(*MISSING)


def test_a_test_reading_real_data_without_its_mark_skips_on_a_fresh_clone(tmp_path: Path) -> None:
    """The digest CLI test reads the Adaptive Cards schema without being marked: the case a
    fresh clone met first, run the way its README runs it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALLHANDS_", "PYTEST_")) and k != "PYTHONPATH"
    }
    env["ALLHANDS_REALDATA"] = str(tmp_path / "absent")
    test = "tests/bot/digest/test_cli.py::test_preview_prints_each_format_without_posting"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "sqlite", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "real data file missing" in run.stdout  # -ra names the reason
