"""Report notebooks and their parameters: discovery, the YAML file, and validation before anything runs.

Papermill only warns about a parameter that a notebook does not declare and injects any
value whatever its type; the report run checks both first, against the literals of each
notebook's ``parameters`` cell (read with :func:`papermill.inspect_notebook`).

Parameters file
---------------
A YAML mapping in one of two shapes, which may be mixed:

* flat: ``name: value`` pairs; each notebook that declares ``name`` receives the value (a name
  that notebooks declare with different defaults, so probably with different meanings, must
  go in a notebook's section instead);
* sectioned: ``common:`` (a mapping for every notebook that declares the name) and one
  mapping per notebook, keyed by the notebook's name (``06_retention_economics``) or its
  number prefix (``"06"``); a notebook's own section overrides ``common`` and flat values.

``data_dir``, ``quarter`` and ``headlines_path`` are set by the run (``--data``,
``--quarter``) and are rejected in the file. See ``params.example.yaml``.

Targets
-------
``targets:`` (at the top level or under ``common:``) sets targets for headline figures for the
whole report (see :mod:`cxlab.targets`); it is checked before anything runs and handed to every
notebook that declares a ``targets`` parameter. A target in a notebook's own section is rejected:
a figure has one target in a report.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import papermill
import yaml

from cxlab.periods import parse_quarter
from cxlab.report.errors import ReportInputError
from cxlab.targets import parse_targets

__all__ = ["COMMON_SECTION", "NOTEBOOK_PATTERN", "RENAMED", "SET_BY_RUN", "TOUR", "ReportNotebook",
           "check_quarter_label", "discover_notebooks", "inspect_report_notebook", "read_params_file",
           "resolve_parameters", "select_notebooks"]

NOTEBOOK_PATTERN = "0*_*.ipynb"
TOUR = "00_"  # notebooks/00_start_here.ipynb: the researchers' tour, not a report page
SET_BY_RUN = ("data_dir", "quarter", "headlines_path")
#: Former parameter names and the names that replaced them (one name per idea across the package).
RENAMED = {"n_draws": "n_resamples", "n_bootstrap": "n_resamples", "min_n": "min_cell_size"}
COMMON_SECTION = "common"
TARGETS = "targets"
_PREFIX = re.compile(r"^(\d+)_")
_TYPE_WORDS = {bool: "true/false", int: "whole number", float: "number", str: "text", list: "list",
               dict: "mapping"}


@dataclass(frozen=True)
class ReportNotebook:
    """A report notebook and the defaults of its ``parameters`` cell.

    Attributes
    ----------
    path : pathlib.Path
        The source notebook.
    defaults : dict
        Parameter name to its default value; ``None`` also stands for a default that is not a
        plain literal (any type is then accepted).
    help : dict
        Parameter name to the comment written after it in the parameters cell.
    """

    path: Path
    defaults: dict = field(default_factory=dict)
    help: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Notebook file name without ``.ipynb``, e.g. ``05_churn_survival``."""
        return self.path.stem

    @property
    def prefix(self) -> str:
        """Number prefix of the name, e.g. ``05``."""
        match = _PREFIX.match(self.name)
        return match.group(1) if match else self.name


def _literal(source: str):
    try:
        return ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None


def inspect_report_notebook(path: Path) -> ReportNotebook:
    """Read a notebook's parameters cell.

    Parameters
    ----------
    path : pathlib.Path
        A report notebook.

    Returns
    -------
    ReportNotebook

    Raises
    ------
    ReportInputError
        When the notebook cannot be read or does not declare ``data_dir``, ``quarter`` and
        ``headlines_path`` in a cell tagged ``parameters``.
    """
    try:
        inspected = papermill.inspect_notebook(str(path))
    except Exception as err:  # nbformat and papermill raise several unrelated types
        raise ReportInputError(f"cannot read notebook {path.name}: {err}") from err
    notebook = ReportNotebook(path,
                              {name: _literal(p["default"]) for name, p in inspected.items()},
                              {name: p["help"] for name, p in inspected.items()})
    missing = [name for name in SET_BY_RUN if name not in notebook.defaults]
    if missing:
        raise ReportInputError(
            f"notebook {path.name} does not declare {', '.join(missing)} in a code cell tagged "
            f"'parameters'; every report notebook needs {', '.join(SET_BY_RUN)}"
        )
    return notebook


def discover_notebooks(notebooks_dir: Path) -> list[ReportNotebook]:
    """Find and inspect the report notebooks ``0*_*.ipynb`` of a folder (not ``00_*``, the tour), in name order.

    Raises
    ------
    ReportInputError
        When the folder does not exist or holds no report notebook.
    """
    notebooks_dir = Path(notebooks_dir)
    if not notebooks_dir.is_dir():
        raise ReportInputError(f"notebooks folder {notebooks_dir} does not exist")
    paths = sorted(p for p in notebooks_dir.glob(NOTEBOOK_PATTERN) if not p.name.startswith(TOUR))
    if not paths:
        raise ReportInputError(f"no report notebooks ({NOTEBOOK_PATTERN}) in {notebooks_dir}")
    return [inspect_report_notebook(p) for p in paths]


def _matches(notebook: ReportNotebook, name: str) -> bool:
    return name in (notebook.name, notebook.prefix)


def select_notebooks(notebooks: list[ReportNotebook], only: list[str] | None) -> list[ReportNotebook]:
    """Keep the notebooks named in ``only`` (name or number prefix); all of them when ``only`` is empty.

    Raises
    ------
    ReportInputError
        When a name matches no notebook.
    """
    if not only:
        return list(notebooks)
    unknown = [name for name in only if not any(_matches(nb, name) for nb in notebooks)]
    if unknown:
        raise ReportInputError(
            f"--only {', '.join(unknown)}: no such report notebook; "
            f"choose from {', '.join(nb.name for nb in notebooks)}"
        )
    return [nb for nb in notebooks if any(_matches(nb, name) for name in only)]


def read_params_file(path: str | Path | None) -> dict:
    """Read the YAML parameters file; an absent path gives an empty mapping.

    Raises
    ------
    ReportInputError
        When the file is missing, is not valid YAML, or is not a mapping.
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"parameters file {path} does not exist")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ReportInputError(f"parameters file {path} is not valid YAML: {err}") from err
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ReportInputError(f"parameters file {path} must be a mapping of names to values, "
                               f"got {type(loaded).__name__}")
    return loaded


def _type_problem(name: str, value, default, where: str) -> str | None:
    expected = next((t for t in _TYPE_WORDS if isinstance(default, t)), None)  # bool before int
    if expected is None:
        return None
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if ok:
        return None
    return (f"{name} ({where}) must be a {_TYPE_WORDS[expected]} like its default {default!r}, "
            f"got {value!r} ({type(value).__name__})")


def split_targets(params: dict, source: str | Path = "parameters file") -> tuple[dict, dict[str, float]]:
    """Take ``targets:`` out of a parameters mapping and check it.

    Parameters
    ----------
    params : dict
        The parameters file's content.
    source : str or pathlib.Path
        The file, named in error messages.

    Returns
    -------
    tuple of (dict, dict)
        The parameters without ``targets`` and the targets (headline key to a number in the figure's
        unit, see :func:`cxlab.targets.parse_targets`).

    Raises
    ------
    ReportInputError
        Naming the file and each bad key: a target in a notebook's section, an unknown figure, a
        value that is not a number, of another unit, or outside its range.
    """
    rest = dict(params)
    found = [rest.pop(TARGETS)] if TARGETS in rest else []
    common = rest.get(COMMON_SECTION)
    if isinstance(common, dict) and TARGETS in common:
        rest[COMMON_SECTION] = {k: v for k, v in common.items() if k != TARGETS}
        found.append(common[TARGETS])
    problems = [f"{section}.{TARGETS}: targets hold for the whole report; set them at the top level"
                for section, values in rest.items()
                if section != COMMON_SECTION and isinstance(values, dict) and TARGETS in values]
    if len(found) > 1:
        problems.append(f"{TARGETS} is set twice (at the top level and under {COMMON_SECTION}); keep one")
    targets = {}
    try:
        targets = parse_targets(found[0] if found else None)
    except ValueError as err:
        problems.extend(str(err).splitlines())
    if problems:
        raise ReportInputError(f"invalid targets in {source}:\n  - " + "\n  - ".join(problems))
    return rest, targets


def resolve_parameters(params: dict, notebooks: list[ReportNotebook],
                       selected: list[ReportNotebook] | None = None, *,
                       source: str | Path = "parameters file") -> dict[str, dict]:
    """Check a parameters mapping against the notebooks and split it per notebook.

    Parameters
    ----------
    params : dict
        The parameters file's content (see the module docstring for its shapes).
    notebooks : list of ReportNotebook
        All report notebooks; names are checked against these, so a file written for the
        full report also works for a run of some notebooks.
    selected : list of ReportNotebook, optional
        The notebooks that will run (default: all).
    source : str or pathlib.Path
        The parameters file, named in messages about ``targets``.

    Returns
    -------
    dict
        Notebook name to the ``{parameter: value}`` it receives (only parameters it declares;
        integers given for float parameters become floats; the checked ``targets`` for every
        notebook that declares ``targets``).

    Raises
    ------
    ReportInputError
        Listing every problem: a name set by the run, a name no notebook declares (with the
        known names), a section for an unknown notebook, a parameter the notebook of its
        section does not declare, a value whose type differs from the default's, or a common
        (flat) name that notebooks declare with different defaults (it must go in a section); bad
        targets (see :func:`split_targets`).

    Examples
    --------
    >>> nb = ReportNotebook(Path("06_retention_economics.ipynb"), {"retention_lift": 0.05})
    >>> resolve_parameters({"retention_lift": 1}, [nb])
    {'06_retention_economics': {'retention_lift': 1.0}}
    """
    selected = notebooks if selected is None else selected
    params, targets = split_targets(params, source)
    problems: list[str] = []
    known = {name for nb in notebooks for name in nb.defaults} - set(SET_BY_RUN) - {TARGETS}
    common: dict = {}
    sections: dict[str, dict] = {}
    for key, value in params.items():
        key = str(key)
        section = next((nb for nb in notebooks if _matches(nb, key)), None)
        is_parameter = key in known or key in SET_BY_RUN
        if key == COMMON_SECTION or (section is not None and not is_parameter):
            if not isinstance(value, dict):
                problems.append(f"section {key!r} must be a mapping of parameter names to values")
            elif key == COMMON_SECTION:
                common.update({str(k): v for k, v in value.items()})
            else:
                sections.setdefault(section.name, {}).update({str(k): v for k, v in value.items()})
        elif isinstance(value, dict) and not is_parameter:
            problems.append(f"section {key!r} is neither {COMMON_SECTION!r} nor a report notebook "
                            f"({', '.join(nb.name for nb in notebooks)})")
        else:
            common[key] = value

    def check(name, value, nb_list, where):
        if name in SET_BY_RUN:
            problems.append(f"{name} ({where}) is set by the run: use --data for data_dir and --quarter "
                            f"for quarter; headlines_path is chosen by the run")
            return False
        if name in RENAMED and not any(name in nb.defaults for nb in nb_list):
            problems.append(f"{name} ({where}) is now called {RENAMED[name]}: rename it in the parameters file")
            return False
        if not any(name in nb.defaults for nb in nb_list):
            names = sorted({n for nb in nb_list for n in nb.defaults} - set(SET_BY_RUN))
            problems.append(f"unknown parameter {name!r} ({where}); known parameters: {', '.join(names)}")
            return False
        type_issues = {_type_problem(name, value, nb.defaults[name], where) for nb in nb_list
                       if name in nb.defaults} - {None}
        problems.extend(sorted(type_issues))
        return not type_issues

    for name in common:
        declaring = [nb for nb in notebooks if name in nb.defaults]
        if len({repr(nb.defaults[name]) for nb in declaring}) > 1:
            where = " and ".join(f"{nb.name} ({nb.defaults[name]!r})" for nb in declaring)
            problems.append(f"{name} means different things in {where}: set it in a notebook's section")
    valid_common = {name: value for name, value in common.items()
                    if check(name, value, notebooks, "parameters file")}
    valid_sections = {
        nb_name: {name: value for name, value in values.items()
                  if check(name, value, [nb for nb in notebooks if nb.name == nb_name], nb_name)}
        for nb_name, values in sections.items()
    }
    if problems:
        raise ReportInputError("invalid report parameters:\n  - " + "\n  - ".join(problems))

    resolved = {}
    for nb in selected:
        merged = {**valid_common, **valid_sections.get(nb.name, {})}
        resolved[nb.name] = {
            name: float(value) if isinstance(nb.defaults[name], float) and isinstance(value, int) else value
            for name, value in merged.items() if name in nb.defaults
        }
        if TARGETS in nb.defaults:
            resolved[nb.name][TARGETS] = targets
    return resolved


def check_quarter_label(quarter: str | None) -> None:
    """Raise :class:`ReportInputError` unless ``quarter`` is empty or looks like ``2026Q3``."""
    if quarter:
        try:
            parse_quarter(quarter)
        except ValueError as err:
            raise ReportInputError(str(err)) from err
