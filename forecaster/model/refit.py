"""The refit (``train.refit``): once a model is trained, early stopped on validation and
scored, the same network trained again from scratch on every row, so that the model a
bundle forecasts with has seen the newest data.

Validation and test rows become training rows: each series' scaler (and a scale-free
loss's per-series scale) is fit again on all of its rows, and training runs for the epoch
count validation chose (the validated run's best epoch) with the learning rate the
validated run had at each of those epochs, since there is nothing left to stop early or
lower the rate on. Same seed, same window shuffle. It writes nothing; ``forecast train``
saves the result in place of the validated model (``commands/train.py``).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

import keras
import numpy as np

from forecaster.errors import ForecasterError
from forecaster.model.distribution import dtype_policy
from forecaster.model.periods import Periods, SeriesPeriods
from forecaster.model.preparation import prepare
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.training import FitResult, compiled_model, seed_everything
from forecaster.model.windows import window_dataset
from forecaster.spec import Spec


@dataclass(frozen=True)
class Refit:
    """The network trained on every row, with the scalers fit on every row."""

    model: keras.Model
    preprocessing: Preprocessing  # fresh scalers; no calibration, no fallback
    epochs: int  # the validated run's best epoch
    rows: int  # rows trained on, every series together
    validated_rows: int  # the validated run's training rows, for comparison
    windows: int  # training windows per epoch
    through: str  # the latest time trained on (of any series)
    losses: list[float]  # training loss per epoch
    train_seconds: float

    def record(self) -> dict[str, Any]:
        """What ``metrics.json`` and ``manifest.json`` say of it (``"refit"``)."""
        return {
            "epochs": self.epochs,
            "rows": self.rows,
            "validated_rows": self.validated_rows,
            "windows": self.windows,
            "through": self.through,
            "losses": self.losses,
            "train_seconds": round(self.train_seconds, 3),
            "scores": "validated model",  # metrics.json's val and test are not this model's
        }

    def bundle_preprocessing(self, validated: Preprocessing) -> Preprocessing:
        """The validated bundle's preprocessing (its interval widths, in units of each
        series' scale, and its validation gate's fallback) with what the refit network
        reads its rows through, fit on every row: the scalers, and a transform's lambdas
        and the seasonal indices of deseasonalise."""
        fitted = self.preprocessing
        return replace(
            validated,
            series_scalers=fitted.series_scalers,
            series_lambdas=fitted.series_lambdas,
            series_seasonality=fitted.series_seasonality,
        )


def refit(spec: Spec, fitted: FitResult, *, quiet: bool = False) -> Refit:
    """Train ``spec``'s network from scratch on every row of the series ``fitted`` trained
    on (the same series; those left out stay out), for ``fitted.best_epoch`` epochs."""
    series_periods = fitted.series_periods
    every_row = SeriesPeriods(
        series_periods.starts,
        tuple(Periods(p.end, p.end, p.end) for p in series_periods.periods),
    )
    seed_everything(spec.train.seed, spec.train.deterministic)
    prepared = prepare(spec, fitted.panel, every_row, validation=False)
    epochs = fitted.best_epoch
    # the rate of each epoch the validated run kept (its schedule may have followed val_loss)
    rates = fitted.history["learning_rate"].to_numpy(dtype=np.float64)[:epochs]
    train_data = window_dataset(
        prepared.rows,
        prepared.train_windows,
        spec.window.lookback,
        spec.window.horizon,
        len(spec.data.targets),
        spec.train.batch_size,
        spec.train.seed,
        num_epochs=epochs,
        weights=prepared.train_weights,
        known=prepared.preprocessing.known_range,
        target_extras=prepared.target_extras,
    )
    preprocessing = prepared.preprocessing
    # one device: the validated run's train.distribute strategy is not reused here
    with dtype_policy(fitted.execution.get("precision", "float32")):
        model = compiled_model(
            spec,
            prepared.rows.num_columns,
            preprocessing.statics.vocabulary_sizes,
            len(preprocessing.known_columns),
        )
    started = time.perf_counter()
    history = model.fit(
        train_data,
        epochs=epochs,
        steps_per_epoch=math.ceil(len(prepared.train_windows) / spec.train.batch_size),
        callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, _: float(rates[epoch])),
            keras.callbacks.TerminateOnNaN(),
        ],
        shuffle=False,  # the dataset shuffles itself, reproducibly
        verbose=0 if quiet else (1 if sys.stderr.isatty() else 2),
    )
    train_seconds = time.perf_counter() - started
    losses = [float(loss) for loss in history.history["loss"]]
    if len(losses) < epochs or not np.isfinite(losses).all():
        raise ForecasterError(
            f"{spec.data.path}: train.refit: training on every row diverged (loss "
            f"{losses[-1] if losses else float('nan')} at epoch {len(losses)} of {epochs}), "
            "though the validated run did not; fix: lower train.learning_rate "
            f"({spec.train.learning_rate}), or set train.refit: false"
        )
    panel = fitted.panel
    return Refit(
        model=model,
        preprocessing=preprocessing,
        epochs=epochs,
        rows=int(sum(p.end for p in series_periods.periods)),
        validated_rows=int(series_periods.train_ends.sum()),
        windows=len(prepared.train_windows),
        through=str(max(panel.series_index(k)[-1] for k in range(panel.num_series))),
        losses=losses,
        train_seconds=train_seconds,
    )
