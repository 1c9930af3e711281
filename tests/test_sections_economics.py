"""Sections of the retention economics page, run without a kernel, checked against the economics functions."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from cxlab.economics import clv_across_tails, customer_base, scenario_across_tails, unit_economics
from cxlab.economics.acquisition import ALL
from cxlab.economics.at_risk import revenue_at_risk
from cxlab.headlines import REGISTRY
from cxlab.sections import economics, open_report
from cxlab.sections.formatting import money, money_interval
from cxlab.sections.result import Chart, Table
from cxlab.synth import simulate
from cxlab.tenure import tenure_frame

N_BOOTSTRAP = 200
SETTINGS = economics.Settings(n_resamples=N_BOOTSTRAP)
# the scenario's keyword arguments at the notebook's defaults, written out (not taken from Settings)
ASSUMPTIONS = {"gross_margin_share": 0.35, "annual_discount_rate": 0.10, "retention_lift": 0.05, "horizon_months": 60,
               "programme_cost_per_customer_year": 50.0, "cost_to_serve_per_customer_month": 0.0}
SECTIONS = (economics.the_answer, economics.assumptions_and_inputs, economics.survival_curve,
            economics.lifetime_value, economics.acquisition_cost, economics.lift_by_year,
            economics.retention_or_acquisition, economics.which_assumptions_matter, economics.where_the_claim_holds)
KEYS = ("lift_profit", "lift_profit_pct", "acquisition_alternative_profit", "clv", "cac", "ltv_cac", "payback_months")


@pytest.fixture(scope="module")
def world(small_world):
    return small_world


@pytest.fixture(scope="module")
def world_folder(small_world_dir):
    return small_world_dir


@pytest.fixture(scope="module")
def report(world_folder):
    return open_report("06_retention_economics", data_dir=world_folder, tables=["customers"])


@pytest.fixture(scope="module")
def results(report):
    return {section.__name__: report.show(section, settings=SETTINGS) for section in SECTIONS}


def test_headlines_equal_the_package_functions(world, results):
    """The figures the notebook recorded before its logic moved here, computed the way it computed them."""
    answer = results["the_answer"]
    as_of = world.as_of  # the simulated world ends on 2026-09-30, the last day of 2026Q3
    base = customer_base(world.customers, as_of=as_of)
    scenario = scenario_across_tails(base, **ASSUMPTIONS, lift_kind="relative", n_resamples=N_BOOTSTRAP, seed=0)
    for key, name in (("lift_profit", "incremental_discounted_profit"), ("lift_profit_pct", "profit_increase_pct"),
                      ("acquisition_alternative_profit", "acquisition_alternative_profit")):
        h, row = answer.headline(key), scenario.summary.loc[name]
        assert (h.value, h.ci_low, h.ci_high) == pytest.approx((row["value"], row["ci_low"], row["ci_high"])), key
    assert answer.headline("lift_profit").n == base.n_active
    assert answer.headline("acquisition_alternative_profit").n == base.n_cac
    overall = clv_across_tails(tenure_frame(world.customers, as_of=as_of), gross_margin_share=0.35,
                               annual_discount_rate=0.10, n_resamples=N_BOOTSTRAP, seed=0).loc["headline"]
    clv = results["lifetime_value"].headline("clv")
    assert (clv.value, clv.ci_low, clv.ci_high, clv.n) == (
        pytest.approx(overall["clv"]), pytest.approx(overall["clv_ci_low"]), pytest.approx(overall["clv_ci_high"]),
        3000)
    everyone = unit_economics(world.customers, as_of=as_of, gross_margin_share=0.35, annual_discount_rate=0.10,
                              n_resamples=N_BOOTSTRAP, seed=0).loc[ALL]
    acquisition = results["acquisition_cost"]
    for key in ("cac", "ltv_cac", "payback_months"):
        h = acquisition.headline(key)
        assert (h.value, h.ci_low, h.ci_high) == pytest.approx(
            (everyone[key], everyone[f"{key}_ci_low"], everyone[f"{key}_ci_high"])), key
    assert acquisition.headline("cac").n == everyone["n_cac"]
    assert acquisition.headline("ltv_cac").n == everyone["n_customers"]


def test_headlines_keep_their_keys_labels_units_and_sections(results):
    recorded = {h.key: h for r in results.values() for h in r.headlines}
    assert set(recorded) == set(KEYS) | {"survival_10y"}  # the ten-year figure is shared with pages 04 and 05
    # labels, units and anchors as the notebook recorded them before its logic moved here
    assert recorded["lift_profit"].label == "Extra discounted profit over 5 years from a 5% cut in monthly churn"
    assert recorded["lift_profit_pct"].label == "Discounted profit increase over 5 years from a 5% cut in monthly churn"
    assert recorded["acquisition_alternative_profit"].label == (
        "Discounted profit of spending the programme's budget on acquisition instead (5 years)")
    assert {k: (h.unit, h.section) for k, h in recorded.items()} == {
        "lift_profit": ("EUR", "answer"), "lift_profit_pct": ("%", "answer"),
        "acquisition_alternative_profit": ("EUR", "versus-acquisition"), "clv": ("EUR", "clv"),
        "cac": ("EUR", "acquisition"), "ltv_cac": ("ratio", "acquisition"), "payback_months": ("months", "acquisition"),
        "survival_10y": ("%", "survival")}
    assert all(REGISTRY[k].notebook == "06_retention_economics" for k in KEYS)
    for h in recorded.values():
        assert h.value is not None and h.ci_low <= h.value <= h.ci_high, h.key


def test_the_answer_states_the_headline_in_one_sentence(results):
    answer = results["the_answer"]
    gain = answer.headline("lift_profit")
    text = answer.answer
    assert text.startswith("A 5% cut in monthly churn would add ")
    assert money(gain.value, "EUR", low=gain.ci_low, high=gain.ci_high) in text
    assert money_interval(gain.ci_low, gain.ci_high, "EUR") in text
    assert "net of a retention programme costing 50.00 EUR per customer per year" in text
    assert "spending the programme's budget" in text and text.endswith(").")


def test_tables_and_charts_are_for_people(results):
    charts = 0
    for name, result in results.items():
        assert result.available, name
        shown = [*result.tables, *result.charts, *result.technical]  # the technical detail goes to the appendix
        for table in [item for item in shown if isinstance(item, Table)]:
            html = table.to_html()
            assert not re.search(r"\bnan\b|\bTrue\b|\bFalse\b|<th></th>", html, flags=re.I), name
            assert not [c for c in table.frame.columns if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(c))], name
            assert table.caption, name
        for chart in [item for item in shown if isinstance(item, Chart)]:
            assert len(chart.alt) > 40 and chart.figure.axes, name
            charts += 1
    assert charts == 6  # survival curve, lift by year, three tornadoes, claim map
    survival = results["survival_curve"].technical[1].frame
    assert survival["Months after joining"].tolist()[:3] == [12, 24, 36]
    assert all(" to " in cell for cell in survival["95% interval"])
    channels = results["acquisition_cost"].tables[0].frame
    assert channels["Acquisition channel"].iloc[-1] == "All customers"
    assert "CAC, 95% interval (EUR)" in channels.columns


def test_tail_table_and_year_table_match_the_scenario(report, results):
    scenario = scenario_across_tails(customer_base(report.data.customers, as_of=report.as_of), **ASSUMPTIONS,
                                     lift_kind="relative", n_resamples=N_BOOTSTRAP, seed=0)
    tails = results["survival_curve"].technical[2].frame
    assert tails["Tail"].iloc[-1].startswith("Report's figures")
    column = "Extra discounted profit, 60 months (EUR)"
    for shown, name in zip(tails[column].iloc[:-1], scenario.parameters["tails"], strict=True):
        row = scenario.by_tail.loc["incremental_discounted_profit"]
        assert shown == money(row[name], low=row[f"{name}_ci_low"], high=row[f"{name}_ci_high"]), name
    years = results["lift_by_year"].tables[0].frame
    assert list(years.columns) == ["What", *[f"Year {y}" for y in range(1, 6)]]
    assert years.iloc[0, 1].startswith(f"{scenario.by_year.loc[1, 'incremental_customers']:,.0f} (")


def test_claim_sentence_and_sensitivity(results):
    claim = results["where_the_claim_holds"]
    assert re.match(r"Today \d+\.\d% of our active customers are expected to stay another year\. At our 35% gross "
                    r"margin, five points more retention would raise discounted profit over 60 months by -?\d+\.\d% "
                    r"before programme costs: the claim (holds|does not hold) for us\. It holds in \d+ of the 100 "
                    r"combinations shown\.", claim.answer)
    alts = [c.alt for c in results["which_assumptions_matter"].charts]
    assert [a.split(":")[0] for a in alts] == ["Extra discounted profit", "Discounted profit increase (%)",
                                              "Retention's profit minus acquisition's"]


def test_customers_without_acquisition_costs(tmp_path):
    world = simulate(n_customers=1500, seed=9)
    customers = world.customers.assign(acquisition_cost=np.nan)
    customers.to_csv(tmp_path / "customers.csv", index=False, date_format="%Y-%m-%d")
    report = open_report("06_retention_economics", data_dir=tmp_path, tables=["customers"])
    settings = economics.Settings(n_resamples=N_BOOTSTRAP, lift_kind="absolute")
    answer = report.show(economics.the_answer, settings=settings)
    acquisition = report.show(economics.acquisition_cost, settings=settings)
    for key in ("cac", "ltv_cac", "payback_months"):
        assert acquisition.headline(key).value is None, key
        assert acquisition.headline(key).note == "not computed: the data has no acquisition costs of customers"
    assert answer.headline("acquisition_alternative_profit").value is None
    # the lift is still valued: five points of annual retention, without acquisition spending
    base = customer_base(customers, as_of=world.as_of)
    scenario = scenario_across_tails(base, **ASSUMPTIONS, lift_kind="absolute", n_resamples=N_BOOTSTRAP, seed=0)
    assert answer.headline("lift_profit").value == pytest.approx(scenario.value("incremental_discounted_profit"))
    assert answer.headline("lift_profit").label.endswith("from 5 percentage points more annual retention")
    assert "the data have no acquisition costs, so the acquisition alternative is not available" in answer.answer
    versus = report.show(economics.retention_or_acquisition, settings=settings)
    assert versus.unavailable == "the data has no acquisition costs of customers"
    assert "This section is skipped: the data has no acquisition costs" in versus._repr_html_()
    assert len(report.show(economics.which_assumptions_matter, settings=settings).charts) == 2


def test_source_without_tenure_history_skips_every_section(world_folder, tmp_path):
    shutil.copy(world_folder / "customers.csv", tmp_path / "customers.csv")
    (tmp_path / "meta.json").write_text(json.dumps({"as_of": "2026-09-30",
                                                    "source": {"not_in_source": ["tenure", "churn"]}}))
    report = open_report("06_retention_economics", data_dir=tmp_path, tables=["customers"])
    assert "records no tenure or churn" in report.show(economics.overview, settings=SETTINGS).answer
    recorded = {}
    for section in SECTIONS:
        result = report.show(section, settings=SETTINGS)
        if section is economics.assumptions_and_inputs:
            assert len(result.tables) == 1 and "the data has no record of when customers joined" in result.notes[0]
            continue
        assert result.unavailable.startswith("the data has no record of when customers joined and left"), section
        recorded.update({h.key: h for h in result.headlines})
    assert set(recorded) == set(KEYS) and all(h.value is None for h in recorded.values())


def test_settings_reject_an_unknown_lift_kind():
    with pytest.raises(ValueError, match="lift_kind must be one of"):
        economics.Settings(lift_kind="percent")
    assert economics.Settings(retention_lift=0.02, lift_kind="absolute").lift_words == (
        "2 percentage points more annual retention")


@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    ((18297744.2, "EUR"), {"low": 17613777, "high": 19005595}, "18,300,000 EUR"),  # interval width 1.4 million
    ((2096.9, "EUR"), {"low": 2051.2, "high": 2140.0}, "2,097 EUR"),  # width 89: whole euros
    ((12.345,), {}, "12.35"),  # no interval, below 100: cents
    ((-0.001, "EUR"), {}, "0.00 EUR"),  # no "-0.00"
    ((float("nan"), "EUR"), {}, None),
])
def test_money(args, kwargs, expected):
    assert money(*args, **kwargs) == expected


def test_customers_without_revenue_for_everyone(world, tmp_path):
    customers = world.customers.copy()
    customers.loc[customers.index[0], "monthly_revenue"] = np.nan
    customers.to_csv(tmp_path / "customers.csv", index=False, date_format="%Y-%m-%d")
    report = open_report("06_retention_economics", data_dir=tmp_path, tables=["customers"])
    why = "the data has no monthly revenue for every customer"
    assert report.availability.why_not("monthly_revenue_every_customer") == why
    assert report.availability.allows("monthly_revenue")
    for section in (economics.the_answer, economics.lifetime_value, economics.lift_by_year):
        result = report.show(section, settings=SETTINGS)
        assert result.unavailable == why, section
        assert all(h.value is None and h.note == f"not computed: {why}" for h in result.headlines), section
    survival = report.show(economics.survival_curve, settings=SETTINGS)
    assert survival.available and len(survival.technical) == 2 and why in survival.notes[0]


def test_revenue_at_risk_section_records_the_package_figure(report):
    result = report.show(economics.money_at_risk, settings=SETTINGS)
    expected = revenue_at_risk(report.data.customers, as_of=report.as_of, horizon_months=12,
                               n_resamples=SETTINGS.n_resamples, seed=SETTINGS.seed, min_at_risk=report.min_cell_size,
                               tail=SETTINGS.survival_tail)
    headline = result.headline("revenue_at_risk")
    assert (headline.value, headline.ci_low, headline.ci_high, headline.n) == (
        pytest.approx(expected.run_rate_lost), pytest.approx(expected.run_rate_lost_ci_low),
        pytest.approx(expected.run_rate_lost_ci_high), expected.active_customers)
    assert headline.unit == SETTINGS.currency and headline.section == "at-risk"
    assert "customer_id" not in result._repr_html_()
