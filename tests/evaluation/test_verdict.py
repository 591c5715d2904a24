"""The verdict of forecast compare: plain sentences, only where a gap beats seed noise."""

from __future__ import annotations

from typing import Any

from forecaster.evaluation.verdict import (
    compare_pair,
    long_horizon_mae,
    long_horizon_steps,
    measurable,
    spread,
)


def test_long_horizon_is_the_last_quarter_of_the_steps() -> None:
    assert long_horizon_steps(24) == (19, 24)
    assert long_horizon_steps(6) == (5, 6)
    assert long_horizon_steps(1) == (1, 1)
    assert long_horizon_mae([1.0, 1.0, 1.0, 1.0, 2.0, 4.0]) == 3.0


# The verdict on made-up result tables: three seeds each unless said otherwise.


def _variant(
    label: str,
    params: int,
    seconds: list[float],
    mae: list[float],
    long_mae: list[float],
) -> dict[str, Any]:
    return {
        "label": label,
        "params": params,
        "seeds": len(mae),
        "seconds_per_epoch": spread(seconds),
        "test": {"mae": spread(mae), "long_horizon_mae": spread(long_mae)},
    }


def _verdict(lstm: dict[str, Any], gru: dict[str, Any]) -> dict[str, Any]:
    results = {"variants": {"lstm": lstm, "gru": gru}, "long_horizon_steps": [19, 24]}
    return compare_pair(results, "lstm", "gru")


def test_verdict_clear_wins_on_every_question() -> None:
    lstm = _variant("LSTM", 20000, [2.0, 2.1, 2.05], [1.00, 1.01, 1.02], [1.30, 1.31, 1.29])
    gru = _variant("GRU", 15000, [1.5, 1.55, 1.6], [1.20, 1.21, 1.22], [1.60, 1.62, 1.61])
    verdict = _verdict(lstm, gru)
    text = verdict["sentences"]
    assert text.startswith("GRU has 25% fewer parameters than LSTM (15,000 vs 20,000) and takes ")
    assert "less time per epoch" in text
    assert "LSTM is more accurate on the test period" in text
    assert ", and at long horizons (steps 19-24" in text
    assert (
        verdict["test_mae"]["better"] == "LSTM" and verdict["seconds_per_epoch"]["better"] == "GRU"
    )
    assert text.count(". ") == 1 and text.endswith(".")  # two sentences


def test_verdict_says_no_measurable_difference_when_seeds_overlap() -> None:
    lstm = _variant("LSTM", 20000, [2.0, 1.5, 2.4], [1.00, 1.10, 1.20], [1.3, 1.5, 1.4])
    gru = _variant("GRU", 15000, [1.9, 2.2, 1.6], [1.05, 1.15, 1.12], [1.35, 1.45, 1.5])
    verdict = _verdict(lstm, gru)
    text = verdict["sentences"]
    assert "with no measurable difference in time per epoch" in text
    assert "There is no measurable difference in test accuracy" in text
    assert "or at long horizons" in text
    assert verdict["test_mae"]["better"] is None and not verdict["test_mae"]["measurable"]


def test_verdict_names_the_faster_and_the_long_horizon_winner_even_against_expectations() -> None:
    lstm = _variant("LSTM", 20000, [1.0, 1.02, 1.01], [1.10, 1.00, 1.20], [1.30, 1.31, 1.29])
    gru = _variant("GRU", 15000, [1.5, 1.52, 1.51], [1.05, 1.15, 1.12], [1.60, 1.62, 1.61])
    text = _verdict(lstm, gru)["sentences"]
    assert "GRU has 25% fewer parameters than LSTM (15,000 vs 20,000), but LSTM takes 33%" in text
    assert "There is no measurable difference in test accuracy" in text
    assert "but LSTM is better at long horizons" in text


def test_verdict_for_a_params_matched_gru() -> None:
    lstm = _variant("LSTM", 20000, [2.0, 2.1, 2.05], [1.00, 1.01, 1.02], [1.30, 1.31, 1.29])
    gru = _variant("GRU (74 units)", 20100, [2.0, 2.1, 2.05], [0.90, 0.91, 0.92], [1.2, 1.21, 1.19])
    text = _verdict(lstm, gru)["sentences"]
    assert text.startswith("GRU (74 units) has about as many parameters as LSTM (20,100 vs 20,000)")
    assert "GRU (74 units) is more accurate on the test period" in text


def test_measurable_needs_both_more_than_seed_spread_and_a_clear_t() -> None:
    def stats(mean: float, std: float) -> dict[str, float]:
        return {"mean": mean, "std": std}

    # two seeds: a gap of 1.5 standard deviations is beyond the spread but t is only 1.5
    assert not measurable(stats(1.0, 0.1), stats(1.15, 0.1), 2, 2)
    assert measurable(stats(1.0, 0.1), stats(1.25, 0.1), 2, 2)
    # fifty seeds: t > 2 for a gap of 0.5 standard deviations, still within the seed spread
    assert not measurable(stats(1.0, 0.1), stats(1.05, 0.1), 50, 50)
    assert not measurable(stats(1.0, 0.1), stats(2.0, 0.1), 1, 3)  # one seed: no spread known
    assert measurable(stats(1.0, 0.0), stats(1.001, 0.0), 3, 3)
