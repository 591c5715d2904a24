"""``forecast train``: read the spec's CSV, fit, score beside the baselines, save the bundle."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecaster.bundle.layout import save_bundle
from forecaster.bundle.manifest import bundle_manifest
from forecaster.evaluation.calibration import spec_intervals
from forecaster.evaluation.combination import combined_scores
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts, score_periods
from forecaster.model.checkpoint import Checkpoint
from forecaster.model.distribution import remove_worker_folder, worker_folder
from forecaster.model.preparation import load_data
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.training import FitResult, fit
from forecaster.reports.model import write_model_report
from forecaster.reports.series import write_per_series
from forecaster.spec import Spec
from forecaster.storage.files import file_sha256
from forecaster.storage.folders import BUNDLE, check_replaceable


@dataclass(frozen=True)
class TrainResult:
    bundle: Path
    fitted: FitResult
    metrics: dict[str, Any]  # what metrics.json holds: "val" and "test"


def train(
    spec: Spec,
    out_dir: str | Path,
    *,
    quiet: bool = False,
    force_cpu: bool = False,
    resume: bool = False,
) -> TrainResult:
    """Read the spec's CSV, fit, evaluate on validation and test, save the bundle.

    Training keeps a checkpoint beside ``out_dir`` after every epoch (see
    ``forecaster.model.checkpoint``); ``resume`` continues from it. Nothing is written to
    ``out_dir`` until the whole bundle is ready.
    """
    requested = Path(out_dir)
    # a cluster's chief writes the bundle; every other worker its own hidden copy, removed
    # at the end (with train.distribute: multi_worker every worker runs this same command)
    out_dir = worker_folder(requested)
    check_replaceable(out_dir, BUNDLE)  # before the training, not after it
    panel = load_data(spec)
    checkpoint = Checkpoint(out_dir, spec, file_sha256(spec.data.path))
    checkpoint.prepare(resume)
    fitted = fit(spec, panel, quiet=quiet, force_cpu=force_cpu, checkpoint=checkpoint)
    result = save_fitted(spec, fitted, out_dir)
    checkpoint.remove()
    remove_worker_folder(out_dir, requested)
    return result


def save_fitted(spec: Spec, fitted: FitResult, out_dir: Path) -> TrainResult:
    """Score a fitted model on validation and test beside the baselines and save it, with
    its report (and for many series ``per_series.csv``), as a bundle."""
    manifest = bundle_manifest(spec, fitted)
    evaluation = evaluate_fitted(spec, fitted, manifest)

    def add_report(folder: Path) -> None:
        write_model_report(folder, evaluation, f"{spec.name}: training report")
        write_per_series(folder, evaluation)

    bundle = save_bundle(
        out_dir,
        fitted.model,
        spec,
        evaluation.preprocessing,  # with the intervals' calibration
        manifest,
        fitted.history,
        evaluation.metrics,
        extras=add_report,
    )
    return TrainResult(bundle, fitted, evaluation.metrics)


def evaluate_fitted(spec: Spec, fitted: FitResult, manifest: dict[str, Any]) -> ModelEvaluation:
    """The fitted model and the spec's baselines on every validation and test window."""
    source = str(spec.data.path)
    statistical = spec.evaluation.statistical
    panel, series_periods = fitted.panel, fitted.series_periods

    def score(prep: Preprocessing) -> dict[str, PeriodForecasts]:
        return score_periods(fitted.model, prep, panel, series_periods, statistical=statistical)

    # the validation gate, and the baselines' steps when evaluation.fallback asks for them
    preprocessing, scored = gated_scores(spec, fitted.preprocessing, score)
    if spec.evaluation.combine:  # weights fit on validation; the combination is the model
        preprocessing, scored = combined_scores(
            preprocessing, scored, panel, spec.evaluation.combine
        )
    if spec.intervals is not None:
        widths, scored = spec_intervals(spec, scored)
        preprocessing = replace(preprocessing, calibration=widths or {})
    return ModelEvaluation(
        spec=spec,
        preprocessing=preprocessing,
        periods=fitted.periods,
        scored=scored,
        history=fitted.history,
        manifest=manifest,
        data_source=source,
        panel=panel,
        left_out=fitted.left_out,
    )
