"""The report run end to end on small notebooks written here: success, failures, atomicity, interrupts.

The notebooks compute real figures from a simulated world with the package's functions; the
tests compare the published pages with the same functions called directly. The full report
with the project's own notebooks is in ``test_report_demo.py``.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

import cxlab.report.execute as execute_module
from cxlab import report
from cxlab.headlines import read_headlines
from cxlab.metrics import nps
from cxlab.periods import parse_quarter
from cxlab.report.errors import ReportInputError, ReportRunError
from cxlab.schema import RELATIONSHIP
from cxlab.synth import simulate, write_demo

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
MARKER_COMMENT = "<script>document.title='cx-injected'</script> & the invoice was <b>wrong</b>"
QUARTER = "2026Q3"
ID_PATTERN = re.compile(r"\b[CSK]\d{6,}\b")

SCORES_SETUP = """\
import matplotlib.pyplot as plt
from cxlab.display import text_table
from cxlab.headlines import Headlines
from cxlab.io import load
from cxlab.metrics import nps
from cxlab.periods import parse_quarter
from cxlab.schema import RELATIONSHIP
data = load(data_dir)
period = parse_quarter(quarter)
hl = Headlines(headlines_path, notebook="01_scores")"""
SCORES_NPS = """\
answers = data.surveys[(data.surveys["touchpoint"] == RELATIONSHIP)
                       & (data.surveys["responded_at"].dt.to_period("Q") == period)]
estimate = nps(answers["nps"])
hl.add("nps", "Relationship NPS", estimate.value, unit="points", ci_low=estimate.ci_low,
       ci_high=estimate.ci_high, n=estimate.n, section="nps")
hl.add("csat", "CSAT <share>", None, note="needs transactional surveys & more")
hl.add("extra_share", "Share of answers from promoters", estimate.promoters / estimate.n, unit="share",
       n=estimate.n, section="nps")
fig, ax = plt.subplots(figsize=(4, 3))
ax.hist(answers["nps"], bins=range(12))
ax.set(title="Relationship NPS answers", xlabel="score (0-10)", ylabel="responses")
plt.show()"""
SCORES_COMMENTS = """\
marked = data.surveys[data.surveys["comment"].str.contains("cx-injected", na=False)]
text_table(marked[["customer_id", "invitation_id", "touchpoint", "comment"]], caption="Comments with markup")"""


def write_notebook(folder: Path, name: str, cells: list, extra_parameters: str = "") -> Path:
    nb = nbformat.v4.new_notebook(metadata=KERNELSPEC)
    parameters = nbformat.v4.new_code_cell('data_dir = "../data/demo"\nquarter = ""\nmin_cell_size = 30\n'
                                           'headlines_path = ""' + extra_parameters)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [cells[0], parameters, *cells[1:]]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    return folder / f"{name}.ipynb"


def scores_notebook(folder: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return write_notebook(folder, "01_scores", [
        md("# Scores for the test"), code(SCORES_SETUP), md('## <a id="nps"></a>Relationship NPS'),
        code(SCORES_NPS), md('## <a id="comments"></a>Comments'), code(SCORES_COMMENTS)],
        "\ntop_n = 5\nlift = 0.05\nlabel = \"plain\"")


def failing_notebook(folder: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return write_notebook(folder, "02_fails", [
        md("# Fails on purpose"), code("prepared = 1"),
        code('total = sum([1, 2])\nraise ValueError("deliberate failure for the test")'), code("never = 1")])


def sleeping_notebook(folder: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return write_notebook(folder, "03_sleeps", [
        md("# Sleeps"),
        code('import os, time\nif pid_path:\n    open(pid_path, "w").write(str(os.getpid()))\ntime.sleep(300)')],
        '\npid_path = ""')


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    world = simulate(n_customers=1500, seed=11)
    surveys = world.surveys
    answered = surveys.index[surveys["responded_at"].notna() & (surveys["touchpoint"] == RELATIONSHIP)]
    surveys.loc[answered[-3:], "comment"] = MARKER_COMMENT
    folder = tmp_path_factory.mktemp("world")
    write_demo(world, folder)
    return folder


@pytest.fixture(scope="module")
def world_ids(world_dir):
    from cxlab.io import load

    data = load(world_dir)
    return set(data.customers["customer_id"]) | set(data.surveys["invitation_id"]) | set(data.cases["case_id"])


@pytest.fixture(autouse=True)
def _matplotlib_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))


def run_report(notebooks, data, out, **kwargs):
    return report.run(data=data, out=out, notebooks_dir=notebooks, progress=False, **kwargs)


class PageIndex:
    """Ids, links and image sources of the HTML pages under a folder."""

    def __init__(self, root: Path):
        self.root = root
        self.pages = {p: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in root.rglob("*.html")}

    def ids(self, page: Path) -> set[str]:
        return {tag["id"] for tag in self.pages[page].find_all(id=True)}

    def broken_links(self) -> list[str]:
        broken = []
        for page, soup in self.pages.items():
            for tag, attr in [(t, "href") for t in soup.find_all(href=True)] + [(t, "src") for t in
                                                                               soup.find_all(src=True)]:
                link = tag[attr]
                if link.startswith("data:image/"):
                    continue
                if re.match(r"^[a-z]+:", link):
                    broken.append(f"{page.name}: external or unknown link {link}")
                    continue
                path, _, fragment = link.partition("#")
                target = (page.parent / path).resolve() if path else page
                if target not in self.pages:
                    broken.append(f"{page.name}: {link} (no such page)")
                elif fragment and fragment not in self.ids(target):
                    broken.append(f"{page.name}: {link} (no element with that id)")
        return broken


def glance_row(index_html: Path, label: str) -> list[str]:
    soup = BeautifulSoup(index_html.read_text(encoding="utf-8"), "html.parser")
    for row in soup.select("table.cx-glance tr"):
        cells = row.find_all("td")
        if cells and cells[0].get_text(strip=True) == label:
            return [c.get_text(" ", strip=True) for c in cells]
    raise AssertionError(f"no row {label!r} in {index_html}")


def test_report_publishes_pages_summary_and_provenance(tmp_path, world_dir, world_ids):
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    params = tmp_path / "params.yaml"
    params.write_text("common:\n  min_cell_size: 40\n01_scores:\n  top_n: 3\n  label: \"<b>not bold</b>\"\n")
    index = run_report(notebooks, world_dir, tmp_path / "reports", params=params)

    quarter_dir = tmp_path / "reports" / QUARTER
    assert index == quarter_dir / "index.html"
    assert sorted(p.name for p in tmp_path.joinpath("reports").iterdir()) == [QUARTER, "index.html"]
    assert {p.name for p in quarter_dir.iterdir()} == {"index.html", "01_scores.html", "appendix.html", "executed",
                                                      "provenance.json"}
    executed = nbformat.read(quarter_dir / "executed" / "01_scores.ipynb", as_version=4)
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'quarter = "2026Q3"' in injected.source and "top_n = 3" in injected.source
    assert "min_cell_size = 40" in injected.source

    # the summary shows the notebook's headline, which equals the package function called here
    from cxlab.io import load

    data = load(world_dir)
    answers = data.surveys[(data.surveys["touchpoint"] == RELATIONSHIP)
                           & (data.surveys["responded_at"].dt.to_period("Q") == parse_quarter(QUARTER))]
    expected = nps(answers["nps"])
    recorded = read_headlines(quarter_dir / "executed" / "01_scores.headlines.json")["nps"]
    assert recorded.value == pytest.approx(expected.value) and recorded.n == expected.n
    row = glance_row(index, "Relationship NPS")
    assert row[1] == f"{expected.value:.1f} points"
    assert row[2] == f"{expected.ci_low:.1f} to {expected.ci_high:.1f}"
    assert row[3] == f"{expected.n:,}"
    assert row[4:6] == ["not available", "not available"]  # the notebook records no change figures
    csat = glance_row(index, "CSAT <share>")
    assert csat[1] == "not available" and csat[-1] == "needs transactional surveys & more"
    assert glance_row(index, "Median customer tenure")[-1] == "not reported by this run"
    summary = index.read_text()
    assert "CSAT &lt;share&gt;" in summary and "<share>" not in summary
    assert f"{100 * expected.promoters / expected.n:.1f}%" in summary  # a "share" is shown in percent
    assert 'href="01_scores.html#nps"' in summary

    pages = PageIndex(tmp_path / "reports")
    assert pages.broken_links() == []
    for page, soup in pages.pages.items():
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page  # no scripts at all: nothing external, nothing injected
        assert not (set(ID_PATTERN.findall(text)) & world_ids), f"identifiers in {page}"
        is_quarter_list = page == tmp_path / "reports" / "index.html"
        assert is_quarter_list or soup.find("footer", id="provenance"), page
    notebook_page = (quarter_dir / "01_scores.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title='cx-injected'&lt;/script&gt; &amp; the invoice was &lt;b&gt;wrong" in (
        notebook_page.replace("&#x27;", "'").replace("&#39;", "'"))
    assert 'src="data:image/png;base64,' in notebook_page
    assert "prepared" not in notebook_page and "import matplotlib" not in notebook_page  # no code

    provenance = json.loads((quarter_dir / "provenance.json").read_text())
    assert provenance["quarter"] == QUARTER and provenance["data_as_of"] == "2026-09-30"
    import hashlib

    customers_hash = hashlib.sha256((world_dir / "customers.csv").read_bytes()).hexdigest()[:12]
    assert provenance["file_hashes"]["customers.csv"] == customers_hash
    assert set(provenance["file_hashes"]) == {"customers.csv", "revenue.parquet", "surveys.parquet",
                                              "cases.parquet", "meta.json"}
    assert provenance["parameters"]["01_scores"] == {"quarter": QUARTER, "min_cell_size": 40, "top_n": 3,
                                                     "lift": 0.05, "label": "<b>not bold</b>"}
    assert set(provenance["versions"]) == {"python", "cxlab", "pandas", "numpy", "lifelines", "statsmodels", "duckdb"}
    footer = BeautifulSoup(notebook_page, "html.parser").find("footer", id="provenance").get_text(" ", strip=True)
    assert customers_hash in footer and "top_n = 3" in footer and "lifelines" in footer
    assert provenance["validated_by"] == "duckdb" and "validated with duckdb" in footer
    assert '<code>label = "&lt;b&gt;not bold&lt;/b&gt;"</code>' in notebook_page.replace("&#34;", '"')

    listing = BeautifulSoup((tmp_path / "reports" / "index.html").read_text(), "html.parser")
    assert [a["href"] for a in listing.select("main a")] == [f"{QUARTER}/index.html"]


def test_failing_notebook_keeps_partial_run_and_earlier_report(tmp_path, world_dir):
    good, bad = tmp_path / "good", tmp_path / "bad"
    scores_notebook(good)
    scores_notebook(bad)
    failing_notebook(bad)
    out = tmp_path / "reports"
    earlier = run_report(good, world_dir, out)
    before = {p: p.read_bytes() for p in earlier.parent.rglob("*") if p.is_file()}

    with pytest.raises(ReportRunError) as caught:
        run_report(bad, world_dir, out, force=True)
    message = str(caught.value)
    failed_dirs = list((out / "_failed").iterdir())
    assert len(failed_dirs) == 1 and re.fullmatch(r"2026Q3-\d{8}T\d{6}", failed_dirs[0].name)
    # cell 3 of the source notebook (title, parameters, "prepared = 1", failing cell); In [4] counts the
    # injected parameters cell too
    assert ("notebook 02_fails failed in cell 3 (counting from 0), In [4], 'total = sum([1, 2])': "
            "ValueError: deliberate failure for the test") in message
    executed = nbformat.read(failed_dirs[0] / "executed" / "02_fails.ipynb", as_version=4)
    failed_cell = next(c for c in executed.cells if c.get("execution_count") == 4)
    assert failed_cell.source.startswith("total = sum([1, 2])")
    assert any(o.get("output_type") == "error" for o in failed_cell.outputs)
    assert str(failed_dirs[0]) in message and "earlier report" in message
    assert (failed_dirs[0] / "executed" / "01_scores.ipynb").is_file()
    assert {p: p.read_bytes() for p in earlier.parent.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "_failed", "index.html"]


def test_existing_quarter_needs_force_and_force_replaces(tmp_path, world_dir):
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    out = tmp_path / "reports"
    index = run_report(notebooks, world_dir, out)
    first = json.loads((index.parent / "provenance.json").read_text())["started_at"]
    with pytest.raises(ReportInputError, match=r"a report for 2026Q3 already exists in .*; use --force"):
        run_report(notebooks, world_dir, out)
    time.sleep(1.1)  # provenance records the start to the second
    run_report(notebooks, world_dir, out, force=True)
    assert json.loads((index.parent / "provenance.json").read_text())["started_at"] != first
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "index.html"]


@pytest.mark.parametrize("params_text, message", [
    ("top_n: 3\nretention_lfit: 0.05\n", r"unknown parameter 'retention_lfit' .* known parameters: label, lift, "
                                         r"min_cell_size, top_n"),
    ("lift: five percent\n", r"lift \(parameters file\) must be a number like its default 0.05"),
    ("quarter: 2026Q2\n", r"quarter \(parameters file\) is set by the run"),
])
def test_bad_parameters_stop_before_anything_runs(tmp_path, world_dir, monkeypatch, params_text, message):
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    params = tmp_path / "params.yaml"
    params.write_text(params_text)
    with pytest.raises(ReportInputError, match=message):
        run_report(notebooks, world_dir, tmp_path / "reports", params=params)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("quarter, message", [
    ("2026-Q3", r"quarter must look like '2026Q3'"),
    ("2026Q4", r"quarter 2026Q4 ends 2026-12-31, after the data's as-of date 2026-09-30; the latest complete "
               r"quarter is 2026Q3"),
    ("2015Q1", r"quarter 2015Q1 ends 2015-03-31, before the first customer in the data was acquired"),
])
def test_bad_quarter_stops_before_anything_runs(tmp_path, world_dir, monkeypatch, quarter, message):
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    with pytest.raises(ReportInputError, match=message):
        run_report(notebooks, world_dir, tmp_path / "reports", quarter=quarter)
    assert not (tmp_path / "reports").exists()


def test_missing_data_file_is_named(tmp_path, world_dir, monkeypatch):
    monkeypatch.setattr(execute_module, "_execute_one", _must_not_run)
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    data = tmp_path / "data"
    data.mkdir()
    (data / "surveys.parquet").write_bytes((world_dir / "surveys.parquet").read_bytes())
    with pytest.raises(ReportInputError, match=r"no customers file; expected customers.csv"):
        run_report(notebooks, data, tmp_path / "reports")
    with pytest.raises(ReportInputError, match=r"data folder .*elsewhere cannot be used"):
        run_report(notebooks, tmp_path / "elsewhere", tmp_path / "reports")
    assert not (tmp_path / "reports").exists()


def _must_not_run(*args, **kwargs):
    raise AssertionError("a notebook was executed although the input was invalid")


def scores_and_other_notebooks(folder: Path) -> Path:
    """The scores notebook and a second one-cell notebook, ``02_other``."""
    scores_notebook(folder)
    write_notebook(folder, "02_other", [nbformat.v4.new_markdown_cell("# Other"), nbformat.v4.new_code_cell("x = 1")])
    return folder


def test_interrupt_leaves_no_half_report(tmp_path, world_dir, monkeypatch):
    notebooks = scores_and_other_notebooks(tmp_path / "notebooks")
    out = tmp_path / "reports"
    earlier = run_report(notebooks, world_dir, out, only=["01"])
    before = earlier.read_bytes()
    real_execute = execute_module._execute_one

    def interrupted(job, **kwargs):
        if job.name == "02_other":
            raise KeyboardInterrupt
        return real_execute(job, **kwargs)

    monkeypatch.setattr(execute_module, "_execute_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_report(notebooks, world_dir, out, force=True, workers=1)
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "index.html"]  # no build folder, no _failed
    assert earlier.read_bytes() == before
    assert not (earlier.parent / "02_other.html").exists()


def test_the_notebooks_slowest_in_the_last_run_start_first(tmp_path, world_dir, monkeypatch):
    notebooks = scores_and_other_notebooks(tmp_path / "notebooks")
    out = tmp_path / "reports"
    real_execute = execute_module._execute_one
    started = []
    monkeypatch.setattr(execute_module, "_execute_one",
                        lambda job, **kwargs: started.append(job.name) or real_execute(job, **kwargs))
    run_report(notebooks, world_dir, out, workers=1)
    assert started == ["01_scores", "02_other"]  # no earlier run: page order
    provenance = out / QUARTER / "provenance.json"
    record = json.loads(provenance.read_text())
    assert set(record["notebook_seconds"]) == {"01_scores", "02_other"}
    record["notebook_seconds"] = {"01_scores": 1.0, "02_other": 30.0}
    provenance.write_text(json.dumps(record))
    started.clear()
    index = run_report(notebooks, world_dir, out, force=True, workers=1)
    assert started == ["02_other", "01_scores"]
    pages = re.findall(r'href="(0[12]_\w+)\.html"', index.read_text())
    assert pages.index("01_scores") < pages.index("02_other")  # the pages keep their order


def _process_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return re.search(r"^State:\s+Z", status, re.MULTILINE) is not None  # exited, not yet reaped


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_run_kills_kernels_and_publishes_nothing(tmp_path, world_dir, signum, cpu_load):
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    sleeping_notebook(notebooks)
    pid_file = tmp_path / "kernel.pid"
    params = tmp_path / "params.yaml"
    params.write_text(f"03_sleeps:\n  pid_path: {json.dumps(str(pid_file))}\n")
    out = tmp_path / "reports"
    command = [sys.executable, "-c", "from cxlab.cli import app; app()", "report", "--data", str(world_dir),
               "--out", str(out), "--notebooks", str(notebooks), "--params", str(params)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")})
    deadline = time.monotonic() + 240
    # half-way: notebook 01 has written its figures and notebook 03 is sleeping in its kernel
    while not (pid_file.is_file() and pid_file.read_text().strip()
               and list(out.glob(".build-*/executed/01_scores.headlines.json"))):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the notebooks never started"
        time.sleep(0.2)
    kernel_pid = int(pid_file.read_text())
    assert list(out.glob(".build-2026Q3-*"))  # the run is building
    process.send_signal(signum)
    signalled = time.monotonic()
    _, stderr = process.communicate(timeout=120)
    assert time.monotonic() - signalled < 10
    assert process.returncode == 128 + signum  # 130 for SIGINT, 143 for SIGTERM
    assert "interrupted; no report was published" in stderr
    assert sorted(p.name for p in out.iterdir()) == []
    deadline = time.monotonic() + 30
    while not _process_gone(kernel_pid):
        assert time.monotonic() < deadline, "the kernel of the interrupted notebook is still running"
        time.sleep(0.2)


def test_leftover_build_folders_of_dead_runs_are_cleaned(tmp_path, world_dir):
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    out = tmp_path / "reports"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = out / f".build-2026Q3-{int(dead.stdout)}"
    (leftover / "executed").mkdir(parents=True)
    alive = out / f".build-2026Q2-{os.getppid()}"  # the test's parent process is alive: its folder is kept
    alive.mkdir()
    run_report(notebooks, world_dir, out)
    assert not leftover.exists()
    assert sorted(p.name for p in out.iterdir()) == [alive.name, QUARTER, "index.html"]
