"""Forecast metrics (pure functions) and the naive baselines every model is measured against.

Arrays are ``[windows, horizon, targets]`` on the original scale. A metric's overall value
is the mean over windows x steps x targets; ``per_step`` averages over windows and targets
for each horizon step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

METRICS = ("mae", "rmse", "mape", "smape", "mase")
BASELINES = ("naive", "seasonal_naive")


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
    seasonal-naive MAE on the training rows), averaged over targets."""
    per_target = np.mean(np.abs(y_true - y_pred), axis=(0, 1)) / np.asarray(scale)
    return float(np.mean(per_target))


def mase_scale(train_targets: np.ndarray, season: int) -> np.ndarray:
    """In-sample seasonal-naive MAE per target column of ``train_targets`` ([rows, targets]).

    Falls back to a season of 1 when the training rows are shorter than two seasons;
    a target that never changes gets NaN (its MASE is undefined).
    """
    lag = season if len(train_targets) > 2 * season else 1
    scale = np.mean(np.abs(train_targets[lag:] - train_targets[:-lag]), axis=0)
    return np.where(scale > 0, scale, np.nan)


def naive_forecast(targets: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value (row ``t - 1``) repeated over the horizon."""
    last = targets[origins - 1]
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
    return targets[rows]


def score(
    y_true: np.ndarray, y_pred: np.ndarray, scale: np.ndarray, target_names: list[str]
) -> dict[str, Any]:
    """Every metric overall, per horizon step and per target."""
    result: dict[str, Any] = _all_metrics(y_true, y_pred, scale)
    result["mape_skipped_zeros"] = int(np.count_nonzero(y_true == 0))
    result["per_step"] = {
        name: [
            _all_metrics(y_true[:, [h]], y_pred[:, [h]], scale)[name]
            for h in range(y_true.shape[1])
        ]
        for name in METRICS
    }
    result["per_target"] = {
        target: _all_metrics(y_true[..., [k]], y_pred[..., [k]], scale[[k]])
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


def skill(model_scores: dict[str, Any], baseline_scores: dict[str, Any]) -> dict[str, float]:
    """``1 - model / baseline`` per metric: positive means the model is better, 0.25 means
    a quarter less error than the baseline."""
    return {
        name: 1 - model_scores[name] / baseline_scores[name]
        if baseline_scores[name] not in (0, None) and not math.isnan(baseline_scores[name])
        else math.nan
        for name in METRICS
    }


def scaled_errors(y_true: np.ndarray, y_pred: np.ndarray, spread: np.ndarray) -> dict[str, float]:
    """MSE and MAE on the scaler's scale, ``(x - center) / spread`` per target (the center
    cancels in the error): what long-horizon benchmarks report (z-scores from training
    rows), where every column weighs the same whatever its units."""
    error = (np.asarray(y_true) - np.asarray(y_pred)) / np.asarray(spread)
    return {"mse": float(np.mean(np.square(error))), "mae": float(np.mean(np.abs(error)))}


def evaluate_forecasts(
    y_true: np.ndarray,
    y_model: np.ndarray,
    targets: np.ndarray,
    origins: np.ndarray,
    season: int,
    scale: np.ndarray,
    target_names: list[str],
    scaler_spread: np.ndarray | None = None,
) -> dict[str, Any]:
    """Model and both baselines scored on the same windows, with the model's skill.

    ``targets`` is the whole target series ([rows, targets], original scale) the
    baselines read their history from; ``origins`` are the windows' first forecast rows.
    With ``scaler_spread`` (the targets' scaler ``scale``) the result also has
    ``scaled``: MSE/MAE of each forecast on the scaler's scale.
    """
    horizon = y_true.shape[1]
    forecasts = {
        "model": y_model,
        "naive": naive_forecast(targets, origins, horizon),
        "seasonal_naive": seasonal_naive_forecast(targets, origins, horizon, season),
    }
    result = {name: score(y_true, pred, scale, target_names) for name, pred in forecasts.items()}
    result["skill"] = {name: skill(result["model"], result[name]) for name in BASELINES}
    if scaler_spread is not None:
        result["scaled"] = {
            name: scaled_errors(y_true, pred, scaler_spread) for name, pred in forecasts.items()
        }
    result["windows"] = len(origins)
    result["season"] = season
    return result


def to_json_ready(value: Any) -> Any:
    """NaN and infinity become ``null``: JSON has no spelling for them."""
    if isinstance(value, dict):
        return {key: to_json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
