"""What the loaded data allow: which analyses can run and, when one cannot, why in one sentence.

Every report section asks here instead of testing tables and columns itself, so a folder
without revenue, surveys or churn history gets the same plain reason everywhere.

A data folder written by :func:`cxlab.datasets.convert` records in its ``meta.json`` what its
source could not provide (``{"source": {"not_in_source": [...]}}``): tables, ``"<table>.<column>"``
placeholders and the gaps ``"calendar_dates"``, ``"tenure"``, ``"churn"``, ``"customer_identity"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxlab.schema import RELATIONSHIP

__all__ = ["ANALYSES", "NO_HISTORY", "Availability", "availability", "not_in_source"]

NO_HISTORY = "record of when customers joined and left (its source records no tenure or churn)"

ANALYSES = {
    "tenure": "how long customers stay (tenure and churn history)",
    "churn": "churn events (at least one customer has left)",
    "revenue": "revenue per customer and month",
    "surveys": "survey invitations and answers",
    "relationship_nps": "relationship NPS answers",
    "cases": "cases (detractor follow-ups, service requests, complaints)",
    "acquisition_costs": "acquisition costs of customers",
    "monthly_revenue": "the monthly revenue of customers",
    "monthly_revenue_every_customer": "the monthly revenue of every customer (lifetime values and the lift's worth)",
}


def not_in_source(folder) -> frozenset[str]:
    """What the source of a data folder could not provide (empty for folders not converted).

    Parameters
    ----------
    folder : str or pathlib.Path
        A data folder.

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> not_in_source(demo_path())
    frozenset()
    """
    meta = Path(folder) / "meta.json"
    source = json.loads(meta.read_text(encoding="utf-8")).get("source") if meta.is_file() else None
    return frozenset(source.get("not_in_source", [])) if isinstance(source, dict) else frozenset()


@dataclass(frozen=True)
class Availability:
    """Which analyses the data allow, with the reason for each one that it does not.

    Attributes
    ----------
    reasons : dict of str to str or None
        For each analysis of :data:`ANALYSES`, None when possible, else what the data lack
        ("a revenue table", ...).
    gaps : frozenset of str
        What the data's source could not provide (:func:`not_in_source`).
    """

    reasons: dict[str, str | None]
    gaps: frozenset = frozenset()

    def allows(self, *analyses: str) -> bool:
        """True when every named analysis is possible."""
        return all(self._reason(name) is None for name in analyses)

    def why_not(self, *analyses: str) -> str:
        """One plain sentence saying why the first impossible analysis cannot run ("" if all can)."""
        for name in analyses:
            reason = self._reason(name)
            if reason is not None:
                return f"the data has no {reason}"
        return ""

    def _reason(self, name: str) -> str | None:
        if name not in self.reasons:
            raise ValueError(f"unknown analysis {name!r}; known: {sorted(self.reasons)}")
        return self.reasons[name]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per analysis: what it needs, whether it is possible and why not."""
        return pd.DataFrame([{"analysis": name, "needs": ANALYSES[name], "possible": reason is None,
                              "why not": "" if reason is None else f"the data has no {reason}"}
                             for name, reason in self.reasons.items()])


def availability(data, *, queried=(), relationship_answers: bool | None = None) -> Availability:
    """Work out which analyses the loaded data allow.

    Parameters
    ----------
    data : cxlab.io.CXData
        Loaded data (``customers`` required; ``revenue``, ``surveys``, ``cases`` may be None).
    queried : collection of str
        Tables of the data folder read through an engine (:mod:`cxlab.engine`) rather than
        loaded: present, though ``data`` holds None for them.
    relationship_answers : bool, optional
        Whether the relationship survey has NPS answers, when the surveys are queried (the
        engine counts them); otherwise the loaded surveys table tells.

    Returns
    -------
    Availability

    Examples
    --------
    >>> from cxlab.datasets import load_demo
    >>> availability(load_demo()).allows("tenure", "churn", "revenue", "surveys", "cases")
    True
    """
    gaps = not_in_source(data.source) if getattr(data, "source", None) is not None else frozenset()
    customers = data.customers
    has_history = not {"tenure", "churn"} & gaps
    surveys = data.surveys
    relationship = (bool(relationship_answers) if surveys is None and "surveys" in queried else
                    surveys is not None and "nps" in surveys.columns
                    and bool(((surveys["touchpoint"] == RELATIONSHIP) & surveys["nps"].notna()).any()))

    def present(table: str) -> bool:
        return getattr(data, table) is not None or table in queried

    def column_known(column: str) -> bool:
        return (column in customers.columns and f"customers.{column}" not in gaps
                and bool(customers[column].notna().any()))

    reasons = {
        "tenure": None if has_history else NO_HISTORY,
        "churn": (NO_HISTORY if not has_history else
                  None if customers["churned_at"].notna().any() else "churned customers (no customer has left yet)"),
        "revenue": None if present("revenue") and "revenue" not in gaps else "revenue table",
        "surveys": None if present("surveys") else "surveys table",
        "relationship_nps": (None if relationship else
                             "surveys table" if not present("surveys") else "answers to the relationship NPS survey"),
        "cases": None if present("cases") else "cases table",
        "acquisition_costs": None if column_known("acquisition_cost") else "acquisition costs of customers",
        "monthly_revenue": None if column_known("monthly_revenue") else "monthly revenue of customers",
        "monthly_revenue_every_customer": (None if column_known("monthly_revenue")
                                           and bool(customers["monthly_revenue"].notna().all())
                                           else "monthly revenue for every customer"),
    }
    return Availability(reasons, gaps)
