"""The page of a rolling-origin backtest, with the figures only it has (folds on the time
axis, MAE per fold, each fold's losses)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.evaluation.backtest import BacktestResult, FoldResult
from forecaster.model.baselines import BASELINES
from forecaster.reports.html import document, paragraph, preformatted, table
from forecaster.reports.plots import (
    FORECASTS,
    PERIOD_COLORS,
    PERIOD_LABELS,
    STYLES,
    epoch_axis,
    forecast_labels,
    log_scale_if_wide,
    loss_label,
    new_figure,
    row_end,
    time_axis,
)
from forecaster.reports.sections import (
    Plots,
    describe_task,
    forecast_sections,
    headline,
    manifest_table,
    method,
    span,
    write_page,
)
from forecaster.reports.series import series_section
from forecaster.reports.text import skill_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def write_backtest_report(
    folder: Path, backtest: BacktestResult, environment: dict[str, Any]
) -> Path:
    """The report of a rolling-origin backtest; ``environment`` is manifest-like (versions,
    device, seed, data checksum). Returns the HTML file."""
    plots = Plots(folder)
    spec = backtest.spec
    prep = backtest.folds[-1].fitted.preprocessing  # all but the scaler as in every fold
    index = backtest.panel.row_times()
    targets = backtest.panel.values[:, : len(spec.data.targets)].astype(np.float64)
    labels = forecast_labels(prep.season)
    folds = backtest.folds
    many = backtest.panel.num_series > 1  # every series has its own dates and fold rows
    boundaries = [] if many else [index[result.fold.test_start] for result in folds[1:]]

    pooled = headline(index, backtest.pooled, f"{len(folds)} test blocks together", labels)
    sections = [
        ("All folds together", pooled),
        ("Folds", _fold_table(backtest, labels) + _fold_plots(plots, backtest, labels)),
        *forecast_sections(
            plots, index, targets, backtest.pooled, prep, labels, len(index), boundaries
        ),
        ("Training", _fold_losses(plots, backtest)),
        ("How the backtest is laid out", _layout_text(backtest)),
        ("How the scores are measured", method(prep)),
        ("Spec", preformatted(spec.to_yaml())),
        ("Environment", manifest_table(environment)),
    ]
    if many:
        section = series_section(
            plots, backtest.pooled, targets, index, prep.lookback, labels, backtest.left_out
        )
        sections.insert(1, ("Series by series (all folds)", section))
    title = f"{spec.name}: rolling-origin backtest, {len(folds)} folds"
    subtitle = (
        f"{describe_task(spec, prep)}. Data: {backtest.data_source}. "
        f"Written {datetime.now().isoformat(timespec='seconds')}."
    )
    return write_page(folder, document(title, sections, subtitle))


def _fold_table(backtest: BacktestResult, labels: dict[str, str]) -> str:
    index = backtest.panel.row_times()
    header = ["fold", "fit on", "validation", "test", "windows"]
    header += [f"MAE {labels[name].split(' (')[0]}" for name in FORECASTS]
    header += [f"skill vs {labels[base].split(' (')[0]}" for base in BASELINES]
    header += ["epochs (best)"]
    rows = []
    for result in backtest.folds:
        fold, metrics = result.fold, result.scored.metrics
        if backtest.panel.num_series > 1:
            spans = ["each series' own rows"] + [f"block {fold.number} of each series"] * 2
        else:
            spans = [
                span(index, fold.train_start, fold.val_start),
                span(index, fold.val_start, fold.test_start),
                span(index, fold.test_start, fold.test_end),
            ]
        rows.append(
            [
                fold.number,
                *spans,
                metrics["windows"],
                *(metrics[name]["mae"] for name in FORECASTS),
                *(skill_text(metrics["model"]["mae"], metrics[base]["mae"]) for base in BASELINES),
                f"{len(result.history)} ({result.fitted.best_epoch})",
            ]
        )
    return table(header, rows)


def _fold_plots(plots: Plots, backtest: BacktestResult, labels: dict[str, str]) -> str:
    index, results = backtest.panel.row_times(), backtest.folds
    layout = ""
    if backtest.panel.num_series == 1:  # many series: each one's folds on its own dates
        layout = plots.html(folds_figure(index, results), "folds", "rows of each fold")
    maes = fold_mae_figure(results, list(backtest.spec.data.targets), labels)
    return layout + plots.html(maes, "mae_by_fold", "MAE of each fold for model and baselines")


def _fold_losses(plots: Plots, backtest: BacktestResult) -> str:
    figure = fold_losses_figure(backtest.folds, backtest.spec.train.loss)
    seconds = sum(result.fitted.train_seconds for result in backtest.folds)
    note = paragraph(f"Training all folds took {seconds:.1f} s.", note=True)
    return plots.html(figure, "fold_losses", "validation loss by epoch for each fold") + note


def _layout_text(backtest: BacktestResult) -> str:
    window = backtest.spec.evaluation.window
    first = backtest.folds[0].fold
    training = (
        "every row from the start of the series (expanding)"
        if window == "expanding"
        else f"the {first.val_start - first.train_start:,} rows before its validation rows "
        "(sliding, the same length in every fold)"
    )
    many = backtest.panel.num_series > 1
    each = " of every series (each series on its own rows, one model for all)" * many
    return paragraph(
        f"The spec's test period{each} is split into {len(backtest.folds)} consecutive "
        "blocks. Each "
        f"fold is tested on one block and fit on {training}; the last "
        f"{first.test_start - first.val_start:,} rows before the block are its validation "
        "rows, used only for early stopping. The scaler and the weights are fit on each "
        "fold's training rows alone, so no fold sees its own test rows, nor anything after "
        "them. Fold 1 is the spec's own training/validation split. The pooled scores are "
        "means over every fold's windows; MASE scales each window's errors by its own fold's "
        "training rows."
    )


def folds_figure(index: pd.DatetimeIndex, results: list[FoldResult]) -> Figure:
    """One bar per fold: its training, validation and test rows on the time axis."""
    import matplotlib.dates as mdates

    figure, axes = new_figure(
        "Rows each fold is fit, validated and tested on",
        "time",
        "fold",
        height=1.2 + 0.45 * len(results),
    )
    for result in results:
        fold = result.fold
        for period, (start, stop) in fold.rows().items():
            left, right = mdates.date2num(index[start]), mdates.date2num(row_end(index, stop))
            axes.barh(
                fold.number,
                right - left,
                left=left,
                height=0.6,
                color=PERIOD_COLORS[period],
                label=PERIOD_LABELS[period] if fold.number == 1 else None,
            )
    axes.invert_yaxis()  # fold 1 on top, like the table
    axes.set_yticks([result.fold.number for result in results])
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    time_axis(axes)
    return figure


def fold_mae_figure(
    results: list[FoldResult], target_names: list[str], labels: dict[str, str]
) -> Figure:
    """MAE of each fold's test block, model and baselines side by side."""
    figure, axes = new_figure(
        "Mean absolute error of each fold's test block",
        "fold",
        f"MAE ({', '.join(target_names)})",
    )
    width = 0.8 / len(FORECASTS)
    numbers = np.array([result.fold.number for result in results])
    for j, name in enumerate(FORECASTS):
        values = [result.scored.metrics[name]["mae"] for result in results]
        axes.bar(
            numbers + (j - 1) * width,
            values,
            width,
            color=STYLES[name]["color"],
            label=labels[name],
        )
    axes.set_xticks(numbers)
    axes.legend(fontsize=8)
    return figure


def first_member(history: pd.DataFrame) -> pd.DataFrame:
    """An ensemble's history (a ``member`` column): member 0's epochs, the spec's own
    model; any other history as it is."""
    return history[history["member"] == 0] if "member" in history.columns else history


def fold_losses_figure(results: list[FoldResult], loss: str) -> Figure:
    """Each fold's validation loss by epoch, its training loss dashed (an ensemble's:
    member 0's)."""
    figure, axes = new_figure(
        "Validation loss by epoch, each fold (dashed: training loss)",
        "epoch",
        loss_label(loss),
    )
    for j, result in enumerate(results):
        history, color = first_member(result.history), f"C{j % 10}"
        axes.plot(
            history["epoch"],
            history["val_loss"],
            color=color,
            marker="o",
            markersize=3,
            label=f"fold {result.fold.number}",
        )
        axes.plot(history["epoch"], history["loss"], color=color, linestyle="--", linewidth=0.8)
    epoch_axis(axes, max(len(first_member(result.history)) for result in results))
    log_scale_if_wide(
        axes,
        np.concatenate([r.history[["loss", "val_loss"]].to_numpy().ravel() for r in results]),
    )
    axes.legend(fontsize=8)
    return figure
