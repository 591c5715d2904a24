"""Prediction intervals through the command line: calibrated on validation, measured on
test, written beside every forecast, one series or many."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.model.preprocessing import Preprocessing
from tests.conftest import synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def gaussian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A level with independent Gaussian noise: any forecast's errors are exchangeable."""
    folder = tmp_path_factory.mktemp("intervals")
    rng = np.random.default_rng(4)
    index = pd.date_range("2024-01-01", periods=2400, freq="h")
    y = 5.0 + rng.normal(0, 1.0, len(index))
    csv = folder / "noise.csv"
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "y": y}).to_csv(
        csv, index=False
    )
    spec = write_spec(
        folder / "noise.yaml",
        csv,
        data={"covariates": [], "split": {"val": 0.3, "test": 0.3}},
        intervals={"levels": [80, 95]},
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_coverage_on_test_is_near_nominal_for_the_model_and_baselines(
    gaussian: tuple[Path, Path, str],
) -> None:
    bundle, _, output = gaussian
    intervals = json.loads((bundle / "metrics.json").read_text())["test"]["intervals"]
    assert set(intervals) == {"80", "95"}
    for level, by_forecast in intervals.items():
        assert set(by_forecast) == {"model", "naive", "seasonal_naive"}
        for scores in by_forecast.values():
            assert scores["coverage"] == pytest.approx(int(level) / 100, abs=0.05)
            assert len(scores["coverage_per_step"]) == 6
    assert "80% intervals cover: model" in output
    page = (bundle / "report.html").read_text()
    assert "Prediction intervals" in page and (bundle / "plots" / "coverage_by_step.png").is_file()


def test_predict_writes_ordered_bounds_and_the_calibration_round_trips(
    gaussian: tuple[Path, Path, str],
) -> None:
    bundle, csv, _ = gaussian
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(csv)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("note:")]
    table = pd.read_csv(pd.io.common.StringIO("\n".join(lines)))
    assert list(table.columns) == ["timestamp", "y", "y_lo_80", "y_hi_80", "y_lo_95", "y_hi_95"]
    assert (table["y_lo_95"] < table["y_lo_80"]).all() and (table["y_lo_80"] < table["y"]).all()
    assert (table["y"] < table["y_hi_80"]).all() and (table["y_hi_80"] < table["y_hi_95"]).all()
    saved = json.loads((bundle / "preprocessing.json").read_text())
    assert Preprocessing.from_dict(saved).to_dict() == saved
    # the 95% band of a unit-noise series is about +-1.96 around the forecast
    assert (table["y_hi_95"] - table["y"]).mean() == pytest.approx(1.96, abs=0.35)


def test_evaluate_scores_the_bundles_own_calibration(
    gaussian: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, csv, _ = gaussian
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    evaluated = json.loads((out / "metrics.json").read_text())["test"]["intervals"]
    # the bundle's own (latest) calibration, fixed over the test windows: a constant width
    prep = json.loads((bundle / "preprocessing.json").read_text())
    calibration, scale = prep["calibration"], prep["series_scalers"][""]["scale"][0]
    width = 2 * np.mean(calibration["80"]) * scale
    assert evaluated["80"]["model"]["width"] == pytest.approx(width)
    assert evaluated["80"]["model"]["coverage"] == pytest.approx(0.8, abs=0.06)
    assert set(evaluated["80"]) == {"model", "naive", "seasonal_naive"}


def test_long_data_gets_intervals_per_series(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel((80, 70)).to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml", csv, train={"epochs": 1}, intervals={"levels": [90]}
    )
    bundle = tmp_path / "bundle"
    assert runner.invoke(app, ["train", str(spec), "--out", str(bundle), "-q"]).exit_code == 0
    table = forecaster.load(bundle).predict(pd.read_csv(csv))
    assert list(table.columns) == ["store", "date", "sales", "sales_lo_90", "sales_hi_90"]
    widths = (table["sales_hi_90"] - table["sales_lo_90"]).groupby(table["store"]).mean()
    assert widths["s1"] > widths["s0"]  # s1 swings twice as far: its scale is larger


def test_backtest_and_compare_report_coverage(tmp_path: Path, series_csv: Path) -> None:
    spec = write_spec(
        tmp_path / "tiny.yaml", series_csv, train={"epochs": 1}, intervals={"levels": [80]}
    )
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--folds", "2", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    backtest = json.loads((out / "backtest.json").read_text())
    assert all("intervals" in fold["metrics"] for fold in backtest["per_fold"])  # per fold
    pooled = backtest["pooled"]["intervals"]["80"]["model"]
    folds = [fold["metrics"] for fold in backtest["per_fold"]]
    # the pooled coverage is every fold's windows together: the window-weighted mean
    weighted = sum(f["intervals"]["80"]["model"]["coverage"] * f["windows"] for f in folds)
    assert pooled["coverage"] == pytest.approx(weighted / sum(f["windows"] for f in folds))
    assert pooled["winkler"] > 0
    out = tmp_path / "compare"
    arguments = ["compare", str(spec), "--seeds", "2", "--out", str(out)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    variants = json.loads((out / "results.json").read_text())["variants"]
    assert {"coverage_80", "winkler_80"} <= set(variants["gru"]["test"])
    assert "cover 80%" in result.output


def test_a_quantile_head_never_crosses_and_is_conformalised(tmp_path: Path) -> None:
    import keras

    rng = np.random.default_rng(5)
    index = pd.date_range("2024-01-01", periods=1500, freq="h")
    csv = tmp_path / "noise.csv"
    y = 5.0 + rng.normal(0, 1.0, len(index))
    pd.DataFrame({"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "y": y}).to_csv(
        csv, index=False
    )
    spec = write_spec(
        tmp_path / "quantile.yaml",
        csv,
        data={"covariates": [], "split": {"val": 0.3, "test": 0.3}},
        intervals={"levels": [80], "method": "quantile"},
    )
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    test = json.loads((bundle / "metrics.json").read_text())["test"]
    assert set(test["pinball"]) == {"0.1", "0.5", "0.9"}
    # conformalised on validation: the head's range is moved to cover 80% of the test
    assert test["intervals"]["80"]["model"]["coverage"] == pytest.approx(0.8, abs=0.06)
    model = keras.models.load_model(bundle / "model.keras")  # plain Keras, no custom loss
    assert model.output_shape == (None, 6, 1, 3)  # [batch, horizon, targets, quantiles]
    # however wild the input, the quantiles come out in order
    wild = rng.normal(0, 50, size=(64, 24, 1)).astype("float32")
    out = np.asarray(model.predict(wild, verbose=0))
    assert (np.diff(out, axis=-1) >= 0).all()
    table = forecaster.load(bundle).predict(pd.read_csv(csv))
    assert list(table.columns) == ["timestamp", "y", "y_lo_80", "y_hi_80"]
    assert (table["y_lo_80"] <= table["y_hi_80"]).all()
