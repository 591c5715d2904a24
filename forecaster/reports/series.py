"""The section of a report on many series: how the model fares series by series, the
spread of its skill, and the best and worst series drawn. Readable with thousands of
series: a fixed number of rows and figures, whatever the count."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts
from forecaster.reports.html import paragraph, table
from forecaster.reports.plots import STYLES, last_windows_figure, new_figure
from forecaster.reports.sections import Plots
from forecaster.reports.text import baselines_in
from forecaster.storage.files import write_csv

if TYPE_CHECKING:
    pass

PER_SERIES_FILE = "per_series.csv"
SHOWN_SERIES = 5  # best and worst, in the table
DRAWN_SERIES = 2  # best and worst, as forecast plots


def series_section(
    plots: Plots,
    scored: PeriodForecasts,
    targets: np.ndarray,
    index: pd.Index,
    lookback: int,
    labels: dict[str, str],
    left_out: dict[str, str],
) -> str:
    """Share of series where the model wins, skill quantiles, best and worst series."""
    per_series, metrics = scored.per_series, scored.metrics
    assert per_series is not None and scored.series is not None
    baselines = baselines_in(metrics)
    html = paragraph(
        f"{metrics['series']:,} series scored, {metrics['windows']:,} windows in all."
        + (
            f" {len(left_out):,} series left out, too short for a window in every period "
            f"(e.g. {next(iter(left_out))}: {next(iter(left_out.values()))})."
            if left_out
            else ""
        )
    )
    rows = []
    for name in baselines:
        quantiles = metrics["series_skill"][name]
        rows.append(
            [
                labels[name],
                f"{metrics['share_of_series_better'][name]:.0%}",
                *(f"{quantiles[p]:+.1%}" for p in ("p10", "p25", "p50", "p75", "p90")),
            ]
        )
    header = ["against", "series where the model's MAE is lower"]
    header += ["skill p10", "p25", "median", "p75", "p90"]
    html += table(header, rows)
    html += plots.html(
        skill_figure(per_series, baselines, labels), "series_skill", "per-series skill"
    )
    ranked = per_series.sort_values("model_mase", kind="stable")
    columns = ["series", "windows", "model_mae", "model_mase"]
    columns += [f"{name}_mase" for name in baselines]
    for title, picked in (
        ("Best series (lowest model MASE)", ranked.head(SHOWN_SERIES)),
        ("Worst series (highest model MASE)", ranked.tail(SHOWN_SERIES).iloc[::-1]),
    ):
        html += paragraph(title) + table(columns, picked[columns].to_numpy().tolist())
    keys = list(per_series["series"])
    drawn = [*ranked.index[:DRAWN_SERIES], *ranked.index[::-1][:DRAWN_SERIES]]
    for position in dict.fromkeys(drawn):
        html += _series_plot(plots, scored, int(position), keys, targets, index, lookback, labels)
    return html


def _series_plot(
    plots: Plots,
    scored: PeriodForecasts,
    series: int,
    keys: list[str],
    targets: np.ndarray,
    index: pd.Index,
    lookback: int,
    labels: dict[str, str],
) -> str:
    mine = scored.series == series
    only = PeriodForecasts(
        scored.origins[mine],
        scored.actual[mine],
        {name: forecast[mine] for name, forecast in scored.forecasts.items()},
        scored.metrics,
    )
    name = keys[series]
    figure = last_windows_figure(index, targets, only, 0, name, lookback, labels)
    return plots.html(figure, f"series_{series}", f"{name}: last test forecasts")


def skill_figure(per_series: pd.DataFrame, baselines: list[str], labels: dict[str, str]):
    """Histogram of the model's per-series MAE skill against each baseline."""
    figure, axes = new_figure(
        "The model's MAE skill, series by series", "skill (1 - MAE / MAE of baseline)", "series"
    )
    skills = {
        name: (1 - per_series["model_mae"] / per_series[f"{name}_mae"]).clip(-2, 1)
        for name in baselines
    }
    bins = np.linspace(-2, 1, 31)
    for name, values in skills.items():
        style = STYLES.get(name, {"color": "C7"})
        axes.hist(values, bins=bins, histtype="step", color=style["color"], label=labels[name])
    axes.axvline(0, color="0.3", linewidth=0.8)
    axes.legend(fontsize=8)
    return figure


def write_per_series(folder: Path, evaluation: ModelEvaluation) -> None:
    """Data named by id columns: ``per_series.csv``, every series' test scores
    (validation scores too, prefixed ``val_``). A wide CSV's one series has none: its
    scores are ``metrics.json``'s."""
    test = evaluation.scored["test"].per_series
    if not evaluation.panel.id_columns or test is None:
        return
    table = test.copy()
    val = evaluation.scored.get("val")
    if val is not None and val.per_series is not None:
        scores = [c for c in val.per_series.columns if c.endswith(("_mae", "_mase", "_smape"))]
        for column in scores:
            table[f"val_{column}"] = val.per_series[column].to_numpy()
    write_csv(table, folder / PER_SERIES_FILE)
