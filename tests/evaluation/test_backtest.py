"""Backtest folds: the layout, and that no fold's fit sees its own test rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.errors import InputError
from forecaster.evaluation.backtest import Fold, fold_layout, run_backtest
from forecaster.evaluation.metrics import mae
from forecaster.model.periods import Periods
from forecaster.model.scaling import fit_scaler
from forecaster.spec import parse_spec
from tests.conftest import synthetic_frame

# 100 training rows, 40 validation rows, 60 test rows
PERIODS = Periods(train_end=100, val_end=140, end=200)


def test_expanding_folds_split_the_test_period_into_consecutive_blocks() -> None:
    folds = fold_layout(PERIODS, folds=3, training_range="expanding", horizon=5)
    assert folds == [
        Fold(1, train_start=0, val_start=100, test_start=140, test_end=160),
        Fold(2, train_start=0, val_start=120, test_start=160, test_end=180),
        Fold(3, train_start=0, val_start=140, test_start=180, test_end=200),
    ]
    # fold 1 is the spec's own split; every fold validates on as many rows as the spec
    assert folds[0].periods() == Periods(train_end=100, val_end=140, end=160)
    assert {fold.test_start - fold.val_start for fold in folds} == {40}


def test_sliding_folds_keep_the_training_length_of_fold_one() -> None:
    folds = fold_layout(PERIODS, folds=3, training_range="sliding", horizon=5)
    assert [fold.train_start for fold in folds] == [0, 20, 40]
    assert {fold.val_start - fold.train_start for fold in folds} == {100}
    assert folds[2].periods() == Periods(train_end=100, val_end=140, end=160)


def test_uneven_blocks_give_the_remainder_to_the_first_folds() -> None:
    folds = fold_layout(Periods(100, 140, 202), folds=3, training_range="expanding", horizon=5)
    assert [fold.test_end - fold.test_start for fold in folds] == [21, 21, 20]
    assert folds[-1].test_end == 202


def test_too_many_folds_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"leave 4 rows per fold.*at most 12 folds"):
        fold_layout(PERIODS, folds=15, training_range="expanding", horizon=5, source="d.csv")


def test_evaluation_section_of_the_spec() -> None:
    base = {"data": {"path": "x.csv", "targets": ["y"]}}
    defaults = parse_spec(base).evaluation
    assert (defaults.season, defaults.folds, defaults.window) == (None, 5, "expanding")
    spec = parse_spec({**base, "evaluation": {"season": 12, "folds": 3, "window": "sliding"}})
    assert (spec.evaluation.season, spec.evaluation.folds, spec.evaluation.window) == (
        12,
        3,
        "sliding",
    )
    with pytest.raises(InputError, match="did you mean 'season'"):
        parse_spec({**base, "evaluation": {"seasn": 12}})
    with pytest.raises(InputError, match="evaluation.window"):
        parse_spec({**base, "evaluation": {"window": "rolling"}})


def _frame(raw: pd.DataFrame) -> Panel:
    return Panel.single(prepare_frame(raw, time_column="timestamp", columns=["y", "x"]))


def _spec(window: str = "expanding", season: int | None = None) -> object:
    return parse_spec(
        {
            "data": {"path": "synthetic.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": 24, "horizon": 6},
            "model": {"units": [4]},
            "train": {"epochs": 1, "batch_size": 32, "seed": 3},
            "evaluation": {"folds": 2, "window": window, "season": season},
        }
    )


def test_no_fold_is_fit_on_its_own_test_rows() -> None:
    raw = synthetic_frame(300)
    frame = _frame(raw)
    original = run_backtest(_spec(), frame)
    first, second = (result.fold for result in original.folds)
    assert (first.test_start, second.test_start) == (240, 270)

    # every fold's scaler is the one fit on exactly that fold's training rows
    values = frame.values
    for result in original.folds:
        fold = result.fold
        expected = fit_scaler("standard", values[fold.train_start : fold.val_start])
        np.testing.assert_array_equal(result.scalers[()].center, expected.center)
        np.testing.assert_array_equal(result.scalers[()].scale, expected.scale)
        origins = result.scored.origins
        assert origins.min() == fold.test_start and origins.max() == fold.test_end - 6

    # change every row from fold 1's test block on: fold 1 fits exactly as before; fold 2,
    # whose validation rows [210, 270) now hold part of that block, sees the change
    altered = raw.copy()
    altered.loc[first.test_start :, ["y", "x"]] = altered.loc[first.test_start :, ["y", "x"]] * 50
    changed = run_backtest(_spec(), _frame(altered))
    before, after = original.folds[0], changed.folds[0]
    np.testing.assert_array_equal(before.scalers[()].center, after.scalers[()].center)
    assert before.history["loss"].tolist() == after.history["loss"].tolist()
    assert before.history["val_loss"].tolist() == after.history["val_loss"].tolist()
    assert second.val_start < first.test_start
    changed_val_loss = changed.folds[1].history["val_loss"].iloc[0]
    assert changed_val_loss > 10 * original.folds[1].history["val_loss"].iloc[0]


def test_pooled_scores_are_means_over_every_folds_windows() -> None:
    frame = _frame(synthetic_frame(300))
    result = run_backtest(_spec("sliding", season=12), frame)
    assert [fold.fold.train_start for fold in result.folds] == [0, 30]
    # evaluation.season replaces the 24 of hourly data, for the baseline and for MASE
    first = result.folds[0].scored
    y = frame.values[:, 0]
    np.testing.assert_array_equal(
        first.forecasts["seasonal_naive"][0, :, 0], y[first.origins[0] - 12 :][:6]
    )
    assert first.metrics["season"] == 12
    # MASE's scale: the seasonal-naive MAE over the fold's history before its test rows
    test_start = result.folds[0].fold.test_start - result.folds[0].fold.train_start
    expected = np.mean(np.abs(y[12:test_start] - y[: test_start - 12]))
    assert first.metrics["mase_scale"][0] == pytest.approx(expected)
    pooled = result.pooled
    assert pooled.metrics["windows"] == sum(len(fold.scored.origins) for fold in result.folds)
    errors = np.concatenate(
        [fold.scored.actual - fold.scored.forecasts["model"] for fold in result.folds]
    )
    assert pooled.metrics["model"]["mae"] == pytest.approx(np.mean(np.abs(errors)))
    for name in ("naive", "seasonal_naive"):
        per_fold = [fold.scored.metrics[name]["mae"] for fold in result.folds]
        assert pooled.metrics[name]["mae"] == pytest.approx(np.mean(per_fold))  # equal sizes
    assert mae(pooled.actual, pooled.forecasts["model"]) == pooled.metrics["model"]["mae"]
    report = result.to_dict()
    assert report["per_fold"][1]["rows"] == {
        "train": [30, 210],
        "val": [210, 270],
        "test": [270, 300],
    }
