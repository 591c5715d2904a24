"""Result folders that are whole or absent: staging, one atomic swap, checksums, one guard.

Every folder forecaster writes (a bundle, a checkpoint, an evaluation, a backtest, a
comparison) is filled in a hidden sibling and swapped into place in one rename, so a
crash, a kill or a full disk leaves either the previous folder or the new one, never a
mix. A *sealed* folder also carries ``manifest.json`` with a SHA-256 of every other file,
and ``verify_sealed`` refuses one whose files do not match. ``check_replaceable`` is the
one guard on an output folder: only an empty folder or an earlier one of the same kind
is ever replaced.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forecaster.errors import BundleError, InputError

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class FolderKind:
    """A kind of result folder, recognised by the file every folder of the kind holds."""

    label: str  # what the guard says it is not: "not a forecaster bundle"
    found: str  # what the guard calls one found in the way: "is a bundle folder"
    marker: str
    unless: str | None = None  # a file the kind never holds (tells evaluations from bundles)

    def holds(self, folder: Path) -> bool:
        return (
            folder.is_dir()
            and (folder / self.marker).is_file()
            and not (self.unless and (folder / self.unless).exists())
        )


BUNDLE = FolderKind("a forecaster bundle", "a bundle folder", MANIFEST_FILE)
EVALUATION = FolderKind(
    "an evaluation folder", "an evaluation folder", "metrics.json", unless=MANIFEST_FILE
)
BACKTEST = FolderKind("a backtest folder", "a backtest folder", "backtest.json")
COMPARISON = FolderKind("a comparison folder", "a comparison folder", "results.json")
# written when a search starts, so an interrupted one is known and resumed
TUNING = FolderKind("a tuning folder", "a tuning folder", "tuner/search.json")
_KINDS = (BUNDLE, EVALUATION, BACKTEST, COMPARISON, TUNING)


def check_replaceable(out_dir: Path, kind: FolderKind) -> None:
    """Refuse, before any work, an ``out_dir`` that holds anything but an earlier folder of
    ``kind``: a user's folder or file is never replaced."""
    if not out_dir.exists() or _is_empty_folder(out_dir) or kind.holds(out_dir):
        return
    other = next((known for known in _KINDS if known.holds(out_dir)), None)
    what = other.found if other else ("a folder" if out_dir.is_dir() else "a file")
    raise InputError(
        f"{out_dir}: is {what}, not {kind.label}; refusing to replace it; "
        "fix: choose another --out folder"
    )


@contextmanager
def staged_folder(out_dir: Path, kind: FolderKind) -> Iterator[Path]:
    """A new hidden sibling of ``out_dir`` to fill. When the block ends normally it is
    swapped into place atomically; when it raises, it is removed and ``out_dir`` is left
    as it was."""
    check_replaceable(out_dir, kind)
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


def write_sealed_folder(
    out_dir: str | Path,
    write: Callable[[Path], None],
    manifest: dict[str, Any],
    kind: FolderKind = BUNDLE,
) -> Path:
    """Fill a staged ``out_dir`` with ``write``, seal it with a manifest of checksums,
    then swap it into place."""
    out_dir = Path(out_dir)
    with staged_folder(out_dir, kind) as staging:
        write(staging)
        # nested files too (the report's plots/), named by their path inside the folder
        checksums = {
            path.relative_to(staging).as_posix(): file_sha256(path)
            for path in sorted(staging.rglob("*"))
            if path.is_file() and path != staging / MANIFEST_FILE
        }
        write_json(staging / MANIFEST_FILE, {**manifest, "files": checksums})
    return out_dir


def is_sealed(folder: Path) -> bool:
    return folder.is_dir() and (folder / MANIFEST_FILE).is_file()


def verify_sealed(folder: Path, manifest: dict[str, Any]) -> None:
    """Refuse a sealed folder whose files are missing or differ from their checksums."""
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


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def to_json_ready(value: Any) -> Any:
    """NaN and infinity become ``null``: JSON has no spelling for them."""
    if isinstance(value, dict):
        return {key: to_json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


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
        # No atomic exchange here (not Linux): the old folder moves aside first, so the
        # worst case after a crash is the previous folder under a hidden name, never a mix.
        aside = out_dir.parent / f".{out_dir.name}.previous-{uuid.uuid4().hex[:8]}"
        os.rename(out_dir, aside)
        os.rename(staging, out_dir)
        shutil.rmtree(aside, ignore_errors=True)
        return
    # after the exchange, ``staging`` holds the previous folder
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
