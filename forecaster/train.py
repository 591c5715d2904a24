"""Training glue: seeds, device, scaling, windows, the fit loop, evaluation and the bundle.

``fit`` trains on a loaded frame and returns everything a bundle needs; ``train`` is the
whole ``forecast train`` command: read, fit, evaluate, save. This module imports Keras at
the top: the CLI imports it only when a command trains.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from forecaster import __version__
from forecaster.data import file_sha256, infer_frequency, read_csv, season_length
from forecaster.errors import InputError
from forecaster.evaluate import evaluate_forecasts, mase_scale
from forecaster.models import build_model, cudnn_eligible, recurrent_layers
from forecaster.predict import Preprocessing, predict_windows
from forecaster.scaling import fit_scaler
from forecaster.spec import Spec
from forecaster.windows import Periods, period_origins, split_periods, window_dataset


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


def train(spec: Spec, out_dir: str | Path, *, quiet: bool = False, force_cpu: bool = False) -> Path:
    """Read the spec's CSV, fit, evaluate on validation and test, save the bundle."""
    from forecaster.bundle import save_bundle

    frame = load_frame(spec)
    result = fit(spec, frame, quiet=quiet, force_cpu=force_cpu)
    metrics = evaluate_periods(result, frame, ("val", "test"))
    manifest = build_manifest(spec, result)
    return save_bundle(
        out_dir, result.model, spec, result.preprocessing, manifest, result.history, metrics
    )


def load_frame(spec: Spec, path: str | Path | None = None) -> pd.DataFrame:
    return read_csv(
        path or spec.data.path,
        time_column=spec.data.time_column,
        columns=spec.data.columns,
        missing=spec.data.missing,
    )


def fit(
    spec: Spec, frame: pd.DataFrame, *, quiet: bool = False, force_cpu: bool = False
) -> FitResult:
    """Train the spec's model on ``frame`` (rows already validated and sorted)."""
    source = str(spec.data.path)
    device = select_device(force_cpu)
    determinism = seed_everything(spec.train.seed)

    periods = split_periods(frame.index, spec.data.split)
    lookback, horizon = spec.window.lookback, spec.window.horizon
    train_origins = period_origins(periods, "train", lookback, horizon, source)
    val_origins = period_origins(periods, "val", lookback, horizon, source)

    values = frame.to_numpy(dtype=np.float64)[: periods.end]
    scaler = fit_scaler(spec.scaling, values[: periods.train_end])
    scaled = scaler.transform(values).astype(np.float32)
    frequency = infer_frequency(frame.index, source)
    preprocessing = Preprocessing(
        time_column=str(frame.index.name),
        targets=list(spec.data.targets),
        covariates=list(spec.data.covariates),
        frequency=frequency,
        lookback=lookback,
        horizon=horizon,
        missing=spec.data.missing,
        season=season_length(frequency),
        scaler=scaler,
    )

    num_targets = len(spec.data.targets)
    batch_size = spec.train.batch_size
    train_data = window_dataset(
        scaled, train_origins, lookback, horizon, num_targets, batch_size, spec.train.seed
    )
    val_data = window_dataset(scaled, val_origins, lookback, horizon, num_targets, batch_size)

    model = build_model(spec.model, lookback, horizon, values.shape[1], num_targets)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=spec.train.learning_rate),
        loss={"mse": "mse", "mae": "mae", "huber": keras.losses.Huber()}[spec.train.loss],
    )
    epoch_log = EpochLog()
    callbacks = [
        epoch_log,
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=spec.train.patience, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=0.5,
            patience=max(1, spec.train.patience // 2),
            min_lr=spec.train.learning_rate / 100,
        ),
    ]
    started = time.perf_counter()
    model.fit(
        train_data,
        validation_data=val_data,
        epochs=spec.train.epochs,
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0 if quiet else (1 if sys.stderr.isatty() else 2),
    )
    train_seconds = time.perf_counter() - started
    history = pd.DataFrame(epoch_log.rows)
    best_epoch = int(history.loc[history["val_loss"].idxmin(), "epoch"])
    return FitResult(
        model, preprocessing, periods, history, device, determinism, train_seconds, best_epoch
    )


def evaluate_periods(
    result: FitResult, frame: pd.DataFrame, periods: tuple[str, ...]
) -> dict[str, Any]:
    """Model and baselines on every window of each period, on the original scale and
    (``scaled``) on the scaler's."""
    prep = result.preprocessing
    values = frame.to_numpy(dtype=np.float64)[: result.periods.end]
    targets = values[:, : len(prep.targets)]
    scale = mase_scale(targets[: result.periods.train_end], prep.season)
    scaled = prep.scaler.transform(values).astype(np.float32)
    metrics: dict[str, Any] = {}
    for period in periods:
        origins = period_origins(
            result.periods, period, prep.lookback, prep.horizon, str(frame.index.name)
        )
        if origins.min() < prep.season:
            raise InputError(
                f"the {period} period starts {origins.min()} rows into the data; the "
                f"seasonal-naive baseline needs {prep.season}; fix: use more training rows"
            )
        predicted = predict_windows(result.model, scaled, origins, prep)
        y_model = prep.scaler.inverse(predicted.astype(np.float64), slice(0, len(prep.targets)))
        y_true = np.stack([targets[t : t + prep.horizon] for t in origins])
        target_spread = prep.scaler.scale[: len(prep.targets)]
        metrics[period] = evaluate_forecasts(
            y_true, y_model, targets, origins, prep.season, scale, prep.targets, target_spread
        )
    return metrics


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
