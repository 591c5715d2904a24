from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from forecaster.model.network import build_model, cudnn_eligible, recurrent_layers
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


SEGMENT_RNN = {"channel_independent": True, "segment_length": 4, "decoder": "segments"}


@pytest.mark.parametrize(
    "options",
    [
        SEGMENT_RNN,
        {**SEGMENT_RNN, "normalization": "last", "dropout": 0.2},
        {**SEGMENT_RNN, "cell": "lstm", "segment_length": 3},
        {"channel_independent": True, "segment_length": 4},
        {"channel_independent": True, "bidirectional": True},
        {"segment_length": 6, "decoder": "segments"},
        {**SEGMENT_RNN, "decoder_embedding_init": "normal"},
    ],
)
def test_model_options_reload_with_plain_keras(options: dict, tmp_path: Path) -> None:
    model = build_model(ModelSpec(units=[6], **options), 12, 7, num_features=3, num_targets=3)
    inputs = np.random.default_rng(2).standard_normal((4, 12, 3)).astype(np.float32)
    assert model.output_shape == (None, 7, 3)  # a horizon not divisible by the segments
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(reloaded(inputs)), np.asarray(model(inputs)), atol=1e-6)


@pytest.mark.parametrize("normalization", ["instance", "last"])
def test_window_normalisation_moves_the_forecast_with_a_level_shift(normalization: str) -> None:
    spec = ModelSpec(units=[4], normalization=normalization, **SEGMENT_RNN)
    model = build_model(spec, 8, 4, 2, 2)
    inputs = np.random.default_rng(3).standard_normal((3, 8, 2)).astype(np.float32)
    shifted = np.asarray(model(inputs + 50.0))
    np.testing.assert_allclose(shifted, np.asarray(model(inputs)) + 50.0, atol=1e-3)


@pytest.mark.parametrize("options", [SEGMENT_RNN, {"channel_independent": True}])
def test_independent_channels_see_only_their_own_history(options: dict) -> None:
    model = build_model(ModelSpec(units=[4], **options), 8, 5, 3, 3)
    inputs = np.random.default_rng(4).standard_normal((2, 8, 3)).astype(np.float32)
    changed = inputs.copy()
    changed[:, :, 1] += np.linspace(0, 3, 8, dtype=np.float32)
    before, after = np.asarray(model(inputs)), np.asarray(model(changed))
    assert before.shape == (2, 5, 3)
    np.testing.assert_allclose(after[:, :, [0, 2]], before[:, :, [0, 2]], atol=1e-6)
    assert not np.allclose(after[:, :, 1], before[:, :, 1])


def test_segments_are_the_recurrent_steps() -> None:
    model = build_model(ModelSpec(units=[4], segment_length=4), 12, 2, 3, 1)
    assert model.get_layer("segments").output.shape == (None, 3, 12)  # 12 / 4 steps of 4 x 3
    assert model.output_shape == (None, 2, 1)


def test_inconsistent_sizes_are_refused_when_built_directly() -> None:
    with pytest.raises(ValueError, match="does not divide"):
        build_model(ModelSpec(segment_length=5), 12, 2, 1, 1)
    with pytest.raises(ValueError, match="every input column"):
        build_model(ModelSpec(channel_independent=True), 12, 2, 3, 1)


def test_the_decoder_embeddings_start_as_large_as_segrnns_when_asked() -> None:
    def tables(init: str) -> np.ndarray:
        keras.utils.set_random_seed(0)
        spec = ModelSpec(units=[64], **SEGMENT_RNN, decoder_embedding_init=init)
        model = build_model(spec, 12, 8, num_features=3, num_targets=3)
        return np.concatenate(
            [
                np.ravel(model.get_layer(name).get_weights()[0])
                for name in ("position_embedding", "channel_embedding")
            ]
        )

    glorot, normal = tables("glorot"), tables("normal")
    # 2 segments x 32 position dims and 3 columns x 32 channel dims, fan-in 1
    assert len(glorot) == len(normal) == 2 * 32 + 3 * 32
    assert np.abs(glorot).max() <= np.sqrt(6 / (1 + 2 * 32))  # the position table: widest
    assert 0.8 < np.std(normal) < 1.2
