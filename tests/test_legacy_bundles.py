"""Bundles written by an earlier forecaster keep loading and forecasting the same numbers.

``tests/fixtures/legacy_bundles/`` holds two bundles made once by
``tests/fixtures/make_legacy_bundles.py`` (the commit is in its README): one wide series and
one long table of three series. Each comes with the history it forecasts from and the
forecast ``forecast predict`` wrote then. If one of these tests fails, the change broke
bundles users already have: fix the code, do not remake the fixtures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "legacy_bundles"
KINDS = ("wide", "long")
# the time column and, for long data, the id columns: compared exactly
KEYS = {"wide": ["timestamp"], "long": ["region", "store", "date"]}
WINDOW = {"wide": (12, 4), "long": (14, 3)}  # (lookback, horizon) as trained


@pytest.fixture(params=KINDS)
def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """A copy of one fixture folder: nothing a test does can touch the committed files."""
    kind = request.param
    copy = tmp_path / kind
    shutil.copytree(FIXTURES / kind, copy)
    return kind, copy


def expected_forecast(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "expected_forecast.csv", dtype=str)


def assert_same_forecast(kind: str, found: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(found.columns) == list(expected.columns)
    assert len(found) == len(expected)
    keys = KEYS[kind]
    time_column = keys[-1]
    for column in keys[:-1]:
        assert found[column].astype(str).tolist() == expected[column].tolist()
    found_times = pd.to_datetime(found[time_column].astype(str))
    assert found_times.tolist() == pd.to_datetime(expected[time_column]).tolist()
    values = [column for column in expected.columns if column not in keys]
    np.testing.assert_allclose(
        found[values].to_numpy(dtype=np.float64),
        expected[values].to_numpy(dtype=np.float64),
        rtol=1e-5,
    )


def test_cli_predict_forecasts_what_the_legacy_bundle_did(
    legacy: tuple[str, Path], tmp_path: Path
) -> None:
    kind, folder = legacy
    out = tmp_path / "forecast.csv"
    result = CliRunner().invoke(
        app,
        [
            "predict",
            str(folder / "bundle"),
            "--data",
            str(folder / "history.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str)
    expected = expected_forecast(folder)
    assert_same_forecast(kind, written, expected)
    # the times are written as they were: same text, not only the same instants
    time_column = KEYS[kind][-1]
    assert written[time_column].tolist() == expected[time_column].tolist()


def test_python_api_forecasts_what_the_legacy_bundle_did(legacy: tuple[str, Path]) -> None:
    kind, folder = legacy
    fc = forecaster.load(folder / "bundle")
    assert (fc.lookback, fc.horizon) == WINDOW[kind]
    forecast = fc.predict(pd.read_csv(folder / "history.csv"))
    assert_same_forecast(kind, forecast, expected_forecast(folder))


def test_legacy_model_loads_with_plain_keras(legacy: tuple[str, Path]) -> None:
    _, folder = legacy
    model = keras.models.load_model(folder / "bundle" / "model.keras")
    lookback, horizon = WINDOW[legacy[0]]
    assert model.inputs[0].shape[1] == lookback
    assert model.outputs[0].shape[1] == horizon
    bundled = forecaster.load(folder / "bundle").model
    for plain, loaded in zip(model.get_weights(), bundled.get_weights(), strict=True):
        np.testing.assert_array_equal(plain, loaded)
