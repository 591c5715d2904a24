"""Terminal tables: the model beside both baselines, with its skill against each."""

from __future__ import annotations

import numpy as np

from forecaster.evaluation.gate import attach_gate, step_gate
from forecaster.evaluation.scoring import score_forecasts
from forecaster.reports.text import (
    describe_threads,
    gate_lines,
    plus_minus,
    score_lines,
    skill_text,
)


def test_score_lines_show_the_model_beside_both_baselines_with_its_skill() -> None:
    y_true = np.ones((1, 2, 1))
    forecasts = {
        "model": np.full((1, 2, 1), 1.5),  # MAE 0.5
        "naive": np.full((1, 2, 1), 3.0),  # MAE 2
        "seasonal_naive": np.zeros((1, 2, 1)),  # MAE 1
    }
    result = score_forecasts(y_true, forecasts, np.array([1.0]), ["y"])
    lines = score_lines({**result, "windows": 1, "season": 24}, "test period")
    assert lines[0] == "test period (1 windows, seasonal naive with season 24):"
    model_line = lines[2].split()
    assert model_line[0] == "model" and model_line[1] == "0.5000"
    assert model_line[-2:] == ["+75.0%", "+50.0%"]
    assert lines[3].split()[-2:] == ["+0.0%", "-100.0%"]  # naive against itself, seasonal


def test_skill_text_is_signed_and_says_when_undefined() -> None:
    assert skill_text(1.2, 1.0) == "-20.0%"
    assert skill_text(0.9, 1.0) == "+10.0%"
    assert skill_text(1.0, 0.0) == "n/a" and skill_text(None, 1.0) == "n/a"


def test_plus_minus_and_thread_description() -> None:
    assert plus_minus({"mean": 1.23456, "std": 0.0123}, 3) == "1.235 ± 0.012"
    assert plus_minus({"mean": 2.0, "std": None}, 1) == "2.0"
    environment = {
        "device": "CPU",
        "cpu_cores": 2,
        "thread_variables": {"OMP_NUM_THREADS": "1"},
        "determinism": {"intra_op_threads": 0, "inter_op_threads": 2, "op_determinism": True},
    }
    line = describe_threads(environment)
    assert line.startswith("CPU, 2 CPU cores available; intra-op threads: TensorFlow's default")
    assert "inter-op threads: 2; op determinism on; OMP_NUM_THREADS=1" in line


def test_gate_lines_name_the_steps_a_baseline_wins_and_what_the_bundle_does() -> None:
    metrics = {
        "windows": 5,
        **{
            name: {"per_step": {"mase": values, "mae": values}}
            for name, values in {
                "model": [0.5, 0.9, 1.2],
                "naive": [0.6, 1.0, 1.4],
                "seasonal_naive": [0.8, 0.8, 1.0],
            }.items()
        },
    }
    gate = step_gate(metrics)
    kept = {**gate, "fallback_spans": []}
    assert gate_lines(kept) == [
        "validation gate (MASE per horizon step, 5 validation windows):",
        "  seasonal naive BEATS the model at steps 2-3 (MASE 0.900 against the model's 1.050)",
        "  the bundle still forecasts those steps with the model; evaluation.fallback: "
        "baseline would forecast them with the baseline",
    ]

    class Period:
        def __init__(self) -> None:
            self.metrics = dict(metrics)

    scored = {"val": Period()}
    attach_gate(scored, gate["choice"], gate)  # type: ignore[arg-type]
    assert gate_lines(scored["val"].metrics["gate"])[-1] == (
        "  the bundle forecasts steps 2-3 with seasonal naive (evaluation.fallback: baseline); "
        "the test scores are of that forecast"
    )
    clean = step_gate({**metrics, "model": {"per_step": {"mase": [0.1] * 3, "mae": [0.1] * 3}}})
    assert gate_lines({**clean, "fallback_spans": []})[1] == (
        "  the model beats naive and seasonal naive at every step (1-3)"
    )


def test_score_lines_add_mape_and_smape_and_keep_one_series_columns() -> None:
    y_true = np.full((1, 2, 1), 2.0)
    forecasts = {
        "model": np.full((1, 2, 1), 2.5),  # MAPE 25%, sMAPE 2 * 0.5 / 4.5 = 22.22%
        "naive": np.full((1, 2, 1), 3.0),  # MAPE 50%, sMAPE 40%
        "seasonal_naive": np.full((1, 2, 1), 1.0),  # MAPE 50%, sMAPE 66.67%
    }
    result = score_forecasts(y_true, forecasts, np.array([2.0]), ["y"])
    lines = score_lines({**result, "windows": 1, "season": 24}, "test period")
    assert lines[1:4] == [
        "  forecast               MAE      RMSE   MAPE %  sMAPE %    MASE  skill vs naive"
        "  vs seasonal",
        "  model               0.5000    0.5000    25.00    22.22   0.250          +50.0%"
        "       +50.0%",
        "  naive               1.0000    1.0000    50.00    40.00   0.500           +0.0%"
        "        +0.0%",
    ]
    assert len(lines) == 5  # one series, the model beats both: no verdict line


def test_large_values_widen_their_column_instead_of_running_together() -> None:
    y_true = np.zeros((1, 1, 1))
    forecasts = {
        "model": np.full((1, 1, 1), 5651.6915),
        "naive": np.full((1, 1, 1), 24916.0039),
        "seasonal_naive": np.full((1, 1, 1), 123456789.5),
    }
    result = score_forecasts(y_true, forecasts, np.array([1.0]), ["y"])
    lines = score_lines({**result, "windows": 1, "season": 7}, "test period")
    seasonal = lines[4].split()
    assert seasonal[:3] == ["seasonal_naive", "123456789.5000", "123456789.5000"]
    assert lines[3].split()[1:3] == ["24916.0039", "24916.0039"]
    widths = {len(line) for line in lines[1:5]}
    assert len(widths) == 1  # every row as long as the header: the columns line up


def _panel_scores() -> dict:
    """Two series, one 1000 times the other: the model wins the small one and 2 of 3
    series by MASE, loses the big one by a little, so the MAE pooled over series says it
    loses to seasonal naive while MASE says it wins."""
    return {
        "windows": 30,
        "season": 7,
        "series": 3,
        "model": {"mae": 1100.0, "rmse": 1500.0, "mape": 5.0, "smape": 5.1, "mase": 0.8},
        "naive": {"mae": 3000.0, "rmse": 4000.0, "mape": 15.0, "smape": 14.0, "mase": 2.5},
        "seasonal_naive": {"mae": 1000.0, "rmse": 1400.0, "mape": 7.0, "smape": 7.2, "mase": 1.1},
        "share_of_series_better": {"naive": 1.0, "seasonal_naive": 2 / 3},
    }


def test_many_series_are_judged_by_mase_and_by_the_share_of_series_won() -> None:
    lines = score_lines(_panel_scores(), "test period")
    assert lines[0] == (
        "test period (30 windows, 3 series, seasonal naive with season 7; skill by MASE):"
    )
    assert lines[2].split()[-2:] == ["+68.0%", "+27.3%"]  # 1 - 0.8 / 2.5, 1 - 0.8 / 1.1
    assert lines[5:] == [
        "  the model beats naive: its MASE is lower (0.800 against 2.500) and its MAE is "
        "lower in 100% of series",
        "  the model beats seasonal_naive: its MASE is lower (0.800 against 1.100) and its "
        "MAE is lower in 67% of series",
        "  (the MAE pooled over all series says otherwise against seasonal_naive: it adds up "
        "errors of series of different scales, so the largest series decide it)",
    ]
    assert not any("NOT" in line for line in lines)


def test_many_series_verdicts_when_mase_and_the_series_disagree() -> None:
    scores = _panel_scores()
    scores["share_of_series_better"] = {"naive": 1 / 3, "seasonal_naive": 0.5}
    scores["model"] = {**scores["model"], "mae": 900.0, "mase": 1.2}
    lines = score_lines(scores, "test period")
    assert lines[5:] == [
        "  the model beats naive by MASE (1.200 against 2.500) but not in most series: "
        "its MAE is lower in only 33% of series",
        "  the model does NOT beat seasonal_naive here: its MASE is higher (1.200 against "
        "1.100) and its MAE is lower in only 50% of series",
        "  (the MAE pooled over all series says otherwise against seasonal_naive: it adds up "
        "errors of series of different scales, so the largest series decide it)",
    ]
    scores["share_of_series_better"] = {"naive": 1.0, "seasonal_naive": 0.75}
    assert score_lines(scores, "test period")[6] == (
        "  the model does NOT beat seasonal_naive by MASE (1.200 against 1.100), though its "
        "MAE is lower in 75% of series"
    )
