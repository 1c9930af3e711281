"""A one-off survey reported for its own quarter: the refusal says how, and --as-of makes the run possible."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import cxlab.report
from cxlab.cli import app
from cxlab.report import ReportInputError


@pytest.fixture
def one_off_survey(tmp_path):
    answered = pd.date_range("2019-08-06 09:00", "2019-08-22 17:00", periods=60)
    ids = [f"R{i}" for i in range(60)]
    pd.DataFrame({"customer_id": ids, "segment": "all", "region": "all", "acquisition_channel": "survey",
                  "acquired_at": answered.normalize(), "churned_at": "", "contract": "unknown",
                  "monthly_revenue": "", "acquisition_cost": ""}).to_csv(tmp_path / "customers.csv", index=False)
    pd.DataFrame({"invitation_id": [f"I{i}" for i in range(60)], "customer_id": ids, "touchpoint": "relationship",
                  "channel": "web", "sent_at": answered, "responded_at": answered, "nps": "",
                  "csat": [5, 4, 3, 2, 5, 4] * 10, "ces": "", "comment": ""}).to_csv(tmp_path / "surveys.csv",
                                                                                   index=False)
    (tmp_path / "meta.json").write_text(json.dumps({"as_of": "2019-08-22"}))
    return tmp_path


def test_the_refusal_names_the_as_of_that_reports_the_survey(one_off_survey, tmp_path):
    with pytest.raises(ReportInputError, match=r"report that quarter with --as-of 2019-09-30"):
        cxlab.report.check(data=one_off_survey, out=tmp_path / "reports")
    plan = cxlab.report.check(data=one_off_survey, out=tmp_path / "reports", as_of="2019-09-30")
    assert "2019Q3" in plan


def test_the_command_line_takes_as_of(one_off_survey, tmp_path):
    runner = CliRunner()
    refused = runner.invoke(app, ["report", "--data", str(one_off_survey), "--out", str(tmp_path / "r"), "--check"])
    assert refused.exit_code == 2
    accepted = runner.invoke(app, ["report", "--data", str(one_off_survey), "--out", str(tmp_path / "r"), "--check",
                                   "--as-of", "2019-09-30"])
    assert accepted.exit_code == 0, accepted.output
