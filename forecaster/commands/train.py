"""``forecast train``: read the spec's CSV, fit, score beside the baselines, save the bundle."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecaster.bundle.layout import save_bundle
from forecaster.bundle.manifest import bundle_manifest
from forecaster.evaluation.calibration import spec_intervals
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts, score_periods
from forecaster.model.checkpoint import Checkpoint
from forecaster.model.distribution import remove_worker_folder, worker_folder
from forecaster.model.preparation import load_data
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.refit import Refit, refit
from forecaster.model.training import FitResult, fit
from forecaster.reports.model import write_model_report
from forecaster.reports.series import write_per_series
from forecaster.spec import Spec
from forecaster.storage.files import file_sha256
from forecaster.storage.folders import BUNDLE, check_replaceable


@dataclass(frozen=True)
class TrainResult:
    bundle: Path
    fitted: FitResult  # the validated model (the one scored)
    metrics: dict[str, Any]  # what metrics.json holds: "val" and "test" (and "refit")
    refit: Refit | None = None  # train.refit: the model the bundle forecasts with


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
    result = save_fitted(spec, fitted, out_dir, refit_rows=spec.train.refit, quiet=quiet)
    checkpoint.remove()
    remove_worker_folder(out_dir, requested)
    return result


def save_fitted(
    spec: Spec,
    fitted: FitResult,
    out_dir: Path,
    *,
    refit_rows: bool = False,
    quiet: bool = True,
) -> TrainResult:
    """Score a fitted model on validation and test beside the baselines and save it, with
    its report (and for many series ``per_series.csv``), as a bundle.

    ``refit_rows`` (``train.refit``) saves in its place the network trained again on every
    row (``model.refit``), with its scalers; the scores, interval widths and gate choices
    stay the validated model's, and metrics.json's ``"refit"`` says so."""
    manifest = bundle_manifest(spec, fitted)
    evaluation = evaluate_fitted(spec, fitted, manifest)
    model, preprocessing, metrics = fitted.model, evaluation.preprocessing, evaluation.metrics
    refitted = None
    if refit_rows:
        refitted = refit(spec, fitted, quiet=quiet)
        model, preprocessing = refitted.model, refitted.bundle_preprocessing(preprocessing)
        metrics = {**metrics, "refit": refitted.record()}
        manifest["training"]["refit"] = refitted.record()
        evaluation = replace(evaluation, notes=(refit_note(refitted),))

    def add_report(folder: Path) -> None:
        write_model_report(folder, evaluation, f"{spec.name}: training report")
        write_per_series(folder, evaluation)

    bundle = save_bundle(
        out_dir,
        model,
        spec,
        preprocessing,  # with the intervals' calibration
        manifest,
        fitted.history,
        metrics,
        extras=add_report,
    )
    return TrainResult(bundle, fitted, metrics, refitted)


def refit_note(refitted: Refit) -> str:
    """What a refit bundle's report says above its scores."""
    return (
        f"train.refit: the scores on this page are the validated model's (trained on "
        f"{refitted.validated_rows:,} rows, early stopped on validation). The bundle "
        f"forecasts with the same network trained again from scratch on all "
        f"{refitted.rows:,} rows, through {refitted.through}, for {refitted.epochs} epochs "
        "(the best validated epoch), with scalers fit on every row; it keeps the validated "
        "interval widths and gate choices. Its own accuracy cannot be measured on these "
        "periods, which it trained on."
    )


def evaluate_fitted(spec: Spec, fitted: FitResult, manifest: dict[str, Any]) -> ModelEvaluation:
    """The fitted model and the spec's baselines on every validation and test window."""
    source = str(spec.data.path)
    statistical = spec.evaluation.baselines
    panel, series_periods = fitted.panel, fitted.series_periods

    def score(prep: Preprocessing) -> dict[str, PeriodForecasts]:
        return score_periods(fitted.model, prep, panel, series_periods, statistical=statistical)

    # the validation gate, and the baselines' steps when evaluation.fallback asks for them
    preprocessing, scored = gated_scores(spec, fitted.preprocessing, score)
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
