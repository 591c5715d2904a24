"""A model and the baselines scored on every window of a period, on the same windows:
every window of every series on its own scale, pooled and per series (the table behind
``per_series.csv``), with how the model fares series by series.

Compute only: nothing here writes a file or prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.bundle.forecasting import predict_windows
from forecaster.data.panel import Panel, RowTimeLookup
from forecaster.evaluation.intervals import Bounds
from forecaster.evaluation.metrics import mase_scale, scaled_errors, score, skills, window_blocks
from forecaster.model.baselines import baseline_forecasts
from forecaster.model.periods import Period, Periods, SeriesPeriods
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.statistical import series_statistical_forecasts
from forecaster.model.windows import LazyWindows, Windows, WindowValues
from forecaster.spec import Spec

if TYPE_CHECKING:
    import keras

    from forecaster.model.targets import TargetFit


def score_forecasts(
    y_true: Windows,
    forecasts: Mapping[str, Windows],
    scale: np.ndarray,
    target_names: list[str],
) -> dict[str, Any]:
    """Each forecast (``model`` and the baselines) scored, and the model's skill against
    each baseline; a forecast computed when read (``LazyWindows``) is read in its turn."""
    result = {name: score(y_true, pred, scale, target_names) for name, pred in forecasts.items()}
    result["skill"] = {name: skills(result["model"], result[name]) for name in forecasts}
    del result["skill"]["model"]
    return result


@dataclass(frozen=True)
class PeriodForecasts:
    """Every window of one period on the original scale, ``[windows, horizon, targets]``.

    ``score_periods`` holds the model's float32 output alone: the actual values and the
    forecasts are ``LazyWindows``, computed from it and the panel's rows each time they are
    used (``held`` turns them into arrays)."""

    origins: np.ndarray  # row of each window's first forecast step
    actual: Windows
    forecasts: Mapping[str, Windows]  # "model", "naive", "seasonal_naive" (and statistical)
    metrics: dict[str, Any]  # what metrics.json holds for the period
    series: np.ndarray | None = None  # the series of each window
    per_series: pd.DataFrame | None = None  # one row of scores per series
    window_scale: np.ndarray | None = None  # MASE scale of each window, [windows, 1, targets]
    # each window's spread in original units, [windows, 1, targets]: the scaler's scale
    # (times the inverse transform's slope at its center with a transform)
    target_scale: np.ndarray | None = None
    intervals: dict[str, Bounds] | None = None  # forecast -> level -> (lower, upper)
    quantiles: np.ndarray | None = None  # a quantile head's output, [windows, H, T, Q]

    def held(self) -> PeriodForecasts:
        """The same windows with every value held in an array of its own, no longer read
        from the panel's rows (which then need not be kept for them)."""
        return replace(
            self,
            actual=np.asarray(self.actual),
            forecasts={name: np.asarray(values) for name, values in self.forecasts.items()},
        )


@dataclass(frozen=True)
class ModelEvaluation:
    """A model scored on a series: what ``metrics.json`` and the report are made from."""

    spec: Spec
    preprocessing: Preprocessing
    periods: Periods  # the first series' periods
    scored: dict[str, PeriodForecasts]  # by period name
    history: pd.DataFrame | None  # per epoch, as in history.csv
    manifest: dict[str, Any]
    data_source: str
    panel: Panel  # the series scored
    left_out: dict[str, str] | None = None  # series too short to score, and why
    notes: tuple[str, ...] = ()  # said at the top of the report (e.g. train.refit)

    @property
    def metrics(self) -> dict[str, Any]:
        return {period: forecasts.metrics for period, forecasts in self.scored.items()}

    @property
    def row_times(self) -> pd.Index | RowTimeLookup:
        """Every row's time, by row number (looked up per series on demand when a panel
        holds no per-row index)."""
        return self.panel.row_times()

    @property
    def target_values(self) -> np.ndarray:
        """``[rows, targets]`` as held, for plots."""
        return self.panel.values[:, : len(self.preprocessing.targets)]


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


class ModelForecasts(LazyWindows):
    """A model's forecasts ``[windows, horizon, targets]`` on the original scale, unscaled
    from its float32 ``output`` when read (``unscale``; with a transform or a seasonal
    pattern, ``restore`` puts them back, window ``w``'s first step being local row
    ``local[w]`` of series ``series[w]``), with the steps ``fallback`` hands to a baseline
    read from it: the values all give, from the 4 bytes a value of the output instead of
    an 8-byte copy."""

    def __init__(
        self,
        output: np.ndarray,
        spread: np.ndarray,
        center: np.ndarray,
        fallback: Mapping[int, LazyWindows],
        restore: TargetFit | None = None,
        series: np.ndarray | None = None,
        local: np.ndarray | None = None,
    ) -> None:
        self.output = output  # [windows, horizon, targets] as the model gave it
        self.spread, self.center = spread, center  # [windows, 1, targets]
        self.fallback = dict(fallback)  # step (0-based) -> the baseline forecasting it
        self.restore, self.series, self.local = restore, series, local

    @property
    def shape(self) -> tuple[int, int, int]:
        windows, horizon, targets = self.output.shape
        return windows, horizon, targets

    def read(self, windows: Any = slice(None), steps: Any = slice(None)) -> np.ndarray:
        output = self.output[windows][:, steps].astype(np.float64)
        values = unscale(output, self.spread[windows], self.center[windows])
        at = np.arange(self.output.shape[1])[steps]
        if self.restore is not None:
            assert self.series is not None and self.local is not None
            rows = self.local[windows][:, None] + at  # [windows, steps]
            values = self.restore.inverse_at(values, self.series[windows], rows)
        for j, h in enumerate(at):
            if int(h) in self.fallback:
                values[:, j] = self.fallback[int(h)].read(windows, [h])[:, 0]
        return values


class ClippedWindows(LazyWindows):
    """``windows`` clipped at zero when read (``data.nonnegative``): the values
    ``np.maximum(windows, 0.0)`` holds, without holding them."""

    def __init__(self, windows: LazyWindows) -> None:
        self.windows = windows

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.windows.shape

    def read(self, windows: Any = slice(None), steps: Any = slice(None)) -> np.ndarray:
        return np.maximum(self.windows.read(windows, steps), 0.0)


def clipped(forecast: Windows) -> Windows:
    """A forecast clipped at zero: held ones at once, computed ones when read."""
    if isinstance(forecast, LazyWindows):
        return ClippedWindows(forecast)
    return np.maximum(forecast, 0.0)


def score_periods(
    model: keras.Model,
    preprocessing: Preprocessing,
    panel: Panel,
    series_periods: SeriesPeriods,
    names: tuple[Period, ...] = ("val", "test"),
    statistical: Sequence[str] = (),
) -> dict[str, PeriodForecasts]:
    """The model and both baselines (and the ``statistical`` ones) on every window of
    each named period of every series: each series on its own scale and with its own MASE
    scale (its seasonal-naive MAE over its history before the period), pooled over all
    windows and scored per series. ``statistical`` adds statsforecast baselines, fit per
    series on its training rows."""
    prep = preprocessing
    num_targets = len(prep.targets)
    # as held (float32 for long data): a float64 copy of every row would cost 8 bytes a
    # row; what is scored is read out in float64 below
    targets = panel.values[:, :num_targets]
    fit = prep.target_fit(panel)  # transform and season: refusals first
    centers, scales, _ = prep.series_scaling(panel, fit)  # [series, columns]
    scaled = prep.model_rows(panel, fit=fit)
    starts = panel.starts
    result: dict[str, PeriodForecasts] = {}
    for period in names:
        # MASE's scale as the M4 and Tourism competitions define it: the seasonal-naive
        # MAE over each series' whole history before the period (its forecast origin):
        # the training rows for validation, training and validation rows for the test
        mase_scales = np.stack(
            [
                mase_scale(
                    targets[starts[k] : starts[k] + periods.bounds(period)[0]].astype(np.float64),
                    prep.season,
                )
                for k, periods in enumerate(series_periods.periods)
            ]
        )  # [series, targets]
        origins, series = series_periods.origins(period, prep.lookback, prep.horizon, pad=prep.pad)
        spread = scales[series][:, None, :num_targets]  # [windows, 1, targets]
        center = centers[series][:, None, :num_targets]
        output, quantiles = prep.split_output(predict_windows(model, scaled, origins, prep))
        # the baselines and the actual values are read from the rows when used, and the
        # model's forecasts unscaled from its float32 output, rather than each held as
        # float64 for every window (LazyWindows); what is read is what was held before
        naives = baseline_forecasts(targets, origins, prep.horizon, prep.season)
        fallback = {h: naives[name] for h, name in prep.fallback_steps.items()}
        restore = None if fit.is_identity else fit  # a transform or seasonal pattern
        local = origins - starts[series]  # each window's first forecast row in its series
        model_forecast = ModelForecasts(output, spread, center, fallback, restore, series, local)
        head = None
        if quantiles is not None:
            head = unscale(quantiles.astype(np.float64), spread, center)
            head = head if restore is None else restore.inverse(head, series, local)
        if restore is not None:  # [windows, 1, targets]: in original units, as the errors are
            spread = restore.spread(center, spread, series)
        forecasts: dict[str, Windows] = {
            "model": model_forecast,  # what the bundle forecasts
            **naives,
        }
        for method in statistical:
            forecasts[method] = series_statistical_forecasts(
                method,
                targets,
                starts,
                series_periods.train_ends,
                origins,
                series,
                prep.horizon,
                prep.season,
            )
        if prep.nonnegative:  # data.nonnegative: what the bundle forecasts, the baselines
            # alike for a fair comparison
            forecasts = {name: clipped(forecast) for name, forecast in forecasts.items()}
            head = None if head is None else prep.clip(head)
        actual = WindowValues(targets, origins, np.arange(prep.horizon))
        window_scale = mase_scales[series][:, None, :]
        result[period] = scored_period(
            origins, actual, forecasts, series, window_scale, spread, head, panel, prep
        )
    return result


def scored_period(
    origins: np.ndarray,
    actual: Windows,
    forecasts: Mapping[str, Windows],
    series: np.ndarray,
    window_scale: np.ndarray,
    spread: np.ndarray,
    head: np.ndarray | None,
    panel: Panel,
    prep: Preprocessing,
) -> PeriodForecasts:
    """One period's ``forecasts`` (``model`` first) scored against ``actual``: pooled,
    per horizon step and per series."""
    metrics = score_forecasts(actual, forecasts, window_scale, prep.targets)
    metrics["scaled"] = {
        name: scaled_errors(actual, forecast, spread) for name, forecast in forecasts.items()
    }
    table = per_series_scores(actual, forecasts, series, window_scale, panel)
    metrics |= {"windows": len(origins), "season": prep.season}
    if panel.num_series > 1:  # how the model fares series by series
        baselines = [name for name in forecasts if name != "model"]
        metrics |= {"series": panel.num_series, **series_summary(table, baselines)}
    else:  # one series: its MASE scale, one number per target
        metrics["mase_scale"] = window_scale[0, 0].tolist()
    metrics |= actual_future_covariates(prep)
    return PeriodForecasts(
        origins, actual, forecasts, metrics, series, table, window_scale, spread, None, head
    )


def per_series_scores(
    actual: Windows,
    forecasts: Mapping[str, Windows],
    series: np.ndarray,
    window_scale: np.ndarray,
    panel: Panel,
) -> pd.DataFrame:
    """One row per series: its windows, and MAE, RMSE, sMAPE and MASE of every forecast
    over that series' windows (M-competition definitions; MASE on the series' own scale)."""
    count = np.bincount(series, minlength=panel.num_series)
    table = panel.ids.copy()
    if len(table.columns) == 1 and table.columns[0] == "series":
        table = table.iloc[:, :0]  # one id column named `series`: the key is its value
    # an id column named like a column of this table keeps its values under another name
    table.columns = [f"{column} (id)" if _reserved(column) else column for column in table]
    table.insert(0, "series", panel.labels)
    table["windows"] = count

    def mean_by_series(per_window: np.ndarray) -> np.ndarray:
        return np.bincount(series, per_window, minlength=panel.num_series) / count

    def window_means(values: np.ndarray) -> np.ndarray:  # [windows, horizon, targets]
        return values.reshape(len(values), -1).mean(axis=1)

    for name, forecast in forecasts.items():
        # each window's mean of |e|, e^2, 2|e| / (|a| + |f|) (0 where both are 0) and
        # |e| / scale, a block of windows at a time: a window's mean is the same whichever
        # block it is in, and no array of every point of the period is ever held
        means = np.empty((4, len(series)))
        for block in window_blocks(len(series), math.prod(actual.shape[1:])):
            values, predicted = np.asarray(actual[block]), np.asarray(forecast[block])
            error = values - predicted
            means[1, block] = window_means(np.square(error))
            np.abs(error, out=error)
            means[0, block] = window_means(error)
            means[3, block] = window_means(error / window_scale[block])
            denominator = np.abs(values) + np.abs(predicted)
            ratio = np.divide(
                2 * error, denominator, out=np.zeros_like(error), where=denominator != 0
            )
            means[2, block] = window_means(ratio)
        table[f"{name}_mae"] = mean_by_series(means[0])
        table[f"{name}_rmse"] = np.sqrt(mean_by_series(means[1]))
        table[f"{name}_smape"] = 100 * mean_by_series(means[2])
        table[f"{name}_mase"] = mean_by_series(means[3])
    return table


def _reserved(column: object) -> bool:
    name = str(column)
    return name in ("series", "windows") or name.rsplit("_", 1)[-1] in (
        "mae",
        "rmse",
        "smape",
        "mase",
    )


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
