"""The naive forecasts every model is measured against, on the same windows as the model."""

from __future__ import annotations

import numpy as np

BASELINES = ("naive", "seasonal_naive")


def naive_forecast(targets: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value (row ``t - 1``) repeated over the horizon."""
    last = targets[origins - 1].astype(np.float64, copy=False)  # long data hold float32
    return np.repeat(last[:, None, :], horizon, axis=1)


def seasonal_naive_forecast(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    """Step ``h`` (0-based) takes ``y[t + h - season * (h // season + 1)]``: the value one
    season before, from the last observed season for steps beyond the first season."""
    steps = np.arange(horizon)
    rows = origins[:, None] + steps[None, :] - season * (steps // season + 1)[None, :]
    if rows.min() < 0:
        raise ValueError(
            f"seasonal naive needs {season} rows before the first window; origin {origins.min()}"
        )
    return targets[rows].astype(np.float64, copy=False)  # long data hold float32


def baseline_forecasts(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Both baselines for the windows starting at ``origins``, read from ``targets``
    ([rows, targets], the whole series on the original scale)."""
    return {
        "naive": naive_forecast(targets, origins, horizon),
        "seasonal_naive": seasonal_naive_forecast(targets, origins, horizon, season),
    }
