"""Build the Keras model a spec describes.

Input ``[batch, lookback, num_features]`` (targets are the first ``num_targets``
features), output ``[batch, horizon, num_targets]``, all steps at once.

Only built-in layers and ``keras.ops`` appear in the graph, so ``model.keras`` loads with
plain ``keras.models.load_model`` (safe mode included) and no forecaster code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forecaster.spec import ModelSpec

if TYPE_CHECKING:
    import keras

# Small enough not to flatten a constant window's noise into huge values, large enough
# never to divide by zero.
INSTANCE_EPSILON = 1e-5


def build_model(
    spec: ModelSpec, lookback: int, horizon: int, num_features: int, num_targets: int
) -> keras.Model:
    import keras
    from keras import layers, ops

    inputs = keras.Input(shape=(lookback, num_features), name="history")
    x = inputs
    if spec.normalization == "instance":
        # Each window is standardised by its own mean and spread and the forecast is
        # mapped back with them (RevIN without the learned affine): the network only
        # models the shape of what comes next, so a level shift between training and
        # test periods does not push it out of the range it was trained on.
        mean = ops.mean(inputs, axis=1, keepdims=True)
        std = ops.sqrt(ops.var(inputs, axis=1, keepdims=True) + INSTANCE_EPSILON)
        x = (inputs - mean) / std

    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[spec.cell]
    for depth, units in enumerate(spec.units):
        last = depth == len(spec.units) - 1
        layer = recurrent(
            units,
            return_sequences=not last,
            recurrent_dropout=spec.recurrent_dropout,
            name=f"{spec.cell}_{depth + 1}",
        )
        if spec.bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{depth + 1}")
        x = layer(x)
        if spec.dropout:
            x = layers.Dropout(spec.dropout, name=f"dropout_{depth + 1}")(x)

    x = layers.Dense(horizon * num_targets, name="head")(x)
    outputs = layers.Reshape((horizon, num_targets), name="forecast")(x)
    if spec.normalization == "instance":
        outputs = outputs * std[:, :, :num_targets] + mean[:, :, :num_targets]
    return keras.Model(inputs, outputs, name=f"{spec.cell}_forecaster")


def recurrent_layers(model: keras.Model) -> list[Any]:
    """The LSTM/GRU layers, unwrapped from any Bidirectional wrapper (both directions)."""
    from keras import layers

    found = []
    for layer in model.layers:
        if isinstance(layer, layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, layers.LSTM | layers.GRU):
            found.append(layer)
    return found


def cudnn_eligible(layer: Any) -> bool:
    """Whether TensorFlow can run this layer with the fused cuDNN kernel on a GPU.

    The conditions Keras checks before taking the fast path: default activations, no
    recurrent dropout, not unrolled, with bias, and (GRU) ``reset_after``.
    """
    from keras import activations, layers

    eligible = (
        layer.activation is activations.tanh
        and layer.recurrent_activation is activations.sigmoid
        and layer.recurrent_dropout == 0
        and not layer.unroll
        and layer.use_bias
    )
    if isinstance(layer, layers.GRU):
        eligible = eligible and layer.reset_after
    return bool(eligible)
