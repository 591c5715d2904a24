"""From a trained model and recent history to a forecast table on the original scale."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.data import future_index, prepare_frame, read_csv, time_options
from forecaster.errors import InputError
from forecaster.scaling import Scaler
from forecaster.spec import Spec
from forecaster.time_axis import check_history
from forecaster.windows import window_dataset

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Preprocessing:
    """Everything between a CSV and the model's input, as trained (``preprocessing.json``)."""

    time_column: str
    targets: list[str]
    covariates: list[str]
    frequency: str
    lookback: int
    horizon: int
    missing: str
    season: int
    scaler: Scaler
    time_style: str = "naive"  # naive | Z | offset | named | step
    timezone: str | None = None  # UTC, +02:00 (the latest row's offset), Europe/Berlin

    @property
    def columns(self) -> list[str]:
        return [*self.targets, *self.covariates]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_column": self.time_column,
            "targets": self.targets,
            "covariates": self.covariates,
            "columns": self.columns,
            "frequency": self.frequency,
            "lookback": self.lookback,
            "horizon": self.horizon,
            "missing": self.missing,
            "season": self.season,
            "scaler": self.scaler.to_dict(),
            "time_style": self.time_style,
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        fields = {k: v for k, v in data.items() if k not in ("columns", "scaler")}
        return cls(**fields, scaler=Scaler.from_dict(data["scaler"]))


@dataclass
class Forecaster:
    """A trained model with its preprocessing: ``predict`` turns history into a forecast."""

    model: keras.Model
    spec: Spec
    preprocessing: Preprocessing
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def lookback(self) -> int:
        return self.preprocessing.lookback

    @property
    def horizon(self) -> int:
        return self.preprocessing.horizon

    def predict(self, history: pd.DataFrame, source: str = "history") -> pd.DataFrame:
        """Forecast the ``horizon`` steps after the last row of ``history``.

        ``history`` has the time column (as a column or as the index) and every target and
        covariate column; only its last ``lookback`` rows are used. Returns the time column
        with the future timestamps, then one column per target.
        """
        prep = self.preprocessing
        frame = prepare_frame(
            history,
            time_column=prep.time_column,
            columns=prep.columns,
            missing=prep.missing,
            source=source,
            column_fix=self._column_fix,
            **self._time_options,
        )
        return self._forecast(frame, source)

    def predict_csv(self, path: str | Path) -> pd.DataFrame:
        prep = self.preprocessing
        frame = read_csv(
            path,
            time_column=prep.time_column,
            columns=prep.columns,
            missing=prep.missing,
            column_fix=self._column_fix,
            **self._time_options,
        )
        return self._forecast(frame, str(path))

    @property
    def _time_options(self) -> dict[str, Any]:
        """The spec's reading of the time column, at the frequency the model was trained on."""
        return time_options(self.spec.data) | {"frequency": self.preprocessing.frequency}

    @property
    def _column_fix(self) -> str:
        prep = self.preprocessing
        return (
            f"the model was trained on time column {prep.time_column!r} and columns "
            f"{', '.join(prep.columns)}; pass history with those names"
        )

    def _forecast(self, frame: pd.DataFrame, source: str) -> pd.DataFrame:
        prep = self.preprocessing
        if len(frame) < prep.lookback:
            raise InputError(
                f"{source}: has {len(frame)} rows, the model needs the last {prep.lookback} "
                f"(window.lookback); fix: pass a longer history"
            )
        check_history(frame.index[-prep.lookback :], prep.time_style, prep.timezone, source)
        recent = frame.to_numpy(dtype=np.float32)[-prep.lookback :]
        scaled = prep.scaler.transform(recent)
        # the compiled predict function: calling the model eagerly steps the recurrence in
        # Python, about a hundred times slower for one window
        output = np.asarray(self.model.predict_on_batch(scaled[None]))[0]
        values = prep.scaler.inverse(output, slice(0, len(prep.targets)))
        if not np.isfinite(values).all():
            raise InputError(
                f"{source}: the forecast from the last {prep.lookback} rows is not finite; "
                "those rows hold values far outside the training data; fix: check them"
            )
        index = future_index(frame.index[-1], prep.frequency, prep.horizon, name=prep.time_column)
        return pd.DataFrame(values, index=index, columns=prep.targets).reset_index()


def predict_windows(
    model: keras.Model,
    scaled_series: np.ndarray,
    origins: np.ndarray,
    preprocessing: Preprocessing,
    batch_size: int = 256,
) -> np.ndarray:
    """Forecasts for many windows at once, ``[windows, horizon, targets]``, still scaled."""
    num_targets = len(preprocessing.targets)
    dataset = window_dataset(
        scaled_series,
        origins,
        preprocessing.lookback,
        preprocessing.horizon,
        num_targets,
        batch_size,
    ).map(lambda inputs, _targets: inputs)
    return np.asarray(model.predict(dataset, verbose=0))
