"""The verdict of ``forecast compare``: which of two variants is smaller, faster, more
accurate, better at long horizons, in plain sentences, and only where the gap is real.

The verdict's rule: a gap between two variants is *measurable* only when the difference
of their means over seeds is larger than the seeds' pooled standard deviation **and**
more than twice its standard error (Welch's t > 2). The first condition keeps a gap
smaller than what a change of seed does out of the verdict however many seeds ran; the
second keeps two or three lucky seeds from deciding it. Parameter counts are exact and
compared as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

MEASURABLE_RULE = (
    "A gap is called measurable when the difference between the means over seeds is "
    "larger than the seeds' pooled standard deviation and more than twice its standard "
    "error (Welch's t > 2); otherwise the verdict says there is no measurable difference."
)
# a params-matched GRU is within a few percent of the LSTM: "about as many" parameters
SAME_SIZE_SHARE = 0.02


def long_horizon_steps(horizon: int) -> tuple[int, int]:
    """First and last (1-based) step of the horizon's last quarter: its long-range end."""
    return horizon - math.ceil(horizon / 4) + 1, horizon


def long_horizon_mae(per_step_mae: Sequence[float]) -> float:
    first, last = long_horizon_steps(len(per_step_mae))
    return float(np.mean(per_step_mae[first - 1 : last]))


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max over seeds."""
    array = np.asarray(values, dtype=float)
    return {
        "mean": float(np.mean(array)),
        "std": float(np.std(array, ddof=1)) if len(array) > 1 else math.nan,
        "min": float(np.min(array)),
        "max": float(np.max(array)),
    }


def measurable(
    first: dict[str, float], second: dict[str, float], n_first: int, n_second: int
) -> bool:
    """Whether the gap between two spreads over seeds is larger than seed noise (see the
    module docstring for the rule)."""
    if n_first < 2 or n_second < 2:
        return False
    gap = abs(first["mean"] - second["mean"])
    var_first, var_second = first["std"] ** 2, second["std"] ** 2
    pooled_std = math.sqrt(
        ((n_first - 1) * var_first + (n_second - 1) * var_second) / (n_first + n_second - 2)
    )
    standard_error = math.sqrt(var_first / n_first + var_second / n_second)
    return gap > pooled_std and gap > 2 * standard_error


def compare_pair(results: dict[str, Any], first: str, second: str) -> dict[str, Any]:
    """Fewer parameters? Faster? More accurate? Better at long horizons? For two variants
    of ``results``, with the answer in one or two plain sentences."""
    a, b = results["variants"][first], results["variants"][second]
    contests = {
        "seconds_per_epoch": _contest(a, b, a["seconds_per_epoch"], b["seconds_per_epoch"]),
        "test_mae": _contest(a, b, a["test"]["mae"], b["test"]["mae"]),
        "long_horizon_mae": _contest(
            a, b, a["test"]["long_horizon_mae"], b["test"]["long_horizon_mae"]
        ),
    }
    fewer = None if a["params"] == b["params"] else (a if a["params"] < b["params"] else b)
    contests["params"] = {
        "better": fewer["label"] if fewer else None,
        "measurable": fewer is not None,
        "relative": abs(a["params"] - b["params"]) / a["params"],
    }
    first_step, last_step = results["long_horizon_steps"]
    sentences = [
        _cost_sentence(a, b, contests["seconds_per_epoch"]),
        _accuracy_sentence(a, b, contests, (first_step, last_step)),
    ]
    return {"pair": [first, second], **contests, "sentences": " ".join(sentences)}


def _contest(
    a: dict[str, Any], b: dict[str, Any], a_spread: dict[str, float], b_spread: dict[str, float]
) -> dict[str, Any]:
    """Which variant has the lower value, and whether the gap is measurable."""
    lower, higher = (
        (a_spread, b_spread) if a_spread["mean"] <= b_spread["mean"] else (b_spread, a_spread)
    )
    is_measurable = measurable(a_spread, b_spread, a["seeds"], b["seeds"])
    return {
        "better": (a if lower is a_spread else b)["label"] if is_measurable else None,
        "measurable": is_measurable,
        "relative": (higher["mean"] - lower["mean"]) / higher["mean"] if higher["mean"] else 0.0,
    }


def _cost_sentence(a: dict[str, Any], b: dict[str, Any], speed: dict[str, Any]) -> str:
    """Parameters and time per epoch, from the second variant's side (GRU vs LSTM)."""
    share = abs(a["params"] - b["params"]) / a["params"]
    counts = f"({b['params']:,} vs {a['params']:,})"
    if share < SAME_SIZE_SHARE:
        cost = f"{b['label']} has about as many parameters as {a['label']} {counts}"
    else:
        more_or_fewer = "fewer" if b["params"] < a["params"] else "more"
        cost = f"{b['label']} has {share:.0%} {more_or_fewer} parameters than {a['label']} {counts}"
    times = (
        f"({b['label']} {b['seconds_per_epoch']['mean']:.2f} s, "
        f"{a['label']} {a['seconds_per_epoch']['mean']:.2f} s)"
    )
    if not speed["measurable"]:
        return f"{cost}, with no measurable difference in time per epoch {times}."
    b_is_larger = b["params"] > a["params"] and share >= SAME_SIZE_SHARE
    if speed["better"] == b["label"]:
        joint = "but" if b_is_larger else "and"
        return f"{cost} {joint} takes {speed['relative']:.0%} less time per epoch {times}."
    joint = "and" if b_is_larger else "but"
    return (
        f"{cost}, {joint} {a['label']} takes {speed['relative']:.0%} less time per epoch {times}."
    )


def _accuracy_sentence(
    a: dict[str, Any], b: dict[str, Any], contests: dict[str, Any], steps: tuple[int, int]
) -> str:
    def values(key: str) -> str:
        def one(variant: dict[str, Any]) -> str:
            stats = variant["test"][key]
            return f"{variant['label']} {stats['mean']:.4g} ± {stats['std']:.2g}"

        return f"{one(a)}, {one(b)}"

    seeds = min(a["seeds"], b["seeds"])
    overall, long = contests["test_mae"], contests["long_horizon_mae"]
    where = f"steps {steps[0]}-{steps[1]}" if steps[0] != steps[1] else f"step {steps[1]}"
    overall_part = f"(test MAE {values('mae')}; {seeds} seeds)"
    long_part = f"({where}: MAE {values('long_horizon_mae')})"
    if overall["measurable"]:
        head = f"{overall['better']} is more accurate on the test period {overall_part}"
        if not long["measurable"]:
            return f"{head}, with no measurable difference at long horizons {long_part}."
        joint = "and" if long["better"] == overall["better"] else f"but {long['better']} is better"
        return f"{head}, {joint} at long horizons {long_part}."
    head = f"There is no measurable difference in test accuracy {overall_part}"
    if not long["measurable"]:
        return f"{head} or at long horizons {long_part}."
    return f"{head}, but {long['better']} is better at long horizons {long_part}."


def beats_over_seeds(baseline: float, variant_mean: float, variant_std: float, seeds: int) -> bool:
    """Whether a deterministic baseline's error is measurably below a variant's over
    seeds: the module's rule with no spread on the baseline's side (the gap larger than
    the seeds' standard deviation and more than twice their standard error)."""
    if seeds < 2 or not math.isfinite(variant_std):
        return False
    gap = variant_mean - baseline
    return gap > variant_std and gap > 2 * variant_std / math.sqrt(seeds)


def baseline_steps(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of test steps (1-based, inclusive) where a naive forecast is measurably
    more accurate (per-step MAE) than some variants, with the variants it beats there."""
    variants = results["variants"]
    horizon = len(next(iter(variants.values()))["test"]["per_step_mae"]["mean"])
    beaten_by_step: list[tuple[str, tuple[str, ...]] | None] = []
    for step in range(horizon):
        best: tuple[str, tuple[str, ...]] | None = None
        best_rank = (0, 0.0)
        for name, baseline in results["baselines"].items():
            value = baseline["per_step_mae"][step]
            beaten = tuple(
                variant["label"]
                for variant in variants.values()
                if beats_over_seeds(
                    value,
                    variant["test"]["per_step_mae"]["mean"][step],
                    _std(variant["test"]["per_step_mae"]["std"], step),
                    variant["seeds"],
                )
            )
            # the baseline that beats the most variants, the more accurate one on a tie
            rank = (len(beaten), -value)
            if beaten and (best is None or rank > best_rank):
                best, best_rank = (name, beaten), rank
        beaten_by_step.append(best)
    runs: list[dict[str, Any]] = []
    for step, found in enumerate(beaten_by_step, 1):
        if found is None:
            continue
        if (
            runs
            and runs[-1]["last"] == step - 1
            and (runs[-1]["baseline"], runs[-1]["beats"])
            == (
                found[0],
                list(found[1]),
            )
        ):
            runs[-1]["last"] = step
        else:
            runs.append(
                {"baseline": found[0], "beats": list(found[1]), "first": step, "last": step}
            )
    for run in runs:
        steps = slice(run["first"] - 1, run["last"])
        run["baseline_mae"] = float(
            np.mean(results["baselines"][run["baseline"]]["per_step_mae"][steps])
        )
        run["variant_mae"] = {
            variant["label"]: float(np.mean(variant["test"]["per_step_mae"]["mean"][steps]))
            for variant in variants.values()
            if variant["label"] in run["beats"]
        }
    return runs


def baseline_sentence(runs: list[dict[str, Any]], horizon: int) -> str:
    """The runs of ``baseline_steps`` in one plain sentence (empty when there are none)."""
    if not runs:
        return ""
    parts = []
    for run in runs:
        where = (
            f"step {run['first']}"
            if run["first"] == run["last"]
            else f"steps {run['first']}-{run['last']}"
        )
        maes = ", ".join(f"{label} {value:.4g}" for label, value in run["variant_mae"].items())
        parts.append(
            f"{run['baseline'].replace('_', ' ')} beats {' and '.join(run['beats'])} at {where} "
            f"of {horizon} (MAE {run['baseline_mae']:.4g} against {maes})"
        )
    return (
        "A naive forecast is measurably more accurate on the test period: "
        + "; ".join(parts)
        + "; evaluation.fallback: baseline forecasts such steps with the baseline that wins "
        "them on validation."
    )


def _std(values: list[float] | None, step: int) -> float:
    return math.nan if values is None else float(values[step])
