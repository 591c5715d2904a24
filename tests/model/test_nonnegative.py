"""data.nonnegative: forecasts clipped at zero when forecasting and when scoring, stored in
preprocessing.json, and training rows with a negative target refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.bundle.forecasting import Forecaster
from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.errors import InputError
from forecaster.evaluation.calibration import add_intervals
from forecaster.evaluation.scoring import PeriodForecasts, score_periods
from forecaster.model.network import build_model
from forecaster.model.preparation import prepare
from forecaster.model.preprocessing import Preprocessing
from forecaster.spec import ModelSpec, parse_spec
from tests.bundle_helpers import hourly_preprocessing, long_panel, long_spec, model_forecasting
from tests.conftest import synthetic_frame, synthetic_panel

LOOKBACK, HORIZON = 12, 4


def _wide_spec(**data: object) -> object:
    return parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"], **data},
            "window": {"lookback": LOOKBACK, "horizon": HORIZON},
            "model": {"units": [4]},
        }
    )


def _wide_panel(frame: pd.DataFrame) -> Panel:
    return Panel.single(prepare_frame(frame, time_column="timestamp", columns=["y", "x"]))


def _positive_frame(rows: int = 200) -> pd.DataFrame:
    frame = synthetic_frame(rows)
    frame["y"] = frame["y"] - frame["y"].min() + 0.5  # every value above zero
    return frame


def test_a_negative_target_in_the_training_rows_is_refused_in_one_line() -> None:
    frame = _positive_frame()
    frame.loc[30, "y"] = -2.5
    with pytest.raises(InputError) as caught:
        prepare(_wide_spec(nonnegative=True), _wide_panel(frame))
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        "series.csv: data.nonnegative is true, but target 'y' is -2.5 at 2024-01-02 06:00:00 "
        "in the training rows (1 such rows in all); fix: correct the data, or set "
        "data.nonnegative: false (forecasts are then not clipped at zero)"
    )
    prepare(_wide_spec(), _wide_panel(frame))  # off by default: nothing is checked


def test_negative_values_outside_the_training_rows_or_in_covariates_are_accepted() -> None:
    frame = _positive_frame()
    frame.loc[190, "y"] = -1.0  # the test period (the last 20%)
    frame["x"] = -5.0  # a covariate may be negative
    prepared = prepare(_wide_spec(nonnegative=True), _wide_panel(frame))
    assert prepared.preprocessing.nonnegative is True


def test_many_series_name_the_series_holding_the_negative_value() -> None:
    frame = synthetic_panel((60, 50))
    frame.loc[(frame.store == "s1").to_numpy().nonzero()[0][3], "sales"] = -0.25
    with pytest.raises(InputError, match=r"target 'sales' of series 's1' is -0.25 at 2020-01-11"):
        prepare(long_spec({"nonnegative": True}), long_panel(frame))


def test_preprocessing_json_stores_it_and_old_bundles_read_as_false() -> None:
    prep = prepare(_wide_spec(nonnegative=True), _wide_panel(_positive_frame())).preprocessing
    stored = prep.to_dict()
    assert stored["nonnegative"] is True
    assert Preprocessing.from_dict(stored).nonnegative is True
    del stored["nonnegative"]  # what a bundle written before the option holds
    assert Preprocessing.from_dict(stored).nonnegative is False
    assert "nonnegative" not in replace(prep, nonnegative=False).to_dict()


def _forecaster(model: object, nonnegative: bool, **prep: object) -> Forecaster:
    preprocessing = hourly_preprocessing(
        LOOKBACK, HORIZON, [10.0, 0.0], [2.0, 1.0], nonnegative=nonnegative, **prep
    )
    return Forecaster(model, _wide_spec(nonnegative=nonnegative), preprocessing)  # type: ignore[arg-type]


def test_predict_clips_the_forecast_and_the_interval_bounds_at_zero() -> None:
    # scaled -10 and 0.5: -10 x 2 + 10 = -10 and 0.5 x 2 + 10 = 11 in the target's units
    model = model_forecasting([-10.0, 0.5, -10.0, 0.5], LOOKBACK, HORIZON)
    widths = {80: np.full((HORIZON, 1), 0.5)}  # 0.5 scales = 1 unit either side
    history = synthetic_frame(50)
    free = _forecaster(model, False, calibration=widths).predict(history)
    assert free["y"].tolist() == pytest.approx([-10.0, 11.0, -10.0, 11.0])
    assert free["y_lo_80"].tolist() == pytest.approx([-11.0, 10.0, -11.0, 10.0])
    clipped = _forecaster(model, True, calibration=widths).predict(history)
    assert clipped["y"].tolist() == pytest.approx([0.0, 11.0, 0.0, 11.0])
    assert clipped["y_lo_80"].tolist() == pytest.approx([0.0, 10.0, 0.0, 10.0])
    # the bands are around the clipped forecast, as the scored ones are
    assert clipped["y_hi_80"].tolist() == pytest.approx([1.0, 12.0, 1.0, 12.0])


def test_predict_clips_a_quantile_head_at_zero() -> None:
    quantiles = (0.1, 0.5, 0.9)
    model = model_forecasting([-10.0, 0.5, -10.0, 0.5], LOOKBACK, HORIZON, quantiles)
    widths = {80: np.zeros((HORIZON, 1))}  # the head's own 0.1-0.9 range
    history = synthetic_frame(50)
    step = 2 * np.log(2.0)  # softplus(0) scaled by 2: each quantile's distance to the median
    free = _forecaster(model, False, calibration=widths, quantiles=list(quantiles))
    table = free.predict(history)
    assert table["y_lo_80"].tolist() == pytest.approx([-10 - step, 11 - step] * 2)
    clipped = _forecaster(model, True, calibration=widths, quantiles=list(quantiles))
    table = clipped.predict(history)
    assert table["y"].tolist() == pytest.approx([0.0, 11.0, 0.0, 11.0])
    assert table["y_lo_80"].tolist() == pytest.approx([0.0, 11 - step] * 2)
    assert table["y_hi_80"].tolist() == pytest.approx([0.0, 11 + step] * 2)


def test_scores_are_of_the_clipped_forecasts_for_one_series_and_for_many() -> None:
    import keras

    # one series: a model forecasting far below zero forecasts 0 once clipped
    frame = _positive_frame()
    prepared = prepare(_wide_spec(nonnegative=True), _wide_panel(frame))
    model = model_forecasting([-50.0] * HORIZON, LOOKBACK, HORIZON)
    periods = prepared.series_periods
    clipped = score_periods(model, prepared.preprocessing, prepared.panel, periods, ("test",))
    test = clipped["test"]
    assert (test.forecasts["model"] == 0).all()
    assert test.metrics["model"]["mae"] == pytest.approx(np.abs(test.actual).mean())
    assert test.metrics["model"]["smape"] == pytest.approx(200.0)  # |y - 0| / (|y| + 0)
    free_prep = replace(prepared.preprocessing, nonnegative=False)
    free = score_periods(model, free_prep, prepared.panel, periods, ("test",))["test"]
    scaler = prepared.preprocessing.series_scalers[()]
    below = -50.0 * scaler.scale[0] + scaler.center[0]  # what the model forecasts unclipped
    assert below < -30 and free.forecasts["model"] == pytest.approx(
        np.full_like(test.actual, below)
    )
    assert free.metrics["model"]["mae"] == pytest.approx((test.actual - below).mean())

    # many series: each on its own scale, every forecast clipped
    panel_frame = synthetic_panel((60, 50))
    prepared = prepare(long_spec({"nonnegative": True}), long_panel(panel_frame))
    keras.utils.set_random_seed(1)
    model = build_model(ModelSpec(units=[4], normalization="none"), 14, 7, 1, 1)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(head.get_weights()[0]), np.full(7, -50.0, np.float32)])
    test = score_periods(
        model, prepared.preprocessing, prepared.panel, prepared.series_periods, ("test",)
    )["test"]
    assert test.metrics["series"] == 2 and (test.forecasts["model"] == 0).all()
    assert test.metrics["model"]["mae"] == pytest.approx(np.abs(test.actual).mean())
    per_series = test.per_series
    assert per_series is not None
    assert per_series["model_smape"].tolist() == pytest.approx([200.0, 200.0])


def test_scored_interval_bounds_are_clipped_for_every_forecast() -> None:
    actual = np.full((4, 2, 1), 1.0)
    forecasts = {"model": actual * 0.5, "naive": actual * 0.2}
    ones = np.ones((4, 1, 1))
    test = PeriodForecasts(
        np.arange(4), actual, forecasts, {}, window_scale=ones, target_scale=ones
    )
    widths = {80: np.full((2, 1), 2.0)}
    _, free = add_intervals({"test": test}, [80], model_widths=widths)
    assert free["test"].intervals is not None
    assert free["test"].intervals["model"][80][0].min() == pytest.approx(-1.5)
    _, clipped = add_intervals({"test": test}, [80], model_widths=widths, nonnegative=True)
    assert clipped["test"].intervals is not None
    lower, upper = clipped["test"].intervals["model"][80]
    assert lower.tolist() == np.zeros((4, 2, 1)).tolist()
    assert upper.tolist() == np.full((4, 2, 1), 2.5).tolist()
    # width 2.5 instead of 4: the part below zero was never a possible value
    assert clipped["test"].metrics["intervals"]["80"]["model"]["width"] == pytest.approx(2.5)


def test_train_refuses_it_in_one_line_and_a_bundle_keeps_it(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    import forecaster
    from forecaster.cli import app
    from tests.conftest import write_panel_spec

    runner = CliRunner()
    csv = tmp_path / "stores.csv"
    rows = synthetic_panel((60, 50))
    rows.loc[5, "sales"] = -1.5  # s0, 2020-01-06, a training row
    rows.to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml", csv, data={"nonnegative": True}, train={"epochs": 1}
    )
    refused = runner.invoke(app, ["train", str(spec), "--out", str(tmp_path / "b")])
    assert refused.exit_code == 2
    assert (
        refused.output.strip()
        .splitlines()[-1]
        .startswith(
            f"error: {csv}: data.nonnegative is true, but target 'sales' of series 's0' is -1.5 "
            "at 2020-01-06"
        )
    )
    rows.loc[5, "sales"] = 1.5
    rows.to_csv(csv, index=False)
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((bundle / "preprocessing.json").read_text())["nonnegative"] is True
    loaded = forecaster.load(bundle)
    assert loaded.preprocessing.nonnegative is True
    assert (loaded.predict(rows)["sales"] >= 0).all()
