"""notebooks/05_churn_survival.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill

from cxlab.headlines import read_headlines
from cxlab.sections import churn, open_report
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "05_churn_survival.ipynb"
KEYS = {"median_tenure", "survival_24m", "rmst_36m", "hr_detractor", "survival_10y"}


def test_committed_notebook_is_thin():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = re.findall(r"^(\w+) = ", tagged[0].source, flags=re.M)
    assert names[:4] == ["data_dir", "quarter", "min_cell_size", "headlines_path"]
    lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= 40
    assert not any(re.match(r"\s*(def|class|if|for|while|try|elif|else)\b", line) for line in lines)


def test_papermill_run_records_the_sections_figures(tmp_path, monkeypatch):
    folder = tmp_path / "world"
    write_demo(simulate(n_customers=3000, seed=5), folder, compression_level=3)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "executed.ipynb"), kernel_name="python3",
                               cwd=str(NOTEBOOKS), progress_bar=False,
                               parameters={"data_dir": str(folder), "headlines_path": str(headlines)})
    recorded = read_headlines(headlines)
    assert KEYS <= set(recorded)
    report = open_report("05_churn_survival", data_dir=folder)
    assert recorded["hr_detractor"] == report.show(churn.churn_drivers).headline("hr_detractor")
    assert "hr_followup" not in recorded  # the follow-up effect is the feedback-loop page's
    assert recorded["median_tenure"] == report.show(churn.how_long_customers_stay).headline("median_tenure")
    nb = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', "\n".join(c.source for c in nb.cells
                                                                  if c.cell_type == "markdown")))
    assert {h.section for h in recorded.values()} <= anchors
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
