from __future__ import annotations

import math

import numpy as np
import pytest

from forecaster.evaluate import (
    evaluate_forecasts,
    mae,
    mape,
    mase,
    mase_scale,
    naive_forecast,
    rmse,
    seasonal_naive_forecast,
    skill,
    smape,
    to_json_ready,
)

# two windows, two steps, one target
Y_TRUE = np.array([[[1.0], [2.0]], [[4.0], [0.0]]])
Y_PRED = np.array([[[2.0], [2.0]], [[2.0], [1.0]]])  # errors 1, 0, -2, 1


def test_hand_computed_metrics() -> None:
    assert mae(Y_TRUE, Y_PRED) == pytest.approx(1.0)
    assert rmse(Y_TRUE, Y_PRED) == pytest.approx(math.sqrt(6 / 4))
    # the zero actual is skipped: (1/1 + 0/2 + 2/4) / 3
    assert mape(Y_TRUE, Y_PRED) == pytest.approx(100 * 1.5 / 3)
    # 2|e| / (|y| + |f|): 2/3, 0, 4/6, 2/1
    assert smape(Y_TRUE, Y_PRED) == pytest.approx(100 * (2 / 3 + 0 + 4 / 6 + 2) / 4)
    assert mase(Y_TRUE, Y_PRED, np.array([0.5])) == pytest.approx(2.0)


def test_mape_is_nan_when_every_actual_is_zero() -> None:
    assert math.isnan(mape(np.zeros((1, 2, 1)), np.ones((1, 2, 1))))


def test_mase_scale_is_in_sample_seasonal_naive_mae() -> None:
    train = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 7.0])[:, None]
    # season 2: |2-1|, |4-3|, |3-2|, |7-4| -> mean 1.5
    np.testing.assert_allclose(mase_scale(train, season=2), [1.5])
    # too short for two seasons: lag 1
    np.testing.assert_allclose(mase_scale(train, season=3), [np.mean([2, 1, 2, 1, 4])])


def test_naive_repeats_the_last_observed_value() -> None:
    targets = np.arange(10.0)[:, None]
    forecast = naive_forecast(targets, np.array([4, 7]), horizon=3)
    np.testing.assert_array_equal(forecast[..., 0], [[3, 3, 3], [6, 6, 6]])


def test_seasonal_naive_takes_the_value_one_season_earlier() -> None:
    targets = np.arange(20.0)[:, None]
    # season 3, origin 10: steps 0, 1, 2 read rows 7, 8, 9; steps 3, 4 read rows 7, 8 again
    forecast = seasonal_naive_forecast(targets, np.array([10]), horizon=5, season=3)
    np.testing.assert_array_equal(forecast[0, :, 0], [7, 8, 9, 7, 8])


def test_seasonal_naive_forecasts_a_pure_daily_sine_perfectly() -> None:
    hours = np.arange(24 * 20)
    targets = np.sin(2 * np.pi * hours / 24)[:, None]
    origins = np.arange(24 * 10, 24 * 19)
    y_true = np.stack([targets[t : t + 24] for t in origins])
    result = evaluate_forecasts(y_true, y_true, targets, origins, 24, np.array([1.0]), ["y"])
    assert result["seasonal_naive"]["mae"] == pytest.approx(0.0, abs=1e-12)
    assert result["naive"]["mae"] > 0.5
    assert len(result["model"]["per_step"]["mae"]) == 24
    assert result["skill"]["naive"]["mae"] == pytest.approx(1.0)


def test_skill_is_relative_error_reduction() -> None:
    model = {"mae": 1.0, "rmse": 2.0, "mape": 10.0, "smape": 5.0, "mase": 0.5}
    base = {"mae": 4.0, "rmse": 2.0, "mape": 5.0, "smape": math.nan, "mase": 0.0}
    result = skill(model, base)
    assert result["mae"] == pytest.approx(0.75) and result["rmse"] == 0 and result["mape"] == -1
    assert math.isnan(result["smape"]) and math.isnan(result["mase"])


def test_json_ready_replaces_nan() -> None:
    assert to_json_ready({"a": [math.nan, np.float32(1.5)], "b": np.int64(2)}) == {
        "a": [None, 1.5],
        "b": 2,
    }


def test_scaled_errors_are_on_the_scalers_scale() -> None:
    from forecaster.evaluate import scaled_errors

    spread = np.array([2.0])
    scores = scaled_errors(Y_TRUE, Y_PRED, spread)  # errors 1, 0, -2, 1 over 2
    assert scores["mse"] == pytest.approx((0.25 + 0 + 1 + 0.25) / 4)
    assert scores["mae"] == pytest.approx((0.5 + 0 + 1 + 0.5) / 4)
