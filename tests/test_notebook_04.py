"""notebooks/04_retention_cohorts.ipynb: thin, and one papermill run records what its sections compute."""

import re
from pathlib import Path

import nbformat
import papermill

from cxlab.headlines import read_headlines
from cxlab.sections import open_report, retention
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "04_retention_cohorts.ipynb"


def test_notebook_is_thin():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = [line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line]
    assert names[:4] == ["data_dir", "quarter", "min_cell_size", "headlines_path"]
    lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= 40
    assert not any(re.match(r"\s*(def|class|if|for|while|try|elif|else)\b", line) for line in lines)
    anchors = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for anchor in ("retention-12m", "cohort-retention", "revenue-retention", "sbg"):
        assert f'<a id="{anchor}"></a>' in anchors


def test_papermill_run_records_the_sections_figures(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    write_demo(simulate(n_customers=1500, seed=11), data_dir)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    output = tmp_path / "04_out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(NOTEBOOKS),
                               progress_bar=False, parameters={"data_dir": str(data_dir),
                                                               "headlines_path": str(headlines), "n_draws": 300})
    recorded = read_headlines(headlines)
    report = open_report("04_retention_cohorts", data_dir=data_dir)
    expected = report.show(retention.retention_at, months=12).headline("retention")
    assert recorded["retention"] == expected
    assert {"retention", "nrr", "sbg_alpha", "sbg_beta"} <= set(recorded)
    executed = nbformat.read(output, as_version=4)
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for c in executed.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert html.count("<img ") >= 3 and 'alt=""' not in html
    text = re.sub(r"<img[^>]*>", "", html)
    assert "stay more than 12 months" in text and "C000" not in text and "customer_id" not in text
