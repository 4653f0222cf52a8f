"""Imports run one way: `medallion/` imports no app, and each app imports only the apps below it."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

BASE_DIR = Path(__file__).resolve().parent.parent
LAYERS = ("medallion", "tpa", "bronze", "silver", "gold", "ops", "demo")
# The root URLconf wires every app's URLs in; nothing else in medallion/ may name an app.
WIRING = {Path("medallion/urls.py")}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def upward_imports() -> list[str]:
    found = []
    for layer, package in enumerate(LAYERS):
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            relative = path.relative_to(BASE_DIR)
            if relative in WIRING:
                continue
            for name in imported_packages(path):
                if name in LAYERS and LAYERS.index(name) > layer:
                    found.append(f"{relative} imports {name}")
    return found


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from gold import refresh\n")
    assert imported_packages(module) == {"gold"}
