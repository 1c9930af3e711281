"""notebooks/03_feedback_loop.ipynb: thin, and one papermill run records what its sections compute."""

import re
from pathlib import Path

import nbformat
import papermill

from cxlab.headlines import read_headlines
from cxlab.sections import loop, open_report
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "03_feedback_loop.ipynb"
ANCHORS = ("loop", "loop-groups", "first-response", "sla-chart", "followup-effect", "followup-checks",
           "followup-speed", "followup-churn", "silent", "silent-compare", "nps-corrected", "nps-checks")


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
    markdown = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for anchor in ANCHORS:
        assert f'<a id="{anchor}"></a>' in markdown
    assert "## Did the follow-up work?" in markdown and "continuity" in markdown
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_papermill_run_records_the_sections_figures(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    write_demo(simulate(n_customers=3000, seed=5), data_dir, compression_level=3)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    output = tmp_path / "03_out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(NOTEBOOKS),
                               progress_bar=False, parameters={"data_dir": str(data_dir),
                                                               "headlines_path": str(headlines)})
    recorded = read_headlines(headlines)
    assert {"followup_coverage", "sla_24h_share", "followup_coverage_gap", "detractors", "followup_effect",
            "followup_effect_naive", "nps_raw", "nps_ipw"} == set(recorded)
    report = open_report("03_feedback_loop", data_dir=data_dir, tables=["customers", "surveys", "cases"])
    assert recorded["followup_coverage"] == report.show(loop.closed_loop).headline("followup_coverage")
    assert recorded["followup_effect"] == report.show(loop.followup_effect).headline("followup_effect")
    executed = nbformat.read(output, as_version=4)
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = "".join(str(o.get("data", {}).get("text/html", "")) for c in executed.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert html.count("<img ") >= 5 and 'alt=""' not in html
    text = re.sub(r"<img[^>]*>", "", html)
    assert "Regression discontinuity at 6/7" in text and "C000" not in text and "customer_id" not in text


def test_notebook_survives_a_folder_with_customers_only(tmp_path, monkeypatch):
    folder = tmp_path / "customers_only"
    written = write_demo(simulate(n_customers=300, seed=2), folder, compression_level=3)
    for table in ("surveys", "cases", "revenue"):
        written[table].unlink()
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    output = tmp_path / "03_out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(NOTEBOOKS),
                               progress_bar=False, parameters={"data_dir": str(folder),
                                                               "headlines_path": str(headlines)})
    assert all(h.value is None for h in read_headlines(headlines).values())
    executed = nbformat.read(output, as_version=4)
    text = "".join(str(o.get("data", {}).get("text/html", "")) for c in executed.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "This section is skipped" in text
