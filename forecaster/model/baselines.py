"""The naive forecasts every model is measured against, on the same windows as the model."""

from __future__ import annotations

import numpy as np

from forecaster.model.windows import WindowValues

BASELINES = ("naive", "seasonal_naive")


def naive_forecast(targets: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value (row ``t - 1``) repeated over the horizon."""
    return np.asarray(baseline_windows("naive", targets, origins, horizon, season=1))


def seasonal_naive_forecast(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    """Step ``h`` (0-based) takes ``y[t + h - season * (h // season + 1)]``: the value one
    season before, from the last observed season for steps beyond the first season."""
    return np.asarray(baseline_windows("seasonal_naive", targets, origins, horizon, season))


def seasonal_offsets(horizon: int, season: int) -> np.ndarray:
    """``[horizon]``: the row seasonal naive reads for each step, from the window's origin."""
    steps = np.arange(horizon)
    return steps - season * (steps // season + 1)


def baseline_windows(
    name: str, targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> WindowValues:
    """Baseline ``name`` for the windows starting at ``origins``, read from ``targets``
    ([rows, targets], the whole series on the original scale) as float64 when asked for
    (``WindowValues``): naive reads row ``t - 1`` at every step, seasonal naive the rows
    ``seasonal_offsets`` gives."""
    origins = np.asarray(origins, dtype=np.int64)
    if name == "naive":
        return WindowValues(targets, origins, np.full(horizon, -1))
    offsets = seasonal_offsets(horizon, season)
    if len(origins) and origins.min() + offsets.min() < 0:
        raise ValueError(
            f"seasonal naive needs {season} rows before the first window; origin {origins.min()}"
        )
    return WindowValues(targets, origins, offsets)


def baseline_forecasts(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> dict[str, WindowValues]:
    """Both baselines for the windows starting at ``origins`` (``baseline_windows``)."""
    return {name: baseline_windows(name, targets, origins, horizon, season) for name in BASELINES}
