"""A wide survey export described by a YAML file: its columns (``export``) and its question catalogue.

``cxlab convert survey <export.csv> <folder> --catalogue survey.yaml`` reads the export, maps it
with :func:`cxlab.datasets.generic.from_wide_survey` and writes the catalogue next to the tables
as ``questions.yaml``. The YAML file holds the catalogue's ``questions`` (:mod:`cxlab.catalogue`)
and an ``export`` section naming the export's columns::

    export:
      respondent_id: id
      responded_at: answered        # or survey_date: 2019-08-22
      touchpoints: {Seat comfort: seat, Check-in: check_in}
      outcome: Overall              # optional; outcome_kind too when it is not declared
      columns: {Overall: overall}   # optional {column: question id}; default: columns named like an id
      not_applicable: [0]
      segment: Class
    questions:
      - {id: seat, label: Seat comfort, scale: [1, 100], top_box: [80, 100], bottom_box: [1, 40]}
      - {id: check_in, label: Check-in, scale: [1, 100], top_box: [80, 100], bottom_box: [1, 40]}
      - {id: overall, label: Overall satisfaction, preset: csat, role: overall}
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from cxlab.catalogue import Catalogue, catalogue_from_dict
from cxlab.datasets.generic import from_wide_survey
from cxlab.datasets.source import REJECTED_COLUMNS, SourceTables
from cxlab.periods import fieldwork_period

__all__ = ["EXPORT_OPTIONS", "NOT_IN_SOURCE", "load_survey_export", "read_survey_spec"]

EXPORT_OPTIONS = ("respondent_id", "touchpoints", "responded_at", "survey_date", "outcome", "outcome_kind",
                  "outcome_labels", "not_applicable", "comment", "channel", "segment", "region", "contract",
                  "extra_columns", "columns")
NOT_IN_SOURCE = ["revenue", "cases", "tenure", "churn", "customers.monthly_revenue", "customers.acquisition_cost",
                 "customers.acquisition_channel"]


def read_survey_spec(path) -> tuple[dict, Catalogue]:
    """Read a survey description: its ``export`` options and its catalogue.

    Parameters
    ----------
    path : str or pathlib.Path
        The YAML file.

    Returns
    -------
    (dict, Catalogue)
        Keyword arguments of :func:`~cxlab.datasets.generic.from_wide_survey` (``columns``
        becomes ``questions``) and the catalogue.

    Raises
    ------
    ValueError
        Naming the file, when the ``export`` section is missing or has unknown options, or the
        catalogue breaks a rule (:class:`cxlab.catalogue.CatalogueError`).
    """
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from None
    export = spec.get("export") if isinstance(spec, dict) else None
    if not isinstance(export, dict) or "respondent_id" not in export:
        raise ValueError(f"{path}: needs an 'export' section naming at least respondent_id and touchpoints "
                         f"(options: {list(EXPORT_OPTIONS)})")
    unknown = sorted(set(export) - set(EXPORT_OPTIONS))
    if unknown:
        raise ValueError(f"{path}: unknown export option(s) {unknown}; options are {list(EXPORT_OPTIONS)}")
    options = {key: value for key, value in export.items() if key != "columns"}
    options.setdefault("touchpoints", [])
    if "columns" in export:
        options["questions"] = export["columns"]
    return options, catalogue_from_dict(spec, where=str(path))


def load_survey_export(input_path, catalogue_path, *, as_of=None) -> tuple[SourceTables, Catalogue]:
    """Map a wide survey export described by a YAML file into the data model.

    Parameters
    ----------
    input_path : str or pathlib.Path
        The export (CSV, UTF-8; every cell read as text).
    catalogue_path : str or pathlib.Path
        The YAML description (see the module docstring).
    as_of : str or pandas.Timestamp, optional
        As-of date; default the day of the last answer. A one-off survey reported for the quarter
        it ran in takes that quarter's last day (e.g. ``2019-09-30`` for fieldwork in August 2019).

    Returns
    -------
    (SourceTables, Catalogue)

    Raises
    ------
    ValueError
        Naming the export file, for rows that cannot be mapped (the column, rule and rows, e.g.
        a value outside its question's declared scale) and for wrong options.
    """
    input_path = Path(input_path)
    options, catalogue = read_survey_spec(catalogue_path)
    frame = pd.read_csv(input_path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    try:
        customers, surveys = from_wide_survey(frame, catalogue=catalogue, **options)
    except ValueError as err:
        raise ValueError(f"{input_path.name}: {err}") from None
    last_answer = pd.Timestamp(surveys["responded_at"].max()).normalize()
    as_of = last_answer if as_of is None else pd.Timestamp(as_of).normalize()
    declared = int(surveys["question_id"].notna().sum()) if "question_id" in surveys.columns else 0
    try:
        quarter, end = fieldwork_period(surveys["responded_at"])
        period = (f" Fieldwork ran in {quarter}; to report that quarter before later data exist, convert with "
                  f"--as-of {end:%Y-%m-%d}.") if as_of < end else ""
    except ValueError:
        period = ""
    tables = SourceTables(
        customers=customers, surveys=surveys, as_of=as_of, rows_read=len(frame),
        rejected=pd.DataFrame(columns=REJECTED_COLUMNS), name=f"survey export {input_path.name}",
        description=(f"A wide survey export, one row per respondent, mapped with its question catalogue "
                     f"({len(catalogue)} declared questions; answers kept on their own scales)."),
        notes=[f"{declared:,} answers to declared questions carry question_id and score on the question's scale.",
               "Each respondent is a customer acquired on the day of the answer; churn and revenue are unknown.",
               f"Answers from {surveys['responded_at'].min():%Y-%m-%d} to {last_answer:%Y-%m-%d}; as of "
               f"{as_of:%Y-%m-%d}.{period}"],
        not_in_source=list(NOT_IN_SOURCE),
    )
    return tables, catalogue
