"""What the ``forecast`` command line prints: a command's typed result as terminal lines
(through ``reports.text``), stdout that a closed pipe ends quietly, and the one line after
Ctrl-C in training. ``cli`` decides what to call; this module how it reads."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from forecaster.commands.train import TrainResult


def to_stdout(write: Callable[[], None]) -> None:
    """Run ``write`` (to stdout) and flush. A reader that closed the pipe early
    (``forecast predict ... | head -1``) has all it wanted: the command ends quietly, with
    exit code 0 and no traceback, as ``head`` expects and ``set -o pipefail`` accepts."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: that flush goes to /dev/null instead
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise typer.Exit(0) from None


def given_options(**options: Any) -> list[str]:
    """The options given (not None) as they are typed: ``--out models/x``."""
    import shlex

    given = {name: value for name, value in options.items() if value is not None}
    return [f"--{name} {shlex.quote(str(value))}" for name, value in given.items()]


def interrupted_training(out_dir: Path, command: list[str]) -> str:
    """The one line after Ctrl-C in ``forecast train``: where the last completed epoch's
    checkpoint is, and the command that continues from it."""
    import json
    import shlex

    from forecaster.model.checkpoint import STATE_FILE, checkpoint_folder
    from forecaster.model.distribution import worker_folder

    again = " ".join(["forecast train", shlex.quote(command[0]), *command[1:]])
    folder = checkpoint_folder(worker_folder(out_dir))
    members = sorted(folder.glob("member-*/" + STATE_FILE)) if folder.is_dir() else []
    if members:  # an ensemble: each member's checkpoint, the finished ones whole
        return (
            f"interrupted; the checkpoints of {len(members)} ensemble member(s) are kept in "
            f"{folder}; to continue from them (finished members are not trained again): "
            f"{again} --resume"
        )
    if not (folder / STATE_FILE).is_file():
        return (
            "interrupted before the first epoch was completed; nothing was written; "
            f"to start again: {again}"
        )
    try:
        epoch = f"epoch {json.loads((folder / STATE_FILE).read_text())['epochs_done']}"
    except (OSError, ValueError, KeyError, TypeError):
        epoch = "the last completed epoch"
    return (
        f"interrupted; the checkpoint of {epoch} is kept in {folder}; "
        f"to continue from it: {again} --resume"
    )


def print_summary(result: TrainResult) -> None:
    """Where the bundle went, what trained it, and its test-period table."""
    fitted = result.fitted
    what = f"{len(fitted.history)} epochs (best {fitted.best_epoch})"
    if fitted.members:
        what = f"an ensemble of {len(fitted.members)} members, {len(fitted.history)} epochs in all"
    typer.echo(
        f"saved bundle {result.bundle}: trained on {fitted.device} in "
        f"{fitted.train_seconds:.0f} s, {what}",
        err=True,
    )
    if result.refit is not None:
        refit = result.refit
        typer.echo(
            f"refit on all {refit.rows:,} rows (through {refit.through}) for {refit.epochs} "
            f"epochs in {refit.train_seconds:.0f} s: the bundle forecasts with that model; "
            "the scores below are the validated model's",
            err=True,
        )
    print_scores(result.metrics)


def print_scores(metrics: dict[str, Any]) -> None:
    """The test-period table: the model beside the naive forecasts it has to beat."""
    from forecaster.reports.text import combination_lines, gate_lines, score_lines

    test = metrics.get("test")
    if not test:
        return
    for line in score_lines(test, "test period"):
        typer.echo(line, err=True)
    for line in combination_lines(test["combination"]) if "combination" in test else []:
        typer.echo(line, err=True)
    gate = (metrics.get("val") or {}).get("gate")
    for line in gate_lines(gate) if gate else []:
        typer.echo(line, err=True)
