"""The loaded surveys table behind the same survey queries the engine answers.

A report page either loads the surveys table or queries it (:attr:`cxlab.sections.ReportContext.queried`).
:meth:`cxlab.sections.ReportContext.from_surveys` asks :class:`LoadedSurveys` or the engine
(:class:`cxlab.engine.Engine`) by the same method name and arguments, and both give the same rows in
the same order; the sections do not know which one answered.
"""

from __future__ import annotations

import pandas as pd

from cxlab import nonresponse
from cxlab.answer_order import by_answer_time
from cxlab.schema import RELATIONSHIP

__all__ = ["LoadedSurveys"]


class LoadedSurveys:
    """Survey queries answered by pandas from a loaded surveys table.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    customers : pandas.DataFrame
        The ``customers`` table, for cells of customer columns.
    """

    def __init__(self, surveys: pd.DataFrame, customers: pd.DataFrame):
        self.surveys = surveys
        self.customers = customers

    def answered_rows(self, columns, *, touchpoints=None) -> pd.DataFrame:
        """As :meth:`cxlab.engine.Engine.answered_rows`: the answered rows, ordered by time and then id."""
        present = [c for c in dict.fromkeys(["invitation_id", "responded_at", *columns]) if c in self.surveys.columns]
        keep = self.surveys["responded_at"].notna()
        if touchpoints is not None:
            keep &= self.surveys["touchpoint"].isin([touchpoints] if isinstance(touchpoints, str) else touchpoints)
        return by_answer_time(self.surveys.loc[keep, present]).reset_index(drop=True)

    def response_counts(self, by: str, *, as_of, response_window_days: int = 7) -> pd.DataFrame:
        """:func:`cxlab.nonresponse.response_counts`, as :meth:`cxlab.engine.Engine.response_counts` counts them."""
        return nonresponse.response_counts(self.surveys, as_of=as_of, by=by, customers=self.customers,
                                           response_window_days=response_window_days)

    def first_invitations(self, *, as_of, touchpoint: str = RELATIONSHIP, response_window_days: int = 7
                          ) -> pd.DataFrame:
        """:func:`cxlab.nonresponse.first_invitations`."""
        return nonresponse.first_invitations(self.surveys, as_of=as_of, touchpoint=touchpoint,
                                             response_window_days=response_window_days)

    def invitation_history(self, *, as_of, touchpoint: str = RELATIONSHIP, response_window_days: int = 7,
                           recent_days: int = 180, sent_after=None) -> pd.DataFrame:
        """:func:`cxlab.nonresponse.invitation_history`."""
        return nonresponse.invitation_history(self.surveys, as_of=as_of, touchpoint=touchpoint,
                                              response_window_days=response_window_days, recent_days=recent_days,
                                              sent_after=sent_after)
