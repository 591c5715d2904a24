"""What the evaluation reports say, built from the blocks in ``report`` and the plots in
``evaluation_plots``.

``write_evaluation_report``: one model on one series (``forecast train`` writes it into the
bundle, ``forecast evaluate`` into its output folder). ``write_backtest_report``: a
rolling-origin backtest. Each writes ``report.html`` with every plot embedded, and the plots
as PNG files under ``plots/``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.evaluate import BASELINES, ModelEvaluation, PeriodForecasts, skill_text
from forecaster.evaluation_plots import (
    FORECASTS,
    error_by_step_figure,
    errors_figure,
    fold_losses_figure,
    fold_mae_figure,
    folds_figure,
    forecast_labels,
    last_windows_figure,
    loss_figure,
    one_step_figure,
    periods_figure,
)
from forecaster.predict import Preprocessing
from forecaster.report import (
    document,
    figure_png,
    image,
    paragraph,
    preformatted,
    table,
)
from forecaster.windows import Periods

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecaster.backtest import BacktestResult

REPORT_FILE = "report.html"
PLOTS_FOLDER = "plots"
MAX_TARGETS_PLOTTED = 6  # beyond this the page becomes a wall of plots; the tables have all
ONE_STEP_POINTS = 720  # a month of hourly data: dense but every day still visible


def write_evaluation_report(folder: Path, evaluation: ModelEvaluation, title: str) -> Path:
    """The report of one model scored on one series; returns the HTML file."""
    plots = _Plots(folder)
    spec, prep = evaluation.spec, evaluation.preprocessing
    index = evaluation.frame.index
    targets = evaluation.frame.to_numpy(dtype=np.float64)[:, : len(prep.targets)]
    test = evaluation.scored["test"]
    labels = forecast_labels(prep.season)

    sections = [
        ("Test period", _headline(index, test, "test period", labels)),
        *_forecast_sections(plots, index, targets, test, prep, labels),
    ]
    if evaluation.history is not None and len(evaluation.history):
        sections.append(("Training", _training(plots, evaluation.history, spec.train.loss)))
    if "val" in evaluation.scored:
        val = evaluation.scored["val"]
        sections.append(("Validation period", _headline(index, val, "validation period", labels)))
    sections += [
        ("Data and periods", _data_and_periods(plots, evaluation, targets)),
        ("How the scores are measured", _method(prep)),
        ("Spec", preformatted(spec.to_yaml())),
        ("Manifest", _manifest_table(evaluation.manifest)),
    ]
    subtitle = (
        f"{_describe_task(spec, prep)}. Data: {evaluation.data_source}. "
        f"Written {datetime.now().isoformat(timespec='seconds')}."
    )
    return _write_page(folder, document(title, sections, subtitle))


def write_backtest_report(
    folder: Path, backtest: BacktestResult, environment: dict[str, Any]
) -> Path:
    """The report of a rolling-origin backtest; ``environment`` is manifest-like (versions,
    device, seed, data checksum). Returns the HTML file."""
    plots = _Plots(folder)
    spec = backtest.spec
    prep = backtest.folds[-1].fitted.preprocessing  # all but the scaler as in every fold
    index = backtest.frame.index
    targets = backtest.frame.to_numpy(dtype=np.float64)[:, : len(spec.data.targets)]
    labels = forecast_labels(prep.season)
    folds = backtest.folds
    boundaries = [index[result.fold.test_start] for result in folds[1:]]

    pooled = _headline(index, backtest.pooled, f"{len(folds)} test blocks together", labels)
    sections = [
        ("All folds together", pooled),
        ("Folds", _fold_table(backtest, labels) + _fold_plots(plots, backtest, labels)),
        *_forecast_sections(
            plots, index, targets, backtest.pooled, prep, labels, len(index), boundaries
        ),
        ("Training", _fold_losses(plots, backtest)),
        ("How the backtest is laid out", _backtest_method(backtest)),
        ("How the scores are measured", _method(prep)),
        ("Spec", preformatted(spec.to_yaml())),
        ("Environment", _manifest_table(environment)),
    ]
    title = f"{spec.name}: rolling-origin backtest, {len(folds)} folds"
    subtitle = (
        f"{_describe_task(spec, prep)}. Data: {backtest.data_source}. "
        f"Written {datetime.now().isoformat(timespec='seconds')}."
    )
    return _write_page(folder, document(title, sections, subtitle))


def scores_table(metrics: dict[str, Any], labels: dict[str, str]) -> str:
    """Every metric for the model and both baselines, with each one's MAE skill against
    both baselines; a note when MAPE left out zero actuals."""
    header = ["forecast", "MAE", "RMSE", "MAPE %", "sMAPE %", "MASE"]
    header += [f"skill vs {labels[base].split(' (')[0]}" for base in BASELINES]
    rows = [
        [
            labels[name],
            *(metrics[name][key] for key in ("mae", "rmse")),
            *(_percent(metrics[name][key]) for key in ("mape", "smape")),
            metrics[name]["mase"],
            *(skill_text(metrics[name]["mae"], metrics[base]["mae"]) for base in BASELINES),
        ]
        for name in FORECASTS
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


def _percent(value: float | None) -> str | None:
    return None if value is None or not np.isfinite(value) else f"{value:.2f}"


class _Plots:
    """Renders each figure into ``plots/`` and into the page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / PLOTS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)

    def html(self, figure: Figure, name: str, alt: str) -> str:
        safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        return image(figure_png(figure, self.folder / f"{safe_name}.png"), alt)


def _write_page(folder: Path, page: str) -> Path:
    path = folder / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path


def _describe_task(spec: Any, prep: Preprocessing) -> str:
    inputs = ", ".join(prep.columns)
    units = "x".join(str(units) for units in spec.model.units)
    direction = "bidirectional " if spec.model.bidirectional else ""
    return (
        f"{', '.join(prep.targets)} {prep.horizon} steps ahead from the last {prep.lookback} "
        f"rows of {inputs}; {direction}{spec.model.cell.upper()} ({units} units)"
    )


def _headline(
    index: pd.DatetimeIndex, scored: PeriodForecasts, what: str, labels: dict[str, str]
) -> str:
    metrics = scored.metrics
    first, last = scored.origins.min(), scored.origins.max() + scored.actual.shape[1] - 1
    comparisons = [
        f"{abs(skill):.1%} {'lower' if skill >= 0 else 'higher'} than the "
        f"{base.replace('_', ' ')} forecast's"
        for base in BASELINES
        if np.isfinite(skill := 1 - metrics["model"]["mae"] / metrics[base]["mae"])
    ]
    summary = (
        f"On the {what} ({_time(index[first])} to {_time(index[last])}, "
        f"{metrics['windows']:,} windows of {scored.actual.shape[1]} steps) the model's mean "
        f"absolute error is {' and '.join(comparisons)}."
    )
    html = paragraph(summary) + scores_table(metrics, labels)
    per_target = metrics["model"].get("per_target", {})
    if len(per_target) > 1:
        for name in per_target:
            by_target = {key: metrics[key]["per_target"][name] for key in FORECASTS}
            html += paragraph(f"{name} alone:") + scores_table(by_target, labels)
    html += paragraph(
        "Skill is 1 - MAE / MAE of the baseline: positive means less error than the "
        "baseline, +25% a quarter less. Errors are in the targets' own units; MAPE and sMAPE "
        "in percent.",
        note=True,
    )
    return html


def _forecast_sections(
    plots: _Plots,
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


def _training(plots: _Plots, history: pd.DataFrame, loss: str) -> str:
    best = history.loc[history["val_loss"].idxmin()]
    figure = loss_figure(history, loss)
    note = paragraph(
        f"{len(history)} epochs; the weights kept are those of epoch {int(best['epoch'])} "
        f"(lowest validation loss, {best['val_loss']:.4g}). Training took "
        f"{history['seconds'].sum():.1f} s.",
        note=True,
    )
    return plots.html(figure, "loss", "training and validation loss by epoch") + note


def _data_and_periods(plots: _Plots, evaluation: ModelEvaluation, targets: np.ndarray) -> str:
    index, periods, prep = evaluation.frame.index, evaluation.periods, evaluation.preprocessing
    spans = _period_spans(periods)
    names = prep.targets[:MAX_TARGETS_PLOTTED]
    figure = periods_figure(index, targets, names, spans)
    rows = [
        [
            label,
            f"{start:,} to {stop - 1:,}",
            f"{stop - start:,}",
            _time(index[start]),
            _time(index[stop - 1]),
            f"{evaluation.scored[key].metrics['windows']:,}" if key in evaluation.scored else "",
        ]
        for (label, (start, stop)), key in zip(spans.items(), ("train", "val", "test"), strict=True)
        if stop > start
    ]
    header = ["period", "rows", "row count", "first", "last", "scored windows"]
    return plots.html(figure, "periods", "the series and its periods") + table(header, rows)


def _period_spans(periods: Periods) -> dict[str, tuple[int, int]]:
    return {
        "training": periods.bounds("train"),
        "validation": periods.bounds("val"),
        "test": periods.bounds("test"),
    }


def _method(prep: Preprocessing) -> str:
    m = prep.season
    return "".join(
        paragraph(text)
        for text in (
            f"Windows: a forecast starts at every row (stride 1) whose whole {prep.horizon}-step "
            f"horizon lies inside the period scored; its {prep.lookback} input rows may reach "
            "back into the period before. Every score is a mean over windows x steps x "
            "targets, on the targets' original scale.",
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


def _manifest_table(manifest: dict[str, Any]) -> str:
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


def _fold_table(backtest: BacktestResult, labels: dict[str, str]) -> str:
    index = backtest.frame.index
    header = ["fold", "fit on", "validation", "test", "windows"]
    header += [f"MAE {labels[name].split(' (')[0]}" for name in FORECASTS]
    header += [f"skill vs {labels[base].split(' (')[0]}" for base in BASELINES]
    header += ["epochs (best)"]
    rows = []
    for result in backtest.folds:
        fold, metrics = result.fold, result.scored.metrics
        rows.append(
            [
                fold.number,
                _span(index, fold.train_start, fold.val_start),
                _span(index, fold.val_start, fold.test_start),
                _span(index, fold.test_start, fold.test_end),
                metrics["windows"],
                *(metrics[name]["mae"] for name in FORECASTS),
                *(skill_text(metrics["model"]["mae"], metrics[base]["mae"]) for base in BASELINES),
                f"{len(result.history)} ({result.fitted.best_epoch})",
            ]
        )
    return table(header, rows)


def _fold_plots(plots: _Plots, backtest: BacktestResult, labels: dict[str, str]) -> str:
    index, results = backtest.frame.index, backtest.folds
    layout = plots.html(folds_figure(index, results), "folds", "rows of each fold")
    maes = fold_mae_figure(results, list(backtest.spec.data.targets), labels)
    return layout + plots.html(maes, "mae_by_fold", "MAE of each fold for model and baselines")


def _fold_losses(plots: _Plots, backtest: BacktestResult) -> str:
    figure = fold_losses_figure(backtest.folds, backtest.spec.train.loss)
    seconds = sum(result.fitted.train_seconds for result in backtest.folds)
    note = paragraph(f"Training all folds took {seconds:.1f} s.", note=True)
    return plots.html(figure, "fold_losses", "validation loss by epoch for each fold") + note


def _backtest_method(backtest: BacktestResult) -> str:
    window = backtest.spec.evaluation.window
    first = backtest.folds[0].fold
    training = (
        "every row from the start of the series (expanding)"
        if window == "expanding"
        else f"the {first.val_start - first.train_start:,} rows before its validation rows "
        "(sliding, the same length in every fold)"
    )
    return paragraph(
        f"The spec's test period is split into {len(backtest.folds)} consecutive blocks. Each "
        f"fold is tested on one block and fit on {training}; the last "
        f"{first.test_start - first.val_start:,} rows before the block are its validation "
        "rows, used only for early stopping. The scaler and the weights are fit on each "
        "fold's training rows alone, so no fold sees its own test rows, nor anything after "
        "them. Fold 1 is the spec's own training/validation split. The pooled scores are "
        "means over every fold's windows; MASE scales each window's errors by its own fold's "
        "training rows."
    )


def _span(index: pd.DatetimeIndex, start: int, stop: int) -> str:
    return f"{_time(index[start])} to {_time(index[stop - 1])}"


def _time(stamp: pd.Timestamp) -> str:
    """Dates without a midnight time; times without seconds unless they have some."""
    if not isinstance(stamp, pd.Timestamp):  # a step index
        return f"step {stamp}"
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M")
