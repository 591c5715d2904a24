"""Column scalers fit on training rows only, stored in the bundle as plain numbers.

scikit-learn fits them; every scaler it offers here is affine per column, so the bundle
keeps just ``center`` and ``scale`` and applies ``(x - center) / scale`` on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from forecaster.spec import Scaling


@dataclass(frozen=True)
class Scaler:
    kind: Scaling
    center: np.ndarray  # one entry per column
    scale: np.ndarray

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.center) / self.scale).astype(values.dtype, copy=False)

    def inverse(self, scaled: np.ndarray, columns: slice | list[int] | None = None) -> np.ndarray:
        """Back to the original units; ``columns`` picks the parameters when only some
        columns are given (the targets of a forecast)."""
        index = slice(None) if columns is None else columns
        return (scaled * self.scale[index] + self.center[index]).astype(scaled.dtype, copy=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "center": self.center.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaler:
        return cls(
            kind=data["kind"],
            center=np.asarray(data["center"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
        )


def fit_scaler(kind: Scaling, train_values: np.ndarray) -> Scaler:
    """Fit on ``train_values`` ([rows, columns]) alone; constant columns get scale 1."""
    num_columns = train_values.shape[1]
    if kind == "none":
        return Scaler(kind, np.zeros(num_columns), np.ones(num_columns))
    values = np.asarray(train_values, dtype=np.float64)
    if kind == "standard":
        fitted = StandardScaler().fit(values)
        center, scale = fitted.mean_, fitted.scale_
    elif kind == "robust":
        fitted = RobustScaler().fit(values)
        center, scale = fitted.center_, fitted.scale_
    elif kind == "mean_abs":
        # DeepAR's scale: each column divided by its mean absolute value, no shift, so
        # zero stays zero and series of very different sizes meet on one scale
        center, scale = np.zeros(num_columns), np.mean(np.abs(values), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
    elif kind == "minmax":
        # MinMaxScaler computes x * scale_ + min_, i.e. (x - (-min_ / scale_)) / (1 / scale_)
        fitted = MinMaxScaler().fit(values)
        center, scale = -fitted.min_ / fitted.scale_, 1.0 / fitted.scale_
    else:
        raise ValueError(f"unknown scaling {kind!r}")
    return Scaler(kind, np.asarray(center, dtype=np.float64), np.asarray(scale, dtype=np.float64))


def fit_series_scalers(
    kind: Scaling, values: np.ndarray, starts: np.ndarray, train_ends: np.ndarray
) -> list[Scaler]:
    """One scaler per series, fit on that series' training rows alone: series ``k`` is
    rows ``starts[k]:starts[k + 1]``, its training rows the first ``train_ends[k]``."""
    # the same arithmetic without scikit-learn's checks of its arguments and of finite
    # values on every call: they cost more than the fit on a series of a few hundred rows
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        return [
            fit_scaler(kind, values[starts[k] : starts[k] + train_ends[k]])
            for k in range(len(starts) - 1)
        ]
