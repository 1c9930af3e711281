"""Executive summary and list of quarters: formatting, missing figures, escaping, links, publication."""

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from cxlab.headlines import Headline, Headlines
from cxlab.report.provenance import Provenance, file_sha256, git_commit, read_provenance, short_hashes
from cxlab.report.publish import clean_leftovers, keep_failed, make_build_dir, publish
from cxlab.report.summary import (
    NotebookPage,
    format_headline,
    format_number,
    load_page_headlines,
    report_quarters,
    write_quarter_summary,
    write_quarters_index,
)


def provenance(quarter="2026Q3") -> Provenance:
    return Provenance(quarter=quarter, data_as_of="2026-09-30", data_folder="data/<demo>",
                      file_hashes={"customers.csv": "0123456789ab"},
                      parameters={"01_cx_scorecard": {"quarter": quarter, "min_cell_size": 30}},
                      versions={"python": "3.11"}, git_commit="unknown", started_at="2026-10-01T06:00:00+00:00")


@pytest.mark.parametrize("value, unit, kwargs, expected", [
    (31.24, "points", {}, "31.2 points"),
    (0.834, "share", {}, "83.4%"),
    (83.44, "%", {}, "83.4%"),
    (15230.4, "EUR", {}, "15,230 EUR"),
    (3.14159, "", {}, "3.14"),
    (3.14159, "ratio", {}, "3.14\u00d7"),
    (0.6234, "x", {}, "0.623\u00d7"),
    (0.6234, "", {}, "0.623"),
    (2.5, "points", {"signed": True, "decimals": 1}, "+2.5 points"),
    (-0.002, "mean effort", {"signed": True, "decimals": 2}, "+0.00 mean effort"),
    (-7.25, "points", {"signed": True, "decimals": 1}, "-7.2 points"),  # round half to even, as Python does
])
def test_format_number(value, unit, kwargs, expected):
    assert format_number(value, unit, **kwargs) == expected


def test_format_headline_value_interval_n_and_missing():
    h = Headline("nps", "NPS", 31.24, unit="points", ci_low=27.0, ci_high=35.31, n=1812, note="95% interval")
    cell = format_headline(h, "01.html#nps")
    assert (cell.text, cell.interval, cell.n, cell.note, cell.href) == ("31.2 points", "27.0 to 35.3", "1,812",
                                                                         "95% interval", "01.html#nps")
    share = format_headline(Headline("r", "Retention", 0.7771, unit="share", ci_low=0.761, ci_high=0.793))
    assert (share.text, share.interval) == ("77.7%", "76.1% to 79.3%")
    assert format_headline(Headline("d", "Top driver", "invoicing", n=800)).text == "invoicing"
    missing = format_headline(Headline("c", "CSAT", None, note="suppressed: fewer than 30 responses"))
    assert (missing.text, missing.note, missing.available) == ("not available", "suppressed: fewer than 30 responses",
                                                               False)
    absent = format_headline(None, missing_note="not reported by this run")
    assert (absent.text, absent.note) == ("not available", "not reported by this run")


def test_summary_escapes_text_links_sections_and_lists_extra_figures(tmp_path):
    hl = Headlines(str(tmp_path / "01.headlines.json"), notebook="01_cx_scorecard")
    hl.add("nps", "NPS <script>alert(1)</script>", 31.2, unit="points", ci_low=27.0, ci_high=35.3, n=812,
           section="head line")
    hl.add("nps_change_prev_quarter", "change", -2.04, unit="points", ci_low=-6.1, ci_high=2.0, section="changes",
           note="vs 2026Q1 & <b>no</b> wave in Q2")
    hl.add("csat", "CSAT", None, note="suppressed: <30 answers")
    hl.add("extra", "Something else", 12.0, unit="days", section="extra")
    page = NotebookPage("01_cx_scorecard", "CX <scorecard>", "01_cx_scorecard.html",
                        load_page_headlines(tmp_path / "01.headlines.json"))
    empty = NotebookPage("02_x", "Second", "02_x.html", load_page_headlines(tmp_path / "absent.json"))
    index = write_quarter_summary(tmp_path, quarter="2026Q3", quarter_end="2026-09-30", pages=[page, empty],
                                  provenance=provenance())
    text = index.read_text()
    assert "<script" not in text and "<b>no</b>" not in text and "<scorecard>" not in text
    assert "NPS &lt;script&gt;alert(1)&lt;/script&gt;" in text
    soup = BeautifulSoup(text, "html.parser")
    hrefs = [a["href"] for a in soup.select("main a")]
    assert "01_cx_scorecard.html#head%20line" in hrefs  # section ids are URL-encoded
    assert "01_cx_scorecard.html#changes" in hrefs and "01_cx_scorecard.html#extra" in hrefs
    assert hrefs[-2:] == ["01_cx_scorecard.html", "02_x.html"]
    change = soup.find("a", href="01_cx_scorecard.html#changes")
    assert change.get_text() == "-2.0 points" and change["title"] == "vs 2026Q1 & <b>no</b> wave in Q2"
    more = soup.find(id="more-figures").find_next("table").get_text(" ", strip=True)
    assert "Something else 12.0 days" in more and "NPS" not in more  # shown at a glance, not repeated
    footer = soup.find("footer", id="provenance").get_text(" ", strip=True)
    assert "data/<demo>" in footer and "0123456789ab" in footer and 'min_cell_size = 30' in footer


def test_quarters_index_lists_published_quarters_newest_first(tmp_path):
    for quarter in ("2026Q1", "2026Q3", "2025Q4"):
        (tmp_path / quarter).mkdir()
        (tmp_path / quarter / "index.html").write_text("<html></html>")
        provenance(quarter).write(tmp_path / quarter)
    (tmp_path / "2026Q2").mkdir()  # no index.html: not a published report
    for hidden in ("_failed", ".build-2026Q4-1", "notes"):
        (tmp_path / hidden).mkdir()
    assert report_quarters(tmp_path) == ["2026Q3", "2026Q1", "2025Q4"]
    soup = BeautifulSoup(write_quarters_index(tmp_path).read_text(), "html.parser")
    assert [a["href"] for a in soup.select("main a")] == ["2026Q3/index.html", "2026Q1/index.html",
                                                          "2025Q4/index.html"]
    assert read_provenance(tmp_path / "2026Q3").data_folder == "data/<demo>"
    assert read_provenance(tmp_path / "2026Q2") is None
    (tmp_path / "empty").mkdir()
    assert "No quarter has been rendered yet" in write_quarters_index(tmp_path / "empty").read_text()


def test_provenance_hashes_and_commit(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"abc")
    (tmp_path / "a.csv").write_bytes(b"")
    # SHA-256 of "abc" and of the empty string (FIPS 180-2 test vectors)
    digests = {path: file_sha256(path) for path in [tmp_path / "b.csv", tmp_path / "a.csv"]}
    assert short_hashes(digests) == {"a.csv": "e3b0c44298fc", "b.csv": "ba7816bf8f01"}
    (tmp_path / "surveys").mkdir()  # a table given as a folder of parts: each part named within the data folder
    (tmp_path / "surveys" / "part-0.parquet").write_bytes(b"abc")
    digests[tmp_path / "surveys" / "part-0.parquet"] = file_sha256(tmp_path / "surveys" / "part-0.parquet")
    assert list(short_hashes(digests, tmp_path).items())[-1] == ("surveys/part-0.parquet", "ba7816bf8f01")
    assert git_commit(tmp_path) == "unknown"
    commit = git_commit(Path(__file__).parent)
    assert commit == "unknown" or len(commit.split()[0]) == 40


def test_publish_replaces_by_renames_and_keeps_failed_runs(tmp_path):
    out = tmp_path / "reports"
    build = make_build_dir(out, "2026Q3")
    (build / "index.html").write_text("first")
    publish(build, out / "2026Q3")
    second = make_build_dir(out, "2026Q3")
    (second / "index.html").write_text("second")
    publish(second, out / "2026Q3")
    assert (out / "2026Q3" / "index.html").read_text() == "second"
    assert sorted(p.name for p in out.iterdir()) == ["2026Q3"]
    started = datetime(2026, 10, 1, 6, 30, 5)
    failed = [keep_failed(make_build_dir(out, "2026Q3"), out, "2026Q3", started) for _ in range(2)]
    assert [p.name for p in failed] == ["2026Q3-20261001T063005", "2026Q3-20261001T063005-2"]
    assert sorted(p.name for p in out.iterdir()) == ["2026Q3", "_failed"]


def test_clean_leftovers_restores_an_old_report_left_aside(tmp_path):
    dead_pid = 2 ** 22 + 12345
    aside = tmp_path / f".old-2026Q3-{dead_pid}"
    aside.mkdir()
    (aside / "index.html").write_text("earlier report")
    stale = tmp_path / f".old-2026Q2-{dead_pid}"
    stale.mkdir()
    (tmp_path / "2026Q2").mkdir()  # the new report made it: the old one can go
    clean_leftovers(tmp_path)
    assert (tmp_path / "2026Q3" / "index.html").read_text() == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026Q2", "2026Q3"]


def test_clean_leftovers_removes_only_dead_runs(tmp_path):
    dead_pid = 2 ** 22 + 12345  # above the default pid_max of 2**22, so no process has it
    dead = [tmp_path / f".build-2026Q3-{dead_pid}", tmp_path / f".old-2026Q3-{dead_pid}"]
    alive = tmp_path / f".build-2026Q2-{os.getpid()}"
    other = tmp_path / ".build-notes"
    published = tmp_path / "2026Q3"
    for folder in [*dead, alive, other, published]:
        folder.mkdir()
    assert sorted(clean_leftovers(tmp_path)) == sorted(dead)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name, published.name])


def test_provenance_round_trip(tmp_path):
    original = provenance()
    original.notebook_seconds = {"01_cx_scorecard": 12.5}
    original.write(tmp_path)
    assert json.loads((tmp_path / "provenance.json").read_text())["notebook_seconds"] == {"01_cx_scorecard": 12.5}
    assert read_provenance(tmp_path) == original
