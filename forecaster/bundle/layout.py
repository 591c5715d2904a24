"""The bundle's layout: what ``forecast train`` leaves in a folder, and reading it back.

A bundle is a sealed folder (``storage``): written whole or not at all, with a manifest
of checksums that ``load_bundle`` verifies before it trusts any file. Loading reads each
file once and builds the ``Forecaster`` from the bytes it verified, so a bundle replaced
meanwhile can never lend one file to another's model.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from forecaster.bundle.forecasting import Forecaster
from forecaster.errors import BundleError, InputError
from forecaster.model.preprocessing import Preprocessing
from forecaster.spec import SCALE_FREE_LOSSES, Spec, parse_spec
from forecaster.storage.files import file_sha256, write_json
from forecaster.storage.folders import BUNDLE, MANIFEST_FILE
from forecaster.storage.staging import write_sealed_folder

if TYPE_CHECKING:
    import keras

MODEL_FILE = "model.keras"
SPEC_FILE = "spec.yaml"
PREPROCESSING_FILE = "preprocessing.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
MEMBERS_FOLDER = "members"  # an ensemble's members: members/00/model.keras, ...
REQUIRED_FILES = (MODEL_FILE, SPEC_FILE, PREPROCESSING_FILE, MANIFEST_FILE)
_PARTS = (MODEL_FILE, SPEC_FILE, PREPROCESSING_FILE)  # what a loaded bundle is built from


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
        _loadable_with_plain_keras(model, spec, preprocessing).save(folder / MODEL_FILE)
        (folder / SPEC_FILE).write_text(spec.to_yaml(), encoding="utf-8")
        write_json(folder / PREPROCESSING_FILE, preprocessing.to_dict())
        history.to_csv(folder / HISTORY_FILE, index=False)
        write_json(folder / METRICS_FILE, metrics)
        if extras is not None:
            extras(folder)

    return write_sealed_folder(out_dir, write, manifest, BUNDLE)


def load_bundle(path: str | os.PathLike[str], verify: bool = True) -> Forecaster:
    """Load a bundle; with ``verify`` (the default) refuse one whose files were altered.

    The bundle is read as one snapshot: every file's bytes once, checked against the
    manifest read first, and the model, spec and preprocessing are built from those
    bytes, never reopened by path. A bundle replaced while it is read (``forecast train
    --out`` the same folder) is read again once; replaced again, the load is refused.
    """
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
    snapshot = _read_snapshot(folder, verify)
    parts = snapshot.parts
    model = _read_part(folder / MODEL_FILE, "a Keras model", _load_model, parts[MODEL_FILE])
    spec = _read_part(folder / SPEC_FILE, "a spec", _load_bundled_spec, parts[SPEC_FILE])
    preprocessing = _read_part(
        folder / PREPROCESSING_FILE,
        "preprocessing settings",
        lambda path, data: Preprocessing.from_dict(_json_object(path, data)),
        parts[PREPROCESSING_FILE],
    )
    _check_model_fits(folder, model, preprocessing)
    return Forecaster(model, spec, preprocessing, snapshot.manifest, folder)


@dataclass(frozen=True)
class _Snapshot:
    """A bundle as read once: its manifest and the bytes of the files it is built from."""

    manifest: dict[str, Any]
    parts: dict[str, bytes]  # model, spec and preprocessing, by file name


class _Changed(Exception):
    """The folder no longer holds the bundle whose manifest was read first."""


def _read_snapshot(folder: Path, verify: bool) -> _Snapshot:
    """The bundle's files, read once each and (with ``verify``) matched to the manifest
    read before them. When they disagree because the folder was replaced meanwhile, the
    bundle is read once more; replaced again, the load is refused."""
    for _attempt in range(2):
        manifest_bytes = _read_manifest(folder)
        try:
            return _read_files(folder, manifest_bytes, verify)
        except _Changed:
            continue
    raise BundleError(
        f"{folder}: bundle changed while loading (replaced by another bundle while it was "
        "read, twice in a row, as `forecast train --out` does when it finishes); "
        "fix: retry once the run writing the bundle has finished"
    )


def _read_manifest(folder: Path) -> bytes:
    path = folder / MANIFEST_FILE
    try:
        return path.read_bytes()
    except OSError as error:
        raise BundleError(f"{path}: cannot be read as JSON ({error}); fix: train again") from None


def _read_files(folder: Path, manifest_bytes: bytes, verify: bool) -> _Snapshot:
    manifest = _json_object(folder / MANIFEST_FILE, manifest_bytes)
    checksums = manifest.get("files") if verify else dict.fromkeys(_PARTS)
    if not isinstance(checksums, dict) or not checksums:
        raise BundleError(f"{folder}/{MANIFEST_FILE}: has no file checksums; fix: train again")
    unlisted = [name for name in _PARTS if name not in checksums]
    if unlisted:
        raise BundleError(
            f"{folder}/{MANIFEST_FILE}: has no checksum for {', '.join(unlisted)}; "
            "fix: train the bundle again"
        )
    parts = {}
    for name, expected in checksums.items():
        file = folder / name
        try:
            if name in _PARTS:  # kept: the bundle is built from these bytes
                parts[name] = file.read_bytes()
                digest = hashlib.sha256(parts[name]).hexdigest()
            else:  # only checked
                digest = file_sha256(file)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            _unless_replaced(folder, manifest_bytes)
            raise BundleError(f"{folder}: {name} is missing; fix: train the bundle again") from None
        if verify and digest != expected:
            _unless_replaced(folder, manifest_bytes)
            raise BundleError(
                f"{folder}: {name} does not match its checksum in {MANIFEST_FILE} (changed "
                "or truncated after training); fix: train the bundle again"
            )
    if not verify:  # no checksums to tie the files to the manifest: it must not have moved
        _unless_replaced(folder, manifest_bytes)
    return _Snapshot(manifest, parts)


def _unless_replaced(folder: Path, manifest_bytes: bytes) -> None:
    """Raise ``_Changed`` when the folder's manifest is no longer the one read first: a
    file that disagrees with it then belongs to the bundle that replaced it."""
    try:
        now = (folder / MANIFEST_FILE).read_bytes()
    except OSError:
        raise _Changed from None
    if now != manifest_bytes:
        raise _Changed


def _json_object(path: Path, data: bytes) -> dict[str, Any]:
    """``data``, the bytes of the JSON file ``path``, as a JSON object."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path}: cannot be read as JSON ({error}); fix: train again") from None
    if not isinstance(value, dict):
        raise BundleError(f"{path}: expected a JSON object; fix: train again")
    return value


def _read_part(path: Path, what: str, read: Callable[[Path, bytes], Any], data: bytes) -> Any:
    """Build one bundle part from its file's bytes; whatever goes wrong becomes one line
    naming the file."""
    try:
        return read(path, data)
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


def _load_model(path: Path, data: bytes) -> keras.Model:
    """The model in ``data``, the verified bytes of ``path``. Keras loads a ``.keras``
    file by path only, so the bytes go to a private temporary copy: the bundle's own file
    is not opened again, and cannot have changed since it was checked."""
    import io
    import tempfile
    import zipfile

    import keras

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise BundleError(
            f"{path}: is not a Keras model file (a .keras file is a zip archive); "
            "fix: train the bundle again"
        )
    with tempfile.TemporaryDirectory(prefix="forecaster-model-") as private:
        copy = Path(private) / MODEL_FILE
        copy.write_bytes(data)
        return keras.models.load_model(copy, safe_mode=True, compile=False)


def _check_model_fits(folder: Path, model: keras.Model, preprocessing: Preprocessing) -> None:
    """Refuse a model whose inputs or output differ from what ``preprocessing.json``
    feeds it and reads back: another bundle's model.keras, with its checksum rewritten."""
    prep = preprocessing
    known = len(prep.known_columns)
    observed = ["observed row (window.pad)"] if prep.pad else []
    lagged = [f"{target} lag {lag}" for lag in prep.lags for target in prep.targets]
    columns = [
        *prep.targets,
        *prep.covariates,
        *prep.known_columns,
        *lagged,
        *observed,
        *prep.statics.names,
    ]
    expected_inputs = [(prep.lookback, len(columns))]
    if known:
        expected_inputs.append((prep.horizon, known))
    output: tuple[int, ...] = (prep.horizon, len(prep.targets))
    if prep.quantiles:
        output = (*output, len(prep.quantiles))
    found_inputs = [_dimensions(tensor) for tensor in model.inputs]
    found_outputs = [_dimensions(tensor) for tensor in model.outputs]
    if _fits(found_inputs, expected_inputs) and _fits(found_outputs, [output]):
        return
    raise BundleError(
        f"{folder / MODEL_FILE}: does not fit the bundle's {PREPROCESSING_FILE} (another "
        f"bundle's model?): the model has {_signature(found_inputs, found_outputs)}; "
        f"{PREPROCESSING_FILE} expects {_signature(expected_inputs, [output])} (lookback "
        f"{prep.lookback}, horizon {prep.horizon}; targets {_names(prep.targets)}; input "
        f"columns {_names(columns)}; known inputs {_names(prep.known_columns)}); fix: train "
        f"the bundle again with `forecast train`, or restore the bundle's own {MODEL_FILE}"
    )


def _names(names: Sequence[str], most: int = 8) -> str:
    if not names:
        return "none"
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _dimensions(tensor: Any) -> tuple[int | None, ...]:
    """A model input's or output's shape without the batch dimension."""
    return tuple(tensor.shape[1:])


def _fits(found: Sequence[tuple[int | None, ...]], expected: Sequence[tuple[int, ...]]) -> bool:
    """Same count and shapes; a dimension the model leaves open (None) fits any size."""
    return len(found) == len(expected) and all(
        len(shape) == len(want)
        and all(d is None or d == w for d, w in zip(shape, want, strict=True))
        for shape, want in zip(found, expected, strict=True)
    )


def _signature(inputs: list[Any], outputs: list[Any]) -> str:
    """``history [12 steps x 4 columns] and future [4 steps x 2 columns], output
    [4 steps x 1 target]``."""
    names = ["history", "future"] + [f"input {k + 1}" for k in range(2, len(inputs))]
    described = " and ".join(
        f"{name} {_shape(shape, ('steps', 'columns'))}"
        for name, shape in zip(names, inputs, strict=False)
    )
    units = ("steps", "targets", "quantiles")
    returned = " and ".join(_shape(shape, units) for shape in outputs)
    return f"{described or 'no inputs'}, output {returned or 'none'}"


def _shape(shape: tuple[int | None, ...], units: tuple[str, ...]) -> str:
    if len(shape) > len(units):
        return "[" + " x ".join(str(size) for size in shape) + "]"
    words = [
        f"{'any' if size is None else size} {unit.removesuffix('s') if size == 1 else unit}"
        for size, unit in zip(shape, units, strict=False)
    ]
    return "[" + " x ".join(words) + "]"


def _load_bundled_spec(path: Path, data: bytes) -> Spec:
    try:
        return parse_spec(yaml.safe_load(data.decode("utf-8")), source=str(path))
    except InputError as error:
        # e.g. a bundle written by a version of forecaster with other spec options
        problem = str(error).removeprefix(f"{path}: ").split("; fix:")[0]
        raise BundleError(
            f"{path}: the bundle's spec is not valid for this forecaster version ({problem}); "
            "fix: train the bundle again"
        ) from None


def _loadable_with_plain_keras(
    model: keras.Model, spec: Spec, preprocessing: Preprocessing
) -> keras.Model:
    """A quantile head, and ``train.loss: mase`` or ``smape``, train on a loss Keras does
    not ship; ``keras.models.load_model`` would fail to rebuild it. The bundle keeps an
    uncompiled copy with the same weights: forecasting needs no loss."""
    if not preprocessing.quantiles and spec.train.loss not in SCALE_FREE_LOSSES:
        return model
    import keras

    copy = keras.Model.from_config(model.get_config())  # not compiled, unlike clone_model
    copy.set_weights(model.get_weights())
    return copy
