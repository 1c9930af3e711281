"""Write ``docs/api.md``, the public API page, from each module's ``__all__`` and docstring.

Run ``python docs/build_api.py`` after adding a module or a public name; the tests fail while the
page and the package disagree.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import cxlab

PAGE = Path(__file__).resolve().parent / "api.md"
HEADER = """# The public API of cxlab

Every module lists its public names in `__all__`; this page lists them per module with the first line of the
module's docstring (the docstrings hold the details, numpydoc style, with examples run as doctests). Names
follow one vocabulary (README, *Public API*): `min_cell_size`, `level`, `n_resamples`, `ci_low`/`ci_high`,
keyword-only `as_of`. Modules that became packages (`metrics`, `synth`, `drivers`, `touchpoints`) still export
every name from the package itself: `from cxlab.metrics import nps` and `cxlab.metrics.nps` both work.
"""


def module_names() -> list[str]:
    """The package and every importable module in it, sorted (``__main__`` modules left out)."""
    modules = (info.name for info in pkgutil.walk_packages(cxlab.__path__, "cxlab."))
    return ["cxlab", *sorted(name for name in modules if not name.endswith("__main__"))]


def module_entry(name: str) -> str:
    """The page's block for one module: heading, the docstring's first paragraph, its names by kind."""
    module = importlib.import_module(name)
    kinds = {"modules": [], "classes": [], "functions": [], "constants": []}
    for item in module.__all__:
        value = getattr(module, item)
        kind = ("modules" if inspect.ismodule(value) else "classes" if inspect.isclass(value)
                else "functions" if inspect.isroutine(value) else "constants")
        kinds[kind].append(item)
    summary = " ".join((inspect.getdoc(module) or "").strip().split("\n\n")[0].split())
    lines = [f"## `{name}`", "", summary, ""]
    lines += [f"- {kind}: " + ", ".join(f"`{item}`" for item in sorted(items))
              for kind, items in kinds.items() if items]
    return "\n".join(lines)


def api_page() -> str:
    """The whole page's text."""
    return HEADER + "\n" + "\n\n".join(module_entry(name) for name in module_names()) + "\n"


if __name__ == "__main__":
    PAGE.write_text(api_page(), encoding="utf-8")
    print(f"wrote {PAGE}")
