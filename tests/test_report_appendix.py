"""The technical appendix: detail cut from the executed pages, the pages' opening answer, skipped sections."""

from __future__ import annotations

import nbformat
import pandas as pd
from markupsafe import Markup

from cxlab.headlines import Headline
from cxlab.report.appendix import APPENDIX_PAGE, cut_technical, split_notebook
from cxlab.report.provenance import Provenance
from cxlab.report.render import (
    page_answer,
    render_appendix_page,
    render_notebook_page,
    without_skipped_explanations,
)
from cxlab.sections.result import SectionResult, Table


def _result() -> SectionResult:
    return SectionResult(
        "cox", "What drives churn: <hazard> ratios", answer="Detractors churn twice as fast.",
        tables=[Table(pd.DataFrame({"Group": ["Detractor"], "Share": ["12.0%"]}), "On the page")],
        technical=[Table(pd.DataFrame({"Term": ["detractor"], "Hazard ratio": ["2.08"]}), "Cox coefficients"),
                   "Proportional hazards hold (p = 0.41)."])


def _executed_notebook() -> nbformat.NotebookNode:
    """A small executed report notebook: a page section with technical detail, a tagged one and a skipped one."""
    shown = _result()
    moved = SectionResult("ph-test", "Is each effect the same at every tenure?", answer="Yes, for every term.")
    skipped = SectionResult("questions", "The survey's own questions", unavailable="the data has no question catalogue")

    def output_cell(result, tags=()):
        cell = nbformat.v4.new_code_cell("report.show(...)", metadata={"tags": list(tags)})
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": result._repr_html_(),
                                                                    "text/plain": repr(result)})]
        return cell

    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Churn survival\n\nHow to read this page: a long introduction."),
        nbformat.v4.new_markdown_cell('<a id="cox"></a>\n## What drives churn\n\nA hazard ratio says ...'),
        output_cell(shown),
        nbformat.v4.new_markdown_cell('<a id="ph-test"></a>\n### Is each effect the same at every tenure?\n\n'
                                      "Schoenfeld residuals ...", metadata={"tags": ["appendix"]}),
        output_cell(moved, tags=["appendix"]),
        nbformat.v4.new_markdown_cell('<a id="questions"></a>\n## The survey\'s own questions\n\n'
                                      "A paragraph explaining tables that are not there."),
        output_cell(skipped),
    ])


def test_technical_detail_is_folded_between_markers_and_cut_out_with_a_link():
    html = _result()._repr_html_()
    assert '<details class="cx-technical" data-section="cox"' in html and "Cox coefficients" in html
    assert "&lt;hazard&gt;" in html  # the title in the attribute is escaped
    body, blocks = cut_technical(Markup(f"<p>before</p>{html}<p>after</p>"), "05_churn_survival")
    assert "Cox coefficients" not in body and "Proportional hazards hold" not in body
    assert "On the page" in body and "<p>before</p>" in body and "<p>after</p>" in body
    assert f'href="{APPENDIX_PAGE}#05_churn_survival-cox"' in body
    [(anchor, title, content)] = blocks
    assert anchor == "05_churn_survival-cox" and title == "What drives churn: <hazard> ratios"
    assert "Cox coefficients" in content and "2.08" in content and "Proportional hazards hold (p = 0.41)." in content
    assert "<summary>" not in content


def test_text_of_a_result_lists_its_technical_detail():
    text = repr(_result())
    assert "Cox coefficients" in text and "2.08" in text and "Proportional hazards hold" in text


def test_cells_tagged_appendix_leave_the_page_and_skipped_sections_keep_only_their_heading():
    nb = _executed_notebook()
    page, moved = split_notebook(nb)
    assert len(page.cells) == 5 and len(moved.cells) == 2 and len(nb.cells) == 7  # the original is untouched
    assert all("appendix" in cell.metadata["tags"] for cell in moved.cells)
    trimmed = without_skipped_explanations(nb)
    assert trimmed.cells[5].source == '<a id="questions"></a>\n## The survey\'s own questions'
    assert [i for i, cell in enumerate(trimmed.cells) if "skipped-section" in cell.metadata.get("tags", [])] == [5, 6]
    assert "A hazard ratio says" in trimmed.cells[1].source  # explanations of sections that ran stay
    assert "long introduction" in trimmed.cells[0].source


def test_page_opens_with_its_figures_and_leaves_out_model_parameters():
    headlines = {
        "median_tenure": Headline("median_tenure", "Median customer tenure", 58.0, "months", 55.0, 61.0, 20000,
                                  "overall"),
        "sbg_alpha": Headline("sbg_alpha", "Retention model: alpha", 0.414, "", 0.39, 0.44, 20000, "sbg"),
        "missing": Headline("missing", "Not computed", None, "%", section="x"),
        "theme": Headline("theme", "What detractors write about most", "late delivery", "", section="scores"),
        "clv": Headline("clv", "Lifetime value", 104411.44, "EUR", 96254.1, 128581.2, 20000, "clv"),
    }
    box = str(page_answer(headlines))
    assert '<a href="#overall">Median customer tenure</a>: <strong>58.0 months</strong>' in box
    assert "(95% interval 55.0 to 61.0)" in box
    assert "late delivery" in box and "alpha" not in box and "Not computed" not in box
    # money to the precision its interval supports (two significant digits of the interval's width)
    assert "<strong>104,000 EUR</strong> (95% interval 96,000 EUR to 129,000 EUR)" in box
    assert page_answer({}) == ""


def test_rendered_page_and_appendix(tmp_path):
    executed = tmp_path / "05_churn_survival.ipynb"
    nbformat.write(_executed_notebook(), executed)
    provenance = Provenance(quarter="2026Q3", data_as_of="2026-09-30", data_folder="data", file_hashes={},
                            parameters={}, versions={}, git_commit="abc", started_at="2026-10-01T06:00:00")
    headlines = {"median_tenure": Headline("median_tenure", "Median customer tenure", 58.0, "months", 55.0, 61.0,
                                           20000, "overall")}
    title, part = render_notebook_page(executed, tmp_path / "05_churn_survival.html", name="05_churn_survival",
                                       provenance=provenance, nav=[], resources_dir=tmp_path,
                                       neighbours=(("", ""), ("Next: technical appendix", APPENDIX_PAGE)),
                                       headlines=headlines)
    page = (tmp_path / "05_churn_survival.html").read_text()
    assert title == "Churn survival"
    main = page[page.index("<main>"):page.index("</main>")]
    # the answer comes right after the title, before the introduction
    assert main.index("</h1>") < main.index("Median customer tenure") < main.index("On this page") < main.index(
        "long introduction")
    assert "Cox coefficients" not in main and "Schoenfeld" not in main and "Yes, for every term" not in main
    assert "A paragraph explaining tables that are not there" not in main and "This section is skipped" in main
    assert 'href="#ph-test"' not in main  # the moved section is not in the page's contents
    assert "Is each effect the same at every tenure?" in main  # ... but named in the pointer to the appendix
    assert part.moved == ("What drives churn: <hazard> ratios", "Is each effect the same at every tenure?")
    render_appendix_page(tmp_path, [part], provenance=provenance, nav=[],
                         previous=("Previous: 05_churn_survival", "05_churn_survival.html"))
    appendix = (tmp_path / APPENDIX_PAGE).read_text()
    for shown in ("Cox coefficients", "2.08", "Proportional hazards hold", "Schoenfeld residuals",
                  "Yes, for every term",
                  'id="05_churn_survival"', 'id="05_churn_survival-cox"', 'href="05_churn_survival.html"'):
        assert shown in appendix, shown
    assert "&lt;hazard&gt;" in appendix and "<hazard>" not in appendix
