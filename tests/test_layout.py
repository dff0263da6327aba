"""The tests' own layout: what they share comes from tests/support, never from one another.

A test module that imports a conftest or another test module couples the two: moving or
renaming one breaks the other, and a fixture imported by name changes which fixture pytest
uses. conftest.py files only turn tests/support into fixtures.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SHARED = "tests.support"
MAX_LINES = 600


def _imports(path: Path, root: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, modules) for each import in `path` (a file under `root`/tests), relative imports
    resolved: [module] for `import module`, and [package, package.name, ...] for `from package
    import name, ...` (a name may be a module)."""
    package = ".".join(path.relative_to(root).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, [alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield node.lineno, [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _in_tests(module: str) -> bool:
    return module == "tests" or module.startswith("tests.")


def _shared(module: str) -> bool:
    return module in {"tests", SHARED} or module.startswith(f"{SHARED}.")


def _is_test_code(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def _problems(path: Path, root: Path = TESTS.parent) -> list[str]:
    where = path.relative_to(root)
    problems = []
    for line, modules in _imports(path, root):
        test_code = [module for module in modules if _in_tests(module) and _is_test_code(module)]
        if test_code:
            problems.append(
                f"{where}:{line} imports {test_code[0]}: move what it needs to {SHARED}"
            )
        elif _in_tests(modules[0]) and not _shared(modules[0]):
            problems.append(f"{where}:{line} imports {modules[0]}: shared code lives in {SHARED}")
    return problems


def _python_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def test_tests_share_code_only_through_tests_support() -> None:
    problems = [problem for path in _python_files() for problem in _problems(path)]
    assert problems == [], "\n".join(problems)


def test_conftest_files_hold_only_fixtures() -> None:
    """Anything else in a conftest (a helper, a constant) belongs in tests/support."""
    problems = []
    for path in _python_files():
        if path.name != "conftest.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import | ast.ImportFrom) or _is_docstring(node):
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_fixture(node):
                continue
            problems.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} is not a fixture")
    assert problems == [], "\n".join(problems)


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _is_fixture(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
    return False


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("from tests.conftest import person\n", id="a conftest"),
        pytest.param("from tests.handlers.teams.test_end_to_end import x\n", id="a test module"),
        pytest.param("from tests.handlers.teams import test_end_to_end\n", id="as a name"),
        pytest.param("import tests.storage.test_outbox\n", id="plain import"),
        pytest.param("from ..conftest import person\n", id="relative"),
        pytest.param("from tests.handlers.slack.helpers import x\n", id="outside support"),
    ],
)
def test_the_layout_check_catches_each_way_of_importing_test_code(
    tmp_path: Path, source: str
) -> None:
    module = tmp_path / "tests" / "handlers" / "slack" / "test_example.py"
    module.parent.mkdir(parents=True)
    module.write_text(f"from tests.support.builders import person\n{source}")
    problems = _problems(module, tmp_path)
    assert problems  # the line from tests.support passes, the one after it does not
    assert all(p.startswith("tests/handlers/slack/test_example.py:2 ") for p in problems)


def test_every_test_file_stays_short_enough_to_read() -> None:
    long = [
        f"{path.relative_to(TESTS.parent)}: {lines} lines"
        for path in _python_files()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert long == [], f"split these (at most {MAX_LINES} lines each):\n" + "\n".join(long)
