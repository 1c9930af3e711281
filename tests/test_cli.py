"""The ``cxlab`` command line: options reach the report run and the converter, exit codes, messages."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_report import scores_notebook
from typer.testing import CliRunner

import cxlab.report
from cxlab import datasets
from cxlab.cli import app
from cxlab.report.errors import (
    ReportDataChangedError,
    ReportInputError,
    ReportInterrupted,
    ReportLockedError,
    ReportOutputError,
    ReportRunError,
)
from cxlab.synth import simulate, write_demo

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TELCO = SHARED_DATASETS / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small-world")
    write_demo(simulate(n_customers=300, seed=3), folder)
    return folder


class RecordedRun:
    def __init__(self, outcome=None):
        self.calls = []
        self.outcome = outcome

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return Path(kwargs["out"]) / "2026Q3" / "index.html"


def test_help_lists_both_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "report" in result.stdout and "convert" in result.stdout


def test_report_options_reach_the_run(monkeypatch, tmp_path):
    recorded = RecordedRun()
    monkeypatch.setattr(cxlab.report, "run", recorded)
    result = runner.invoke(app, ["report", "--quarter", "2026Q2", "--data", "my/data", "--params", "p.yaml",
                                 "--out", str(tmp_path), "--force", "--only", "05", "--only", "06_retention_economics",
                                 "--by", "region", "--engine", "duckdb", "--workers", "1", "--memory-limit", "6GB"])
    assert result.exit_code == 0, result.output
    assert recorded.calls == [{"quarter": "2026Q2", "data": Path("my/data"), "params": Path("p.yaml"),
                               "out": tmp_path, "force": True, "only": ["05", "06_retention_economics"],
                               "notebooks_dir": None, "as_of": None, "by": "region", "engine": "duckdb",
                               "workers": 1, "memory_limit": "6GB"}]
    assert f"report written: {tmp_path / '2026Q3' / 'index.html'}" in result.stdout


def test_report_defaults_run_the_demo_report(monkeypatch):
    recorded = RecordedRun()
    monkeypatch.setattr(cxlab.report, "run", recorded)
    assert runner.invoke(app, ["report"]).exit_code == 0
    assert recorded.calls == [{"quarter": None, "data": Path("data/demo"), "params": None, "out": Path("reports"),
                               "force": False, "only": None, "notebooks_dir": None, "as_of": None, "by": None,
                               "workers": None, "memory_limit": None}]


@pytest.mark.parametrize("outcome, code, message", [
    (ReportInputError("unknown parameter 'x'"), 2, "error: unknown parameter 'x'"),
    (ReportRunError("notebook 05_churn_survival failed in cell 7"), 1, "error: notebook 05_churn_survival failed"),
    (ReportLockedError("another report run of 2026Q3 is under way"), 3, "error: another report run of 2026Q3"),
    (ReportOutputError("cannot write the report into reports"), 4, "error: cannot write the report"),
    (ReportDataChangedError("data changed during the run: surveys.parquet"), 5, "error: data changed during"),
    (KeyboardInterrupt(), 130, "error: interrupted; no report was published"),
    (ReportInterrupted(signal.SIGTERM), 143, "error: interrupted; no report was published"),
])
def test_report_exit_codes(monkeypatch, outcome, code, message):
    monkeypatch.setattr(cxlab.report, "run", RecordedRun(outcome))
    result = runner.invoke(app, ["report"])
    assert result.exit_code == code
    assert message in result.stderr


def test_bad_input_exits_2_with_a_plain_message(tmp_path, small_world):
    notebooks = tmp_path / "notebooks"
    scores_notebook(notebooks)
    params = tmp_path / "params.yaml"
    params.write_text("lift: 1\ncolour: blue\n")
    base = ["report", "--notebooks", str(notebooks), "--out", str(tmp_path / "reports")]
    result = runner.invoke(app, [*base, "--data", str(small_world), "--params", str(params)])
    assert result.exit_code == 2
    assert "unknown parameter 'colour' (parameters file); known parameters: label, lift, min_cell_size, top_n" in (
        result.stderr)
    result = runner.invoke(app, [*base, "--data", str(tmp_path / "no-such-folder")])
    assert result.exit_code == 2 and "no-such-folder: data folder not found" in result.stderr
    result = runner.invoke(app, [*base, "--data", str(small_world), "--only", "09"])
    assert result.exit_code == 2 and "--only 09: no such report notebook; choose from 01_scores" in result.stderr
    result = runner.invoke(app, [*base, "--data", str(small_world), "--memory-limit", "lots"])
    assert result.exit_code == 2 and "memory limit must be a positive size like 4GB or 512MB; got 'lots'" in (
        result.stderr)
    result = runner.invoke(app, [*base, "--data", str(small_world), "--memory-limit", "8GB", "--check"])
    assert result.exit_code == 0 and "check passed" in result.stdout
    result = runner.invoke(app, [*base, "--data", str(small_world), "--memory-limit", "8", "--check"])
    assert result.exit_code == 2 and "got '8'" in result.stderr
    assert not (tmp_path / "reports").exists()


def test_convert_checks_the_source_and_passes_options(monkeypatch, tmp_path):
    result = runner.invoke(app, ["convert", "crm", "export.csv", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"unknown source 'crm'; choose from {', '.join(sorted(datasets.ADAPTERS))}" in result.stderr
    calls = []

    def recorded(source, input_path, out_dir, **options):
        calls.append((source, input_path, out_dir, options))
        return f"{source}: converted"

    monkeypatch.setattr(datasets, "convert", recorded)
    result = runner.invoke(app, ["convert", "telco", "export.csv", "out", "--as-of", "2024-12-31"])
    assert result.exit_code == 0 and "telco: converted" in result.stdout
    assert calls == [("telco", Path("export.csv"), Path("out"),
                      {"as_of": "2024-12-31", "file_format": "parquet", "overwrite": False})]
    runner.invoke(app, ["convert", "airline", "a.csv", "out", "--format", "csv", "--overwrite"])
    assert calls[-1][3] == {"file_format": "csv", "overwrite": True}  # no --as-of: the source's default


def test_convert_reports_missing_input(tmp_path):
    result = runner.invoke(app, ["convert", "telco", str(tmp_path / "missing.csv"), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "missing.csv" in result.stderr


@pytest.mark.skipif(not TELCO.is_file(), reason=f"public Telco file not found in {SHARED_DATASETS}")
def test_convert_real_telco_file(tmp_path):
    result = runner.invoke(app, ["convert", "telco", str(TELCO), str(tmp_path / "telco"), "--as-of", "2024-12-31"])
    assert result.exit_code == 0, result.output
    assert "read 7,043 rows" in result.stdout  # the IBM Telco Customer Churn sample has 7,043 customers
    from cxlab.io import load

    data = load(tmp_path / "telco")
    assert len(data.customers) == 7043 and str(data.as_of.date()) == "2024-12-31"


def test_python_m_cxlab_cli_runs_the_cli():
    # the README's alternative to the installed `cxlab` command
    result = subprocess.run([sys.executable, "-m", "cxlab.cli", "report", "--help"], capture_output=True, text=True,
                            check=False, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0 and "--engine" in result.stdout, result.stderr
