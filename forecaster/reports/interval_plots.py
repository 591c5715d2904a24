"""The figures of prediction intervals: a fan chart of the last test forecasts and the
coverage of each horizon step against the nominal level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.reports.plots import (
    ACTUAL_STYLE,
    BOUNDARY_STYLE,
    STYLES,
    last_windows,
    new_figure,
    time_axis,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecaster.evaluation.scoring import PeriodForecasts


def fan_figure(
    index: pd.Index,
    targets: np.ndarray,
    scored: PeriodForecasts,
    k: int,
    name: str,
    lookback: int,
) -> Figure:
    """The model's last test forecasts with their intervals, widest level palest."""
    assert scored.intervals is not None
    horizon = scored.actual.shape[1]
    picks, origins, start, stop = last_windows(scored, lookback)
    figure, axes = new_figure(
        f"{name}: the last {len(picks)} forecasts with their prediction intervals",
        "time",
        name,
        width=10,
        height=4.6,
    )
    axes.plot(index[start:stop], targets[start:stop, k], label="actual", **ACTUAL_STYLE)
    bands = scored.intervals["model"]
    levels = sorted(bands, reverse=True)
    for j, (pick, origin) in enumerate(zip(picks, origins, strict=True)):
        times = index[origin : origin + horizon]
        for shade, level in enumerate(levels):
            lower, upper = bands[level]
            axes.fill_between(
                times,
                lower[pick, :, k],
                upper[pick, :, k],
                color=STYLES["model"]["color"],
                alpha=0.15 + 0.15 * shade,
                linewidth=0,
                label=f"{level}% interval" if j == 0 else None,
            )
        model_label = "model" if j == 0 else None
        axes.plot(
            times, scored.forecasts["model"][pick, :, k], label=model_label, **STYLES["model"]
        )
        axes.axvline(index[origin], label="forecast origin" if j == 0 else None, **BOUNDARY_STYLE)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8)
    time_axis(axes)
    return figure


def coverage_figure(intervals: dict[str, Any], labels: dict[str, str]) -> Figure:
    """Coverage of each horizon step, per level and forecast, with the nominal lines."""
    figure, axes = new_figure(
        "Coverage of the prediction intervals by forecast step", "steps ahead", "coverage"
    )
    for level, by_forecast in intervals.items():
        nominal = int(level) / 100
        axes.axhline(nominal, color="0.4", linewidth=0.9, linestyle="-.")
        for name, scores in by_forecast.items():
            steps = range(1, len(scores["coverage_per_step"]) + 1)
            style = {**STYLES.get(name, {"color": "C7"}), "marker": "o", "markersize": 3}
            label = f"{labels.get(name, name)}, {level}%"
            axes.plot(steps, scores["coverage_per_step"], label=label, **style)
    axes.set_ylim(0, 1.02)
    axes.legend(fontsize=7, ncol=2)
    return figure
