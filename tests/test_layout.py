"""The code's shape: SQL only in the storage layer, no module too long to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qa"
SQL = re.compile(
    r"^\s*(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER)"
    r"|DROP\s|BEGIN\b|COMMIT\b|PRAGMA\s|VACUUM\b)"
)
MAX_LINES = 420  # "about 400": room for a docstring, not for a second job


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_sql_is_written_only_in_the_storage_layer():
    outside = []
    for path in modules():
        if path.parent.name == "storage":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                outside.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value[:40]!r}")
    assert not outside, "SQL outside qa/storage/:\n" + "\n".join(outside)


def test_the_check_finds_sql_where_it_is():
    storage = [p for p in modules() if p.parent.name == "storage"]
    assert any(
        SQL.match(node.value)
        for path in storage
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def test_no_module_is_over_about_400_lines():
    long = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long
