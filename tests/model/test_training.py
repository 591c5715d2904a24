"""Training on tiny synthetic series: isolation of the test rows, and the default model
against the naive forecasts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.evaluation.scoring import score_periods
from forecaster.model.training import fit
from forecaster.spec import parse_spec
from tests.conftest import synthetic_frame, write_spec


def _spec(**sections: dict) -> object:
    raw = {
        "data": {"path": "synthetic.csv", "targets": ["y"], "covariates": ["x"]},
        "window": {"lookback": 24, "horizon": 6},
        "model": {"units": [8]},
        "train": {"epochs": 1, "batch_size": 32, "seed": 3},
    }
    raw.update(sections)
    return parse_spec(raw)


def _frame(raw: pd.DataFrame) -> Panel:
    return Panel.single(prepare_frame(raw, time_column="timestamp", columns=["y", "x"]))


def test_validation_and_test_rows_change_nothing_the_model_was_fit_on() -> None:
    spec = _spec()
    original = _frame(synthetic_frame(300))
    altered_raw = synthetic_frame(300)
    train_rows = 300 - 60 - 60  # default split: 20% validation, 20% test
    altered_raw.loc[train_rows:, ["y", "x"]] = altered_raw.loc[train_rows:, ["y", "x"]] * 100 + 7
    altered = _frame(altered_raw)

    first, second = fit(spec, original, quiet=True), fit(spec, altered, quiet=True)

    assert first.periods.train_end == train_rows
    np.testing.assert_array_equal(
        first.preprocessing.series_scalers[()].center,
        second.preprocessing.series_scalers[()].center,
    )
    np.testing.assert_array_equal(
        first.preprocessing.series_scalers[()].scale, second.preprocessing.series_scalers[()].scale
    )
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.history["loss"].tolist() == second.history["loss"].tolist()


def _level_shift_scores(cell: str, normalization: str) -> dict:
    # the last third of the series sits 8 units above anything in training
    frame = _frame(synthetic_frame(1200, seed=1, level_shift=8.0, noise=0.3))
    spec = _spec(
        model={"cell": cell, "units": [16], "normalization": normalization},
        train={"epochs": 12, "batch_size": 32, "seed": 3, "patience": 4, "learning_rate": 0.005},
        data={
            "path": "synthetic.csv",
            "targets": ["y"],
            "covariates": ["x"],
            "split": {"val": 0.2, "test": 0.25},
        },
    )
    fitted = fit(spec, frame, quiet=True)
    scored = score_periods(
        fitted.model, fitted.preprocessing, fitted.panel, fitted.series_periods, ("test",)
    )
    return scored["test"].metrics


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_default_model_beats_the_naive_forecasts_after_a_level_shift(cell: str) -> None:
    test = _level_shift_scores(cell, "instance")
    assert test["model"]["mae"] < test["naive"]["mae"]
    assert test["model"]["mae"] < test["seasonal_naive"]["mae"]
    assert test["skill"]["naive"]["mae"] > 0.15


def test_without_instance_normalisation_the_level_shift_breaks_the_model() -> None:
    # why instance normalisation is the default: globally scaled inputs at an unseen level
    test = _level_shift_scores("gru", "none")
    assert test["model"]["mae"] > 3 * test["naive"]["mae"]


def test_history_has_one_row_per_epoch(tmp_path: Path) -> None:
    result = fit(
        _spec(train={"epochs": 2, "seed": 1, "batch_size": 64}),
        _frame(synthetic_frame(200)),
        quiet=True,
    )
    assert result.history["epoch"].tolist() == [1, 2]
    assert set(result.history.columns) == {"epoch", "loss", "val_loss", "learning_rate", "seconds"}
    assert result.preprocessing.frequency == "h" and result.preprocessing.season == 24


def test_same_spec_data_and_seed_give_the_same_forecast(tmp_path: Path, series_csv: Path) -> None:
    spec = write_spec(tmp_path / "tiny.yaml", series_csv, model={"units": [4], "dropout": 0.2})
    runner = CliRunner()
    for name in ("first", "second"):
        result = runner.invoke(app, ["train", str(spec), "--out", str(tmp_path / name), "-q"])
        assert result.exit_code == 0, result.output
    first, second = (forecaster.load(str(tmp_path / name)) for name in ("first", "second"))
    history = pd.read_csv(series_csv)
    pd.testing.assert_frame_equal(first.predict(history), second.predict(history), check_exact=True)
    determinism = first.manifest["determinism"]
    assert determinism["op_determinism"] is True and determinism["seed"] == 7
    assert determinism["window_order"].startswith("stateless")


def test_scores_on_the_scalers_scale_sit_beside_the_original_ones() -> None:
    frame = _frame(synthetic_frame(200))
    result = fit(_spec(train={"epochs": 1, "seed": 1, "batch_size": 64}), frame, quiet=True)
    test = score_periods(
        result.model, result.preprocessing, result.panel, result.series_periods, ("test",)
    )["test"].metrics
    spread = result.preprocessing.series_scalers[()].scale[0]
    for forecast in ("model", "naive", "seasonal_naive"):
        assert test["scaled"][forecast]["mae"] == pytest.approx(test[forecast]["mae"] / spread)
        rmse = test[forecast]["rmse"] / spread
        assert test["scaled"][forecast]["mse"] == pytest.approx(rmse**2)
    assert {"model", "naive", "seasonal_naive", "skill"} <= set(test)
