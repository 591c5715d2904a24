"""``Forecaster``: a trained model and its preprocessing, from recent history to a forecast
table on the original scale; ``predict_windows`` forecasts many windows in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.data import future_index, prepare_frame, time_options
from forecaster.errors import InputError
from forecaster.preprocessing import Preprocessing
from forecaster.spec import Spec
from forecaster.time_axis import check_history
from forecaster.windows import window_dataset

if TYPE_CHECKING:
    import keras


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
            column_fix=prep.column_fix,
            **self._time_options,
        )
        return self._forecast(frame, source)

    def predict_csv(self, path: str | Path) -> pd.DataFrame:
        prep = self.preprocessing
        frame = prep.read_csv(path, column_fix=prep.column_fix, **self._time_options)
        return self._forecast(frame, str(path))

    @property
    def _time_options(self) -> dict[str, Any]:
        """The spec's reading of the time column, at the frequency the model was trained on."""
        return time_options(self.spec.data) | {"frequency": self.preprocessing.frequency}

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
