"""``forecast tune``: search the spec's ``tune.space`` with KerasTuner, check the best
trials against seed noise, and write the best spec, the trials table and a report.

```
<out>/
  best.yaml     # the best spec: a normal spec, `forecast train` takes it
  trials.csv    # one row per trial: its values, status, val_loss, epochs, seconds, reason
  tuning.json   # the trials, the seed check and its verdict, the starting spec
  report.html   # objective by trial, each parameter against it, the seed check
  tuner/        # KerasTuner's state and runs.json: what an interrupted search resumes from
  best/         # with --train-best: the best spec trained as a bundle
  .forecaster.json  # the folder's kind and files: a later run overwrites only these
```
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from forecaster.commands.train import TrainResult, train
from forecaster.errors import ForecasterError, InputError
from forecaster.evaluation.tuning import START, seed_check, top_trials
from forecaster.log import logger
from forecaster.model.ensemble import single_spec
from forecaster.model.training import retracing_muted
from forecaster.model.tuning import (
    OBJECTIVE,
    RUNS_FILE,
    TUNER_FOLDER,
    RunStore,
    SpecRunner,
    check_resumable,
    search,
    trial_spec,
)
from forecaster.reports.tuning import write_tuning_report
from forecaster.spec import EnsembleSpec, SearchRange, Spec
from forecaster.storage.files import write_csv, write_json
from forecaster.storage.folders import TUNING, check_replaceable, write_marker
from forecaster.version import __version__

BEST_SPEC_FILE = "best.yaml"
TRIALS_FILE = "trials.csv"
TUNING_FILE = "tuning.json"
BEST_BUNDLE = "best"


@dataclass(frozen=True)
class TuningRun:
    folder: Path
    results: dict[str, Any]  # what tuning.json holds
    best_spec: Spec
    bundle: TrainResult | None = None  # --train-best


def tune(
    spec: Spec,
    out_dir: str | Path,
    *,
    train_best: bool = False,
    restart: bool = False,
    force_cpu: bool = False,
    progress: Callable[[str], None] | None = None,
) -> TuningRun:
    """Search, or resume the search in ``out_dir``; rerun the best trials and the
    starting spec on ``tune.seeds`` seeds; write the results (and with ``train_best``
    the best spec's bundle)."""
    ensemble = spec.train.ensemble
    if ensemble is not None:
        # every trial one network: an ensemble would multiply each trial's cost, and the
        # settings that make a good member make a good ensemble
        logger.warning(
            "spec: train.ensemble is left out of the search: every trial trains one network; "
            "the best spec keeps train.ensemble"
            + (", and --train-best trains it as an ensemble" if train_best else "")
        )
        spec = single_spec(spec)
    if spec.tune is None:
        raise InputError(
            "spec: has no tune section; fix: add tune.space with the fields to search, e.g. "
            "tune: {space: {model.units: [[32], [64]], train.learning_rate: {min: 1.0e-4, "
            "max: 3.0e-3, log: true}}}"
        )
    out_dir = Path(out_dir)
    check_replaceable(out_dir, TUNING)
    if restart and TUNING.holds(out_dir):
        shutil.rmtree(out_dir / TUNER_FOLDER)
    start = trial_spec(spec, {}, "spec")
    started_with = spec.model_dump(mode="json")
    for free in ("max_trials", "top", "seeds"):  # a resumed search may run longer, check more
        started_with["tune"].pop(free)
    check_resumable(out_dir, {"spec": started_with})
    say = progress or (lambda line: None)
    runner = SpecRunner(RunStore(out_dir / TUNER_FOLDER / RUNS_FILE), force_cpu)
    done = len(runner.store.trials)
    if done:
        say(f"resuming: {done} trial(s) already finished in {out_dir / TUNER_FOLDER}")

    def trial_line(row: dict[str, Any]) -> None:
        values = ", ".join(f"{key}={_cell(value)}" for key, value in row["values"].items())
        if row["status"] == "completed":
            say(
                f"trial {row['trial']}: {values}: {OBJECTIVE} {row[OBJECTIVE]:.5g} "
                f"({row['epochs']} epochs, {row['seconds']:.0f} s)"
            )
        else:
            say(f"trial {row['trial']}: {values}: skipped: {row['reason']}")

    with retracing_muted():
        rows = search(spec, out_dir, runner, trial_line)
        if not any(row["status"] == "completed" for row in rows):
            reasons = "; ".join(f"trial {row['trial']}: {row['reason']}" for row in rows[:3])
            raise ForecasterError(f"tune: no trial trained ({reasons})")
        check = _seed_check(spec, start, rows, runner, say)

    best_values = {} if check["best"] == START else _trial(rows, check["best"])["values"]
    best_spec = trial_spec(spec, best_values, "best trial")
    if ensemble is not None:
        best_spec = with_ensemble(best_spec, ensemble)
    results = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "forecaster_version": __version__,
        "tuner": spec.tune.tuner,
        "objective": f"{OBJECTIVE}: the best epoch's validation loss ({spec.train.loss})",
        "space": {
            key: values.model_dump() if isinstance(values, SearchRange) else values
            for key, values in spec.tune.space.items()
        },
        "trials": rows,
        "seed_check": check,
        "best_values": best_values,
        "start_spec": start.model_dump(mode="json"),
        "best_spec": best_spec.model_dump(mode="json"),
    }
    write_json(out_dir / TUNING_FILE, results)
    (out_dir / BEST_SPEC_FILE).write_text(best_spec.to_yaml(), encoding="utf-8")
    write_csv(trials_table(rows, list(spec.tune.space)), out_dir / TRIALS_FILE)
    write_tuning_report(results, out_dir)
    bundle = None
    if train_best:
        say(f"training the best spec into {out_dir / BEST_BUNDLE}")
        bundle = train(best_spec, out_dir / BEST_BUNDLE, quiet=True, force_cpu=force_cpu)
    write_marker(out_dir, TUNING)  # the files written: what a later run may overwrite
    return TuningRun(out_dir, results, best_spec, bundle)


def _seed_check(
    spec: Spec,
    start: Spec,
    rows: list[dict[str, Any]],
    runner: SpecRunner,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """The top trials and the starting spec, each trained on the same seeds (at full
    epochs: Hyperband's short rounds are not what the best spec will train with)."""
    assert spec.tune is not None
    seeds = [spec.train.seed + k for k in range(spec.tune.seeds)]
    candidates = {START: start}
    for row in top_trials(rows, spec.tune.top, OBJECTIVE):
        candidates[row["trial"]] = trial_spec(spec, row["values"], f"trial {row['trial']}")
    losses: dict[str, list[float]] = {}
    for name, candidate in candidates.items():
        label = "starting spec" if name == START else f"trial {name}"
        try:
            losses[name] = [
                runner.run(candidate.with_overrides(source=name, **{"train.seed": seed})).val_loss
                for seed in seeds
            ]
        except ForecasterError as error:
            if name == START:
                raise
            # a trial that diverges on another seed is no best spec: drop it, say why
            say(f"seed check: {label} left out: {error}")
            continue
        say(
            f"seed check: {label}: {OBJECTIVE} "
            + ", ".join(f"{loss:.5g}" for loss in losses[name])
            + f" (seeds {', '.join(map(str, seeds))})"
        )
    return {**seed_check(losses), "seeds": seeds}


def _trial(rows: list[dict[str, Any]], trial_id: str) -> dict[str, Any]:
    return next(row for row in rows if row["trial"] == trial_id)


def trials_table(rows: list[dict[str, Any]], keys: list[str]) -> pd.DataFrame:
    """One row per trial: its values (as JSON: [64, 64], null), status, objective,
    epochs, best epoch, seconds and, for a skipped trial, why."""
    table = []
    for row in rows:
        table.append(
            {
                "trial": row["trial"],
                **{key: _cell(row["values"].get(key)) for key in keys},
                "status": row["status"],
                OBJECTIVE: row.get(OBJECTIVE),
                "epochs": row.get("epochs", pd.NA),
                "best_epoch": row.get("best_epoch", pd.NA),
                "seconds": None if row.get("seconds") is None else round(row["seconds"], 1),
                "reason": row.get("reason", ""),
            }
        )
    return pd.DataFrame(table).astype({"epochs": "Int64", "best_epoch": "Int64"})


def _cell(value: Any) -> str:
    """A value as YAML and JSON write it: [64, 64], null, 0.001."""
    return json.dumps(value)


def with_ensemble(spec: Spec, ensemble: EnsembleSpec) -> Spec:
    """The best trial's spec with the starting spec's ``train.ensemble`` back, validated
    again: a searched ``window.lookback`` shorter than an ensemble lookback is refused."""
    raw = spec.model_dump(mode="json")
    raw["train"]["ensemble"] = ensemble.model_dump(mode="json")
    try:
        return Spec.model_validate(raw)
    except ValidationError as error:
        found = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise InputError(
            f"spec: the best trial's settings do not fit train.ensemble ({found}); fix: "
            "search window.lookback only over values at least every train.ensemble.lookbacks "
            "entry, or tune without train.ensemble"
        ) from None
