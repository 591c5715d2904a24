"""What the command line's options and the Python API's keywords mean, said once: the spec
they start from (a YAML file, a dict or a ``Spec``), the spec fields they override, and
the folder a command writes when no output folder is named.

``forecast`` (``cli.py``) and ``forecaster.train``/``backtest``/... (``api.py``) both call
these before their use case runs, so a spec is checked, and an option means, the same
through either. Kept free of heavy imports: a bad spec is reported before TensorFlow loads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeAlias

from forecaster.spec import Spec, load_spec, parse_spec

# what a command or an API function accepts as its spec
SpecSource: TypeAlias = str | os.PathLike[str] | Spec | Mapping[str, Any]
PathLike: TypeAlias = str | os.PathLike[str]
TrainingRange = Literal["expanding", "sliding"]  # evaluation.window

COMMAND_LINE = "command line"
# where each command writes when no output folder is given, under the working folder
OUTPUT_FOLDERS = {
    "train": "models",
    "evaluate": "evaluation",
    "backtest": "backtest",
    "compare": "compare",
    "tune": "tuning",
}


def as_spec(spec: SpecSource) -> Spec:
    """A validated spec from a YAML file's path, a plain dict (as the YAML would read) or a
    ``Spec``; problems are one ``InputError`` line, as ``forecast`` reports them."""
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(dict(spec))
    if isinstance(spec, str | os.PathLike):
        return load_spec(os.fspath(spec))
    raise TypeError(
        f"spec: expected a path to a YAML spec, a dict or a forecaster Spec, "
        f"got {type(spec).__name__}"
    )


def with_options(spec: SpecSource, fields: Mapping[str, Any], source: str) -> Spec:
    """``spec`` with the fields of the options given (not None) written over it, checked
    as the YAML was; problems name ``source`` (the command line, or the API call)."""
    loaded = as_spec(spec)
    changes = {
        field: os.fspath(value) if isinstance(value, os.PathLike) else value
        for field, value in fields.items()
        if value is not None
    }
    return loaded.with_overrides(source=source, **changes) if changes else loaded


def output_folder(command: str, out: PathLike | None, name: str) -> Path:
    """``out``, or the command's default folder for ``name`` (e.g. ``models/<spec name>``)."""
    return Path(out) if out is not None else Path(OUTPUT_FOLDERS[command]) / name


def train_inputs(
    spec: SpecSource,
    out: PathLike | None,
    *,
    data: PathLike | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    tensorboard: PathLike | None = None,
    refit: bool | None = None,
    source: str = COMMAND_LINE,
) -> tuple[Spec, Path]:
    """The spec and bundle folder ``forecast train`` and ``forecaster.train`` run with
    (``refit``: True sets ``train.refit``; None or False leaves the spec's)."""
    fields = {
        "data.path": data,
        "train.epochs": epochs,
        "train.seed": seed,
        "train.tensorboard": tensorboard,
        "train.refit": refit or None,
    }
    resolved = with_options(spec, fields, source)
    return resolved, output_folder("train", out, resolved.name)


def backtest_inputs(
    spec: SpecSource,
    out: PathLike | None,
    *,
    folds: int | None = None,
    window: TrainingRange | None = None,
    data: PathLike | None = None,
    epochs: int | None = None,
    source: str = COMMAND_LINE,
) -> tuple[Spec, Path]:
    """The spec and output folder ``forecast backtest`` and ``forecaster.backtest`` run with."""
    fields = {
        "data.path": data,
        "train.epochs": epochs,
        "evaluation.folds": folds,
        "evaluation.window": window,
    }
    resolved = with_options(spec, fields, source)
    return resolved, output_folder("backtest", out, resolved.name)


def compare_inputs(
    spec: SpecSource,
    out: PathLike | None,
    *,
    data: PathLike | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    source: str = COMMAND_LINE,
) -> tuple[Spec, Path]:
    """The spec and output folder ``forecast compare`` and ``forecaster.compare`` run with."""
    fields = {"data.path": data, "train.epochs": epochs, "train.seed": seed}
    resolved = with_options(spec, fields, source)
    return resolved, output_folder("compare", out, resolved.name)


def tune_inputs(
    spec: SpecSource,
    out: PathLike | None,
    *,
    trials: int | None = None,
    tuner: str | None = None,
    seeds: int | None = None,
    top: int | None = None,
    data: PathLike | None = None,
    epochs: int | None = None,
    source: str = COMMAND_LINE,
) -> tuple[Spec, Path]:
    """The spec and output folder ``forecast tune`` runs with. The search options apply
    only to a spec with a tune section; without one, ``tune`` says how to add it."""
    resolved = with_options(spec, {"data.path": data, "train.epochs": epochs}, source)
    if resolved.tune is not None:
        search = {"max_trials": trials, "tuner": tuner, "seeds": seeds, "top": top}
        resolved = with_options(
            resolved, {f"tune.{key}": value for key, value in search.items()}, source
        )
    return resolved, output_folder("tune", out, resolved.name)


def evaluation_folder(bundle: PathLike, out: PathLike | None) -> Path:
    """The folder ``forecast evaluate`` and ``forecaster.evaluate`` write: ``out``, or
    ``evaluation/<bundle folder's name>``."""
    return output_folder("evaluate", out, Path(bundle).resolve().name)
