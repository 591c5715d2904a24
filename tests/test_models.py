from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from forecaster.models import build_model, cudnn_eligible, recurrent_layers
from forecaster.spec import ModelSpec


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(cell="lstm", units=[6, 4]),
        ModelSpec(cell="gru", units=[5], bidirectional=True, dropout=0.1),
        ModelSpec(cell="gru", units=[4], normalization="none"),
    ],
)
def test_shapes_and_plain_keras_reload(spec: ModelSpec, tmp_path: Path) -> None:
    model = build_model(spec, lookback=12, horizon=3, num_features=4, num_targets=2)
    inputs = np.random.default_rng(0).standard_normal((5, 12, 4)).astype(np.float32)
    assert model.output_shape == (None, 3, 2)
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(reloaded(inputs)), np.asarray(model(inputs)), atol=1e-6)


def test_stacked_layers_and_direction_are_as_specified() -> None:
    model = build_model(ModelSpec(cell="lstm", units=[6, 4], bidirectional=True), 10, 2, 3, 1)
    layers = recurrent_layers(model)
    assert [layer.units for layer in layers] == [6, 6, 4, 4]
    assert all(isinstance(layer, keras.layers.LSTM) for layer in layers)


def test_instance_normalisation_shifts_the_forecast_with_the_input() -> None:
    model = build_model(ModelSpec(units=[4]), lookback=16, horizon=4, num_features=2, num_targets=1)
    inputs = np.random.default_rng(1).standard_normal((3, 16, 2)).astype(np.float32)
    shifted = np.asarray(model(inputs + 50.0))
    np.testing.assert_allclose(shifted, np.asarray(model(inputs)) + 50.0, atol=1e-3)


def test_defaults_keep_the_cudnn_fast_path() -> None:
    model = build_model(ModelSpec(cell="gru", units=[4, 4]), 8, 2, 1, 1)
    assert all(cudnn_eligible(layer) for layer in recurrent_layers(model))
    with pytest.warns(UserWarning, match="cuDNN"):
        slow_spec = ModelSpec(cell="lstm", units=[4], recurrent_dropout=0.2)
    slow = build_model(slow_spec, 8, 2, 1, 1)
    assert not any(cudnn_eligible(layer) for layer in recurrent_layers(slow))
