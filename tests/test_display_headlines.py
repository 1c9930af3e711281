"""Safe display of customer text, small-cell suppression and headline records."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cxlab.display import suppress_small, text_table
from cxlab.headlines import Headlines, read_headlines


def test_text_table_escapes_and_drops_identifiers():
    df = pd.DataFrame({"customer_id": ["C-0001"], "touchpoint": ["invoicing"],
                       "comment": ["<script>alert('x')</script> & \"quoted\""]})
    html = text_table(df, caption="What <customers> said").data
    assert "<script>" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"quoted\"" in html
    assert "C-0001" not in html and "customer_id" not in html
    assert "What &lt;customers&gt; said" in html


def test_suppress_small():
    df = pd.DataFrame({"segment": ["A", "B"], "n": [29, 30], "nps": [10.0, 20.0]})
    out = suppress_small(df, n_col="n", min_cell_size=30, value_cols=["nps"])
    assert out["suppressed"].tolist() == [True, False]
    assert np.isnan(out.loc[0, "nps"]) and out.loc[1, "nps"] == 20.0
    assert df.loc[0, "nps"] == 10.0  # input untouched
    with pytest.raises(ValueError, match="columns \\['csat'\\]"):
        suppress_small(df, n_col="n", min_cell_size=30, value_cols=["csat"])


def test_headlines_round_trip(tmp_path):
    path = tmp_path / "h" / "01.headlines.json"
    hl = Headlines(str(path), notebook="01_cx_scorecard")
    hl.add("nps", "Relationship NPS", np.float64(31.25), unit="points", ci_low=27.0, ci_high=35.5, n=812,
           section="nps")
    hl.add("median_tenure", "Median tenure", float("nan"), unit="months", note="not reached")
    back = read_headlines(path)
    assert back["nps"].value == 31.25 and back["nps"].n == 812 and back["nps"].section == "nps"
    assert back["median_tenure"].value is None and back["median_tenure"].note == "not reached"
    assert json.loads(path.read_text())["notebook"] == "01_cx_scorecard"


def test_headlines_in_memory_only():
    hl = Headlines("", notebook="x")
    hl.add("a", "A", 1)
    assert hl.items["a"].value == 1.0
