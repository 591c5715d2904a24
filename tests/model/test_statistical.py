from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from forecaster.evaluation.metrics import mae
from forecaster.model.statistical import (
    LABELS,
    STATISTICAL,
    SeriesFitError,
    series_statistical_forecasts,
    statistical_forecast,
)

ROOT = Path(__file__).resolve().parents[2]


def seasonal(rows: int = 240, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A sine of period 12 around a level of 10, ``[rows, 1]``."""
    steps = np.arange(rows)
    y = 10 + np.sin(2 * np.pi * steps / 12)
    return (y + noise * np.random.default_rng(seed).standard_normal(rows))[:, None]


def test_names_and_labels() -> None:
    assert STATISTICAL == ("auto_ets", "theta")
    assert set(LABELS) == set(STATISTICAL)


@pytest.mark.parametrize("method", STATISTICAL)
def test_one_forecast_per_window_step_and_target(method: str) -> None:
    targets = np.hstack([seasonal(noise=0.2), 2 * seasonal(noise=0.2, seed=1) - 5])
    origins = np.array([180, 181, 200, 228])
    forecast = statistical_forecast(method, targets, 180, origins, horizon=6, season=12)
    assert forecast.shape == (4, 6, 2)
    assert np.isfinite(forecast).all()


@pytest.mark.parametrize("method", STATISTICAL)
def test_the_fit_sees_no_row_at_or_after_train_end(method: str) -> None:
    a = seasonal(noise=0.2)
    b = a.copy()
    b[100:] += 5 + np.random.default_rng(7).standard_normal((140, 1))  # differs from row 100
    forecast = {
        name: statistical_forecast(method, y, 100, np.array([100, 130]), horizon=6, season=12)
        for name, y in (("a", a), ("b", b))
    }
    # the same training rows and the same history: identical fits give identical forecasts
    np.testing.assert_array_equal(forecast["a"][0], forecast["b"][0])
    # later rows reach a later window only through its history
    assert not np.allclose(forecast["a"][1], forecast["b"][1])
    # the check has teeth: the same history with more rows to fit on gives another forecast
    longer_fit = statistical_forecast(method, a, 130, np.array([130]), horizon=6, season=12)
    assert not np.allclose(forecast["a"][1], longer_fit[0])


def test_auto_ets_forecasts_a_pure_season_closely() -> None:
    origins = np.arange(180, 229)
    errors = {}
    for noise in (0.0, 0.3):
        y = seasonal(noise=noise)
        forecast = statistical_forecast("auto_ets", y, 180, origins, horizon=12, season=12)
        truth = np.stack([y[t : t + 12] for t in origins])
        errors[noise] = mae(truth, forecast)
    assert errors[0.0] < 0.02
    assert errors[0.3] > 10 * errors[0.0]


def test_theta_follows_the_season_and_the_level() -> None:
    y = seasonal(noise=0.05)
    origins = np.arange(180, 229)
    forecast = statistical_forecast("theta", y, 180, origins, horizon=12, season=12)
    clean = seasonal()
    truth = np.stack([clean[t : t + 12] for t in origins])
    # far below the sine's own spread (mean absolute deviation about 0.64)
    assert mae(truth, forecast) < 0.1


@pytest.mark.parametrize(("method", "model"), [("auto_ets", "AutoETS"), ("theta", "AutoTheta")])
def test_at_the_end_of_training_it_is_statsforecasts_own_forecast(method: str, model: str) -> None:
    import statsforecast.models

    y = seasonal(noise=0.2) + 0.01 * np.arange(240)[:, None]
    ours = statistical_forecast(method, y, 180, np.array([180]), horizon=12, season=12)
    fitted = getattr(statsforecast.models, model)(season_length=12).fit(y[:180, 0])
    np.testing.assert_allclose(ours[0, :, 0], fitted.predict(12)["mean"], rtol=1e-9)


@pytest.mark.parametrize("method", STATISTICAL)
def test_a_constant_training_series_does_not_fail(method: str) -> None:
    y = np.full((60, 1), 5.0)
    y[50:] = 6.0
    forecast = statistical_forecast(method, y, 40, np.array([40, 55]), horizon=4, season=12)
    np.testing.assert_allclose(forecast[0], 5.0)
    assert np.isfinite(forecast).all()
    if method == "auto_ets":
        np.testing.assert_allclose(forecast[1], 6.0, atol=1e-3)  # the last value


@pytest.mark.parametrize("method", STATISTICAL)
def test_fewer_than_two_seasons_of_training_rows_fit_without_a_season(method: str) -> None:
    y = seasonal(rows=40, noise=0.1)
    forecast = statistical_forecast(method, y, 20, np.array([20, 30]), horizon=3, season=12)
    assert forecast.shape == (2, 3, 1)
    assert np.isfinite(forecast).all()


def test_bad_arguments_are_refused() -> None:
    y = seasonal()
    with pytest.raises(ValueError, match="unknown statistical baseline"):
        statistical_forecast("arima", y, 180, np.array([180]), horizon=3, season=12)
    with pytest.raises(ValueError, match="at or after the training rows"):
        statistical_forecast("auto_ets", y, 180, np.array([179]), horizon=3, season=12)


def test_importing_the_module_does_not_import_statsforecast() -> None:
    code = "import sys, forecaster.model.statistical; assert 'statsforecast' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_a_panel_is_forecast_series_by_series_and_a_failing_series_is_named() -> None:
    first, second = seasonal(60), seasonal(48, seed=1) + 5.0
    targets = np.concatenate([first, second])
    starts = np.array([0, 60, 108])
    origins = np.array([50, 55, 100])  # two windows of series 0, one of series 1
    series = np.array([0, 0, 1])
    panel = series_statistical_forecasts(
        "theta", targets, starts, np.array([50, 40]), origins, series, 4, 12
    )
    alone = statistical_forecast("theta", second, 40, np.array([40]), 4, 12)
    assert panel.shape == (3, 4, 1)
    np.testing.assert_allclose(panel[2], alone[0])
    # series 1 fit on 60 rows of its 48: refused, naming it by position
    with pytest.raises(SeriesFitError) as caught:
        series_statistical_forecasts(
            "theta", targets, starts, np.array([50, 60]), origins, series, 4, 12
        )
    assert caught.value.series == 1
