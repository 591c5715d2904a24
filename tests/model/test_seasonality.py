"""deseasonalise: classical seasonal indices per series fit on training rows, removed
after the transform and before scaling, anchored on the time axis, stored in
preprocessing.json and put back over every forecast's horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.errors import InputError
from forecaster.model import seasonality
from forecaster.model.preparation import prepare
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.seasonality import SeasonalPattern
from forecaster.spec import parse_spec
from tests.bundle_helpers import long_panel, long_spec, model_forecasting
from tests.conftest import synthetic_frame, synthetic_panel
from tests.model.test_transforms import HORIZON, LOOKBACK, _forecaster

SEASON = np.array([0.8, 0.9, 1.0, 1.1, 1.2, 1.0, 0.9, 0.8, 1.0, 1.1, 1.2, 1.0])


def _monthly(values: np.ndarray) -> pd.DataFrame:
    months = pd.date_range("2010-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"month": months.strftime("%Y-%m-%d"), "y": values})


def _monthly_spec(deseasonalise: str, **sections: object) -> object:
    return parse_spec(
        {
            "data": {"path": "m.csv", "time_column": "month", "targets": ["y"]},
            "window": {"lookback": 24, "horizon": 6},
            "model": {"units": [4]},
            "deseasonalise": deseasonalise,
            **sections,
        }
    )


def _panel(frame: pd.DataFrame) -> Panel:
    return Panel.single(prepare_frame(frame, time_column="month", columns=["y"]))


def test_classical_indices_recover_a_known_pattern() -> None:
    steps = np.arange(60)
    additive = SEASON - SEASON.mean()
    # a straight trend plus the pattern: the centred moving average is the trend exactly
    rows = (3.0 + 0.5 * steps + additive[steps % 12])[:, None]
    indices = seasonality.classical_indices(rows, 12, multiplicative=False)
    assert indices[:, 0] == pytest.approx(additive, abs=1e-12)
    # a level times the pattern: the ratio to the average, normalised to a mean of 1
    rows = (50.0 * SEASON[steps % 12])[:, None]
    indices = seasonality.classical_indices(rows, 12, multiplicative=True)
    assert indices[:, 0] == pytest.approx(SEASON / SEASON.mean(), abs=1e-12)
    # an odd period, and too few rows for two periods: no pattern
    odd = np.tile([1.0, -2.0, 1.0], 10)[:, None] + 7.0
    assert seasonality.classical_indices(odd, 3, False)[:, 0] == pytest.approx([1, -2, 1])
    assert seasonality.classical_indices(rows[:20], 12, True)[:, 0].tolist() == [1.0] * 12


def test_steps_between_counts_on_the_time_axis() -> None:
    assert seasonality.steps_between("2019-12-01", "2021-03-01", "MS") == 15
    assert seasonality.steps_between("2021-03-01", "2019-12-01", "MS") == -15
    zoned = pd.Timestamp("2024-03-30 12:00", tz="Europe/Berlin")
    later = pd.Timestamp("2024-03-31 12:00", tz="Europe/Berlin")  # 23 hours: DST began
    assert seasonality.steps_between(zoned, later, "h") == 23
    assert seasonality.steps_between(zoned, later, "D") == 1
    assert seasonality.steps_between(40, 7, "step") == -33


def test_patterns_are_fit_on_training_rows_anchored_at_their_last_and_round_trip() -> None:
    steps = np.arange(120)
    frame = _monthly((100.0 + steps) * SEASON[steps % 12])
    prepared = prepare(_monthly_spec("classical_multiplicative"), _panel(frame))
    prep = prepared.preprocessing
    train_end = int(prepared.series_periods.train_ends[0])
    pattern = prep.series_seasonality[()]
    assert pattern.anchor == pd.Timestamp("2010-01-01") + pd.DateOffset(months=train_end - 1)
    # position 0 is the anchor's month, 1 the month after; the trend bends the ratios a
    # little, so the indices are the pattern's to within 0.3%
    expected = np.roll(SEASON, -(train_end - 1))
    assert pattern.indices[:, 0] == pytest.approx(expected, rel=3e-3)
    # what the network reads: the trend alone, before scaling
    fit = prep.target_fit(prepared.panel)
    assert fit.offsets is not None and fit.offsets.tolist() == [-(train_end - 1)]
    flat = prep.transformed_values(prepared.panel, fit)[:, 0]
    assert flat == pytest.approx(100.0 + steps, rel=3e-3)
    # put back over a horizon starting at any row: the values as read, exactly
    origins = np.array([5, 50, 100])
    windows = flat[origins[:, None] + np.arange(6)][..., None]  # [3, 6, 1]
    back = fit.inverse(windows, np.zeros(3, np.int64), origins)
    assert back[..., 0] == pytest.approx(frame["y"].to_numpy()[origins[:, None] + np.arange(6)])
    # the scaler sees the deseasonalised training rows
    scaler = prep.series_scalers[()]
    assert scaler.center[0] == pytest.approx(flat[:train_end].mean())
    # a test-period value changes nothing that was fit
    frame.loc[115, "y"] = 1e6
    again = prepare(_monthly_spec("classical_multiplicative"), _panel(frame)).preprocessing
    assert again.series_seasonality[()].indices.tolist() == pattern.indices.tolist()


def test_after_a_log_the_additive_pattern_is_removed_from_the_logs() -> None:
    steps = np.arange(120)
    frame = _monthly(np.exp(0.01 * steps) * SEASON[steps % 12])
    spec = _monthly_spec("classical_additive", transform="log")
    prepared = prepare(spec, _panel(frame))
    prep = prepared.preprocessing
    fit = prep.target_fit(prepared.panel)
    flat = prep.transformed_values(prepared.panel, fit)[:, 0]
    # the log of the pattern, centred, is what was removed; a straight line is left
    assert np.diff(flat) == pytest.approx(np.full(119, 0.01), abs=1e-9)
    origins = np.array([30, 90])
    back = fit.inverse(flat[origins[:, None] + np.arange(6)][..., None], np.zeros(2, int), origins)
    assert back[..., 0] == pytest.approx(frame["y"].to_numpy()[origins[:, None] + np.arange(6)])


def test_many_series_each_get_their_own_pattern_stored_in_preprocessing_json() -> None:
    frame = synthetic_panel((120, 100))  # weekly sines of amplitude 1 and 2, daily rows
    spec = long_spec(deseasonalise="classical_additive")
    prepared = prepare(spec, long_panel(frame))
    prep = prepared.preprocessing
    ranges = {key: np.ptp(p.indices) for key, p in prep.series_seasonality.items()}
    assert prep.season == 7 and set(ranges) == {("s0",), ("s1",)}
    # a sine of amplitude a sampled 7 times a cycle spans 1.95 a, noise aside
    assert 1.6 < ranges[("s0",)] < 2.3 and 3.5 < ranges[("s1",)] < 4.3
    stored = prep.to_dict()
    assert stored["deseasonalise"] == "classical_additive"
    assert set(stored["series_seasonality"]) == {"s0", "s1"}
    loaded = Preprocessing.from_dict(stored)
    assert loaded.series_seasonality[("s1",)].anchor == prep.series_seasonality[("s1",)].anchor
    assert (
        loaded.series_seasonality[("s1",)].indices.tolist()
        == prep.series_seasonality[("s1",)].indices.tolist()
    )
    del stored["deseasonalise"], stored["series_seasonality"]
    old = Preprocessing.from_dict(stored)  # a bundle written before it
    assert old.deseasonalise == "none" and old.series_seasonality == {}


def test_predict_puts_the_pattern_back_at_the_forecast_times() -> None:
    model = model_forecasting([-1.0, 0.0, 1.0, 2.0], LOOKBACK, HORIZON)
    # hourly, season 24: index j for the hour j steps after midnight of the first day
    pattern = SeasonalPattern(pd.Timestamp("2024-01-01 00:00:00"), np.arange(24.0)[:, None])
    forecaster = _forecaster(
        model, "none", deseasonalise="classical_additive", series_seasonality={(): pattern}
    )
    history = synthetic_frame(50)  # last row 2024-01-03 01:00: the next is hour 2
    table = forecaster.predict(history)
    unscaled = np.array([-1.0, 0.0, 1.0, 2.0]) * 0.5 + 2.0
    assert table["y"].to_numpy() == pytest.approx(unscaled + np.arange(2.0, 6.0))
    # positions come from the times, not the rows: a shorter history forecasts the same
    shorter = forecaster.predict(history.iloc[20:])
    assert shorter["y"].to_numpy() == pytest.approx(table["y"].to_numpy())
    assert HORIZON == 4


def test_refusals_name_the_field_what_was_found_and_the_fix() -> None:
    steps = np.arange(120)
    frame = _monthly(1.0 + np.sin(steps))  # reaches 0 and below... at most 0
    frame.loc[10, "y"] = -0.5
    with pytest.raises(InputError) as caught:
        prepare(_monthly_spec("classical_multiplicative"), _panel(frame))
    assert str(caught.value) == (
        "m.csv: deseasonalise: classical_multiplicative needs positive targets, but target "
        "'y' is -0.5 at 2010-11-01 00:00:00 in its training rows (1 such rows in all); fix: "
        "use deseasonalise: classical_additive, or set deseasonalise: none"
    )
    prepare(_monthly_spec("classical_additive"), _panel(frame))  # any value
    with pytest.raises(InputError, match="needs a seasonal period of 2 or more, but the season"):
        prepare(_monthly_spec("classical_additive", evaluation={"season": 1}), _panel(frame))
    with pytest.raises(InputError, match="transform already turns a multiplicative season"):
        _monthly_spec("classical_multiplicative", transform="log")
    with pytest.raises(InputError, match="train.loss: smape reads each window"):
        _monthly_spec("classical_additive", train={"loss": "smape"})


def test_a_trained_bundle_reloads_and_forecasts_on_the_original_scale(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import forecaster
    from forecaster.cli import app
    from tests.conftest import write_panel_spec

    csv = tmp_path / "stores.csv"
    rows = synthetic_panel((60, 50))
    rows.to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml",
        csv,
        transform="log",
        deseasonalise="classical_additive",
        train={"epochs": 1},
    )
    bundle = tmp_path / "bundle"
    result = CliRunner().invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    loaded = forecaster.load(bundle)
    assert loaded.preprocessing.deseasonalise == "classical_additive"
    table = loaded.predict(rows)
    by_series = table.groupby("store")["sales"].mean()
    assert 5 < by_series["s0"] < 15 and 14 < by_series["s1"] < 26
    # the weekly swing is back: each series' forecast moves by about its amplitude
    swing = table.groupby("store")["sales"].agg(np.ptp)
    assert swing["s1"] > 1.5
