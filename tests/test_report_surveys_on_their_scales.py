"""One-off surveys on 0-100 and 1-7 scales end to end: `cxlab convert survey` then the full report run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cxlab.cli import app

pytestmark = pytest.mark.slow


def _survey(tmp_path, low: int, high: int, n_items: int, n: int = 400):
    """A one-off survey answered 6-21 August 2019: items on low-high, overall, NPS, repurchase, competitors."""
    rng = np.random.default_rng(low + high)
    mid, spread = (low + high) / 2, (high - low) / 6
    halo = rng.normal(size=(n, 1))
    items = np.clip(np.round(mid + spread * (0.8 * halo + rng.normal(size=(n, n_items)))), low, high)
    latent = (items - mid) @ np.linspace(1, 0, n_items) / (spread * n_items / 2) + rng.normal(size=n) / 2
    wide = pd.DataFrame(items, columns=[f"q{i}" for i in range(n_items)])
    wide["overall"] = np.clip(np.round(mid + spread * latent), low, high)
    wide["ltr"] = np.clip(np.round(7 + 2 * latent), 0, 10)
    wide["vs"] = np.clip(np.round(2 + latent / 2), 1, 3)
    wide["id"] = [f"r{i}" for i in range(n)]
    wide["answered"] = pd.Timestamp("2019-08-06") + pd.to_timedelta(rng.integers(0, 15 * 24 * 60, n), unit="min")
    boxes = {"top_box": [80, 100], "bottom_box": [0, 40]} if high - low > 10 else {}
    questions = [{"id": f"q{i}", "label": f"Item {i}", "scale": [low, high], **boxes} for i in range(n_items)]
    questions += [{"id": "overall", "label": "Overall satisfaction", "scale": [low, high], "role": "overall", **boxes},
                  {"id": "ltr", "label": "Recommend", "preset": "nps", "role": "recommend"},
                  {"id": "vs", "label": "Compared with other airlines", "preset": "competitors"}]
    wide.to_csv(tmp_path / "export.csv", index=False)
    spec = {"export": {"respondent_id": "id", "responded_at": "answered", "touchpoints": [], "outcome": "overall"},
            "questions": questions}
    (tmp_path / "survey.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return wide


@pytest.mark.parametrize("low, high, n_items", [(0, 100, 23), (1, 7, 30)])
def test_convert_and_report(tmp_path, monkeypatch, low, high, n_items):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mplconfig"))
    wide = _survey(tmp_path, low, high, n_items)
    runner = CliRunner()
    folder = tmp_path / "data"
    convert = ["convert", "survey", str(tmp_path / "export.csv"), str(folder), "--catalogue",
               str(tmp_path / "survey.yaml")]
    assert runner.invoke(app, convert).exit_code == 0
    refused = runner.invoke(app, ["report", "--data", str(folder), "--out", str(tmp_path / "reports"),
                                  "--quarter", "2019Q3"])
    assert refused.exit_code == 2 and "convert it with --as-of 2019-09-30" in refused.stderr
    assert runner.invoke(app, [*convert, "--as-of", "2019-09-30", "--overwrite"]).exit_code == 0
    done = runner.invoke(app, ["report", "--data", str(folder), "--out", str(tmp_path / "reports")])
    assert done.exit_code == 0, done.output
    executed = tmp_path / "reports" / "2019Q3" / "executed"
    recorded = json.loads((executed / "01_cx_scorecard.headlines.json").read_text(encoding="utf-8"))
    nps = next(h for h in recorded["headlines"] if h["key"] == "nps")
    promoters, detractors = (wide["ltr"] >= 9).mean(), (wide["ltr"] <= 6).mean()
    assert nps["n"] == len(wide) and nps["value"] == pytest.approx(100 * (promoters - detractors))
