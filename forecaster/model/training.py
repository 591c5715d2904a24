"""Training: from a spec and a series to fitted weights, as a short story of small steps.

``fit`` reads like the "Training" section of the Keras weather-forecasting example: seed
and device, the periods, the scaler fit on the training rows, the windowed datasets, the
compiled model, the callbacks, ``model.fit``, the history. It writes nothing; saving and
scoring belong to the commands. This module imports Keras at the top: the CLI imports it
only when a command trains.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd

from forecaster.data.panel import Panel
from forecaster.errors import ForecasterError
from forecaster.model.distribution import (
    distribution_strategy,
    dtype_policy,
    fit_across_workers,
    is_multi_worker,
    precision_policy,
    recurrent_kernel,
    replica_count,
    set_op_determinism,
    shard_by_data,
    strategy_scope,
    worker_role,
)
from forecaster.model.network import build_model, mase_loss, pinball_loss, smape_loss
from forecaster.model.periods import Periods, SeriesPeriods
from forecaster.model.preparation import Prepared, prepare
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.tracking import tensorboard_callback
from forecaster.model.windows import window_dataset
from forecaster.spec import ExponentialSchedule, Spec

if TYPE_CHECKING:
    import tensorflow as tf

    from forecaster.model.checkpoint import Checkpoint


@dataclass
class FitResult:
    model: keras.Model
    preprocessing: Preprocessing
    periods: Periods  # the first series' periods
    history: pd.DataFrame  # one row per epoch: epoch, loss, val_loss, learning_rate, seconds
    device: str
    determinism: dict[str, Any]
    train_seconds: float
    best_epoch: int
    panel: Panel  # the series trained on
    series_periods: SeriesPeriods
    resumed_at_epoch: int | None = None  # 1-based epoch a resumed run continued with
    left_out: dict[str, str] = field(default_factory=dict)  # series key -> why
    # distribution, replicas, precision and the recurrent kernel that ran (manifest.json)
    execution: dict[str, Any] = field(default_factory=dict)
    # train.ensemble: each member as fit alone, in order (``model`` combines them)
    members: list[FitResult] = field(default_factory=list)


def fit(
    spec: Spec,
    panel: Panel,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    periods: SeriesPeriods | None = None,
    checkpoint: Checkpoint | None = None,
) -> FitResult:
    """Train the spec's model on ``panel`` (one series or many, rows already validated and
    sorted), saving to and resuming from ``checkpoint`` when given.

    ``periods`` replaces the spec's split (a backtest fold's rows of every series); rows
    from a series' ``periods.end`` on are never read.
    """
    device = select_device(force_cpu)
    strategy = distribution_strategy(spec.train.distribute)  # before TensorFlow's first op
    determinism = seed_everything(spec.train.seed, spec.train.deterministic)
    prepared = prepare(spec, panel, periods)
    first_epoch = checkpoint.first_epoch() if checkpoint is not None else 0
    train_data, val_data = datasets(spec, prepared, first_epoch)
    static_sizes = prepared.preprocessing.statics.vocabulary_sizes
    num_known = len(prepared.preprocessing.known_columns)
    precision = precision_policy(spec.train.mixed_precision, device)
    with strategy_scope(strategy), dtype_policy(precision):
        model = compiled_model(spec, prepared.rows.num_columns, static_sizes, num_known)
    if is_multi_worker(strategy):
        train_data, val_data = shard_by_data(train_data), shard_by_data(val_data)
    epoch_log = EpochLog()
    callbacks = training_callbacks(spec, epoch_log, checkpoint)

    started = time.perf_counter()
    with fit_across_workers(model, strategy, val_data):
        model.fit(
            train_data,
            validation_data=val_data,
            epochs=spec.train.epochs,
            initial_epoch=first_epoch,
            steps_per_epoch=math.ceil(len(prepared.train_windows) / spec.train.batch_size),
            callbacks=callbacks,
            shuffle=False,  # the dataset shuffles itself, reproducibly
            verbose=0 if quiet else (1 if sys.stderr.isatty() else 2),
        )
    train_seconds = time.perf_counter() - started
    if strategy is not None:  # scoring, saving and forecasting need no strategy: one copy
        trained = model
        with dtype_policy(precision):
            model = compiled_model(spec, prepared.rows.num_columns, static_sizes, num_known)
        model.set_weights(trained.get_weights())
    execution = {
        "distribute": spec.train.distribute,
        "replicas": replica_count(strategy),
        "worker": worker_role(),
        "global_batch_size": spec.train.batch_size,
        "precision": precision,
        "recurrent_kernel": recurrent_kernel(model),
    }

    resumed = checkpoint is not None and checkpoint.saved is not None
    if checkpoint is not None and checkpoint.saved is not None:
        train_seconds += checkpoint.saved.train_seconds
    history = pd.DataFrame(epoch_log.rows)
    _check_converged(history, spec)
    return FitResult(
        model,
        prepared.preprocessing,
        prepared.periods,
        history,
        device,
        determinism,
        train_seconds,
        best_epoch=int(history.loc[history["val_loss"].idxmin(), "epoch"]),
        resumed_at_epoch=first_epoch + 1 if resumed else None,
        panel=prepared.panel,
        series_periods=prepared.series_periods,
        left_out=prepared.left_out,
        execution=execution,
    )


def datasets(
    spec: Spec, prepared: Prepared, first_epoch: int
) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """Training batches, shuffled per epoch from the seed, for the epochs still to run;
    validation batches in time order."""
    lookback, horizon = spec.window.lookback, spec.window.horizon
    num_targets, batch_size = len(spec.data.targets), spec.train.batch_size
    known = prepared.preprocessing.known_range
    train_data = window_dataset(
        prepared.rows,
        prepared.train_windows,
        lookback,
        horizon,
        num_targets,
        batch_size,
        spec.train.seed,
        first_epoch=first_epoch,
        num_epochs=spec.train.epochs - first_epoch,
        weights=prepared.train_weights,
        known=known,
        target_extras=prepared.target_extras,
    )
    val_data = window_dataset(
        prepared.rows,
        prepared.val_windows,
        lookback,
        horizon,
        num_targets,
        batch_size,
        known=known,
        target_extras=prepared.target_extras,
    )
    return train_data, val_data


def compiled_model(
    spec: Spec, num_columns: int, static_sizes: Sequence[int] = (), num_known: int = 0
) -> keras.Model:
    """The spec's network over ``num_columns`` inputs (the last ``len(static_sizes)``
    static, the ``num_known`` before them known over the horizon too, then
    ``window.pad``'s observed-row column between them), compiled with its optimiser and
    loss."""
    quantiles = spec.intervals.quantiles if spec.intervals is not None else []
    model = build_model(
        spec.model,
        spec.window.lookback,
        spec.window.horizon,
        num_columns,
        len(spec.data.targets),
        static_sizes,
        quantiles,
        num_known,
        padded=spec.window.pad,
    )
    num_targets = len(spec.data.targets)
    loss = {
        "mse": "mse",
        "mae": "mae",
        "huber": keras.losses.Huber(),
        # each window's targets come with its series' scale or offset (Prepared.target_extras)
        "mase": mase_loss(num_targets),
        "smape": smape_loss(num_targets),
    }[spec.train.loss]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=spec.train.learning_rate),
        loss=pinball_loss(quantiles) if quantiles else loss,  # quantiles: train.loss unused
    )
    return model


def training_callbacks(
    spec: Spec, epoch_log: EpochLog, checkpoint: Checkpoint | None
) -> list[keras.callbacks.Callback]:
    """Per-epoch log, early stopping with the best weights restored, the learning-rate
    schedule (``train.lr_schedule``), TensorBoard when the spec asks, and the checkpoint
    last (it saves the state of the others)."""
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=spec.train.patience, restore_best_weights=True
    )
    schedule = learning_rate_schedule(spec)
    callbacks: list[keras.callbacks.Callback] = [epoch_log, early_stopping, schedule]
    if spec.train.tensorboard is not None:
        callbacks.append(tensorboard_callback(spec.train.tensorboard, spec.name))
    if checkpoint is not None:
        plateau = schedule if isinstance(schedule, keras.callbacks.ReduceLROnPlateau) else None
        callbacks.append(checkpoint.callback(early_stopping, plateau, epoch_log.rows))
    return callbacks


def learning_rate_schedule(spec: Spec) -> keras.callbacks.Callback:
    """``plateau``: the rate times ``factor`` when validation stalls for half the patience;
    ``exponential``: a function of the epoch alone, so a resumed run needs no saved state."""
    rate, schedule = spec.train.learning_rate, spec.train.lr_schedule
    if isinstance(schedule, ExponentialSchedule):
        hold, factor = schedule.hold_epochs, schedule.factor

        def rate_of(epoch: int, current: float) -> float:  # epoch is 0-based
            return rate * factor ** max(0, epoch + 1 - hold)

        return keras.callbacks.LearningRateScheduler(rate_of)
    return keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss",
        factor=schedule.factor,
        patience=max(1, spec.train.patience // 2),
        min_lr=rate / 100,
    )


def _check_converged(history: pd.DataFrame, spec: Spec) -> None:
    losses = history[["loss", "val_loss"]].to_numpy(dtype=np.float64)
    diverged = ~np.isfinite(losses).all(axis=1)
    if diverged.any():
        epoch = int(history["epoch"].to_numpy()[np.argmax(diverged)])
        raise ForecasterError(
            f"{spec.data.path}: training diverged: the loss is not finite at epoch {epoch}; "
            f"fix: lower train.learning_rate ({spec.train.learning_rate}), keep scaling "
            "standard, or look for extreme values in the data"
        )


def select_device(force_cpu: bool) -> str:
    """Hide the GPUs when asked (must run before TensorFlow touches a device); return the
    device training will use."""
    import tensorflow as tf

    if force_cpu:
        tf.config.set_visible_devices([], "GPU")
    gpus = tf.config.get_visible_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


def seed_everything(seed: int, deterministic: bool = True) -> dict[str, Any]:
    """Same seed, same data, same machine: same weights and forecasts (with
    ``deterministic``; without it, TensorFlow may pick faster kernels whose sums vary)."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    op_determinism = set_op_determinism(deterministic)
    return {
        "seed": seed,
        "op_determinism": op_determinism,
        "window_order": "stateless shuffle seeded by (seed, epoch)",
        "keras_backend": keras.backend.backend(),
        "python_hash_seed": os.environ.get("PYTHONHASHSEED"),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
    }


class EpochLog(keras.callbacks.Callback):
    """Per-epoch losses, learning rate and wall time, for history.csv."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, float]] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.rows.append(
            {
                "epoch": epoch + 1,
                "loss": float(logs.get("loss", np.nan)),
                "val_loss": float(logs.get("val_loss", np.nan)),
                "learning_rate": float(
                    keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
                ),
                "seconds": time.perf_counter() - self._started,
            }
        )
        if not np.isfinite([self.rows[-1]["loss"], self.rows[-1]["val_loss"]]).all():
            self.model.stop_training = True  # diverged: more epochs cannot recover


@contextmanager
def retracing_muted() -> Iterator[None]:
    """TensorFlow's logger at ERROR for a run of many trainings: each builds a new model,
    so TensorFlow's retracing warnings are expected noise there."""
    import tensorflow as tf

    tf_logger = tf.get_logger()
    level = tf_logger.level
    tf_logger.setLevel("ERROR")
    try:
        yield
    finally:
        tf_logger.setLevel(level)
