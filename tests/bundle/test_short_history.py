"""Forecasting from a history shorter than the lookback: padded as in training with
``window.pad``, refused without it."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster.bundle.forecasting import Forecaster
from forecaster.errors import InputError
from forecaster.model.network import build_model
from forecaster.spec import ModelSpec, parse_spec
from tests.bundle_helpers import hourly_preprocessing
from tests.conftest import synthetic_frame

LOOKBACK, HORIZON = 12, 4


def tiny_forecaster(pad: bool) -> Forecaster:
    import keras

    keras.utils.set_random_seed(3)
    # y and x, and with pad the observed-row column
    model = build_model(ModelSpec(units=[4]), LOOKBACK, HORIZON, 2 + pad, 1, padded=pad)
    prep = hourly_preprocessing(LOOKBACK, HORIZON, [10.0, 0.0], [2.0, 1.0], pad=pad)
    spec = parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": LOOKBACK, "horizon": HORIZON, "pad": pad},
        }
    )
    return Forecaster(model, spec, prep)


def test_a_short_history_is_padded_to_the_lookback_with_pad() -> None:
    forecaster = tiny_forecaster(pad=True)
    history = synthetic_frame(5)
    forecast = forecaster.predict(history)
    assert len(forecast) == HORIZON and np.isfinite(forecast["y"]).all()
    scaled = forecaster.preprocessing.series_scalers[()].transform(
        history[["y", "x"]].to_numpy(np.float64)
    )
    window = np.zeros((1, LOOKBACK, 3), np.float32)  # 7 padded rows: 0, observed-row 0
    window[0, -5:, :2], window[0, -5:, 2] = scaled, 1.0
    expected = np.asarray(forecaster.model.predict_on_batch(window))[0, :, 0] * 2.0 + 10.0
    np.testing.assert_allclose(forecast["y"], expected, rtol=1e-5)
    # a history of the lookback or more is read as without pad, its last rows observed
    full = synthetic_frame(50)
    window = np.ones((1, LOOKBACK, 3), np.float32)
    window[0, :, :2] = forecaster.preprocessing.series_scalers[()].transform(
        full[["y", "x"]].to_numpy(np.float64)[-LOOKBACK:]
    )
    expected = np.asarray(forecaster.model.predict_on_batch(window))[0, :, 0] * 2.0 + 10.0
    np.testing.assert_allclose(forecaster.predict(full)["y"], expected, rtol=1e-5)


def test_a_short_history_is_refused_without_pad_naming_it() -> None:
    with pytest.raises(InputError, match="has 5 rows, the model needs the last 12") as caught:
        tiny_forecaster(pad=False).predict(synthetic_frame(5), source="recent.csv")
    assert "window.pad: true" in str(caught.value) and "\n" not in str(caught.value)
