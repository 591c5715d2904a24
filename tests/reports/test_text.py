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
