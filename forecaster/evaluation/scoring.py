"""A model and the baselines scored on every window of a period, on the same windows.

Compute only: nothing here writes a file or prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.baselines import baseline_forecasts
from forecaster.errors import InputError
from forecaster.evaluation.intervals import (
    Bounds,
)
from forecaster.evaluation.metrics import mase_scale, scaled_errors, score, skills
from forecaster.evaluation.statistical import statistical_forecast
from forecaster.panel import Panel, RowTimeLookup
from forecaster.predict import predict_windows, with_fallback
from forecaster.preprocessing import Preprocessing
from forecaster.spec import Spec
from forecaster.windows import Period, Periods, period_origins, target_windows

if TYPE_CHECKING:
    import keras


def score_forecasts(
    y_true: np.ndarray,
    forecasts: dict[str, np.ndarray],
    scale: np.ndarray,
    target_names: list[str],
) -> dict[str, Any]:
    """Each forecast (``model`` and the baselines) scored, and the model's skill against
    each baseline."""
    result = {name: score(y_true, pred, scale, target_names) for name, pred in forecasts.items()}
    result["skill"] = {name: skills(result["model"], result[name]) for name in forecasts}
    del result["skill"]["model"]
    return result


@dataclass(frozen=True)
class PeriodForecasts:
    """Every window of one period on the original scale, ``[windows, horizon, targets]``."""

    origins: np.ndarray  # row of each window's first forecast step
    actual: np.ndarray
    forecasts: dict[str, np.ndarray]  # "model", "naive", "seasonal_naive" (and statistical)
    metrics: dict[str, Any]  # what metrics.json holds for the period
    series: np.ndarray | None = None  # long data: the series of each window
    per_series: pd.DataFrame | None = None  # long data: one row of scores per series
    window_scale: np.ndarray | None = None  # MASE scale of each window, [windows, 1, targets]
    target_scale: np.ndarray | None = None  # scaler scale of each window, [windows, 1, targets]
    intervals: dict[str, Bounds] | None = None  # forecast -> level -> (lower, upper)
    quantiles: np.ndarray | None = None  # a quantile head's output, [windows, H, T, Q]


def score_periods(
    model: keras.Model,
    preprocessing: Preprocessing,
    frame: pd.DataFrame,
    periods: Periods,
    names: tuple[Period, ...] = ("val", "test"),
    source: str = "data",
    statistical: Sequence[str] = (),
) -> dict[str, PeriodForecasts]:
    """The model and both baselines (and the ``statistical`` ones) on every window of
    each named period.

    MASE is scaled by the seasonal-naive MAE on the training rows ``[0, train_end)``.
    """
    prep = preprocessing
    num_targets = len(prep.targets)
    values = frame.to_numpy(dtype=np.float64)[: periods.end]
    targets = values[:, :num_targets]
    scale = mase_scale(targets[: periods.train_end], prep.season)
    scaled = prep.model_rows(Panel.single(frame.iloc[: periods.end]), source)
    scaler = prep.wide_scaler
    result: dict[str, PeriodForecasts] = {}
    for period in names:
        origins = period_origins(periods, period, prep.lookback, prep.horizon, source)
        if origins.min() < prep.season:
            raise InputError(
                f"{source}: the {period} period starts {origins.min()} rows into the data; the "
                f"seasonal-naive baseline needs {prep.season}; fix: use more training rows"
            )
        output = predict_windows(model, scaled, origins, prep).astype(np.float64)
        target_spread = scaler.scale[:num_targets]
        unscaled = unscale(output, target_spread, scaler.center[:num_targets])
        point, head = prep.split_output(unscaled)
        point = with_fallback(prep, point, targets, origins)  # what the bundle forecasts
        forecasts = {
            "model": point,
            **baseline_forecasts(targets, origins, prep.horizon, prep.season),
        }
        for method in statistical:
            forecasts[method] = statistical_forecast(
                method, targets, periods.train_end, origins, prep.horizon, prep.season
            )
        actual = np.array(target_windows(targets, origins, prep.horizon))
        metrics = score_forecasts(actual, forecasts, scale, prep.targets)
        metrics["scaled"] = {
            name: scaled_errors(actual, forecast, target_spread)
            for name, forecast in forecasts.items()
        }
        metrics |= {"windows": len(origins), "season": prep.season, "mase_scale": scale.tolist()}
        metrics |= actual_future_covariates(prep)
        window_scale = np.broadcast_to(scale[None, None, :], (len(origins), 1, num_targets))
        target_scale = np.broadcast_to(target_spread[None, None, :], window_scale.shape)
        result[period] = PeriodForecasts(
            origins,
            actual,
            forecasts,
            metrics,
            window_scale=window_scale,
            target_scale=target_scale,
            quantiles=head,
        )
    return result


@dataclass(frozen=True)
class ModelEvaluation:
    """A model scored on a series: what ``metrics.json`` and the report are made from."""

    spec: Spec
    preprocessing: Preprocessing
    frame: pd.DataFrame | None  # one series as read (time index, targets first); long: None
    periods: Periods
    scored: dict[str, PeriodForecasts]  # by period name
    history: pd.DataFrame | None  # per epoch, as in history.csv
    manifest: dict[str, Any]
    data_source: str
    panel: Panel | None = None  # long data: the series scored
    left_out: dict[str, str] | None = None  # long data: series too short to score, and why

    @property
    def is_long(self) -> bool:
        return self.panel is not None and self.panel.is_long

    @property
    def metrics(self) -> dict[str, Any]:
        return {period: forecasts.metrics for period, forecasts in self.scored.items()}

    @property
    def row_times(self) -> pd.Index | RowTimeLookup:
        """Every row's time, by row number (long data: looked up per series on demand)."""
        if self.is_long:
            assert self.panel is not None
            return self.panel.row_times()
        assert self.frame is not None
        return self.frame.index

    @property
    def target_values(self) -> np.ndarray:
        """``[rows, targets]`` as held, for plots."""
        num_targets = len(self.preprocessing.targets)
        if self.is_long:
            assert self.panel is not None
            return self.panel.values[:, :num_targets]
        assert self.frame is not None
        return self.frame.to_numpy()[:, :num_targets]


def actual_future_covariates(prep: Preprocessing) -> dict[str, list[str]]:
    """Scores of a model with future covariates took their actual values over each
    horizon: said beside the scores, since the real inputs will be forecasts."""
    return {"actual_future_covariates": prep.future_covariates} if prep.future_covariates else {}


def unscale(output: np.ndarray, scale: np.ndarray, center: np.ndarray) -> np.ndarray:
    """A model's scaled output back to the targets' units; a quantile head's
    ``[..., T, Q]`` output alike for every quantile."""
    if output.ndim == 4:  # [W, H, T, Q]: the same scale for every quantile
        return output * np.asarray(scale)[..., None] + np.asarray(center)[..., None]
    return output * scale + center
