"""transform: log, log1p and Box-Cox applied to the targets before scaling, fit per series
on training rows alone, stored in preprocessing.json and inverted on every forecast
(predict, scores, intervals, quantile heads); values the transform cannot take refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecaster.bundle.forecasting import Forecaster
from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.errors import InputError
from forecaster.evaluation.scoring import score_periods
from forecaster.model import transforms
from forecaster.model.network import build_model
from forecaster.model.preparation import prepare
from forecaster.model.preprocessing import Preprocessing
from forecaster.spec import ModelSpec, parse_spec
from tests.bundle_helpers import hourly_preprocessing, long_panel, long_spec, model_forecasting
from tests.conftest import synthetic_frame, synthetic_panel

LOOKBACK, HORIZON = 12, 4


def _wide_spec(transform: str = "log", **sections: object) -> object:
    return parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": LOOKBACK, "horizon": HORIZON},
            "model": {"units": [4]},
            "transform": transform,
            **sections,
        }
    )


def _wide_panel(frame: pd.DataFrame) -> Panel:
    return Panel.single(prepare_frame(frame, time_column="timestamp", columns=["y", "x"]))


def _growing_frame(rows: int = 200) -> pd.DataFrame:
    """Positive, growing, its daily swing growing with its level: y = e^(0.01 t) (2 + sin)."""
    frame = synthetic_frame(rows)
    steps = np.arange(rows)
    frame["y"] = np.exp(0.01 * steps) * (2 + np.sin(2 * np.pi * steps / 24))
    return frame


@pytest.mark.parametrize(
    ("kind", "lambdas"),
    [("log", 0.0), ("log1p", 0.0), ("box_cox", 0.0), ("box_cox", 0.5), ("box_cox", -0.7)],
)
def test_transform_then_inverse_gives_the_values_back(kind: str, lambdas: float) -> None:
    values = np.array([[0.01, 1.0], [3.5, 250.0], [1e4, 7.25]])
    lam = np.array([lambdas, 1.3 if kind == "box_cox" else 0.0])  # one per target
    done = transforms.forward(kind, values, lam)  # type: ignore[arg-type]
    assert transforms.inverse(kind, done, lam) == pytest.approx(values, rel=1e-12)  # type: ignore[arg-type]
    assert done[:, 0] == pytest.approx(
        {
            "log": np.log(values[:, 0]),
            "log1p": np.log1p(values[:, 0]),
            "box_cox": stats.boxcox(values[:, 0], lambdas),
        }[kind]
    )


def test_box_cox_inverse_is_monotone_and_its_limits_are_bounds() -> None:
    grid = np.linspace(-5, 5, 41)
    for lam in (0.5, -0.5):
        back = transforms.inverse("box_cox", grid, np.array(lam))
        assert np.all(back[1:] >= back[:-1])
    # beyond the range (lambda y + 1 <= 0): 0 for a positive lambda, infinity otherwise
    assert transforms.inverse("box_cox", np.array([-3.0]), np.array(0.5))[0] == 0.0
    assert transforms.inverse("box_cox", np.array([3.0]), np.array(-0.5))[0] == np.inf


def test_box_cox_lambda_is_scipys_maximum_likelihood_and_one_for_a_constant_column() -> None:
    rng = np.random.default_rng(0)
    column = np.exp(rng.normal(2.0, 0.5, 300))
    lambdas = transforms.fit_lambdas(np.stack([column, np.full(300, 4.0)], axis=1))
    assert lambdas[0] == pytest.approx(stats.boxcox(column)[1], abs=1e-6)
    assert abs(lambdas[0]) < 0.2  # a log-normal sample: close to the log
    assert lambdas[1] == 1.0


def test_log_scaler_is_fit_on_the_log_of_the_training_rows_alone() -> None:
    frame = _growing_frame()
    prepared = prepare(_wide_spec("log"), _wide_panel(frame))
    train_end = prepared.series_periods.train_ends[0]
    scaler = prepared.preprocessing.series_scalers[()]
    logs = np.log(frame["y"].to_numpy()[:train_end])
    assert scaler.center[0] == pytest.approx(logs.mean())
    assert scaler.scale[0] == pytest.approx(logs.std())
    assert scaler.center[1] == pytest.approx(frame["x"].to_numpy()[:train_end].mean())  # as is
    # what the network reads: the log, standardised
    rows = prepared.rows.take(np.arange(3))
    assert rows[:, 0] == pytest.approx((logs[:3] - logs.mean()) / logs.std(), rel=1e-5)
    # a test-period value changes nothing that was fit
    frame.loc[195, "y"] = 1e6
    again = prepare(_wide_spec("log"), _wide_panel(frame)).preprocessing.series_scalers[()]
    assert again.center.tolist() == scaler.center.tolist()


def test_box_cox_lambdas_are_per_series_on_training_rows_and_stored() -> None:
    frame = synthetic_panel((60, 50))
    prepared = prepare(long_spec(transform="box_cox"), long_panel(frame))
    prep = prepared.preprocessing
    for k, key in enumerate(prepared.panel.keys):
        rows = frame[frame.store == f"s{k}"]["sales"].to_numpy()
        train = rows[: prepared.series_periods.train_ends[k]]
        # long data is held as float32: the lambda of those values, to that precision
        assert prep.series_lambdas[key][0] == pytest.approx(stats.boxcox(train)[1], rel=1e-5)
        assert prep.series_scalers[key].center[0] == pytest.approx(
            stats.boxcox(train, prep.series_lambdas[key][0]).mean(), rel=1e-5
        )
    stored = prep.to_dict()
    assert stored["transform"] == "box_cox"
    assert stored["series_lambdas"]["s1"] == prep.series_lambdas[("s1",)].tolist()
    loaded = Preprocessing.from_dict(stored)
    assert loaded.transform == "box_cox"
    assert loaded.series_lambdas[("s1",)].tolist() == prep.series_lambdas[("s1",)].tolist()
    # a bundle written before the option: no transform
    del stored["transform"], stored["series_lambdas"]
    old = Preprocessing.from_dict(stored)
    assert old.transform == "none" and old.series_lambdas == {}
    assert "transform" not in replace(prep, transform="none", series_lambdas={}).to_dict()


def test_a_value_the_transform_cannot_take_is_refused_in_one_line() -> None:
    frame = _growing_frame()
    frame.loc[30, "y"] = 0.0
    with pytest.raises(InputError) as caught:
        prepare(_wide_spec("log"), _wide_panel(frame))
    assert str(caught.value) == (
        "series.csv: transform: log needs positive targets, but target 'y' is 0 at "
        "2024-01-02 06:00:00 in its training rows (1 such rows in all); fix: use "
        "transform: log1p for series with zeros, or set transform: none"
    )
    prepare(_wide_spec("log1p"), _wide_panel(frame))  # a zero is log1p's to take
    frame.loc[30, "y"] = -0.5
    with pytest.raises(InputError, match=r"transform: log1p needs nonnegative targets"):
        prepare(_wide_spec("log1p"), _wide_panel(frame))
    # many series: the series is named
    panel = synthetic_panel((60, 50))
    panel.loc[(panel.store == "s1").to_numpy().nonzero()[0][3], "sales"] = -0.25
    with pytest.raises(InputError) as caught:
        prepare(long_spec(transform="box_cox"), long_panel(panel))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "stores.csv: transform: box_cox needs positive targets, but target 'sales' of "
        "series 's1' is -0.25 at 2020-01-11 00:00:00 in its training rows"
    )


def test_smape_loss_with_a_transform_is_refused() -> None:
    with pytest.raises(InputError, match="train.loss: smape reads each window on the original"):
        _wide_spec("log", train={"loss": "smape"})
    _wide_spec("log", train={"loss": "mase"})


def _forecaster(model: object, transform: str, **prep: object) -> Forecaster:
    # the log's scaler: center 2, scale 0.5; the covariate's: as it is
    preprocessing = hourly_preprocessing(
        LOOKBACK, HORIZON, [2.0, 0.0], [0.5, 1.0], transform=transform, **prep
    )
    return Forecaster(model, _wide_spec(transform), preprocessing)  # type: ignore[arg-type]


def test_predict_inverts_the_forecast_and_widens_intervals_in_original_units() -> None:
    model = model_forecasting([-1.0, 0.0, 1.0, 2.0], LOOKBACK, HORIZON)
    widths = {80: np.full((HORIZON, 1), 0.5)}  # 0.5 spreads either side
    history = _growing_frame(50)
    table = _forecaster(model, "log", calibration=widths).predict(history)
    expected = np.exp(np.array([-1.0, 0.0, 1.0, 2.0]) * 0.5 + 2.0)
    assert table["y"].to_numpy() == pytest.approx(expected)
    # the spread in original units: the scale times exp at the center, 0.5 e^2
    half = 0.5 * 0.5 * np.exp(2.0)
    assert table["y_lo_80"].to_numpy() == pytest.approx(expected - half)
    assert table["y_hi_80"].to_numpy() == pytest.approx(expected + half)
    # box_cox with lambda 0.5: (0.5 y + 1)^2 at y = v x 0.5 + 2
    lam = {(): np.array([0.5])}
    boxed = _forecaster(model, "box_cox", series_lambdas=lam).predict(history)
    scaled = np.array([-1.0, 0.0, 1.0, 2.0]) * 0.5 + 2.0
    assert boxed["y"].to_numpy() == pytest.approx((0.5 * scaled + 1) ** 2)


def test_predict_inverts_every_quantile_of_a_quantile_head() -> None:
    quantiles = (0.1, 0.5, 0.9)
    model = model_forecasting([0.0, 1.0, 0.0, 1.0], LOOKBACK, HORIZON, quantiles)
    widths = {80: np.zeros((HORIZON, 1))}  # the head's own 0.1-0.9 range
    prep = {"calibration": widths, "quantiles": list(quantiles)}
    table = _forecaster(model, "log", **prep).predict(_growing_frame(50))
    median = np.array([0.0, 1.0, 0.0, 1.0]) * 0.5 + 2.0
    step = 0.5 * np.log(2.0)  # softplus(0) x the scale: each quantile's distance, in logs
    assert table["y"].to_numpy() == pytest.approx(np.exp(median))
    assert table["y_lo_80"].to_numpy() == pytest.approx(np.exp(median - step))
    assert table["y_hi_80"].to_numpy() == pytest.approx(np.exp(median + step))


def test_predict_refuses_history_the_transform_cannot_take() -> None:
    model = model_forecasting([0.0] * HORIZON, LOOKBACK, HORIZON)
    history = _growing_frame(50)
    history.loc[45, "y"] = -3.0
    with pytest.raises(InputError) as caught:
        _forecaster(model, "log").predict(history)
    assert str(caught.value) == (
        "history: transform: log needs positive targets, but target 'y' is -3 at "
        "2024-01-02 21:00:00 (1 such rows in all); fix: use transform: log1p for series "
        "with zeros, or set transform: none"
    )


def test_scores_are_of_forecasts_on_the_original_scale_for_one_series_and_many() -> None:
    frame = _growing_frame()
    prepared = prepare(_wide_spec("log"), _wide_panel(frame))
    model = model_forecasting([0.5] * HORIZON, LOOKBACK, HORIZON)
    test = score_periods(
        model, prepared.preprocessing, prepared.panel, prepared.series_periods, ("test",)
    )["test"]
    scaler = prepared.preprocessing.series_scalers[()]
    level = np.exp(0.5 * scaler.scale[0] + scaler.center[0])
    assert test.forecasts["model"] == pytest.approx(np.full_like(test.actual, level))
    assert test.metrics["model"]["mae"] == pytest.approx(np.abs(test.actual - level).mean())
    assert test.target_scale is not None
    assert test.target_scale[0, 0, 0] == pytest.approx(scaler.scale[0] * np.exp(scaler.center[0]))

    import keras

    panel = prepare(long_spec(transform="box_cox"), long_panel(synthetic_panel((60, 50))))
    keras.utils.set_random_seed(1)
    model = build_model(ModelSpec(units=[4], normalization="none"), 14, 7, 1, 1)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(head.get_weights()[0]), np.zeros(7, np.float32)])
    test = score_periods(model, panel.preprocessing, panel.panel, panel.series_periods, ("test",))[
        "test"
    ]
    assert test.series is not None
    for k, key in enumerate(panel.panel.keys):  # output 0: each series' center, inverted
        lam = panel.preprocessing.series_lambdas[key][0]
        center = panel.preprocessing.series_scalers[key].center[0]
        mine = test.forecasts["model"][test.series == k]
        assert mine == pytest.approx(np.full_like(mine, (lam * center + 1) ** (1 / lam)))


def test_a_trained_bundle_reloads_and_forecasts_on_the_original_scale(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    import forecaster
    from forecaster.cli import app
    from tests.conftest import write_panel_spec

    csv = tmp_path / "stores.csv"
    rows = synthetic_panel((60, 50))
    rows.to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "panel.yaml", csv, transform="box_cox", train={"epochs": 1})
    bundle = tmp_path / "bundle"
    runner = CliRunner()
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    stored = json.loads((bundle / "preprocessing.json").read_text())
    assert stored["transform"] == "box_cox" and set(stored["series_lambdas"]) == {"s0", "s1"}
    loaded = forecaster.load(bundle)
    table = loaded.predict(rows)
    # the series sit at 10 and 20: forecasts back in those units, not Box-Cox ones
    by_series = table.groupby("store")["sales"].mean()
    assert 5 < by_series["s0"] < 15 and 14 < by_series["s1"] < 26
    out = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["sales"].to_numpy() == pytest.approx(table["sales"].to_numpy(), rel=1e-5)
