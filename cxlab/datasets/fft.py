"""NHS Friends and Family Test (FFT): timestamped 5-point recommend answers with comments.

Source file ``nhs_fft_gp_practices_2023_2024.csv``: 3,882 responses to the FFT at 11 London GP
practices, 2023-07-13 to 2024-04-05, one row per response, collected and published by the
author of the source repository (who also added sentiment and topic columns).

The FFT question is "How likely are you to recommend our GP practice to friends and family?"
answered on a **5-point scale**: Extremely likely, Likely, Neither likely nor unlikely,
Unlikely, Extremely unlikely, plus "Don't know". It is not the 0-10 NPS question, so it goes
into the optional ``recommend5`` column (5 = extremely likely ... 1 = extremely unlikely), never
into ``nps``. Its usual headline is the share answering "extremely likely" or "likely".

Mapping (via :func:`cxlab.datasets.from_wide_survey`, no touchpoint columns)
---------------------------------------------------------------------------
* ``surveys``: one ``relationship`` row per response; ``responded_at`` = ``sent_at`` = ``time``
  (the invitation time is not in the file, so response rates cannot be computed);
  ``recommend5`` from ``rating`` (checked against the file's ``rating_score``, 1-5; a row where
  the two disagree is rejected); **"Don't know" is not a score**: the response is kept with an
  empty ``recommend5`` (its ``rating_score`` is blank in the file); ``comment`` = ``free_text``,
  followed by ``do_better`` (the answer to "what could we do better?") prefixed
  "Could do better: " when present; ``channel`` = ``unknown``. Person names had already been
  replaced by the token ``PERSON`` in the source.
* ``customers``: responses are anonymous and cannot be linked to a patient, so each response is
  its own pseudo-customer (``customer_id`` = ``fft-<row>``, the 1-based row of the file), with
  ``segment`` = the practice (``surgery``), ``acquired_at`` = the day of the response, no churn
  (a survey says nothing about it), region, contract and acquisition channel ``unknown``,
  monthly revenue and acquisition cost empty. Counting customers or
  tenures on this table is meaningless; counting responses per practice is not.
* Left out: the source author's derived columns (sentiment labels and scores, text lengths,
  ``feedback_labels``, ``improvement_labels``), which are not part of the FFT answers.
* as-of date: the day of the last response unless given; responses after a given as-of date
  are rejected (listed with that reason).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.datasets.generic import check_wide_survey, from_wide_survey
from cxlab.datasets.source import SourceTables, combine_problems, problems, read_source_csv

__all__ = ["COLUMNS", "DO_BETTER_PREFIX", "FFT_FILE", "RATING_SCORES", "load_fft"]

FFT_FILE = "nhs_fft_gp_practices_2023_2024.csv"
# FFT answer -> recommend5 score; "Don't know" is an answer without a score.
RATING_SCORES = {
    "Extremely likely": 5,
    "Likely": 4,
    "Neither likely nor unlikely": 3,
    "Unlikely": 2,
    "Extremely unlikely": 1,
    "Don't know": None,
    "Don\u2019t know": None,
}
DO_BETTER_PREFIX = "Could do better: "
COLUMNS = ["time", "rating", "rating_score", "free_text", "do_better", "surgery"]


def _comments(free_text: pd.Series, do_better: pd.Series) -> pd.Series:
    """``free_text``, then ``do_better`` prefixed; empty when both are empty."""
    better = (DO_BETTER_PREFIX + do_better).where(do_better.notna())
    both = free_text.notna() & better.notna()
    return free_text.fillna(better).where(~both, free_text + "\n" + better)


def load_fft(path, *, as_of=None) -> SourceTables:
    """Map the NHS Friends and Family Test file into ``surveys`` and pseudo-``customers``.

    See the module docstring for what each column became and every assumption.

    Parameters
    ----------
    path : str or pathlib.Path
        ``nhs_fft_gp_practices_2023_2024.csv``.
    as_of : str or pandas.Timestamp, optional
        The as-of date; default the day of the last response. Later responses are rejected.

    Returns
    -------
    SourceTables
        Rows that cannot be mapped (time not a date, an unknown rating label, ``rating_score``
        not matching the label, a response after ``as_of``) are left out and listed in ``rejected``.
    """
    raw = read_source_csv(path, expected_columns=COLUMNS, source_name="NHS Friends and Family Test")
    raw = raw.assign(respondent=[f"fft-{i:05d}" for i in range(1, len(raw) + 1)],
                     comment=_comments(raw["free_text"], raw["do_better"]))
    survey = {"respondent_id": "respondent", "touchpoints": [], "responded_at": "time", "outcome": "rating",
              "outcome_kind": "recommend5", "outcome_labels": RATING_SCORES}
    found = [check_wide_survey(raw, **survey)]

    expected = raw["rating"].map({k: np.nan if v is None else float(v) for k, v in RATING_SCORES.items()})
    recorded = pd.to_numeric(raw["rating_score"], errors="coerce")
    agree = (expected == recorded) | (expected.isna() & recorded.isna())
    found.append(problems(raw["rating"].isin(list(RATING_SCORES)) & ~agree, "rating_score",
                          "must match the rating label's score (blank for Don't know)", raw["rating_score"]))
    responded = pd.to_datetime(raw["time"], errors="coerce", format="mixed")
    as_of = responded.max().normalize() if as_of is None else pd.Timestamp(as_of).normalize()
    found.append(problems(responded >= as_of + pd.Timedelta(days=1), "time",
                          f"is after the as-of date {as_of.date()}", raw["time"]))
    found = combine_problems(found)

    valid = raw.drop(index=found["row"].unique() - 1)
    customers, surveys = from_wide_survey(valid, **survey, comment="comment", segment="surgery")
    counts = valid["rating"].value_counts()
    dont_know = int(counts.get("Don't know", 0) + counts.get("Don\u2019t know", 0))
    return SourceTables(
        customers=customers, surveys=surveys, as_of=as_of, rows_read=len(raw), rejected=found,
        name="NHS Friends and Family Test (GP practices)",
        description=("NHS Friends and Family Test responses from 11 London GP practices, one row per "
                     "response: 5-point likelihood to recommend (recommend5; not NPS), free-text comments, "
                     "practice. Each response is its own pseudo-customer (responses are anonymous); "
                     "segment = practice."),
        notes=[
            "rating -> recommend5: Extremely likely 5, Likely 4, Neither likely nor unlikely 3, Unlikely 2, "
            "Extremely unlikely 1; a 5-point recommend scale, not NPS 0-10.",
            f"Don't know is not a score: {dont_know} response(s) kept with an empty recommend5.",
            "rating_score checked against the rating label; rows where they disagree are rejected.",
            "responded_at = sent_at = time (no invitation times: response rates cannot be computed).",
            "comment = free_text, then do_better prefixed 'Could do better: '.",
            "One pseudo-customer per response (fft-<row>), segment = practice (surgery), acquired_at = day "
            "of the response, no churn; customer counts and tenures are meaningless on this table.",
            "region, contract, acquisition_channel 'unknown'; monthly_revenue and acquisition_cost "
            "empty; survey channel 'unknown'.",
            "The source author's sentiment and topic columns are left out (not FFT answers).",
        ],
        not_in_source=["revenue", "cases", "customer_identity", "tenure", "churn",
                       "customers.monthly_revenue", "customers.region", "customers.contract",
                       "customers.acquisition_channel", "customers.acquisition_cost", "surveys.channel",
                       "surveys.sent_at", "surveys.nps", "surveys.csat", "surveys.ces"],
    )
