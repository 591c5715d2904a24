"""What a period holds once scored: the model's output, with its forecasts, the actual
values and the baselines computed from it and the rows when used."""

from __future__ import annotations

import numpy as np

from forecaster.evaluation.scoring import ModelForecasts, PeriodForecasts, unscale
from forecaster.model.baselines import baseline_forecasts
from forecaster.model.windows import WindowValues


def test_model_forecasts_are_the_unscaled_output_with_the_fallbacks_steps() -> None:
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(60, 1)).astype(np.float32)
    origins = np.arange(30, 40)
    output = rng.normal(size=(10, 4, 1)).astype(np.float32)  # as the network gives it
    spread, center = rng.uniform(1, 3, size=(2, 10, 1, 1))
    baselines = baseline_forecasts(targets, origins, horizon=4, season=3)
    fallback = {1: baselines["naive"], 3: baselines["seasonal_naive"]}
    lazy = ModelForecasts(output, spread, center, fallback)
    # what scoring held before: the unscaled float64 output, then with_fallback's steps
    held = unscale(output.astype(np.float64), spread, center)
    held[:, 1] = np.asarray(baselines["naive"])[:, 1]
    held[:, 3] = np.asarray(baselines["seasonal_naive"])[:, 3]
    assert lazy.shape == held.shape
    np.testing.assert_array_equal(np.asarray(lazy), held)
    np.testing.assert_array_equal(lazy[2:5, 3], held[2:5, 3])
    np.testing.assert_array_equal(lazy[origins > 35], held[origins > 35])


def test_held_periods_keep_arrays_of_their_own() -> None:
    targets = np.arange(20.0)[:, None]
    origins = np.array([10, 11])
    actual = WindowValues(targets, origins, np.arange(3))
    scored = PeriodForecasts(origins, actual, baseline_forecasts(targets, origins, 3, 2), {})
    held = scored.held()
    assert isinstance(held.actual, np.ndarray)
    assert all(isinstance(values, np.ndarray) for values in held.forecasts.values())
    np.testing.assert_array_equal(held.actual[:, :, 0], [[10, 11, 12], [11, 12, 13]])
    np.testing.assert_array_equal(held.forecasts["naive"][:, :, 0], [[9, 9, 9], [10, 10, 10]])


def test_model_forecasts_put_a_transform_and_a_season_back_for_any_windows_and_steps() -> None:
    """Read a few windows and steps at a time, the forecasts of a log-transformed,
    deseasonalised target are what inverting every window at once gives."""
    from forecaster.model.targets import TargetFit

    rng = np.random.default_rng(4)
    windows, horizon = 6, 5
    fit = TargetFit(
        "log",
        np.zeros((2, 1)),
        "classical_additive",
        seasonal=rng.normal(0.0, 0.1, (2, 4, 1)),  # [series, period, targets]
        offsets=np.array([1, 3]),
    )
    output = rng.normal(size=(windows, horizon, 1)).astype(np.float32)
    spread, center = np.full((windows, 1, 1), 0.5), np.full((windows, 1, 1), 2.0)
    series, local = np.array([0, 0, 1, 1, 0, 1]), np.array([7, 8, 3, 9, 11, 4])
    lazy = ModelForecasts(output, spread, center, {}, fit, series, local)
    whole = fit.inverse(unscale(output.astype(np.float64), spread, center), series, local)
    np.testing.assert_allclose(np.asarray(lazy), whole)
    np.testing.assert_allclose(lazy[[1, 4], 2:4], whole[[1, 4], 2:4])
    np.testing.assert_allclose(lazy[3, 4], whole[3, 4])
    # the seasonal index of step 2 of window 2 (series 1, local row 5, offset 3): position 0
    expected = np.exp(2.0 + 0.5 * output[2, 2, 0] + fit.seasonal[1, 0, 0])
    np.testing.assert_allclose(lazy[2, 2, 0], expected)
