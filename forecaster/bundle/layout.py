"""The bundle's layout: what ``forecast train`` leaves in a folder, and reading it back.

A bundle is a sealed folder (``storage``): written whole or not at all, with a manifest
of checksums that ``load_bundle`` verifies before it trusts any file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from forecaster.bundle.forecasting import Forecaster
from forecaster.errors import BundleError, InputError
from forecaster.model.preprocessing import Preprocessing
from forecaster.spec import Spec, parse_spec
from forecaster.storage import (
    BUNDLE,
    MANIFEST_FILE,
    read_json,
    verify_sealed,
    write_json,
    write_sealed_folder,
)

if TYPE_CHECKING:
    import keras

MODEL_FILE = "model.keras"
SPEC_FILE = "spec.yaml"
PREPROCESSING_FILE = "preprocessing.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
REQUIRED_FILES = (MODEL_FILE, SPEC_FILE, PREPROCESSING_FILE, MANIFEST_FILE)


def save_bundle(
    out_dir: str | Path,
    model: keras.Model,
    spec: Spec,
    preprocessing: Preprocessing,
    manifest: dict[str, Any],
    history: pd.DataFrame,
    metrics: dict[str, Any],
    extras: Callable[[Path], None] | None = None,
) -> Path:
    """Write a complete bundle to ``out_dir``, replacing an existing bundle there atomically.

    ``extras`` may add more files (reports, plots) to the folder before it is sealed.
    """

    def write(folder: Path) -> None:
        _loadable_with_plain_keras(model, preprocessing).save(folder / MODEL_FILE)
        (folder / SPEC_FILE).write_text(spec.to_yaml(), encoding="utf-8")
        write_json(folder / PREPROCESSING_FILE, preprocessing.to_dict())
        history.to_csv(folder / HISTORY_FILE, index=False)
        write_json(folder / METRICS_FILE, metrics)
        if extras is not None:
            extras(folder)

    return write_sealed_folder(out_dir, write, manifest, BUNDLE)


def load_bundle(path: str | os.PathLike[str], verify: bool = True) -> Forecaster:
    """Load a bundle; with ``verify`` (the default) refuse one whose files were altered."""
    folder = Path(path)
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise BundleError(
            f"{folder}: bundle folder {what}; expected the folder `forecast train` wrote "
            "(e.g. models/etth1-gru)"
        )
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise BundleError(
            f"{folder}: not a complete bundle, missing {', '.join(missing)}; "
            "fix: train it again with `forecast train`"
        )
    manifest = read_json(folder / MANIFEST_FILE)
    if verify:
        verify_sealed(folder, manifest)
    model = _read_part(folder / MODEL_FILE, "a Keras model", _load_model)
    spec = _read_part(folder / SPEC_FILE, "a spec", _load_bundled_spec)
    preprocessing = _read_part(
        folder / PREPROCESSING_FILE,
        "preprocessing settings",
        lambda path: Preprocessing.from_dict(read_json(path)),
    )
    return Forecaster(model, spec, preprocessing, manifest, folder)


def _read_part(path: Path, what: str, read: Callable[[Path], Any]) -> Any:
    """Read one bundle file; whatever goes wrong becomes one line naming the file."""
    try:
        return read(path)
    except BundleError:
        raise
    except Exception as error:  # a damaged file can fail in any of the readers' ways
        detail = " ".join(str(error).split())
        if len(detail) > 160:
            detail = detail[:157] + "..."
        raise BundleError(
            f"{path}: cannot be read as {what} ({type(error).__name__}: {detail}); "
            "fix: train the bundle again"
        ) from None


def _load_model(path: Path) -> keras.Model:
    import zipfile

    import keras

    if not zipfile.is_zipfile(path):
        raise BundleError(
            f"{path}: is not a Keras model file (a .keras file is a zip archive); "
            "fix: train the bundle again"
        )
    return keras.models.load_model(path, safe_mode=True, compile=False)


def _load_bundled_spec(path: Path) -> Spec:
    try:
        return parse_spec(yaml.safe_load(path.read_text(encoding="utf-8")), source=str(path))
    except InputError as error:
        # e.g. a bundle written by a version of forecaster with other spec options
        problem = str(error).removeprefix(f"{path}: ").split("; fix:")[0]
        raise BundleError(
            f"{path}: the bundle's spec is not valid for this forecaster version ({problem}); "
            "fix: train the bundle again"
        ) from None


def _loadable_with_plain_keras(model: keras.Model, preprocessing: Preprocessing) -> keras.Model:
    """A quantile head trains on a loss Keras does not ship; ``keras.models.load_model``
    would fail to rebuild it. The bundle keeps an uncompiled copy with the same weights:
    forecasting needs no loss."""
    if not preprocessing.quantiles:
        return model
    import keras

    copy = keras.Model.from_config(model.get_config())  # not compiled, unlike clone_model
    copy.set_weights(model.get_weights())
    return copy
