"""Forecast metrics as pure functions of arrays, and the model's skill against a baseline.

Arrays are ``[windows, horizon, targets]`` on the original scale. A metric's overall value
is the mean over windows x steps x targets; ``per_step`` averages over windows and targets
for each horizon step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

METRICS = ("mae", "rmse", "mape", "smape", "mase")


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y_true - y_pred))))


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error, in percent, over the non-zero actuals only
    (a zero actual has no percentage error); NaN when every actual is zero."""
    nonzero = y_true != 0
    if not nonzero.any():
        return math.nan
    return float(100 * np.mean(np.abs((y_true - y_pred)[nonzero] / y_true[nonzero])))


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); points where actual and forecast are both zero
    count as perfect."""
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(y_true - y_pred),
        denominator,
        out=np.zeros_like(denominator, dtype=float),
        where=denominator != 0,
    )
    return float(100 * np.mean(ratio))


def mase(y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray) -> float:
    """Mean absolute scaled error: each target's MAE over its ``scale`` (the in-sample
    seasonal-naive MAE on the training rows), averaged over targets.

    ``scale`` is ``[targets]``, or ``[windows, 1, targets]`` when windows come from folds
    fit on different training rows (each error is scaled by its own fold's scale).
    """
    per_target = np.mean(np.abs(y_true - y_pred) / np.asarray(scale), axis=(0, 1))
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
    y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray, target_names: list[str]
) -> dict[str, Any]:
    """Every metric overall, per horizon step and per target (each target again per step).

    ``mape_skipped_zeros`` counts the zero actuals MAPE left out.
    """
    scale = np.asarray(scale)
    result: dict[str, Any] = _all_metrics(y_true, y_pred, scale)
    result["mape_skipped_zeros"] = int(np.count_nonzero(y_true == 0))
    steps = [_all_metrics(y_true[:, [h]], y_pred[:, [h]], scale) for h in range(y_true.shape[1])]
    result["per_step"] = {name: [step[name] for step in steps] for name in METRICS}
    if target_names:  # a target's own entry has no per-target split below it
        result["per_target"] = {
            target: score(y_true[..., [k]], y_pred[..., [k]], scale[..., [k]], [])
            for k, target in enumerate(target_names)
        }
    return result


def _all_metrics(y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    return {
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
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


def scaled_errors(y_true: np.ndarray, y_pred: np.ndarray, spread: np.ndarray) -> dict[str, float]:
    """MSE and MAE on the scaler's scale, ``(x - center) / spread`` per target (the center
    cancels in the error): what long-horizon benchmarks report (z-scores from training
    rows), where every column weighs the same whatever its units."""
    error = (np.asarray(y_true) - np.asarray(y_pred)) / np.asarray(spread)
    return {"mse": float(np.mean(np.square(error))), "mae": float(np.mean(np.abs(error)))}
