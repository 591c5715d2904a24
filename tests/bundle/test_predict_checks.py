"""Long predict checks the history as wide predict does: the rows a forecast reads must be
on the time axis the model was trained on (no zone, or the zone it had; its step), and are
refused with the same message text as wide history, naming the series where it matters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.bundle.forecasting import Forecaster
from forecaster.bundle.layout import load_bundle
from forecaster.cli import app
from forecaster.errors import InputError
from forecaster.model.network import build_model
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.scaling import Scaler
from forecaster.spec import ModelSpec, parse_spec
from tests.conftest import synthetic_panel, write_panel_spec

runner = CliRunner()
LOOKBACK, HORIZON = 14, 7  # write_panel_spec's window


def train(folder: Path, frame: pd.DataFrame) -> Forecaster:
    """A tiny model of the stores in ``frame``, as ``forecast train`` saves it."""
    csv = folder / "stores.csv"
    frame.to_csv(csv, index=False)
    spec = write_panel_spec(folder / "panel.yaml", csv, train={"epochs": 1})
    result = runner.invoke(app, ["train", str(spec), "--out", str(folder / "bundle"), "--cpu"])
    assert result.exit_code == 0, result.output
    return load_bundle(folder / "bundle")


@pytest.fixture(scope="module")
def naive(tmp_path_factory: pytest.TempPathFactory) -> Forecaster:
    """Trained on daily dates without a zone."""
    return train(tmp_path_factory.mktemp("naive"), synthetic_panel())


@pytest.fixture(scope="module")
def utc(tmp_path_factory: pytest.TempPathFactory) -> Forecaster:
    """Trained on the same days in UTC (``2020-01-01T00:00:00Z``)."""
    frame = synthetic_panel()
    frame["date"] = frame["date"] + "T00:00:00Z"
    return train(tmp_path_factory.mktemp("utc"), frame)


def wide(time_style: str, timezone: str | None) -> Forecaster:
    """A one-series daily model of ``sales`` (untrained: every refusal comes before the
    network is called)."""
    prep = Preprocessing(
        time_column="date",
        targets=["sales"],
        covariates=[],
        frequency="D",
        lookback=LOOKBACK,
        horizon=HORIZON,
        missing="error",
        season=7,
        time_style=time_style,
        timezone=timezone,
        series_scalers={"": Scaler("standard", np.array([10.0]), np.array([2.0]))},
    )
    model = build_model(ModelSpec(units=[4]), LOOKBACK, HORIZON, 1, 1)
    spec = parse_spec(
        {
            "data": {"path": "sales.csv", "targets": ["sales"]},
            "window": {"lookback": LOOKBACK, "horizon": HORIZON},
        }
    )
    return Forecaster(model, spec, prep)


def history(dates: pd.DatetimeIndex, written: str = "%Y-%m-%d") -> pd.DataFrame:
    """Two stores (one of the wide model's series alone), each with 20 rows at ``dates``."""
    text = [stamp.isoformat() if written == "iso" else stamp.strftime(written) for stamp in dates]
    sales = 10 + np.sin(np.arange(len(dates)))
    return pd.concat(
        [pd.DataFrame({"store": store, "date": text, "sales": sales}) for store in ("s0", "s1")]
    )


def refusals(
    long: Forecaster, rows: pd.DataFrame, tmp_path: Path, wide_model: Forecaster
) -> tuple[str, str]:
    """What long predict (a CSV of both stores) and wide predict (store s0's rows alone)
    say, each without the name of what it read."""
    path = tmp_path / "history.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        long.predict_csv(path)
    long_message = str(caught.value)
    with pytest.raises(InputError) as caught:
        wide_model.predict(rows[rows.store == "s0"].drop(columns="store"), source="wide")
    wide_message = str(caught.value)
    assert long_message.startswith(str(path)) and wide_message.startswith("wide")
    assert "\n" not in long_message and "\n" not in wide_message
    return long_message.removeprefix(str(path)), wide_message.removeprefix("wide")


def test_history_with_a_zone_for_a_model_trained_without_is_refused_as_for_wide_data(
    naive: Forecaster, tmp_path: Path
) -> None:
    dates = pd.date_range("2021-01-01", periods=20, freq="D", tz="+02:00")
    long_message, wide_message = refusals(
        naive, history(dates, "iso"), tmp_path, wide("naive", None)
    )
    assert (
        long_message
        == wide_message
        == (
            ": has times with a zone (+02:00); expected times without a zone, as the model was "
            "trained on; fix: pass history whose time column is written like the training data's"
        )
    )


def test_history_without_a_zone_for_a_utc_model_is_refused_as_for_wide_data(
    utc: Forecaster, tmp_path: Path
) -> None:
    assert utc.preprocessing.timezone == "UTC"
    dates = pd.date_range("2021-01-01", periods=20, freq="D")
    long_message, wide_message = refusals(utc, history(dates), tmp_path, wide("Z", "UTC"))
    assert (
        long_message
        == wide_message
        == (
            ": has times without a zone; expected times with a zone (UTC), as the model was "
            "trained on; fix: pass history whose time column is written like the training data's"
        )
    )


def test_history_at_another_step_is_refused_as_for_wide_data_naming_the_series(
    naive: Forecaster, tmp_path: Path
) -> None:
    dates = pd.date_range("2021-01-01", periods=20, freq="h")
    long_message, wide_message = refusals(
        naive, history(dates, "%Y-%m-%d %H:%M:%S"), tmp_path, wide("naive", None)
    )
    assert long_message == " (series s0)" + wide_message
    assert wide_message == (
        ": time column 'date' has 2021-01-01 01:00:00, which is not on the 'D' grid that "
        "starts at 2021-01-01 00:00:00; expected one row every 'D'; fix: set data.frequency "
        "to the series' step, or correct that row"
    )


def test_a_series_at_another_step_is_named_among_daily_ones(
    naive: Forecaster, tmp_path: Path
) -> None:
    rows = history(pd.date_range("2021-01-01", periods=20, freq="D"))
    hourly = pd.date_range("2021-01-01", periods=20, freq="h").strftime("%Y-%m-%d %H:%M:%S")
    rows.loc[rows.store == "s1", "date"] = list(hourly)
    path = tmp_path / "history.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"history\.csv \(series s1\): time column 'date' has "):
        naive.predict_csv(path)
    rows[rows.store == "s0"].to_csv(path, index=False)
    assert len(naive.predict_csv(path)) == HORIZON  # the daily store alone is forecast
