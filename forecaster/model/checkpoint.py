"""Resumable training: a checkpoint beside the bundle folder, rewritten after every epoch.

While ``forecast train SPEC --out DIR`` runs, the hidden sibling ``.DIR.checkpoint`` holds
everything needed to continue from the last completed epoch: the model with its optimizer
state (``model.keras``), EarlyStopping's counter, best loss and best weights,
ReduceLROnPlateau's counters, the dropout random-generator states, the per-epoch log, and
the spec and data hash the run started from. It is written like a bundle (staging folder,
checksums, one atomic swap), so a kill at any moment leaves the previous epoch's checkpoint
whole. ``--resume`` continues from it; saving the bundle removes it.

``keras.callbacks.BackupAndRestore`` is not used: it restores the weights, the optimizer and
the epoch number but not the state of other callbacks (a resumed run would forget its
early-stopping patience, its best weights and its learning-rate plateau counter), it writes
weights and epoch number as two separate files a kill can fall between, and it cannot tell
that the spec or the data changed since the interrupted run.

The window order of each epoch depends only on the seed and the epoch number
(``windows.window_dataset``), so a resumed run repeats exactly what an uninterrupted run
would have done: same seed, same data, same forecast.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecaster.errors import BundleError, InputError
from forecaster.spec import Spec
from forecaster.storage.files import read_json, write_json
from forecaster.storage.folders import MANIFEST_FILE
from forecaster.storage.staging import is_sealed, verify_sealed, write_sealed_folder

MODEL_FILE = "model.keras"  # the model with its optimizer state
STATE_FILE = "state.json"
BEST_WEIGHTS_FILE = "best_weights.npz"
SEED_STATES_FILE = "seed_states.npz"
FORMAT = 1


def checkpoint_folder(out_dir: str | Path) -> Path:
    """Where training into ``out_dir`` keeps its checkpoint: a hidden sibling."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.checkpoint"


def member_folder_name(member: int) -> str:
    """The folder of an ensemble member's checkpoint inside the run's checkpoint folder."""
    return f"member-{member:02d}"


@dataclass(frozen=True)
class SavedState:
    """What a checkpoint holds besides the model file."""

    epochs_done: int
    stopped: bool  # early stopping ended the run; only the bundle is left to save
    early_stopping: dict[str, Any]
    reduce_lr: dict[str, Any]
    history: list[dict[str, float]]
    train_seconds: float


class Checkpoint:
    """The checkpoint of one training run into ``out_dir``."""

    def __init__(
        self,
        out_dir: str | Path,
        spec: Spec,
        data_sha256: str,
        member: int | None = None,
    ) -> None:
        # an ensemble keeps one checkpoint per member inside the run's checkpoint folder:
        # a finished member's stays, so --resume skips it
        root = checkpoint_folder(out_dir)
        self.folder = root if member is None else root / member_folder_name(member)
        self.member = member
        self.spec = spec
        self.data_sha256 = data_sha256
        self.saved: SavedState | None = None

    def exists(self) -> bool:
        return self.folder.exists()

    def prepare(self, resume: bool) -> SavedState | None:
        """Decide where training starts, say so on stderr, and return the state to resume.

        ``resume`` without a checkpoint starts from epoch 1: a job that always passes
        ``--resume`` then works on its first run as on every restart. Without ``resume`` an
        existing checkpoint is left alone until the new run's first epoch replaces it.
        """
        if not self.exists():
            if resume:
                _note(f"no checkpoint at {self.folder} to resume; training from epoch 1")
            return None
        if not resume:
            if not is_sealed(self.folder):
                self.remove()  # not a checkpoint at all (never sealed): nothing to keep
                return None
            _note(
                f"{self.folder} holds an interrupted run; starting over (its first epoch "
                "replaces that checkpoint); pass --resume to continue it instead"
            )
            return None
        self.saved = self.read()
        done, total = self.saved.epochs_done, self.spec.train.epochs
        if self.member is not None and (self.saved.stopped or done >= total):
            _note(f"resuming from {self.folder}: ensemble member {self.member} had finished")
        elif self.saved.stopped or done >= total:
            _note(f"resuming from {self.folder}: training had finished; saving the bundle")
        else:
            _note(f"resuming from {self.folder}: epoch {done + 1} of {total}")
        return self.saved

    def read(self) -> SavedState:
        """The saved state, after checking it is whole and belongs to this spec and data."""
        try:
            manifest = read_json(self.folder / MANIFEST_FILE)
            verify_sealed(self.folder, manifest)
            state = read_json(self.folder / STATE_FILE)
        except BundleError as error:
            problem = str(error).split("; fix:")[0]
            raise InputError(
                f"{self.folder}: the training checkpoint is damaged ({problem}); "
                "fix: run without --resume to start over"
            ) from None
        if state.get("format") != FORMAT:
            raise InputError(
                f"{self.folder}: checkpoint format {state.get('format')!r} is not {FORMAT}; "
                "fix: run without --resume to start over"
            )
        changed = _differences(state["spec"], _comparable(self.spec))
        if changed:
            raise InputError(
                f"{self.folder}: the interrupted run used a different spec ({'; '.join(changed)}); "
                "fix: resume with the same spec and options, or run without --resume to start over"
            )
        if state["data_sha256"] != self.data_sha256:
            raise InputError(
                f"{self.spec.data.path}: the data changed since the interrupted run (its SHA-256 "
                "differs from the checkpoint's); fix: resume with the same data, or run without "
                "--resume to start over"
            )
        return SavedState(
            epochs_done=int(state["epochs_done"]),
            stopped=bool(state["stopped"]),
            early_stopping=state["early_stopping"],
            reduce_lr=state["reduce_lr"],
            history=state["history"],
            train_seconds=float(state["train_seconds"]),
        )

    def first_epoch(self) -> int:
        """The 0-based epoch training starts at: past the last one when it had finished."""
        if self.saved is None:
            return 0
        return self.spec.train.epochs if self.saved.stopped else self.saved.epochs_done

    def callback(
        self,
        early_stopping: keras.callbacks.EarlyStopping,
        reduce_lr: keras.callbacks.ReduceLROnPlateau | None,
        epoch_rows: list[dict[str, float]],
    ) -> keras.callbacks.Callback:
        """The callback that restores and saves; it must come after the callbacks it saves."""
        return _CheckpointCallback(self, early_stopping, reduce_lr, epoch_rows)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class _CheckpointCallback(keras.callbacks.Callback):
    """Restores state in ``on_train_begin`` (after the other callbacks reset theirs) and
    saves it in ``on_epoch_end`` (after they updated it): it goes last in the list."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        early_stopping: keras.callbacks.EarlyStopping,
        reduce_lr: keras.callbacks.ReduceLROnPlateau | None,  # None: a schedule by epoch
        epoch_rows: list[dict[str, float]],
    ) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.early_stopping = early_stopping
        self.reduce_lr = reduce_lr
        self.epoch_rows = epoch_rows
        self.previous_seconds = 0.0
        self.started = time.perf_counter()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = time.perf_counter()
        saved = self.checkpoint.saved
        if saved is None:
            return
        folder = self.checkpoint.folder
        model = self.model
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(folder / MODEL_FILE)  # weights and optimizer state
        with np.load(folder / SEED_STATES_FILE, allow_pickle=False) as seeds:
            for index, variable in enumerate(_seed_states(model)):
                variable.assign(seeds[f"arr_{index}"])
        for key, value in saved.early_stopping.items():
            setattr(self.early_stopping, key, value)
        if (folder / BEST_WEIGHTS_FILE).is_file():
            with np.load(folder / BEST_WEIGHTS_FILE, allow_pickle=False) as best:
                self.early_stopping.best_weights = [best[f"arr_{i}"] for i in range(len(best))]
        for key, value in saved.reduce_lr.items() if self.reduce_lr is not None else ():
            setattr(self.reduce_lr, key, value)
        self.epoch_rows[:] = saved.history
        self.previous_seconds = saved.train_seconds

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        losses = [(logs or {}).get(name, np.nan) for name in ("loss", "val_loss")]
        if not np.isfinite(losses).all():
            return  # a diverged epoch is not worth resuming from; training stops with an error
        model, early_stopping, reduce_lr = self.model, self.early_stopping, self.reduce_lr
        checkpoint = self.checkpoint
        state = {
            "format": FORMAT,
            "spec": _comparable(checkpoint.spec),
            "data_sha256": checkpoint.data_sha256,
            "epochs_done": epoch + 1,
            "stopped": bool(model.stop_training),
            "early_stopping": {
                "wait": early_stopping.wait,
                "stopped_epoch": early_stopping.stopped_epoch,
                "best": _plain(early_stopping.best),
                "best_epoch": early_stopping.best_epoch,
            },
            "reduce_lr": {
                "wait": reduce_lr.wait,
                "cooldown_counter": reduce_lr.cooldown_counter,
                "best": _plain(reduce_lr.best),
            }
            if reduce_lr is not None
            else {},
            "history": list(self.epoch_rows),
            "train_seconds": self.previous_seconds + time.perf_counter() - self.started,
        }

        def write(folder: Path) -> None:
            model.save(folder / MODEL_FILE)
            np.savez(folder / SEED_STATES_FILE, *[v.numpy() for v in _seed_states(model)])
            if early_stopping.best_weights is not None:
                np.savez(folder / BEST_WEIGHTS_FILE, *early_stopping.best_weights)
            write_json(folder / STATE_FILE, state)

        write_sealed_folder(checkpoint.folder, write, {"checkpoint_of": checkpoint.spec.name})


def _seed_states(model: keras.Model) -> list[Any]:
    """The random-generator states of dropout layers: variables, but not weights, so
    ``model.keras`` does not keep them."""
    weights = {id(weight) for weight in model.weights}
    return [variable for variable in model.variables if id(variable) not in weights]


def _comparable(spec: Spec) -> dict[str, Any]:
    """The spec as the checkpoint compares it: the data is compared by its hash instead
    of its path, so a moved or re-pointed copy of the same file still resumes."""
    raw = spec.model_dump(mode="json")
    raw["data"].pop("path")
    raw["train"].pop("tensorboard", None)  # where logs go: a resumed run may log elsewhere
    return raw


def _differences(saved: Any, current: Any, prefix: str = "") -> list[str]:
    if isinstance(saved, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(saved) | set(current), key=str):
            found += _differences(saved.get(key), current.get(key), f"{prefix}{key}.")
        return found
    if saved != current:
        return [f"{prefix.rstrip('.')} was {saved!r}, now {current!r}"]
    return []


def _plain(value: Any) -> Any:
    """A callback's number as a JSON-ready Python value (they hold NumPy scalars)."""
    return None if value is None else float(value)


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)
