"""The one record of where and how a run happened: versions, device, threads, determinism,
seed, the data's checksum, the model's size and the training's timings.

A bundle's ``manifest.json``, a backtest's ``environment`` and a comparison's
``environment`` are all built here, so they say the same things the same way.
"""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from forecaster.model.network import cudnn_eligible, recurrent_layers
from forecaster.storage.files import file_sha256
from forecaster.version import __version__

if TYPE_CHECKING:
    from forecaster.model.training import FitResult
    from forecaster.spec import Spec

_PACKAGES = ("tensorflow", "keras", "numpy", "pandas", "scikit-learn")
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def environment(device: str, determinism: dict[str, Any]) -> dict[str, Any]:
    """Versions, device and thread settings: timings and results mean little without them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "forecaster_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "cpu_cores": cores,
        "thread_variables": {
            name: os.environ[name] for name in _THREAD_VARIABLES if name in os.environ
        },
        "determinism": determinism,
    }


def run_record(spec: Spec, fitted: FitResult) -> dict[str, Any]:
    """The environment of one fit, with its seed, data file and model size."""
    return {
        **environment(fitted.device, fitted.determinism),
        "seed": spec.train.seed,
        "data": {"path": str(spec.data.path), "sha256": file_sha256(spec.data.path)},
        "parameters": int(fitted.model.count_params()),
        "cudnn_eligible": {
            layer.name: cudnn_eligible(layer) for layer in recurrent_layers(fitted.model)
        },
        "execution": fitted.execution,
    }


def bundle_manifest(spec: Spec, fitted: FitResult) -> dict[str, Any]:
    """What a bundle's ``manifest.json`` holds besides the file checksums."""
    record = run_record(spec, fitted)
    if fitted.panel.id_columns:
        record["data"]["series"] = fitted.panel.num_series
        record["data"]["left_out_series"] = fitted.left_out
    else:  # one series: its periods' rows
        record["data"]["periods"] = fitted.periods.to_dict()
    epoch_seconds = fitted.history["seconds"].to_numpy()
    # the first epoch also traces the graphs: it times TensorFlow, not the model
    steady = epoch_seconds[1:] if len(epoch_seconds) > 1 else epoch_seconds
    record["training"] = {
        "epochs_run": len(fitted.history),
        "best_epoch": fitted.best_epoch,
        "resumed_at_epoch": fitted.resumed_at_epoch,
        "train_seconds": round(fitted.train_seconds, 3),
        "seconds_per_epoch": round(float(np.median(steady)), 4),
    }
    return record


def package_versions() -> dict[str, str]:
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
