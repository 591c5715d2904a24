"""The bundle folder: save it atomically, load it only when it is whole and untouched.

A bundle is written into a hidden sibling folder and swapped into place in one rename,
so a crash, a kill or a full disk leaves either the previous bundle or the new one at
``out_dir``, never a mix. The manifest records a SHA-256 of every other file, and
``load_bundle`` refuses a folder whose files do not match.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from forecaster.data import file_sha256
from forecaster.errors import BundleError, InputError
from forecaster.evaluate import to_json_ready
from forecaster.predict import Forecaster, Preprocessing
from forecaster.spec import Spec, parse_spec

if TYPE_CHECKING:
    import keras

MODEL_FILE = "model.keras"
SPEC_FILE = "spec.yaml"
PREPROCESSING_FILE = "preprocessing.json"
MANIFEST_FILE = "manifest.json"
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
        model.save(folder / MODEL_FILE)
        (folder / SPEC_FILE).write_text(spec.to_yaml(), encoding="utf-8")
        write_json(folder / PREPROCESSING_FILE, preprocessing.to_dict())
        history.to_csv(folder / HISTORY_FILE, index=False)
        write_json(folder / METRICS_FILE, metrics)
        if extras is not None:
            extras(folder)

    return write_folder_atomically(out_dir, write, manifest)


def write_folder_atomically(
    out_dir: str | Path, write: Callable[[Path], None], manifest: dict[str, Any]
) -> Path:
    """Fill a temporary sibling of ``out_dir`` with ``write``, seal it with a manifest of
    checksums, then swap it into place."""
    out_dir = Path(out_dir)
    check_replaceable(out_dir)
    with staged_folder(out_dir) as staging:
        write(staging)
        # nested files too (the report's plots/), named by their path inside the folder
        checksums = {
            path.relative_to(staging).as_posix(): file_sha256(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file() and path != staging / MANIFEST_FILE
        }
        write_json(staging / MANIFEST_FILE, {**manifest, "files": checksums})
    return out_dir


@contextmanager
def staged_folder(out_dir: Path) -> Iterator[Path]:
    """A new hidden sibling of ``out_dir`` to fill. When the block ends normally it is
    swapped into place atomically; when it raises, it is removed and ``out_dir`` is left
    as it was."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = out_dir.parent / f"{_staging_prefix(out_dir)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
        _sync_folder(staging)
        _swap_into_place(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def check_replaceable(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that holds something other than a bundle, before any work."""
    if out_dir.exists() and not (is_bundle(out_dir) or _is_empty_folder(out_dir)):
        what = "a folder" if out_dir.is_dir() else "a file"
        raise InputError(
            f"{out_dir}: is {what}, not a forecaster bundle; refusing to replace it; "
            "fix: choose another --out folder"
        )


def remove_stale_staging(out_dir: Path) -> None:
    """Delete staging folders that a killed run left beside ``out_dir``.

    A staging folder's name carries the id of the process writing it; one whose process
    is gone can never be finished. Folders of live processes (a parallel run) stay.
    """
    prefix = _staging_prefix(out_dir)
    if not out_dir.parent.is_dir():
        return
    for folder in out_dir.parent.iterdir():
        if not (folder.name.startswith(prefix) and folder.is_dir()):
            continue
        writer = folder.name.removeprefix(prefix).split("-")[0]
        if not (writer.isdigit() and _process_alive(int(writer))):
            shutil.rmtree(folder, ignore_errors=True)


def _staging_prefix(out_dir: Path) -> str:
    return f".{out_dir.name}.partial-"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return False
    return True


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
    elif not _exchange(staging, out_dir):
        # No atomic exchange here (not Linux): the old bundle moves aside first, so the
        # worst case after a crash is the previous bundle under a hidden name, never a mix.
        aside = out_dir.parent / f".{out_dir.name}.previous-{uuid.uuid4().hex[:8]}"
        os.rename(out_dir, aside)
        os.rename(staging, out_dir)
        shutil.rmtree(aside, ignore_errors=True)
        return
    # after the exchange, ``staging`` holds the previous bundle
    shutil.rmtree(staging, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


def _sync_folder(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _is_empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not any(folder.iterdir())


def is_bundle(folder: Path) -> bool:
    return folder.is_dir() and (folder / MANIFEST_FILE).is_file()


def load_bundle(path: str | Path, verify: bool = True) -> Forecaster:
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
        verify_bundle(folder, manifest)
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


def verify_bundle(folder: Path, manifest: dict[str, Any]) -> None:
    checksums = manifest.get("files")
    if not isinstance(checksums, dict) or not checksums:
        raise BundleError(f"{folder}/{MANIFEST_FILE}: has no file checksums; fix: train again")
    for name, expected in checksums.items():
        file = folder / name
        if not file.is_file():
            raise BundleError(f"{folder}: {name} is missing; fix: train the bundle again")
        if file_sha256(file) != expected:
            raise BundleError(
                f"{folder}: {name} does not match its checksum in {MANIFEST_FILE} (changed "
                "or truncated after training); fix: train the bundle again"
            )


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path}: cannot be read as JSON ({error}); fix: train again") from None
    if not isinstance(data, dict):
        raise BundleError(f"{path}: expected a JSON object; fix: train again")
    return data


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(to_json_ready(data), indent=2) + "\n", encoding="utf-8")
