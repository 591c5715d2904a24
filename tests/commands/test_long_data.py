"""Long data end to end: one global model over many series, judged per series and pooled,
predicting every series (seen or not) in batched calls."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from tests.conftest import synthetic_panel, write_panel_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Four stores (the last too short to train on), one model, two epochs."""
    folder = tmp_path_factory.mktemp("long")
    csv = folder / "stores.csv"
    synthetic_panel().to_csv(csv, index=False)
    spec = write_panel_spec(folder / "panel.yaml", csv)
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_training_leaves_out_short_series_and_says_so(trained: tuple[Path, Path, str]) -> None:
    bundle, _, output = trained
    assert "1 of 4 series left out, too short for a window in every period (the first: s3)" in (
        output
    )
    metrics = json.loads((bundle / "metrics.json").read_text())
    test = metrics["test"]
    assert test["series"] == 3 and test["windows"] == 3 * (14 - 7 + 1)
    assert set(test["share_of_series_better"]) == {"naive", "seasonal_naive"}
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["data"]["series"] == 3 and list(manifest["data"]["left_out_series"]) == ["s3"]
    assert "test period (24 windows, 3 series" in output


def test_pooled_scores_are_the_per_series_scores_together(trained: tuple[Path, Path, str]) -> None:
    bundle, _, _ = trained
    test = json.loads((bundle / "metrics.json").read_text())["test"]
    per_series = pd.read_csv(bundle / "per_series.csv")
    assert list(per_series["series"]) == ["s0", "s1", "s2"]
    assert list(per_series["windows"]) == [8, 8, 8]
    for name in ("model", "naive", "seasonal_naive"):
        # equal windows per series: the pooled MAE and MASE are the means of the series'
        assert test[name]["mae"] == pytest.approx(per_series[f"{name}_mae"].mean())
        assert test[name]["mase"] == pytest.approx(per_series[f"{name}_mase"].mean())
    better = (per_series["model_mae"] < per_series["naive_mae"]).mean()
    assert test["share_of_series_better"]["naive"] == pytest.approx(better)
    # a pure weekly pattern: seasonal naive is close to the noise, per series
    assert (per_series["seasonal_naive_mase"] < 1.5).all()


def test_each_series_is_scaled_by_its_own_training_rows(trained: tuple[Path, Path, str]) -> None:
    bundle, csv, _ = trained
    prep = json.loads((bundle / "preprocessing.json").read_text())
    assert prep["id_columns"] == ["store"] and "scaler" not in prep
    rows = pd.read_csv(csv)
    for store, length in (("s0", 120), ("s2", 150)):
        training = rows[rows.store == store]["sales"].to_numpy()[: length - 28]
        center = prep["series_scalers"][store]["center"][0]
        assert center == pytest.approx(training.mean())


def test_predict_forecasts_every_series_in_long_format(trained: tuple[Path, Path, str]) -> None:
    bundle, csv, _ = trained
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(csv)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("note:")]
    table = pd.read_csv(pd.io.common.StringIO("\n".join(lines)))
    assert list(table.columns) == ["store", "date", "sales"]
    assert table.groupby("store").size().to_dict() == {"s0": 7, "s1": 7, "s2": 7, "s3": 7}
    # s1 ends on day 7 + 89 after 2020-01-01; its forecast starts the day after
    s1 = table[table.store == "s1"]
    assert s1["date"].iloc[0] == "2020-04-07" and s1["date"].iloc[-1] == "2020-04-13"
    # s3 was never trained on (too short) and still forecasts near its own level (40)
    assert table[table.store == "s3"]["sales"].between(30, 50).all()
    # the same numbers from Python
    history = pd.read_csv(csv)
    again = forecaster.load(bundle).predict(history)
    np.testing.assert_allclose(again["sales"].to_numpy(), table["sales"].to_numpy(), rtol=1e-5)


def test_predict_ids_picks_series_and_names_an_unknown_one(
    trained: tuple[Path, Path, str],
) -> None:
    bundle, csv, _ = trained
    picked = runner.invoke(app, ["predict", str(bundle), "--data", str(csv), "--ids", "s2"])
    assert picked.exit_code == 0
    rows = [line for line in picked.stdout.splitlines() if line.startswith("s2")]
    assert len(rows) == 7 and "s0," not in picked.stdout and "s3," not in picked.stdout
    unknown = runner.invoke(app, ["predict", str(bundle), "--data", str(csv), "--ids", "s22"])
    assert unknown.exit_code == 2
    assert "no series 's22' (--ids); did you mean 's2'?" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1


def test_evaluate_scores_long_data_per_series(
    trained: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, csv, _ = trained
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    trained_test = json.loads((bundle / "metrics.json").read_text())["test"]
    evaluated = json.loads((out / "metrics.json").read_text())["test"]
    assert evaluated["model"]["mae"] == pytest.approx(trained_test["model"]["mae"])
    assert (out / "per_series.csv").is_file()
    page = (out / "report.html").read_text()
    assert "Series by series" in page and "Best series" in page and "Worst series" in page


def test_static_covariates_and_series_embedding_load_with_plain_keras(tmp_path: Path) -> None:
    import keras

    csv = tmp_path / "stores.csv"
    synthetic_panel((60, 50, 20)).to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "statics.yaml",
        csv,
        data={"static_covariates": ["region"]},
        model={"id_embedding": True},
        train={"series_weights": "equal", "epochs": 1},
        scaling="mean_abs",
    )
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    # --quiet drops the epoch lines, not the scores (judged by MASE: many series)
    assert "val_loss" not in result.output
    assert "test period (16 windows, 2 series" in result.output
    assert "skill by MASE" in result.output and "MAPE %" in result.output
    model = keras.models.load_model(bundle / "model.keras")
    names = [layer.name for layer in model.layers]
    assert "static_embedding_1" in names and "static_embedding_2" in names
    assert model.input_shape == (None, 14, 1 + 2)  # sales, region code, series code
    prep = json.loads((bundle / "preprocessing.json").read_text())
    assert prep["statics"]["categories"]["region"] == ["north", "south"]
    assert prep["statics"]["categories"]["series id"] == ["s0", "s1"]
    # s2 was never trained on: its series code is "unknown" and it still forecasts
    table = forecaster.load(bundle).predict(pd.read_csv(csv), ids=["s2"])
    assert len(table) == 7 and np.isfinite(table["sales"]).all()


def test_backtest_on_long_data_folds_every_series_on_its_own_rows(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel((80, 70, 90)).to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "backtest.yaml",
        csv,
        data={"split": {"val_steps": 14, "test_steps": 21}},
        train={"epochs": 1},
        evaluation={"folds": 3},
    )
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "fold 2 (block 2 of each of 3 series)" in result.output
    backtest = json.loads((out / "backtest.json").read_text())
    # 21 test steps in 3 blocks of 7: one window of 7 steps per block and series
    assert [fold["metrics"]["windows"] for fold in backtest["per_fold"]] == [3, 3, 3]
    assert backtest["pooled"]["windows"] == 9 and backtest["pooled"]["series"] == 3
    per_series = pd.read_csv(out / "per_series.csv")
    assert list(per_series["windows"]) == [3, 3, 3]
    folds = [fold["metrics"]["model"]["mae"] for fold in backtest["per_fold"]]
    assert backtest["pooled"]["model"]["mae"] == pytest.approx(np.mean(folds))


def test_compare_runs_on_long_data(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel((60, 50)).to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "compare.yaml", csv, train={"epochs": 1})
    out = tmp_path / "compare"
    arguments = ["compare", str(spec), "--seeds", "2", "--out", str(out), "--quiet"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    assert set(results["variants"]) == {"lstm", "gru"}
    assert results["test_windows"] == 2 * (14 - 7 + 1)
    assert results["verdict"]
    assert (out / "gru" / "seed-3" / "per_series.csv").is_file()


def test_a_series_shorter_than_the_lookback_is_left_out_of_predict_with_a_note(
    trained: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, csv, _ = trained
    rows = pd.read_csv(csv)
    short = pd.concat([rows[rows.store != "s3"], rows[rows.store == "s3"].tail(10)])
    history = tmp_path / "history.csv"
    short.to_csv(history, index=False)
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(history)])
    assert result.exit_code == 0, result.output
    assert "series 's3' has 10 rows; 1 of 4 series have fewer than window.lookback = 14" in (
        result.output
    )
    assert "forecasting the other 3" in result.output and "\ns3," not in result.stdout
    asked = runner.invoke(app, ["predict", str(bundle), "--data", str(history), "--ids", "s3"])
    assert asked.exit_code == 2 and "fix: pass a longer history" in asked.output
