"""The layering, enforced: the import-linter contracts in pyproject.toml hold, and they catch a
handler that reaches past the core into storage."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=where, capture_output=True, text=True
    )


def test_the_layering_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_a_handler_importing_storage_breaks_the_build(tmp_path: Path) -> None:
    for package in ("bot", "handlers", "storage"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "handlers" / "shortcut.py").write_text("from storage.uow import SqlStore\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0
    assert "Handlers speak only to the core, never to storage BROKEN" in result.stdout
    assert "handlers.shortcut -> storage.uow" in result.stdout
