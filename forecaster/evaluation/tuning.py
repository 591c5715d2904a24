"""Which tuned spec is best once seed noise is counted, and whether it beats the spec the
search started from. Compute only: ``commands.tune`` trains and writes.

A search ranks trials by one training each, so the winner is partly the luckiest seed.
The best few trials and the starting spec are therefore trained on the same seeds, the
best is the one with the lowest mean validation loss, and it beats the starting spec only
by the rule ``forecast compare`` uses for a measurable gap (``verdict.measurable``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forecaster.evaluation.verdict import MEASURABLE_RULE, measurable, spread

START = "start"  # the candidate name of the spec the search started from


def top_trials(rows: Sequence[dict[str, Any]], count: int, key: str) -> list[dict[str, Any]]:
    """The ``count`` completed trials with the lowest ``key``, one per distinct set of
    values (Hyperband trains the same values in several rounds)."""
    completed = sorted((row for row in rows if row["status"] == "completed"), key=lambda r: r[key])
    chosen: list[dict[str, Any]] = []
    for row in completed:
        if all(row["values"] != other["values"] for other in chosen):
            chosen.append(row)
    return chosen[:count]


def seed_check(losses: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """The candidates' validation losses over the same seeds (``START`` among them)
    summarised, the best by mean, and the verdict against ``START``."""
    spreads = {name: spread(values) for name, values in losses.items()}
    best = min(spreads, key=lambda name: (spreads[name]["mean"], name != START))
    start, chosen = spreads[START], spreads[best]
    seeds = len(losses[START])
    if best == START:
        beats, sentence = (
            False,
            (
                f"No trial beat the starting spec on mean validation loss over {seeds} seeds "
                f"(starting spec {_mean_std(start)}); keep it."
            ),
        )
    else:
        beats = measurable(chosen, start, len(losses[best]), seeds)
        values = f"(best {_mean_std(chosen)}, starting spec {_mean_std(start)}; {seeds} seeds)"
        share = (start["mean"] - chosen["mean"]) / start["mean"] if start["mean"] else 0.0
        sentence = (
            f"Trial {best} beats the starting spec beyond seed noise: {share:.1%} lower "
            f"validation loss {values}."
            if beats
            else f"Trial {best} has {share:.1%} lower mean validation loss than the starting "
            f"spec, but the gap is within seed noise {values}."
        )
    return {
        "candidates": {
            name: {**spreads[name], "losses": list(values)} for name, values in losses.items()
        },
        "best": best,
        "beats_start": beats,
        "verdict": sentence,
        "rule": MEASURABLE_RULE,
    }


def _mean_std(values: dict[str, float]) -> str:
    return f"{values['mean']:.4g} ± {values['std']:.2g}"
