"""``forecast compare``: LSTM against GRU on the user's own data, over several seeds.

Every run is a normal bundle at ``<out>/<variant>/seed-<seed>/``; ``results.json``
aggregates them over seeds, with the naive baselines and a verdict, and ``report.html``
shows it all. What is trained and how runs are summarised lives in
``evaluation.comparison``; the verdict in ``evaluation.verdict``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecaster.bundle.forecasting import Forecaster
from forecaster.bundle.layout import load_bundle
from forecaster.bundle.manifest import environment
from forecaster.commands.train import save_fitted
from forecaster.data.panel import Panel
from forecaster.errors import InputError
from forecaster.evaluation.comparison import (
    Direction,
    Variant,
    aggregate_variant,
    baseline_scores,
    comparison_pairs,
    plan_variants,
    run_order,
    shared_spec,
)
from forecaster.evaluation.metrics import METRICS
from forecaster.evaluation.verdict import (
    MEASURABLE_RULE,
    baseline_sentence,
    baseline_steps,
    compare_pair,
    long_horizon_mae,
    long_horizon_steps,
)
from forecaster.log import logger, notes_muted
from forecaster.model.ensemble import single_spec
from forecaster.model.preparation import load_data
from forecaster.model.training import fit, retracing_muted
from forecaster.reports.comparison import write_comparison_report
from forecaster.spec import Spec
from forecaster.storage.files import to_json_ready, write_json
from forecaster.storage.folders import COMPARISON, check_replaceable
from forecaster.storage.staging import staged_folder
from forecaster.version import __version__

RESULTS_FILE = "results.json"
LATENCY_WARMUP_CALLS = 3
LATENCY_TIMED_CALLS = 30


@dataclass(frozen=True)
class ComparisonRun:
    folder: Path
    results: dict[str, Any]  # what results.json holds


def compare(
    spec: Spec,
    out_dir: str | Path,
    *,
    num_seeds: int = 3,
    direction: Direction | None = None,
    params_matched: bool = False,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ComparisonRun:
    """Train every variant with every seed, save the bundles, ``results.json`` and the
    report; return the results.

    The folder is built next to ``out_dir`` and moved into place at the end, so an
    interrupted comparison leaves the previous one (if any) as it was.
    """
    if num_seeds < 2:
        raise InputError(
            f"--seeds {num_seeds}: a comparison needs at least 2 seeds to tell a difference "
            "from seed noise; fix: use --seeds 2 or more (3 is the default)"
        )
    if spec.train.ensemble is not None:
        # the comparison's seeds are what an ensemble of seeds would combine: each run is
        # one network, so a difference between cells is not hidden inside a median
        logger.warning(
            "spec: train.ensemble is left out: forecast compare trains one network per seed "
            f"and cell ({num_seeds} seeds each); the bundles it saves are single networks"
        )
        spec = single_spec(spec)
    out_dir = Path(out_dir)
    check_replaceable(out_dir, COMPARISON)
    panel = load_data(spec)
    variants = plan_variants(spec, direction, params_matched)
    seeds = [spec.train.seed + k for k in range(num_seeds)]
    order = run_order(variants, seeds)
    say = progress or (lambda line: None)

    with retracing_muted(), staged_folder(out_dir, COMPARISON) as staging:
        runs: dict[str, list[dict[str, Any]]] = {variant.name: [] for variant in variants}
        for step, (seed, variant) in enumerate(order, 1):
            record, test_metrics, run_environment = _run_once(
                spec, panel, variant, seed, staging, force_cpu
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
            "environment": run_environment,
            "test_windows": test_metrics["windows"],
            "long_horizon_steps": list(long_horizon_steps(spec.window.horizon)),
            "variants": {
                variant.name: aggregate_variant(variant, runs[variant.name]) for variant in variants
            },
            "baselines": baseline_scores(test_metrics),
            "rule": MEASURABLE_RULE,
        }
        results["comparisons"] = [
            compare_pair(results, first, second) for first, second in comparison_pairs(variants)
        ]
        # where a naive forecast beats the variants, the verdict says so first
        results["baseline_steps"] = baseline_steps(results)
        beaten = baseline_sentence(results["baseline_steps"], spec.window.horizon)
        verdict = results["comparisons"][0]["sentences"]
        results["verdict"] = f"{beaten} {verdict}" if beaten else verdict
        results = to_json_ready(results)  # NaN (e.g. MAPE of all-zero actuals) as null
        write_json(staging / RESULTS_FILE, results)
        write_comparison_report(results, staging)
    return ComparisonRun(out_dir, results)


def _run_once(
    spec: Spec,
    panel: Panel,
    variant: Variant,
    seed: int,
    folder: Path,
    force_cpu: bool,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Train, score and save one (variant, seed); time one forecast from the saved bundle."""
    # a fresh Keras state per run: no run pays for (or profits from) the graphs of another
    keras.backend.clear_session()
    run_spec = variant.spec_for(spec, seed)
    result = fit(run_spec, panel, quiet=True, force_cpu=force_cpu)
    saved = save_fitted(run_spec, result, folder / variant.name / f"seed-{seed}")
    bundle, metrics = saved.bundle, saved.metrics
    # with future covariates the last horizon rows stand in for the future table
    held = spec.window.horizon if spec.data.future_covariates else 0
    # every series' last lookback rows (the future rows held back): one batched forecast
    panel, future = result.panel, None
    if held:
        panel, future = panel.split_last(held)
    history = panel.tail(max(spec.window.lookback, result.preprocessing.season))

    def forecast(forecaster: Forecaster) -> None:
        forecaster.predict_panel(history, "history", future=future)

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
        "latency_ms": forecast_latency_ms(bundle, forecast),
        "test": {name: test[name] for name in METRICS}
        | {
            f"{kind}_{level}": by_forecast["model"][kind]
            for level, by_forecast in (metrics["test"].get("intervals") or {}).items()
            for kind in ("coverage", "winkler")
        },
        "per_step_mae": per_step_mae,
        "long_horizon_mae": long_horizon_mae(per_step_mae),
        "val_loss": result.history["val_loss"].tolist(),
        "epoch_seconds": epoch_seconds.tolist(),
    }
    return record, metrics["test"], environment(result.device, result.determinism)


def forecast_latency_ms(bundle: Path, forecast: Callable[[Forecaster], None]) -> float:
    """Median wall time of one ``forecast`` from the reloaded bundle, after warm-up calls."""
    forecaster = load_bundle(bundle)
    timings = []
    with notes_muted():
        for _ in range(LATENCY_WARMUP_CALLS):
            forecast(forecaster)
        for _ in range(LATENCY_TIMED_CALLS):
            started = time.perf_counter()
            forecast(forecaster)
            timings.append(time.perf_counter() - started)
    return 1000 * statistics.median(timings)
