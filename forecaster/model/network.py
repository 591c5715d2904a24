"""Build the Keras model a spec describes.

Input ``[batch, lookback, num_features]`` (targets are the first ``num_targets``
features), output ``[batch, horizon, num_targets]``, all steps at once. Around the
LSTM/GRU core the spec may add per-window normalisation, channel independence, segment
input and a segment-wise decoder (see ``ModelSpec`` and the README).

Only built-in layers and ``keras.ops`` appear in the graph, so ``model.keras`` loads with
plain ``keras.models.load_model`` (safe mode included) and no forecaster code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from forecaster.spec import ModelSpec

if TYPE_CHECKING:
    import keras

# Small enough not to flatten a constant window's noise into huge values, large enough
# never to divide by zero.
INSTANCE_EPSILON = 1e-5


def build_model(
    spec: ModelSpec,
    lookback: int,
    horizon: int,
    num_features: int,
    num_targets: int,
    static_sizes: Sequence[int] = (),
    quantiles: Sequence[float] = (),
    num_known: int = 0,
    padded: bool = False,
) -> keras.Model:
    """The spec's network: optional per-window normalisation, optional channel
    independence and segment input around the LSTM/GRU core, then a dense or a
    segment-wise decoder.

    The last ``len(static_sizes)`` of the ``num_features`` input columns are static
    covariates (the same at every step): a category code (``static_sizes[j]`` codes) is
    embedded, a number (size 0) passed on; both join every step's inputs after the
    normalisation, which sees only the other columns.

    The ``num_known`` columns before the static ones are known in advance (future
    covariates, calendar, holidays): they join every step's inputs after the
    normalisation, and the model takes a second input ``future`` ``[batch, horizon,
    num_known]`` with their values over the horizon (see ``_known_effect``).

    ``padded`` (``window.pad``): the column after the known ones (before the static ones)
    is 1 on observed rows and 0 on padded ones; the normalisation reads the observed rows
    alone, padded rows are 0 after it whatever they held, and the column joins every
    step's inputs.

    With ``quantiles`` the output is ``[batch, horizon, targets, quantiles]``: a quantile
    head whose quantiles cannot cross (see ``_ordered_quantiles``); else
    ``[batch, horizon, targets]``.
    """
    import keras
    from keras import layers, ops

    segment = spec.segment_length
    if segment is not None and lookback % segment:
        raise ValueError(f"segment_length {segment} does not divide lookback {lookback}")
    if spec.channel_independent and num_features != num_targets:
        raise ValueError("channel_independent needs every input column to be a target")

    inputs = keras.Input(shape=(lookback, num_features), name="history")
    future = keras.Input(shape=(horizon, num_known), name="future") if num_known else None
    num_dynamic = num_features - len(static_sizes)
    num_observed = num_dynamic - num_known - int(padded)
    # [B, L, F]: the observed columns (targets, past covariates)
    dynamic = inputs[:, :, :num_observed] if num_observed < num_features else inputs
    x = dynamic
    # [B, L, 1]: 1 on observed rows; a window without padding is observed throughout
    observed = inputs[:, :, num_dynamic - 1 : num_dynamic] if padded else None
    if spec.normalization == "instance":
        # Each window is standardised by its own mean and spread and the forecast is
        # mapped back with them (RevIN without the learned affine): the network only
        # models the shape of what comes next, so a level shift between training and
        # test periods does not push it out of the range it was trained on.
        if observed is None:
            level = ops.mean(dynamic, axis=1, keepdims=True)
            spread = ops.sqrt(ops.var(dynamic, axis=1, keepdims=True) + INSTANCE_EPSILON)
            x = (dynamic - level) / spread
        else:  # over the observed rows alone
            count = ops.sum(observed, axis=1, keepdims=True)  # [B, 1, 1]
            level = ops.sum(dynamic * observed, axis=1, keepdims=True) / count
            deviation = (dynamic - level) * observed
            variance = ops.sum(deviation * deviation, axis=1, keepdims=True) / count
            spread = ops.sqrt(variance + INSTANCE_EPSILON)
            x = deviation / spread
    elif spec.normalization == "last":
        # The same idea with the last observed value as the level and no rescaling
        # (as SegRNN does without RevIN): forecasts are moves away from where the
        # window ends, and the freshest observation is never averaged away.
        level = dynamic[:, -1:, :]
        x = dynamic - level
    if observed is not None:  # whatever a padded row holds never reaches the core
        x = x * observed
    if num_observed < num_dynamic:
        # known inputs (and the observed-row column) join as they are: a window's own
        # level and spread must not move the hour of day or a holiday flag.
        # [B, L, F] + [B, L, K] -> [B, L, F + K]
        x = ops.concatenate([x, inputs[:, :, num_observed:num_dynamic]], axis=-1)
    if static_sizes:
        static = _static_inputs(inputs[:, 0, num_dynamic:], static_sizes, layers, ops)
        # [B, E] -> [B, L, E], joined to every step: [B, L, F] + [B, L, E] -> [B, L, F + E]
        x = ops.concatenate([x, ops.repeat(static[:, None, :], lookback, axis=1)], axis=-1)
        num_features = num_dynamic + int(static.shape[-1])

    # Channel independence: every column is its own univariate sequence through the
    # same weights, so the batch becomes batch x columns sequences of one feature.
    channels = num_features if spec.channel_independent else 1
    features = 1 if spec.channel_independent else num_features
    if spec.channel_independent:
        x = layers.Permute((2, 1), name="columns_first")(x)
        x = ops.reshape(x, (-1, lookback, 1))

    steps = lookback
    if segment is not None:
        # Segments of the lookback, each embedded by one dense layer, are the RNN's
        # steps: lookback / segment steps instead of lookback, so long windows stay cheap
        # and each step sees a whole local pattern.
        steps = lookback // segment
        x = layers.Reshape((steps, segment * features), name="segments")(x)
        x = layers.Dense(spec.units[0], activation="relu", name="segment_embedding")(x)

    outputs_per_sequence = 1 if spec.channel_independent else num_targets
    if spec.decoder == "segments":
        forecast, context = _segment_decoder(
            spec, x, inputs, horizon, channels, outputs_per_sequence, layers, ops
        )
        if future is not None:
            forecast = forecast + _known_effect(context, future, num_targets, layers, ops)
    elif quantiles:
        context = _recurrent_stack(spec, x, layers)
        x = layers.Dense(horizon * num_targets * len(quantiles), name="head")(context)
        raw = layers.Reshape((horizon, num_targets, len(quantiles)), name="quantile_head")(x)
        if future is not None:
            effect = _known_effect(context, future, num_targets * len(quantiles), layers, ops)
            raw = raw + ops.reshape(effect, (-1, horizon, num_targets, len(quantiles)))
        forecast = _ordered_quantiles(raw, quantiles, ops)  # [B, H, T, Q]
    else:
        context = _recurrent_stack(spec, x, layers)
        x = layers.Dense(horizon * outputs_per_sequence, name="head")(context)
        forecast = layers.Reshape((horizon, outputs_per_sequence), name="forecast")(x)
        if future is not None:
            forecast = forecast + _known_effect(context, future, num_targets, layers, ops)

    if spec.channel_independent:
        # [batch x columns, horizon, 1] back to [batch, horizon, columns]
        forecast = ops.reshape(forecast, (-1, channels, horizon))
        forecast = layers.Permute((2, 1), name="columns_last")(forecast)
    if quantiles:  # every quantile mapped back alike: [B, 1, T] -> [B, 1, T, 1]
        level, spread = (
            (level[..., None] if spec.normalization != "none" else None),
            (spread[..., None] if spec.normalization == "instance" else None),
        )
    if spec.normalization == "instance":
        forecast = forecast * spread[:, :, :num_targets] + level[:, :, :num_targets]
    elif spec.normalization == "last":
        forecast = forecast + level[:, :, :num_targets]
    model_inputs = inputs if future is None else [inputs, future]
    return keras.Model(model_inputs, forecast, name=f"{spec.cell}_forecaster")


def _known_effect(context: Any, future: Any, outputs: int, layers: Any, ops: Any) -> Any:
    """What the known inputs of each horizon step add to that step's forecast (in the
    window's normalised units): one small network shared by every step, reading the
    step's known inputs beside the encoder's summary of the history, so a holiday can
    lower a busy hour more than a quiet one. ``context`` ``[B, U]`` and ``future``
    ``[B, H, K]`` give ``[B, H, outputs]``."""
    horizon = int(future.shape[1])
    # [B, U] -> [B, H, U], beside [B, H, K] -> [B, H, U + K]
    steps = ops.concatenate([ops.repeat(context[:, None, :], horizon, axis=1), future], axis=-1)
    hidden = layers.Dense(int(context.shape[-1]), activation="relu", name="known_hidden")(steps)
    return layers.Dense(outputs, name="known_head")(hidden)


def _ordered_quantiles(raw: Any, quantiles: Sequence[float], ops: Any) -> Any:
    """Quantiles that never cross, by construction: the median is free, each quantile
    above it adds a positive step (softplus) to the one below, each below subtracts one
    from the one above. ``raw`` and the result are ``[B, H, T, Q]``, ``quantiles`` sorted
    with 0.5 among them."""
    middle = list(quantiles).index(0.5)
    median = raw[..., middle : middle + 1]
    parts = [median]
    if middle + 1 < len(quantiles):
        steps = ops.softplus(raw[..., middle + 1 :])
        parts.append(median + ops.cumsum(steps, axis=-1))
    if middle > 0:
        steps = ops.flip(ops.softplus(raw[..., :middle]), axis=-1)  # nearest the median first
        parts.insert(0, median - ops.flip(ops.cumsum(steps, axis=-1), axis=-1))
    return ops.concatenate(parts, axis=-1) if len(parts) > 1 else median


def pinball_loss(quantiles: Sequence[float]) -> Any:
    """The mean pinball (quantile) loss over ``quantiles`` of a ``[B, H, T, Q]`` forecast
    against ``[B, H, T]`` targets: its minimum is at the true quantiles."""
    from keras import ops

    levels = ops.convert_to_tensor(list(quantiles), dtype="float32")

    def loss(y_true: Any, y_pred: Any) -> Any:
        if len(y_true.shape) < len(y_pred.shape):
            y_true = y_true[..., None]
        error = y_true - y_pred  # [B, H, T, Q]
        return ops.mean(ops.maximum(levels * error, (levels - 1) * error), axis=(-2, -1))

    return loss


# a window whose actual and forecast are both this close to zero (in units of its
# series' scale) counts as perfect in sMAPE, as the metric counts both exactly zero
SMAPE_EPSILON = 1e-6


def mase_loss(num_targets: int) -> Any:
    """MASE as a training loss: the absolute error of each target over its series'
    in-sample seasonal-naive MAE. The targets come with one extra channel per target,
    ``[B, H, 2T]``: the actual values, then the inverse of that scale (on the model's
    scale, the same at every step); the forecast is ``[B, H, T]``."""
    from keras import ops

    def mase(y_true: Any, y_pred: Any) -> Any:
        actual, inverse_scale = y_true[..., :num_targets], y_true[..., num_targets:]
        return ops.mean(ops.abs(actual - y_pred) * inverse_scale, axis=-1)

    return mase


def smape_loss(num_targets: int) -> Any:
    """sMAPE as a training loss, in percent (0-200), on the original scale: the targets
    come with one extra channel per target, ``[B, H, 2T]``, the actual values then the
    series' ``center / scale``. Scaled values plus that offset are the original values
    over the (positive) scale, which sMAPE does not see; the forecast is ``[B, H, T]``."""
    from keras import ops

    def smape(y_true: Any, y_pred: Any) -> Any:
        offset = y_true[..., num_targets:]
        actual, forecast = y_true[..., :num_targets] + offset, y_pred + offset
        denominator = ops.maximum(ops.abs(actual) + ops.abs(forecast), SMAPE_EPSILON)
        return ops.mean(200.0 * ops.abs(actual - forecast) / denominator, axis=-1)

    return smape


def _static_inputs(codes: Any, sizes: Sequence[int], layers: Any, ops: Any) -> Any:
    """``[B, S]`` static columns to ``[B, E]``: each category embedded, numbers as they are."""
    parts = []
    for j, size in enumerate(sizes):
        column = codes[:, j]  # [B]
        if size:
            width = min(16, max(2, round(size**0.5)))
            embedding = layers.Embedding(size, width, name=f"static_embedding_{j + 1}")
            parts.append(embedding(ops.cast(column, "int32")))  # [B, width]
        else:
            parts.append(column[:, None])  # [B, 1]
    return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)


def _recurrent_stack(spec: ModelSpec, x: Any, layers: Any) -> Any:
    """The stacked LSTM/GRU layers; the last returns its final output only."""
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
    return x


def _segment_decoder(
    spec: ModelSpec,
    x: Any,
    inputs: Any,
    horizon: int,
    channels: int,
    outputs_per_sequence: int,
    layers: Any,
    ops: Any,
) -> Any:
    """Segment-wise parallel decoding (SegRNN's PMF): every output segment is one step of
    the encoder's own recurrent layer, started from the encoder's final state, with a
    learned position embedding (plus a channel embedding when channels are independent)
    as input; a dense layer turns each step's output into that segment's values.

    All segments decode at once and independently, so errors do not accumulate over the
    horizon as in step-by-step decoding. Returns ``[sequences, horizon, outputs]`` and the
    encoder's final output ``[sequences, units]``.
    """
    import keras

    units, segment = spec.units[0], spec.segment_length
    assert segment is not None
    num_segments = -(-horizon // segment)
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[spec.cell]
    rnn = recurrent(
        units,
        return_state=True,
        recurrent_dropout=spec.recurrent_dropout,
        name=f"{spec.cell}_1",
    )
    _, *states = rnn(x)

    # A dense layer without bias on a constant 1 is a learned table that broadcasts
    # over the batch: built-in layers only, so the saved model needs no custom code.
    channel_dims = units // 2 if channels > 1 else 0
    position_dims = units - channel_dims
    ones = ops.ones_like(states[0][:, :1])
    # glorot on a table of fan-in 1 starts every entry near 0 (about 0.1 for 256 units);
    # SegRNN draws its tables from N(0, 1), inputs as large as the encoder's
    initializer = (
        "glorot_uniform"
        if spec.decoder_embedding_init == "glorot"
        else keras.initializers.RandomNormal(stddev=1.0)
    )
    positions = layers.Dense(
        num_segments * position_dims,
        use_bias=False,
        kernel_initializer=initializer,
        name="position_embedding",
    )(ones)
    decoder_inputs = ops.reshape(positions, (-1, num_segments, position_dims))
    if channel_dims:
        # sequences are ordered window-major, column-minor: one row per column per window
        table = layers.Dense(
            channels * channel_dims,
            use_bias=False,
            kernel_initializer=initializer,
            name="channel_embedding",
        )(ops.ones_like(inputs[:, 0, :1]))
        column = ops.reshape(table, (-1, 1, channel_dims))
        decoder_inputs = ops.concatenate(
            [decoder_inputs, ops.repeat(column, num_segments, axis=1)], axis=-1
        )
    decoder_inputs = ops.reshape(decoder_inputs, (-1, 1, units))
    initial = [
        ops.reshape(ops.repeat(s[:, None, :], num_segments, axis=1), (-1, units)) for s in states
    ]
    decoded, *_ = rnn(decoder_inputs, initial_state=initial)
    if spec.dropout:
        decoded = layers.Dropout(spec.dropout, name="dropout_1")(decoded)
    values = layers.Dense(segment * outputs_per_sequence, name="segment_head")(decoded)
    values = ops.reshape(values, (-1, num_segments * segment, outputs_per_sequence))
    values = values[:, :horizon, :] if num_segments * segment != horizon else values
    return values, states[0]


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
