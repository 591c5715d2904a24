"""The validation gate per horizon step, the fallback's combined forecast, and compare's
baseline runs, on hand-made numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from forecaster.bundle.forecasting import with_fallback
from forecaster.evaluation.gate import fallback_spans, step_gate
from forecaster.evaluation.verdict import baseline_sentence, baseline_steps, beats_over_seeds
from forecaster.model.preprocessing import Preprocessing


def period_metrics(per_step: dict[str, list[float]]) -> dict[str, Any]:
    return {
        "windows": 10,
        **{
            name: {"per_step": {"mase": values, "mae": [2 * v for v in values]}}
            for name, values in per_step.items()
        },
    }


def test_the_gate_names_each_step_a_baseline_wins_and_its_runs() -> None:
    gate = step_gate(
        period_metrics(
            {
                "model": [0.5, 0.6, 1.2, 1.3],
                "naive": [0.4, 0.9, 1.4, 1.5],
                "seasonal_naive": [0.8, 0.8, 1.0, 1.1],
            }
        )
    )
    assert gate["metric"] == "mase"
    assert gate["choice"] == ["naive", "model", "seasonal_naive", "seasonal_naive"]
    assert gate["spans"] == [
        {"baseline": "naive", "first": 1, "last": 1, "model_error": 0.5, "baseline_error": 0.4},
        {
            "baseline": "seasonal_naive",
            "first": 3,
            "last": 4,
            "model_error": pytest.approx(1.25),
            "baseline_error": pytest.approx(1.05),
        },
    ]


def test_the_gate_uses_mae_where_mase_is_undefined() -> None:
    metrics = period_metrics(
        {"model": [1.0, 1.0], "naive": [2.0, 0.5], "seasonal_naive": [3.0, float("nan")]}
    )
    gate = step_gate(metrics)
    assert gate["metric"] == "mae"
    assert gate["choice"] == ["model", "naive"]  # MAE 1.0 against naive's 2.0, then 1.0
    assert gate["errors"]["naive"] == [4.0, 1.0]


def test_fallback_spans_are_the_steps_a_baseline_forecasts() -> None:
    fallback = ["model", "naive", "naive", "model", "seasonal_naive"]
    assert fallback_spans(fallback) == [
        {"baseline": "naive", "first": 2, "last": 3},
        {"baseline": "seasonal_naive", "first": 5, "last": 5},
    ]
    assert fallback_spans([]) == []


def test_with_fallback_replaces_exactly_the_chosen_steps() -> None:
    prep = Preprocessing(
        time_column="t",
        targets=["y"],
        covariates=[],
        frequency="h",
        lookback=2,
        horizon=3,
        missing="error",
        season=2,
        fallback=["model", "naive", "seasonal_naive"],
    )
    targets = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    point = np.full((2, 3, 1), 9.0)
    combined = with_fallback(prep, point, targets, np.array([3, 5]))
    # origin 3: naive repeats row 2 (3.0); seasonal naive step 3 takes row 3 + 2 - 2 = 3,
    # and origin 5 takes row 5 + 2 - 4 = 3 (the last observed season)
    np.testing.assert_array_equal(combined[..., 0], [[9.0, 3.0, 2.0], [9.0, 5.0, 4.0]])
    assert (
        with_fallback(
            prep.__class__(**{**prep.__dict__, "fallback": []}), point, targets, np.array([3, 5])
        )
        is point
    )


def comparison_results(seasonal_step_mae: list[float]) -> dict[str, Any]:
    """Two variants of 3 seeds over a horizon of 4 steps, and the naive forecasts."""

    def variant(label: str, mean: list[float]) -> dict[str, Any]:
        return {
            "label": label,
            "seeds": 3,
            "test": {"per_step_mae": {"mean": mean, "std": [0.01] * 4}},
        }

    return {
        "variants": {
            "lstm": variant("LSTM", [0.10, 0.20, 0.30, 0.40]),
            "gru": variant("GRU", [0.10, 0.20, 0.30, 0.35]),
        },
        "baselines": {
            "naive": {"per_step_mae": [0.5, 0.5, 0.5, 0.5]},
            "seasonal_naive": {"per_step_mae": seasonal_step_mae},
        },
    }


def test_compare_names_the_steps_where_a_baseline_beats_every_variant() -> None:
    results = comparison_results([0.3, 0.3, 0.25, 0.25])
    runs = baseline_steps(results)
    assert runs == [
        {
            "baseline": "seasonal_naive",
            "beats": ["LSTM", "GRU"],
            "first": 3,
            "last": 4,
            "baseline_mae": pytest.approx(0.25),
            "variant_mae": {"LSTM": pytest.approx(0.35), "GRU": pytest.approx(0.325)},
        }
    ]
    sentence = baseline_sentence(runs, 4)
    assert "seasonal naive beats LSTM and GRU at steps 3-4 of 4" in sentence


def test_a_gap_within_seed_noise_is_not_a_win() -> None:
    assert baseline_steps(comparison_results([0.3, 0.3, 0.295, 0.395])) == []
    assert beats_over_seeds(0.25, 0.30, 0.01, 3)
    assert not beats_over_seeds(0.25, 0.30, 0.06, 3)  # gap below one standard deviation
    assert not beats_over_seeds(0.25, 0.30, 0.01, 1)  # one seed tells no noise
