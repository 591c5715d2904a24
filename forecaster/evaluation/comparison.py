"""LSTM against GRU: the variants a comparison trains, their training order, and their
runs summarised over seeds. Compute only: ``commands.compare`` trains and writes.

The variants share everything in the spec (data, split, scaling, windows, layers and
units, optimiser, epochs, early stopping, seeds) and differ only in the recurrent cell
and, on request, the direction. ``params_matched`` adds a GRU whose layers are widened
until its parameter count is the closest to the LSTM's. The verdict and its rule for a
measurable gap live in ``verdict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np

from forecaster.data.calendar import Calendar
from forecaster.evaluation.metrics import METRICS
from forecaster.evaluation.verdict import long_horizon_mae, spread
from forecaster.model.baselines import BASELINES
from forecaster.model.network import build_model
from forecaster.spec import ModelSpec, Spec

Direction = Literal["no", "yes", "both"]
_LABELS = {"lstm": "LSTM", "gru": "GRU"}

Item = TypeVar("Item")


@dataclass(frozen=True)
class Variant:
    """One model the comparison trains: the spec with this cell, direction and units."""

    name: str
    cell: Literal["lstm", "gru"]
    bidirectional: bool
    units: tuple[int, ...]
    matched: bool = False

    @property
    def label(self) -> str:
        label = ("Bi" if self.bidirectional else "") + _LABELS[self.cell]
        if self.matched:
            label += f" ({', '.join(map(str, self.units))} units)"
        return label

    def spec_for(self, spec: Spec, seed: int) -> Spec:
        # a problem with the variant's spec names the variant
        return spec.with_overrides(
            source=f"compare variant {self.name}",
            **{
                "name": f"{spec.name}-{self.name}",
                "model.cell": self.cell,
                "model.bidirectional": self.bidirectional,
                "model.units": list(self.units),
                "train.seed": seed,
            },
        )


def plan_variants(
    spec: Spec, direction: Direction | None = None, params_matched: bool = False
) -> list[Variant]:
    """LSTM and GRU for each direction asked for (default: the spec's), and with
    ``params_matched`` a GRU as large as each LSTM."""
    directions = {
        None: [spec.model.bidirectional],
        "no": [False],
        "yes": [True],
        "both": [False, True],
    }[direction]
    units = tuple(spec.model.units)
    variants = []
    for bidirectional in directions:
        prefix = "bi" if bidirectional else ""
        lstm = Variant(f"{prefix}lstm", "lstm", bidirectional, units)
        variants += [lstm, Variant(f"{prefix}gru", "gru", bidirectional, units)]
        if params_matched:
            widened = matched_gru_units(spec, lstm)
            variants.append(Variant(f"{prefix}gru-matched", "gru", bidirectional, widened, True))
    return variants


def comparison_pairs(variants: Sequence[Variant]) -> list[tuple[str, str]]:
    """(LSTM, GRU) name pairs to judge, the plain comparison of the first direction first."""
    names = {variant.name for variant in variants}
    pairs = []
    for prefix in ("", "bi"):
        for gru in ("gru", "gru-matched"):
            if {f"{prefix}lstm", f"{prefix}{gru}"} <= names:
                pairs.append((f"{prefix}lstm", f"{prefix}{gru}"))
    return sorted(pairs, key=lambda pair: pair[1].endswith("matched"))


def count_params(spec: Spec, model_spec: ModelSpec) -> int:
    generated = len(Calendar.from_spec(spec.data).columns)
    model = build_model(
        model_spec,
        spec.window.lookback,
        spec.window.horizon,
        len(spec.data.columns) + generated + int(spec.window.pad),
        len(spec.data.targets),
        num_known=len(spec.data.future_covariates) + generated,
        padded=spec.window.pad,
    )
    return int(model.count_params())


def matched_gru_units(spec: Spec, lstm: Variant) -> tuple[int, ...]:
    """GRU units whose parameter count is the closest to the LSTM's.

    Every layer is widened by the same factor (the layer ratios of the spec stay), the
    first layer one unit at a time. The count grows with the width, so a doubling then
    bisection search finds the narrowest GRU at least as large as the LSTM, and it or
    the width below it is the closest. Counts come from built models, head included.
    """
    base = lstm.units

    def widened(first: int) -> tuple[int, ...]:
        return tuple(max(1, round(units * first / base[0])) for units in base)

    counted: dict[int, int] = {}

    def params(first: int) -> int:
        if first not in counted:
            update = {"cell": "gru", "bidirectional": lstm.bidirectional, "units": widened(first)}
            counted[first] = count_params(spec, spec.model.model_copy(update=update))
        return counted[first]

    lstm_model = spec.model.model_copy(
        update={"cell": "lstm", "bidirectional": lstm.bidirectional, "units": base}
    )
    target = count_params(spec, lstm_model)
    low, high = base[0], base[0]  # a GRU never has more parameters than an LSTM as wide
    while params(high) < target:
        low, high = high, high * 2
    while high - low > 1:  # invariant: params(low) < target <= params(high), or low == high
        middle = (low + high) // 2
        low, high = (middle, high) if params(middle) < target else (low, middle)
    candidates = {high, max(1, high - 1)}
    best = min(candidates, key=lambda first: (abs(params(first) - target), first))
    return widened(best)


def run_order(variants: Sequence[Item], seeds: Sequence[int]) -> list[tuple[int, Item]]:
    """(seed, variant) in training order: the variants rotate one place per seed (seed 1:
    lstm, gru; seed 2: gru, lstm; ...), so no variant always runs first, on a cold
    process, or last, on a machine busier than before."""
    order = []
    for index, seed in enumerate(seeds):
        shift = index % len(variants)
        order += [(seed, variant) for variant in [*variants[shift:], *variants[:shift]]]
    return order


def shared_spec(spec: Spec) -> dict[str, Any]:
    """The spec every variant trains with, less the fields the variants set themselves."""
    shared = spec.model_dump(mode="json")
    for varied in ("cell", "bidirectional"):
        del shared["model"][varied]
    return shared


def aggregate_variant(variant: Variant, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant's runs summarised over seeds."""
    runs = sorted(runs, key=lambda run: run["seed"])
    per_step = np.array([run["per_step_mae"] for run in runs])
    # the metrics, and coverage_80 / winkler_80 ... when the spec asks for intervals
    test: dict[str, Any] = {
        name: spread([run["test"][name] for run in runs]) for name in runs[0]["test"]
    }
    test["per_step_mae"] = {
        "mean": per_step.mean(axis=0).tolist(),
        "std": per_step.std(axis=0, ddof=1).tolist() if len(runs) > 1 else None,
        "min": per_step.min(axis=0).tolist(),
        "max": per_step.max(axis=0).tolist(),
    }
    test["long_horizon_mae"] = spread([run["long_horizon_mae"] for run in runs])
    return {
        "label": variant.label,
        "cell": variant.cell,
        "bidirectional": variant.bidirectional,
        "units": list(variant.units),
        "params": runs[0]["params"],
        "seeds": len(runs),
        **{
            key: spread([run[key] for run in runs])
            for key in ("seconds_per_epoch", "epochs", "best_epoch", "train_seconds", "latency_ms")
        },
        "test": test,
        "runs": runs,
    }


def baseline_scores(test_metrics: dict[str, Any]) -> dict[str, Any]:
    """The naive forecasts' test scores: deterministic, the same for every run."""
    scores = {}
    for name in BASELINES:
        per_step_mae = test_metrics[name]["per_step"]["mae"]
        scores[name] = {
            **{metric: test_metrics[name][metric] for metric in METRICS},
            "per_step_mae": per_step_mae,
            "long_horizon_mae": long_horizon_mae(per_step_mae),
        }
    return scores
