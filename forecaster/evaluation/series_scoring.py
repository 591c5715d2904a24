"""Many series scored at once: every window of every series on its own scale, pooled
and per series (the table behind ``per_series.csv``), with how the model fares series by
series. Compute only: no files, no printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.baselines import baseline_forecasts
from forecaster.evaluation.metrics import mase_scale, scaled_errors
from forecaster.evaluation.scoring import (
    PeriodForecasts,
    actual_future_covariates,
    score_forecasts,
    unscale,
)
from forecaster.evaluation.statistical import statistical_forecast
from forecaster.panel import Panel
from forecaster.predict import predict_windows, with_fallback
from forecaster.preprocessing import Preprocessing
from forecaster.windows import Period, SeriesPeriods, target_windows

if TYPE_CHECKING:
    import keras


def score_panel(
    model: keras.Model,
    preprocessing: Preprocessing,
    panel: Panel,
    series_periods: SeriesPeriods,
    names: tuple[Period, ...] = ("val", "test"),
    statistical: Sequence[str] = (),
) -> dict[str, PeriodForecasts]:
    """``score_periods`` for many series: every window of every series, each series on
    its own scale and with its own MASE scale (its in-sample seasonal-naive MAE on its
    training rows), pooled over all windows and scored per series. ``statistical`` adds
    statsforecast baselines, fit per series on its training rows."""
    prep = preprocessing
    num_targets = len(prep.targets)
    # as held (float32 for long data): a float64 copy of every row would cost 8 bytes a
    # row; what is scored is read out in float64 below
    targets = panel.values[:, :num_targets]
    centers, scales, _ = prep.series_scaling(panel)  # [series, columns]
    scaled = prep.model_rows(panel)
    starts = panel.starts
    mase_scales = np.stack(
        [
            mase_scale(
                targets[starts[k] : starts[k] + periods.train_end].astype(np.float64),
                prep.season,
            )
            for k, periods in enumerate(series_periods.periods)
        ]
    )  # [series, targets]
    result: dict[str, PeriodForecasts] = {}
    for period in names:
        origins, series = series_periods.origins(period, prep.lookback, prep.horizon)
        output = predict_windows(model, scaled, origins, prep).astype(np.float64)
        spread = scales[series][:, None, :num_targets]  # [windows, 1, targets]
        point, head = prep.split_output(
            unscale(output, spread, centers[series][:, None, :num_targets])
        )
        point = with_fallback(prep, point, targets, origins)  # what the bundle forecasts
        forecasts = {
            "model": point,
            **baseline_forecasts(targets, origins, prep.horizon, prep.season),
        }
        for method in statistical:
            forecasts[method] = _per_series_statistical(
                method, targets, panel, series_periods, origins, series, prep
            )
        actual = np.array(target_windows(targets, origins, prep.horizon), dtype=np.float64)
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
            **actual_future_covariates(prep),
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
                method,
                targets[start:stop].astype(np.float64),
                periods.train_end,
                mine,
                prep.horizon,
                prep.season,
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
