"""Airline Passenger Satisfaction: a wide survey with 14 touchpoint ratings and a satisfied label.

Source file ``airline_passenger_satisfaction.csv`` (Maven Analytics "Airline Passenger
Satisfaction", the Kaggle teejmahal20 train and test files combined): 129,880 passengers x 24
columns, one row per passenger and flight.

Mapping (via :func:`cxlab.datasets.from_wide_survey`)
-----------------------------------------------------
* ``surveys``: one row per passenger x touchpoint, 14 touchpoints (:data:`TOUCHPOINTS` gives the
  source column of each), the 0-5 rating in ``csat``; **0 means "not applicable"** and becomes
  empty (the row is kept). Plus one ``relationship`` row per passenger with ``satisfied`` = 1 for
  ``Satisfaction`` = "Satisfied" and 0 for "Neutral or Dissatisfied". The label is binary: it
  is *not* NPS and *not* a 1-5 CSAT, and ``nps`` stays empty. Neutral passengers are not
  separable from dissatisfied ones.
* ``customers``: one per passenger, ``customer_id`` = ``ID``; ``segment`` = ``Class`` (Business,
  Economy, Economy Plus); ``Gender``, ``Age``, ``Customer Type`` (First-time/Returning),
  ``Type of Travel``, ``Flight Distance`` and the delays (minutes; ``Arrival Delay`` is blank
  for 393 passengers and stays empty) are kept as extra columns. Region, contract and
  acquisition channel are ``unknown``, monthly revenue and
  acquisition cost empty.

Dates: the file has none. Every answer is dated :data:`DEFAULT_SURVEY_DATE` (2024-12-31, a
quarter end; pass another with ``as_of=``), which is also the as-of date and each passenger's
``acquired_at``. This is a labelling convention, not the survey's real date: there is no time
in this data, so nothing can be said about trends, and no churn (survival) analysis is possible.
``channel`` is ``unknown``; the touchpoint ratings and the label come from one questionnaire and
carry the same ``responded_at``.
"""

from __future__ import annotations

import pandas as pd

from cxlab.datasets.generic import check_wide_survey, from_wide_survey
from cxlab.datasets.source import SourceTables, read_source_csv

__all__ = ["AIRLINE_FILE", "COLUMNS", "DEFAULT_SURVEY_DATE", "EXTRA_COLUMNS", "NOT_APPLICABLE", "SATISFACTION_LABELS",
           "TOUCHPOINTS", "load_airline"]

AIRLINE_FILE = "airline_passenger_satisfaction.csv"
DEFAULT_SURVEY_DATE = "2024-12-31"
# source column -> touchpoint name, in the file's order
TOUCHPOINTS = {
    "Departure and Arrival Time Convenience": "departure_arrival_time",
    "Ease of Online Booking": "online_booking",
    "Check-in Service": "check_in",
    "Online Boarding": "online_boarding",
    "Gate Location": "gate_location",
    "On-board Service": "on_board_service",
    "Seat Comfort": "seat_comfort",
    "Leg Room Service": "leg_room",
    "Cleanliness": "cleanliness",
    "Food and Drink": "food_and_drink",
    "In-flight Service": "in_flight_service",
    "In-flight Wifi Service": "in_flight_wifi",
    "In-flight Entertainment": "in_flight_entertainment",
    "Baggage Handling": "baggage_handling",
}
SATISFACTION_LABELS = {"Satisfied": 1, "Neutral or Dissatisfied": 0}
NOT_APPLICABLE = (0,)
EXTRA_COLUMNS = {
    "Gender": "gender", "Age": "age", "Customer Type": "customer_type", "Type of Travel": "type_of_travel",
    "Flight Distance": "flight_distance", "Departure Delay": "departure_delay_minutes",
    "Arrival Delay": "arrival_delay_minutes",
}
_NUMERIC_EXTRAS = ("Age", "Flight Distance", "Departure Delay", "Arrival Delay")
COLUMNS = ["ID", "Class", "Satisfaction", *TOUCHPOINTS, *EXTRA_COLUMNS]


def load_airline(path, *, as_of=DEFAULT_SURVEY_DATE) -> SourceTables:
    """Map the Airline Passenger Satisfaction file into ``surveys`` and ``customers``.

    See the module docstring for what each column became and every assumption.

    Parameters
    ----------
    path : str or pathlib.Path
        ``airline_passenger_satisfaction.csv``.
    as_of : str or pandas.Timestamp, default "2024-12-31"
        The date every answer is recorded at (the file has no dates) and the as-of date.

    Returns
    -------
    SourceTables
        Rows that cannot be mapped (empty or repeated ID, a rating that is not 0-5, an unknown
        Satisfaction label) are left out and listed in ``rejected``.
    """
    raw = read_source_csv(path, expected_columns=COLUMNS, source_name="Airline Passenger Satisfaction")
    survey = {"respondent_id": "ID", "touchpoints": TOUCHPOINTS, "outcome": "Satisfaction",
              "outcome_kind": "binary", "outcome_labels": SATISFACTION_LABELS,
              "not_applicable": NOT_APPLICABLE}
    found = check_wide_survey(raw, **survey)
    valid = raw.drop(index=found["row"].unique() - 1)
    valid = valid.assign(**{c: pd.to_numeric(valid[c], errors="coerce") for c in _NUMERIC_EXTRAS})
    as_of = pd.Timestamp(as_of).normalize()
    customers, surveys = from_wide_survey(valid, **survey, survey_date=as_of, segment="Class",
                                          extra_columns=EXTRA_COLUMNS)
    n_not_applicable = int(raw[list(TOUCHPOINTS)].isin([str(c) for c in NOT_APPLICABLE]).to_numpy().sum())
    return SourceTables(
        customers=customers, surveys=surveys, as_of=as_of, rows_read=len(raw), rejected=found,
        name="Airline Passenger Satisfaction",
        description=("Passenger survey (Maven Analytics / Kaggle): one row per passenger with 14 touchpoint "
                     "ratings 0-5 (0 = not applicable) and an overall Satisfied / Neutral or Dissatisfied "
                     "label, mapped to one csat row per touchpoint and one relationship row with the binary "
                     f"satisfied flag. The file has no dates: every answer is dated {as_of.date()}."),
        notes=[
            f"No dates in the file: every answer, acquisition and the as-of date are set to {as_of.date()} "
            "(a labelling convention); no trend or churn analysis is possible.",
            f"Touchpoint ratings 1-5 -> csat; 0 = not applicable -> empty csat, row kept "
            f"({n_not_applicable:,} ratings).",
            "Satisfaction -> satisfied on the relationship row: Satisfied = 1, Neutral or Dissatisfied = 0. "
            "Binary; not NPS, not CSAT.",
            "customer_id = ID; segment = Class; gender, age, customer type, type of travel, flight distance "
            "and delays (minutes) kept as extra customer columns; Arrival Delay blank -> empty.",
            "region, contract, acquisition_channel 'unknown'; monthly_revenue and acquisition_cost "
            "empty; survey channel 'unknown'.",
        ],
        not_in_source=["revenue", "cases", "calendar_dates", "tenure", "churn", "customers.monthly_revenue",
                       "customers.region", "customers.contract", "customers.acquisition_channel",
                       "customers.acquisition_cost", "surveys.channel", "surveys.sent_at", "surveys.nps",
                       "surveys.ces"],
    )
