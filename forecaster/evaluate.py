"""Forecast metrics (pure functions), the naive baselines every model is measured against,
and scoring a model on every window of a period.

Arrays are ``[windows, horizon, targets]`` on the original scale. A metric's overall value
is the mean over windows x steps x targets; ``per_step`` averages over windows and targets
for each horizon step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.data import infer_frequency, read_csv, time_options
from forecaster.errors import InputError
from forecaster.predict import Preprocessing, predict_windows
from forecaster.spec import Spec
from forecaster.windows import (
    Periods,
    period_origins,
    split_boundaries,
    split_periods,
    target_windows,
    window_origins,
)

if TYPE_CHECKING:
    import keras

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


def skill(model_scores: dict[str, Any], baseline_scores: dict[str, Any]) -> dict[str, float]:
    """``1 - model / baseline`` per metric: positive means the model is better, 0.25 means
    a quarter less error than the baseline."""
    return {
        name: 1 - model_scores[name] / baseline_scores[name]
        if baseline_scores[name] not in (0, None) and not math.isnan(baseline_scores[name])
        else math.nan
        for name in METRICS
    }


def baseline_forecasts(
    targets: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Both baselines for the windows starting at ``origins``, read from ``targets``
    ([rows, targets], the whole series on the original scale)."""
    return {
        "naive": naive_forecast(targets, origins, horizon),
        "seasonal_naive": seasonal_naive_forecast(targets, origins, horizon, season),
    }


def compare_forecasts(
    y_true: np.ndarray,
    forecasts: dict[str, np.ndarray],
    scale: np.ndarray,
    target_names: list[str],
) -> dict[str, Any]:
    """Each forecast (``model`` and the baselines) scored, and the model's skill against
    each baseline."""
    result = {name: score(y_true, pred, scale, target_names) for name, pred in forecasts.items()}
    result["skill"] = {name: skill(result["model"], result[name]) for name in BASELINES}
    return result


def scaled_errors(y_true: np.ndarray, y_pred: np.ndarray, spread: np.ndarray) -> dict[str, float]:
    """MSE and MAE on the scaler's scale, ``(x - center) / spread`` per target (the center
    cancels in the error): what long-horizon benchmarks report (z-scores from training
    rows), where every column weighs the same whatever its units."""
    error = (np.asarray(y_true) - np.asarray(y_pred)) / np.asarray(spread)
    return {"mse": float(np.mean(np.square(error))), "mae": float(np.mean(np.abs(error)))}


@dataclass(frozen=True)
class PeriodForecasts:
    """Every window of one period on the original scale, ``[windows, horizon, targets]``."""

    origins: np.ndarray  # row of each window's first forecast step
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]  # "model", "naive", "seasonal_naive"
    metrics: dict[str, Any]  # what metrics.json holds for the period


def forecast_periods(
    model: keras.Model,
    preprocessing: Preprocessing,
    frame: pd.DataFrame,
    periods: Periods,
    names: tuple[str, ...] = ("val", "test"),
    source: str = "data",
) -> dict[str, PeriodForecasts]:
    """The model and both baselines on every window of each named period.

    MASE is scaled by the seasonal-naive MAE on the training rows ``[0, train_end)``.
    """
    prep = preprocessing
    num_targets = len(prep.targets)
    values = frame.to_numpy(dtype=np.float64)[: periods.end]
    targets = values[:, :num_targets]
    scale = mase_scale(targets[: periods.train_end], prep.season)
    scaled = prep.scaler.transform(values).astype(np.float32)
    result = {}
    for period in names:
        origins = period_origins(periods, period, prep.lookback, prep.horizon, source)
        if origins.min() < prep.season:
            raise InputError(
                f"{source}: the {period} period starts {origins.min()} rows into the data; the "
                f"seasonal-naive baseline needs {prep.season}; fix: use more training rows"
            )
        predicted = predict_windows(model, scaled, origins, prep)
        forecasts = {
            "model": prep.scaler.inverse(predicted.astype(np.float64), slice(0, num_targets)),
            **baseline_forecasts(targets, origins, prep.horizon, prep.season),
        }
        actual = np.array(target_windows(targets, origins, prep.horizon))
        metrics = compare_forecasts(actual, forecasts, scale, prep.targets)
        target_spread = prep.scaler.scale[:num_targets]
        metrics["scaled"] = {
            name: scaled_errors(actual, forecast, target_spread)
            for name, forecast in forecasts.items()
        }
        metrics |= {"windows": len(origins), "season": prep.season, "mase_scale": scale.tolist()}
        result[period] = PeriodForecasts(origins, actual, forecasts, metrics)
    return result


@dataclass(frozen=True)
class ModelEvaluation:
    """A model scored on a series: what ``metrics.json`` and the report are made from."""

    spec: Spec
    preprocessing: Preprocessing
    frame: pd.DataFrame  # the series as read: time index, target columns first
    periods: Periods
    scored: dict[str, PeriodForecasts]  # by period name
    history: pd.DataFrame | None  # per epoch, as in history.csv
    manifest: dict[str, Any]
    data_source: str

    @property
    def metrics(self) -> dict[str, Any]:
        return {period: forecasts.metrics for period, forecasts in self.scored.items()}


def evaluate_bundle(bundle: Path, data: Path | None, out_dir: Path) -> Path:
    """``forecast evaluate``: score a bundle on a CSV cut by the bundle's own split, and
    write ``metrics.json``, ``report.html`` and ``plots/`` into ``out_dir``.

    The validation period is scored too when the CSV has one; else it is ``null``.
    """
    from forecaster.bundle import HISTORY_FILE, METRICS_FILE, is_bundle, load_bundle, write_json
    from forecaster.evaluation_report import write_evaluation_report

    if is_bundle(out_dir):
        raise InputError(
            f"{out_dir}: is a bundle folder; writing the evaluation there would break its "
            "checksums; fix: choose another --out folder"
        )
    forecaster = load_bundle(bundle)
    spec, prep = forecaster.spec, forecaster.preprocessing
    path = data or spec.data.path
    frame = read_csv(
        path,
        time_column=prep.time_column,
        columns=prep.columns,
        missing=prep.missing,
        boundaries=split_boundaries(spec.data.split),
        **time_options(spec.data),
    )
    frequency = spec.data.frequency or infer_frequency(frame.index, str(path))
    if frequency != prep.frequency:
        raise InputError(
            f"{path}: has a step of {frequency!r}, the bundle was trained on {prep.frequency!r} "
            "data; fix: evaluate on data with the training frequency"
        )
    periods = split_periods(frame.index, spec.data.split)
    val_start, val_end = periods.bounds("val")
    has_val = len(window_origins(val_start, val_end, prep.lookback, prep.horizon)) > 0
    names = ("val", "test") if has_val else ("test",)
    scored = forecast_periods(forecaster.model, prep, frame, periods, names, str(path))
    history_file = Path(bundle) / HISTORY_FILE
    evaluation = ModelEvaluation(
        spec=spec,
        preprocessing=prep,
        frame=frame,
        periods=periods,
        scored=scored,
        history=pd.read_csv(history_file) if history_file.is_file() else None,
        manifest=forecaster.manifest,
        data_source=str(path),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / METRICS_FILE, {"val": None, **evaluation.metrics})
    write_evaluation_report(out_dir, evaluation, f"{spec.name} evaluated on {Path(path).name}")
    return out_dir


def score_lines(scores: dict[str, Any], heading: str) -> list[str]:
    """A period's scores as a plain-text table: the model beside both baselines, with its
    MAE skill against each (``1 - MAE / MAE of the baseline``)."""
    lines = [
        f"{heading} ({scores['windows']} windows, seasonal naive with season {scores['season']}):",
        f"  {'forecast':<16}{'MAE':>10}{'RMSE':>10}{'MASE':>8}"
        f"{'skill vs naive':>16}{'vs seasonal':>13}",
    ]
    for name in ("model", *BASELINES):
        row = scores[name]
        skills = [skill_text(row["mae"], scores[base]["mae"]) for base in BASELINES]
        lines.append(
            f"  {name:<16}{row['mae']:>10.4f}{row['rmse']:>10.4f}{_number(row['mase']):>8}"
            f"{skills[0]:>16}{skills[1]:>13}"
        )
    return lines


def skill_text(mae_value: float | None, baseline_mae: float | None) -> str:
    """``1 - MAE / MAE of the baseline`` as a signed percentage; "n/a" when undefined."""
    if mae_value is None or not baseline_mae or not math.isfinite(baseline_mae):
        return "n/a"
    return f"{1 - mae_value / baseline_mae:+.1%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.3f}"


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
