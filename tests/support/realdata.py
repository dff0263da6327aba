"""Where the real third-party payloads live (the shared real-data folder), and how to read them.

Tests that need the folder are skipped on a fresh clone without it, but fail where
ALLHANDS_REQUIRE_REALDATA=1 (CI).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REALDATA = Path(
    os.environ.get("ALLHANDS_REALDATA", Path(__file__).resolve().parents[3] / "shared" / "realdata")
)


def realdata_required() -> bool:
    """CI sets ALLHANDS_REQUIRE_REALDATA=1, so a missing payload fails there instead of skipping."""
    return os.environ.get("ALLHANDS_REQUIRE_REALDATA") == "1"


needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir() and not realdata_required(),
    reason=f"real third-party payloads not found at {REALDATA} (set ALLHANDS_REALDATA)",
)


def realdata_path(*parts: str) -> Path:
    """A file under the real-data folder.

    A missing file skips the test that asked for it, saying where it looked, so a fresh clone
    without the real-data folder passes whether or not the test is marked `needs_realdata`;
    with ALLHANDS_REQUIRE_REALDATA=1 it fails instead.
    """
    path = REALDATA.joinpath(*parts)
    if path.exists():
        return path
    missing = f"real data file missing: {path} (set ALLHANDS_REALDATA to the real-data folder)"
    if realdata_required():
        pytest.fail(f"{missing}; ALLHANDS_REQUIRE_REALDATA=1 needs it")
    pytest.skip(missing)


def realdata_json(*parts: str) -> Any:
    return json.loads(realdata_path(*parts).read_text())
