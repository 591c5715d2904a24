"""Training glue: seeds, device, scaling, windows, the fit loop, evaluation and the bundle.

``fit`` trains on a loaded frame and returns everything a bundle needs; ``train`` is the
whole ``forecast train`` command: read, fit, evaluate, save. This module imports Keras at
the top: the CLI imports it only when a command trains.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd

from forecaster import __version__
from forecaster.data import file_sha256, infer_frequency, read_csv, season_length, time_options
from forecaster.errors import ForecasterError
from forecaster.evaluate import ModelEvaluation, forecast_periods
from forecaster.models import build_model, cudnn_eligible, recurrent_layers
from forecaster.predict import Preprocessing
from forecaster.scaling import scale_series
from forecaster.spec import Spec
from forecaster.time_axis import time_style
from forecaster.windows import (
    Periods,
    check_periods,
    period_origins,
    split_boundaries,
    window_dataset,
)

if TYPE_CHECKING:
    from forecaster.checkpoint import Checkpoint


@dataclass
class FitResult:
    model: keras.Model
    preprocessing: Preprocessing
    periods: Periods
    history: pd.DataFrame  # one row per epoch: epoch, loss, val_loss, learning_rate, seconds
    device: str
    determinism: dict[str, Any]
    train_seconds: float
    best_epoch: int
    resumed_at_epoch: int | None = None  # 1-based epoch a resumed run continued with


def train(
    spec: Spec,
    out_dir: str | Path,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    resume: bool = False,
) -> Path:
    """Read the spec's CSV, fit, evaluate on validation and test, save the bundle.

    Training keeps a checkpoint beside ``out_dir`` after every epoch (see
    ``forecaster.checkpoint``); ``resume`` continues from it. Nothing is written to
    ``out_dir`` until the whole bundle is ready.
    """
    from forecaster.bundle import check_replaceable
    from forecaster.checkpoint import Checkpoint

    check_replaceable(Path(out_dir))  # before the training, not after it
    frame = load_frame(spec)
    checkpoint = Checkpoint(out_dir, spec, file_sha256(spec.data.path))
    checkpoint.prepare(resume)
    result = fit(spec, frame, quiet=quiet, force_cpu=force_cpu, checkpoint=checkpoint)
    bundle, _ = save_trained(spec, frame, result, out_dir)
    checkpoint.remove()
    return bundle


def save_trained(
    spec: Spec, frame: pd.DataFrame, result: FitResult, out_dir: str | Path
) -> tuple[Path, dict[str, Any]]:
    """Score a fitted model on validation and test beside the baselines and save it, with
    its report, as a bundle. Returns the bundle folder and its metrics."""
    from forecaster.bundle import save_bundle
    from forecaster.evaluation_report import write_evaluation_report

    source = str(spec.data.path)
    manifest = build_manifest(spec, result)
    evaluation = ModelEvaluation(
        spec=spec,
        preprocessing=result.preprocessing,
        frame=frame,
        periods=result.periods,
        scored=forecast_periods(
            result.model, result.preprocessing, frame, result.periods, source=source
        ),
        history=result.history,
        manifest=manifest,
        data_source=source,
    )

    def add_report(folder: Path) -> None:
        write_evaluation_report(folder, evaluation, f"{spec.name}: training report")

    bundle = save_bundle(
        out_dir,
        result.model,
        spec,
        result.preprocessing,
        manifest,
        result.history,
        evaluation.metrics,
        extras=add_report,
    )
    return bundle, evaluation.metrics


def load_frame(spec: Spec, path: str | Path | None = None, boundaries: Any = None) -> pd.DataFrame:
    """The spec's CSV, regular, gaps filled within the split's periods (or ``boundaries``)."""
    return read_csv(
        path or spec.data.path,
        time_column=spec.data.time_column,
        columns=spec.data.columns,
        missing=spec.data.missing,
        boundaries=boundaries or split_boundaries(spec.data.split),
        **time_options(spec.data),
    )


def fit(
    spec: Spec,
    frame: pd.DataFrame,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    periods: Periods | None = None,
    checkpoint: Checkpoint | None = None,
) -> FitResult:
    """Train the spec's model on ``frame`` (rows already validated and sorted), saving to
    and resuming from ``checkpoint`` when given.

    ``periods`` replaces the spec's split (a backtest fold's rows); rows from
    ``periods.end`` on are never read.
    """
    source = str(spec.data.path)
    device = select_device(force_cpu)
    determinism = seed_everything(spec.train.seed)

    lookback, horizon = spec.window.lookback, spec.window.horizon
    frequency = spec.data.frequency or infer_frequency(frame.index, source)
    season = spec.evaluation.season or season_length(frequency)
    # every period and the baselines are checked now, not after the training
    periods = periods or check_periods(
        frame.index, spec.data.split, lookback, horizon, season, source
    )
    train_origins = period_origins(periods, "train", lookback, horizon, source)
    val_origins = period_origins(periods, "val", lookback, horizon, source)

    values = frame.to_numpy(dtype=np.float64)[: periods.end]
    scaler, scaled = scale_series(spec.scaling, values, periods.train_end, source)
    style, zone = time_style(frame.index)  # forecasts are written back in the data's zone
    preprocessing = Preprocessing(
        time_column=str(frame.index.name),
        targets=list(spec.data.targets),
        covariates=list(spec.data.covariates),
        frequency=frequency,
        lookback=lookback,
        horizon=horizon,
        missing=spec.data.missing,
        season=season,
        scaler=scaler,
        time_style=style,
        timezone=zone,
    )

    num_targets = len(spec.data.targets)
    batch_size = spec.train.batch_size
    first_epoch = checkpoint.first_epoch() if checkpoint is not None else 0
    train_data = window_dataset(
        scaled,
        train_origins,
        lookback,
        horizon,
        num_targets,
        batch_size,
        spec.train.seed,
        first_epoch=first_epoch,
        num_epochs=spec.train.epochs - first_epoch,
    )
    val_data = window_dataset(scaled, val_origins, lookback, horizon, num_targets, batch_size)

    model = build_model(spec.model, lookback, horizon, values.shape[1], num_targets)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=spec.train.learning_rate),
        loss={"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}[spec.train.loss],
    )
    epoch_log = EpochLog()
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=spec.train.patience, restore_best_weights=True
    )
    reduce_lr = keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss",
        factor=0.5,
        patience=max(1, spec.train.patience // 2),
        min_lr=spec.train.learning_rate / 100,
    )
    callbacks = [epoch_log, early_stopping, reduce_lr]
    if checkpoint is not None:
        callbacks.append(checkpoint.callback(early_stopping, reduce_lr, epoch_log.rows))
    started = time.perf_counter()
    model.fit(
        train_data,
        validation_data=val_data,
        epochs=spec.train.epochs,
        initial_epoch=first_epoch,
        steps_per_epoch=math.ceil(len(train_origins) / batch_size),
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0 if quiet else (1 if sys.stderr.isatty() else 2),
    )
    train_seconds = time.perf_counter() - started
    resumed = checkpoint is not None and checkpoint.saved is not None
    if resumed:
        train_seconds += checkpoint.saved.train_seconds
    history = pd.DataFrame(epoch_log.rows)
    _check_converged(history, spec)
    best_epoch = int(history.loc[history["val_loss"].idxmin(), "epoch"])
    return FitResult(
        model,
        preprocessing,
        periods,
        history,
        device,
        determinism,
        train_seconds,
        best_epoch,
        resumed_at_epoch=first_epoch + 1 if resumed else None,
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


def evaluate_periods(
    result: FitResult, frame: pd.DataFrame, periods: tuple[str, ...], source: str = "data"
) -> dict[str, Any]:
    """Model and baselines on every window of each period, on the original scale and
    (``scaled``) on the scaler's; ``source`` names the data in error messages."""
    scored = forecast_periods(
        result.model, result.preprocessing, frame, result.periods, periods, source
    )
    return {period: forecasts.metrics for period, forecasts in scored.items()}


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


def seed_everything(seed: int) -> dict[str, Any]:
    """Same seed, same data, same machine: same weights and forecasts."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
        op_determinism = True
    except Exception:
        op_determinism = False
    return {
        "seed": seed,
        "op_determinism": op_determinism,
        "window_order": "stateless shuffle seeded by (seed, epoch)",
        "keras_backend": keras.backend.backend(),
        "python_hash_seed": os.environ.get("PYTHONHASHSEED"),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
    }


def build_manifest(spec: Spec, result: FitResult) -> dict[str, Any]:
    history = result.history
    epoch_seconds = history["seconds"].to_numpy()
    return {
        "forecaster_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": result.device,
        "determinism": result.determinism,
        "seed": spec.train.seed,
        "data": {
            "path": str(spec.data.path),
            "sha256": file_sha256(spec.data.path),
            "periods": result.periods.to_dict(),
        },
        "parameters": int(result.model.count_params()),
        "cudnn_eligible": {
            layer.name: cudnn_eligible(layer) for layer in recurrent_layers(result.model)
        },
        "training": {
            "epochs_run": len(history),
            "best_epoch": result.best_epoch,
            "resumed_at_epoch": result.resumed_at_epoch,
            "train_seconds": round(result.train_seconds, 3),
            "seconds_per_epoch": round(float(np.median(epoch_seconds[1:])), 4)
            if len(epoch_seconds) > 1
            else round(float(epoch_seconds[0]), 4),
        },
    }


def _package_versions() -> dict[str, str]:
    versions = {}
    for package in ("tensorflow", "keras", "numpy", "pandas", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


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
