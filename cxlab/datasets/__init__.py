"""Datasets: the demo world and adapters that map real exports into the cxlab data model.

* :func:`load_demo` / :func:`demo_path`: the simulated demo world in ``data/demo/``.
* :func:`from_tenure_table`, :func:`from_wide_survey`: your own tenure snapshots and wide
  survey exports (with :func:`check_tenure_table`, :func:`check_wide_survey` to list every
  row that cannot be mapped).
* :func:`load_telco`, :func:`load_airline`, :func:`load_fft`: public data sets (IBM Telco
  Customer Churn, Airline Passenger Satisfaction, NHS Friends and Family Test), and
  :func:`convert` to write any of them as a data folder (``cxlab convert``);
  :func:`not_in_source` tells what such a folder's source could not provide.
"""

from cxlab.datasets.airline import load_airline
from cxlab.datasets.convert import ADAPTERS, SOURCE_FILES, Conversion, convert, not_in_source
from cxlab.datasets.demo import demo_path, load_demo
from cxlab.datasets.fft import load_fft
from cxlab.datasets.generic import (
    SurveyTables,
    check_tenure_table,
    check_wide_survey,
    from_tenure_table,
    from_wide_survey,
    parse_flags,
)
from cxlab.datasets.source import SourceTables
from cxlab.datasets.telco import load_telco

__all__ = [
    "ADAPTERS",
    "SOURCE_FILES",
    "Conversion",
    "SourceTables",
    "SurveyTables",
    "check_tenure_table",
    "check_wide_survey",
    "convert",
    "demo_path",
    "from_tenure_table",
    "from_wide_survey",
    "load_airline",
    "load_demo",
    "load_fft",
    "load_telco",
    "not_in_source",
    "parse_flags",
]
