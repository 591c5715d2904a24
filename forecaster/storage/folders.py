"""The one guard on an output folder, and the kinds of result folder it knows.

``check_replaceable`` replaces only an empty folder, or an earlier one of the same kind
holding nothing but the files forecaster wrote there (its manifest or marker lists them);
a folder written by an older version, without that list, is ours when it holds only the
file names its kind is written with. It also refuses, before any work, a place that
cannot be written (``check_writable``).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from forecaster.errors import InputError
from forecaster.storage.files import write_json

MANIFEST_FILE = "manifest.json"


MARKER_FILE = ".forecaster.json"  # an unsealed result folder's kind and files


@dataclass(frozen=True)
class FolderKind:
    """A kind of result folder: what it is called, how one written by an older version
    (without ``.forecaster.json``) is recognised, and the files such a folder may hold."""

    name: str  # the kind in the folder's marker
    label: str  # what the guard says it is not: "not a forecaster bundle"
    found: str  # what the guard calls one found in the way: "is a bundle folder"
    sign: str  # the file every folder of the kind holds, written by any version
    unless: str | None = None  # a file the kind never holds (tells evaluations from bundles)
    # paths (glob per part, "**" for anything below) a folder of the kind written by an
    # older version holds; in place: also what a newer one may hold beyond its marker
    known: tuple[str, ...] = ()
    bundles: tuple[str, ...] = ()  # subfolders that are bundles, judged by their manifest
    sealed: bool = False  # its manifest lists its files (no marker)
    in_place: bool = False  # written into, file by file, instead of swapped whole

    def holds(self, folder: Path) -> bool:
        if not folder.is_dir():
            return False
        marker = _marker(folder)
        if marker is not None:
            return marker.get("kind") == self.name
        return (folder / self.sign).is_file() and not (
            self.unless and (folder / self.unless).exists()
        )


_REPORT = ("report.html", "plots/*.png")


BUNDLE = FolderKind(
    name="bundle",
    label="a forecaster bundle",
    found="a bundle folder",
    sign=MANIFEST_FILE,
    known=("plots/*.png",),  # only its folder: the manifest names the files
    sealed=True,
)


EVALUATION = FolderKind(
    name="evaluation",
    label="an evaluation folder",
    found="an evaluation folder",
    sign="metrics.json",
    unless=MANIFEST_FILE,
    known=("metrics.json", "per_series.csv", *_REPORT),
)


BACKTEST = FolderKind(
    name="backtest",
    label="a backtest folder",
    found="a backtest folder",
    sign="backtest.json",
    known=("backtest.json", "per_series.csv", *_REPORT),
)


COMPARISON = FolderKind(
    name="comparison",
    label="a comparison folder",
    found="a comparison folder",
    sign="results.json",
    known=("results.json", "*.png", *_REPORT),
    bundles=("*/seed-*",),
)


# tuner/search.json is written when a search starts, so an interrupted one is known and
# resumed; tuner/ is KerasTuner's folder, best/ the bundle of --train-best
TUNING = FolderKind(
    name="tuning",
    label="a tuning folder",
    found="a tuning folder",
    sign="tuner/search.json",
    known=("tuner/**", "best.yaml", "trials.csv", "tuning.json", *_REPORT),
    bundles=("best",),
    in_place=True,
)


_KINDS = (BUNDLE, EVALUATION, BACKTEST, COMPARISON, TUNING)


def check_replaceable(out_dir: Path, kind: FolderKind) -> None:
    """Refuse, before any work, an ``out_dir`` that holds anything but an earlier folder of
    ``kind`` with only the files forecaster wrote there, or that cannot be written: a
    user's folder or file is never replaced."""
    if out_dir.exists() and not _is_empty_folder(out_dir):
        if not kind.holds(out_dir):
            other = next((known for known in _KINDS if known.holds(out_dir)), None)
            what = other.found if other else ("a folder" if out_dir.is_dir() else "a file")
            raise InputError(
                f"{out_dir}: is {what}, not {kind.label}; refusing to replace it; "
                "fix: choose another --out folder"
            )
        stranger = unknown_file(out_dir, kind)
        if stranger is not None:
            raise InputError(
                f"{out_dir}: holds {stranger}, which forecaster did not write; refusing to "
                f"replace the folder; fix: choose another --out folder, or move or remove "
                f"{out_dir / stranger}"
            )
    # a folder written in place is written into; any other is swapped in beside it
    check_writable(out_dir / MARKER_FILE if kind.in_place and out_dir.is_dir() else out_dir)


def unknown_file(folder: Path, kind: FolderKind) -> str | None:
    """The first path inside ``folder`` (a file, a link or a folder) that is not one
    forecaster wrote there for a folder of ``kind``; None when all of it is ours.

    What is ours: the files a sealed folder's manifest lists (every version listed them
    all), or an unsealed folder's marker; without a marker (a folder written by a version
    before markers, or a search still running), the file names of the kind.
    """
    listed = _sealed_files(folder) if kind.sealed else _marker_files(folder)
    if kind.sealed and listed is not None:  # and what forecast predict wrote into it
        listed |= _marker_files(folder) or set()
    known = [_parts(pattern) for pattern in kind.known]
    # the file names of the kind: for a folder written in place, and for one without a
    # list (an older version's); a bundle always had its manifest list every file
    by_name = known if (listed is None and not kind.sealed) or kind.in_place else []
    bundles = [_parts(pattern) for pattern in kind.bundles]
    folders = {parent for name in listed or () for parent in _parents(name)}
    for current, dirs, files in os.walk(folder):
        base = Path(current).relative_to(folder)
        dirs.sort()
        for name in list(dirs):
            path, inside = Path(current) / name, (base / name).as_posix()
            parts = inside.split("/")
            if path.is_symlink():
                return inside
            if any(_matches(parts, pattern) for pattern in bundles):
                dirs.remove(name)  # a bundle: judged by its own manifest
                if not BUNDLE.holds(path):
                    return inside
                stranger = unknown_file(path, BUNDLE)
                if stranger is not None:
                    return f"{inside}/{stranger}"
            elif not (
                inside in folders
                or any(_leads_to(parts, pattern) for pattern in [*known, *bundles])
                or any(_matches(parts, pattern) for pattern in by_name)
            ):
                return inside
        for name in sorted(files):
            path, inside = Path(current) / name, (base / name).as_posix()
            if path.is_symlink():
                return inside
            ours = inside in listed if listed is not None else False
            if not (ours or any(_matches(inside.split("/"), pattern) for pattern in by_name)):
                return inside
    return None


def check_writable(path: Path) -> None:
    """Refuse a ``path`` that cannot be written: one below a file, or in a folder this
    process cannot create a file in (tried with a temporary file, not guessed from
    permission bits)."""
    parent = path.absolute().parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(
            f"{path}: cannot be written, {parent} is a file, not a folder; "
            "fix: choose an --out path in a folder"
        )
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.probe-", dir=parent)
    except OSError as error:
        raise unwritable(path, error) from None
    os.close(handle)
    os.unlink(probe)


def check_writable_file(path: Path) -> None:
    """``check_writable``, and an existing ``path`` must open for writing (opened to
    append, nothing written: the file stays as it was)."""
    check_writable(path)
    if path.exists():
        try:
            with path.open("ab"):
                pass
        except OSError as error:
            raise unwritable(path, error) from None


def unwritable(path: Path, error: OSError) -> InputError:
    """The one line for a place the system refused to write: where, why and the fix."""
    why = error.strerror or str(error)
    if error.errno in (errno.ENOTDIR, errno.EEXIST) and error.filename is not None:
        why = f"{why}: {error.filename}"
    return InputError(
        f"{path}: cannot be written ({why}); fix: choose an --out path you can write to"
    )


def write_marker(folder: Path, kind: FolderKind) -> None:
    """``.forecaster.json``: the folder's kind and every file in it, the proof that a
    later run may replace it (bundles inside keep their own manifest, and what a folder
    written in place holds in KerasTuner's own folder is not listed)."""
    bundles = [_parts(pattern) for pattern in kind.bundles]
    wholes = [_parts(pattern) for pattern in kind.known if pattern.endswith("/**")]
    files = []
    for path in sorted(folder.rglob("*")):
        parts = list(path.relative_to(folder).parts)
        if not path.is_file() or parts == [MARKER_FILE]:
            continue
        if any(_matches(parts[: len(p)], p) for p in bundles) or any(
            _matches(parts, p) for p in wholes
        ):
            continue
        files.append("/".join(parts))
    write_json(folder / MARKER_FILE, {"kind": kind.name, "files": files})


def record_output(path: Path) -> None:
    """Note ``path`` (a file ``forecast predict`` just wrote) in its folder's marker when
    that folder is a bundle, so that retraining into the bundle may replace it: a forecast
    written beside the model (``make demo`` does) is ours too."""
    folder = path.parent
    sealed = _sealed_files(folder)
    if sealed is None or path.name in sealed:
        return
    marker = _marker(folder) or {"files": []}
    files = sorted({*map(str, marker["files"]), path.name})
    write_json(folder / MARKER_FILE, {"kind": BUNDLE.name, "files": files})


def _is_empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not any(folder.iterdir())


def _marker(folder: Path) -> dict[str, Any] | None:
    """The folder's ``.forecaster.json``; None when it has none, or one that is not ours."""
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    ours = isinstance(marker, dict) and isinstance(marker.get("files"), list)
    return marker if ours else None


def _marker_files(folder: Path) -> set[str] | None:
    marker = _marker(folder)
    if marker is None:
        return None
    return {str(name) for name in marker["files"]} | {MARKER_FILE}


def _sealed_files(folder: Path) -> set[str] | None:
    """The files a sealed folder's manifest lists, itself included; None without a list."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files:
        return None
    return {str(name) for name in files} | {MANIFEST_FILE}


def _parts(pattern: str) -> list[str]:
    return pattern.split("/")


def _parents(name: str) -> Iterable[str]:
    parts = name.split("/")
    return ("/".join(parts[:end]) for end in range(1, len(parts)))


def _matches(parts: list[str], pattern: list[str]) -> bool:
    """A path (its parts) matches a pattern, a glob per part; "**" last: anything below."""
    if pattern[-1] == "**":
        head = pattern[:-1]
        return len(parts) > len(head) and _matches(parts[: len(head)], head)
    return len(parts) == len(pattern) and all(map(fnmatchcase, parts, pattern))


def _leads_to(parts: list[str], pattern: list[str]) -> bool:
    """A folder (its parts) is one the pattern's paths lie in."""
    return len(parts) < len(pattern) and all(
        part_pattern == "**" or fnmatchcase(part, part_pattern)
        for part, part_pattern in zip(parts, pattern, strict=False)
    )
