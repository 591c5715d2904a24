"""Conformal intervals: widths from validation errors, coverage and the interval scores."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster.evaluation.calibration import add_intervals
from forecaster.evaluation.intervals import (
    conformal_quantile,
    interval_bounds,
    interval_scores,
    rolling_widths,
)
from forecaster.evaluation.scoring import PeriodForecasts


def test_widths_are_the_conformal_quantile_of_scaled_absolute_errors() -> None:
    # 9 windows, errors 1..9 on a scale of 2: scores 0.5..4.5; level 80: rank ceil(10 * 0.8) = 8
    scores = np.arange(1.0, 10.0)[:, None, None] / 2.0
    assert conformal_quantile(scores, 80)[0, 0] == pytest.approx(4.0)
    assert np.isinf(conformal_quantile(scores, 95)[0, 0])  # rank 10 of 9: too few windows


def test_gaussian_errors_give_the_gaussian_quantiles_and_nominal_coverage() -> None:
    rng = np.random.default_rng(0)
    val = np.abs(rng.normal(0, 3.0, size=(4000, 4, 2))) / 3.0
    widths = {level: conformal_quantile(val, level) for level in (80, 95)}
    assert widths[80] == pytest.approx(np.full((4, 2), 1.2816), abs=0.06)
    assert widths[95] == pytest.approx(np.full((4, 2), 1.96), abs=0.1)
    actual = rng.normal(0, 3.0, size=(4000, 4, 2))
    forecast = np.zeros_like(actual)
    for level, (lower, upper) in interval_bounds(forecast, widths, np.array([3.0])).items():
        scores = interval_scores(actual, lower, upper, level, np.ones(1))
        assert scores["coverage"] == pytest.approx(level / 100, abs=0.02)
        assert all(abs(c - level / 100) < 0.03 for c in scores["coverage_per_step"])


def test_interval_scores_by_hand() -> None:
    actual = np.array([[[0.0], [5.0], [-3.0]]])  # one window, three steps
    lower, upper = np.full_like(actual, -1.0), np.full_like(actual, 1.0)
    scores = interval_scores(actual, lower, upper, 80, np.array([2.0]))
    assert scores["coverage"] == pytest.approx(1 / 3)
    assert scores["width"] == pytest.approx(2.0)
    # alpha 0.2: penalties 2 / 0.2 x (5 - 1) = 40 and 10 x (-1 - -3) = 20
    assert scores["winkler"] == pytest.approx((2 + 42 + 22) / 3)
    assert scores["msis"] == pytest.approx((2 + 42 + 22) / 3 / 2)


def test_each_forecast_is_calibrated_on_its_own_validation_errors() -> None:
    rng = np.random.default_rng(1)

    def period(noise: float) -> PeriodForecasts:
        actual = rng.normal(0, 1, size=(500, 3, 1))
        forecasts = {"model": actual + rng.normal(0, noise, actual.shape), "naive": actual * 0}
        ones = np.ones((500, 1, 1))
        return PeriodForecasts(
            np.arange(500), actual, forecasts, {}, window_scale=ones, target_scale=ones
        )

    widths, scored = add_intervals({"val": period(0.5), "test": period(0.5)}, [80])
    assert widths is not None and widths[80].mean() == pytest.approx(0.64, abs=0.06)
    metrics = scored["test"].metrics["intervals"]["80"]
    assert metrics["model"]["coverage"] == pytest.approx(0.8, abs=0.05)
    assert metrics["naive"]["coverage"] == pytest.approx(0.8, abs=0.05)  # its own, wider
    assert metrics["naive"]["width"] > 1.5 * metrics["model"]["width"]
    assert metrics["model"]["winkler"] < metrics["naive"]["winkler"]
    lower, upper = scored["test"].intervals["model"][80]
    assert (upper - lower).shape == (500, 3, 1)


def test_a_bundles_calibration_scores_new_data_without_validation_windows() -> None:
    actual = np.zeros((4, 2, 1))
    forecasts = {"model": actual + np.array([0.5, 3.0])[None, :, None], "naive": actual}
    ones = np.ones((4, 1, 1))
    test = PeriodForecasts(
        np.arange(4), actual, forecasts, {}, window_scale=ones, target_scale=ones
    )
    widths = {80: np.array([[1.0], [1.0]])}
    _, scored = add_intervals({"test": test}, [80], model_widths=widths)
    metrics = scored["test"].metrics["intervals"]["80"]
    assert list(metrics) == ["model"]  # no validation windows: no baseline calibration
    assert metrics["model"]["coverage_per_step"] == [1.0, 0.0]


def test_rolling_calibration_reads_only_known_errors_and_follows_drift() -> None:
    # scores 1, 2, ..., 20 known at times 1..20; windows at origins 10 and 20, 5 recent
    scores = np.arange(1.0, 21.0)[:, None, None]
    known_at = np.arange(1, 21)
    widths = rolling_widths(scores, known_at, np.array([10, 20, 20]), 50, count=5)
    # origin 10: errors 6..10 are the latest known; rank ceil(6 x 0.5) = 3 -> 8
    assert widths[:, 0, 0].tolist() == [8.0, 18.0, 18.0]
    # an error known only after the origin never counts
    late = rolling_widths(scores, known_at + 100, np.array([10]), 50, count=5)
    assert np.isinf(late[0, 0, 0])
