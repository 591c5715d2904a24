"""Small synthetic series and specs shared by the tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


def fails_to_read(path: Path, *words: str, **kwargs: object) -> str:
    """Assert read_csv raises InputError with a one-line message holding the file and words."""
    from forecaster.data.reading import read_csv
    from forecaster.errors import InputError

    with pytest.raises(InputError) as caught:
        read_csv(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    for word in (path.name, *words):
        assert word in message, f"{word!r} not in {message!r}"
    return message


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


# `forecast` in a child process that stops at a chosen moment and waits to be killed:
# "epoch" pauses in the middle of the epoch after AFTER completed ones (their checkpoint
# written), "save" pauses with the bundle's staging folder half written.
_PAUSING_CLI = """
import sys, time
from pathlib import Path

marker, moment, after, *args = sys.argv[1:]


def pause():
    Path(marker).write_text("paused")
    time.sleep(3600)


if moment == "epoch":
    import forecaster.model.training as train_module

    def on_train_batch_end(self, batch, logs=None):
        if len(self.rows) == int(after) and batch == 1:
            pause()

    train_module.EpochLog.on_train_batch_end = on_train_batch_end
elif moment == "save":
    import forecaster.bundle.layout as bundle_module

    write_json = bundle_module.write_json

    def pausing_write_json(path, data):
        if path.name == bundle_module.PREPROCESSING_FILE and ".partial-" in path.parent.name:
            pause()
        write_json(path, data)

    bundle_module.write_json = pausing_write_json

from forecaster.cli import main

sys.argv = ["forecast", *args]
main()
"""
# generous: CI runs this on 2 busy cores, and TensorFlow alone takes seconds to import
CHILD_TIMEOUT = 300


def start_paused_cli(
    args: list[str], cwd: Path, moment: str, after_epochs: int = 0
) -> tuple[subprocess.Popen, Path]:
    """Start ``forecast ARGS`` in a child that pauses at ``moment``; returns it and the
    marker file it writes once paused."""
    marker = cwd / f"paused-{moment}"
    marker.unlink(missing_ok=True)
    with (cwd / f"child-{moment}.log").open("w") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-c", _PAUSING_CLI, str(marker), moment, str(after_epochs), *args],
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
    return process, marker


def kill_when_paused(process: subprocess.Popen, marker: Path) -> None:
    """Wait (polling) until the child has paused, then SIGKILL it."""
    deadline = time.monotonic() + CHILD_TIMEOUT
    while not marker.exists():
        if process.poll() is not None:
            log = marker.parent / f"child-{marker.name.removeprefix('paused-')}.log"
            pytest.fail(
                f"child exited with {process.returncode} before pausing:\n{log.read_text()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"child did not pause within {CHILD_TIMEOUT} s")
        time.sleep(0.2)
    process.kill()  # SIGKILL: no cleanup handlers run
    process.wait(timeout=CHILD_TIMEOUT)


def synthetic_panel(lengths: tuple[int, ...] = (120, 90, 150, 20), seed: int = 0) -> pd.DataFrame:
    """Long data: daily series of different lengths and start dates, each a weekly sine
    around its own level (series k at 10 (k + 1)), one row per (store, date)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, length in enumerate(lengths):
        dates = pd.date_range("2020-01-01", periods=length, freq="D") + pd.Timedelta(days=7 * k)
        level = 10.0 * (k + 1)
        sales = level + (k + 1) * np.sin(2 * np.pi * np.arange(length) / 7)
        frames.append(
            pd.DataFrame(
                {
                    "store": f"s{k}",
                    "region": "north" if k % 2 else "south",
                    "date": dates.strftime("%Y-%m-%d"),
                    "sales": np.round(sales + rng.normal(0, 0.3, length), 3),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_panel_spec(path: Path, data_path: Path, **sections: dict) -> Path:
    spec = {
        "name": "panel",
        "data": {
            "path": str(data_path),
            "id_columns": ["store"],
            "targets": ["sales"],
            "split": {"val_steps": 14, "test_steps": 14},
        },
        "window": {"lookback": 14, "horizon": 7},
        "model": {"cell": "gru", "units": [8]},
        "train": {"epochs": 2, "batch_size": 16, "patience": 2, "seed": 3},
    }
    for key, value in sections.items():
        spec[key] = {**spec[key], **value} if isinstance(spec.get(key), dict) else value
    path.write_text(yaml.safe_dump(spec))
    return path
