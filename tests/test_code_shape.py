"""The shape the house keeps (issue 14): no function longer than a screenful or two in bot/ and flows/."""

from __future__ import annotations

import ast

from tests.paths import PROJECT_ROOT

LONGEST = 100  # lines, from def to the last line of the body


def long_functions(limit: int = LONGEST) -> list[str]:
    found = []
    for root in ("bot", "flows"):
        for path in sorted((PROJECT_ROOT / root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > limit:
                        found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_is_longer_than_100_lines() -> None:
    assert long_functions() == []


def test_the_check_sees_functions() -> None:
    # A check that walks no files would pass whatever the code: it must find the app's longer functions.
    assert long_functions(limit=50), "no function over 50 lines found: the walk read nothing"
