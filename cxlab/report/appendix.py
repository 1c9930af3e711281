"""The technical appendix: the model tables, checks and diagnostics the report pages leave out.

A report page opens with its answer; what a reader needs only to judge how far to trust it
(model tables, proportional-hazards tests, model comparisons, weighting diagnostics, placebo
checks) goes to one appendix page, last in the report. Nothing is computed for the appendix:
it is cut out of the executed notebooks, so it shows the very tables and charts the page's
kernel computed. Two kinds of content move:

* whole sections: notebook cells tagged ``appendix`` (a section's heading and its call),
  shown in JupyterLab as usual but left out of the rendered page;
* a section's technical detail: the block a :class:`~cxlab.sections.result.SectionResult`
  shows between :data:`~cxlab.sections.result.TECHNICAL_START` and
  :data:`~cxlab.sections.result.TECHNICAL_END`; the page keeps a link to it.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass

import nbformat
from markupsafe import Markup, escape

from cxlab.sections.result import TECHNICAL_END, TECHNICAL_START

__all__ = ["APPENDIX_PAGE", "APPENDIX_TAG", "APPENDIX_TITLE", "AppendixPart", "appendix_body", "appendix_part",
           "cut_technical", "is_appendix_cell", "pointer_html", "section_anchor", "split_notebook"]

APPENDIX_TAG = "appendix"
APPENDIX_PAGE = "appendix.html"
APPENDIX_TITLE = "Technical appendix"
_BLOCK = re.compile(re.escape(TECHNICAL_START) + r"\s*<details[^>]*?data-section=\"([^\"]*)\"[^>]*?"
                    r"data-title=\"([^\"]*)\"[^>]*>\s*<summary>.*?</summary>(.*?)</details>\s*"
                    + re.escape(TECHNICAL_END), re.DOTALL)


@dataclass(frozen=True)
class AppendixPart:
    """What one report page contributes to the appendix.

    Attributes
    ----------
    name : str
        The page's notebook name (the anchor of its part of the appendix).
    title : str
        The page's title.
    href : str
        The page's file name.
    body : markupsafe.Markup
        The moved content: each section's technical detail, then the sections moved whole.
    moved : tuple of str
        Titles of what moved, in page order, for the page's pointer to the appendix.
    """

    name: str
    title: str
    href: str
    body: Markup
    moved: tuple[str, ...]


def is_appendix_cell(cell: nbformat.NotebookNode) -> bool:
    """True for a cell tagged ``appendix`` (a section shown in the appendix, not on its page)."""
    return APPENDIX_TAG in cell.get("metadata", {}).get("tags", [])


def split_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """Split an executed notebook into the page's cells and the cells tagged ``appendix``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Executed notebook; not modified.

    Returns
    -------
    (nbformat.NotebookNode, nbformat.NotebookNode)
        The page's notebook and the appendix's, each with its cells in their original order.
    """
    page, moved = copy.deepcopy(nb), copy.deepcopy(nb)
    page.cells = [cell for cell in page.cells if not is_appendix_cell(cell)]
    moved.cells = [cell for cell in moved.cells if is_appendix_cell(cell)]
    return page, moved


def section_anchor(page_name: str, section_key: str) -> str:
    """The appendix anchor of a section's technical detail (``"05_churn_survival-hazard-ratios"``)."""
    return f"{page_name}-{section_key}"


def cut_technical(body: Markup, page_name: str) -> tuple[Markup, list[tuple[str, str, Markup]]]:
    """Cut the technical blocks out of a rendered page, leaving a link to each in the appendix.

    Parameters
    ----------
    body : markupsafe.Markup
        The page's rendered HTML.
    page_name : str
        The page's notebook name.

    Returns
    -------
    (markupsafe.Markup, list of (anchor, title, markupsafe.Markup))
        The page without the blocks, and each block's anchor, section title and content.
    """
    blocks = []

    def replace(match: re.Match) -> str:
        key, title = html.unescape(match.group(1)), html.unescape(match.group(2))
        anchor = section_anchor(page_name, key)
        blocks.append((anchor, title, Markup(match.group(3).strip())))
        return (f'<p class="cx-note cx-appendix-link">Model tables and checks of this section: '
                f'<a href="{APPENDIX_PAGE}#{escape(anchor)}">{APPENDIX_TITLE.lower()}</a>.</p>')

    return Markup(_BLOCK.sub(replace, str(body))), blocks


def appendix_part(*, name: str, title: str, href: str, technical: list[tuple[str, str, Markup]],
                  moved_sections: list[tuple[str, str]], moved_body: Markup) -> AppendixPart:
    """Assemble one page's part of the appendix.

    Parameters
    ----------
    name, title, href : str
        The page's notebook name, title and file name.
    technical : list of (anchor, title, markupsafe.Markup)
        The technical blocks cut from the page (:func:`cut_technical`).
    moved_sections : list of (anchor, title)
        The sections moved whole (the headings of the cells tagged ``appendix``).
    moved_body : markupsafe.Markup
        Those cells rendered.

    Returns
    -------
    AppendixPart
    """
    blocks = [Markup('<section class="cx-appendix-block"><h3 id="{}">{}</h3>\n{}</section>').format(
        anchor, section_title, content) for anchor, section_title, content in technical]
    body = Markup("\n").join([*blocks, moved_body]) if moved_body else Markup("\n").join(blocks)
    return AppendixPart(name=name, title=title, href=href, body=body,
                        moved=tuple([t for _, t, _ in technical] + [t for _, t in moved_sections]))


def pointer_html(part: AppendixPart) -> Markup:
    """The line a page shows in its contents box naming what its appendix part holds."""
    if not part.moved:
        return Markup("")
    return Markup('<p class="cx-appendix-pointer">In the <a href="{}#{}">technical appendix</a>: {}.</p>').format(
        APPENDIX_PAGE, part.name, "; ".join(part.moved))


def appendix_body(parts: list[AppendixPart]) -> Markup:
    """The appendix page's content: a contents list, then one part per report page, in report order.

    Parameters
    ----------
    parts : list of AppendixPart
        The pages' parts; pages that moved nothing are left out.

    Returns
    -------
    markupsafe.Markup
    """
    shown = [part for part in parts if part.moved]
    items = Markup("").join(Markup('<li><a href="#{}">{}</a></li>').format(part.name, part.title) for part in shown)
    intro = Markup(
        "<h1>{}</h1>\n<p>The model tables, assumption checks and diagnostics behind the report's pages, page by "
        "page. They are the same estimates the pages show, cut from the same run; each part links back to its "
        "page.</p>\n").format(APPENDIX_TITLE)
    contents = Markup('<nav class="cx-contents" aria-label="Contents"><strong>In this appendix</strong><ol>{}</ol>'
                      "</nav>\n").format(items) if shown else Markup("<p>No page of this run has technical "
                                                                     "detail.</p>")
    sections = Markup("\n").join(
        Markup('<section class="cx-appendix-page"><h2 id="{}">{}</h2>\n<p class="cx-note">Technical detail of '
               '<a href="{}">{}</a>.</p>\n{}</section>').format(part.name, part.title, part.href, part.title,
                                                                 part.body)
        for part in shown)
    return intro + contents + sections
