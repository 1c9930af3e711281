"""The executive summary of a quarter (``<quarter>/index.html``) and the list of quarters (``index.html``).

Every number comes from the headlines JSON files the notebooks wrote (see
:mod:`cxlab.headlines`); nothing is recomputed here. A figure that is missing or null is
shown as "not available" with its note. Each figure links to the notebook section that
explains it (``<notebook>.html#<section>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from cxlab.headlines import Headline, read_headlines
from cxlab.report import board
from cxlab.report.figures import format_number, headline_decimals, number_or_none
from cxlab.report.group_flags import KEY as GROUP_FLAGS_KEY
from cxlab.report.group_flags import group_flags
from cxlab.report.layout import ENVIRONMENT, page, write_page
from cxlab.report.provenance import Provenance, read_provenance

__all__ = ["GLANCE", "NOT_AVAILABLE", "Cell", "GlanceRow", "NotebookPage", "format_headline", "load_page_headlines",
           "report_quarters", "write_quarter_summary", "write_quarters_index"]

NOT_AVAILABLE = "not available"
_QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class GlanceRow:
    """One line of the at-a-glance table: a headline key and, optionally, the keys of its two changes."""

    key: str
    label: str
    change_prev_quarter: str | None = None
    change_prev_year: str | None = None


GLANCE = (
    ("Customer experience", (
        GlanceRow("nps", "Relationship NPS", "nps_change_prev_quarter", "nps_change_prev_year"),
        GlanceRow("csat", "CSAT (share satisfied)", "csat_change_prev_quarter", "csat_change_prev_year"),
        GlanceRow("ces", "CES (customer effort)", "ces_change_prev_quarter", "ces_change_prev_year"),
    )),
    ("Retention", (
        GlanceRow("median_tenure", "Median customer tenure"),
        GlanceRow("retention", "12-month retention", "retention_change_prev_quarter", "retention_change_prev_year"),
    )),
    ("Retention economics", (
        GlanceRow("clv", "Customer lifetime value"),
        GlanceRow("ltv_cac", "LTV/CAC"),
        GlanceRow("lift_profit", "Profit from the retention lift"),
        GlanceRow("lift_profit_pct", "Profit from the retention lift, relative"),
        GlanceRow("acquisition_alternative_profit", "Profit from spending the same on acquisition"),
    )),
)


@dataclass(frozen=True)
class NotebookPage:
    """A rendered notebook page of the quarter and the headlines its notebook recorded."""

    name: str
    title: str
    href: str
    headlines: dict


def load_page_headlines(path: Path) -> dict[str, Headline]:
    """Read a notebook's headlines JSON; an absent file (notebook recorded nothing) gives ``{}``."""
    return read_headlines(path) if Path(path).is_file() else {}


@dataclass(frozen=True)
class Cell:
    """A formatted figure for the summary tables."""

    text: str
    interval: str = ""
    n: str = ""
    note: str = ""
    href: str = ""
    available: bool = True


def format_headline(headline: Headline | None, href: str = "", *, signed: bool = False,
                    decimals: int | None = None, missing_note: str = "") -> Cell:
    """Format a headline's value, interval and n (``not available`` with its note when missing).

    Parameters
    ----------
    headline : Headline or None
        The figure; None when no notebook recorded it.
    href : str
        Link to the section explaining the figure.
    signed : bool
        Show a sign (for changes).
    decimals : int, optional
        Decimals of value and interval; default :func:`headline_decimals`.
    missing_note : str
        Note shown when ``headline`` is None.
    """
    if headline is None or headline.value is None:
        note = headline.note if headline is not None and headline.note else missing_note
        return Cell(NOT_AVAILABLE, note=note, href=href, available=False)
    n = "" if headline.n is None else f"{headline.n:,}"
    if isinstance(headline.value, str):
        return Cell(headline.value, n=n, note=headline.note, href=href)
    decimals = headline_decimals(headline) if decimals is None else decimals
    low, high = number_or_none(headline.ci_low), number_or_none(headline.ci_high)
    interval = ""
    if low is not None and high is not None:
        bound_unit = headline.unit if headline.unit in ("%", "share") else ""  # the value carries the unit
        interval = (f"{format_number(low, bound_unit, decimals=decimals, signed=signed)} to "
                    f"{format_number(high, bound_unit, decimals=decimals, signed=signed)}")
    return Cell(format_number(float(headline.value), headline.unit, decimals=decimals, signed=signed), interval, n,
                headline.note, href)


def _href(page_: NotebookPage, headline: Headline) -> str:
    return f"{page_.href}#{quote(headline.section)}" if headline.section else page_.href


_SUMMARY = """
<style>
.cx-brief { font-size: 1.05rem; max-width: 46rem; }
.cx-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .8rem; margin: 1rem 0; }
.cx-tile { border: 1px solid #d0d7de; border-radius: 6px; padding: .7rem .8rem; break-inside: avoid; }
.cx-tile h3 { font-size: .85rem; font-weight: 600; margin: 0 0 .3rem; }
.cx-tile .cx-value { font-size: 1.5rem; font-weight: 600; }
.cx-tile .cx-range, .cx-tile .cx-change { font-size: .8rem; color: #444d56; }
.cx-beyond { font-weight: 600; }
.cx-target { font-size: .8rem; margin-top: .2rem; }
.cx-status-on { color: #006D4F; font-weight: 600; }
.cx-status-below, .cx-status-above { color: #A63D00; font-weight: 600; }
.cx-details { margin: 1rem 0; } .cx-details summary { cursor: pointer; font-weight: 600; }
@media print { .cx-tiles { grid-template-columns: repeat(3, 1fr); } .cx-details { display: none; } }
</style>
<h1>Customer experience report {{ quarter }}</h1>
<p>The quarter ends {{ quarter_end }}; the data runs to {{ data_as_of }}. Each figure links to the analysis that
explains it. Intervals are 95% intervals unless the note says otherwise.</p>
{% if brief %}<h2 id="in-brief">In brief</h2>
<ul class="cx-brief">{% for sentence in brief %}<li>{{ sentence }}</li>{% endfor %}</ul>{% endif %}
{% if flags %}<h2 id="groups">{{ flags.title }}</h2>
<p class="cx-brief">{{ flags.sentence }} <a href="{{ flags.href }}">See the figures by group</a>.</p>{% endif %}
{% if tiles %}<h2 id="figures">The figures</h2>
<div class="cx-tiles">{% for tile in tiles %}<div class="cx-tile" id="tile-{{ tile.key }}">
<h3><a href="{{ tile.href }}">{{ tile.label }}</a></h3>
<div class="cx-value{% if tile.value == "not available" %} cx-na{% endif %}">{{ tile.value }}</div>
{% if tile.interval %}<div class="cx-range">95% interval {{ tile.interval }}</div>{% endif %}
{% if tile.target %}<div class="cx-target cx-status-{{ tile.status.split()[0] }}">Target {{ tile.target }}: {{
tile.status }}<sup><a href="#target-status">*</a></sup></div>{% endif %}
{% for change in tile.changes %}<div class="cx-change{% if change.beyond_chance %} cx-beyond{% endif %}">vs
{{ change.reference }}: {{ change.text }}{% if change.interval %} ({{ change.interval }}){% endif %}
{%- if change.beyond_chance %}, beyond chance{% endif %}</div>{% endfor %}
{{ tile.sparkline }}
{% if tile.value == "not available" %}<div class="cx-note">{{ tile.note }}</div>{% endif %}
</div>{% endfor %}</div>
{% if target_footnote %}<p class="cx-note" id="target-status"><sup>*</sup> {{ target_footnote }}</p>{% endif %}
{% endif %}
<details class="cx-details" id="at-a-glance"><summary>The headline figures as one table, with notes</summary>
<table class="cx-glance">
<thead><tr><th>Figure</th><th>Value</th><th>Interval</th><th>n</th><th>vs previous quarter</th>
<th>vs same quarter last year</th><th class="cx-text">Note</th></tr></thead>
{% for group, rows in glance %}
<tbody><tr><th colspan="7" class="cx-text">{{ group }}</th></tr>
{% for label, cell, prev_q, prev_y in rows %}<tr>
<td>{% if cell.href %}<a href="{{ cell.href }}">{{ label }}</a>{% else %}{{ label }}{% endif %}</td>
<td class="cx-nowrap{% if not cell.available %} cx-na{% endif %}">{{ cell.text }}</td>
<td class="cx-nowrap">{{ cell.interval }}</td><td>{{ cell.n }}</td>
{% for change in (prev_q, prev_y) %}<td>{% if change %}
{%- if change.href %}<a href="{{ change.href }}" title="{{ change.note }}"
{%- if not change.available %} class="cx-na"{% endif %}>{{ change.text }}</a>
{%- else %}<span class="cx-na" title="{{ change.note }}">{{ change.text }}</span>{% endif %}
{%- if change.interval %}<br><span class="cx-note cx-nowrap">{{ change.interval }}</span>{% endif %}
{%- endif %}</td>{% endfor %}
<td class="cx-text cx-note">{{ cell.note }}</td></tr>
{% endfor %}</tbody>
{% endfor %}
</table></details>
{% if details %}<details class="cx-details" id="more-figures"><summary>More figures by analysis</summary>
{% for page_, rows in details %}<h3><a href="{{ page_.href }}">{{ page_.title }}</a></h3>
<table><thead><tr><th>Figure</th><th>Value</th><th>Interval</th><th>n</th><th class="cx-text">Note</th></tr></thead>
<tbody>{% for label, cell in rows %}<tr><td><a href="{{ cell.href }}">{{ label }}</a></td>
<td class="cx-nowrap{% if not cell.available %} cx-na{% endif %}">{{ cell.text }}</td>
<td class="cx-nowrap">{{ cell.interval }}</td><td>{{ cell.n }}</td><td class="cx-text cx-note">{{ cell.note }}</td></tr>
{%- endfor %}</tbody></table>
{% endfor %}</details>{% endif %}
<h2 id="analyses">The full analyses</h2>
<ul>{% for page_ in pages %}<li><a href="{{ page_.href }}">{{ page_.title }}</a></li>{% endfor %}</ul>
"""

_QUARTERS = """
<h1>Customer experience reports</h1>
{% if rows %}<table><thead><tr><th>Quarter</th><th>Data as of</th><th class="cx-text">Data folder</th>
<th class="cx-text">Run started</th><th class="cx-text">Code version</th></tr></thead><tbody>
{% for quarter, prov in rows %}<tr><td><a href="{{ quarter }}/index.html">{{ quarter }}</a></td>
<td>{{ prov.data_as_of if prov else "" }}</td><td class="cx-text">{{ prov.data_folder if prov else "" }}</td>
<td class="cx-text">{{ prov.started_at if prov else "" }}</td>
<td class="cx-text"><code>{{ prov.git_commit[:12] if prov else "" }}</code></td></tr>
{% endfor %}</tbody></table>
{% else %}<p>No quarter has been rendered yet.</p>{% endif %}
"""


def write_quarter_summary(folder: Path, *, quarter: str, quarter_end: str, pages: list[NotebookPage],
                          provenance: Provenance) -> Path:
    """Write ``index.html``, the executive summary of a quarter, into ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        The quarter's (build) folder; the notebook pages are in the same folder.
    quarter, quarter_end : str
        Report quarter and its last day (ISO).
    pages : list of NotebookPage
        The rendered notebook pages, in report order, with their headlines.
    provenance : Provenance
        Shown in the footer.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    located = {key: (page_, headline) for page_ in reversed(pages) for key, headline in page_.headlines.items()}

    def cell(key: str | None, *, signed: bool = False, decimals: int | None = None) -> Cell | None:
        if key is None:
            return None
        if key not in located:
            return format_headline(None, missing_note="not reported by this run")
        page_, headline = located[key]
        return format_headline(headline, _href(page_, headline), signed=signed, decimals=decimals)

    glance, shown = [], {GROUP_FLAGS_KEY}  # the drill-down's differences have a block of their own
    for group, rows in GLANCE:
        formatted = []
        for row in rows:
            label = located[row.key][1].label if row.key in located else row.label
            # a change is shown with as many decimals as the figure it changes
            decimals = headline_decimals(located[row.key][1]) if row.key in located else None
            formatted.append((label, cell(row.key), cell(row.change_prev_quarter, signed=True, decimals=decimals),
                              cell(row.change_prev_year, signed=True, decimals=decimals)))
            shown.update({row.key, row.change_prev_quarter, row.change_prev_year})
        glance.append((group, formatted))
    tiles = board.tiles(located, quarter)
    details = []
    for page_ in pages:
        rows = [(h.label, format_headline(h, _href(page_, h))) for key, h in page_.headlines.items()
                if key not in shown]
        if rows:
            details.append((page_, rows))
    body = Markup(ENVIRONMENT.from_string(_SUMMARY).render(
        quarter=quarter, quarter_end=quarter_end, data_as_of=provenance.data_as_of, glance=glance,
        details=details, pages=pages, brief=board.sentences(located, quarter), tiles=tiles,
        target_footnote=board.TARGET_FOOTNOTE if any(tile.target for tile in tiles) else "",
        flags=group_flags(located)))
    nav = [("All quarters", "../index.html"), ("Executive summary", "index.html")]
    document = page(title=f"Customer experience report {quarter}", body=body, nav=nav, provenance=provenance)
    return write_page(Path(folder) / "index.html", document)


def report_quarters(out: Path) -> list[str]:
    """Quarters published in ``out`` (folders named like ``2026Q3`` holding an ``index.html``), newest first."""
    out = Path(out)
    if not out.is_dir():
        return []
    return sorted((p.name for p in out.iterdir() if _QUARTER_DIR.match(p.name) and (p / "index.html").is_file()),
                  reverse=True)


def write_quarters_index(out: Path) -> Path:
    """Rebuild ``<out>/index.html``, the list of every quarter rendered so far."""
    rows = [(quarter, read_provenance(Path(out) / quarter)) for quarter in report_quarters(out)]
    body = Markup(ENVIRONMENT.from_string(_QUARTERS).render(rows=rows))
    document = page(title="Customer experience reports", body=body, nav=[("All quarters", "index.html")],
                    provenance=None)
    return write_page(Path(out) / "index.html", document)
