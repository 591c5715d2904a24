"""The naive forecasts every model is measured against, on the same windows as the model."""

from __future__ import annotations

import numpy as np

from forecaster.model.windows import WindowValues

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
    rows = origins[:, None] + seasonal_offsets(horizon, season)[None, :]
    _check_season(rows.min(), origins, season)
    return targets[rows].astype(np.float64, copy=False)  # long data hold float32


def seasonal_offsets(horizon: int, season: int) -> np.ndarray:
    """``[horizon]``: the row seasonal naive reads for each step, from the window's origin."""
    steps = np.arange(horizon)
    return steps - season * (steps // season + 1)


def _check_season(first_row: int, origins: np.ndarray, season: int) -> None:
    if first_row < 0:
        raise ValueError(
            f"seasonal naive needs {season} rows before the first window; origin {origins.min()}"
        )


def baseline_forecasts(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> dict[str, WindowValues]:
    """Both baselines for the windows starting at ``origins``, read from ``targets``
    ([rows, targets], the whole series on the original scale) when asked for: the same
    float64 values as ``naive_forecast`` and ``seasonal_naive_forecast``, without holding
    either for every window (``WindowValues``)."""
    origins = np.asarray(origins, dtype=np.int64)
    offsets = seasonal_offsets(horizon, season)
    if len(origins):
        _check_season(int(origins.min() + offsets.min()), origins, season)
    return {
        "naive": WindowValues(targets, origins, np.full(horizon, -1)),
        "seasonal_naive": WindowValues(targets, origins, offsets),
    }
