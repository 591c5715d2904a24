"""Every figure carries a title and both axis labels, and a forecast looks the same in
every figure (the one style table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from forecaster.evaluation import metrics
from forecaster.evaluation.scoring import PeriodForecasts, score_forecasts
from forecaster.model.baselines import baseline_forecasts
from forecaster.reports.plots import (
    FORECASTS,
    STYLES,
    _error_bins,
    _percentiles,
    _resolution,
    error_by_step_figure,
    errors_figure,
    figure_png,
    forecast_labels,
    last_windows_figure,
    loss_figure,
    one_step_figure,
    periods_figure,
)

HORIZON, SEASON = 4, 6


def _scored() -> tuple[pd.DatetimeIndex, np.ndarray, PeriodForecasts]:
    index = pd.date_range("2024-01-01", periods=80, freq="h")
    targets = np.sin(np.arange(80) / 3.0)[:, None]
    origins = np.arange(60, 77)
    actual = np.stack([targets[t : t + HORIZON] for t in origins])
    forecasts = {"model": actual + 0.1, **baseline_forecasts(targets, origins, HORIZON, SEASON)}
    metrics = score_forecasts(actual, forecasts, np.array([1.0]), ["y"])
    return index, targets, PeriodForecasts(origins, actual, forecasts, metrics)


def _lines_by_label(figure) -> dict[str, str]:
    axes = figure.axes[0]
    return {line.get_label(): to_hex(line.get_color()) for line in axes.get_lines()}


def test_every_figure_is_titled_and_labelled() -> None:
    index, targets, scored = _scored()
    labels = forecast_labels(SEASON)
    history = pd.DataFrame(
        {"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.7]}
    )
    spans = {"train": (0, 40), "val": (40, 60), "test": (60, 80)}
    figures = [
        last_windows_figure(index, targets, scored, 0, "y", 12, labels),
        one_step_figure(index, targets, scored, 0, "y", labels, 720, []),
        error_by_step_figure(scored.metrics, "y", False, "h", labels),
        errors_figure(scored, 0, "y", labels),
        loss_figure(history, "mse"),
        periods_figure(index, targets, ["y"], spans),
    ]
    for figure in figures:
        axes = figure.axes[0]
        assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
        assert figure_png(figure)[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_and_baselines_keep_their_colours_across_figures() -> None:
    index, targets, scored = _scored()
    labels = forecast_labels(SEASON)
    # the network alone is drawn only beside a combination (evaluation.combine)
    expected = {labels[name]: to_hex(STYLES[name]["color"]) for name in STYLES if name != "network"}
    for figure in (
        last_windows_figure(index, targets, scored, 0, "y", 12, labels),
        error_by_step_figure(scored.metrics, "y", False, "h", labels),
    ):
        drawn = _lines_by_label(figure)
        for label, color in expected.items():
            assert drawn[label] == color, label


def test_the_periods_figure_names_each_period_in_words() -> None:
    index, targets, _ = _scored()
    figure = periods_figure(index, targets, ["y"], {"train": (0, 40), "val": (40, 60)})
    texts = [text.get_text().strip() for text in figure.axes[0].texts]
    assert texts == ["training", "validation"]


def test_percentiles_kept_by_their_tails_are_numpys() -> None:
    rng = np.random.default_rng(0)
    for size in (3, 10, 999, 5000):
        values = np.round(rng.normal(size=size), 1)  # ties, as recorded values have
        parts = np.array_split(values, 7)
        for percents in ((0.5, 99.5), (0.0, 100.0), (10.0, 60.0)):
            expected = tuple(float(x) for x in np.percentile(values, percents))
            assert _percentiles(lambda p=parts: iter(p), size, percents, held=0) == expected
    with_nan = [np.array([1.0, np.nan]), np.arange(10.0)]
    assert all(np.isnan(_percentiles(lambda: iter(with_nan), 12, (0.5, 99.5), held=0)))


def test_error_bars_are_those_of_every_error_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, scored = _scored()
    monkeypatch.setattr(metrics, "BLOCK_VALUES", 4 * HORIZON)  # 4 windows' errors at a time
    figure = errors_figure(scored, 0, "y", forecast_labels(SEASON))
    errors = {
        key: (scored.actual - np.asarray(scored.forecasts[key]))[..., 0].ravel()
        for key in FORECASTS
    }
    low, high = np.percentile(np.concatenate(list(errors.values())), [0.5, 99.5])
    bins = _error_bins(low, high, _resolution(np.asarray(scored.actual)[..., 0]))
    bars = [patch.get_height() for patch in figure.axes[0].containers[0].patches]
    assert bars == np.histogram(errors["model"], bins)[0].tolist()
