"""Safe display helpers for notebooks whose HTML is shared outside the team.

Customer free text is always HTML-escaped, customer identifiers are never shown and
groups smaller than a minimum size are suppressed. Use these helpers instead of
``Styler``, ``to_html(escape=False)``, ``Markdown(...)`` or ``HTML(...)`` on data.
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML, Markdown, display

__all__ = ["IDENTIFIER_COLUMNS", "SUPPRESSED", "section_unavailable", "suppress_small", "text_table"]

IDENTIFIER_COLUMNS = ("customer_id", "invitation_id", "case_id")
SUPPRESSED = "suppressed"


def text_table(df: pd.DataFrame, *, caption: str = "", max_rows: int = 50) -> HTML:
    """Render a table that may contain customer free text, escaping every cell.

    Identifier columns (customer_id, invitation_id, case_id) are removed.

    Parameters
    ----------
    df : pandas.DataFrame
        Table to show; not modified.
    caption : str
        Plain-text caption (escaped too).
    max_rows : int
        Show at most this many rows.

    Returns
    -------
    IPython.display.HTML
        An HTML table in which ``<script>`` in a comment appears as text.
    """
    shown = df.drop(columns=[c for c in IDENTIFIER_COLUMNS if c in df.columns]).head(max_rows)
    table = shown.to_html(index=False, escape=True, na_rep="", border=0, classes="cx-text-table")
    if caption:
        table = f"<p><em>{html.escape(caption)}</em></p>\n{table}"
    return HTML(table)


def suppress_small(df: pd.DataFrame, *, n_col: str, min_cell_size: int, value_cols: list[str]) -> pd.DataFrame:
    """Blank the estimates of rows whose group is smaller than ``min_cell_size``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per group with its size in ``n_col``.
    n_col : str
        Column holding the group size (responses, customers).
    min_cell_size : int
        Minimum size shown; smaller groups have ``value_cols`` set to missing.
    value_cols : list of str
        Columns to blank in small groups.

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column added.
    """
    missing = [c for c in [n_col, *value_cols] if c not in df.columns]
    if missing:
        raise ValueError(f"suppress_small: columns {missing} not in the table (have {list(df.columns)})")
    out = df.copy()
    small = out[n_col] < min_cell_size
    out[SUPPRESSED] = small
    out[value_cols] = out[value_cols].astype(float).mask(small)
    return out


def section_unavailable(missing: str) -> None:
    """Say in one plain sentence that a section is skipped because its input is absent.

    Parameters
    ----------
    missing : str
        What the data lacks, e.g. ``"survey responses"`` or ``"a revenue table"``.
    """
    display(Markdown(f"*This section is skipped: the data has no {html.escape(missing)}.*"))
