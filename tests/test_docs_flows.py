"""docs/flows.md walks a newcomer through the code: every `file:function` it names must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ROOT / "docs" / "flows.md"
NAMED = re.compile(r"`([\w/]+\.py):([\w.]+)`")


def defined_names(path: Path) -> set[str]:
    """Every function and class in a file, by dotted name (`Class.method`)."""
    names: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(prefix + child.name)
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(path.read_text()), "")
    return names


def named_in(text: str) -> list[tuple[str, str]]:
    return NAMED.findall(text)


def missing_in(text: str) -> list[str]:
    return [
        f"{file}:{name}"
        for file, name in named_in(text)
        if not (ROOT / file).is_file() or name not in defined_names(ROOT / file)
    ]


def test_every_hop_in_the_flows_exists() -> None:
    text = FLOWS.read_text()
    assert len(named_in(text)) >= 30  # three flows, step by step
    assert missing_in(text) == []


def test_a_renamed_function_is_caught() -> None:
    assert missing_in("`bot/service.py:Desk.claim`") == []
    assert missing_in("`bot/service.py:Desk.grab`") == ["bot/service.py:Desk.grab"]
    assert missing_in("`bot/nowhere.py:claim`") == ["bot/nowhere.py:claim"]
