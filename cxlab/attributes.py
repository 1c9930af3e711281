"""The customer attributes a report can be broken down by (``cxlab report --by``), checked before anything runs.

An attribute is a column of the ``customers`` table that names groups of customers (``region``,
``segment``, ``contract``, ...): not an identifier, a date, an amount or the churn reason, not a
placeholder the data's source could not fill, with two to :data:`MAX_GROUPS` distinct values.
Customers without a value form the group :data:`NOT_RECORDED`. The report's drill-down
(:mod:`cxlab.drilldown`) uses these groups; this module imports nothing heavier than pandas, so the
command line checks ``--by`` at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.schema import ID_COLUMNS

__all__ = ["DrillDownError", "IDENTIFIERS", "MAX_GROUPS", "NOT_ATTRIBUTES", "NOT_RECORDED", "attributes",
           "check_attribute", "group_labels"]

MAX_GROUPS = 20
NOT_RECORDED = "not recorded"
IDENTIFIERS = tuple(ID_COLUMNS.values())
# customers columns that describe no group of customers: identifiers, dates, amounts, the churn outcome
NOT_ATTRIBUTES = (*IDENTIFIERS, "acquired_at", "churned_at", "monthly_revenue", "acquisition_cost", "churn_reason")


class DrillDownError(ValueError):
    """An attribute the report cannot be broken down by, with the reason and the attributes available."""


def attributes(customers: pd.DataFrame, gaps=frozenset()) -> list[str]:
    """The columns of the customers table a drill-down can group by, in table order.

    Parameters
    ----------
    customers : pandas.DataFrame
        The ``customers`` table.
    gaps : collection of str
        What the data's source could not provide (``"customers.region"``, ...; see
        :attr:`cxlab.availability.Availability.gaps`); such columns are placeholders.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a"], "region": ["North"], "monthly_revenue": [10.0]})
    >>> attributes(c)
    ['region']
    """
    return [c for c in customers.columns
            if c not in NOT_ATTRIBUTES and f"customers.{c}" not in gaps
            and not pd.api.types.is_numeric_dtype(customers[c])
            and not pd.api.types.is_datetime64_any_dtype(customers[c])
            and bool(customers[c].notna().any())]


def check_attribute(customers: pd.DataFrame, by: str, *, gaps=frozenset(), max_groups: int = MAX_GROUPS,
                    other_tables: dict | None = None) -> list[str]:
    """Check that the report can be broken down by a customer attribute; return its groups.

    Parameters
    ----------
    customers : pandas.DataFrame
        The ``customers`` table.
    by : str
        The attribute (a column of ``customers``).
    gaps : collection of str
        What the data's source could not provide (see :func:`attributes`).
    max_groups : int
        Most distinct values a drill-down shows.
    other_tables : dict of str to pandas.DataFrame, optional
        The other tables, to say so when ``by`` is a column of one of them (e.g. ``cases.team``).

    Returns
    -------
    list of str
        The groups, sorted (:data:`NOT_RECORDED` last when some customers have no value).

    Raises
    ------
    DrillDownError
        Naming the column and the attributes available: when ``customers`` has no such column
        (or it is an identifier, a date, a number or a placeholder of the source), when it has
        one value only, or more than ``max_groups``.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "region": ["North", "South"]})
    >>> check_attribute(c, "region")
    ['North', 'South']
    """
    available = attributes(customers, gaps)
    choose = f"customer attributes available: {', '.join(available) or 'none'}"
    if by not in customers.columns:
        elsewhere = [name for name, table in (other_tables or {}).items()
                     if table is not None and by in table.columns]
        where = (f"; {by!r} is a column of the {' and '.join(elsewhere)} table, not an attribute of customers"
                 if elsewhere else "")
        raise DrillDownError(f"cannot break the report down by {by!r}: the customers table has no column {by!r}"
                             f"{where}; {choose}")
    if by not in available:
        what = ("an identifier" if by in IDENTIFIERS else
                "not recorded by the data's source" if f"customers.{by}" in gaps else
                "a date" if pd.api.types.is_datetime64_any_dtype(customers[by]) else
                "a number" if pd.api.types.is_numeric_dtype(customers[by]) else
                "empty for every customer" if not customers[by].notna().any() else
                "an outcome or an amount, not a group of customers")
        raise DrillDownError(f"cannot break the report down by customers column {by!r}: it is {what}; {choose}")
    groups = group_labels(customers[by])
    levels = sorted(set(groups) - {NOT_RECORDED}) + ([NOT_RECORDED] if (groups == NOT_RECORDED).any() else [])
    if len(levels) < 2:
        raise DrillDownError(f"cannot break the report down by customers column {by!r}: every customer has the "
                             f"same value ({levels[0]!r}), so there is nothing to compare; {choose}")
    if len(levels) > max_groups:
        raise DrillDownError(f"cannot break the report down by customers column {by!r}: it has {len(levels)} "
                             f"distinct values, more than the {max_groups} groups a drill-down shows; choose an "
                             f"attribute with fewer values or group its values in the data; {choose}")
    return levels


def group_labels(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), NOT_RECORDED).astype(str).to_numpy()
