"""The page shell shared by every report page: style, navigation and the provenance footer.

Pages are static and self-contained: one HTML file with its style inline, images as data
URIs, no scripts, no external resources, so they open offline and can be mailed around.
All text goes through Jinja's autoescape; only HTML that nbconvert produced from the
executed notebook is inserted as markup.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from markupsafe import Markup

from cxlab.report.provenance import Provenance

__all__ = ["CSS", "ENVIRONMENT", "page", "write_page"]

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1d2329; margin: 0; line-height: 1.45; background: #fff; }
header.cx-top, main, footer.cx-provenance { max-width: 1100px; margin: 0 auto; padding: 0 1.5rem; }
header.cx-top { border-bottom: 1px solid #d7dde3; padding-top: .8rem; padding-bottom: .6rem; font-size: .9rem; }
header.cx-top a { color: #1f5f99; margin-right: 1rem; }
main { padding-top: 1rem; padding-bottom: 2rem; }
h1, h2, h3 { line-height: 1.2; }
a { color: #1f5f99; }
a.anchor-link { display: none; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border-bottom: 1px solid #e3e7eb; padding: .3rem .6rem; text-align: right; vertical-align: top; }
th { background: #f4f6f8; }
td:first-child, th:first-child { text-align: left; }
td.cx-text, th.cx-text { text-align: left; }
pre { white-space: pre-wrap; font-size: .85rem; }
.output_html, .output_subarea { overflow-x: auto; }
table.dataframe, table.dataframe th, table.dataframe td { border: none; border-bottom: 1px solid #e3e7eb; }
.cx-na { color: #8a6d00; }
.cx-nowrap { white-space: nowrap; }
.cx-note { color: #56616b; font-size: .85rem; }
footer.cx-provenance { border-top: 1px solid #d7dde3; margin-top: 2rem; padding-top: .5rem; padding-bottom: 2rem;
                       font-size: .8rem; color: #444d56; }
footer.cx-provenance dt { font-weight: 600; margin-top: .4rem; }
footer.cx-provenance dd { margin-left: 1rem; }
footer.cx-provenance code { font-size: .78rem; }
nav.cx-contents { border: 1px solid #d7dde3; border-radius: 6px; padding: .5rem .9rem; margin: .5rem 0 1rem;
                  font-size: .9rem; }
nav.cx-contents ol { margin: .3rem 0; padding-left: 1.3rem; columns: 2 16rem; }
.cx-pager a { margin-right: 1.2rem; }
.cx-answer { font-size: 1.02rem; max-width: 48rem; }
.cx-page-answer { border-left: 4px solid #0072b2; background: #f4f8fb; padding: .4rem .9rem; margin: .8rem 0 1rem; }
.cx-page-answer h2 { font-size: 1.05rem; margin: .3rem 0; }
.cx-page-answer ul { margin: .2rem 0 .4rem; padding-left: 1.2rem; }
details.cx-technical { margin: .4rem 0 1rem; } details.cx-technical summary { cursor: pointer; color: #56616b; }
.cx-appendix-pointer { font-size: .85rem; margin: .3rem 0; }
@media (max-width: 700px) {
  header.cx-top, main, footer.cx-provenance { padding: 0 .7rem; }
  table { display: block; max-width: 100%; overflow-x: auto; }
  th, td { padding: .25rem .4rem; }
  h1 { font-size: 1.5rem; }
}
@media print {
  header.cx-top, nav.cx-contents { display: none; }
  body { font-size: 8.5pt; }
  main { max-width: none; padding: 0; }
  table { width: 100%; font-size: 7pt; }
  th, td { padding: .1rem .25rem; white-space: normal; }
  .cx-nowrap { white-space: normal; }
  img { max-height: 5.5cm; width: auto; }
  details.cx-technical, .cx-appendix-link, .celltag_skipped-section { display: none; }
  h1 { font-size: 15pt; margin: 0 0 .3rem; }
  h2 { font-size: 12pt; margin: .8rem 0 .3rem; }
  h3 { font-size: 10pt; margin: .6rem 0 .2rem; }
  p, ul, ol { margin: .3rem 0; }
  .cx-page-answer { background: none; }
  .cx-page-answer ul { columns: 2; column-gap: 1.5rem; }
  .cx-answer { font-size: 9.5pt; }
  .cx-note, .cx-caption, pre { font-size: 7.5pt; }
  h2, h3 { break-after: avoid; }
  img, svg, .cx-tile, tr { break-inside: avoid; }
  footer.cx-provenance { display: none; }
}
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="cx-top">
{%- for label, href in nav %}<a href="{{ href }}">{{ label }}</a>{% endfor -%}
</header>
<main>
{{ body }}
</main>
{% if provenance %}<footer class="cx-provenance" id="provenance">
<h2>How this report was made</h2>
<dl>
<dt>Quarter</dt><dd>{{ provenance.quarter }} (data as of {{ provenance.data_as_of }})</dd>
<dt>Data folder</dt><dd><code>{{ provenance.data_folder }}</code>
{%- if provenance.validated_by %}, validated with {{ provenance.validated_by }}{% endif %}</dd>
<dt>Input files (SHA-256, first 12 hex digits)</dt>
<dd>{% for name, digest in provenance.file_hashes.items() %}<code>{{ name }}</code> {{ digest }}{% if not loop.last %};
{% endif %}{% endfor %}</dd>
<dt>Parameters</dt>
{% for notebook, values in parameters.items() %}<dd>{% if parameters|length > 1 %}{{ notebook }}: {% endif %}
{%- for name, value in values.items() %}<code>{{ name }} = {{ value }}</code>{% if not loop.last %}, {% endif %}
{%- else %}defaults of the notebook{% endfor %}</dd>
{% endfor %}
<dt>Software</dt><dd>{% for name, v in provenance.versions.items() %}{{ name }} {{ v }}{% if not loop.last %},
{% endif %}{% endfor %}</dd>
<dt>Code version (git commit)</dt><dd><code>{{ provenance.git_commit }}</code></dd>
<dt>Run</dt><dd>started {{ provenance.started_at }}
{%- if seconds is not none %}; this notebook ran {{ "%.1f"|format(seconds) }} s{% endif %}
{%- if run_again_alone %} (run a second time, alone, after its kernel died beside other
 notebooks){% endif %}
{%- if provenance.duration_seconds is not none %}; all notebooks finished after
 {{ "%.1f"|format(provenance.duration_seconds) }} s{% endif %}</dd>
</dl>
</footer>{% endif %}
</body>
</html>
"""

ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                 trim_blocks=False, lstrip_blocks=False)
_PAGE_TEMPLATE = ENVIRONMENT.from_string(_PAGE)


def page(*, title: str, body: Markup | str, nav: list[tuple[str, str]], provenance: Provenance | None,
         notebook: str | None = None) -> str:
    """Wrap page content in the shared shell.

    Parameters
    ----------
    title : str
        Page title (escaped).
    body : markupsafe.Markup or str
        Main content; a plain ``str`` is escaped, :class:`~markupsafe.Markup` is inserted as is.
    nav : list of (label, href)
        Links in the top bar.
    provenance : Provenance or None
        Shown as the footer; None for pages without one.
    notebook : str, optional
        Show only this notebook's parameters and run time (and whether it was run again alone); all
        notebooks' parameters when omitted.

    Returns
    -------
    str
        The complete HTML document.
    """
    parameters = {}
    seconds = None
    run_again_alone = False
    if provenance is not None:
        shown = {notebook: provenance.parameters.get(notebook, {})} if notebook else provenance.parameters
        parameters = {nb: {name: json.dumps(value, ensure_ascii=False) for name, value in values.items()}
                      for nb, values in shown.items()}
        seconds = provenance.notebook_seconds.get(notebook) if notebook else None
        run_again_alone = notebook in provenance.run_again_alone
    return _PAGE_TEMPLATE.render(title=title, css=Markup(CSS), body=body, nav=nav, provenance=provenance,
                                 parameters=parameters, seconds=seconds, run_again_alone=run_again_alone)


def write_page(path: Path, document: str) -> Path:
    """Write an HTML document as UTF-8 (through a temporary file, so readers never see half a page)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(document, encoding="utf-8")
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)  # e.g. disk full: leave no half-written file behind
        raise
    return path
