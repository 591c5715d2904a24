"""The validation gate: horizon step by horizon step, does the model beat naive and
seasonal naive on the validation windows? And, with ``evaluation.fallback: baseline``, the
forecast the bundle gives at each step: the model, or the baseline that beat it there.

Compute only: nothing here writes a file or prints.

The gate compares per-step MASE (every target on its own training-rows scale, so targets
in different units weigh alike); MAE where MASE is undefined (a constant target). One
training run has no seed spread, so the gate takes the lower validation error as it is;
``forecast compare`` applies its seed-noise rule over several seeds (``verdict``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from forecaster.evaluation.scoring import PeriodForecasts
from forecaster.model.baselines import BASELINES
from forecaster.model.preprocessing import Preprocessing
from forecaster.spec import Spec

GATE_PERIOD = "val"


def step_gate(metrics: dict[str, Any]) -> dict[str, Any]:
    """From a period's metrics (``score_forecasts``' dict), per horizon step: the model's
    and each baseline's error, and which forecast is lowest (``choice``: ``model``,
    ``naive`` or ``seasonal_naive``); ``spans`` the runs of steps a baseline wins."""
    names = ("model", *BASELINES)
    mase_finite = all(
        all(value is not None and math.isfinite(value) for value in metrics[n]["per_step"]["mase"])
        for n in names
    )
    metric = "mase" if mase_finite else "mae"
    errors = {name: np.asarray(metrics[name]["per_step"][metric], dtype=float) for name in names}
    baseline_errors = np.stack([errors[name] for name in BASELINES])  # [baselines, H]
    # an undefined (NaN) error never wins a step
    baseline_errors = np.where(np.isfinite(baseline_errors), baseline_errors, np.inf)
    best = baseline_errors.argmin(axis=0)
    wins = baseline_errors.min(axis=0) < errors["model"]
    choice = [BASELINES[b] if won else "model" for b, won in zip(best, wins, strict=True)]
    return {
        "metric": metric,
        "windows": metrics["windows"],
        "errors": {name: values.tolist() for name, values in errors.items()},
        "choice": choice,
        "spans": baseline_spans(choice, errors),
    }


def baseline_spans(choice: list[str], errors: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Consecutive steps (1-based, inclusive) won by the same baseline, with the mean error
    of the model and of that baseline over them."""
    spans: list[dict[str, Any]] = []
    for step, name in enumerate(choice):
        if name == "model":
            continue
        if spans and spans[-1]["baseline"] == name and spans[-1]["last"] == step:
            spans[-1]["last"] = step + 1
        else:
            spans.append({"baseline": name, "first": step + 1, "last": step + 1})
    for span in spans:
        steps = slice(span["first"] - 1, span["last"])
        span["model_error"] = float(np.mean(errors["model"][steps]))
        span["baseline_error"] = float(np.mean(errors[span["baseline"]][steps]))
    return spans


def gated_scores(
    spec: Spec,
    preprocessing: Preprocessing,
    score: Callable[[Preprocessing], dict[str, PeriodForecasts]],
    fallback: list[str] | None = None,
) -> tuple[Preprocessing, dict[str, PeriodForecasts]]:
    """``score`` (the model and baselines on each period, as ``preprocessing`` forecasts)
    with the validation gate in the validation metrics, and every period scored as the
    bundle forecasts: with the steps of ``fallback`` (a bundle's choice) handed to their
    baseline, or, when it is None and ``evaluation.fallback: baseline``, the steps a
    baseline wins on validation.

    The gate in the metrics is always the network's own, scored without any fallback;
    ``fallback`` in it is what the bundle forecasts at each step.
    """
    network = replace(preprocessing, fallback=[])
    scored = score(network)
    gate = step_gate(scored[GATE_PERIOD].metrics) if GATE_PERIOD in scored else None
    if fallback is None:
        fallback = []
        if gate is not None and spec.evaluation.fallback == "baseline" and gate["spans"]:
            fallback = gate["choice"]
    preprocessing = replace(network, fallback=fallback)
    if preprocessing.fallback_steps:
        scored = score(preprocessing)
    if gate is not None:
        attach_gate(scored, preprocessing.fallback, gate)
    return preprocessing, scored


def attach_gate(
    scored: dict[str, PeriodForecasts], fallback: list[str], gate: dict[str, Any]
) -> None:
    """Put the network's ``gate`` and the bundle's per-step ``fallback`` into the
    validation metrics."""
    metrics = scored[GATE_PERIOD].metrics
    gate["fallback"] = list(fallback) or ["model"] * len(gate["choice"])
    gate["fallback_spans"] = fallback_spans(fallback)
    metrics["gate"] = gate


def fallback_spans(fallback: list[str]) -> list[dict[str, Any]]:
    """The runs of steps (1-based, inclusive) a bundle forecasts with a baseline."""
    if not fallback:
        return []
    zeros = {name: np.zeros(len(fallback)) for name in ("model", *BASELINES)}
    return [
        {key: span[key] for key in ("baseline", "first", "last")}
        for span in baseline_spans(fallback, zeros)
    ]
