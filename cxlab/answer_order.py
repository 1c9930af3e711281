"""The order in which cxlab reads survey answers: by ``responded_at``, then by ``invitation_id``.

Analyses that take a customer's latest answer need a rule for answers given at the same instant.
Reading the answers in this order makes the larger invitation id the later answer, whatever the
order of the rows in the file, and makes a table loaded by pandas and the rows an engine returns
(:meth:`cxlab.engine.Engine.answered_rows`) give the same results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["by_answer_time", "in_answer_order"]


def in_answer_order(frame: pd.DataFrame) -> bool:
    """Whether the rows are in the order of ``responded_at`` and then ``invitation_id``.

    Checked without sorting (a sort on text ids takes seconds per million rows): the times must
    not decrease, and only the ids of rows at the same instant are compared.

    Examples
    --------
    >>> rows = pd.DataFrame({"responded_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
    ...                      "invitation_id": ["i2", "i1"]})
    >>> in_answer_order(rows), in_answer_order(rows.iloc[::-1])
    (False, True)
    """
    times = frame["responded_at"].to_numpy()
    if not (times[1:] >= times[:-1]).all():
        return False
    tied = np.flatnonzero(times[1:] == times[:-1])
    ids = frame["invitation_id"]
    return bool((ids.take(tied + 1).to_numpy(dtype=object) > ids.take(tied).to_numpy(dtype=object)).all())


def by_answer_time(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in the order of ``responded_at`` and then ``invitation_id`` (the frame itself when they already are).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``responded_at`` (no missing values) and ``invitation_id``; not modified.

    Returns
    -------
    pandas.DataFrame
        The same rows, index included.
    """
    if in_answer_order(frame):
        return frame
    return frame.sort_values(["responded_at", "invitation_id"], kind="stable")
