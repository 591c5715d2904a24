"""Known inputs over the horizon: a past covariate is never seen after the origin, a future
covariate and the calendar are; FUTURE tables are checked before they are used."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.bundle.forecasting import Forecaster, predict_windows
from forecaster.data.calendar import Calendar
from forecaster.errors import InputError
from forecaster.model.network import build_model
from forecaster.spec import ModelSpec, parse_spec
from tests.bundle_helpers import hourly_preprocessing
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec

LOOKBACK, HORIZON = 12, 4
CALENDAR = Calendar(features=["hour"], holiday_country="AU", holiday_subdiv="VIC")


def frame_with_future_covariate(rows: int = 60) -> pd.DataFrame:
    """``synthetic_frame`` with a future covariate ``z``, the hour's temperature forecast."""
    frame = synthetic_frame(rows)
    frame["z"] = np.cos(np.arange(rows) / 5.0)
    return frame


@pytest.fixture(scope="module")
def forecaster_() -> Forecaster:
    import keras

    keras.utils.set_random_seed(5)
    # columns: y (target), x (past covariate), z (future covariate), 2 hour + 1 holiday
    known = 1 + len(CALENDAR.columns)
    model = build_model(
        ModelSpec(units=[4]), LOOKBACK, HORIZON, 3 + len(CALENDAR.columns), 1, (), (), known
    )
    prep = hourly_preprocessing(
        LOOKBACK,
        HORIZON,
        [10.0, 0.0, 1.0],
        [2.0, 1.0, 0.5],
        future_covariates=["z"],
        calendar=CALENDAR,
    )
    spec = parse_spec(
        {
            "data": {
                "path": "series.csv",
                "targets": ["y"],
                "covariates": ["x"],
                "future_covariates": ["z"],
                "calendar": ["hour"],
                "holidays": {"country": "AU", "subdiv": "VIC"},
            },
            "window": {"lookback": LOOKBACK, "horizon": HORIZON},
        }
    )
    return Forecaster(model, spec, prep)


def split(frame: pd.DataFrame, history_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    history = frame.iloc[:history_rows]
    future = frame.iloc[history_rows : history_rows + HORIZON][["timestamp", "z"]]
    return history, future


def test_the_model_has_a_future_input_and_reloads_with_plain_keras(
    forecaster_: Forecaster, tmp_path: Path
) -> None:
    import keras

    model = forecaster_.model
    assert [tuple(i.shape) for i in model.inputs] == [(None, LOOKBACK, 6), (None, HORIZON, 4)]
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    inputs = [np.ones((1, LOOKBACK, 6), "float32"), np.ones((1, HORIZON, 4), "float32")]
    np.testing.assert_allclose(
        reloaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_past_values_after_the_origin_are_never_seen_future_ones_are(
    forecaster_: Forecaster,
) -> None:
    prep = forecaster_.preprocessing
    frame = frame_with_future_covariate()
    index = pd.DatetimeIndex(frame["timestamp"])
    values = frame[["y", "x", "z"]].to_numpy(np.float64)
    scaled = prep.with_calendar(prep.series_scalers[()].transform(values), index, "test").astype(
        np.float32
    )
    origins = np.array([30, 20])
    before = predict_windows(forecaster_.model, scaled, origins, prep)

    past_changed = scaled.copy()
    past_changed[30:, :2] += 100.0  # the target and the past covariate from the origin on
    after = predict_windows(forecaster_.model, past_changed, origins[:1], prep)
    np.testing.assert_array_equal(after[0], before[0])

    future_changed = scaled.copy()
    future_changed[30:34, 2] += 3.0  # the future covariate over the first window's horizon
    after = predict_windows(forecaster_.model, future_changed, origins, prep)
    assert not np.allclose(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])  # the second window ends before


def test_predict_reads_future_covariates_from_future(forecaster_: Forecaster) -> None:
    frame = frame_with_future_covariate()
    history, future = split(frame, 50)
    forecast = forecaster_.predict(history, future=future)
    assert list(forecast["timestamp"]) == list(pd.to_datetime(future["timestamp"]))
    changed = future.assign(z=future["z"] + 2.0)
    assert not np.allclose(forecaster_.predict(history, future=changed)["y"], forecast["y"])
    # a whole covariate file may be passed: rows up to the history's end and past the
    # horizon are ignored; so are columns the model has no use for
    whole = frame[["timestamp", "z", "x"]].assign(x=-1e6)
    pd.testing.assert_frame_equal(forecaster_.predict(history, future=whole), forecast)


@pytest.mark.parametrize(
    ("future", "message"),
    [
        (None, "trained with future covariates z, known through the horizon; fix: pass --future"),
        ("short", "has 3 rows after the history; the model forecasts 4 steps"),
        ("late", "continues the history at 2024-01-03 03:00:00; expected 2024-01-03 02:00:00"),
        ("no z", "future: column 'z' is missing; found columns: w; fix: the model"),
    ],
)
def test_bad_future_is_one_clear_error(
    forecaster_: Forecaster, future: str | None, message: str
) -> None:
    frame = frame_with_future_covariate()
    history, good = split(frame, 50)
    table = {
        None: None,
        "short": good.iloc[:3],
        "late": frame.iloc[51:56][["timestamp", "z"]],
        "no z": good[["timestamp"]].assign(w=1.0),
    }[future]
    with pytest.raises(InputError, match=message):
        forecaster_.predict(history, future=table)


def test_future_for_a_model_without_future_covariates_is_refused(
    forecaster_: Forecaster,
) -> None:
    prep = forecaster_.preprocessing
    calendar_only = Forecaster(
        forecaster_.model, forecaster_.spec, dataclasses.replace(prep, future_covariates=[])
    )
    history, future = split(frame_with_future_covariate(), 50)
    with pytest.raises(InputError, match="has no future covariates.*leave --future out"):
        calendar_only.predict(history[["timestamp", "y", "x"]], future=future)


def test_long_data_trains_and_predicts_with_future_covariates_by_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from forecaster.cli import app

    monkeypatch.chdir(tmp_path)
    panel = synthetic_panel((60, 50, 70))
    panel["promo"] = np.random.default_rng(1).integers(0, 2, len(panel))
    panel["sales"] += 3.0 * panel["promo"]
    last = panel.groupby("store").cumcount(ascending=False) < 7
    panel[~last].to_csv("panel.csv", index=False)
    panel[last].drop(columns=["sales"]).to_csv("future.csv", index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml",
        tmp_path / "panel.csv",
        data={"future_covariates": ["promo"], "calendar": ["weekday"]},
        train={"epochs": 1},
    )
    runner = CliRunner()
    trained = runner.invoke(app, ["train", str(spec), "-q"])
    assert trained.exit_code == 0, trained.output
    assert "promo) took their actual values" in (tmp_path / "models/panel/report.html").read_text()

    result = runner.invoke(app, ["predict", "models/panel", "--future", "future.csv"])
    assert result.exit_code == 0, result.output
    forecast = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert list(forecast.columns) == ["store", "date", "sales"]
    assert forecast.groupby("store").size().to_dict() == {"s0": 7, "s1": 7, "s2": 7}
    expected = panel[last][["store", "date"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(forecast[["store", "date"]], expected)

    missing_series = panel[last & (panel["store"] != "s1")].drop(columns=["sales"])
    missing_series.to_csv("partial.csv", index=False)
    result = runner.invoke(app, ["predict", "models/panel", "--future", "partial.csv"])
    assert result.exit_code == 2
    assert "partial.csv: has no rows for series 's1'" in result.output

    result = runner.invoke(app, ["predict", "models/panel"])
    assert result.exit_code == 2
    assert "fix: pass --future FUTURE.csv with the 7 rows after the history" in result.output
    assert "(columns date, store, promo)" in result.output
