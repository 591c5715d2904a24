"""Forecast metrics as pure functions of arrays, and the model's skill against a baseline.

Arrays are ``[windows, horizon, targets]`` on the original scale. A metric's overall value
is the mean over windows x steps x targets; ``per_step`` averages over windows and targets
for each horizon step.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from forecaster.model.windows import Windows

METRICS = ("mae", "rmse", "mape", "smape", "mase")

# Values at a time. Every metric is a mean of per-point values (|error|, error^2, ...):
# they are computed a block of windows at a time into one float64 array, and the mean is
# then taken of that whole array, as before, so the scores are the same to the last digit.
# A period's arrays may compute their values when read (``LazyWindows``): at most one array
# of every point is held at a time (24 values a window of hourly data), not the actual
# values, the forecast and a temporary per operation beside each other.
BLOCK_VALUES = 1 << 17  # 1 MiB of float64


def window_blocks(count: int, values_per_window: int = 1) -> list[slice]:
    """``count`` windows in blocks of about ``BLOCK_VALUES`` values."""
    size = max(1, BLOCK_VALUES // max(1, values_per_window))
    return [slice(first, first + size) for first in range(0, count, size)]


def _points(
    values_of: Callable[..., np.ndarray], *arrays: Any, dtype: Any = np.float64
) -> np.ndarray:
    """``values_of(*arrays)``, an elementwise function, for every point, computed a block
    of windows at a time into one array; an array with one entry a window (a MASE scale
    ``[windows, 1, targets]``) is cut alike, any other broadcast whole."""
    shape = np.broadcast_shapes(*(np.shape(array) for array in arrays))
    if not shape:
        return np.asarray(values_of(*(np.asarray(array) for array in arrays)), dtype=dtype)
    points = np.empty(shape, dtype=dtype)
    by_window = [
        np.ndim(array) == len(shape) and np.shape(array)[0] == shape[0] for array in arrays
    ]
    for block in window_blocks(shape[0], math.prod(shape[1:])):
        points[block] = values_of(
            *(array[block] if cut else array for array, cut in zip(arrays, by_window, strict=True))
        )
    return points


def _absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    error = np.subtract(y_true, y_pred, dtype=np.float64)
    return np.abs(error, out=error)


def _squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    error = np.subtract(y_true, y_pred, dtype=np.float64)
    return np.square(error, out=error)


def _symmetric_ratio(y_true: Any, y_pred: Any) -> np.ndarray:
    """``2 |y - f| / (|y| + |f|)``, 0 where both are 0."""
    denominator = np.abs(np.asarray(y_true, dtype=np.float64))
    denominator = denominator + np.abs(y_pred)
    ratio = _absolute_error(y_true, y_pred)
    ratio *= 2  # 0 wherever the denominator is: the 0 the ratio takes there
    return np.divide(ratio, denominator, out=ratio, where=denominator != 0)


def _scaled_absolute_error(y_true: Any, y_pred: Any, scale: Any) -> np.ndarray:
    return _absolute_error(y_true, y_pred) / scale


def mae(y_true: Windows, y_pred: Windows) -> float:
    return float(np.mean(_points(_absolute_error, y_true, y_pred)))


def rmse(y_true: Windows, y_pred: Windows) -> float:
    return float(np.sqrt(np.mean(_points(_squared_error, y_true, y_pred))))


def mape(y_true: Windows, y_pred: Windows, nonzero: np.ndarray | None = None) -> float:
    """Mean absolute percentage error, in percent, over the non-zero actuals only
    (a zero actual has no percentage error); NaN when every actual is zero. ``nonzero``:
    ``y_true != 0`` when known."""
    if nonzero is None:
        nonzero = _points(np.not_equal, y_true, 0, dtype=bool)
    count = int(np.count_nonzero(nonzero))
    if not count:
        return math.nan
    # |error / actual| of the non-zero actuals in order, as ``[nonzero]`` lists them
    ratios = np.empty(count)
    done = 0
    for block in window_blocks(len(nonzero), math.prod(nonzero.shape[1:])):
        keep = nonzero[block]
        actual = np.asarray(y_true[block], dtype=np.float64)
        error = np.subtract(actual, y_pred[block] if np.ndim(y_pred) == actual.ndim else y_pred)
        ratio = np.abs(error[keep] / actual[keep])
        ratios[done : done + len(ratio)] = ratio
        done += len(ratio)
    return float(100 * np.mean(ratios))


def smape(y_true: Windows, y_pred: Windows) -> float:
    """Symmetric MAPE in percent (0-200); points where actual and forecast are both zero
    count as perfect."""
    return float(100 * np.mean(_points(_symmetric_ratio, y_true, y_pred)))


def mase(y_true: Windows, y_pred: Windows, scale: np.ndarray) -> float:
    """Mean absolute scaled error: each target's MAE over its ``scale`` (the in-sample
    seasonal-naive MAE on the training rows), averaged over targets.

    ``scale`` is ``[targets]``, or ``[windows, 1, targets]`` when windows come from folds
    fit on different training rows (each error is scaled by its own fold's scale).
    """
    scaled = _points(_scaled_absolute_error, y_true, y_pred, np.asarray(scale))
    per_target = np.mean(scaled, axis=(0, 1))
    return float(np.mean(per_target))


def mase_scale(train_targets: np.ndarray, season: int) -> np.ndarray:
    """In-sample seasonal-naive MAE per target column of ``train_targets`` ([rows, targets]).

    Falls back to a season of 1 when the training rows are shorter than two seasons;
    a target that never changes gets NaN (its MASE is undefined).
    """
    lag = season if len(train_targets) > 2 * season else 1
    scale = np.mean(np.abs(train_targets[lag:] - train_targets[:-lag]), axis=0)
    return np.where(scale > 0, scale, np.nan)


def score(
    y_true: Windows, y_pred: Windows, scale: np.ndarray, target_names: list[str]
) -> dict[str, Any]:
    """Every metric overall, per horizon step and per target (each target again per step).

    ``mape_skipped_zeros`` counts the zero actuals MAPE left out.
    """
    scale = np.asarray(scale)
    nonzero = _points(np.not_equal, y_true, 0, dtype=bool)
    result: dict[str, Any] = _all_metrics(y_true, y_pred, scale, nonzero)
    result["mape_skipped_zeros"] = int(nonzero.size - np.count_nonzero(nonzero))
    steps = [
        _all_metrics(y_true[:, [h]], y_pred[:, [h]], scale, nonzero[:, [h]])
        for h in range(y_true.shape[1])
    ]
    del nonzero
    result["per_step"] = {name: [step[name] for step in steps] for name in METRICS}
    if len(target_names) == 1 and y_true.shape[-1] == 1:
        # one target's own scores are those above: the same values, scored the same way
        result["per_target"] = {target_names[0]: copy.deepcopy(result)}
    elif target_names:  # a target's own entry has no per-target split below it
        result["per_target"] = {
            name: score(y_true[..., [k]], y_pred[..., [k]], scale[..., [k]], [])
            for k, name in enumerate(target_names)
        }
    return result


def _all_metrics(
    y_true: Windows, y_pred: Windows, scale: np.ndarray, nonzero: np.ndarray
) -> dict[str, float]:
    return {
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred, nonzero),
        "smape": smape(y_true, y_pred),
        "mase": mase(y_true, y_pred, scale),
    }


def skill(error: float | None, baseline_error: float | None) -> float:
    """``1 - error / error of the baseline``: positive means less error than the baseline,
    0.25 a quarter less; NaN when either is missing or the baseline's is 0 or not finite."""
    if error is None or baseline_error is None:
        return math.nan
    if baseline_error == 0 or not math.isfinite(baseline_error):
        return math.nan
    return 1 - error / baseline_error


def skills(model_scores: dict[str, Any], baseline_scores: dict[str, Any]) -> dict[str, float]:
    """``skill`` for every metric."""
    return {name: skill(model_scores[name], baseline_scores[name]) for name in METRICS}


def scaled_errors(y_true: Windows, y_pred: Windows, spread: np.ndarray) -> dict[str, float]:
    """MSE and MAE on the scaler's scale, ``(x - center) / spread`` per target (the center
    cancels in the error): what long-horizon benchmarks report (z-scores from training
    rows), where every column weighs the same whatever its units."""
    spread = np.asarray(spread)
    squared = _points(lambda y, f, s: np.square(np.subtract(y, f) / s), y_true, y_pred, spread)
    mse = float(np.mean(squared))
    del squared
    absolute = _points(lambda y, f, s: np.abs(np.subtract(y, f) / s), y_true, y_pred, spread)
    return {"mse": mse, "mae": float(np.mean(absolute))}
