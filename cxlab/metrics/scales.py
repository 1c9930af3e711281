"""Scales, defaults and input checks of the survey metrics (see :mod:`cxlab.metrics`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CES_SCALE", "CSAT_SCALE", "DEFAULT_CLUSTER_COL", "DEFAULT_MIN_CELL_SIZE", "DEFAULT_RESAMPLES",
           "LOW_EFFORT_SCORES", "NPS_METHODS", "NPS_SCALE", "PASSIVE_SCORES", "PROMOTER_SCORES", "SATISFIED_SCORES"]

NPS_METHODS = ("adjusted_wald", "wald", "bootstrap")
NPS_SCALE = (0, 10)
CSAT_SCALE = (1, 5)
CES_SCALE = (1, 7)
PROMOTER_SCORES = (9, 10)
PASSIVE_SCORES = (7, 8)
SATISFIED_SCORES = (4, 5)
# CES scale as documented by cxlab.synth (truth["ces_scale"]): 1 = very easy ... 7 = very difficult,
# so lower is better and "low effort" is 1-2.
LOW_EFFORT_SCORES = (1, 2)
DEFAULT_RESAMPLES = 10_000
DEFAULT_MIN_CELL_SIZE = 30
# Column of customer ids whose answers are clustered by default in the grouped tables.
DEFAULT_CLUSTER_COL = "customer_id"


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check_level(level: float) -> float:
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a confidence level between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def _check_method(method: str) -> str:
    if method not in NPS_METHODS:
        raise ValueError(f"method must be one of {NPS_METHODS}; got {method!r}")
    return method


def _check_resamples(n_resamples: int) -> int:
    if int(n_resamples) != n_resamples or n_resamples < 100:
        raise ValueError(f"n_resamples must be a whole number of at least 100; got {n_resamples!r}")
    return int(n_resamples)


def _check_subset(scores: tuple, scale: tuple[int, int], name: str) -> tuple[int, ...]:
    values = tuple(int(s) for s in scores)
    if not values or any(s < scale[0] or s > scale[1] for s in values) or len(set(values)) != len(values):
        raise ValueError(f"{name} must be distinct scores from {scale[0]} to {scale[1]}; got {scores!r}")
    return tuple(sorted(values))


def _valid_scores(scores, scale: tuple[int, int], name: str, clusters=None):
    """Return the non-missing scores as floats, or raise ValueError naming the bad values.

    With ``clusters`` (one id per score), return the scores and the ids of the non-missing scores.
    """
    if isinstance(scores, pd.Series | pd.Index):
        try:
            values = scores.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} scores must be numbers from {scale[0]} to {scale[1]}; "
                             f"got dtype {scores.dtype}") from err
    else:
        try:
            values = np.asarray(scores, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} scores must be numbers from {scale[0]} to {scale[1]}") from err
    values = values.ravel()
    if clusters is not None:
        clusters = np.asarray(clusters).ravel()
        if len(clusters) != len(values):
            raise ValueError(f"clusters must give one customer id per {name} score; got {len(clusters)} ids "
                             f"for {len(values)} scores")
        clusters = clusters[~np.isnan(values)]
    values = values[~np.isnan(values)]
    with np.errstate(invalid="ignore"):
        bad = (values < scale[0]) | (values > scale[1]) | (values % 1 != 0)
    if bad.any():
        examples = np.unique(values[bad])[:5].tolist()
        raise ValueError(f"{name} scores must be whole numbers from {scale[0]} to {scale[1]} "
                         f"(missing = no response); got {int(bad.sum())} invalid value(s), e.g. {examples}")
    return values if clusters is None else (values, clusters)


def _check_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not in the table (have {list(df.columns)})")


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)
