"""What the evaluation reports show, built from the blocks in ``report``.

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
from forecaster.predict import Preprocessing
from forecaster.report import (
    document,
    figure_png,
    image,
    new_figure,
    paragraph,
    preformatted,
    table,
    time_axis,
)
from forecaster.windows import Periods

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecaster.backtest import BacktestResult

REPORT_FILE = "report.html"
PLOTS_FOLDER = "plots"
MAX_TARGETS_PLOTTED = 6  # beyond this the page becomes a wall of plots; the tables have all
LAST_WINDOWS = 3
ONE_STEP_POINTS = 720  # a month of hourly data: dense but every day still visible
FORECASTS = ("model", *BASELINES)
STYLES: dict[str, dict[str, Any]] = {
    "model": {"color": "C0", "linewidth": 1.8},
    "naive": {"color": "C1", "linestyle": "--", "linewidth": 1.2},
    "seasonal_naive": {"color": "C2", "linestyle": ":", "linewidth": 1.6},
}
ACTUAL_STYLE: dict[str, Any] = {"color": "black", "linewidth": 1.1}
BOUNDARY_STYLE: dict[str, Any] = {"color": "0.5", "linewidth": 0.9, "linestyle": "-."}
PERIOD_COLORS = {"training": "0.75", "validation": "C1", "test": "C0"}


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


def write_backtest_report(folder: Path, backtest: BacktestResult) -> Path:
    """The report of a rolling-origin backtest; returns the HTML file."""
    plots = _Plots(folder)
    spec = backtest.spec
    prep = _fold_preprocessing(backtest)
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
    ]
    title = f"{spec.name}: rolling-origin backtest, {len(folds)} folds"
    subtitle = (
        f"{_describe_task(spec, prep)}. Data: {backtest.data_source}. "
        f"Written {datetime.now().isoformat(timespec='seconds')}."
    )
    return _write_page(folder, document(title, sections, subtitle))


def forecast_labels(season: int) -> dict[str, str]:
    return {
        "model": "model",
        "naive": "naive (last value)",
        "seasonal_naive": f"seasonal naive (m = {season})",
    }


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
    forecasts, by_step, errors = "", "", ""
    for k, name in enumerate(shown):
        forecasts += plots.html(
            _last_windows(index, targets, scored, k, name, prep.lookback, labels),
            f"forecasts_{name}",
            f"{name}: last test forecasts against actual values",
        )
        forecasts += plots.html(
            _one_step(index, targets, scored, k, name, labels, one_step_points, boundaries or []),
            f"one_step_{name}",
            f"{name}: one-step-ahead forecasts against actual values",
        )
        by_step += plots.html(
            _error_by_step(scored.metrics, name, len(prep.targets) > 1, prep.frequency, labels),
            f"error_by_step_{name}",
            f"{name}: mean absolute error by forecast step",
        )
        errors += plots.html(
            _residuals(scored, k, name, labels), f"errors_{name}", f"{name}: forecast errors"
        )
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


def _last_windows(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    scored: PeriodForecasts,
    k: int,
    name: str,
    lookback: int,
    labels: dict[str, str],
) -> Figure:
    horizon = scored.actual.shape[1]
    # the last windows that do not overlap, so every forecast line is seen whole
    picks = [len(scored.origins) - 1 - j * horizon for j in range(LAST_WINDOWS)]
    picks = sorted(i for i in picks if i >= 0)
    origins = scored.origins[picks]
    start = max(0, origins[0] - min(lookback, 2 * horizon))
    stop = origins[-1] + horizon
    figure, axes = new_figure(
        f"{name}: the last {len(picks)} forecasts of {horizon} steps against the actual values",
        "time",
        name,
        width=10,
        height=4.6,
    )
    axes.plot(index[start:stop], targets[start:stop, k], label="actual", **ACTUAL_STYLE)
    for j, (pick, origin) in enumerate(zip(picks, origins, strict=True)):
        times = index[origin : origin + horizon]
        for forecast in FORECASTS:
            label = labels[forecast] if j == 0 else None
            axes.plot(
                times, scored.forecasts[forecast][pick, :, k], label=label, **STYLES[forecast]
            )
        origin_label = "forecast origin" if j == 0 else None
        axes.axvline(index[origin], label=origin_label, **BOUNDARY_STYLE)
    _legend_below(axes, ncol=3)
    time_axis(axes)
    return figure


def _one_step(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    scored: PeriodForecasts,
    k: int,
    name: str,
    labels: dict[str, str],
    points: int,
    boundaries: list[pd.Timestamp],
) -> Figure:
    take = slice(-min(points, len(scored.origins)), None)
    origins = scored.origins[take]
    actual = scored.actual[take, 0, k]
    step_mae = {
        key: np.mean(np.abs(actual - scored.forecasts[key][take, 0, k])) for key in FORECASTS
    }
    # rows with no window (between backtest blocks) stay empty instead of bridged
    rows = np.arange(origins[0], origins[-1] + 1)
    model = np.full(len(rows), np.nan)
    model[origins - origins[0]] = scored.forecasts["model"][take, 0, k]
    figure, axes = new_figure(
        f"{name}: one-step-ahead forecasts over {len(origins):,} test steps",
        "time",
        name,
        width=10,
        height=4.6,
    )
    axes.plot(index[rows], targets[rows, k], label="actual", **ACTUAL_STYLE)
    axes.plot(index[rows], model, label=f"model: MAE {step_mae['model']:.3g}", **STYLES["model"])
    for key in BASELINES:  # their lines would hide the model's; their scores are enough
        axes.plot([], [], " ", label=f"{labels[key]}: MAE {step_mae[key]:.3g}")
    for j, boundary in enumerate(boundaries):
        label = "the next fold's model from here" if j == 0 else None
        axes.axvline(boundary, label=label, **BOUNDARY_STYLE)
    _legend_below(axes, ncol=3)
    time_axis(axes)
    return figure


def _error_by_step(
    metrics: dict[str, Any], name: str, per_target: bool, frequency: str, labels: dict[str, str]
) -> Figure:
    from matplotlib.ticker import MaxNLocator

    figure, axes = new_figure(
        f"{name}: mean absolute error by forecast step",
        f"steps ahead (one step = {_step_name(frequency)})",
        f"MAE ({name})",
    )
    for forecast in FORECASTS:
        scores = metrics[forecast]["per_target"][name] if per_target else metrics[forecast]
        errors = scores["per_step"]["mae"]
        steps = np.arange(1, len(errors) + 1)
        style = {**STYLES[forecast], "marker": "o", "markersize": 3}
        axes.plot(steps, errors, label=labels[forecast], **style)
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=8)
    return figure


def _residuals(scored: PeriodForecasts, k: int, name: str, labels: dict[str, str]) -> Figure:
    errors = {
        key: (scored.actual[..., k] - scored.forecasts[key][..., k]).ravel() for key in FORECASTS
    }
    bins = _error_bins(np.concatenate(list(errors.values())), _resolution(scored.actual[..., k]))
    figure, axes = new_figure(
        f"{name}: forecast errors over all test windows and steps",
        f"actual - forecast ({name})",
        "count (windows x steps)",
    )
    for key in FORECASTS:
        values = errors[key]
        label = f"{labels[key]}: mean {values.mean():+.3g}, sd {values.std():.3g}"
        if key == "model":
            axes.hist(values, bins=bins, color=STYLES[key]["color"], alpha=0.55, label=label)
        else:
            axes.hist(
                values,
                bins=bins,
                histtype="step",
                color=STYLES[key]["color"],
                linewidth=1.4,
                linestyle=STYLES[key]["linestyle"],
                label=label,
            )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.legend(fontsize=8)
    return figure


def _resolution(values: np.ndarray) -> float:
    """The step in which values were recorded (ETTh1's oil temperature: about 0.07), or 0
    for values that do not come in steps."""
    gaps = np.diff(np.unique(values))
    if len(gaps) < 10:
        return 0.0
    ratios = gaps / np.percentile(gaps, 5)
    on_grid = np.abs(ratios - np.round(ratios)) < 0.1
    if np.mean(on_grid) < 0.9:
        return 0.0
    return float(np.mean(gaps[on_grid & (np.round(ratios) == 1)]))


def _error_bins(errors: np.ndarray, resolution: float, count: int = 60) -> np.ndarray | int:
    """Bin edges covering the bulk of the errors (a few extreme ones would squash the
    rest). Errors of recorded values are multiples of their resolution: bins a whole
    number of steps wide, edges between steps, so no bin gets one step more than the next."""
    low, high = np.percentile(errors, [0.5, 99.5])
    if not high > low:
        return count
    width = (high - low) / count
    if 0 < resolution < width:
        steps = round(width / resolution)
        first = np.floor(low / resolution) - 0.5
        return resolution * np.arange(first, high / resolution + steps, steps)
    return np.linspace(low, high, count + 1)


def _training(plots: _Plots, history: pd.DataFrame, loss: str) -> str:
    best = history.loc[history["val_loss"].idxmin()]
    figure, axes = new_figure(
        "Loss by epoch (scaled values)", "epoch", f"{loss} loss on the scaled targets"
    )
    axes.plot(history["epoch"], history["loss"], marker="o", markersize=3, label="training")
    axes.plot(history["epoch"], history["val_loss"], marker="o", markersize=3, label="validation")
    axes.axvline(best["epoch"], color="0.5", linestyle="-.", linewidth=0.8, label="best epoch")
    _log_scale_if_wide(axes, history[["loss", "val_loss"]].to_numpy())
    axes.legend(fontsize=8)
    _epoch_axis(axes, len(history))
    note = paragraph(
        f"{len(history)} epochs; the weights kept are those of epoch {int(best['epoch'])} "
        f"(lowest validation loss, {best['val_loss']:.4g}). Training took "
        f"{history['seconds'].sum():.1f} s.",
        note=True,
    )
    return plots.html(figure, "loss", "training and validation loss by epoch") + note


def _legend_below(axes: Any, ncol: int) -> None:
    """Under the plot, where it hides no data of a long, dense series."""
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=8)


def _epoch_axis(axes: Any, epochs: int) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_xlim(0.5, epochs + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _log_scale_if_wide(axes: Any, values: np.ndarray) -> None:
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() / finite.min() > 30:
        axes.set_yscale("log")


def _data_and_periods(plots: _Plots, evaluation: ModelEvaluation, targets: np.ndarray) -> str:
    index, periods, prep = evaluation.frame.index, evaluation.periods, evaluation.preprocessing
    spans = _period_spans(periods)
    figure, axes = new_figure(
        "The series and its training, validation and test periods",
        "time",
        ", ".join(prep.targets[:MAX_TARGETS_PLOTTED]),
        width=10,
        height=3.5,
    )
    for k, name in enumerate(prep.targets[:MAX_TARGETS_PLOTTED]):
        axes.plot(index[: periods.end], targets[: periods.end, k], linewidth=0.6, label=name)
    for label, (start, stop) in spans.items():
        if stop > start:
            axes.axvspan(
                index[start], _row_end(index, stop), color=PERIOD_COLORS[label], alpha=0.15
            )
            axes.text(
                index[start],
                0.97,
                f" {label}",
                transform=axes.get_xaxis_transform(),
                va="top",
                fontsize=9,
                color="0.25",
            )
    if len(prep.targets) > 1:
        axes.legend(loc="lower left", fontsize=8)
    time_axis(axes)
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


def _fold_preprocessing(backtest: BacktestResult) -> Preprocessing:
    """What every fold shares (lookback, horizon, season, targets): taken from the spec;
    the scaler is the last fold's."""
    spec = backtest.spec
    return Preprocessing(
        time_column=str(backtest.frame.index.name),
        targets=list(spec.data.targets),
        covariates=list(spec.data.covariates),
        frequency=backtest.frequency,
        lookback=spec.window.lookback,
        horizon=spec.window.horizon,
        missing=spec.data.missing,
        season=int(backtest.pooled.metrics["season"]),
        scaler=backtest.folds[-1].scaler,
    )


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
                f"{len(result.history)} ({result.best_epoch})",
            ]
        )
    return table(header, rows)


def _fold_plots(plots: _Plots, backtest: BacktestResult, labels: dict[str, str]) -> str:
    import matplotlib.dates as mdates

    index, folds = backtest.frame.index, backtest.folds
    figure, axes = new_figure(
        "Rows each fold is fit, validated and tested on",
        "time",
        "fold",
        height=1.2 + 0.45 * len(folds),
    )
    for result in folds:
        fold = result.fold
        for label, (start, stop) in zip(
            ("training", "validation", "test"),
            (
                (fold.train_start, fold.val_start),
                (fold.val_start, fold.test_start),
                (fold.test_start, fold.test_end),
            ),
            strict=True,
        ):
            left, right = mdates.date2num(index[start]), mdates.date2num(_row_end(index, stop))
            axes.barh(
                fold.number,
                right - left,
                left=left,
                height=0.6,
                color=PERIOD_COLORS[label],
                label=label if fold.number == 1 else None,
            )
    axes.invert_yaxis()  # fold 1 on top, like the table
    axes.set_yticks([result.fold.number for result in folds])
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    time_axis(axes)
    html = plots.html(figure, "folds", "rows of each fold")

    figure, axes = new_figure(
        "Mean absolute error of each fold's test block",
        "fold",
        f"MAE ({', '.join(backtest.spec.data.targets)})",
    )
    width = 0.8 / len(FORECASTS)
    numbers = np.array([result.fold.number for result in folds])
    for j, name in enumerate(FORECASTS):
        values = [result.scored.metrics[name]["mae"] for result in folds]
        axes.bar(
            numbers + (j - 1) * width,
            values,
            width,
            color=STYLES[name]["color"],
            label=labels[name],
        )
    axes.set_xticks(numbers)
    axes.legend(fontsize=8)
    return html + plots.html(figure, "mae_by_fold", "MAE of each fold for model and baselines")


def _fold_losses(plots: _Plots, backtest: BacktestResult) -> str:
    figure, axes = new_figure(
        "Validation loss by epoch, each fold (dashed: training loss)",
        "epoch",
        f"{backtest.spec.train.loss} loss on the scaled targets",
    )
    for j, result in enumerate(backtest.folds):
        history, color = result.history, f"C{j % 10}"
        axes.plot(
            history["epoch"],
            history["val_loss"],
            color=color,
            marker="o",
            markersize=3,
            label=f"fold {result.fold.number}",
        )
        axes.plot(history["epoch"], history["loss"], color=color, linestyle="--", linewidth=0.8)
    _epoch_axis(axes, max(len(result.history) for result in backtest.folds))
    _log_scale_if_wide(
        axes,
        np.concatenate(
            [r.history[["loss", "val_loss"]].to_numpy().ravel() for r in backtest.folds]
        ),
    )
    axes.legend(fontsize=8)
    seconds = sum(result.train_seconds for result in backtest.folds)
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


def _row_end(index: pd.DatetimeIndex, stop: int) -> pd.Timestamp:
    """Where rows ``[..., stop)`` end on the time axis: the start of the next row."""
    if stop < len(index):
        return index[stop]
    return index[-1] + (index[-1] - index[-2])


def _span(index: pd.DatetimeIndex, start: int, stop: int) -> str:
    return f"{_time(index[start])} to {_time(index[stop - 1])}"


def _time(stamp: pd.Timestamp) -> str:
    """Dates without a midnight time; times without seconds unless they have some."""
    if stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second else "%Y-%m-%d %H:%M")


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
_CALENDAR = {"W": "week", "M": "month", "Q": "quarter", "Y": "year", "B": "business day"}


def _step_name(frequency: str) -> str:
    """'h' -> '1 hour', '15min' -> '15 minutes', 'MS' -> '1 month'."""
    from pandas.tseries.frequencies import to_offset

    offset = to_offset(frequency)
    try:
        seconds = pd.Timedelta(offset).total_seconds()
    except (ValueError, TypeError):
        code = offset.rule_code.split("-")[0]
        unit = _CALENDAR.get(code[:1] if code not in _CALENDAR else code, frequency)
        return f"{offset.n} {unit}{'s' if offset.n > 1 else ''}"
    for unit, size in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return frequency
