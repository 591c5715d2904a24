"""The Python API beside the ``forecast`` command line: ``forecaster.train``,
``backtest``, ``evaluate``, ``compare`` and ``load``.

Each function reads its spec and options as the command of the same name does
(``commands.options``), runs the same use case, and returns the typed result the
command prints from. A problem the user can fix raises ``forecaster.errors.InputError``
(or ``BundleError``) with the one line the command prints after ``error:``.
TensorFlow is imported inside the functions, so ``import forecaster`` stays cheap.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecaster.bundle.forecasting import Forecaster
    from forecaster.commands.backtest import BacktestRun
    from forecaster.commands.compare import ComparisonRun
    from forecaster.commands.evaluate import EvaluateResult
    from forecaster.commands.options import PathLike, SpecSource, TrainingRange
    from forecaster.commands.train import TrainResult
    from forecaster.evaluation.comparison import Direction


def load(path: PathLike) -> Forecaster:
    """Load a bundle folder written by ``forecast train`` or ``forecaster.train``.

    Raises ``BundleError`` when the folder is missing, incomplete or altered.

    >>> fc = forecaster.load("models/etth1-gru")
    >>> future = fc.predict(recent_frame)  # the table `forecast predict` writes
    """
    from forecaster.bundle.layout import load_bundle

    return load_bundle(path)


def train(
    spec: SpecSource,
    *,
    out: PathLike | None = None,
    data: PathLike | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    tensorboard: PathLike | None = None,
    refit: bool = False,
    quiet: bool = False,
    cpu: bool = False,
    resume: bool = False,
) -> TrainResult:
    """Train the model a spec describes and save it as a bundle folder: ``forecast train``.

    Args:
        spec: a YAML spec file's path, a dict laid out as the YAML is, or a ``Spec``.
        out: the bundle folder (default ``models/<spec name>``). Only an empty folder or
            an earlier bundle is replaced, and only once the new one is complete.
        data: a CSV or Parquet file to train on instead of ``data.path``.
        epochs, seed: override ``train.epochs`` and ``train.seed``.
        tensorboard: write TensorBoard logs under this folder (``train.tensorboard``).
        refit: after scoring, train again on every row and save that model
            (``train.refit``; False leaves the spec's setting).
        quiet: no per-epoch progress on stderr.
        cpu: train on the CPU even when a GPU is seen.
        resume: continue an interrupted run from its last completed epoch.

    Returns:
        ``TrainResult``: ``bundle`` (the folder written; ``forecaster.load`` reads it),
        ``metrics`` (what ``metrics.json`` holds: ``"val"`` and ``"test"``, the model
        beside the naive forecasts) and ``fitted`` (model, history, device, timings).

    Raises:
        InputError: a bad spec, option or CSV, with the message ``forecast train`` prints.

    Example:
        >>> result = forecaster.train("models/etth1-gru.yaml", epochs=5, quiet=True)
        >>> result.metrics["test"]["model"]["mae"]
        >>> fc = forecaster.load(result.bundle)
    """
    from forecaster.commands.options import train_inputs

    spec, folder = train_inputs(
        spec,
        out,
        data=data,
        epochs=epochs,
        seed=seed,
        tensorboard=tensorboard,
        refit=refit,
        source="forecaster.train",
    )
    from forecaster.commands.train import train as train_use_case

    return train_use_case(spec, folder, quiet=quiet, force_cpu=cpu, resume=resume)


def backtest(
    spec: SpecSource,
    *,
    out: PathLike | None = None,
    folds: int | None = None,
    window: TrainingRange | None = None,
    data: PathLike | None = None,
    epochs: int | None = None,
    quiet: bool = False,
    cpu: bool = False,
) -> BacktestRun:
    """Refit the spec's model on each fold's earlier rows and score it on the fold's test
    block: ``forecast backtest``.

    Args:
        spec: a YAML spec file's path, a dict laid out as the YAML is, or a ``Spec``.
        out: the output folder (default ``backtest/<spec name>``); gets ``backtest.json``,
            ``report.html`` and ``plots/``.
        folds: override ``evaluation.folds`` (the number of test blocks).
        window: override ``evaluation.window``: ``"expanding"`` fits each fold on all
            earlier rows, ``"sliding"`` on a fixed-length range before its test block.
        data, epochs: as for ``train``.
        quiet: no per-fold or per-epoch progress on stderr.
        cpu: train on the CPU even when a GPU is seen.

    Returns:
        ``BacktestRun``: ``folder``, ``result`` (``folds``, each fold's scores, and
        ``pooled``: every fold's windows scored together) and ``environment``.

    Example:
        >>> run = forecaster.backtest("models/etth1-gru.yaml", folds=3, quiet=True)
        >>> run.result.pooled.metrics["model"]["mae"]
    """
    from forecaster.commands.options import backtest_inputs

    spec, folder = backtest_inputs(
        spec,
        out,
        folds=folds,
        window=window,
        data=data,
        epochs=epochs,
        source="forecaster.backtest",
    )
    from forecaster.commands.backtest import backtest as backtest_use_case

    return backtest_use_case(
        spec, folder, quiet=quiet, force_cpu=cpu, progress=None if quiet else _say
    )


def evaluate(
    bundle: PathLike, *, data: PathLike | None = None, out: PathLike | None = None
) -> EvaluateResult:
    """Score a bundle on a CSV's test (and validation) period beside the naive forecasts,
    cut by the bundle's own split: ``forecast evaluate``.

    Args:
        bundle: a bundle folder written by ``train``.
        data: the CSV or Parquet file to score on (default: the spec's ``data.path``).
        out: the output folder (default ``evaluation/<bundle folder's name>``); gets
            ``metrics.json``, ``report.html`` and ``plots/``.

    Returns:
        ``EvaluateResult``: ``folder`` and ``metrics`` (what ``metrics.json`` holds).

    Example:
        >>> scores = forecaster.evaluate("models/etth1-gru", data="new.csv")
        >>> scores.metrics["test"]["skill"]
    """
    from forecaster.commands.options import evaluation_folder

    folder = evaluation_folder(bundle, out)
    from forecaster.commands.evaluate import evaluate as evaluate_use_case

    return evaluate_use_case(Path(bundle), None if data is None else Path(data), folder)


def compare(
    spec: SpecSource,
    *,
    out: PathLike | None = None,
    seeds: int = 3,
    bidirectional: Direction | None = None,
    params_matched: bool = False,
    data: PathLike | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    quiet: bool = False,
    cpu: bool = False,
) -> ComparisonRun:
    """LSTM against GRU on the spec's data over several seeds: ``forecast compare``.

    Args:
        spec: a YAML spec file's path, a dict laid out as the YAML is, or a ``Spec``.
        out: the output folder (default ``compare/<spec name>``): a bundle per variant
            and seed, ``results.json`` and ``report.html``.
        seeds: seeds per variant (at least 2): ``train.seed``, ``train.seed + 1``, ...
        bidirectional: ``"no"``, ``"yes"`` or ``"both"`` (default: the spec's).
        params_matched: also train a GRU widened to the LSTM's parameter count.
        data, epochs: as for ``train``; seed: the first seed (default ``train.seed``).
        quiet: no line per finished run on stderr.
        cpu: train on the CPU even when a GPU is seen.

    Returns:
        ``ComparisonRun``: ``folder`` and ``results`` (what ``results.json`` holds,
        ``verdict`` included).

    Example:
        >>> run = forecaster.compare("models/etth1-gru.yaml", seeds=2, epochs=3)
        >>> print(run.results["verdict"])
    """
    from forecaster.commands.options import compare_inputs

    spec, folder = compare_inputs(
        spec, out, data=data, epochs=epochs, seed=seed, source="forecaster.compare"
    )
    from forecaster.commands.compare import compare as compare_use_case

    return compare_use_case(
        spec,
        folder,
        num_seeds=seeds,
        direction=bidirectional,
        params_matched=params_matched,
        force_cpu=cpu,
        progress=None if quiet else _say,
    )


def _say(line: str) -> None:
    """A progress line on stderr, as ``forecast`` prints it."""
    print(line, file=sys.stderr, flush=True)
