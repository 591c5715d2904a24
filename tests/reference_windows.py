"""The windows a series' rows make, by plain indexing: what the lazily cut batches and
scoring must read, for tests to compare them with."""

from __future__ import annotations

import numpy as np


def input_windows(series: np.ndarray, origins: np.ndarray, lookback: int) -> np.ndarray:
    """``[len(origins), lookback, columns]``: rows ``origin - lookback .. origin - 1``."""
    return series[np.asarray(origins)[:, None] + np.arange(-lookback, 0)]


def target_windows(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``[len(origins), horizon, columns]``: rows ``origin .. origin + horizon - 1``."""
    return series[np.asarray(origins)[:, None] + np.arange(horizon)]
