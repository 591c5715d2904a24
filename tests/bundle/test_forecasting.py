"""Forecaster.predict and predict_windows on a tiny untrained model: shapes, timestamps,
which rows are read, the scaler round trip, and batch against one-by-one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster.bundle.forecasting import Forecaster, predict_windows
from forecaster.errors import InputError
from forecaster.model.network import build_model
from forecaster.spec import ModelSpec, parse_spec
from tests.bundle_helpers import hourly_preprocessing
from tests.conftest import synthetic_frame

LOOKBACK, HORIZON = 12, 4


@pytest.fixture(scope="module")
def forecaster_() -> Forecaster:
    import keras

    keras.utils.set_random_seed(3)
    model = build_model(ModelSpec(units=[4]), LOOKBACK, HORIZON, 2, 1)
    prep = hourly_preprocessing(LOOKBACK, HORIZON, [10.0, 0.0], [2.0, 1.0])
    spec = parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": LOOKBACK, "horizon": HORIZON},
        }
    )
    return Forecaster(model, spec, prep)


def test_forecast_continues_the_time_axis_with_one_column_per_target(
    forecaster_: Forecaster,
) -> None:
    history = synthetic_frame(50)
    forecast = forecaster_.predict(history)
    assert list(forecast.columns) == ["timestamp", "y"]
    expected = pd.date_range("2024-01-03 02:00", periods=HORIZON, freq="h")  # row 49 + 1 h
    assert list(forecast["timestamp"]) == list(expected)
    assert np.isfinite(forecast["y"]).all()


def test_only_the_last_lookback_rows_are_read(forecaster_: Forecaster) -> None:
    history = synthetic_frame(50)
    changed = history.copy()
    changed.loc[: 50 - LOOKBACK - 1, ["y", "x"]] = 1e6  # everything before the window
    pd.testing.assert_frame_equal(forecaster_.predict(history), forecaster_.predict(changed))
    changed.loc[49, "y"] += 5.0  # the last row is read
    assert not forecaster_.predict(history).equals(forecaster_.predict(changed))


def test_the_output_is_unscaled_with_the_targets_parameters(forecaster_: Forecaster) -> None:
    history = synthetic_frame(50)
    prep = forecaster_.preprocessing
    recent = history[["y", "x"]].to_numpy(np.float32)[-LOOKBACK:]
    scaled = forecaster_.model.predict_on_batch(prep.series_scalers[()].transform(recent)[None])[0]
    expected = np.asarray(scaled)[:, 0] * 2.0 + 10.0  # target column's scale and center
    np.testing.assert_allclose(forecaster_.predict(history)["y"], expected, rtol=1e-5)


def test_too_short_a_history_is_a_clear_error(forecaster_: Forecaster) -> None:
    with pytest.raises(InputError, match=f"has 5 rows, the model needs the last {LOOKBACK}"):
        forecaster_.predict(synthetic_frame(5), source="recent.csv")


def test_batched_windows_match_one_forecast_at_a_time(forecaster_: Forecaster) -> None:
    frame = synthetic_frame(60)
    prep = forecaster_.preprocessing
    values = prep.series_scalers[()].transform(frame[["y", "x"]].to_numpy(np.float32))
    origins = np.array([LOOKBACK, 30, 60 - HORIZON])
    batched = predict_windows(forecaster_.model, values, origins, prep, batch_size=2)
    assert batched.shape == (3, HORIZON, 1)  # [windows, horizon, targets]
    for row, origin in enumerate(origins):
        one = forecaster_.model.predict_on_batch(values[origin - LOOKBACK : origin][None])
        np.testing.assert_allclose(batched[row], np.asarray(one)[0], rtol=1e-5, atol=1e-6)
