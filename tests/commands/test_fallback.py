"""The validation gate and ``evaluation.fallback: baseline`` end to end: a series that
repeats exactly every season, where seasonal naive is perfect and a one-epoch network is
not, for one series and for many."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from tests.conftest import write_panel_spec, write_spec

runner = CliRunner()


def seasonal_frame(rows: int = 300) -> pd.DataFrame:
    """Hourly, the same 24 values every day."""
    day = np.round(np.sin(2 * np.pi * np.arange(24) / 24) * 3 + 10, 6)
    index = pd.date_range("2024-01-01", periods=rows, freq="h")
    return pd.DataFrame(
        {"timestamp": index.strftime("%Y-%m-%d %H:%M:%S"), "y": np.tile(day, 13)[:rows]}
    )


def seasonal_spec(folder: Path, fallback: bool) -> tuple[Path, Path]:
    """A tiny GRU spec on ``seasonal_frame`` (seasonal naive wins every step), with
    ``evaluation.fallback: baseline`` when asked; returns the spec and its CSV."""
    csv = folder / "seasonal.csv"
    seasonal_frame().to_csv(csv, index=False)
    spec = write_spec(
        folder / "spec.yaml",
        csv,
        data={"path": str(csv), "targets": ["y"], "covariates": []},
        model={"cell": "gru", "units": [4]},
        train={"epochs": 1, "batch_size": 64, "patience": 1, "seed": 1},
        **({"evaluation": {"fallback": "baseline"}} if fallback else {}),
    )
    return spec, csv


@pytest.fixture(scope="module")
def fallback_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("fallback")
    spec, csv = seasonal_spec(folder, fallback=True)
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_the_gate_finds_seasonal_naive_and_the_summary_says_so(
    fallback_bundle: tuple[Path, Path, str],
) -> None:
    bundle, _, output = fallback_bundle
    gate = json.loads((bundle / "metrics.json").read_text())["val"]["gate"]
    assert gate["choice"] == ["seasonal_naive"] * 6
    assert gate["fallback"] == ["seasonal_naive"] * 6
    assert gate["spans"][0]["baseline_error"] < gate["spans"][0]["model_error"]
    assert "seasonal naive BEATS the model at steps 1-6" in output
    assert "the bundle forecasts steps 1-6 with seasonal naive" in output
    preprocessing = json.loads((bundle / "preprocessing.json").read_text())
    assert preprocessing["fallback"] == ["seasonal_naive"] * 6
    assert "Validation gate, step by step" in (bundle / "report.html").read_text()


def test_the_bundle_forecasts_the_baseline_on_the_steps_it_won(
    fallback_bundle: tuple[Path, Path, str],
) -> None:
    bundle, csv, _ = fallback_bundle
    history = pd.read_csv(csv).iloc[:250]
    forecast = forecaster.load(bundle).predict(history)
    # seasonal naive: rows 250..255 take rows 226..231
    np.testing.assert_allclose(forecast["y"], history["y"].to_numpy()[226:232])
    metrics = json.loads((bundle / "metrics.json").read_text())
    # the test scores are of what the bundle forecasts: seasonal naive's own
    assert metrics["test"]["model"]["mae"] == pytest.approx(
        metrics["test"]["seasonal_naive"]["mae"]
    )
    # and the network still loads with plain Keras
    keras.models.load_model(bundle / "model.keras", safe_mode=True, compile=False)


def test_evaluate_scores_what_the_bundle_forecasts(
    fallback_bundle: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, _, _ = fallback_bundle
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(bundle), "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["model"]["mae"] == pytest.approx(
        metrics["test"]["seasonal_naive"]["mae"]
    )
    assert metrics["val"]["gate"]["fallback_spans"] == [
        {"baseline": "seasonal_naive", "first": 1, "last": 6}
    ]
    # the gate is the network's own, as in training: not the combined forecast against the
    # baseline it copies (which would tie at every step and report no loss)
    trained = json.loads((bundle / "metrics.json").read_text())["val"]["gate"]
    assert [span["baseline"] for span in metrics["val"]["gate"]["spans"]] == ["seasonal_naive"]
    assert metrics["val"]["gate"]["spans"] == trained["spans"]
    assert "the model beats" not in result.output


def test_without_fallback_the_gate_still_says_where_the_baseline_wins(tmp_path: Path) -> None:
    spec, _ = seasonal_spec(tmp_path, fallback=False)
    result = runner.invoke(app, ["train", str(spec), "--out", str(tmp_path / "bundle")])
    assert result.exit_code == 0, result.output
    assert "seasonal naive BEATS the model at steps 1-6" in result.output
    assert "the bundle still forecasts those steps with the model" in result.output
    assert "fallback" not in json.loads((tmp_path / "bundle" / "preprocessing.json").read_text())


def test_fallback_on_long_data_forecasts_each_series_own_season(tmp_path: Path) -> None:
    day = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 0.0])
    frames = []
    for k, length in enumerate((90, 100, 110)):
        dates = pd.date_range("2020-01-01", periods=length, freq="D")
        sales = 10.0 * (k + 1) + (k + 1) * np.tile(day, 20)[:length]
        frames.append(
            pd.DataFrame({"store": f"s{k}", "date": dates.strftime("%Y-%m-%d"), "sales": sales})
        )
    csv = tmp_path / "stores.csv"
    rows = pd.concat(frames, ignore_index=True)
    rows.to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml",
        csv,
        train={"epochs": 1, "batch_size": 16, "patience": 1, "seed": 3},
        evaluation={"fallback": "baseline"},
    )
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    gate = json.loads((bundle / "metrics.json").read_text())["val"]["gate"]
    # step 7 is one season ahead: there naive and seasonal naive are the same forecast
    assert gate["fallback"][:6] == ["seasonal_naive"] * 6
    assert gate["fallback"][6] in ("naive", "seasonal_naive")
    forecast = forecaster.load(bundle).predict(rows)
    for k, frame in enumerate(frames):
        mine = forecast[forecast["store"] == f"s{k}"]["sales"].to_numpy()
        np.testing.assert_allclose(mine, frame["sales"].to_numpy()[-7:])


def test_compare_verdict_says_where_a_baseline_beats_both_cells(tmp_path: Path) -> None:
    spec, _ = seasonal_spec(tmp_path, fallback=False)
    out = tmp_path / "compare"
    result = runner.invoke(app, ["compare", str(spec), "--seeds", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    runs = results["baseline_steps"]
    assert runs and runs[0]["baseline"] == "seasonal_naive"
    assert set(runs[0]["beats"]) == {"LSTM", "GRU"}
    assert results["verdict"].startswith("A naive forecast is measurably more accurate")
    assert "seasonal naive beats" in result.output
    assert "seasonal naive beats" in (out / "report.html").read_text()


def test_backtest_chooses_the_fallback_per_fold_and_scores_it(tmp_path: Path) -> None:
    spec, _ = seasonal_spec(tmp_path, fallback=True)
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--folds", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    backtest = json.loads((out / "backtest.json").read_text())
    for fold in backtest["per_fold"]:
        assert fold["metrics"]["gate"]["fallback"] == ["seasonal_naive"] * 6
    pooled = backtest["pooled"]
    assert pooled["model"]["mae"] == pytest.approx(pooled["seasonal_naive"]["mae"])
