"""``evaluation.combine`` end to end: a one-epoch network that forecasts badly, combined
with AutoETS and theta on a daily cycle they forecast well; for one series and for many;
train, predict, evaluate and backtest all forecast the combination."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.bundle.forecasting import combined_forecast
from forecaster.cli import app
from forecaster.model.statistical import statistical_forecast
from forecaster.spec import load_spec
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()
COMBINE = {"combine": ["auto_ets", "theta"]}


@pytest.fixture(scope="module")
def combined_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("combine")
    csv = folder / "series.csv"
    synthetic_frame().to_csv(csv, index=False)
    spec = write_spec(
        folder / "spec.yaml",
        csv,
        train={"epochs": 1, "batch_size": 32, "patience": 1, "seed": 7},
        evaluation=COMBINE,
        intervals={"levels": [80]},
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_training_scores_the_combination_as_the_model_and_the_network_beside_it(
    combined_bundle: tuple[Path, Path, str],
) -> None:
    bundle, _, output = combined_bundle
    metrics = json.loads((bundle / "metrics.json").read_text())
    weights = json.loads((bundle / "preprocessing.json").read_text())["combine"]
    assert list(weights) == ["network", "auto_ets", "theta"]
    stacked = np.array(list(weights.values()))  # [members, horizon]
    assert stacked.shape == (3, 6)
    np.testing.assert_allclose(stacked.sum(axis=0), 1.0)
    assert metrics["val"]["combination"]["weights"] == weights
    val = metrics["val"]
    # fit on the validation windows' MASE: never above the best member's, step by step
    for step in range(6):
        best = min(val[name]["per_step"]["mase"][step] for name in weights)
        assert val["model"]["per_step"]["mase"][step] <= best + 1e-9
    # a network of one epoch is far worse than the statistical baselines on a clean cycle
    assert val["network"]["mase"] > 2 * val["model"]["mase"]
    assert metrics["test"]["model"]["mase"] < metrics["test"]["network"]["mase"]
    assert "model (combined)" in output and "network alone" in output
    assert "combination weights" in output
    report = (bundle / "report.html").read_text()
    assert "Combination weights, step by step" in report
    # the intervals are calibrated on the combination's own validation errors
    assert "model" in metrics["test"]["intervals"]["80"]


def test_the_bundle_forecasts_the_combination_of_its_members(
    combined_bundle: tuple[Path, Path, str],
) -> None:
    bundle, csv, _ = combined_bundle
    history = pd.read_csv(csv).iloc[:300]
    loaded = forecaster.load(bundle)
    forecast = loaded.predict(history)
    prep = loaded.preprocessing
    # the members: the network alone, and each baseline fit on the whole history given
    network = replace(loaded, preprocessing=replace(prep, combine={})).predict(history)
    y = history[["y"]].to_numpy(dtype=np.float64)
    members = {"network": network["y"].to_numpy().reshape(1, 6, 1)}
    for method in ("auto_ets", "theta"):
        members[method] = statistical_forecast(method, y, 300, np.array([300]), 6, prep.season)
    expected = combined_forecast(prep.combine, members)[0, :, 0]
    np.testing.assert_allclose(forecast["y"].to_numpy(), expected, rtol=1e-6)
    assert not np.allclose(forecast["y"].to_numpy(), members["network"][0, :, 0])


def test_evaluate_scores_with_the_bundles_weights(
    combined_bundle: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, _, _ = combined_bundle
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(bundle), "--out", str(out)])
    assert result.exit_code == 0, result.output
    evaluated = json.loads((out / "metrics.json").read_text())
    trained = json.loads((bundle / "metrics.json").read_text())
    for name in ("model", "network", "auto_ets", "theta"):
        assert evaluated["test"][name]["mae"] == pytest.approx(trained["test"][name]["mae"])
    assert evaluated["test"]["combination"]["weights"] == trained["val"]["combination"]["weights"]


def test_many_series_combine_per_step_and_the_backtest_refits_the_weights_per_fold(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "panel.csv"
    synthetic_panel(lengths=(120, 90, 150)).to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml", csv, evaluation={"combine": ["auto_ets"], "folds": 2}
    )
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((bundle / "metrics.json").read_text())
    weights = metrics["val"]["combination"]["weights"]
    assert list(weights) == ["network", "auto_ets"]
    assert metrics["test"]["auto_ets"]["mase"] > 0  # scored as a baseline too
    per_series = pd.read_csv(bundle / "per_series.csv")
    assert {"model_mase", "network_mase", "auto_ets_mase"} <= set(per_series.columns)
    assert metrics["val"]["model"]["mase"] <= min(
        metrics["val"]["network"]["mase"], metrics["val"]["auto_ets"]["mase"]
    )
    forecast = forecaster.load(bundle).predict(pd.read_csv(csv))
    assert len(forecast) == 3 * 7 and np.isfinite(forecast["sales"]).all()

    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--out", str(out), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    pooled = json.loads((out / "backtest.json").read_text())["pooled"]
    assert len(pooled["combination"]["per_fold"]) == 2
    assert "network" in pooled and "refit on each of 2 folds" in result.output


@pytest.mark.parametrize(
    ("evaluation", "intervals", "words"),
    [
        ({"combine": ["theta"], "fallback": "baseline"}, None, "fallback: none"),
        ({"combine": ["theta"]}, {"method": "quantile"}, "method: conformal"),
        ({"combine": ["theta", "theta"]}, None, "list each once"),
    ],
)
def test_combinations_that_cannot_work_are_refused(
    tmp_path: Path, evaluation: dict, intervals: dict | None, words: str
) -> None:
    spec = write_spec(
        tmp_path / "spec.yaml",
        tmp_path / "unused.csv",
        evaluation=evaluation,
        **({"intervals": intervals, "model": {"decoder": "dense"}} if intervals else {}),
    )
    with pytest.raises(Exception, match=words) as caught:
        load_spec(spec)
    assert "evaluation.combine" in str(caught.value)
