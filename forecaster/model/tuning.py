"""Hyperparameter search over spec fields, driven by KerasTuner.

A trial is a spec: KerasTuner's oracle (random, Bayesian or Hyperband) proposes values for
the dotted paths of ``tune.space``, they are written over the starting spec and validated
by the spec's own rules, and the normal ``training.fit`` trains it. The objective is the
best validation loss of that training; the test period is never read. A combination the
spec refuses (a ``segment_length`` that does not divide the lookback) or that cannot train
(too short a period for the lookback, a diverged loss) is a failed trial with its reason,
not the end of the search. A plain ``HyperModel.build(hp)`` would not do: the lookback and
the cell change the data pipeline and the training, not only the network.

Every finished run (trial or seed rerun) is kept in ``runs.json`` beside KerasTuner's own
state, written before KerasTuner marks the trial done, so an interrupted search resumes
without training a finished run again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import keras_tuner
import pandas as pd

from forecaster.data.panel import Panel
from forecaster.errors import ForecasterError, InputError
from forecaster.model.preparation import load_data
from forecaster.model.training import fit
from forecaster.spec import SearchRange, Spec, TuneSpec
from forecaster.storage.files import read_json, write_json

OBJECTIVE = "val_loss"
TUNER_FOLDER = "tuner"  # KerasTuner's project folder inside the tuning folder
RUNS_FILE = "runs.json"
SEARCH_FILE = "search.json"  # what the search was started with, to refuse a changed resume
HYPERBAND_KEYS = "tuner/"  # the values KerasTuner's Hyperband adds to every trial


@dataclass(frozen=True)
class RunRecord:
    """One training of one spec with one seed."""

    val_loss: float  # the best epoch's: the weights early stopping keeps
    epochs: int
    best_epoch: int
    seconds: float


def hyperparameters(space: dict[str, list[Any] | SearchRange]) -> keras_tuner.HyperParameters:
    """The search space as KerasTuner hyperparameters, named by their spec paths."""
    hp = keras_tuner.HyperParameters()
    for key, values in space.items():
        if isinstance(values, SearchRange):
            sampling = "log" if values.log else "linear"
            if values.is_int:
                step = int(values.step) if values.step is not None else None
                hp.Int(key, int(values.min), int(values.max), step=step, sampling=sampling)
            else:
                hp.Float(key, values.min, values.max, step=values.step, sampling=sampling)
        else:
            hp.Choice(key, encoded_choices(values))
    return hp


def encoded_choices(values: list[Any]) -> list[Any]:
    """KerasTuner takes choices of one plain type (numbers, text, booleans); other lists
    ([32] against [64, 64]) are given as their JSON text and decoded back per trial."""
    kinds = {type(value) for value in values}
    if len(kinds) == 1 and kinds <= {int, float, str, bool}:
        return list(values)
    return [json.dumps(value) for value in values]


def decoded_values(space: dict[str, list[Any] | SearchRange], values: dict[str, Any]) -> dict:
    """A trial's values as the spec takes them: choices given as JSON decoded back,
    Hyperband's own bookkeeping left out."""
    decoded = {}
    for key, spec_values in space.items():
        value = values[key]
        if isinstance(spec_values, list) and encoded_choices(spec_values) != list(spec_values):
            value = json.loads(value)
        decoded[key] = value
    return decoded


def trial_spec(spec: Spec, values: dict[str, Any], source: str, **fixed: Any) -> Spec:
    """The starting spec with a trial's values (and ``fixed`` dotted fields) written over
    it and no tune section, validated by the spec's own rules."""
    return spec.with_overrides(source=source, tune=None, **values, **fixed)


def spec_fingerprint(spec: Spec) -> str:
    """The same for two specs that train the same way whatever their seed and name."""
    raw = spec.model_dump(mode="json")
    raw.pop("name"), raw["train"].pop("seed"), raw["train"].pop("tensorboard", None)
    raw.pop("tune", None)
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RunStore:
    """Finished runs, by trial id and by (spec fingerprint, seed), in ``runs.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = read_json(path) if path.is_file() else {}
        self.trials: dict[str, dict[str, Any]] = saved.get("trials", {})
        self.seeded: dict[str, dict[str, Any]] = saved.get("seeded", {})

    def add_trial(self, trial_id: str, row: dict[str, Any]) -> None:
        self.trials[trial_id] = row
        self._save()

    def seeded_run(self, fingerprint: str, seed: int) -> RunRecord | None:
        found = self.seeded.get(f"{fingerprint}/{seed}")
        return RunRecord(**found) if found else None

    def add_seeded(self, fingerprint: str, seed: int, record: RunRecord) -> None:
        self.seeded[f"{fingerprint}/{seed}"] = asdict(record)
        self._save()

    def _save(self) -> None:
        staged = self.path.with_suffix(".json.partial")
        write_json(staged, {"trials": self.trials, "seeded": self.seeded})
        staged.replace(self.path)  # a kill mid-write leaves the last complete record


class SpecRunner:
    """Trains specs with seeds, once each: a finished (spec, seed) comes from the store.
    Data is read once per data section."""

    def __init__(self, store: RunStore, force_cpu: bool) -> None:
        self.store = store
        self.force_cpu = force_cpu
        self._frames: dict[str, pd.DataFrame | Panel] = {}

    def run(self, spec: Spec) -> RunRecord:
        fingerprint, seed = spec_fingerprint(spec), spec.train.seed
        known = self.store.seeded_run(fingerprint, seed)
        if known is not None:
            return known
        data_key = spec.data.model_dump_json()
        if data_key not in self._frames:
            self._frames[data_key] = load_data(spec)
        # a fresh Keras state per run: no run pays for (or profits from) another's graphs
        keras.backend.clear_session()
        started = time.perf_counter()
        result = fit(spec, self._frames[data_key], quiet=True, force_cpu=self.force_cpu)
        history = result.history
        record = RunRecord(
            val_loss=float(history["val_loss"].min()),
            epochs=len(history),
            best_epoch=result.best_epoch,
            seconds=time.perf_counter() - started,
        )
        self.store.add_seeded(fingerprint, seed, record)
        return record


class SpecTuner(keras_tuner.Tuner):
    """A KerasTuner tuner whose trial is a whole spec trained by ``training.fit``."""

    def __init__(
        self,
        oracle: keras_tuner.Oracle,
        spec: Spec,
        runner: SpecRunner,
        directory: Path,
        report: Callable[[dict[str, Any]], None],
    ) -> None:
        if spec.tune is None:
            raise ValueError(f"spec {spec.name!r} has no tune section to search")
        super().__init__(
            oracle=oracle, directory=str(directory), project_name=TUNER_FOLDER, overwrite=False
        )
        self.spec = spec
        self.space = spec.tune.space
        self.runner = runner
        self.report = report

    def run_trial(self, trial: keras_tuner.engine.trial.Trial, *args: Any, **kwargs: Any) -> dict:
        row = self.runner.store.trials.get(trial.trial_id)  # finished before an interruption
        if row is None:
            row = self._run(trial)
            self.runner.store.add_trial(trial.trial_id, row)
            self.report(row)
        if row["status"] != "completed":
            raise keras_tuner.errors.FailedTrialError(row["reason"])
        return {OBJECTIVE: row[OBJECTIVE]}

    def _run(self, trial: keras_tuner.engine.trial.Trial) -> dict[str, Any]:
        values = trial.hyperparameters.values
        decoded = decoded_values(self.space, values)
        fixed = {}
        if f"{HYPERBAND_KEYS}epochs" in values:  # Hyperband's budget for this round
            fixed["train.epochs"] = int(values[f"{HYPERBAND_KEYS}epochs"])
        row: dict[str, Any] = {"trial": trial.trial_id, "values": decoded}
        source = f"trial {trial.trial_id}"
        try:
            spec = trial_spec(self.spec, decoded, source, **fixed)
            record = self.runner.run(spec)
        except ForecasterError as error:
            # the spec refused the combination, or it cannot train on this data
            reason = _reason(str(error), source)
            return {**row, "status": "skipped", "reason": reason}
        except Exception as error:
            # a bug, not a bad combination: stop the search and show it
            raise keras_tuner.errors.FatalError(f"{type(error).__name__}: {error}") from error
        return {**row, "status": "completed", OBJECTIVE: record.val_loss, **_counts(record)}


def _reason(message: str, source: str) -> str:
    """A spec error as a skipped trial's reason: without the source and the generic fix
    ("trial 3: spec: ...; fix: change spec")."""
    reason = message.removeprefix(f"{source}: ").removeprefix("spec: ")
    return reason.removesuffix("; fix: change spec")


def _counts(record: RunRecord) -> dict[str, Any]:
    return {"epochs": record.epochs, "best_epoch": record.best_epoch, "seconds": record.seconds}


def make_oracle(tune: TuneSpec, max_epochs: int, seed: int) -> keras_tuner.Oracle:
    """The oracle ``tune.tuner`` names, minimising the validation loss. A skipped
    combination never stops the search: only the trial budget does."""
    objective = keras_tuner.Objective(OBJECTIVE, direction="min")
    common = {
        "objective": objective,
        "hyperparameters": hyperparameters(tune.space),
        "seed": seed,
        "max_consecutive_failed_trials": 10**9,
    }
    if tune.tuner == "random":
        return keras_tuner.oracles.RandomSearchOracle(max_trials=tune.max_trials, **common)
    if tune.tuner == "bayesian":
        return keras_tuner.oracles.BayesianOptimizationOracle(max_trials=tune.max_trials, **common)
    if max_epochs < 2:
        raise InputError(
            f"tune.tuner: hyperband trains rounds of growing epochs up to train.epochs, got "
            f"{max_epochs}; fix: set train.epochs (or --epochs) to 2 or more"
        )
    return keras_tuner.oracles.HyperbandOracle(max_epochs=max_epochs, factor=3, **common)


def search(
    spec: Spec,
    folder: Path,
    runner: SpecRunner,
    report: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """Run (or resume) the search in ``folder``; return one row per trial, in order."""
    assert spec.tune is not None
    oracle = make_oracle(spec.tune, spec.train.epochs, spec.train.seed)
    tuner = SpecTuner(oracle, spec, runner, folder, report)
    # KerasTuner prints the traceback of every failed trial unless this (not exported)
    # switch is off; a skipped trial's reason is reported in one line instead
    from keras_tuner.src import config as tuner_config

    debug, tuner_config.DEBUG = tuner_config.DEBUG, False
    try:
        tuner.search(verbose=0)
    finally:
        tuner_config.DEBUG = debug
    return trial_rows(tuner.oracle, runner.store)


def trial_rows(oracle: keras_tuner.Oracle, store: RunStore) -> list[dict[str, Any]]:
    """Every trial the oracle knows, with what its run recorded."""
    rows = []
    for trial_id in sorted(oracle.trials, key=int):
        row = store.trials.get(trial_id)
        if row is not None:
            rows.append(row)
    return rows


def check_resumable(folder: Path, started_with: dict[str, Any]) -> None:
    """Refuse to resume a search started with another space, tuner or starting spec."""
    path = folder / TUNER_FOLDER / SEARCH_FILE
    if path.is_file() and read_json(path) != started_with:
        raise InputError(
            f"{folder}: holds a search started with another spec or tune section; "
            "fix: choose another --out folder, or pass --restart to start it over"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, started_with)
