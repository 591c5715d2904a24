"""``forecast compare``: LSTM against GRU on the user's own data, over several seeds.

The variants share everything in the spec (data, split, scaling, windows, layers and
units, optimiser, epochs, early stopping, seeds) and differ only in the recurrent cell
and, on request, the direction. ``params_matched`` adds a GRU whose layers are widened
until its parameter count is the closest to the LSTM's. Every run is a normal bundle at
``<out>/<variant>/seed-<seed>/``; ``results.json`` aggregates them over seeds, with the
naive baselines and a verdict, and ``report.html`` shows it all (``compare_report``).

The verdict and its rule for a measurable gap live in ``verdict``.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from forecaster import __version__
from forecaster.bundle import load_bundle, staged_folder, write_json
from forecaster.errors import InputError
from forecaster.evaluate import BASELINES, METRICS, to_json_ready
from forecaster.models import build_model
from forecaster.spec import ModelSpec, Spec
from forecaster.train import fit, load_frame, save_trained
from forecaster.verdict import (
    MEASURABLE_RULE,
    compare_pair,
    long_horizon_mae,
    long_horizon_steps,
    plus_minus,
    spread,
)

Direction = Literal["no", "yes", "both"]
RESULTS_FILE = "results.json"
REPORT_FILE = "report.html"
LATENCY_WARMUP_CALLS = 3
LATENCY_TIMED_CALLS = 30
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
        return spec.with_overrides(
            **{
                "name": f"{spec.name}-{self.name}",
                "model.cell": self.cell,
                "model.bidirectional": self.bidirectional,
                "model.units": list(self.units),
                "train.seed": seed,
            }
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
    model = build_model(
        model_spec,
        spec.window.lookback,
        spec.window.horizon,
        len(spec.data.columns),
        len(spec.data.targets),
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


def run_comparison(
    spec: Spec,
    out_dir: str | Path,
    *,
    num_seeds: int = 3,
    direction: Direction | None = None,
    params_matched: bool = False,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train every variant with every seed, save the bundles, ``results.json`` and the
    report; return the results.

    The folder is built next to ``out_dir`` and moved into place at the end, so an
    interrupted comparison leaves the previous one (if any) as it was.
    """
    from forecaster.compare_report import write_report

    if num_seeds < 2:
        raise InputError(
            f"--seeds {num_seeds}: a comparison needs at least 2 seeds to tell a difference "
            "from seed noise; fix: use --seeds 2 or more (3 is the default)"
        )
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    frame = load_frame(spec)
    variants = plan_variants(spec, direction, params_matched)
    seeds = [spec.train.seed + k for k in range(num_seeds)]
    order = run_order(variants, seeds)
    say = progress or (lambda line: None)

    tf_logger = tf.get_logger()
    logger_level = tf_logger.level
    # every run builds a new model, so TensorFlow's retracing warnings are expected noise
    tf_logger.setLevel("ERROR")
    try:
        with staged_folder(out_dir) as staging:
            runs: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in variants}
            for step, (seed, variant) in enumerate(order, 1):
                record, test_metrics, environment = _run_once(
                    spec, frame, variant, seed, staging, force_cpu
                )
                runs[variant.name].append(record)
                say(
                    f"[{step}/{len(order)}] {variant.name} seed {seed}: "
                    f"{record['epochs']} epochs, {record['seconds_per_epoch']:.2f} s/epoch, "
                    f"test MAE {record['test']['mae']:.4f}"
                )
            results = {
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "forecaster_version": __version__,
                "spec": shared_spec(spec),
                "seeds": seeds,
                "order": [[variant.name, seed] for seed, variant in order],
                "environment": environment,
                "test_windows": test_metrics["windows"],
                "long_horizon_steps": list(long_horizon_steps(spec.window.horizon)),
                "variants": {
                    variant.name: aggregate_variant(variant, runs[variant.name])
                    for variant in variants
                },
                "baselines": baseline_scores(test_metrics),
                "rule": MEASURABLE_RULE,
            }
            results["comparisons"] = [
                compare_pair(results, first, second) for first, second in comparison_pairs(variants)
            ]
            results["verdict"] = results["comparisons"][0]["sentences"]
            results = to_json_ready(results)  # NaN (e.g. MAPE of all-zero actuals) as null
            write_json(staging / RESULTS_FILE, results)
            write_report(results, staging)
    finally:
        tf_logger.setLevel(logger_level)
    return results


def shared_spec(spec: Spec) -> dict[str, Any]:
    """The spec every variant trains with, less the fields the variants set themselves."""
    shared = spec.model_dump(mode="json")
    for varied in ("cell", "bidirectional"):
        del shared["model"][varied]
    return shared


def _run_once(
    spec: Spec, frame: pd.DataFrame, variant: Variant, seed: int, folder: Path, force_cpu: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Train, score and save one (variant, seed); time one forecast from the saved bundle."""
    # a fresh Keras state per run: no run pays for (or profits from) the graphs of another
    keras.backend.clear_session()
    run_spec = variant.spec_for(spec, seed)
    result = fit(run_spec, frame, quiet=True, force_cpu=force_cpu)
    bundle, metrics = save_trained(run_spec, frame, result, folder / variant.name / f"seed-{seed}")
    history_rows = frame.iloc[result.periods.end - spec.window.lookback : result.periods.end]
    epoch_seconds = result.history["seconds"].to_numpy()
    test = metrics["test"]["model"]
    per_step_mae = test["per_step"]["mae"]
    record = {
        "seed": seed,
        "bundle": f"{variant.name}/seed-{seed}",
        "params": int(result.model.count_params()),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        # the first epoch also traces the graphs: it times TensorFlow, not the cell
        "seconds_per_epoch": float(
            np.median(epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds)
        ),
        "train_seconds": result.train_seconds,
        "latency_ms": forecast_latency_ms(bundle, history_rows),
        "test": {name: test[name] for name in METRICS},
        "per_step_mae": per_step_mae,
        "long_horizon_mae": long_horizon_mae(per_step_mae),
        "val_loss": result.history["val_loss"].tolist(),
        "epoch_seconds": epoch_seconds.tolist(),
    }
    return record, metrics["test"], describe_environment(result.device, result.determinism)


def forecast_latency_ms(bundle: Path, history: pd.DataFrame) -> float:
    """Median wall time of one forecast from the reloaded bundle, after warm-up calls."""
    forecaster = load_bundle(bundle)
    for _ in range(LATENCY_WARMUP_CALLS):
        forecaster.predict(history)
    timings = []
    for _ in range(LATENCY_TIMED_CALLS):
        started = time.perf_counter()
        forecaster.predict(history)
        timings.append(time.perf_counter() - started)
    return 1000 * statistics.median(timings)


def describe_environment(device: str, determinism: dict[str, Any]) -> dict[str, Any]:
    """Device and thread settings: timings mean little without them."""
    thread_variables = (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "device": device,
        "cpu_cores": cores,
        "intra_op_threads": determinism["intra_op_threads"],
        "inter_op_threads": determinism["inter_op_threads"],
        "op_determinism": determinism["op_determinism"],
        "thread_variables": {
            name: os.environ[name] for name in thread_variables if name in os.environ
        },
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "platform": platform.platform(),
    }


def describe_threads(environment: dict[str, Any]) -> str:
    """One line: where the runs trained and with how many threads."""

    def threads(count: int) -> str:
        return "TensorFlow's default (one per core)" if count == 0 else str(count)

    line = (
        f"{environment['device']}, {environment['cpu_cores']} CPU cores available; "
        f"intra-op threads: {threads(environment['intra_op_threads'])}, "
        f"inter-op threads: {threads(environment['inter_op_threads'])}; "
        f"op determinism {'on' if environment['op_determinism'] else 'off'}"
    )
    variables = environment.get("thread_variables") or {}
    if variables:
        line += "; " + ", ".join(f"{name}={value}" for name, value in variables.items())
    return line


def aggregate_variant(variant: Variant, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant's runs summarised over seeds."""
    runs = sorted(runs, key=lambda run: run["seed"])
    per_step = np.array([run["per_step_mae"] for run in runs])
    test: dict[str, Any] = {name: spread([run["test"][name] for run in runs]) for name in METRICS}
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


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The side-by-side table as plain text, for the terminal."""
    first, last = results["long_horizon_steps"]
    rows = [["", "params", "s/epoch", "epochs", "test MAE", f"MAE {first}-{last}", "latency ms"]]
    for name, variant in results["variants"].items():
        test = variant["test"]
        rows.append(
            [
                name,
                f"{variant['params']:,}",
                plus_minus(variant["seconds_per_epoch"], 2),
                f"{variant['epochs']['mean']:.1f}",
                plus_minus(test["mae"], 4),
                plus_minus(test["long_horizon_mae"], 4),
                f"{variant['latency_ms']['mean']:.1f}",
            ]
        )
    for name, baseline in results["baselines"].items():
        rows.append(
            [name, "", "", "", f"{baseline['mae']:.4f}", f"{baseline['long_horizon_mae']:.4f}", ""]
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if k == 0 else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _check_replaceable(out_dir: Path) -> None:
    """Only an empty folder or a previous comparison may be replaced."""
    if out_dir.exists() and not (
        (out_dir / RESULTS_FILE).is_file() or (out_dir.is_dir() and not any(out_dir.iterdir()))
    ):
        raise InputError(
            f"{out_dir}: exists and is not a comparison folder (no {RESULTS_FILE}); refusing "
            "to replace it; fix: choose another --out folder"
        )
