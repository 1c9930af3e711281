"""IBM Telco Customer Churn: a churn snapshot with tenure in months and a churn flag.

Source file ``WA_Fn-UseC_-Telco-Customer-Churn.csv`` (IBM sample data, also on Kaggle as
"Telco Customer Churn"; a fictional telco): 7,043 customers x 21 columns, CRLF line endings.

Mapping into ``customers`` (via :func:`cxlab.datasets.from_tenure_table`)
-------------------------------------------------------------------------
=====================  ==========================================================================
cxlab column           source
=====================  ==========================================================================
customer_id            ``customerID``
acquired_at            ``as_of`` minus ``tenure`` months (see ``from_tenure_table``)
churned_at             ``Churn`` = Yes: acquisition + tenure, i.e. on or just before ``as_of``
contract               ``Contract``: Month-to-month -> ``monthly``, One year -> ``annual``,
                       Two year -> ``two_year`` (the data model's contract names)
monthly_revenue        ``MonthlyCharges`` (currency units per month)
segment                ``InternetService``: ``Fiber optic``, ``DSL``, ``No internet service``
                       (the service line, the file's main product split)
region                 ``unknown`` (the file has no geography)
acquisition_channel    ``unknown`` (not in the file)
acquisition_cost       empty (not in the file; the column is nullable)
=====================  ==========================================================================

Every other source column is kept on the customers table under a snake_case name
(``gender``, ``senior_citizen``, ``partner``, ``dependents``, ``phone_service``, ...,
``payment_method``, ``total_charges``). They describe the customer *at the snapshot*, not at
acquisition: using them as covariates of a survival model looks ahead.

Assumptions and quirks
----------------------
* The file has no dates. Its as-of date is an explicit choice, :data:`DEFAULT_AS_OF`
  (2024-12-31, a quarter end, so a quarterly report covers the data); pass another with
  ``as_of=``. All calendar dates are relative to it; tenures are exact.
* The snapshot is taken to list churners of the recent past with their final tenure (the usual
  reading of this data set): churn dates fall in the days before ``as_of``, so churn can be
  analysed by tenure (survival curves, hazards) but not over calendar time.
* ``tenure`` 0 (11 customers, none churned): acquired less than a month before ``as_of``;
  censored at 0 months.
* ``TotalCharges`` is text and blank for those 11 customers: kept as an empty ``total_charges``
  (not dropped, and used for nothing essential).
* CRLF line endings and blanks around values are handled by the reader.
* No ``revenue`` table can be derived: ``TotalCharges`` is a lifetime sum and ``MonthlyCharges``
  the current charge, not a monthly billing history. No surveys or cases either.
"""

from __future__ import annotations

import pandas as pd

from cxlab.datasets.generic import check_tenure_table, from_tenure_table
from cxlab.datasets.source import SourceTables, combine_problems, problems, read_source_csv

__all__ = ["COLUMNS", "CONTRACTS", "DEFAULT_AS_OF", "EXTRA_COLUMNS", "SEGMENTS", "TELCO_FILE", "load_telco"]

TELCO_FILE = "WA_Fn-UseC_-Telco-Customer-Churn.csv"
DEFAULT_AS_OF = "2024-12-31"
CONTRACTS = {"Month-to-month": "monthly", "One year": "annual", "Two year": "two_year"}
SEGMENTS = {"Fiber optic": "Fiber optic", "DSL": "DSL", "No": "No internet service"}
# Source columns kept on the customers table, under the data model's snake_case style.
EXTRA_COLUMNS = {
    "gender": "gender", "SeniorCitizen": "senior_citizen", "Partner": "partner", "Dependents": "dependents",
    "PhoneService": "phone_service", "MultipleLines": "multiple_lines", "InternetService": "internet_service",
    "OnlineSecurity": "online_security", "OnlineBackup": "online_backup",
    "DeviceProtection": "device_protection", "TechSupport": "tech_support", "StreamingTV": "streaming_tv",
    "StreamingMovies": "streaming_movies", "PaperlessBilling": "paperless_billing",
    "PaymentMethod": "payment_method", "TotalCharges": "total_charges",
}
COLUMNS = ["customerID", "tenure", "Churn", "Contract", "MonthlyCharges", *EXTRA_COLUMNS]


def load_telco(path, *, as_of=DEFAULT_AS_OF) -> SourceTables:
    """Map the IBM Telco Customer Churn file into a ``customers`` table.

    See the module docstring for what each column became and every assumption.

    Parameters
    ----------
    path : str or pathlib.Path
        ``WA_Fn-UseC_-Telco-Customer-Churn.csv``.
    as_of : str or pandas.Timestamp, default "2024-12-31"
        The date the snapshot is taken to describe; the file itself has no dates.

    Returns
    -------
    SourceTables
        ``customers`` only (``surveys`` is None). Rows that cannot be mapped (empty or repeated
        customerID, tenure not a whole number >= 0, Churn not Yes/No, MonthlyCharges not a
        number >= 0, unknown Contract or InternetService) are left out and listed in ``rejected``.
    """
    raw = read_source_csv(path, expected_columns=COLUMNS, source_name="IBM Telco Customer Churn")
    tenure = pd.to_numeric(raw["tenure"], errors="coerce")
    found = check_tenure_table(raw, customer_id="customerID", tenure="tenure", churned="Churn",
                               monthly_revenue="MonthlyCharges")
    found = combine_problems([
        found,
        problems(tenure.notna() & (tenure % 1 != 0), "tenure", "must be a whole number of months",
                 raw["tenure"]),
        problems(~raw["Contract"].isin(list(CONTRACTS)), "Contract", f"must be one of {list(CONTRACTS)}",
                 raw["Contract"]),
        problems(~raw["InternetService"].isin(list(SEGMENTS)), "InternetService",
                 f"must be one of {list(SEGMENTS)}", raw["InternetService"]),
    ])
    valid = raw.drop(index=found["row"].unique() - 1).assign(
        contract=lambda d: d["Contract"].map(CONTRACTS),
        segment=lambda d: d["InternetService"].map(SEGMENTS),
        SeniorCitizen=lambda d: pd.to_numeric(d["SeniorCitizen"], errors="coerce"),
        TotalCharges=lambda d: pd.to_numeric(d["TotalCharges"], errors="coerce"),
    )
    customers = from_tenure_table(
        valid, customer_id="customerID", tenure="tenure", churned="Churn", as_of=as_of,
        segment="segment", contract="contract", monthly_revenue="MonthlyCharges", extra_columns=EXTRA_COLUMNS,
    )
    as_of = pd.Timestamp(as_of).normalize()
    return SourceTables(
        customers=customers, surveys=None, as_of=as_of, rows_read=len(raw), rejected=found,
        name="IBM Telco Customer Churn",
        description=("IBM sample churn snapshot of a fictional telco (one row per customer: tenure in "
                     "months, churn flag, contract, monthly charges, services). Dates derived from the "
                     f"explicit as-of date {as_of.date()}: acquired = as-of minus tenure; churners churned "
                     "at the end of their final tenure month, just before the as-of date."),
        notes=[
            f"The file has no dates; as-of date {as_of.date()} is a documented choice, not a fact of the "
            "data.",
            "acquired_at = as-of date minus tenure months (30.4375 days each), rounded down to the day.",
            "Churners (Churn = Yes) are taken to have churned at the end of their final tenure month, on or "
            "just before the as-of date: survival by tenure is exact, churn over calendar time is unknown.",
            "contract: Month-to-month -> monthly, One year -> annual, Two year -> two_year.",
            "segment = InternetService (Fiber optic, DSL, No internet service).",
            "monthly_revenue = MonthlyCharges; region and acquisition_channel are 'unknown'; "
            "acquisition_cost is empty.",
            "tenure 0 (acquired less than a month before the as-of date) is censored at 0 months.",
            "TotalCharges is kept as total_charges, empty where the file has a blank (tenure 0).",
            "Other source columns are kept in snake_case; they describe the customer at the snapshot, "
            "so they look ahead when used as covariates of a survival model.",
        ],
        not_in_source=["revenue", "surveys", "cases", "calendar_dates", "customers.region",
                       "customers.acquisition_channel", "customers.acquisition_cost"],
    )
