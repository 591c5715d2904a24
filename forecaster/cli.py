"""The ``forecast`` command line.

The one place where a ``ForecasterError`` becomes a one-line message and an exit code
(2: bad input, spec or bundle; 1: anything else). Tracebacks only with ``--debug``.
Heavy modules are imported inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from forecaster.errors import ForecasterError, InputError

app = typer.Typer(
    help="Train LSTM/GRU forecasters from a CSV and a YAML spec, and forecast with them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

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
                "completed epoch with `forecast train ... --resume`)",
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
    if not debug:
        # TensorFlow's C++ start-up chatter is noise to a user; --debug keeps it
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@app.command("train")
@_reports_errors
def train_command(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="YAML spec file.")],
    data: Annotated[Path | None, typer.Option(help="CSV to train on instead of data.path.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Bundle folder [default: models/<spec name>].")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Override train.epochs.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override train.seed.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    cpu: Annotated[
        bool, typer.Option("--cpu", help="Train on the CPU even if a GPU is seen.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted run from its last completed epoch."),
    ] = False,
) -> None:
    """Train the model SPEC describes and save it as a bundle folder."""
    from forecaster.spec import load_spec

    spec = load_spec(spec_path)
    overrides: dict[str, Any] = {
        "data.path": str(data) if data else None,
        "train.epochs": epochs,
        "train.seed": seed,
    }
    spec = spec.with_overrides(**{k: v for k, v in overrides.items() if v is not None})
    out_dir = out or Path("models") / spec.name

    _start_tensorflow()
    from forecaster.train import train

    bundle = train(spec, out_dir, quiet=quiet, force_cpu=cpu, resume=resume)
    if not quiet:
        typer.echo(f"saved bundle {bundle}", err=True)
        _print_scores(bundle)


@app.command("predict")
@_reports_errors
def predict_command(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder written by `forecast train`.")],
    data: Annotated[
        Path | None, typer.Option(help="CSV of recent history [default: the spec's data.path].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the forecast CSV here [default: stdout].")
    ] = None,
) -> None:
    """Forecast the horizon steps after the last row of the CSV."""
    if out is not None and out.is_dir():
        raise InputError(
            f"{out}: is a folder; expected a file name; fix: use --out {out / 'forecast.csv'}"
        )
    _start_tensorflow()
    from forecaster.bundle import load_bundle

    forecaster = load_bundle(bundle)
    forecast = forecaster.predict_csv(data or forecaster.spec.data.path)
    if out is None:
        forecast.to_csv(sys.stdout, index=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        forecast.to_csv(out, index=False)
        typer.echo(f"wrote {len(forecast)} forecast rows to {out}", err=True)


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


def _print_scores(bundle: Path) -> None:
    """The test-period table: the model beside the naive forecasts it has to beat."""
    from forecaster.bundle import METRICS_FILE, read_json

    test = read_json(bundle / METRICS_FILE).get("test")
    if not test:
        return
    typer.echo(f"test period ({test['windows']} windows):", err=True)
    typer.echo(f"  {'forecast':<16}{'MAE':>10}{'RMSE':>10}{'MASE':>8}", err=True)
    for name in ("model", "naive", "seasonal_naive"):
        row = test[name]
        mase = "n/a" if row["mase"] is None else f"{row['mase']:.3f}"
        typer.echo(f"  {name:<16}{row['mae']:>10.4f}{row['rmse']:>10.4f}{mase:>8}", err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
