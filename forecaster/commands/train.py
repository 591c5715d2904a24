"""``forecast train``: read the spec's CSV, fit, score beside the baselines, save the bundle."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from forecaster.bundle.layout import HISTORY_FILE, MEMBERS_FOLDER, MODEL_FILE, save_bundle
from forecaster.bundle.manifest import bundle_manifest
from forecaster.errors import InputError
from forecaster.evaluation.calibration import spec_intervals
from forecaster.evaluation.combination import combined_scores
from forecaster.evaluation.gate import gated_scores
from forecaster.evaluation.scoring import ModelEvaluation, PeriodForecasts, score_periods
from forecaster.model.checkpoint import Checkpoint, checkpoint_folder
from forecaster.model.distribution import remove_worker_folder, worker_folder
from forecaster.model.ensemble import (
    Member,
    ensemble_model,
    fit_ensemble,
    member_model,
    members_of,
)
from forecaster.model.preparation import load_data
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.refit import Refit, refit
from forecaster.model.training import FitResult, fit, retracing_muted
from forecaster.reports.model import write_model_report
from forecaster.reports.series import write_per_series
from forecaster.spec import Spec
from forecaster.storage.files import file_sha256, write_csv
from forecaster.storage.folders import BUNDLE, check_replaceable
from forecaster.storage.staging import is_sealed


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
    if spec.train.ensemble is not None:
        checkpoint_of = member_checkpoints(out_dir, spec, resume)
        fitted = fit_ensemble(
            spec, panel, quiet=quiet, force_cpu=force_cpu, checkpoint_of=checkpoint_of
        )
    else:
        checkpoint = Checkpoint(out_dir, spec, file_sha256(spec.data.path))
        checkpoint.prepare(resume)
        fitted = fit(spec, panel, quiet=quiet, force_cpu=force_cpu, checkpoint=checkpoint)
    result = save_fitted(spec, fitted, out_dir, refit_rows=spec.train.refit, quiet=quiet)
    # the run's checkpoint (an ensemble's: every member's) goes once the bundle is saved
    shutil.rmtree(checkpoint_folder(out_dir), ignore_errors=True)
    remove_worker_folder(out_dir, requested)
    return result


def member_checkpoints(
    out_dir: Path, spec: Spec, resume: bool
) -> Callable[[Member, Spec], Checkpoint]:
    """Each ensemble member's checkpoint, in a folder of its own inside the run's
    checkpoint folder. A finished member's checkpoint stays until the bundle is saved, so
    ``--resume`` loads it instead of training it again."""
    root = checkpoint_folder(out_dir)
    if is_sealed(root):  # a single model's interrupted run, not an ensemble's
        if resume:
            raise InputError(
                f"{root}: holds the checkpoint of a single model, and the spec now sets "
                "train.ensemble; fix: run without --resume to start over, or resume "
                "without train.ensemble"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    data_sha256 = file_sha256(spec.data.path)

    def checkpoint_of(member: Member, own: Spec) -> Checkpoint:
        checkpoint = Checkpoint(out_dir, own, data_sha256, member=member.index)
        checkpoint.prepare(resume)
        return checkpoint

    return checkpoint_of


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
    stay the validated model's, and metrics.json's ``"refit"`` says so. An ensemble's
    members go to ``members/00/model.keras``, ... beside the combined ``model.keras``."""
    manifest = bundle_manifest(spec, fitted)
    if fitted.members:
        manifest["ensemble"] = ensemble_record(spec, fitted)
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
        if fitted.members:
            save_members(folder, spec, fitted)
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


def ensemble_record(spec: Spec, fitted: FitResult) -> dict[str, Any]:
    """What ``manifest.json`` says of an ensemble: how it combines, and each member's
    seed, lookback, loss, file, training and its own validation and test scores (on the
    ensemble's windows, without the validation gate's fallback)."""
    members = []
    for member, member_fit in zip(members_of(spec), fitted.members, strict=True):
        model = member_model(fitted.model, member.index)
        alone = ensemble_model([model], [member.lookback], spec.window.lookback, "mean")
        with retracing_muted():  # one new model per member: retracing is expected
            scored = score_periods(alone, fitted.preprocessing, fitted.panel, fitted.series_periods)
        members.append(
            {
                "member": member.index,
                **member.to_dict(),
                "file": member_file(member.index),
                "best_epoch": member_fit.best_epoch,
                "epochs_run": len(member_fit.history),
                "train_seconds": round(member_fit.train_seconds, 3),
                "resumed_at_epoch": member_fit.resumed_at_epoch,
                **{
                    period: {
                        name: forecasts.metrics["model"][name] for name in ("mase", "smape", "mae")
                    }
                    for period, forecasts in scored.items()
                },
            }
        )
    combine = spec.train.ensemble.combine if spec.train.ensemble else "median"
    return {"combine": combine, "size": len(members), "members": members}


def member_file(index: int) -> str:
    return f"{MEMBERS_FOLDER}/{index:02d}/{MODEL_FILE}"


def save_members(folder: Path, spec: Spec, fitted: FitResult) -> None:
    """Each member as a plain Keras model, with its own per-epoch history."""
    for member, member_fit in zip(members_of(spec), fitted.members, strict=True):
        path = folder / member_file(member.index)
        path.parent.mkdir(parents=True)
        member_model(fitted.model, member.index).save(path)
        write_csv(member_fit.history, path.parent / HISTORY_FILE)


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
