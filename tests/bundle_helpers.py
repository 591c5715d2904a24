"""Pieces the model and bundle tests build alike: a model with a fixed forecast, the
preprocessing of the hourly wide series, and the long stores panel and its spec."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.panel import Panel
from forecaster.model.network import build_model
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.scaling import Scaler
from forecaster.spec import ModelSpec, parse_spec


def model_forecasting(
    values: list[float], lookback: int, horizon: int, quantiles: tuple[float, ...] = ()
) -> object:
    """A model whose output is ``values`` (one per horizon step, on the model's scale)
    whatever its input: the head's weights zeroed, its bias set."""
    import keras

    keras.utils.set_random_seed(1)
    model = build_model(
        ModelSpec(units=[4], normalization="none"), lookback, horizon, 2, 1, quantiles=quantiles
    )
    head = model.get_layer("head")
    kernel, _ = head.get_weights()
    bias = np.asarray(values, dtype=np.float32)
    if quantiles:  # [H, T=1, Q]: the median's raw value, zeros (softplus: ln 2) elsewhere
        raw = np.zeros((horizon, 1, len(quantiles)), np.float32)
        raw[:, 0, list(quantiles).index(0.5)] = bias
        bias = raw.reshape(-1)
    head.set_weights([np.zeros_like(kernel), bias])
    return model


def hourly_preprocessing(
    lookback: int, horizon: int, centers: list[float], scales: list[float], **fields: Any
) -> Preprocessing:
    """The preprocessing of ``synthetic_frame``'s hourly ``y`` and ``x``: one standard
    scaler of ``centers`` and ``scales``; ``fields`` set the rest."""
    return Preprocessing(
        time_column="timestamp",
        targets=["y"],
        covariates=["x"],
        frequency="h",
        lookback=lookback,
        horizon=horizon,
        missing="error",
        season=24,
        series_scalers={(): Scaler("standard", np.array(centers), np.array(scales))},
        **fields,
    )


def long_panel(frame: pd.DataFrame) -> Panel:
    """``synthetic_panel``'s stores read as long data, as train reads stores.csv."""
    from forecaster.data.rows import read_panel

    return read_panel(
        frame,
        lambda i: f"row {i}",
        "stores.csv",
        id_columns=["store"],
        static_covariates=[],
        time_column="date",
        columns=["sales"],
        missing="error",
    )


def long_spec(data: dict[str, Any] | None = None, **sections: object) -> object:
    """A small spec for ``synthetic_panel``'s daily stores; ``data`` adds to its data
    section, ``sections`` add whole sections."""
    return parse_spec(
        {
            "data": {
                "path": "stores.csv",
                "id_columns": ["store"],
                "targets": ["sales"],
                "split": {"val_steps": 14, "test_steps": 14},
                **(data or {}),
            },
            "window": {"lookback": 14, "horizon": 7},
            "model": {"units": [4]},
            **sections,
        }
    )
