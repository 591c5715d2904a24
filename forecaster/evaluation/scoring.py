"""A model and the baselines scored on every window of a period, on the same windows.

Compute only: nothing here writes a file or prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.errors import InputError
from forecaster.evaluation.baselines import baseline_forecasts
from forecaster.evaluation.intervals import (
    Bounds,
    Widths,
    conformal_quantile,
    interval_bounds,
    interval_scores,
    pinball,
    rolling_widths,
)
from forecaster.evaluation.metrics import mase_scale, scaled_errors, score, skills
from forecaster.evaluation.statistical import statistical_forecast
from forecaster.panel import Panel
from forecaster.predict import predict_windows
from forecaster.preprocessing import Preprocessing
from forecaster.spec import Spec
from forecaster.windows import Periods, SeriesPeriods, period_origins, target_windows

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
    names: tuple[str, ...] = ("val", "test"),
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
    scaled = prep.scaler.transform(values).astype(np.float32)
    result = {}
    for period in names:
        origins = period_origins(periods, period, prep.lookback, prep.horizon, source)
        if origins.min() < prep.season:
            raise InputError(
                f"{source}: the {period} period starts {origins.min()} rows into the data; the "
                f"seasonal-naive baseline needs {prep.season}; fix: use more training rows"
            )
        output = predict_windows(model, scaled, origins, prep).astype(np.float64)
        target_spread = prep.scaler.scale[:num_targets]
        unscaled = _unscale(output, target_spread, prep.scaler.center[:num_targets])
        point, head = prep.split_output(unscaled)
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
    frame: pd.DataFrame  # the series as read: time index, target columns first
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


def score_panel(
    model: keras.Model,
    preprocessing: Preprocessing,
    panel: Panel,
    series_periods: SeriesPeriods,
    names: tuple[str, ...] = ("val", "test"),
    statistical: Sequence[str] = (),
) -> dict[str, PeriodForecasts]:
    """``score_periods`` for many series: every window of every series, each series on
    its own scale and with its own MASE scale (its in-sample seasonal-naive MAE on its
    training rows), pooled over all windows and scored per series. ``statistical`` adds
    statsforecast baselines, fit per series on its training rows."""
    prep = preprocessing
    num_targets = len(prep.targets)
    values = panel.frame.to_numpy(dtype=np.float64)
    targets = values[:, :num_targets]
    centers, scales, _ = prep.series_scaling(panel)  # [series, columns]
    scaled = prep.model_inputs(panel)
    starts = panel.starts
    mase_scales = np.stack(
        [
            mase_scale(targets[starts[k] : starts[k] + periods.train_end], prep.season)
            for k, periods in enumerate(series_periods.periods)
        ]
    )  # [series, targets]
    result = {}
    for period in names:
        origins, series = series_periods.origins(period, prep.lookback, prep.horizon)
        output = predict_windows(model, scaled, origins, prep).astype(np.float64)
        spread = scales[series][:, None, :num_targets]  # [windows, 1, targets]
        point, head = prep.split_output(
            _unscale(output, spread, centers[series][:, None, :num_targets])
        )
        forecasts = {
            "model": point,
            **baseline_forecasts(targets, origins, prep.horizon, prep.season),
        }
        for method in statistical:
            forecasts[method] = _per_series_statistical(
                method, targets, panel, series_periods, origins, series, prep
            )
        actual = np.array(target_windows(targets, origins, prep.horizon))
        window_scale = mase_scales[series][:, None, :]
        metrics = score_forecasts(actual, forecasts, window_scale, prep.targets)
        metrics["scaled"] = {
            name: scaled_errors(actual, forecast, spread) for name, forecast in forecasts.items()
        }
        table = per_series_scores(actual, forecasts, series, window_scale, panel)
        metrics |= {
            "windows": len(origins),
            "season": prep.season,
            "series": int(panel.num_series),
            **series_summary(table, [name for name in forecasts if name != "model"]),
        }
        result[period] = PeriodForecasts(
            origins, actual, forecasts, metrics, series, table, window_scale, spread, None, head
        )
    return result


def _per_series_statistical(
    method: str,
    targets: np.ndarray,
    panel: Panel,
    series_periods: SeriesPeriods,
    origins: np.ndarray,
    series: np.ndarray,
    prep: Preprocessing,
) -> np.ndarray:
    blocks = []
    for k, periods in enumerate(series_periods.periods):
        start, stop = int(panel.starts[k]), int(panel.starts[k + 1])
        mine = origins[series == k] - start
        blocks.append(
            statistical_forecast(
                method, targets[start:stop], periods.train_end, mine, prep.horizon, prep.season
            )
        )
    return np.concatenate(blocks)


def per_series_scores(
    actual: np.ndarray,
    forecasts: dict[str, np.ndarray],
    series: np.ndarray,
    window_scale: np.ndarray,
    panel: Panel,
) -> pd.DataFrame:
    """One row per series: its windows, and MAE, RMSE, sMAPE and MASE of every forecast
    over that series' windows (M-competition definitions; MASE on the series' own scale)."""
    count = np.bincount(series, minlength=panel.num_series)
    table = panel.ids.copy()
    table.insert(0, "series", panel.keys)
    table["windows"] = count

    def mean_by_series(values: np.ndarray) -> np.ndarray:  # [windows, horizon, targets]
        per_window = values.reshape(len(values), -1).mean(axis=1)
        return np.bincount(series, per_window, minlength=panel.num_series) / count

    for name, forecast in forecasts.items():
        error = actual - forecast
        denominator = np.abs(actual) + np.abs(forecast)
        ratio = np.divide(
            2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator != 0
        )
        table[f"{name}_mae"] = mean_by_series(np.abs(error))
        table[f"{name}_rmse"] = np.sqrt(mean_by_series(np.square(error)))
        table[f"{name}_smape"] = 100 * mean_by_series(ratio)
        table[f"{name}_mase"] = mean_by_series(np.abs(error) / window_scale)
    return table


def series_summary(table: pd.DataFrame, baselines: Sequence[str]) -> dict[str, Any]:
    """How the model fares series by series: the share of series where its MAE is below
    each baseline's, and the spread of its per-series MAE skill against each."""
    summary: dict[str, Any] = {"share_of_series_better": {}, "series_skill": {}}
    for name in baselines:
        skill_by_series = 1 - table["model_mae"] / table[f"{name}_mae"].replace(0, np.nan)
        summary["share_of_series_better"][name] = float(
            (table["model_mae"] < table[f"{name}_mae"]).mean()
        )
        quantiles = skill_by_series.quantile([0.1, 0.25, 0.5, 0.75, 0.9])
        summary["series_skill"][name] = {
            f"p{round(100 * q)}": float(value) for q, value in quantiles.items()
        }
    return summary


def add_intervals(
    scored: dict[str, PeriodForecasts],
    levels: Sequence[int],
    model_widths: Widths | None = None,
    quantile_levels: Sequence[float] = (),
    conformalize: bool = True,
    rolling: bool = False,
    rolling_windows: int | None = None,
) -> tuple[Widths | None, dict[str, PeriodForecasts]]:
    """Conformal intervals for the test windows: every forecast calibrated on its own
    validation errors, or with ``rolling`` on the latest errors known at each window's
    origin (``rolling_windows`` of them, default as many as validation has; validation's
    first, then earlier test windows'). The model uses ``model_widths`` instead when
    given (a bundle's calibration scored on new data); without validation windows only
    the model gets intervals then.
    Returns the model's widths for later forecasts (from the latest errors known) and
    ``scored`` with the test period's bounds and ``metrics["intervals"]``."""
    test, val = scored["test"], scored.get("val")
    assert test.target_scale is not None and test.window_scale is not None
    heads = {}
    if test.quantiles is not None:
        heads["model"] = _head_bounds(test.quantiles, quantile_levels, levels)
    widths: dict[str, Widths] = {}
    latest: Widths | None = None
    if val is not None:
        assert val.target_scale is not None
        val_heads = {}
        if val.quantiles is not None:
            val_heads["model"] = _head_bounds(val.quantiles, quantile_levels, levels)
        val_origins, test_origins = _offsets(val, test)
        known_at = np.concatenate([val_origins, test_origins]) + test.actual.shape[1]
        last = np.array([known_at.max()])
        for name in val.forecasts:
            if name in val_heads and not conformalize:  # the head's range as it is
                widths[name] = {level: np.zeros(val.actual.shape[1:]) for level in levels}
                continue
            widths[name] = {}
            for level in levels:
                val_scores = _scores(val, name, val_heads.get(name), level)
                if not rolling:
                    widths[name][level] = conformal_quantile(val_scores, level)
                    continue
                test_scores = _scores(test, name, heads.get(name), level)
                scores = np.concatenate([val_scores, test_scores])
                count = rolling_windows or len(val_scores)
                widths[name][level] = rolling_widths(scores, known_at, test_origins, level, count)
                if name == "model":  # for forecasts after the data: every error is known
                    latest = latest or {}
                    latest[level] = rolling_widths(scores, known_at, last, level, count)[0]
        if not rolling:
            latest = widths.get("model")
    if model_widths is not None:
        widths["model"] = {level: model_widths[level] for level in levels}
        latest = widths["model"]
    if "model" not in widths:
        return None, scored
    bounds = {
        name: interval_bounds(
            test.forecasts[name],
            widths[name],
            test.target_scale,
            heads.get(name),
        )
        for name in widths
    }
    metrics = {
        **test.metrics,
        "intervals": interval_metrics(test.actual, bounds, levels, test.window_scale),
    }
    if test.quantiles is not None:  # the head's own quantiles, before any conformal shift
        metrics["pinball"] = pinball(test.actual, test.quantiles, quantile_levels)
    test = replace(test, intervals=bounds, metrics=metrics)
    return latest, {**scored, "test": test}


def _scores(
    scored: PeriodForecasts,
    name: str,
    head: dict[int, tuple[np.ndarray, np.ndarray]] | None,
    level: int,
) -> np.ndarray:
    """Conformity scores ``[windows, horizon, targets]`` in units of each series' scale:
    absolute errors, or for a quantile head how far outside its ``level`` range the truth
    fell (conformalised quantile regression, Romano et al. 2019)."""
    if head is None:
        return np.abs(scored.actual - scored.forecasts[name]) / scored.target_scale
    lower, upper = head[level]
    return np.maximum(lower - scored.actual, scored.actual - upper) / scored.target_scale


def _offsets(val: PeriodForecasts, test: PeriodForecasts) -> tuple[np.ndarray, np.ndarray]:
    """Window origins counted from the first test origin of their own series, so that
    windows of different series line up by how far into the test period they start."""
    if test.series is None or val.series is None:
        first = test.origins.min()
        return val.origins - first, test.origins - first
    firsts = np.full(int(test.series.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(firsts, test.series, test.origins)
    return val.origins - firsts[val.series], test.origins - firsts[test.series]


def _head_bounds(
    quantiles: np.ndarray, quantile_levels: Sequence[float], levels: Sequence[int]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each level's (lower, upper) quantile of a head's ``[W, H, T, Q]`` output."""
    bounds = {}
    for level in levels:
        tail = round((100 - level) / 200, 6)
        lower, upper = list(quantile_levels).index(tail), list(quantile_levels).index(1 - tail)
        bounds[level] = (quantiles[..., lower], quantiles[..., upper])
    return bounds


def _unscale(output: np.ndarray, scale: np.ndarray, center: np.ndarray) -> np.ndarray:
    """A model's scaled output back to the targets' units; a quantile head's
    ``[..., T, Q]`` output alike for every quantile."""
    if output.ndim == 4:  # [W, H, T, Q]: the same scale for every quantile
        return output * np.asarray(scale)[..., None] + np.asarray(center)[..., None]
    return output * scale + center


def interval_metrics(
    actual: np.ndarray, bounds: dict[str, Bounds], levels: Sequence[int], mase: np.ndarray
) -> dict[str, Any]:
    """``metrics["intervals"]``: by level, then by forecast."""
    return {
        str(level): {
            name: interval_scores(actual, *forecast_bounds[level], level, mase)
            for name, forecast_bounds in bounds.items()
        }
        for level in levels
    }
