"""``window.pad`` end to end on long data: a series too short for a full window in every
period is trained on, scored and forecast rather than left out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.data.reading import read_csv
from forecaster.model.periods import scorable_series
from forecaster.spec import StepSplit
from tests.conftest import synthetic_panel, write_panel_spec

runner = CliRunner()
LENGTHS = (120, 90, 150, 40)  # s3: 12 training rows, 14 validation, 14 test


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("padded")
    csv = folder / "stores.csv"
    synthetic_panel(LENGTHS).to_csv(csv, index=False)
    spec = write_panel_spec(folder / "panel.yaml", csv, window={"pad": True})
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_without_pad_the_short_series_is_left_out_and_with_it_kept(tmp_path: Path) -> None:
    from forecaster.data.streaming import read_file

    csv = tmp_path / "stores.csv"
    synthetic_panel(LENGTHS).to_csv(csv, index=False)
    panel = read_file(csv, id_columns=["store"], time_column="date", columns=["sales"])
    split = StepSplit(val_steps=14, test_steps=14)
    _, _, left_out = scorable_series(panel, split, 14, 7, 7, "data")
    assert (
        list(left_out) == ["s3"]
        and "train period has 12 rows, needs at least 21" in (left_out["s3"])
    )
    kept, periods, left_out = scorable_series(panel, split, 14, 7, 7, "data", pad=True)
    assert kept.num_series == 4 and left_out == {}
    assert periods.ranges("train", 14, 7, pad=True).counts.tolist() == [85, 55, 115, 5]
    assert periods.ranges("test", 14, 7, pad=True).counts.tolist() == [8, 8, 8, 8]


def test_the_short_series_is_trained_on_and_scored(trained: tuple[Path, Path, str]) -> None:
    bundle, _, output = trained
    assert "left out" not in output
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["data"]["series"] == 4 and manifest["data"]["left_out_series"] == {}
    per_series = pd.read_csv(bundle / "per_series.csv")
    assert list(per_series["series"]) == ["s0", "s1", "s2", "s3"]
    assert list(per_series["windows"]) == [8, 8, 8, 8]
    assert np.isfinite(per_series["model_mase"]).all()
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["test"]["series"] == 4 and metrics["test"]["windows"] == 32
    preprocessing = json.loads((bundle / "preprocessing.json").read_text())
    assert preprocessing["pad"] is True


def test_the_bundle_model_reads_the_observed_row_column(trained: tuple[Path, Path, str]) -> None:
    import keras

    bundle, _, _ = trained
    model = keras.models.load_model(bundle / "model.keras")
    assert tuple(model.inputs[0].shape) == (None, 14, 2)  # sales, observed-row column


def test_predict_from_a_history_shorter_than_the_lookback(
    trained: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, csv, _ = trained
    rows = pd.read_csv(csv)
    short = pd.concat([rows[rows.store != "s3"], rows[rows.store == "s3"].tail(5)])
    history = tmp_path / "history.csv"
    short.to_csv(history, index=False)
    out = tmp_path / "forecast.csv"
    result = runner.invoke(
        app, ["predict", str(bundle), "--data", str(history), "--ids", "s3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    forecast = read_csv(out, time_column="date", columns=["sales"])
    assert len(forecast) == 7 and np.isfinite(forecast["sales"]).all()


def test_evaluate_scores_the_short_series(trained: tuple[Path, Path, str], tmp_path: Path) -> None:
    bundle, csv, _ = trained
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output
    trained_scores = json.loads((bundle / "metrics.json").read_text())["test"]
    scores = json.loads((out / "metrics.json").read_text())["test"]
    assert scores["windows"] == 32
    assert scores["model"]["mae"] == pytest.approx(trained_scores["model"]["mae"], rel=1e-5)


def test_backtest_scores_the_short_series_in_every_fold(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel(LENGTHS).to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "panel.yaml", csv, window={"pad": True}, train={"epochs": 1})
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--folds", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    backtest = json.loads((out / "backtest.json").read_text())
    # 14 test steps in 2 blocks of 7: one window of 7 steps per block and series
    assert [fold["metrics"]["windows"] for fold in backtest["per_fold"]] == [4, 4]
    assert backtest["pooled"]["series"] == 4
