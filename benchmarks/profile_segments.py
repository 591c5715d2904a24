"""What 512 units cost: the segment GRU (SegRNN's structure) timed at several widths, the
encoder apart from the decoder, on the machine it runs on.

For each width, on batches of the ETTh1 multivariate spec (lookback and horizon from the
spec, batch 256 windows x 7 columns as independent sequences): the median time of a
forward pass and of a training step (forward, backward, Adam update) of the whole
network and of the encoder alone (segment embedding and the GRU over the lookback's
segments up to its final state); the decoder is the difference. Then seconds per epoch
of ``model.fit`` over the spec's training windows. Writes ``benchmarks/results/
profile.md`` and ``.json`` with commit, date and hardware.

    python benchmarks/profile_segments.py                      # 128 and 512 units
    python benchmarks/profile_segments.py --units 128 256 512 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from environment import environment  # benchmarks/environment.py, beside this script

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TIMED_CALLS = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[128, 512])
    parser.add_argument(
        "--spec", type=Path, default=ROOT / "benchmarks/specs/etth1-multivariate-96.yaml"
    )
    parser.add_argument("--epochs", type=int, default=2, help="epochs of model.fit timed")
    parser.add_argument("--out", type=Path, default=RESULTS / "profile", help="without suffix")
    args = parser.parse_args(argv)

    # internal: times steps inside training (forward, train step, encoder vs decoder)
    from forecaster.model.preparation import load_data
    from forecaster.model.training import select_device
    from forecaster.spec import load_spec

    os.chdir(ROOT)
    base = load_spec(args.spec)
    device = select_device(force_cpu=False)
    frame = load_data(base)
    report: dict[str, Any] = {
        "environment": environment(["forecaster", "benchmarks"]),
        "spec": base.name,
        "device": device,
        "widths": [],
    }
    for units in args.units:
        spec = base.with_overrides(**{"model.units": [units], "train.seed": 42})
        row = _profile(spec, frame, args.epochs)
        report["widths"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        _write(report, args.out)
    return 0


def _profile(spec: Any, frame: Any, epochs: int) -> dict[str, Any]:
    """One width: the timed calls, then ``epochs`` epochs of ``model.fit``."""
    import keras
    import tensorflow as tf

    # internal: the model and batches forecaster.train would build, to time them apart
    from forecaster.model.preparation import prepare
    from forecaster.model.training import compiled_model, datasets

    spec = spec.with_overrides(**{"train.epochs": epochs})
    keras.backend.clear_session()
    keras.utils.set_random_seed(42)
    prepared = prepare(spec, frame)
    model = compiled_model(spec, prepared.rows.num_columns)
    train_data, val_data = datasets(spec, prepared, 0)
    inputs, targets = next(iter(train_data))
    state = _encoder_state(model, spec.model.cell)
    timings = {
        "forward_whole": _median_seconds(tf.function(lambda: model(inputs, training=False))),
        "forward_encoder": _median_seconds(tf.function(lambda: state(inputs, training=False))),
        "train_step_whole": _median_seconds(_train_step(model, inputs, targets)),
        "train_step_encoder": _median_seconds(_encoder_step(state, inputs)),
    }
    timings["forward_decoder"] = timings["forward_whole"] - timings["forward_encoder"]
    timings["train_step_decoder"] = timings["train_step_whole"] - timings["train_step_encoder"]

    epoch_seconds: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            epoch_seconds.append(time.perf_counter() - self.started)

    model.fit(
        train_data,
        validation_data=val_data,
        epochs=epochs,
        steps_per_epoch=-(-len(prepared.train_windows) // spec.train.batch_size),
        callbacks=[Timer()],
        verbose=0,
    )
    return {
        "units": spec.model.units[0],
        "parameters": int(model.count_params()),
        "batch_windows": int(inputs.shape[0]),
        "steps_per_epoch": -(-len(prepared.train_windows) // spec.train.batch_size),
        **{key: round(value, 5) for key, value in timings.items()},
        "epoch_seconds": [round(s, 2) for s in epoch_seconds],
        # the first epoch also traces the graphs
        "seconds_per_epoch": round(epoch_seconds[-1], 2),
    }


def _encoder_state(model: Any, cell: str) -> Any:
    """The encoder alone: the network up to the recurrent layer's final state over the
    lookback's segments (its first call; the decoder calls it again)."""
    import keras

    rnn = model.get_layer(f"{cell}_1")
    embedded = model.get_layer("segment_embedding").output
    _, *states = rnn(embedded)
    return keras.Model(model.inputs, states[0])


def _train_step(model: Any, inputs: Any, targets: Any) -> Callable[[], Any]:
    import tensorflow as tf

    optimizer, loss = model.optimizer, model.loss

    @tf.function
    def step() -> Any:
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(keras_loss(loss, targets, model(inputs, training=True)))
        gradients = tape.gradient(value, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return value

    return step


def _encoder_step(state: Any, inputs: Any) -> Callable[[], Any]:
    """Forward and backward through the encoder alone (a stand-in loss on its state)."""
    import tensorflow as tf

    variables = state.trainable_variables

    @tf.function
    def step() -> Any:
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(tf.square(state(inputs, training=True)))
        return tape.gradient(value, variables)

    return step


def keras_loss(loss: Any, targets: Any, predictions: Any) -> Any:
    """The compiled loss, given by name ("mae") or as a loss object."""
    import keras

    return (keras.losses.get(loss) if isinstance(loss, str) else loss)(targets, predictions)


def _median_seconds(call: Callable[[], Any]) -> float:
    call()  # traces the graph
    call()
    timings = []
    for _ in range(TIMED_CALLS):
        started = time.perf_counter()
        result = call()
        _ = [getattr(part, "numpy", lambda: None)() for part in _flat(result)]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [item for part in value for item in _flat(part)]
    return [value]


def _write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    env = report["environment"]
    lines = [
        "# The segment GRU at several widths: where the time goes",
        "",
        "Written by `make bench-profile` (`benchmarks/profile_segments.py`) on the spec "
        f"`{report['spec']}`: batches of 256 windows, every column its own sequence. "
        "Median of 10 calls after 2 warm-up calls; the decoder is the whole network minus "
        "the encoder (segment embedding and the GRU up to its final state). A training "
        "step is forward, backward and (whole network) the Adam update.",
        "",
        f"- commit `{env['commit']}`, {env['date']}",
        f"- hardware: {env['cpu']}, {env['cpu_cores_available']} CPU cores available, "
        f"device {report['device']}; load average at start {env['load_average_at_start']}",
        f"- TensorFlow {env['versions'].get('tensorflow')}, Keras "
        f"{env['versions'].get('keras')}, Python {env['python']}",
        "",
        "| units | parameters | forward ms: whole / encoder / decoder | training step ms: "
        "whole / encoder / decoder | s/epoch (model.fit, after the first) | steps/epoch |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["widths"]:
        lines.append(
            f"| {row['units']} | {row['parameters']:,} | "
            f"{1000 * row['forward_whole']:.0f} / {1000 * row['forward_encoder']:.0f} / "
            f"{1000 * row['forward_decoder']:.0f} | "
            f"{1000 * row['train_step_whole']:.0f} / {1000 * row['train_step_encoder']:.0f} / "
            f"{1000 * row['train_step_decoder']:.0f} | {row['seconds_per_epoch']:.1f} | "
            f"{row['steps_per_epoch']} |"
        )
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
