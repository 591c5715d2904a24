from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import Panel
from forecaster.evaluation import metrics
from forecaster.evaluation.metrics import (
    mae,
    mape,
    mase,
    mase_scale,
    rmse,
    scaled_errors,
    score,
    skill,
    skills,
    smape,
)
from forecaster.evaluation.scoring import per_series_scores, score_forecasts
from forecaster.model.baselines import (
    baseline_forecasts,
    naive_forecast,
    seasonal_naive_forecast,
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
    forecasts = {"model": y_true, **baseline_forecasts(targets, origins, 24, season=24)}
    result = score_forecasts(y_true, forecasts, np.array([1.0]), ["y"])
    assert result["seasonal_naive"]["mae"] == pytest.approx(0.0, abs=1e-12)
    assert result["naive"]["mae"] > 0.5
    assert len(result["model"]["per_step"]["mae"]) == 24
    assert result["skill"]["naive"]["mae"] == pytest.approx(1.0)


def test_skill_is_relative_error_reduction() -> None:
    model = {"mae": 1.0, "rmse": 2.0, "mape": 10.0, "smape": 5.0, "mase": 0.5}
    base = {"mae": 4.0, "rmse": 2.0, "mape": 5.0, "smape": math.nan, "mase": 0.0}
    result = skills(model, base)
    assert result["mae"] == pytest.approx(0.75) and result["rmse"] == 0 and result["mape"] == -1
    assert math.isnan(result["smape"]) and math.isnan(result["mase"])
    assert skill(1.0, 4.0) == pytest.approx(0.75) and skill(5.0, 4.0) == pytest.approx(-0.25)
    assert math.isnan(skill(None, 4.0)) and math.isnan(skill(1.0, math.inf))


def test_scores_per_step_and_per_target_by_hand() -> None:
    # two windows, two steps, two targets; target b's errors are twice target a's
    y_true = np.zeros((2, 2, 2))
    y_pred = np.array([[[1.0, 2.0], [3.0, 6.0]], [[1.0, 2.0], [0.0, 0.0]]])
    result = score(y_true, y_pred, np.array([1.0, 4.0]), ["a", "b"])
    assert result["mae"] == pytest.approx((1 + 2 + 3 + 6 + 1 + 2) / 8)
    assert result["per_step"]["mae"] == pytest.approx([1.5, 9 / 4])
    assert result["per_target"]["a"]["mae"] == pytest.approx(5 / 4)
    assert result["per_target"]["b"]["per_step"]["mae"] == pytest.approx([2.0, 3.0])
    # MASE: each target's MAE over its own scale, then the mean over targets
    assert result["mase"] == pytest.approx((5 / 4 / 1 + 10 / 4 / 4) / 2)
    assert result["per_target"]["b"]["mase"] == pytest.approx(10 / 4 / 4)
    assert math.isnan(result["mape"]) and result["mape_skipped_zeros"] == 8


def test_mape_counts_the_zero_actuals_it_skips() -> None:
    assert score(Y_TRUE, Y_PRED, np.array([1.0]), ["y"])["mape_skipped_zeros"] == 1


def test_mase_with_a_scale_per_window_scales_each_error_by_its_own() -> None:
    # pooled backtest folds: window 0 from a fold with scale 1, window 1 with scale 2
    scale = np.array([1.0, 2.0])[:, None, None]
    expected = np.mean([1 / 1, 0 / 1, 2 / 2, 1 / 2])
    assert mase(Y_TRUE, Y_PRED, scale) == pytest.approx(expected)
    # the same number when both windows share one scale, however it is shaped
    assert mase(Y_TRUE, Y_PRED, np.full((2, 1, 1), 0.5)) == mase(Y_TRUE, Y_PRED, np.array([0.5]))


def test_seasonal_naive_beyond_one_season_repeats_the_last_observed_season() -> None:
    targets = np.arange(30.0)[:, None]
    # season 4, horizon 9, origin 20: rows 16..19 three times over, then 16
    forecast = seasonal_naive_forecast(targets, np.array([20]), horizon=9, season=4)
    np.testing.assert_array_equal(forecast[0, :, 0], [16, 17, 18, 19, 16, 17, 18, 19, 16])


def test_every_forecast_gets_skill_against_both_baselines() -> None:
    y_true = np.ones((1, 2, 1))
    forecasts = {
        "model": np.full((1, 2, 1), 1.5),  # MAE 0.5
        "naive": np.full((1, 2, 1), 3.0),  # MAE 2
        "seasonal_naive": np.zeros((1, 2, 1)),  # MAE 1
    }
    result = score_forecasts(y_true, forecasts, np.array([1.0]), ["y"])
    assert result["skill"]["naive"]["mae"] == pytest.approx(0.75)
    assert result["skill"]["seasonal_naive"]["mae"] == pytest.approx(0.5)


def test_scaled_errors_are_on_the_scalers_scale() -> None:
    spread = np.array([2.0])
    scores = scaled_errors(Y_TRUE, Y_PRED, spread)  # errors 1, 0, -2, 1 over 2
    assert scores["mse"] == pytest.approx((0.25 + 0 + 1 + 0.25) / 4)
    assert scores["mae"] == pytest.approx((0.5 + 0 + 1 + 0.5) / 4)


def _arrays_with_zeros() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[windows, horizon, targets] with zero actuals, and points where both are zero."""
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(2, 50, 6, 2))
    y_true[3, 2, 0] = 0.0
    y_true[4, :, 1] = y_pred[4, :, 1] = 0.0
    return y_true, y_pred, rng.uniform(1, 2, size=(50, 1, 2))


@pytest.mark.parametrize("block", [1, 12 * 7, 1 << 17])  # values: 12 a window
def test_metrics_are_their_formulas_on_the_whole_arrays_to_the_last_digit(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # computed a block of windows at a time, the means are still of the whole arrays
    monkeypatch.setattr(metrics, "BLOCK_VALUES", block)
    y_true, y_pred, scale = _arrays_with_zeros()
    error = y_true - y_pred
    assert mae(y_true, y_pred) == float(np.mean(np.abs(error)))
    assert rmse(y_true, y_pred) == float(np.sqrt(np.mean(np.square(error))))
    nonzero = y_true != 0
    assert mape(y_true, y_pred) == float(100 * np.mean(np.abs(error[nonzero] / y_true[nonzero])))
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(error), denominator, out=np.zeros_like(denominator), where=denominator != 0
    )
    assert smape(y_true, y_pred) == float(100 * np.mean(ratio))
    assert mase(y_true, y_pred, scale) == float(np.mean(np.mean(np.abs(error) / scale, (0, 1))))
    scaled = error / scale
    assert scaled_errors(y_true, y_pred, scale) == {
        "mse": float(np.mean(np.square(scaled))),
        "mae": float(np.mean(np.abs(scaled))),
    }
    assert score(y_true, y_pred, scale, ["a", "b"])["per_step"]["smape"][2] == smape(
        y_true[:, [2]], y_pred[:, [2]]
    )


def test_per_series_scores_are_the_same_by_blocks_of_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    y_true, y_pred, scale = _arrays_with_zeros()
    series = np.repeat(np.arange(5), 10)
    frame = pd.DataFrame({"y": np.zeros(50)}, index=pd.date_range("2024-01-01", periods=50))
    ids = pd.DataFrame({"store": [f"s{k}" for k in range(5)]})
    panel = Panel.of_frame(frame, np.arange(0, 51, 10), ids, pd.DataFrame(index=range(5)))
    whole = per_series_scores(y_true, {"model": y_pred}, series, scale, panel)
    monkeypatch.setattr(metrics, "BLOCK_VALUES", 12 * 3)  # 3 windows
    pd.testing.assert_frame_equal(
        per_series_scores(y_true, {"model": y_pred}, series, scale, panel), whole, rtol=0, atol=0
    )
    first = slice(0, 10)  # series 0 by the formula: its windows' mean |error|, averaged
    per_window = np.abs(y_true[first] - y_pred[first]).reshape(10, -1).mean(axis=1)
    assert whole["model_mae"][0] == sum(per_window.tolist()) / 10


def test_baselines_read_when_used_are_the_held_ones() -> None:
    targets = (np.arange(40, dtype=np.float32) * 1.1)[:, None]  # long data hold float32
    origins = np.array([12, 13, 30])
    lazy = baseline_forecasts(targets, origins, horizon=5, season=4)
    naive = naive_forecast(targets, origins, horizon=5)
    seasonal = seasonal_naive_forecast(targets, origins, horizon=5, season=4)
    np.testing.assert_array_equal(np.asarray(lazy["naive"]), naive)
    np.testing.assert_array_equal(np.asarray(lazy["seasonal_naive"]), seasonal)
    with pytest.raises(ValueError, match="seasonal naive needs 4 rows"):
        baseline_forecasts(targets, np.array([2]), horizon=5, season=4)
