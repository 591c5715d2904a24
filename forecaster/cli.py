"""The ``forecast`` command line: parse the options, call one function of ``commands``,
print its typed result through ``reports.text``. What an option overrides in the spec,
and the default output folders, are ``commands.options``, shared with the Python API.

The one place where a ``ForecasterError`` becomes a one-line message and an exit code
(2: bad input, spec or bundle; 1: anything else). Tracebacks only with ``--debug``.
Heavy modules are imported inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from forecaster.errors import ForecasterError, InputError
from forecaster.terminal import (
    given_options,
    interrupted_training,
    print_scores,
    print_summary,
    to_stdout,
)

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="Train LSTM/GRU forecasters from a CSV and a YAML spec, and forecast with them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Arguments and options several commands share, declared once.
SpecArgument = Annotated[Path, typer.Argument(metavar="SPEC", help="YAML spec file.")]
BundleArgument = Annotated[Path, typer.Argument(help="Bundle folder written by `forecast train`.")]
TrainingDataOption = Annotated[
    Path | None, typer.Option("--data", help="CSV to train on instead of data.path.")
]
EpochsOption = Annotated[int | None, typer.Option("--epochs", help="Override train.epochs.")]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress output (epoch lines); the scores are still printed."
    ),
]
CpuOption = Annotated[bool, typer.Option("--cpu", help="Train on the CPU even if a GPU is seen.")]


_state = {"debug": False}
Command = TypeVar("Command", bound=Callable[..., Any])


def _reports_errors(command: Command) -> Command:
    """Turn user-fixable errors into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ForecasterError as error:
            if _state["debug"]:
                raise
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo(
                "interrupted; nothing was written (training continues from its last "
                "completed epoch with `forecast train ... --resume`; `forecast tune` "
                "resumes its search when run again)",
                err=True,
            )
            raise typer.Exit(130) from None
        except typer.Exit:
            raise
        except Exception as error:
            if _state["debug"]:
                raise
            typer.echo(
                f"error: {type(error).__name__}: {error} (run with --debug for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug
    from forecaster.log import show_notes

    show_notes()
    if not debug:
        # TensorFlow's C++ start-up chatter is noise to a user; --debug keeps it
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@app.command("train")
@_reports_errors
def train_command(
    spec_path: SpecArgument,
    data: TrainingDataOption = None,
    out: Annotated[
        Path | None, typer.Option(help="Bundle folder (default: models/<spec name>).")
    ] = None,
    epochs: EpochsOption = None,
    seed: Annotated[int | None, typer.Option(help="Override train.seed.")] = None,
    quiet: QuietOption = False,
    cpu: CpuOption = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted run from its last completed epoch."),
    ] = False,
    tensorboard: Annotated[
        Path | None,
        typer.Option(help="Write TensorBoard logs under this folder (train.tensorboard)."),
    ] = None,
    mlflow: Annotated[
        bool,
        typer.Option(
            "--mlflow",
            help="Log the run to MLflow (MLFLOW_TRACKING_URI, else ./mlruns); needs "
            "forecaster[mlflow].",
        ),
    ] = False,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit",
            help="After scoring, train again on every row (validation and test too) for "
            "the best epoch count and save that model (train.refit).",
        ),
    ] = False,
) -> None:
    """Train the model SPEC describes and save it as a bundle folder."""
    from forecaster.commands.options import train_inputs

    spec, out_dir = train_inputs(
        spec_path, out, data=data, epochs=epochs, seed=seed, tensorboard=tensorboard, refit=refit
    )
    if mlflow:
        from forecaster.model.tracking import require_mlflow

        require_mlflow()  # before the training, not after it

    _start_tensorflow()
    from forecaster.commands.train import train

    try:
        result = train(spec, out_dir, quiet=quiet, force_cpu=cpu, resume=resume)
    except KeyboardInterrupt:
        again = [str(spec_path), *given_options(out=out, data=data, epochs=epochs, seed=seed)]
        again += ["--refit"] if refit else []
        typer.echo(interrupted_training(out_dir, again), err=True)
        raise typer.Exit(130) from None
    print_summary(result)  # --quiet drops the progress, never the scores
    if mlflow:
        from forecaster.model.tracking import log_run, mlflow_tracking_uri
        from forecaster.version import __version__

        run_id = log_run(
            spec_raw=spec.model_dump(mode="json"),
            metrics=result.metrics,
            history=result.fitted.history,
            bundle=result.bundle,
            experiment=spec.name,
            tags={"forecaster.version": __version__, "bundle": str(result.bundle.resolve())},
        )
        typer.echo(f"logged MLflow run {run_id} to {mlflow_tracking_uri()}", err=True)


@app.command("predict")
@_reports_errors
def predict_command(
    bundle: BundleArgument,
    data: Annotated[
        Path | None, typer.Option(help="CSV of recent history (default: the spec's data.path).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the forecast CSV here (default: stdout).")
    ] = None,
    ids: Annotated[
        list[str] | None,
        typer.Option(
            "--ids",
            help="Long data: forecast only this series (its id values joined by ' / '); "
            "repeat for more.",
        ),
    ] = None,
    future: Annotated[
        Path | None,
        typer.Option(
            help="CSV of the future covariates over the horizon (the rows after the history)."
        ),
    ] = None,
) -> None:
    """Forecast the horizon steps after the last row of the CSV (every series of long data)."""
    if out is not None and out.is_dir():  # before TensorFlow's seconds of start-up
        raise InputError(
            f"{out}: is a folder; expected a file name; fix: use --out {out / 'forecast.csv'}"
        )
    if out is not None:
        from forecaster.storage.folders import check_writable_file

        check_writable_file(out)
    _start_tensorflow()
    from forecaster.commands.predict import predict
    from forecaster.data.time_axis import write_table

    forecast = predict(bundle, data, out, ids or (), future)
    if out is None:
        to_stdout(lambda: write_table(forecast, sys.stdout))
    else:
        typer.echo(f"wrote {len(forecast)} forecast rows to {out}", err=True)


@app.command("evaluate")
@_reports_errors
def evaluate_command(
    bundle: BundleArgument,
    data: Annotated[
        Path | None, typer.Option(help="CSV to score on (default: the spec's data.path).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: evaluation/<bundle name>).")
    ] = None,
) -> None:
    """Score a bundle on a CSV's test period beside the naive forecasts, with a report."""
    from forecaster.commands.options import evaluation_folder

    out_dir = evaluation_folder(bundle, out)
    _start_tensorflow()
    from forecaster.commands.evaluate import evaluate

    result = evaluate(bundle, data, out_dir)
    typer.echo(f"wrote {result.folder}/metrics.json and {result.folder}/report.html", err=True)
    print_scores(result.metrics)


@app.command("backtest")
@_reports_errors
def backtest_command(
    spec_path: SpecArgument,
    folds: Annotated[
        int | None, typer.Option(min=1, help="Override evaluation.folds (test blocks).")
    ] = None,
    window: Annotated[
        bool | None,
        typer.Option(
            "--window/--expanding",
            help="Fit each fold on a sliding fixed-length range instead of all earlier rows "
            "(default: evaluation.window).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: backtest/<spec name>).")
    ] = None,
    data: TrainingDataOption = None,
    epochs: EpochsOption = None,
    quiet: QuietOption = False,
    cpu: CpuOption = False,
) -> None:
    """Refit the model on each fold's earlier rows, score it on the fold's test block."""
    from forecaster.commands.options import backtest_inputs

    spec, out_dir = backtest_inputs(
        spec_path,
        out,
        folds=folds,
        window=None if window is None else ("sliding" if window else "expanding"),
        data=data,
        epochs=epochs,
    )

    _start_tensorflow()
    from forecaster.commands.backtest import BACKTEST_FILE, backtest
    from forecaster.reports.text import combination_lines, fold_lines, score_lines

    def progress(line: str) -> None:
        typer.echo(line, err=True)

    run = backtest(spec, out_dir, quiet=quiet, force_cpu=cpu, progress=None if quiet else progress)
    typer.echo(f"wrote {out_dir}/{BACKTEST_FILE} and {out_dir}/report.html", err=True)
    pooled = run.result.pooled.metrics
    lines = [*fold_lines(run.result), *score_lines(pooled, "all folds")]
    if "combination" in pooled:
        lines += combination_lines(pooled["combination"])
    for line in lines:
        typer.echo(line, err=True)


class Direction(str, Enum):
    no = "no"
    yes = "yes"
    both = "both"


@app.command("compare")
@_reports_errors
def compare_command(
    spec_path: SpecArgument,
    seeds: Annotated[
        int, typer.Option(min=2, help="Seeds per variant: train.seed, train.seed + 1, ...")
    ] = 3,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: compare/<spec name>).")
    ] = None,
    bidirectional: Annotated[
        Direction | None,
        typer.Option(help="Unidirectional, bidirectional or both (default: the spec's)."),
    ] = None,
    params_matched: Annotated[
        bool,
        typer.Option("--params-matched", help="Also run a GRU widened to the LSTM's size."),
    ] = False,
    data: TrainingDataOption = None,
    epochs: EpochsOption = None,
    seed: Annotated[int | None, typer.Option(help="First seed (default: train.seed).")] = None,
    quiet: QuietOption = False,
    cpu: CpuOption = False,
) -> None:
    """LSTM against GRU on SPEC's data: size, speed and accuracy over several seeds.

    Each variant trains once per seed; writes bundles, results.json (verdict), report.html.
    """
    from forecaster.commands.options import compare_inputs

    spec, out_dir = compare_inputs(spec_path, out, data=data, epochs=epochs, seed=seed)

    _start_tensorflow()
    from forecaster.commands.compare import RESULTS_FILE, compare
    from forecaster.reports.sections import REPORT_FILE
    from forecaster.reports.text import describe_threads, summary_lines

    def progress(line: str) -> None:
        if not quiet:
            typer.echo(line, err=True)

    run = compare(
        spec,
        out_dir,
        num_seeds=seeds,
        direction=bidirectional.value if bidirectional else None,
        params_matched=params_matched,
        force_cpu=cpu,
        progress=progress,
    )
    results = run.results
    for line in summary_lines(results):
        typer.echo(line, err=True)
    typer.echo(f"device: {describe_threads(results['environment'])}", err=True)
    typer.echo(f"verdict: {results['verdict']}", err=True)
    typer.echo(
        f"results: {run.folder / RESULTS_FILE}  report: {run.folder / REPORT_FILE}", err=True
    )


@app.command("tune")
@_reports_errors
def tune_command(
    spec_path: SpecArgument,
    trials: Annotated[int | None, typer.Option(min=1, help="Override tune.max_trials.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: tuning/<spec name>).")
    ] = None,
    tuner: Annotated[
        str | None, typer.Option(help="Override tune.tuner: random, bayesian or hyperband.")
    ] = None,
    seeds: Annotated[
        int | None, typer.Option(min=2, help="Override tune.seeds (seed check).")
    ] = None,
    top: Annotated[
        int | None, typer.Option(min=1, help="Override tune.top (trials rerun on seeds).")
    ] = None,
    train_best: Annotated[
        bool, typer.Option("--train-best", help="Train the best spec as a bundle in OUT/best.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming OUT's search.")
    ] = False,
    data: TrainingDataOption = None,
    epochs: EpochsOption = None,
    quiet: QuietOption = False,
    cpu: CpuOption = False,
) -> None:
    """Search tune.space with KerasTuner on the validation loss; write best.yaml,
    trials.csv and report.html. Run it again to resume an interrupted search."""
    from forecaster.commands.options import tune_inputs

    spec, out_dir = tune_inputs(
        spec_path, out, trials=trials, tuner=tuner, seeds=seeds, top=top, data=data, epochs=epochs
    )

    _start_tensorflow()
    from forecaster.commands.tune import BEST_SPEC_FILE, TRIALS_FILE, tune
    from forecaster.reports.sections import REPORT_FILE

    def progress(line: str) -> None:
        if not quiet:
            typer.echo(line, err=True)

    run = tune(
        spec, out_dir, train_best=train_best, restart=restart, force_cpu=cpu, progress=progress
    )
    typer.echo(f"verdict: {run.results['seed_check']['verdict']}", err=True)
    folder = run.folder
    typer.echo(
        f"best spec: {folder / BEST_SPEC_FILE}  trials: {folder / TRIALS_FILE}  "
        f"report: {folder / REPORT_FILE}",
        err=True,
    )
    if run.bundle is not None:
        print_summary(run.bundle)


@app.command("schema")
@_reports_errors
def schema_command() -> None:
    """Print the spec's JSON Schema, for editors that check a YAML spec as it is typed."""
    from forecaster.spec.schema import schema_text

    to_stdout(lambda: typer.echo(schema_text(), nl=False))


def _start_tensorflow() -> None:
    """Import TensorFlow and probe for GPUs with stderr muted: its C++ start-up lines
    (CUDA stubs, cuInit on GPU-less machines) would bury the one line a user needs.
    ``--debug`` shows them."""
    if _state["debug"]:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
