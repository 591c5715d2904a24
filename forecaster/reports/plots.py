"""Every report's figures: data in, a titled and labelled matplotlib figure out.

Every plot names its target in the title, labels both axes (values in the target column's
own units), puts time on the x axis where there is time, and keeps one colour and line
style per forecast: model, naive and seasonal naive look the same in every plot.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.evaluation.metrics import window_blocks
from forecaster.model.baselines import BASELINES
from forecaster.model.statistical import LABELS as STATISTICAL_LABELS
from forecaster.reports.text import step_name
from forecaster.spec import SCALE_FREE_LOSSES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecaster.evaluation.scoring import PeriodForecasts
    from forecaster.model.periods import Period

LAST_WINDOWS = 3
FORECASTS = ("model", *BASELINES)

# The one style table: a forecast, a period or a variant looks the same in every figure of
# every report. Variants take colours the baselines do not use.
STYLES: dict[str, dict[str, Any]] = {
    "model": {"color": "C0", "linewidth": 1.8},
    "naive": {"color": "C1", "linestyle": "--", "linewidth": 1.2},
    "seasonal_naive": {"color": "C2", "linestyle": ":", "linewidth": 1.6},
    "network": {"color": "C4", "linestyle": "-.", "linewidth": 1.2},
}
ACTUAL_STYLE: dict[str, Any] = {"color": "black", "linewidth": 1.1}
BOUNDARY_STYLE: dict[str, Any] = {"color": "0.5", "linewidth": 0.9, "linestyle": "-."}
PERIOD_COLORS = {"train": "0.75", "val": "C1", "test": "C0"}
PERIOD_LABELS = {"train": "training", "val": "validation", "test": "test"}
VARIANT_COLORS = ("C0", "C3", "C4", "C5", "C6", "C9")


def new_figure(title: str, xlabel: str, ylabel: str, width: float = 9, height: float = 4) -> Any:
    """A figure and its axes with the title and axis labels every plot must carry."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed, and no GUI backend on servers
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(width, height), dpi=100)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    return figure, axes


def figure_png(figure: Figure, path: Path | None = None) -> bytes:
    """Render and close ``figure``; also write it to ``path`` when given."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    png = buffer.getvalue()
    if path is not None:
        path.write_bytes(png)
    return png


def time_axis(axes: Any) -> None:
    """Dates on the x axis as a person reads them: few ticks, each label only as precise
    as the tick spacing needs ("Nov 03", "06:00"), the year or day once at the corner."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def forecast_labels(season: int) -> dict[str, str]:
    """Legend names of the forecasts."""
    return {
        "model": "model",
        "network": "network alone",
        "naive": "naive (last value)",
        "seasonal_naive": f"seasonal naive (m = {season})",
        **STATISTICAL_LABELS,
    }


def last_windows_figure(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    scored: PeriodForecasts,
    k: int,
    name: str,
    lookback: int,
    labels: dict[str, str],
) -> Figure:
    """The last few test forecasts (model and baselines) over the actual values and some
    of the history before them."""
    horizon = scored.actual.shape[1]
    picks, origins, start, stop = last_windows(scored, lookback)
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


def last_windows(scored: PeriodForecasts, lookback: int) -> tuple[list[int], Any, int, int]:
    """The last windows that do not overlap, so every forecast line is seen whole: their
    positions, origins, and the rows to draw (some history before the first)."""
    horizon = scored.actual.shape[1]
    first = _last_series_first(scored)
    picks = [len(scored.origins) - 1 - j * horizon for j in range(LAST_WINDOWS)]
    picks = sorted(i for i in picks if i >= first)
    origins = scored.origins[picks]
    return picks, origins, max(0, origins[0] - min(lookback, 2 * horizon)), origins[-1] + horizon


def _last_series_first(scored: PeriodForecasts) -> int:
    """The position of the first window of the last window's series: a figure over time
    draws one series, never the rows of several end to end."""
    if scored.series is None or len(scored.series) == 0:
        return 0
    others = np.flatnonzero(scored.series != scored.series[-1])
    return int(others[-1]) + 1 if len(others) else 0


def one_step_figure(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    scored: PeriodForecasts,
    k: int,
    name: str,
    labels: dict[str, str],
    points: int,
    boundaries: list[pd.Timestamp],
) -> Figure:
    """Every window's first step over the last ``points`` test rows, against the actual
    values; ``boundaries`` mark where another fold's model takes over."""
    take = slice(max(_last_series_first(scored), len(scored.origins) - points), None)
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


def error_by_step_figure(
    metrics: dict[str, Any], name: str, per_target: bool, frequency: str, labels: dict[str, str]
) -> Figure:
    """MAE per horizon step for the model and both baselines."""
    from matplotlib.ticker import MaxNLocator

    figure, axes = new_figure(
        f"{name}: mean absolute error by forecast step",
        f"steps ahead (one step = {step_name(frequency)})",
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


def errors_figure(scored: PeriodForecasts, k: int, name: str, labels: dict[str, str]) -> Figure:
    """Histogram of actual - forecast over every window and step, baselines outlined.

    The errors are computed a block of windows at a time (``_errors``) and counted into
    the bins block by block: every error of every forecast at once, and a copy of them to
    find the bins, would be float64 values several times the rows scored (7 M values for
    2,000 hourly series). The bins and the bars are those of the whole arrays; the means and
    standard deviations in the legend are summed by block (shown to 3 digits)."""
    errors = {key: _errors(scored, key, k) for key in FORECASTS}
    windows, horizon = scored.actual.shape[:2]
    low, high = _percentiles(
        lambda: (part for blocks in errors.values() for part in blocks()),
        len(errors) * windows * horizon,
        (0.5, 99.5),
    )
    recorded = np.empty(0)  # the distinct actual values, as np.unique lists them
    for part in _actual(scored, k):
        recorded = np.union1d(recorded, part)
    bins = _error_bins(low, high, _resolution(recorded))
    figure, axes = new_figure(
        f"{name}: forecast errors over all test windows and steps",
        f"actual - forecast ({name})",
        "count (windows x steps)",
    )
    for key, blocks in errors.items():
        size = windows * horizon
        mean = sum(float(np.sum(part)) for part in blocks()) / size
        sd = math.sqrt(sum(float(np.sum(np.square(part - mean))) for part in blocks()) / size)
        edges = bins
        if isinstance(edges, int):  # as np.histogram makes them: the errors' own range
            lowest = min(float(part.min()) for part in blocks())
            highest = max(float(part.max()) for part in blocks())
            edges = np.histogram_bin_edges(np.array([lowest, highest]), edges)
        counts = sum(np.histogram(part, edges)[0] for part in blocks())
        label = f"{labels[key]}: mean {mean:+.3g}, sd {sd:.3g}"
        # each bin's count as the weight of its left edge: the bars of the errors themselves
        bars = {"bins": edges, "weights": counts, "color": STYLES[key]["color"], "label": label}
        if key == "model":
            axes.hist(edges[:-1], alpha=0.55, **bars)
        else:
            style = {"linewidth": 1.4, "linestyle": STYLES[key]["linestyle"]}
            axes.hist(edges[:-1], histtype="step", **style, **bars)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.legend(fontsize=8)
    return figure


def _errors(scored: PeriodForecasts, key: str, k: int) -> Callable[[], Iterator[np.ndarray]]:
    """Target ``k``'s actual - forecast in order, flat, a block of windows at a time (each
    call of what is returned starts again)."""

    def blocks() -> Iterator[np.ndarray]:
        for block in window_blocks(len(scored.actual), math.prod(scored.actual.shape[1:])):
            actual = np.asarray(scored.actual[block])[..., k]
            yield (actual - np.asarray(scored.forecasts[key][block])[..., k]).ravel()

    return blocks


def _actual(scored: PeriodForecasts, k: int) -> Iterator[np.ndarray]:
    for block in window_blocks(len(scored.actual), math.prod(scored.actual.shape[1:])):
        yield np.asarray(scored.actual[block])[..., k].ravel()


def _percentiles(
    blocks: Callable[[], Iterator[np.ndarray]],
    total: int,
    percents: tuple[float, float],
    held: int = 1 << 16,
) -> tuple[float, float]:
    """``np.percentile`` at a low and a high percentile of the ``total`` values that
    ``blocks()`` yields. Up to ``held`` values NumPy's own; beyond, only the values below
    the low position and above the high one are kept, block by block, and each result is
    ``np.quantile`` of the pair of values around its position at the same fraction
    between them: the same numbers. NaN when any value is."""
    if total <= held:
        low, high = np.percentile(np.concatenate(list(blocks())), percents)
        return float(low), float(high)
    positions = (total - 1) * np.true_divide(np.asarray(percents, dtype=np.float64), 100)
    firsts = np.floor(positions).astype(np.int64)  # a pair: firsts and firsts + 1
    smallest, largest = int(firsts[0]) + 2, total - int(firsts[1])  # how many of each end
    bottom, top = np.empty(0), np.empty(0)
    for part in blocks():
        if np.isnan(part).any():
            return math.nan, math.nan
        bottom = np.concatenate([bottom, part])
        if len(bottom) > smallest:
            bottom = np.partition(bottom, smallest - 1)[:smallest]
        top = np.concatenate([top, part])
        if len(top) > largest:
            top = np.partition(top, len(top) - largest)[len(top) - largest :]
    bottom.sort()
    top.sort()
    pairs = (bottom[firsts[0] :][:2], top[firsts[1] - (total - largest) :][:2])
    low, high = (
        float(np.quantile(pair, position - first))
        for pair, position, first in zip(pairs, positions, firsts, strict=True)
    )
    return low, high


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


def _error_bins(low: float, high: float, resolution: float, count: int = 60) -> np.ndarray | int:
    """Bin edges covering the bulk of the errors, ``low`` and ``high`` their 0.5 and 99.5
    percentiles (a few extreme ones would squash the rest). Errors of recorded values are
    multiples of their resolution: bins a whole number of steps wide, edges between steps,
    so no bin gets one step more than the next."""
    if not high > low:
        return count
    width = (high - low) / count
    if 0 < resolution < width:
        steps = round(width / resolution)
        first = np.floor(low / resolution) - 0.5
        return resolution * np.arange(first, high / resolution + steps, steps)
    return np.linspace(low, high, count + 1)


def loss_label(loss: str) -> str:
    """The loss axis: mse, mae and huber are on the scaled targets; mase and smape are
    scale-free (the scores of the same names)."""
    return f"{loss} loss" + ("" if loss in SCALE_FREE_LOSSES else " on the scaled targets")


def loss_figure(history: pd.DataFrame, loss: str) -> Figure:
    """Training and validation loss by epoch, the epoch whose weights were kept marked."""
    best = history.loc[history["val_loss"].idxmin()]
    figure, axes = new_figure("Loss by epoch", "epoch", loss_label(loss))
    axes.plot(history["epoch"], history["loss"], marker="o", markersize=3, label="training")
    axes.plot(history["epoch"], history["val_loss"], marker="o", markersize=3, label="validation")
    axes.axvline(best["epoch"], color="0.5", linestyle="-.", linewidth=0.8, label="best epoch")
    log_scale_if_wide(axes, history[["loss", "val_loss"]].to_numpy())
    axes.legend(fontsize=8)
    epoch_axis(axes, len(history))
    return figure


def member_loss_figure(history: pd.DataFrame) -> Figure:
    """An ensemble's validation loss by epoch, one line per member (members may train on
    different losses: each line is on its own member's loss)."""
    figure, axes = new_figure("Validation loss by epoch, each member", "epoch", "validation loss")
    for member, rows in history.groupby("member", sort=True):
        label = f"member {member}"
        axes.plot(rows["epoch"], rows["val_loss"], marker="o", markersize=3, label=label)
    log_scale_if_wide(axes, history[["val_loss"]].to_numpy())
    if history["member"].nunique() <= 10:
        axes.legend(fontsize=8)
    epoch_axis(axes, int(history["epoch"].max()))
    return figure


def periods_figure(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    names: list[str],
    spans: Mapping[Period, tuple[int, int]],
) -> Figure:
    """The series with its training, validation and test periods shaded; ``spans`` maps
    "train", "val" and "test" to row bounds."""
    end = max(stop for _, stop in spans.values())
    figure, axes = new_figure(
        "The series and its training, validation and test periods",
        "time",
        ", ".join(names),
        width=10,
        height=3.5,
    )
    for k, name in enumerate(names):
        axes.plot(index[:end], targets[:end, k], linewidth=0.6, label=name)
    for period, (start, stop) in spans.items():
        if stop > start:
            axes.axvspan(
                index[start], row_end(index, stop), color=PERIOD_COLORS[period], alpha=0.15
            )
            axes.text(
                index[start],
                0.97,
                f" {PERIOD_LABELS[period]}",
                transform=axes.get_xaxis_transform(),
                va="top",
                fontsize=9,
                color="0.25",
            )
    if len(names) > 1:
        axes.legend(loc="lower left", fontsize=8)
    time_axis(axes)
    return figure


def _legend_below(axes: Any, ncol: int) -> None:
    """Under the plot, where it hides no data of a long, dense series."""
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=8)


def epoch_axis(axes: Any, epochs: int) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_xlim(0.5, epochs + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def log_scale_if_wide(axes: Any, values: np.ndarray) -> None:
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size and finite.max() / finite.min() > 30:
        axes.set_yscale("log")


def row_end(index: pd.DatetimeIndex, stop: int) -> pd.Timestamp:
    """Where rows ``[..., stop)`` end on the time axis: the start of the next row."""
    if stop < len(index):
        return index[stop]
    return index[-1] + (index[-1] - index[-2])
