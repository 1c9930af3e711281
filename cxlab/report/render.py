"""Render an executed notebook to a static HTML page without code.

nbconvert's ``basic`` template gives the cells' HTML only (no scripts, no CDN links: the
``lab`` and ``classic`` templates load require.js and MathJax from the internet); the page
shell of :mod:`cxlab.report.layout` adds style, navigation and provenance. Input cells and
prompts are excluded, images stay embedded as data URIs, and stderr output (warnings meant
for analysts) is left out of the page but kept in the executed notebook.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path

import nbformat
from markupsafe import Markup, escape
from nbconvert import HTMLExporter

from cxlab.report.layout import page, write_page
from cxlab.report.provenance import Provenance

__all__ = ["contents", "notebook_body", "notebook_title", "render_notebook_page"]

# nbconvert warns about every plot without alternative text; keep its errors only
_EXPORTER_LOG = logging.getLogger("cxlab.report.nbconvert")
_EXPORTER_LOG.setLevel(logging.ERROR)
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TAG = re.compile(r"<[^>]+>")
_SECTION = re.compile(r'<a id="([^"]+)"></a>\s*\n#{2,3}\s+(.+)')


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


def _contents_html(sections: list[tuple[str, str]], neighbours) -> Markup:
    """A contents list of the page's sections and links to the previous and next pages."""
    links = "".join(f'<li><a href="#{escape(anchor)}">{escape(title)}</a></li>' for anchor, title in sections)
    around = " ".join(f'<a href="{escape(href)}" rel="{rel}">{escape(label)}</a>'
                      for (label, href), rel in zip(neighbours, ("prev", "next"), strict=True) if href)
    return Markup(f'<nav class="cx-contents" aria-label="Contents"><strong>On this page</strong><ol>{links}</ol>'
                  + (f'<p class="cx-pager">{around}</p>' if around else "") + "</nav>")


def render_notebook_page(executed: Path, html_path: Path, *, name: str, provenance: Provenance,
                         nav: list[tuple[str, str]], resources_dir: Path,
                         neighbours=(("", ""), ("", ""))) -> str:
    """Render one executed notebook to ``html_path`` and return the page title.

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
    """
    nb = nbformat.read(executed, as_version=4)
    title = notebook_title(nb, name)
    body = _contents_html(contents(nb), neighbours) + notebook_body(nb, resources_dir=resources_dir)
    document = page(title=f"{title} - {provenance.quarter}", body=body, nav=nav, provenance=provenance,
                    notebook=name)
    write_page(html_path, document)
    return title
