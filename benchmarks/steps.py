"""The timed steps of the benchmark, each run in a fresh process by ``benchmarks/worker.py``.

A step has a ``setup`` (untimed: read its inputs, usually the validated tables of the world)
and a ``run`` (timed) that returns a dict of facts about what it did (rows, groups, ...).
Steps named ``*_lifelines_*`` call lifelines directly on the same data as the cxlab step they
are compared with, so that the ratios in the results compare like with like.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import worlds

# The covariates of the Cox model with experience covariates (those of the landmark model of the
# churn survival report) and of the customer-attribute model (its fallback without surveys).
EXPERIENCE_COVARIATES = ["nps_category", "followup", "ces", "segment", "contract"]
ATTRIBUTE_COVARIATES = ["segment", "contract"]
SCENARIO_ASSUMPTIONS = {
    "gross_margin_share": 0.35,
    "annual_discount_rate": 0.10,
    "retention_lift": 0.05,
    "lift_kind": "relative",
    "horizon_months": 60,
    "programme_cost_per_customer_year": 50.0,
    "cost_to_serve_per_customer_month": 0.0,
}
N_BOOTSTRAP = 500
COX_FRAME = "survival_frame.parquet"
TIME_VARYING_FRAME = "time_varying_frame.parquet"
TENURE_COLUMNS = [
    "customer_id",
    "segment",
    "contract",
    "acquired_at",
    "churned_at",
    "monthly_revenue",
    "acquisition_cost",
]


@dataclass(frozen=True)
class Context:
    """Where a step finds its world."""

    size: str
    data_dir: Path
    work_dir: Path

    @property
    def validated_dir(self) -> Path:
        return self.work_dir / worlds.VALIDATED


@dataclass(frozen=True)
class Step:
    """One timed step.

    Attributes
    ----------
    name, label : str
        Identifier and plain description.
    setup : callable
        ``setup(context) -> state``, untimed.
    run : callable
        ``run(state) -> dict``, timed.
    max_repeats : int
        The worker repeats the run (fresh state each time) up to this many times while the total
        stays under its time budget (``--budget``), and reports the fastest and the median.
    after : callable, optional
        ``after(context, result)``, untimed, after the last run: keeps outputs other steps read.
        Keys of ``result`` starting with ``_`` are outputs for ``after``, not facts to report.
    optional : bool
        Run only when named in ``--steps`` (long and not needed for the targets).
    """

    name: str
    label: str
    setup: Callable
    run: Callable
    max_repeats: int = 5
    after: Callable | None = None
    optional: bool = False


def _validated(ctx: Context, tables, columns: dict | None = None):
    if not (ctx.validated_dir / "meta.json").is_file():
        raise RuntimeError(f"{ctx.validated_dir}: no validated tables; run the load_validate step first")
    return worlds.read_validated(ctx.validated_dir, tables, columns)


def _tenure(ctx: Context) -> pd.DataFrame:
    from cxlab.tenure import tenure_frame

    data = _validated(ctx, ["customers"], {"customers": TENURE_COLUMNS})
    return tenure_frame(data.customers, as_of=data.as_of)


# -------------------------------------------------------------------------------- data
NOTEBOOK_IMPORTS = [
    "numpy",
    "pandas",
    "matplotlib.pyplot",
    "seaborn",
    "statsmodels.api",
    "lifelines",
    "scipy.stats",
    "cxlab.io",
    "cxlab.metrics",
    "cxlab.touchpoints",
    "cxlab.drivers",
    "cxlab.loop",
    "cxlab.nonresponse",
    "cxlab.retention",
    "cxlab.sbg",
    "cxlab.survival",
    "cxlab.economics",
]


def _imports(state) -> dict:
    for module in NOTEBOOK_IMPORTS:
        importlib.import_module(module)
    return {"modules": len(NOTEBOOK_IMPORTS)}


def _read_setup(ctx: Context):
    from cxlab.io import find_table_files

    return find_table_files(ctx.data_dir)


def _read_files(files: dict) -> dict:
    """Read every table file as cxlab.io does before converting and validating."""
    rows = {}
    for table, path in files.items():
        if path.name.endswith(".parquet"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        rows[table] = len(df)
    return {"rows": rows}


def _load(ctx: Context) -> dict:
    from cxlab.io import load

    data = load(ctx.data_dir)
    return {"rows": {name: len(df) for name, df in data.tables().items()}, "_data": data}


def _save_validated(ctx: Context, result: dict) -> None:
    fingerprint = worlds.loader_fingerprint(ctx.data_dir)
    if not worlds.has_validated(ctx.validated_dir, fingerprint):
        worlds.save_validated(result["_data"], ctx.validated_dir, fingerprint)


# ---------------------------------------------------------------------------- surveys
def _surveys_setup(ctx: Context):
    return _validated(ctx, ["customers", "surveys"], {"customers": ["customer_id", "segment"]})


def _nps_segment_quarter(data) -> dict:
    from cxlab import metrics, touchpoints
    from cxlab.schema import RELATIONSHIP

    surveys = touchpoints.surveys_as_of(data.surveys, as_of=data.as_of)
    relationship = surveys.loc[surveys["touchpoint"] == RELATIONSHIP, ["customer_id", "quarter", "nps"]]
    # a lookup of the segment (a merge would copy every survey column of 1.75M rows: 5 s on 1M customers)
    segment = data.customers.set_index("customer_id")["segment"]
    relationship = relationship.assign(segment=relationship["customer_id"].map(segment))
    table = metrics.nps_by(relationship, ["segment", "quarter"], method="adjusted_wald")
    return {"invitations": len(relationship), "cells": len(table), "answers": int(table["n"].sum())}


def _scorecard(data) -> dict:
    from cxlab import touchpoints
    from cxlab.periods import latest_complete_quarter, parse_quarter

    quarter = parse_quarter(latest_complete_quarter(data.as_of))
    quarters = [str(quarter - k) for k in range(11, -1, -1)]
    card = touchpoints.scorecard(data.surveys, as_of=data.as_of, quarters=quarters)
    return {"quarters": len(quarters), "rows": len(card)}


# -------------------------------------------------------------------------- retention
def _cohort_setup(ctx: Context):
    return _validated(ctx, ["customers", "revenue"], {"customers": TENURE_COLUMNS})


def _cohort_table(data) -> dict:
    from cxlab.retention import cohort_table

    table = cohort_table(
        data.customers, as_of=data.as_of, cohort="quarter", period="month", revenue=data.revenue
    )
    return {"revenue_rows": len(data.revenue), "cells": len(table)}


def _tenure_setup(ctx: Context):
    data = _validated(ctx, ["customers"], {"customers": TENURE_COLUMNS})
    return data.customers, data.as_of


def _tenure_frame(state) -> dict:
    from cxlab.tenure import tenure_frame

    customers, as_of = state
    frame = tenure_frame(customers, as_of=as_of)
    return {"customers": len(frame)}


def _sbg_by_cohort(tenure: pd.DataFrame) -> dict:
    from cxlab.sbg import fit_by

    cohorts = tenure.assign(cohort=tenure["acquired_at"].dt.to_period("Q").astype(str))
    fits = fit_by(cohorts, "cohort")
    return {"cohorts": len(fits), "converged": int(fits["converged"].sum())}


# --------------------------------------------------------------------------- survival
def _km_by_segment(tenure: pd.DataFrame) -> dict:
    from cxlab.survival import km_by

    curves = km_by(tenure, "segment")
    return {"groups": len(curves), "customers": len(tenure)}


def _km_summary_setup(ctx: Context):
    from cxlab.survival import km_by

    return km_by(_tenure(ctx), "segment")


def _km_summary(curves) -> dict:
    from cxlab.survival import km_summary

    table = km_summary(curves, times_months=(12, 24, 36), rmst_months=36)
    return {"rows": len(table)}


def _km_lifelines_raw(tenure: pd.DataFrame) -> dict:
    """lifelines directly: one Kaplan-Meier fit per segment on one row per customer."""
    from lifelines import KaplanMeierFitter

    groups = 0
    for segment, part in tenure.groupby("segment", sort=True):
        KaplanMeierFitter().fit(part["tenure_months"], part["churned"], label=str(segment))
        groups += 1
    return {"groups": groups, "customers": len(tenure)}


def _km_counts_setup(ctx: Context):
    tenure = _tenure(ctx)
    return tenure.groupby(["segment", "tenure_months", "churned"]).size().rename("customers").reset_index()


def _km_lifelines_counts(counts: pd.DataFrame) -> dict:
    """lifelines directly on counts per (segment, tenure, churned) with weights: the floor of any wrapper."""
    from lifelines import KaplanMeierFitter

    for segment, part in counts.groupby("segment", sort=True):
        KaplanMeierFitter().fit(
            part["tenure_months"], part["churned"], weights=part["customers"], label=str(segment)
        )
    return {"rows": len(counts)}


def _parametric(tenure: pd.DataFrame) -> dict:
    from cxlab.survival import fit_parametric

    fit = fit_parametric(tenure, min_at_risk=30)
    return {"best": fit.best_, "observed_through_months": int(fit.observed_through_months_)}


def _frame_setup(ctx: Context):
    return _validated(ctx, ["customers", "surveys", "cases"])


def _survival_frame(data) -> dict:
    """Experience covariates per customer (all customers, answers up to churn or the as-of date)."""
    from cxlab.survival import survival_frame

    frame = survival_frame(data, as_of=data.as_of, covariates=EXPERIENCE_COVARIATES)
    return {"customers": len(frame), "churned": int(frame["churned"].sum()), "_frame": frame}


def _save_frame(file: str, columns: list[str] | None = None):
    """An ``after`` hook writing the step's frame (or these columns of it) for the steps that fit on it."""

    def save(ctx: Context, result: dict) -> None:
        frame = (result["_frame"] if columns is None else result["_frame"][columns]).copy()
        frame.attrs = {}  # the as-of date and notes are not needed: the fitting steps name their covariates
        frame.to_parquet(ctx.work_dir / file)

    return save


def _saved_frame(file: str, step: str):
    """A setup reading the frame that ``step`` saved."""

    def read(ctx: Context) -> pd.DataFrame:
        path = ctx.work_dir / file
        if not path.is_file():
            raise RuntimeError(f"{path}: run the {step} step first")
        return pd.read_parquet(path)

    return read


_cox_frame = _saved_frame(COX_FRAME, "survival_frame")


def _cox_cxlab(covariates):
    def run(frame: pd.DataFrame) -> dict:
        from cxlab.survival import fit_cox

        model = fit_cox(frame, covariates=covariates)
        return {
            "customers": model.n_rows_,
            "rows_fitted": model.n_rows_fitted_,
            "events": model.n_events_,
            "terms": len(model.hazard_ratios_),
            "penalizer": model.penalizer_,
            "log_likelihood": round(model.log_likelihood_, 4),
        }

    return run


def _design_setup(covariates, collapsed: bool):
    """The numeric frame lifelines fits: cxlab's design matrix, tenure, churn (optionally collapsed)."""

    def setup(ctx: Context) -> pd.DataFrame:
        from cxlab.survival.design import build_design, collapse_censored_rows

        frame = _cox_frame(ctx)
        design = build_design(frame, covariates)
        data = design.matrix.assign(
            tenure_months=frame["tenure_months"].to_numpy(),
            churned=frame["churned"].to_numpy(dtype=int),
            customers=1.0,
        )
        if collapsed:
            data = collapse_censored_rows(
                data,
                key_cols=["tenure_months", *design.matrix.columns],
                event_col="churned",
                weights_col="customers",
            )
        return data

    return setup


def _cox_lifelines(batch_mode: bool | None):
    def run(data: pd.DataFrame) -> dict:
        from lifelines import CoxPHFitter
        from lifelines.fitters.coxph_fitter import _BatchVsSingle

        fitter = CoxPHFitter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter.fit(
                data,
                duration_col="tenure_months",
                event_col="churned",
                weights_col="customers",
                batch_mode=batch_mode,
            )
        covariates = data.shape[1] - 3
        chosen = _BatchVsSingle().decide(batch_mode, data["tenure_months"].nunique(), len(data), covariates)
        return {
            "rows_fitted": len(data),
            "terms": covariates,
            "path": chosen,
            "log_likelihood": round(float(fitter.log_likelihood_), 4),
        }

    return run


def _time_varying_frame(data) -> dict:
    from cxlab.survival import time_varying_frame

    frame = time_varying_frame(data.customers, data.surveys, data.cases, as_of=data.as_of)
    return {"intervals": len(frame), "customers": int(frame["customer_id"].nunique()), "_frame": frame}


def _time_varying_cox(frame: pd.DataFrame) -> dict:
    from cxlab.survival import fit_time_varying_cox

    model = fit_time_varying_cox(frame, covariates=EXPERIENCE_COVARIATES)
    return {"intervals": model.n_rows_, "rows_fitted": model.n_rows_fitted_, "events": model.n_events_}


# -------------------------------------------------------------------------- economics
def _clv_by_segment(tenure: pd.DataFrame) -> dict:
    from cxlab.economics import clv_by

    table = clv_by(
        tenure, by="segment", gross_margin_share=0.35, annual_discount_rate=0.10, n_resamples=N_BOOTSTRAP
    )
    return {"groups": len(table), "bootstrap": N_BOOTSTRAP}


def _customers_setup(ctx: Context):
    data = _validated(ctx, ["customers"], {"customers": TENURE_COLUMNS})
    return data.customers, data.as_of


def _lift_scenario(state) -> dict:
    """The retention-lift scenario of the economics report with its 500 bootstrap replicates."""
    from cxlab.economics import customer_base, retention_lift_scenario, survival_draws

    customers, as_of = state
    base = customer_base(customers, as_of=as_of)
    horizon_months = base.max_tenure_months + SCENARIO_ASSUMPTIONS["horizon_months"]
    curve = survival_draws(
        base.life_table,
        horizon_months=horizon_months,
        n_resamples=N_BOOTSTRAP,
        seed=0,
        min_at_risk=30,
        tail="geometric",
    )
    scenario = retention_lift_scenario(base, **SCENARIO_ASSUMPTIONS, survival=curve)
    return {
        "replicates": curve.n_resamples,
        "customers": base.n_customers,
        "incremental_discounted_profit": round(scenario.value("incremental_discounted_profit"), 2),
    }


# ----------------------------------------------------------------------------- report
def _report_setup(ctx: Context):
    return ctx


def code_cell_seconds(executed: Path) -> dict[str, list[tuple[int, float, str]]]:
    """Per executed notebook: (index, seconds, source) of each code cell, from papermill's durations."""
    import nbformat

    return {path.stem: [(i, c.metadata.get("papermill", {}).get("duration") or 0.0, c.source)
                        for i, c in enumerate(nbformat.read(path, as_version=4).cells) if c.cell_type == "code"]
            for path in sorted(executed.glob("*.ipynb"))}


def _slowest_cells(executed: Path, count: int = 3) -> dict:
    """Per executed notebook: its cells' total seconds and the slowest cells."""
    out = {}
    for name, cells in code_cell_seconds(executed).items():
        slowest = sorted(cells, key=lambda cell: -cell[1])[:count]
        out[name] = {
            "cells_s": round(sum(c[1] for c in cells), 2),
            "slowest": [[i, round(sec, 2), (source.strip().splitlines() or [""])[0][:80]]
                        for i, sec, source in slowest],
        }
    return out


def _report(ctx: Context) -> dict:
    """The full quarterly report through the command line, into a temporary folder.

    A failed run is reported with its time to failure and the error (``_error``).
    """
    out = Path(tempfile.mkdtemp(prefix="cxlab-bench-report-"))
    try:
        command = [
            str(Path(sys.executable).with_name("cxlab")),
            "report",
            "--data",
            str(ctx.data_dir),
            "--out",
            str(out),
            "--force",
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        facts = {}
        provenance = next(out.glob("*/provenance.json"), None)
        if provenance is not None:
            facts = json.loads(provenance.read_text(encoding="utf-8"))
            facts = {k: facts.get(k) for k in ("quarter", "notebook_seconds", "duration_seconds")}
        executed = next((p for p in out.glob("**/executed") if p.is_dir()), None)
        if executed is not None:
            facts["cells"] = _slowest_cells(executed)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [""]
            message = next((line for line in lines if line.startswith("error:")), lines[-1])
            facts["_error"] = f"cxlab report exited {done.returncode}: {message[:400]}"
        return facts
    finally:
        shutil.rmtree(out, ignore_errors=True)


STEPS = {
    step.name: step
    for step in [
        Step(
            "imports",
            "import the notebook stack (pandas, seaborn, statsmodels, lifelines, cxlab)",
            lambda ctx: None,
            _imports,
            max_repeats=1,
        ),
        Step("read_files", "read the table files (no conversion, no checks)", _read_setup, _read_files),
        Step(
            "load_validate",
            "cxlab.io.load: read, convert and validate",
            lambda ctx: ctx,
            _load,
            max_repeats=1,
            after=_save_validated,
        ),
        Step("tenure_frame", "tenure and churn per customer (tenure_frame)", _tenure_setup, _tenure_frame),
        Step(
            "nps_segment_quarter",
            "relationship NPS by segment x quarter with intervals",
            _surveys_setup,
            _nps_segment_quarter,
        ),
        Step(
            "scorecard",
            "touchpoint scorecard, 12 quarters (CSAT, CES, NPS)",
            lambda ctx: _validated(ctx, ["surveys"]),
            _scorecard,
        ),
        Step(
            "cohort_table",
            "cohort table with revenue retention (quarter cohorts, months)",
            _cohort_setup,
            _cohort_table,
        ),
        Step("km_by_segment", "Kaplan-Meier by segment (cxlab km_by)", _tenure, _km_by_segment),
        Step(
            "km_lifelines_raw",
            "Kaplan-Meier by segment, lifelines on one row per customer",
            _tenure,
            _km_lifelines_raw,
        ),
        Step(
            "km_lifelines_counts",
            "Kaplan-Meier by segment, lifelines on weighted counts",
            _km_counts_setup,
            _km_lifelines_counts,
        ),
        Step(
            "km_summary",
            "median, S(12/24/36), RMST(36) with intervals per segment",
            _km_summary_setup,
            _km_summary,
        ),
        Step("parametric_fit", "parametric tails (Weibull, log-normal, log-logistic)", _tenure, _parametric),
        Step("sbg_by_cohort", "shifted-beta-geometric fit per quarter cohort", _tenure, _sbg_by_cohort),
        Step(
            "survival_frame",
            "experience covariates per customer (survival_frame)",
            _frame_setup,
            _survival_frame,
            max_repeats=1,
            after=_save_frame(COX_FRAME, ["tenure_months", "churned", *EXPERIENCE_COVARIATES]),
        ),
        Step(
            "cox_experience_cxlab",
            "Cox, experience covariates: cxlab fit_cox",
            _cox_frame,
            _cox_cxlab(EXPERIENCE_COVARIATES),
        ),
        Step(
            "cox_experience_lifelines_auto",
            "Cox, experience covariates: lifelines, automatic settings",
            _design_setup(EXPERIENCE_COVARIATES, False),
            _cox_lifelines(None),
            max_repeats=1,
        ),
        Step(
            "cox_experience_lifelines_single",
            "Cox, experience covariates: lifelines, batch_mode=False",
            _design_setup(EXPERIENCE_COVARIATES, False),
            _cox_lifelines(False),
            max_repeats=1,
            optional=True,
        ),
        Step(
            "cox_experience_lifelines_batch",
            "Cox, experience covariates: lifelines, batch_mode=True",
            _design_setup(EXPERIENCE_COVARIATES, False),
            _cox_lifelines(True),
        ),
        Step(
            "cox_experience_lifelines_collapsed",
            "Cox, experience covariates: lifelines batch on collapsed rows",
            _design_setup(EXPERIENCE_COVARIATES, True),
            _cox_lifelines(True),
        ),
        Step(
            "cox_attributes_cxlab",
            "Cox, segment + contract: cxlab fit_cox",
            _cox_frame,
            _cox_cxlab(ATTRIBUTE_COVARIATES),
        ),
        Step(
            "cox_attributes_lifelines_auto",
            "Cox, segment + contract: lifelines, automatic settings",
            _design_setup(ATTRIBUTE_COVARIATES, False),
            _cox_lifelines(None),
            max_repeats=1,
        ),
        Step(
            "cox_attributes_lifelines_batch",
            "Cox, segment + contract: lifelines, batch_mode=True",
            _design_setup(ATTRIBUTE_COVARIATES, False),
            _cox_lifelines(True),
        ),
        Step(
            "cox_attributes_lifelines_collapsed",
            "Cox, segment + contract: lifelines batch on collapsed rows",
            _design_setup(ATTRIBUTE_COVARIATES, True),
            _cox_lifelines(True),
        ),
        Step(
            "time_varying_frame",
            "start/stop frame of experience covariates (time_varying_frame)",
            lambda ctx: _validated(ctx, ["customers", "surveys", "cases"]),
            _time_varying_frame,
            max_repeats=1,
            after=_save_frame(TIME_VARYING_FRAME),
        ),
        Step(
            "time_varying_cox",
            "time-varying Cox on the start/stop frame",
            _saved_frame(TIME_VARYING_FRAME, "time_varying_frame"),
            _time_varying_cox,
            max_repeats=1,
        ),
        Step(
            "clv_by_segment", "lifetime value per segment, 500 bootstrap replicates", _tenure, _clv_by_segment
        ),
        Step(
            "lift_scenario",
            "retention-lift scenario with 500 bootstrap replicates",
            _customers_setup,
            _lift_scenario,
        ),
        Step(
            "report",
            "full quarterly report (cxlab report: 6 notebooks, HTML)",
            _report_setup,
            _report,
            max_repeats=1,
        ),
    ]
}

# Steps run on the shipped demo folder (the report's default data) besides the simulated worlds.
DEMO_STEPS = ["imports", "read_files", "load_validate", "report"]

# Steps that share one worker process (in this order): steps on the same inputs, after the
# notebook stack is imported. The others run alone in a fresh process.
SHARED_PROCESS = [
    [
        "tenure_frame",
        "km_lifelines_raw",
        "km_by_segment",
        "km_lifelines_counts",
        "km_summary",
        "parametric_fit",
        "sbg_by_cohort",
        "clv_by_segment",
        "lift_scenario",
    ],
    ["nps_segment_quarter", "scorecard"],
    ["survival_frame", "time_varying_frame", "time_varying_cox"],
    [
        "cox_experience_lifelines_collapsed",
        "cox_experience_cxlab",
        "cox_experience_lifelines_batch",
        "cox_experience_lifelines_auto",
        "cox_experience_lifelines_single",
        "cox_attributes_lifelines_collapsed",
        "cox_attributes_cxlab",
        "cox_attributes_lifelines_batch",
        "cox_attributes_lifelines_auto",
    ],
]


def worker_batches(chosen) -> list[list[str]]:
    """Split the chosen steps into the batches one worker process runs, in benchmark order."""
    chosen = list(chosen)
    batches, done = [], set()
    for name in STEPS:
        if name not in chosen or name in done:
            continue
        group = next((g for g in SHARED_PROCESS if name in g), [name])
        batch = [s for s in group if s in chosen]
        batches.append(batch)
        done.update(batch)
    return batches
