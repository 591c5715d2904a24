"""Result folders that are whole or absent: every folder forecaster writes (a bundle, a
checkpoint, an evaluation, a backtest, a comparison) is filled in a hidden sibling and
swapped into place in one rename, so a crash, a kill or a full disk leaves either the
previous folder or the new one, never a mix. A *sealed* folder also carries
``manifest.json`` with a SHA-256 of every other file, and ``verify_sealed`` refuses one
whose files do not match; every other result folder carries ``.forecaster.json``, its kind
and the list of the files written into it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from forecaster.errors import BundleError
from forecaster.storage.files import file_sha256, write_json
from forecaster.storage.folders import (
    BUNDLE,
    MANIFEST_FILE,
    FolderKind,
    check_replaceable,
    unwritable,
    write_marker,
)


@contextmanager
def staged_folder(out_dir: Path, kind: FolderKind) -> Iterator[Path]:
    """A new hidden sibling of ``out_dir`` to fill. When the block ends normally it gets
    its marker (unless sealed: its manifest lists its files) and is swapped into place
    atomically; when it raises, it is removed and ``out_dir`` is left as it was. A place
    the system refuses to write is one ``InputError`` line."""
    check_replaceable(out_dir, kind)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(out_dir)
        staging = out_dir.parent / f"{_staging_prefix(out_dir)}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
    except OSError as error:
        raise unwritable(out_dir, error) from None
    try:
        try:
            yield staging
            if not kind.sealed:
                write_marker(staging, kind)
            _sync_folder(staging)
        except OSError as error:
            if not _inside(error.filename, staging):
                raise
            raise unwritable(out_dir, error) from None
        try:
            _swap_into_place(staging, out_dir)
        except OSError as error:
            raise unwritable(out_dir, error) from None
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


def _inside(filename: Any, folder: Path) -> bool:
    if filename is None:
        return False
    path = os.path.abspath(os.fsdecode(filename))
    return os.path.commonpath([path, os.path.abspath(folder)]) == os.path.abspath(folder)
