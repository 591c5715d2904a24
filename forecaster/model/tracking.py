"""Runs seen side by side in the trackers teams already run: TensorBoard and MLflow.

TensorBoard gets a Keras callback (per-epoch scalars and the graph) in a folder of its own
per run, so ``tensorboard --logdir DIR`` lists every run. MLflow is an optional extra:
``log_run`` records what a trained bundle holds (the spec as parameters, the validation
and test scores of the model and the baselines as metrics, the bundle and its report as
artifacts). Both are imported inside the functions that use them, so the command line's
help and spec checks never load them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecaster.errors import InputError

if TYPE_CHECKING:
    import keras
    import pandas as pd

MLFLOW_INSTALL = "pip install 'forecaster[mlflow]'"
DEFAULT_MLFLOW_STORE = "mlruns"  # beside where forecast runs, as MLflow itself defaults
# MLflow's longest parameter value; a longer one (a long covariate list) is cut
MLFLOW_PARAM_CHARS = 6000


def tensorboard_run_dir(root: Path, name: str) -> Path:
    """A new folder under ``root`` for one run: ``<name>-<UTC time>``, numbered when two
    runs start in the same second."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder, number = root / f"{name}-{stamp}", 1
    while folder.exists():
        number += 1
        folder = root / f"{name}-{stamp}-{number}"
    return folder


def tensorboard_callback(root: Path, name: str) -> keras.callbacks.Callback:
    """Keras' TensorBoard callback: loss, validation loss and learning rate per epoch,
    and the model's graph, in a new run folder under ``root``."""
    import keras

    return keras.callbacks.TensorBoard(
        log_dir=str(tensorboard_run_dir(root, name)), write_graph=True, update_freq="epoch"
    )


def require_mlflow() -> None:
    """Fail in one line, before any training, when the MLflow extra is not installed."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise InputError(
            f"--mlflow: MLflow is not installed; fix: {MLFLOW_INSTALL}, or leave out --mlflow"
        ) from None


def flat_params(raw: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """A nested spec as dotted keys and text values: {"model": {"units": [64]}} ->
    {"model.units": "[64]"}. Values are cut to MLflow's longest parameter."""
    params: dict[str, str] = {}
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            params |= flat_params(value, f"{path}.")
        else:
            text = "null" if value is None else str(value)
            params[path] = text[:MLFLOW_PARAM_CHARS]
    return params


def flat_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The headline scores of ``metrics.json`` as MLflow metrics: ``<period>.<forecast>.
    <metric>`` for the model and every baseline (``test.naive.mae``), and the skill
    (``test.skill.naive.mae``). Per-step and per-target breakdowns stay in the artifact."""
    flat: dict[str, float] = {}
    for period in ("val", "test"):
        scores = metrics.get(period)
        if not scores:
            continue
        for forecast, values in scores.items():
            if not isinstance(values, Mapping):
                continue
            for name, value in _numbers(values):
                flat[f"{period}.{forecast}.{name}"] = value
    return flat


def _numbers(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """Finite top-level numbers of a score block, one level of nesting (skill per
    baseline) included."""
    for name, value in values.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
            yield f"{prefix}{name}", float(value)
        elif isinstance(value, Mapping) and not prefix and name not in ("per_step", "per_target"):
            yield from _numbers(value, f"{name}.")


def mlflow_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else ``./mlruns`` as a local file store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or Path(DEFAULT_MLFLOW_STORE).resolve().as_uri()


def log_run(
    *,
    spec_raw: Mapping[str, Any],
    metrics: Mapping[str, Any],
    history: pd.DataFrame,
    bundle: Path,
    experiment: str,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Log one trained bundle as an MLflow run; return the run's id.

    Experiment: ``MLFLOW_EXPERIMENT_NAME`` or ``experiment`` (the spec's name), so the runs
    of one spec sit side by side. Per-epoch losses are logged as metric curves too.
    """
    import mlflow

    uri = mlflow_tracking_uri()
    if uri.startswith("file:") or "://" not in uri:
        # MLflow 3 keeps the file store only behind this switch; it is the default that
        # needs no server, and what `mlflow ui --backend-store-uri ./mlruns` reads
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or experiment)
    with mlflow.start_run(run_name=bundle.name) as run:
        mlflow.set_tags(dict(tags or {}))
        mlflow.log_params(flat_params(spec_raw))
        mlflow.log_metrics(flat_metrics(metrics))
        for row in history.itertuples(index=False):
            step = int(row.epoch)
            mlflow.log_metrics(
                {"epoch.loss": float(row.loss), "epoch.val_loss": float(row.val_loss)},
                step=step,
            )
        mlflow.log_artifacts(str(bundle), artifact_path="bundle")
        report = bundle / "report.html"
        if report.is_file():
            mlflow.log_artifact(str(report))
    return run.info.run_id
