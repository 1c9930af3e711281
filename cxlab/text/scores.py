"""What themes mean for scores: who mentions them, how much they move NPS, where and when they appear.

All functions take a *theme frame*: one row per answered comment with the columns named in
each function plus one boolean column per theme (``mentions``). :func:`theme_frame` builds it
from a ``surveys`` table and a fitted :class:`cxlab.text.ThemeModel`, keeping only answers
known by the end of the as-of day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from cxlab.least_squares import robust_ols_on_patterns
from cxlab.metrics import wilson_interval
from cxlab.patterns import first_rows, identical_rows
from cxlab.periods import known_by, quarter_labels

__all__ = ["theme_frame", "theme_shares_by_category", "theme_impact", "theme_by_touchpoint", "theme_trends",
           "nps_category"]

CATEGORIES = ("detractor", "passive", "promoter")


def nps_category(nps) -> pd.Series:
    """``detractor`` (0-6), ``passive`` (7-8), ``promoter`` (9-10); missing stays missing.

    Examples
    --------
    >>> nps_category([3, 7, 10, None]).tolist()
    ['detractor', 'passive', 'promoter', None]
    """
    s = pd.Series(nps, dtype=float)
    out = np.where(s >= 9, "promoter", np.where(s >= 7, "passive", "detractor")).astype(object)
    return pd.Series(np.where(s.isna(), None, out), index=s.index, dtype=object)


def theme_frame(surveys: pd.DataFrame, model, *, as_of, comment_col: str = "comment",
                responded_col: str = "responded_at") -> pd.DataFrame:
    """Answered comments known by the as-of date with their theme mentions.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    model : cxlab.text.ThemeModel
        Fitted themes (the comments are assigned, not refitted).
    as_of : str or pandas.Timestamp
        Answers given after the end of this day are left out.
    comment_col, responded_col : str

    Returns
    -------
    pandas.DataFrame
        The surveys columns of the kept rows plus ``quarter`` (of the answer), ``category``
        (NPS category where ``nps`` is present), ``theme`` (the first theme mentioned, -1 none)
        and one boolean column per theme id.
    """
    for col in (comment_col, responded_col):
        if col not in surveys.columns:
            raise ValueError(f"surveys has no column {col!r}")
    keep = known_by(surveys[responded_col], as_of=as_of) & surveys[comment_col].notna()
    rows = surveys.loc[keep].copy()
    rows = rows[rows[comment_col].astype(str).str.strip().ne("")]
    mentions = model.mentions(rows[comment_col])
    out = rows.reset_index(drop=True)
    out["quarter"] = quarter_labels(out[responded_col])
    out["category"] = nps_category(out["nps"]) if "nps" in out.columns else None
    mentions = mentions.reset_index(drop=True)
    flags = mentions.to_numpy(dtype=bool)
    ids = mentions.columns.to_numpy()
    out["theme"] = np.where(flags.any(axis=1), ids[flags.argmax(axis=1)], -1) if flags.shape[1] else -1
    return pd.concat([out, mentions], axis=1)


def _themes(frame: pd.DataFrame, themes) -> list:
    themes = list(themes)
    missing = [t for t in themes if t not in frame.columns]
    if missing:
        raise ValueError(f"the theme frame has no mention column for themes {missing}")
    return themes


def theme_shares_by_category(frame: pd.DataFrame, themes, *, category_col: str = "category",
                             level: float = 0.95) -> pd.DataFrame:
    """Share of each category's comments that mention each theme, with Wilson intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        A theme frame.
    themes : sequence
        Theme columns.
    category_col : str
        The group column (e.g. NPS category).
    level : float

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``category``, ``n`` (comments in the category), ``mentions``, ``share``,
        ``ci_low``, ``ci_high`` (fractions).
    """
    themes = _themes(frame, themes)
    data = frame[frame[category_col].notna()]
    counts = data.groupby(category_col)[themes].agg(["sum", "size"])
    rows = []
    for theme in themes:
        hits = counts[(theme, "sum")].to_numpy(float)
        n = counts[(theme, "size")].to_numpy(float)
        low, high = wilson_interval(hits, n, level)
        rows.append(pd.DataFrame({"theme": theme, "category": counts.index, "n": n.astype(int),
                                  "mentions": hits.astype(int), "share": hits / np.where(n > 0, n, np.nan),
                                  "ci_low": low, "ci_high": high}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def theme_impact(frame: pd.DataFrame, themes, *, score_col: str = "nps", cluster_col: str | None = "customer_id",
                 level: float = 0.95) -> pd.DataFrame:
    """NPS points that go with mentioning each theme: least squares of 100 x (promoter - detractor).

    Each answer's NPS contribution (+100 promoter, 0 passive, -100 detractor) is regressed on
    all theme flags at once (with an intercept), so a theme's coefficient is the NPS
    difference between answers that mention it and otherwise similar answers that do not.
    Standard errors are cluster-robust by customer (answers of one customer are not
    independent).

    Parameters
    ----------
    frame : pandas.DataFrame
        A theme frame.
    themes : sequence
        Theme columns.
    score_col : str
        The 0-10 NPS column; rows without it are left out.
    cluster_col : str or None
        Cluster column for the standard errors (None: heteroskedasticity-robust HC1).
    level : float

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``nps_points``, ``ci_low``, ``ci_high``, ``p``, ``mentions``, ``n``; themes never
        mentioned among the scored answers are left out.
    """
    themes = _themes(frame, themes)
    clustered = cluster_col is not None and cluster_col in frame.columns
    scored = frame[score_col].notna().to_numpy()
    score = frame[score_col].to_numpy(float)[scored]
    y = 100.0 * ((score >= 9).astype(float) - (score <= 6).astype(float))
    flags = {t: frame[t].to_numpy(bool)[scored] for t in themes}
    mentions = {t: int(f.sum()) for t, f in flags.items()}
    used = [t for t in themes if mentions[t] > 0]
    if not used or len(y) <= len(used) + 1:
        return pd.DataFrame(columns=["theme", "nps_points", "ci_low", "ci_high", "p", "mentions", "n"])
    # the design is 0/1 flags: fitted on its distinct rows, never as a float matrix of every comment
    pattern = identical_rows([flags[t] for t in used], len(y))
    first = first_rows(pattern)
    patterns = np.column_stack([np.ones(len(first)), *(flags[t][first] for t in used)])
    fit = robust_ols_on_patterns(y, patterns, pattern, level=level,
                                 groups=frame[cluster_col][scored] if clustered else None)
    return pd.DataFrame({"theme": used, "nps_points": fit.params[1:], "ci_low": fit.ci_low[1:],
                         "ci_high": fit.ci_high[1:], "p": fit.pvalues[1:],
                         "mentions": [mentions[t] for t in used], "n": len(y)})


def theme_by_touchpoint(frame: pd.DataFrame, themes, *, touchpoint_col: str = "touchpoint") -> pd.DataFrame:
    """Share of each touchpoint's comments that mention each theme.

    Parameters
    ----------
    frame : pandas.DataFrame
    themes : sequence
    touchpoint_col : str

    Returns
    -------
    pandas.DataFrame
        Rows: touchpoints; columns: ``n`` (comments) and one share column per theme.
    """
    themes = _themes(frame, themes)
    grouped = frame.groupby(touchpoint_col)
    shares = grouped[themes].mean()
    shares.insert(0, "n", grouped.size())
    return shares


def theme_trends(frame: pd.DataFrame, themes, *, quarter: str, baseline_quarters: int = 4,
                 fdr: float = 0.05) -> pd.DataFrame:
    """Emerging and fading themes: the quarter's share against the previous quarters', FDR-controlled.

    For each theme, the share of the quarter's comments that mention it is compared with its
    share in the ``baseline_quarters`` quarters before (two-proportion z-test); the p-values of
    all themes are adjusted together with Benjamini-Hochberg, and a theme is ``emerging``
    (``fading``) when its share rose (fell) and the adjusted p-value is below ``fdr``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A theme frame with ``quarter``.
    themes : sequence
    quarter : str
        The quarter examined (``"2026Q3"``).
    baseline_quarters : int
    fdr : float

    Returns
    -------
    pandas.DataFrame
        ``theme``, ``share`` (the quarter), ``baseline_share``, ``change`` (share points, as a
        fraction), ``p``, ``p_adjusted``, ``trend`` (``emerging``, ``fading`` or ``steady``),
        ``n``, ``baseline_n``; plus ``by_quarter`` in ``attrs`` (share per quarter and theme).
    """
    themes = _themes(frame, themes)
    q = pd.Period(quarter, freq="Q")
    # each distinct quarter label is parsed once; a missing label (code -1) takes the appended False
    codes, labels = pd.factorize(frame["quarter"])
    period = pd.PeriodIndex(labels, freq="Q")
    now = frame[np.append(period == q, False)[codes]]
    before = frame[np.append((period < q) & (period >= q - baseline_quarters), False)[codes]]
    n1, n0 = len(now), len(before)
    x1 = now[themes].sum().to_numpy(float)
    x0 = before[themes].sum().to_numpy(float)
    p1 = x1 / n1 if n1 else np.full(len(themes), np.nan)
    p0 = x0 / n0 if n0 else np.full(len(themes), np.nan)
    pooled = (x1 + x0) / max(n1 + n0, 1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / max(n1, 1) + 1 / max(n0, 1)))
    z = np.divide(p1 - p0, se, out=np.zeros(len(themes)), where=se > 0)
    p = np.where(np.isfinite(z) & (n1 > 0) & (n0 > 0), 2 * norm.sf(np.abs(z)), 1.0)
    adjusted = multipletests(p, method="fdr_bh")[1] if len(p) else p
    trend = np.where(adjusted < fdr, np.where(p1 > p0, "emerging", "fading"), "steady")
    out = pd.DataFrame({"theme": themes, "share": p1, "baseline_share": p0, "change": p1 - p0, "p": p,
                        "p_adjusted": adjusted, "trend": trend, "n": n1, "baseline_n": n0})
    out.attrs["by_quarter"] = frame.groupby("quarter")[themes].mean()
    return out
