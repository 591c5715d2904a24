"""Small synthetic series and specs shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
import pytest
import yaml


def synthetic_frame(
    num_rows: int = 400, seed: int = 0, level_shift: float = 0.0, noise: float = 0.1
) -> pd.DataFrame:
    """Hourly: a daily sine + slow trend + AR(1) wandering (``noise`` is its innovation
    scale) for ``y``, a noisy lagged copy as covariate ``x``. ``level_shift`` is added to the
    last third, a level the training rows never saw. The wandering is what keeps both naive
    forecasts beatable: it breaks the sine's exact repetition, and it decays."""
    rng = np.random.default_rng(seed)
    steps = np.arange(num_rows)
    wander = np.zeros(num_rows)
    for step in range(1, num_rows):
        wander[step] = 0.9 * wander[step - 1] + noise * rng.standard_normal()
    y = np.sin(2 * np.pi * steps / 24) + 0.002 * steps + wander
    y[2 * num_rows // 3 :] += level_shift
    x = np.roll(y, 1) + 0.05 * rng.standard_normal(num_rows)
    index = pd.date_range("2024-01-01", periods=num_rows, freq="h")
    return pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "y": y, "x": x})


def write_spec(path: Path, data_path: Path, **sections: dict) -> Path:
    """A tiny, fast spec; keyword arguments replace whole sections."""
    spec = {
        "name": "tiny",
        "data": {"path": str(data_path), "targets": ["y"], "covariates": ["x"]},
        "window": {"lookback": 24, "horizon": 6},
        "model": {"cell": "gru", "units": [8]},
        "train": {"epochs": 2, "batch_size": 32, "patience": 2, "seed": 7},
    }
    for key, value in sections.items():
        spec[key] = {**spec[key], **value} if isinstance(spec.get(key), dict) else value
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def series_csv(tmp_path: Path) -> Path:
    path = tmp_path / "series.csv"
    synthetic_frame().to_csv(path, index=False)
    return path


@pytest.fixture
def spec_file(tmp_path: Path, series_csv: Path) -> Path:
    return write_spec(tmp_path / "tiny.yaml", series_csv)
