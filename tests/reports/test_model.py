"""Report content that needs no model: score tables and labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecaster.evaluation.scoring import score_forecasts
from forecaster.reports.html import table
from forecaster.reports.plots import forecast_labels
from forecaster.reports.sections import scores_table
from forecaster.reports.text import skill_text, step_name


def test_scores_table_shows_skill_against_both_baselines_and_skipped_zeros() -> None:
    y_true = np.array([[[0.0], [2.0]], [[4.0], [0.0]]])
    forecasts = {
        "model": y_true + 0.5,  # MAE 0.5
        "naive": y_true + 2.0,  # MAE 2
        "seasonal_naive": y_true - 1.0,  # MAE 1
    }
    metrics = score_forecasts(y_true, forecasts, np.array([1.0]), ["y"])
    html = scores_table(metrics, forecast_labels(24))
    assert "<th>skill vs naive</th><th>skill vs seasonal naive</th>" in html
    assert "<td>model</td><td>0.5000</td>" in html
    assert "<td>+75.0%</td><td>+50.0%</td>" in html  # the model's row
    assert "seasonal naive (m = 24)" in html
    assert "MAPE leaves out the 2 actual values that are exactly 0" in html


def test_no_note_when_no_zeros_were_skipped() -> None:
    y_true = np.ones((1, 2, 1))
    metrics = score_forecasts(
        y_true, {k: y_true * 2 for k in ("model", "naive", "seasonal_naive")}, np.ones(1), ["y"]
    )
    assert "MAPE leaves out" not in scores_table(metrics, forecast_labels(7))


def test_skill_text_and_missing_numbers() -> None:
    assert skill_text(1.0, 4.0) == "+75.0%" and skill_text(2.0, 1.0) == "-100.0%"
    assert skill_text(1.0, 0.0) == "n/a" and skill_text(1.0, math.nan) == "n/a"
    assert "<td>n/a</td><td>n/a</td>" in table(["a", "b"], [[math.nan, None]])


@pytest.mark.parametrize(
    ("frequency", "name"),
    [
        ("h", "1 hour"),
        ("15min", "15 minutes"),
        ("D", "1 day"),
        ("MS", "1 month"),
        ("W-SUN", "1 week"),
    ],
)
def test_step_names_for_axis_labels(frequency: str, name: str) -> None:
    assert step_name(frequency) == name


def test_the_headline_of_many_series_judges_by_mase_and_series_won() -> None:
    import pandas as pd

    from forecaster.evaluation.scoring import PeriodForecasts
    from forecaster.reports.sections import headline

    metrics = {
        "windows": 30,
        "season": 7,
        "series": 3,
        "model": {"mae": 1100.0, "rmse": 1.0, "mape": 5.0, "smape": 5.0, "mase": 0.8},
        "naive": {"mae": 3000.0, "rmse": 1.0, "mape": 9.0, "smape": 9.0, "mase": 2.5},
        "seasonal_naive": {"mae": 1000.0, "rmse": 1.0, "mape": 7.0, "smape": 7.0, "mase": 1.1},
        "share_of_series_better": {"naive": 1.0, "seasonal_naive": 2 / 3},
    }
    scored = PeriodForecasts(np.arange(30), np.zeros((30, 7, 1)), {}, metrics)
    html = headline(pd.DatetimeIndex([]), scored, "test period", forecast_labels(7))
    assert (
        "the model&#x27;s mean absolute scaled error (MASE, every series on its own scale) is "
        "68.0% lower than the naive forecast&#x27;s and 27.3% lower than the seasonal naive "
        "forecast&#x27;s; its MAE is lower than the naive forecast&#x27;s in 100% of the "
        "series and than the seasonal naive forecast&#x27;s in 67% of the series." in html
    )
    assert "<td>+68.0%</td><td>+27.3%</td>" in html  # the model's row: MASE skill
    assert "Skill is 1 - MASE / MASE of the baseline" in html
    assert "higher than" not in html  # the MAE pooled over series is not the verdict
