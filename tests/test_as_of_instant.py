"""The as-of date is an instant, the end of that day, in loading, quarters, tenure, surveys and cases."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxlab.io import DataValidationError, load
from cxlab.loop import detractor_followups
from cxlab.nonresponse import response_rates
from cxlab.periods import as_of_end, known_by
from cxlab.survival.frames import survival_frame
from cxlab.tenure import tenure_frame
from cxlab.touchpoints import quarter_estimates, surveys_as_of

AS_OF = "2026-09-30"


def _surveys(rows):
    frame = pd.DataFrame(rows, columns=["invitation_id", "customer_id", "touchpoint", "sent_at", "responded_at",
                                        "nps", "csat", "ces"])
    for col in ("sent_at", "responded_at"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.assign(channel="email")


def test_end_of_day_bound():
    assert as_of_end(AS_OF) == pd.Timestamp("2026-10-01")
    assert as_of_end(pd.Timestamp("2026-09-30 08:00")) == pd.Timestamp("2026-10-01")
    times = pd.Series(pd.to_datetime(["2026-09-30 00:00", "2026-09-30 23:59:59.999", "2026-10-01", None],
                                     format="ISO8601"))
    assert known_by(times, as_of=AS_OF).tolist() == [True, True, False, False]


def test_an_answer_during_the_as_of_day_is_a_response():
    # invitation of 15 September answered at 11:00 on 30 September: a response, not a non-response
    surveys = _surveys([("i1", "c1", "support", "2026-09-15 09:00", "2026-09-30 11:00", np.nan, 4.0, 2.0),
                        ("i2", "c2", "support", "2026-09-15 09:00", "2026-10-01 00:00", np.nan, 5.0, 1.0)])
    frame = surveys_as_of(surveys, as_of=AS_OF)
    assert frame["responded"].tolist() == [True, False]
    assert frame["csat"].tolist()[0] == 4.0 and np.isnan(frame["csat"].tolist()[1])
    rates = response_rates(surveys, as_of=AS_OF, min_cell_size=1).set_index("touchpoint")
    assert rates.loc["support", "responses"] == 1 and rates.loc["support", "invitations"] == 2


def test_an_invitation_sent_on_the_last_day_of_a_quarter_belongs_to_that_quarter():
    surveys = _surveys([("i1", "c1", "relationship", "2026-09-30 10:00", "2026-09-30 12:00", 10.0, np.nan, np.nan),
                        ("i2", "c2", "relationship", "2026-07-01 00:00", "2026-07-02 08:00", 3.0, np.nan, np.nan)])
    q3 = quarter_estimates(surveys, quarter="2026Q3", as_of=AS_OF)["nps"]
    q4 = quarter_estimates(surveys, quarter="2026Q4", as_of="2026-12-31")["nps"]
    assert q3.n == 2 and q3.value == pytest.approx(0.0)  # one promoter, one detractor
    assert q4.n == 0


def test_a_published_quarter_is_not_revised_by_later_data():
    # the same Q3 figures whether the data end at 23:59 on 30 September or run into Q4
    rng = np.random.default_rng(0)
    sent = pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.uniform(0, 120, 400), unit="D")
    answered = sent + pd.to_timedelta(rng.uniform(0, 10, 400), unit="D")
    surveys = _surveys({"invitation_id": [f"i{i}" for i in range(400)], "customer_id": [f"c{i}" for i in range(400)],
                        "touchpoint": "relationship", "sent_at": sent, "responded_at": answered,
                        "nps": rng.integers(0, 11, 400).astype(float), "csat": np.nan, "ces": np.nan})
    extracted_at_day_end = surveys[surveys["sent_at"] < as_of_end(AS_OF)].copy()
    late = extracted_at_day_end["responded_at"] >= as_of_end(AS_OF)
    extracted_at_day_end.loc[late, ["responded_at", "nps"]] = [pd.NaT, np.nan]
    later = quarter_estimates(surveys, quarter="2026Q3", as_of=AS_OF)["nps"]
    then = quarter_estimates(extracted_at_day_end, quarter="2026Q3", as_of=AS_OF)["nps"]
    assert (later.n, later.value, later.ci_low, later.ci_high) == (then.n, then.value, then.ci_low, then.ci_high)


def test_a_churn_during_the_as_of_day_is_known():
    customers = pd.DataFrame({"customer_id": ["a", "b"], "segment": "SMB", "contract": "monthly",
                              "acquired_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
                              "churned_at": pd.to_datetime(["2026-09-01 15:00", "2026-10-01 00:00"])})
    frame = tenure_frame(customers, as_of="2026-09-01")
    # a churned at 15:00 on the as-of date, in month 9 (days 243.5 to 273.9): month 9 is not over,
    # so a is censored at 8 months; its churn is known (end_at is the churn time)
    assert frame["end_at"].tolist()[0] == pd.Timestamp("2026-09-01 15:00")
    frame = tenure_frame(customers, as_of="2026-09-30")
    # by the end of 30 September (273 days = 8.97 months observable) a's churn in month 9 is
    # still not in a finished month; by the end of 1 October (274 days = 9.0 months) it is
    assert frame["churned"].tolist() == [0, 0]
    later = tenure_frame(customers, as_of="2026-10-01")
    assert later["churned"].tolist() == [1, 1]
    assert later["tenure_months"].tolist() == [9, 9]
    landmark = survival_frame(customers, as_of="2026-10-01", covariates=["segment"])
    assert landmark["churned"].tolist() == [1, 1]


def test_case_cut_offs_use_the_end_of_the_as_of_day():
    surveys = _surveys([("i1", "c1", "relationship", "2026-09-20", "2026-09-21 09:00", 2.0, np.nan, np.nan)])
    cases = pd.DataFrame({"case_id": ["k1"], "customer_id": ["c1"], "kind": ["detractor_followup"],
                          "opened_at": pd.to_datetime(["2026-09-30 09:00"]),
                          "first_response_at": pd.to_datetime(["2026-09-30 17:00"]),
                          "closed_at": pd.to_datetime(["2026-10-01 08:00"]), "sla_hours": [24.0],
                          "invitation_id": ["i1"]})
    f = detractor_followups(surveys, cases, as_of=AS_OF).iloc[0]
    assert f["followed_up"] and f["first_response_observed"]
    assert f["hours_to_first_response"] == pytest.approx(8.0)
    assert pd.isna(f["closed_at"])  # closed the next day: not known


def test_loading_accepts_the_whole_as_of_day_and_rejects_the_next(tmp_path):
    customers = pd.DataFrame({"customer_id": ["a", "b"], "segment": "SMB", "region": "North",
                              "acquisition_channel": "web", "acquired_at": ["2026-01-01", "2026-09-30 23:59"],
                              "churned_at": ["2026-10-01 00:00", ""], "contract": "monthly",
                              "monthly_revenue": [10, 20], "acquisition_cost": [100, 100]})
    customers.to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "meta.json").write_text(json.dumps({"as_of": AS_OF}))
    with pytest.raises(DataValidationError) as error:
        load(tmp_path)
    assert "churned_at" in str(error.value) and "must not be after the as-of date 2026-09-30" in str(error.value)
    failures = error.value.failures
    assert failures["column"].tolist() == ["churned_at"] and failures["value"].tolist() == ["2026-10-01"]
