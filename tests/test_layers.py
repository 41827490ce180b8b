"""Imports flow one way: `webapp → kb ← ingest`, the command line (`kapkb`) above both. A module that reaches
the wrong way (kb importing ingest, ingest importing the web app) fails here with its file and line."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {  # package: the packages it must not import
    "kb": {"ingest", "webapp", "kapkb"},
    "ingest": {"webapp", "kapkb"},
    "webapp": {"ingest", "kapkb"},
}


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_imports_flow_one_way():
    wrong = []
    for package, banned in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, module in imports(path):
                if module.split(".")[0] in banned:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)
