"""Report parameters: discovery, the YAML file's two shapes, and validation before anything runs."""

from pathlib import Path

import nbformat
import pytest

from cxlab.report.errors import ReportInputError
from cxlab.report.params import (
    SET_BY_RUN,
    ReportNotebook,
    check_quarter_label,
    discover_notebooks,
    inspect_report_notebook,
    read_params_file,
    resolve_parameters,
    select_notebooks,
)

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
STANDARD = {"data_dir": "../data/demo", "quarter": "", "min_cell_size": 30, "headlines_path": ""}


def report_notebook(name: str, **own) -> ReportNotebook:
    return ReportNotebook(Path(f"{name}.ipynb"), {**STANDARD, **own})


SCORECARD = report_notebook("01_cx_scorecard", nps_method="adjusted_wald")
ECONOMICS = report_notebook("06_retention_economics", gross_margin_share=0.6, retention_lift=0.05,
                            horizon_months=60, lift_kind="relative", use_bootstrap=True, segments=["SMB"])
NOTEBOOKS = [SCORECARD, ECONOMICS]


def write_notebook(path: Path, parameters_source: str | None) -> Path:
    nb = nbformat.v4.new_notebook(metadata=KERNELSPEC)
    nb.cells.append(nbformat.v4.new_markdown_cell("# A notebook"))
    if parameters_source is not None:
        cell = nbformat.v4.new_code_cell(parameters_source)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_inspect_reads_literal_defaults_and_comments(tmp_path):
    path = write_notebook(tmp_path / "06_x.ipynb",
                          'data_dir = "../data/demo"\nquarter = ""\nmin_cell_size = 30\nheadlines_path = ""\n'
                          'annual_discount_rate = 0.08  # yearly, nominal\nlift_kind = "relative"\n'
                          'horizon_months = 12 * 5\nuse_bootstrap = False')
    nb = inspect_report_notebook(path)
    assert nb.name == "06_x" and nb.prefix == "06"
    assert nb.defaults["annual_discount_rate"] == 0.08
    assert nb.defaults["lift_kind"] == "relative"
    assert nb.defaults["use_bootstrap"] is False
    assert nb.defaults["horizon_months"] is None  # an expression, not a literal: any type accepted
    assert nb.help["annual_discount_rate"] == "yearly, nominal"


def test_notebook_without_standard_parameters_is_rejected(tmp_path):
    write_notebook(tmp_path / "01_a.ipynb", 'data_dir = "x"\nquarter = ""')
    with pytest.raises(ReportInputError, match=r"01_a.ipynb does not declare headlines_path"):
        discover_notebooks(tmp_path)
    (tmp_path / "01_a.ipynb").unlink()
    write_notebook(tmp_path / "01_b.ipynb", None)
    with pytest.raises(ReportInputError, match=r"does not declare data_dir, quarter, headlines_path"):
        discover_notebooks(tmp_path)


def test_discovery_needs_report_notebooks(tmp_path):
    with pytest.raises(ReportInputError, match="does not exist"):
        discover_notebooks(tmp_path / "missing")
    write_notebook(tmp_path / "scratch.ipynb", 'data_dir = ""\nquarter = ""\nheadlines_path = ""')
    with pytest.raises(ReportInputError, match=r"no report notebooks \(0\*_\*.ipynb\)"):
        discover_notebooks(tmp_path)


def test_select_by_name_or_prefix():
    assert select_notebooks(NOTEBOOKS, None) == NOTEBOOKS
    assert select_notebooks(NOTEBOOKS, ["06"]) == [ECONOMICS]
    assert select_notebooks(NOTEBOOKS, ["01_cx_scorecard", "06"]) == NOTEBOOKS
    with pytest.raises(ReportInputError, match=r"--only 07: no such report notebook; choose from 01_cx_scorecard, "
                                               r"06_retention_economics"):
        select_notebooks(NOTEBOOKS, ["07"])


def test_flat_file_goes_to_every_notebook_declaring_the_name():
    resolved = resolve_parameters({"min_cell_size": 50, "retention_lift": 0.1}, NOTEBOOKS)
    assert resolved == {"01_cx_scorecard": {"min_cell_size": 50},
                        "06_retention_economics": {"min_cell_size": 50, "retention_lift": 0.1}}


def test_sections_override_common_and_accept_prefixes():
    params = {"common": {"min_cell_size": 40, "retention_lift": 0.05}, "06": {"retention_lift": 0.02},
              "01_cx_scorecard": {"min_cell_size": 100}}
    resolved = resolve_parameters(params, NOTEBOOKS)
    assert resolved["01_cx_scorecard"] == {"min_cell_size": 100}
    assert resolved["06_retention_economics"] == {"min_cell_size": 40, "retention_lift": 0.02}


def test_only_selected_notebooks_receive_parameters_but_all_names_count():
    resolved = resolve_parameters({"retention_lift": 0.1, "nps_method": "wald"}, NOTEBOOKS, [SCORECARD])
    assert resolved == {"01_cx_scorecard": {"nps_method": "wald"}}


def test_int_for_float_becomes_float_and_bool_is_not_a_number():
    resolved = resolve_parameters({"gross_margin_share": 1}, NOTEBOOKS)
    value = resolved["06_retention_economics"]["gross_margin_share"]
    assert value == 1.0 and isinstance(value, float)
    with pytest.raises(ReportInputError, match=r"gross_margin_share \(parameters file\) must be a number like its "
                                               r"default 0.6, got True \(bool\)"):
        resolve_parameters({"gross_margin_share": True}, NOTEBOOKS)
    with pytest.raises(ReportInputError, match=r"horizon_months .* must be a whole number like its default 60, "
                                               r"got 36.5"):
        resolve_parameters({"horizon_months": 36.5}, NOTEBOOKS)
    with pytest.raises(ReportInputError, match=r"use_bootstrap .* must be a true/false like its default True, "
                                               r"got 1 \(int\)"):
        resolve_parameters({"use_bootstrap": 1}, NOTEBOOKS)
    with pytest.raises(ReportInputError, match=r"segments .* must be a list"):
        resolve_parameters({"segments": "SMB"}, NOTEBOOKS)


def test_every_problem_is_listed_with_the_known_names():
    params = {"retention_lfit": 0.05, "lift_kind": 5, "quarter": "2026Q3", "07_other": {"x": 1},
              "06": {"nps_method": "wald"}}
    with pytest.raises(ReportInputError) as caught:
        resolve_parameters(params, NOTEBOOKS)
    message = str(caught.value)
    assert ("unknown parameter 'retention_lfit' (parameters file); known parameters: gross_margin_share, "
            "horizon_months, lift_kind, min_cell_size, nps_method, retention_lift, segments, use_bootstrap"
            in message)
    assert "lift_kind (parameters file) must be a text like its default 'relative', got 5 (int)" in message
    assert "quarter (parameters file) is set by the run: use --data for data_dir and --quarter" in message
    assert "section '07_other' is neither 'common' nor a report notebook" in message
    # nps_method exists, but not in notebook 06: the message lists 06's own parameters
    assert ("unknown parameter 'nps_method' (06_retention_economics); known parameters: gross_margin_share, "
            "horizon_months, lift_kind, min_cell_size, retention_lift, segments, use_bootstrap") in message


def test_a_former_parameter_name_is_rejected_naming_its_new_name():
    params = {"06": {"n_bootstrap": 500}, "n_draws": 2000}
    with pytest.raises(ReportInputError) as caught:
        resolve_parameters(params, NOTEBOOKS)
    message = str(caught.value)
    assert "n_draws (parameters file) is now called n_resamples: rename it in the parameters file" in message
    assert "n_bootstrap (06_retention_economics) is now called n_resamples" in message


def test_a_name_with_different_defaults_must_go_in_a_section():
    feedback = report_notebook("03_feedback_loop", horizon_months=12)
    notebooks = [feedback, ECONOMICS]
    for params in ({"horizon_months": 36}, {"common": {"horizon_months": 36}}):
        with pytest.raises(ReportInputError, match=r"horizon_months means different things in 03_feedback_loop "
                                                   r"\(12\) and 06_retention_economics \(60\): set it in a "
                                                   r"notebook's section"):
            resolve_parameters(params, notebooks)
    resolved = resolve_parameters({"06": {"horizon_months": 36}, "min_cell_size": 50}, notebooks)
    assert resolved == {"03_feedback_loop": {"min_cell_size": 50},
                        "06_retention_economics": {"horizon_months": 36, "min_cell_size": 50}}


def test_read_params_file(tmp_path):
    assert read_params_file(None) == {}
    with pytest.raises(ReportInputError, match=r"parameters file .*nope.yaml does not exist"):
        read_params_file(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("retention_lift: [0.05\n")
    with pytest.raises(ReportInputError, match="is not valid YAML"):
        read_params_file(bad)
    listed = tmp_path / "list.yaml"
    listed.write_text("- retention_lift\n")
    with pytest.raises(ReportInputError, match="must be a mapping of names to values, got list"):
        read_params_file(listed)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing set\n")
    assert read_params_file(empty) == {}


def test_quarter_label():
    check_quarter_label("2026Q3")
    check_quarter_label(None)
    for bad in ("2026q3", "2026Q5", "26Q1", "2026-Q3"):
        with pytest.raises(ReportInputError, match="quarter must look like '2026Q3'"):
            check_quarter_label(bad)


def test_params_example_lists_every_parameter_with_its_default():
    root = Path(__file__).resolve().parents[1]
    notebooks = discover_notebooks(root / "notebooks")
    resolved = resolve_parameters(read_params_file(root / "params.example.yaml"), notebooks)
    assert resolved == {nb.name: {k: v for k, v in nb.defaults.items() if k not in SET_BY_RUN} for nb in notebooks}


TRENDS = report_notebook("01_cx_scorecard", nps_method="adjusted_wald", targets={})


def test_targets_reach_every_notebook_that_declares_them():
    for params in ({"targets": {"nps": 40, "csat": "85%"}}, {"common": {"targets": {"nps": 40, "csat": "85%"}}}):
        resolved = resolve_parameters(params, [TRENDS, ECONOMICS], source="params.yaml")
        assert resolved["01_cx_scorecard"]["targets"] == {"nps": 40.0, "csat": 85.0}
        assert "targets" not in resolved["06_retention_economics"]
    assert resolve_parameters({}, [TRENDS])["01_cx_scorecard"]["targets"] == {}


@pytest.mark.parametrize("params, message", [
    ({"targets": {"nsp": 40}}, "targets.nsp: unknown figure"),
    ({"targets": {"csat": 101}}, "targets.csat: 101 is outside 0 to 100"),
    ({"targets": {"nps": "40%"}}, "targets.nps: is written in '%'"),
    ({"targets": {"ces": "easy"}}, "targets.ces: must be a number, got 'easy'"),
    ({"targets": 40}, "targets: must be a mapping"),
    ({"01": {"targets": {"nps": 40}}}, "01.targets: targets hold for the whole report; set them at the top level"),
    ({"targets": {"nps": 40}, "common": {"targets": {"nps": 45}}}, "targets is set twice"),
])
def test_a_bad_target_stops_the_run_naming_the_file_and_key(params, message):
    with pytest.raises(ReportInputError, match="invalid targets in params.yaml") as err:
        resolve_parameters(params, [TRENDS, ECONOMICS], source="params.yaml")
    assert message in str(err.value)


def test_a_bad_target_in_the_file_is_rejected_before_any_notebook_runs(tmp_path):
    from cxlab.report.plan import plan_run

    path = tmp_path / "params.yaml"
    path.write_text("targets:\n  nps: 40\n  sla_24h_share: 140%\n")
    with pytest.raises(ReportInputError) as err:  # the data folder does not exist: the targets were checked first
        plan_run(None, tmp_path / "no-data", path, tmp_path / "out", False, None, None)
    assert f"invalid targets in {path}" in str(err.value)
    assert "targets.sla_24h_share: 140 is outside 0 to 100" in str(err.value)
