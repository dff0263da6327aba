"""Shared test helpers: where the real third-party payloads live, and a clock tests can move."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

REALDATA = Path(
    os.environ.get("ALLHANDS_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata")
)
REALDATA_REQUIRED = os.environ.get("ALLHANDS_REQUIRE_REALDATA") == "1"

# Tests that read ../shared/realdata are skipped on a fresh clone without it, but fail in CI.
needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir() and not REALDATA_REQUIRED,
    reason=f"real third-party payloads not found at {REALDATA} (set ALLHANDS_REALDATA)",
)


def realdata_path(*parts: str) -> Path:
    """A file under the real-data folder; fails loudly when it is missing."""
    path = REALDATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"real data file missing: {path} (ALLHANDS_REQUIRE_REALDATA=1 needs it)")
    return path


def realdata_json(*parts: str) -> Any:
    return json.loads(realdata_path(*parts).read_text())


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
