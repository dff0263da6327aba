"""The benchmarks import what they measure and the fakes they run against: a rename in the
code or the test support must not leave them broken until someone next runs them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", MODULES)
def test_every_benchmark_imports(name: str) -> None:
    importlib.import_module(f"benchmarks.{name}")
