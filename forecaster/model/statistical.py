"""Statistical baselines from statsforecast, fit once per series on the training rows and
forecast on the same windows as the model.

Compute only: nothing here writes a file or prints. statsforecast (and statsmodels, scipy)
are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

STATISTICAL = ("auto_ets", "theta")
LABELS = {"auto_ets": "AutoETS (statsforecast)", "theta": "AutoTheta (statsforecast)"}


class SeriesFitError(ValueError):
    """A statistical method that could not forecast one series of a panel (``series``, its
    position), with the reason."""

    def __init__(self, series: int, reason: ValueError) -> None:
        super().__init__(str(reason))
        self.series = series


def series_statistical_forecasts(
    method: str,
    targets: np.ndarray,
    starts: np.ndarray,
    train_ends: np.ndarray,
    origins: np.ndarray,
    series: np.ndarray,
    horizon: int,
    season: int,
) -> np.ndarray:
    """``statistical_forecast`` over a panel: ``[len(origins), horizon, targets]`` for the
    windows starting at rows ``origins`` of ``targets`` (every series' rows, series ``k``
    rows ``starts[k]:starts[k + 1]``), grouped by their series ``series`` in order, each
    series' model fit on its first ``train_ends[k]`` rows."""
    blocks = []
    for k in range(len(starts) - 1):
        start, stop = int(starts[k]), int(starts[k + 1])
        rows = targets[start:stop].astype(np.float64)
        mine = origins[series == k] - start
        try:
            blocks.append(
                statistical_forecast(method, rows, int(train_ends[k]), mine, horizon, season)
            )
        except ValueError as error:
            raise SeriesFitError(k, error) from error
    return np.concatenate(blocks)


def statistical_forecast(
    method: str,
    targets: np.ndarray,
    train_end: int,
    origins: np.ndarray,
    horizon: int,
    season: int,
) -> np.ndarray:
    """Forecasts ``[len(origins), horizon, targets]`` of ``method`` (one of ``STATISTICAL``)
    for the windows starting at ``origins``, from ``targets`` ([rows, targets], NaN-free, the
    whole series on the original scale).

    For each target column the model is fit once, on rows ``[0, train_end)`` only. The window
    starting at row ``t`` is then forecast from the history ``targets[:t]`` with the fitted
    parameters, without refitting: the history moves the model's states (level, trend,
    season) forward, never its parameters. So every origin must be at or after ``train_end``
    (the fit must not see a window's future).

    ``season`` is the seasonal period; with fewer than two seasons of training rows the
    models are fit without one (season 1).

    - ``auto_ets``: ``statsforecast.models.AutoETS`` (model chosen by AICc); each window is
      ``AutoETS.forward``, which runs the fitted model's filter over the history from the
      fitted initial states.
    - ``theta``: ``statsforecast.models.AutoTheta`` (the best of the four theta models by
      MSE). AutoTheta tests for seasonality and divides it out by classical decomposition,
      but its ``forward`` redoes both on each history, which would refit the seasonal part
      on validation and test rows. Here that test and decomposition run once,
      on the training rows (the same steps AutoTheta takes); the seasonal indices are then
      divided out (or subtracted) from the whole series, the theta model is fit on the
      adjusted training rows and ``forward`` runs on the adjusted history; the forecast is
      reseasonalised with the same indices. At an origin of ``train_end`` this equals
      ``AutoTheta(season_length=season)`` fit on the training rows. (The standard theta
      models draw their line's drift from the whole history passed, as the method defines.)

    A constant training series does not fail: AutoETS then forecasts the last value, and
    the theta forecast has no seasonal part.

    Cost: every origin passed is forecast, none skipped; to spend less, pass fewer origins
    and score the model on the same ones. Fitting takes about 10-15 s per target on 8,640
    hourly rows with season 24 (either method; under 0.5 s on 300 monthly rows). A window
    then costs about 1 ms with AutoETS on a 10,000-row history, but theta's ``forward``
    grows with the square of the history: about 0.1 s at 10,000 rows and 0.17 s at 14,400,
    so the 2,881 test windows of ETTh1 take some 7 minutes per target with theta and a few
    seconds with AutoETS. On a 400-row monthly series both take under 1 ms a window.

    Raises ``ValueError`` for an unknown method, an origin before ``train_end`` or past the
    rows, or a forecast that is not finite (a multiplicative AutoETS fit on positive training
    rows can fail on a history that later reaches zero or below).
    """
    if method not in STATISTICAL:
        raise ValueError(f"unknown statistical baseline {method!r}; choose one of {STATISTICAL}")
    targets = np.asarray(targets, dtype=np.float64)
    origins = np.asarray(origins, dtype=np.int64)
    if targets.ndim != 2:
        raise ValueError(f"targets must be [rows, targets]; got shape {targets.shape}")
    if not 0 < train_end <= len(targets):
        raise ValueError(f"train_end {train_end} is outside the {len(targets)} rows")
    if len(origins) and (origins.min() < train_end or origins.max() > len(targets)):
        raise ValueError(
            f"origins must lie in [{train_end}, {len(targets)}] (at or after the training "
            f"rows); got {origins.min()} to {origins.max()}"
        )
    season = season if train_end >= 2 * season else 1
    forecast_column = _ets_column if method == "auto_ets" else _theta_column
    result = np.empty((len(origins), horizon, targets.shape[1]))
    for k in range(targets.shape[1]):
        result[:, :, k] = forecast_column(targets[:, k], train_end, origins, horizon, season)
        if not np.isfinite(result[:, :, k]).all():
            raise ValueError(
                f"{LABELS[method]} gave a forecast that is not finite for target column {k}"
            )
    return result


def _ets_column(
    y: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    from statsforecast.models import AutoETS

    model = AutoETS(season_length=season).fit(y[:train_end])
    return _forward_each(model, y, origins, horizon)


def _theta_column(
    y: np.ndarray, train_end: int, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    from statsforecast.models import AutoTheta

    seasonal = _seasonal_indices(y[:train_end], season)
    if seasonal is None:
        model = AutoTheta(season_length=1).fit(y[:train_end])
        return _forward_each(model, y, origins, horizon)
    indices, kind = seasonal
    per_row = indices[np.arange(len(y)) % season]
    adjusted = y / per_row if kind == "multiplicative" else y - per_row
    model = AutoTheta(season_length=1).fit(adjusted[:train_end])
    forecast = _forward_each(model, adjusted, origins, horizon)
    ahead = indices[(origins[:, None] + np.arange(horizon)[None, :]) % season]
    return forecast * ahead if kind == "multiplicative" else forecast + ahead


def _seasonal_indices(train: np.ndarray, season: int) -> tuple[np.ndarray, str] | None:
    """AutoTheta's seasonality test and classical decomposition of the training rows: the
    ``season`` seasonal indices (index ``i`` belongs to rows ``r`` with ``r % season == i``)
    and ``"multiplicative"`` or ``"additive"``; None when there is no seasonality to remove."""
    if season < 4 or len(train) < 2 * season or np.ptp(train) == 0:
        return None
    from scipy.stats import norm
    from statsmodels.tsa.seasonal import seasonal_decompose
    from statsmodels.tsa.stattools import acf

    r = acf(train, nlags=season, fft=False)[1:]
    stat = np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / len(train))
    if not np.abs(r[-1]) / stat > norm.ppf(0.95):
        return None
    kind = "multiplicative" if train.min() > 0 else "additive"
    seasonal = seasonal_decompose(train, model=kind, period=season).seasonal
    if kind == "multiplicative" and (seasonal < 0.01).any():
        kind = "additive"
        seasonal = seasonal_decompose(train, model=kind, period=season).seasonal
    return np.asarray(seasonal[:season], dtype=np.float64), kind


def _forward_each(model: Any, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The fitted ``model`` applied to the history ``y[:t]`` of each origin ``t``."""
    return np.array([model.forward(y=y[:t], h=horizon)["mean"] for t in origins]).reshape(
        len(origins), horizon
    )
