"""The conda environment mirrors pyproject.toml; the layout users expect is there."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _normalise(spec: str) -> tuple[str, str]:
    req = Requirement(spec)
    return req.name.lower().replace("_", "-"), str(req.specifier)


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_normalise(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python=", "pip"))]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert {_normalise(s) for s in conda} == wanted
    assert "python=3.11" in env["dependencies"]
    assert "-e ." in pip


def test_top_level_layout():
    for name in ["cxlab", "notebooks", "data", "reports", "tests", "environment.yml", "pyproject.toml",
                 "README.md", "Makefile", ".ci/run"]:
        assert (ROOT / name).exists(), name
