"""Render an executed notebook to a static HTML page without code.

nbconvert's ``basic`` template gives the cells' HTML only (no scripts, no CDN links: the
``lab`` and ``classic`` templates load require.js and MathJax from the internet); the page
shell of :mod:`cxlab.report.layout` adds style, navigation and provenance. Input cells and
prompts are excluded, images stay embedded as data URIs, and stderr output (warnings meant
for analysts) is left out of the page but kept in the executed notebook. Technical detail is cut
out of each page for the technical appendix (:mod:`cxlab.report.appendix`), which
:func:`render_appendix_page` writes last.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path

import nbformat
from markupsafe import Markup, escape
from nbconvert import HTMLExporter

from cxlab.headlines import Headline
from cxlab.report.appendix import (
    APPENDIX_PAGE,
    APPENDIX_TITLE,
    AppendixPart,
    appendix_body,
    appendix_part,
    cut_technical,
    pointer_html,
    split_notebook,
)
from cxlab.report.layout import page, write_page
from cxlab.report.provenance import Provenance
from cxlab.report.summary import format_headline
from cxlab.sections.formatting import money, money_interval

__all__ = ["contents", "notebook_body", "notebook_title", "render_notebook_page"]

# nbconvert warns about every plot without alternative text; keep its errors only
_EXPORTER_LOG = logging.getLogger("cxlab.report.nbconvert")
_EXPORTER_LOG.setLevel(logging.ERROR)
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TAG = re.compile(r"<[^>]+>")
_SECTION = re.compile(r'<a id="([^"]+)"></a>\s*\n#{2,3}\s+(.+)')
_FIRST_HEADING_END = re.compile(r"</h1>")
ANSWER_FIGURES = 6
_MONEY_UNIT = re.compile(r"[A-Z]{3}")
SKIPPED_TAG = "skipped-section"


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """Return the text of the notebook's first level-1 markdown heading, else ``default``.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Churn <a id='x'></a>survival")])
    >>> notebook_title(nb, "05_churn_survival")
    'Churn survival'
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                text = _TAG.sub("", match.group(1)).replace("*", "").replace("`", "").strip()
                if text:
                    return text
    return default


def _without_stderr(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return shown


def _skipped(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose every HTML output says its section was skipped."""
    shown = [o.get("data", {}).get("text/html", "") for o in cell.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")]
    return bool(shown) and all("cx-unavailable" in "".join(html) for html in shown)


def without_skipped_explanations(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only the headings and anchors of the markdown that explains a section the data skipped.

    A section the data do not allow shows one sentence saying why; the paragraphs explaining
    how to read its tables would describe tables that are not there. Its cells are tagged
    :data:`SKIPPED_TAG`, which the print style hides: paper carries only what was found.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Executed notebook; not modified.

    Returns
    -------
    nbformat.NotebookNode
    """
    shown = copy.deepcopy(nb)
    explanation: list[nbformat.NotebookNode] = []
    for cell in shown.cells:
        if cell.cell_type == "markdown":
            explanation.append(cell)
            continue
        if _skipped(cell):
            for markdown in explanation:
                kept = [line for line in markdown.source.splitlines()
                        if line.lstrip().startswith("#") or re.fullmatch(r'\s*<a id="[^"]+"></a>\s*', line)]
                markdown.source = "\n".join(kept)
            for skipped in [*explanation, cell]:  # the print style leaves them out (class celltag_<tag>)
                skipped.metadata["tags"] = [*skipped.metadata.get("tags", []), SKIPPED_TAG]
        explanation = []
    return shown


def notebook_body(nb: nbformat.NotebookNode, *, resources_dir: Path) -> Markup:
    """Convert a notebook's markdown and outputs (no code, no prompts, no stderr) to an HTML fragment.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Executed notebook; not modified.
    resources_dir : pathlib.Path
        Folder against which images linked from markdown are resolved (they are embedded).

    Returns
    -------
    markupsafe.Markup
    """
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True, log=_EXPORTER_LOG)
    body, _ = exporter.from_notebook_node(_without_stderr(nb), resources={"metadata": {"path": str(resources_dir)}})
    return Markup(body)


def contents(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The page's sections as (anchor, title): each markdown ``<a id="..."></a>`` followed by a heading.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('<a id="drivers"></a>\\n## Key drivers')])
    >>> contents(nb)
    [('drivers', 'Key drivers')]
    """
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = _SECTION.search(cell.source)
        if match:
            found.append((match.group(1), match.group(2).strip()))
    return found


def _contents_html(sections: list[tuple[str, str]], neighbours, pointer: str = "") -> Markup:
    """A contents list of the page's sections, what moved to the appendix, and the previous and next pages."""
    links = "".join(f'<li><a href="#{escape(anchor)}">{escape(title)}</a></li>' for anchor, title in sections)
    around = " ".join(f'<a href="{escape(href)}" rel="{rel}">{escape(label)}</a>'
                      for (label, href), rel in zip(neighbours, ("prev", "next"), strict=True) if href)
    return Markup(f'<nav class="cx-contents" aria-label="Contents"><strong>On this page</strong><ol>{links}</ol>'
                  + str(pointer) + (f'<p class="cx-pager">{around}</p>' if around else "") + "</nav>")


def page_answer(headlines: dict[str, Headline]) -> Markup:
    """The box a page opens with: its own headline figures, each with its interval and a link to its section.

    Shown are up to :data:`ANSWER_FIGURES` figures the page's notebook recorded, in the order
    recorded, leaving out those it could not compute and those without a unit (model parameters
    such as the retention model's alpha, which the technical appendix explains).

    Parameters
    ----------
    headlines : dict of str to Headline
        The figures the page's notebook recorded.

    Returns
    -------
    markupsafe.Markup
        The box, or nothing when no figure qualifies.
    """
    shown = [h for h in headlines.values() if h.value is not None and (h.unit or isinstance(h.value, str))]
    items = []
    for headline in shown[:ANSWER_FIGURES]:
        cell = format_headline(headline, f"#{headline.section}" if headline.section else "")
        if not cell.available:
            continue
        text, interval_text = cell.text, cell.interval
        if _MONEY_UNIT.fullmatch(headline.unit or "") and not isinstance(headline.value, str):
            # money is rounded to what its interval supports, as on the board page
            text = money(headline.value, headline.unit, low=headline.ci_low, high=headline.ci_high) or text
            if headline.ci_low is not None and headline.ci_high is not None:
                interval_text = money_interval(headline.ci_low, headline.ci_high, headline.unit) or interval_text
        interval = Markup(" (95% interval {})").format(interval_text) if interval_text else ""
        items.append(Markup('<li><a href="{}">{}</a>: <strong>{}</strong>{}</li>').format(
            cell.href or "#", headline.label, text, interval))
    if not items:
        return Markup("")
    return Markup('<section class="cx-page-answer" aria-label="The answer"><h2 id="the-answer">In short</h2>'
                  "<ul>{}</ul></section>").format(Markup("").join(items))


def _after_title(body: Markup, inserted: Markup) -> Markup:
    """Insert markup right after the page's first level-1 heading (at the top when it has none)."""
    text = str(body)
    match = _FIRST_HEADING_END.search(text)
    if match is None:
        return inserted + body
    return Markup(text[:match.end()] + str(inserted) + text[match.end():])


def render_notebook_page(executed: Path, html_path: Path, *, name: str, provenance: Provenance,
                         nav: list[tuple[str, str]], resources_dir: Path,
                         neighbours=(("", ""), ("", "")),
                         headlines: dict[str, Headline] | None = None) -> tuple[str, AppendixPart]:
    """Render one executed notebook to ``html_path``; return its title and its part of the appendix.

    Cells tagged ``appendix`` and the sections' technical blocks are left out of the page and
    returned for the technical appendix (:mod:`cxlab.report.appendix`).

    Parameters
    ----------
    executed : pathlib.Path
        The executed notebook written by papermill.
    html_path : pathlib.Path
        Output HTML file.
    name : str
        Notebook name, used for its parameters in the footer and as title fallback.
    provenance : Provenance
        Shown in the footer.
    nav : list of (label, href)
        Links in the top bar.
    resources_dir : pathlib.Path
        The source notebooks' folder (images linked from markdown are resolved there).
    neighbours : ((label, href), (label, href))
        The previous and the next page of the report ("" where there is none).
    headlines : dict of str to Headline, optional
        The page's headline figures, shown right under its title (:func:`page_answer`).

    Returns
    -------
    (str, AppendixPart)
    """
    nb = nbformat.read(executed, as_version=4)
    title = notebook_title(nb, name)
    on_page, moved = split_notebook(without_skipped_explanations(nb))
    body, technical = cut_technical(notebook_body(on_page, resources_dir=resources_dir), name)
    moved_body = notebook_body(moved, resources_dir=resources_dir) if moved.cells else Markup("")
    part = appendix_part(name=name, title=title, href=html_path.name, technical=technical,
                         moved_sections=contents(moved), moved_body=moved_body)
    # title, then the answer, then the contents: the answer is in the first screen on a phone too
    body = _after_title(body, page_answer(headlines or {}) + _contents_html(contents(on_page), neighbours,
                                                                            pointer_html(part)))
    document = page(title=f"{title} - {provenance.quarter}", body=body, nav=nav, provenance=provenance,
                    notebook=name)
    write_page(html_path, document)
    return title, part


def render_appendix_page(folder: Path, parts: list[AppendixPart], *, provenance: Provenance,
                         nav: list[tuple[str, str]], previous: tuple[str, str] = ("", "")) -> Path:
    """Write the technical appendix (``appendix.html``), the report's last page.

    Parameters
    ----------
    folder : pathlib.Path
        The quarter's (build) folder.
    parts : list of AppendixPart
        Each rendered page's part, in report order.
    provenance : Provenance
        Shown in the footer.
    nav : list of (label, href)
        Links in the top bar.
    previous : (label, href)
        The page before the appendix.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    pager = Markup("")
    if previous[1]:
        pager = Markup('<p class="cx-pager"><a href="{}" rel="prev">{}</a></p>').format(previous[1], previous[0])
    document = page(title=f"{APPENDIX_TITLE} - {provenance.quarter}", body=pager + appendix_body(parts), nav=nav,
                    provenance=provenance)
    return write_page(Path(folder) / APPENDIX_PAGE, document)
