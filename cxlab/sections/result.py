"""The result of a report section: an answer, tables, charts and headline figures that show themselves.

A section function returns a :class:`SectionResult`. In JupyterLab and in the rendered HTML it
shows its answer first, then its tables and charts, then its notes; or, when the data do not
allow the section, one sentence saying why. Every text is HTML-escaped (customer comments may
reach a table), every chart carries alt text, and tables never show row numbers or "NaN".

Technical detail (model tables, assumption checks, diagnostics) goes into
:attr:`SectionResult.technical`. It is shown last, in a folded block between two markers
(:data:`TECHNICAL_START`, :data:`TECHNICAL_END`); the report run moves that block to the
technical appendix page (:mod:`cxlab.report.appendix`), so the page a manager reads keeps its
answer and the appendix shows the very tables the page's kernel computed.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from cxlab.headlines import Headline

__all__ = ["MISSING", "Chart", "SectionResult", "Table", "new_chart", "new_figure"]

MISSING = "—"
TECHNICAL_START = "<!-- cx-technical-start -->"
TECHNICAL_END = "<!-- cx-technical-end -->"


@dataclass(frozen=True)
class Table:
    """A table for people: labelled columns, no row numbers, missing values as a dash.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows to show (its index is not shown).
    caption : str
        One line above the table.
    """

    frame: pd.DataFrame
    caption: str = ""

    def shown(self) -> pd.DataFrame:
        """The rows as shown: every missing value (None or NaN) replaced by a dash."""
        return self.frame.astype(object).where(self.frame.notna(), MISSING)

    def to_html(self) -> str:
        """The table as escaped HTML."""
        body = self.shown().to_html(index=False, escape=True, border=0, classes="cx-table")
        caption = f'<p class="cx-caption">{html.escape(self.caption)}</p>\n' if self.caption else ""
        return caption + body


@dataclass(frozen=True)
class Chart:
    """A chart with the sentence a reader who cannot see it needs (its alt text).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The chart, drawn on a figure not managed by pyplot (so it is shown once).
    alt : str
        What the chart shows, in one sentence.
    """

    figure: Figure
    alt: str

    def to_html(self) -> str:
        """The chart as an embedded PNG image with its alt text."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(self.alt, quote=True)}">'


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A figure outside pyplot's registry (shown once, by its :class:`Chart`)."""
    return Figure(figsize=(width, height), layout="constrained")


def new_chart(width: float = 8.0, height: float = 4.5):
    """A figure and one axes outside pyplot's registry, for a :class:`Chart`."""
    figure = new_figure(width, height)
    return figure, figure.subplots()


@dataclass
class SectionResult:
    """What a report section found, or why it could not look.

    Attributes
    ----------
    key : str
        Anchor of the section (``"retention-12m"``).
    title : str
        The section's question or title.
    answer : str
        The answer in plain sentences, shown first.
    tables : list of Table
    charts : list of Chart
    notes : list of str
        Caveats and method notes, shown last.
    headlines : list of cxlab.headlines.Headline
        The figures the executive summary takes from this section.
    technical : list of Table, Chart or str
        Technical detail (model tables, tests, diagnostics; a str is a paragraph), shown folded
        after the notes and moved to the technical appendix by the report run.
    unavailable : str
        Empty when the section ran; else why not ("the data has no revenue table").
    """

    key: str
    title: str
    answer: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    technical: list[Table | Chart | str] = field(default_factory=list)
    unavailable: str = ""

    @property
    def available(self) -> bool:
        """True when the section ran."""
        return not self.unavailable

    def headline(self, key: str) -> Headline:
        """The recorded headline of a key."""
        for item in self.headlines:
            if item.key == key:
                return item
        raise KeyError(f"section {self.key!r} has no headline {key!r}; it has {[h.key for h in self.headlines]}")

    def _repr_html_(self) -> str:
        if self.unavailable:
            return f'<p class="cx-unavailable"><em>This section is skipped: {html.escape(self.unavailable)}.</em></p>'
        parts = [f'<p class="cx-answer">{html.escape(self.answer)}</p>'] if self.answer else []
        parts += [table.to_html() for table in self.tables]
        parts += [chart.to_html() for chart in self.charts]
        parts += [f'<p class="cx-note">{html.escape(note)}</p>' for note in self.notes]
        if self.technical:
            parts.append(self._technical_html())
        return "\n".join(parts)

    def _technical_html(self) -> str:
        """The technical detail as a folded block between the markers the report run looks for."""
        inner = [f'<p class="cx-note">{html.escape(item)}</p>' if isinstance(item, str) else item.to_html()
                 for item in self.technical]
        return "\n".join([TECHNICAL_START,
                          f'<details class="cx-technical" data-section="{html.escape(self.key, quote=True)}" '
                          f'data-title="{html.escape(self.title, quote=True)}">',
                          "<summary>Technical detail</summary>", *inner, "</details>", TECHNICAL_END])

    def __repr__(self) -> str:
        if self.unavailable:
            return f"{self.title}: skipped, {self.unavailable}."
        lines = [self.title, self.answer] if self.answer else [self.title]
        for table in self.tables:
            lines += ["", table.caption, table.shown().to_string(index=False)]
        lines += [f"[chart: {chart.alt}]" for chart in self.charts]
        lines += self.notes
        for item in self.technical:
            if isinstance(item, Table):
                lines += ["", item.caption, item.shown().to_string(index=False)]
            else:
                lines.append(item if isinstance(item, str) else f"[chart: {item.alt}]")
        return "\n".join(line for line in lines if line is not None)
