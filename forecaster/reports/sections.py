"""Blocks the model and backtest pages share: score tables beside the baselines, forecast
plots per target, how scores are measured, the manifest; and writing a page with its plots.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.evaluation.metrics import skill as model_skill
from forecaster.model.preprocessing import Preprocessing
from forecaster.reports.html import image, paragraph, table
from forecaster.reports.plots import (
    error_by_step_figure,
    errors_figure,
    figure_png,
    last_windows_figure,
    one_step_figure,
)
from forecaster.reports.text import (
    baselines_in,
    future_covariates_caveat,
    skill_metric,
    skill_text,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecaster.evaluation.scoring import PeriodForecasts

REPORT_FILE = "report.html"
PLOTS_FOLDER = "plots"
MAX_TARGETS_PLOTTED = 6  # beyond this the page becomes a wall of plots; the tables have all
ONE_STEP_POINTS = 720  # a month of hourly data: dense but every day still visible


def scores_table(metrics: dict[str, Any], labels: dict[str, str], judged: str = "mae") -> str:
    """Every metric for the model and both baselines, with each one's skill against both
    baselines by ``judged`` (MAE, or MASE for many series); a note when MAPE left out
    zero actuals."""
    baselines = baselines_in(metrics)
    header = ["forecast", "MAE", "RMSE", "MAPE %", "sMAPE %", "MASE"]
    header += [f"skill vs {labels[base].split(' (')[0]}" for base in baselines]
    rows = [
        [
            labels[name],
            *(metrics[name][key] for key in ("mae", "rmse")),
            *(percent(metrics[name][key]) for key in ("mape", "smape")),
            metrics[name]["mase"],
            *(skill_text(metrics[name][judged], metrics[base][judged]) for base in baselines),
        ]
        for name in ("model", *baselines)
    ]
    html = table(header, rows)
    skipped = metrics["model"].get("mape_skipped_zeros", 0)
    if skipped:
        html += paragraph(
            f"MAPE leaves out the {skipped:,} actual values that are exactly 0 (a zero has no "
            "percentage error); the other metrics include them.",
            note=True,
        )
    return html


def percent(value: float | None) -> str | None:
    return None if value is None or not np.isfinite(value) else f"{value:.2f}"


class Plots:
    """Renders each figure into ``plots/`` and into the page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / PLOTS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)

    def html(self, figure: Figure, name: str, alt: str) -> str:
        safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        return image(figure_png(figure, self.folder / f"{safe_name}.png"), alt)


def write_page(folder: Path, page: str) -> Path:
    path = folder / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path


def describe_task(spec: Any, prep: Preprocessing) -> str:
    inputs = ", ".join(prep.columns)
    units = "x".join(str(units) for units in spec.model.units)
    direction = "bidirectional " if spec.model.bidirectional else ""
    task = (
        f"{', '.join(prep.targets)} {prep.horizon} steps ahead from the last {prep.lookback} "
        f"rows of {inputs}; {direction}{spec.model.cell.upper()} ({units} units)"
    )
    calendar = prep.calendar
    known = [*prep.future_covariates, *calendar.features]
    if calendar.holiday_country:
        subdiv = f" {calendar.holiday_subdiv}" if calendar.holiday_subdiv else ""
        known.append(f"public holidays ({calendar.holiday_country}{subdiv})")
    if known:
        zone = f", local time {calendar.timezone}" if calendar.timezone else ""
        task += f"; known over the horizon too: {', '.join(known)}{zone}"
    if prep.future_covariates:
        task += f". Note: {future_covariates_caveat(prep.future_covariates)}"
    return task


def headline(
    index: pd.DatetimeIndex, scored: PeriodForecasts, what: str, labels: dict[str, str]
) -> str:
    """The period's verdict in one sentence, then its score tables. One series is judged
    by MAE; many by MASE (each series on its own scale) and by the share of series where
    the model's MAE is lower, never by MAE pooled over series of different scales."""
    metrics = scored.metrics
    baselines = baselines_in(metrics)
    judged = skill_metric(metrics)
    first, last = scored.origins.min(), scored.origins.max() + scored.actual.shape[1] - 1

    def name(base: str) -> str:
        return labels[base].split(" (")[0]

    comparisons = [
        f"{abs(skill):.1%} {'lower' if skill >= 0 else 'higher'} than the {name(base)} forecast's"
        for base in baselines
        if np.isfinite(skill := model_skill(metrics["model"][judged], metrics[base][judged]))
    ]
    if "series" in metrics:  # long data: each series has its own dates
        span = f"{metrics['series']:,} series"
    else:
        span = f"{time_text(index[first])} to {time_text(index[last])}"
    error = (
        "mean absolute scaled error (MASE, every series on its own scale)"
        if judged == "mase"
        else "mean absolute error"
    )
    summary = (
        f"On the {what} ({span}, "
        f"{metrics['windows']:,} windows of {scored.actual.shape[1]} steps) the model's "
        f"{error} is {' and '.join(comparisons) or 'not comparable with the baselines'}"
    )
    shares = metrics.get("share_of_series_better") or {}
    if judged == "mase" and shares:
        summary += "; its MAE is lower " + " and ".join(
            f"than the {name(base)} forecast's in {shares[base]:.0%} of the series"
            for base in baselines
            if base in shares
        )
    html = paragraph(summary + ".") + scores_table(metrics, labels, judged)
    per_target = metrics["model"].get("per_target", {})
    if len(per_target) > 1:
        for target in per_target:
            by_target = {key: metrics[key]["per_target"][target] for key in ("model", *baselines)}
            html += paragraph(f"{target} alone:") + scores_table(by_target, labels, judged)
    if metrics.get("intervals"):
        html += interval_table(metrics["intervals"], labels)
    skill_rule = (
        "Skill is 1 - MASE / MASE of the baseline: with many series an error pooled in "
        "the targets' units is mostly the largest series' error, so skill and verdict use "
        "MASE, which measures every series against its own seasonal-naive error. "
        if judged == "mase"
        else "Skill is 1 - MAE / MAE of the baseline: "
    )
    html += paragraph(
        skill_rule + "positive means less error than the baseline, +25% a quarter less. "
        "Errors are in the targets' own units; MAPE and sMAPE in percent.",
        note=True,
    )
    return html


def forecast_sections(
    plots: Plots,
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    scored: PeriodForecasts,
    prep: Preprocessing,
    labels: dict[str, str],
    one_step_points: int = ONE_STEP_POINTS,
    boundaries: list[pd.Timestamp] | None = None,
) -> list[tuple[str, str]]:
    """Forecasts against actual values, error by step and the error distribution, one
    plot of each per target."""
    shown = prep.targets[:MAX_TARGETS_PLOTTED]
    several = len(prep.targets) > 1
    forecasts, by_step, errors = "", "", ""
    for k, name in enumerate(shown):
        figure = last_windows_figure(index, targets, scored, k, name, prep.lookback, labels)
        forecasts += plots.html(
            figure, f"forecasts_{name}", f"{name}: last test forecasts against actual values"
        )
        figure = one_step_figure(
            index, targets, scored, k, name, labels, one_step_points, boundaries or []
        )
        forecasts += plots.html(
            figure, f"one_step_{name}", f"{name}: one-step-ahead forecasts against actual values"
        )
        figure = error_by_step_figure(scored.metrics, name, several, prep.frequency, labels)
        by_step += plots.html(
            figure, f"error_by_step_{name}", f"{name}: mean absolute error by forecast step"
        )
        figure = errors_figure(scored, k, name, labels)
        errors += plots.html(figure, f"errors_{name}", f"{name}: forecast errors")
    if len(prep.targets) > len(shown):
        forecasts += paragraph(
            f"Plots show the first {len(shown)} of {len(prep.targets)} targets; the tables "
            "have all of them.",
            note=True,
        )
    return [
        ("Forecasts against actual values", forecasts),
        ("Error by forecast step", by_step),
        ("Forecast errors", errors),
    ]


def method(prep: Preprocessing) -> str:
    m = prep.season
    return "".join(
        paragraph(text)
        for text in (
            f"Windows: a forecast starts at every row (stride 1) whose whole {prep.horizon}-step "
            f"horizon lies inside the period scored; its {prep.lookback} input rows may reach "
            "back into the period before"
            + (
                " (window.pad: those before a series' first row are padded, and marked so)"
                if prep.pad
                else ""
            )
            + ". Every score is a mean over windows x steps x targets, on the targets' "
            "original scale.",
            "Baselines, on exactly the same windows: naive repeats the last observed value; "
            f"seasonal naive forecasts step h (0-based) with y[t + h - {m}·(⌊h/{m}⌋ + 1)], the "
            f"value one season (m = {m} steps) before, from the last observed season.",
            "MAE: mean |actual - forecast|. RMSE: root mean squared error. MAPE: mean "
            "|error| / |actual| in percent, leaving out zero actuals. sMAPE: mean 2·|error| / "
            "(|actual| + |forecast|) in percent (0 to 200). MASE: MAE divided by the seasonal "
            f"naive's in-sample MAE on the training rows (lag {m}; lag 1 when the training "
            "rows are shorter than two seasons), per target, then averaged.",
        )
    )


def manifest_table(manifest: dict[str, Any]) -> str:
    def get(*keys: str) -> Any:
        value: Any = manifest
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return "" if value is None else value

    versions = get("versions") or {}
    sha = str(get("data", "sha256"))
    rows = [
        ("created", get("created")),
        ("forecaster", get("forecaster_version")),
        ("python", get("python")),
        ("libraries", ", ".join(f"{name} {version}" for name, version in versions.items())),
        ("device", get("device")),
        ("seed", get("seed")),
        ("op determinism", get("determinism", "op_determinism")),
        ("parameters", get("parameters")),
        ("epochs run", get("training", "epochs_run")),
        ("best epoch", get("training", "best_epoch")),
        ("training seconds", get("training", "train_seconds")),
        ("data file", get("data", "path")),
        ("data SHA-256", sha[:16] + "…" if sha else ""),
    ]
    return table(["", "value"], [(key, str(value)) for key, value in rows if value != ""])


def span(index: pd.DatetimeIndex, start: int, stop: int) -> str:
    return f"{time_text(index[start])} to {time_text(index[stop - 1])}"


def time_text(stamp: pd.Timestamp) -> str:
    """Dates without a midnight time; times without seconds unless they have some."""
    if not isinstance(stamp, pd.Timestamp):  # a step index
        return f"step {stamp}"
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M")


def interval_table(intervals: dict[str, Any], labels: dict[str, str]) -> str:
    """Coverage, width, interval score and MSIS per level and forecast."""
    rows = [
        [
            f"{level}%",
            labels.get(name, name),
            f"{values['coverage']:.1%}",
            values["width"],
            values["winkler"],
            values["msis"],
        ]
        for level, by_forecast in intervals.items()
        for name, values in by_forecast.items()
    ]
    header = ["level", "forecast", "coverage", "mean width", "interval score", "MSIS"]
    note = paragraph(
        "Conformal intervals, each forecast calibrated on its own validation errors. "
        "Coverage: share of actual values inside. Interval (Winkler) score: width plus "
        "2 / alpha times the distance of each miss; MSIS: that score over the in-sample "
        "seasonal-naive MAE, as in the M4 competition. Lower scores are better.",
        note=True,
    )
    return table(header, rows) + note
