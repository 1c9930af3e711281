"""Charts live in one module per analysis package: the other modules compute and never draw."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cxlab

PACKAGE_ROOT = Path(cxlab.__file__).resolve().parent
PACKAGES_WITH_PLOTS = ["economics", "survival", "touchpoints"]
DRAWING_LIBRARIES = ("matplotlib", "seaborn")


def _drawing_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in DRAWING_LIBRARIES]


def _plot_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("plot")]


@pytest.mark.parametrize("package", PACKAGES_WITH_PLOTS)
def test_only_the_plots_module_of_a_package_draws(package):
    folder = PACKAGE_ROOT / package
    assert (folder / "plots.py").is_file(), f"cxlab.{package} has no plots module"
    drawing = {path.name: _drawing_imports(path) + _plot_functions(path)
               for path in sorted(folder.glob("*.py")) if path.name != "plots.py"}
    drawing = {name: found for name, found in drawing.items() if found}
    assert not drawing, f"cxlab.{package}: modules other than plots.py draw charts: {drawing}"
    assert _drawing_imports(folder / "plots.py"), f"cxlab.{package}.plots draws nothing"


def test_survival_charts_keep_their_package_import_path():
    import cxlab.survival
    import cxlab.survival.plots

    for name in cxlab.survival.plots.__all__:
        assert getattr(cxlab.survival, name) is getattr(cxlab.survival.plots, name)
        assert name in cxlab.survival.__all__
