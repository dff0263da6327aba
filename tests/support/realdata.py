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
REALDATA_REQUIRED = os.environ.get("ALLHANDS_REQUIRE_REALDATA") == "1"

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
