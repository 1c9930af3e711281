"""The cxlab data model: four tables and their pandera schemas.

A data folder holds one file per table (``<table>.csv``, ``<table>.csv.gz`` or
``<table>.parquet``). ``customers`` is required; ``revenue``, ``surveys`` and
``cases`` are optional. Column rules live here and nowhere else.

Tables
------
customers
    customer_id (unique), segment, region, acquisition_channel, acquired_at,
    churned_at (empty while active), contract (``monthly``/``annual``/...),
    monthly_revenue (currency units per month, >= 0; empty when unknown, e.g. for
    sources without revenue), acquisition_cost (currency units per customer, >= 0;
    empty when unknown). Optional: churn_reason (the reason a churner gave on the
    cancellation form or in the exit interview: a code such as ``price`` or free text;
    empty when not given).
revenue
    customer_id, month (first day of the billing month), amount (currency units).
surveys
    One row per survey invitation: invitation_id (unique), customer_id,
    touchpoint (``relationship`` for the relationship NPS survey, otherwise the
    journey touchpoint), channel, sent_at, responded_at (empty when the customer
    did not answer), nps (0-10), csat (1-5), ces (1-7), comment (free text).
    Optional score columns, for sources whose question is on another scale (never rescaled
    into ``nps`` or ``csat``): recommend5 (1-5 likelihood to recommend, 1 = extremely
    unlikely, 5 = extremely likely, as in the NHS Friends and Family Test; not NPS) and
    satisfied (0/1 flag of an overall satisfied / not satisfied answer). Empty where the
    question was not asked or not answered. Their rules are in :data:`OPTIONAL_COLUMNS`.
    A survey converted with a question catalogue (:mod:`cxlab.catalogue`) has one row per
    (response, question) with question_id (the catalogue's identifier) and score (the answer
    on that question's own declared scale, checked against the catalogue, never rescaled).
cases
    Follow-ups and service requests: case_id (unique), customer_id, kind
    (``detractor_followup``/``service_request``/``complaint``), opened_at,
    first_response_at, closed_at, sla_hours (promised hours to first response).
    Optional: invitation_id (the survey answer a follow-up responds to), team, reason (the
    complaint or request category: a code or free text).

The pandera schemas (:data:`CUSTOMERS`, :data:`REVENUE`, :data:`SURVEYS`, :data:`CASES`,
:data:`SCHEMAS`, :data:`OPTIONAL_COLUMNS`) are built when first used: a process that reads only
validated tables (a report kernel on the run's validated copy) never imports pandera, which took
0.4 s and 25 MB in each kernel.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["CASES", "CASE_KINDS", "CUSTOMERS", "DATE_COLUMNS", "DATE_ORDER", "ID_COLUMNS", "OPTIONAL_COLUMNS",
           "RELATIONSHIP", "REQUIRED_TABLES", "REVENUE", "SCHEMAS", "SURVEYS", "TABLES", "TEXT_COLUMNS",
           "TOUCHPOINTS", "optional_columns", "required_columns"]

TABLES = ("customers", "revenue", "surveys", "cases")
REQUIRED_TABLES = ("customers",)
CASE_KINDS = ("detractor_followup", "service_request", "complaint")
TOUCHPOINTS = (
    "sales",
    "onboarding",
    "delivery",
    "support",
    "field_service",
    "portal",
    "invoicing",
)
RELATIONSHIP = "relationship"

# Date columns per table, parsed on load and checked against the as-of date.
DATE_COLUMNS = {
    "customers": ("acquired_at", "churned_at"),
    "revenue": ("month",),
    "surveys": ("sent_at", "responded_at"),
    "cases": ("opened_at", "first_response_at", "closed_at"),
}
# Pairs (earlier, later) that must be in order where both are present.
DATE_ORDER = {
    "customers": (("acquired_at", "churned_at"),),
    "revenue": (),
    "surveys": (("sent_at", "responded_at"),),
    "cases": (("opened_at", "first_response_at"), ("opened_at", "closed_at")),
}
ID_COLUMNS = {"customers": "customer_id", "surveys": "invitation_id", "cases": "case_id"}
TEXT_COLUMNS = {"surveys": ("comment",)}

# The pandera schemas, given by the module's __getattr__ when first used
CUSTOMERS: pa.DataFrameSchema
REVENUE: pa.DataFrameSchema
SURVEYS: pa.DataFrameSchema
CASES: pa.DataFrameSchema
SCHEMAS: dict[str, pa.DataFrameSchema]
OPTIONAL_COLUMNS: dict[str, dict[str, pa.Column]]  # optional columns: checked when a table has them


def _date(nullable: bool) -> pa.Column:
    import pandera.pandas as pa

    return pa.Column("datetime64[ns]", nullable=nullable)


def _text(nullable: bool = False, **kwargs) -> pa.Column:
    import pandera.pandas as pa

    # Text is converted to str by cxlab.io before validation (vectorised); pandera's own str dtype
    # check tests every element in Python, which dominated loading time.
    checks = [] if nullable else [pa.Check(lambda s: s.ne(""), element_wise=False, error="must not be empty")]
    return pa.Column(None, checks=checks, nullable=nullable, **kwargs)


def _score(low: int, high: int, required: bool = True) -> pa.Column:
    import pandera.pandas as pa

    return pa.Column(
        "float64",
        checks=[pa.Check.in_range(low, high), pa.Check(lambda s: (s % 1 == 0), element_wise=False,
                                                       error=f"whole number from {low} to {high}")],
        nullable=True,
        coerce=True,
        required=required,
    )


@functools.cache
def _table_schemas() -> dict[str, pa.DataFrameSchema]:
    """The pandera schema of each table, built once."""
    import pandera.pandas as pa

    customers = pa.DataFrameSchema(
        {
            "customer_id": _text(unique=True),
            "segment": _text(),
            "region": _text(),
            "acquisition_channel": _text(),
            "acquired_at": _date(nullable=False),
            "churned_at": _date(nullable=True),
            "contract": _text(),
            "monthly_revenue": pa.Column("float64", pa.Check.ge(0), coerce=True, nullable=True),
            "acquisition_cost": pa.Column("float64", pa.Check.ge(0), coerce=True, nullable=True),
        },
        name="customers",
        strict=False,
    )
    revenue = pa.DataFrameSchema(
        {
            "customer_id": _text(),
            "month": _date(nullable=False),
            "amount": pa.Column("float64", coerce=True),
        },
        name="revenue",
        unique=["customer_id", "month"],
        strict=False,
    )
    surveys = pa.DataFrameSchema(
        {
            "invitation_id": _text(unique=True),
            "customer_id": _text(),
            "touchpoint": _text(),
            "channel": _text(),
            "sent_at": _date(nullable=False),
            "responded_at": _date(nullable=True),
            "nps": _score(0, 10),
            "csat": _score(1, 5),
            "ces": _score(1, 7),
            "comment": _text(nullable=True),
        },
        name="surveys",
        strict=False,
    )
    cases = pa.DataFrameSchema(
        {
            "case_id": _text(unique=True),
            "customer_id": _text(),
            "kind": pa.Column(None, pa.Check.isin(CASE_KINDS)),
            "opened_at": _date(nullable=False),
            "first_response_at": _date(nullable=True),
            "closed_at": _date(nullable=True),
            "sla_hours": pa.Column("float64", pa.Check.gt(0), coerce=True, nullable=True),
        },
        name="cases",
        strict=False,
    )
    return {"customers": customers, "revenue": revenue, "surveys": surveys, "cases": cases}


@functools.cache
def _optional_columns() -> dict[str, dict[str, pa.Column]]:
    """Optional columns: a table may have them, and they must follow these rules when present. Built once."""
    import pandera.pandas as pa

    return {
        "customers": {"churn_reason": _text(nullable=True, required=False)},
        "surveys": {"recommend5": _score(1, 5, required=False), "satisfied": _score(0, 1, required=False),
                    "question_id": _text(nullable=True, required=False),
                    "score": pa.Column("float64", nullable=True, coerce=True, required=False)},
        "cases": {"reason": _text(nullable=True, required=False)},
    }


def __getattr__(name: str):
    """The pandera schemas, built on first use (see the module docstring)."""
    if name == "SCHEMAS":
        return _table_schemas()
    if name == "OPTIONAL_COLUMNS":
        return _optional_columns()
    if name.isupper() and name.lower() in TABLES:  # CUSTOMERS, REVENUE, SURVEYS, CASES
        return _table_schemas()[name.lower()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def required_columns(table: str) -> list[str]:
    """Return the columns a table must have, in documented order.

    Parameters
    ----------
    table : str
        One of :data:`TABLES`.

    Returns
    -------
    list of str
    """
    return list(_table_schemas()[table].columns)


def optional_columns(table: str) -> list[str]:
    """Return the columns a table may have and that are checked when present.

    Parameters
    ----------
    table : str
        One of :data:`TABLES`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> optional_columns("surveys")
    ['recommend5', 'satisfied', 'question_id', 'score']
    >>> optional_columns("cases")
    ['reason']
    """
    return list(_optional_columns().get(table, {}))
