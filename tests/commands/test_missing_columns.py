"""A column the spec or the bundle names but the file lacks is one line and exit 2, worded
the same for long data (one row per series and time) as for a wide CSV: the file, the
missing column, the columns found, a close name, and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()

SPEC_FIX = "fix: check data.targets / data.covariates in the spec"


def refused(args: list[str]) -> str:
    """The one error line of a command that must exit 2."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "KeyError" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0].removeprefix("error: ")


def stores() -> pd.DataFrame:
    """Long data with a future covariate, ``temp`` (the day's forecast temperature)."""
    frame = synthetic_panel()
    frame["temp"] = np.round(20 + 5 * np.cos(np.arange(len(frame)) / 3), 2)
    return frame


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_long_file_without_its_target_is_refused_like_a_wide_one(
    tmp_path: Path, suffix: str
) -> None:
    frame = stores().rename(columns={"sales": "sale"})
    data = write(frame, tmp_path / f"stores{suffix}")
    spec = write_panel_spec(tmp_path / "panel.yaml", data)
    message = refused(["train", str(spec), "--out", str(tmp_path / "bundle")])
    assert message == (
        f"{data}: column 'sales' is missing; found columns: region, sale, temp; did you mean "
        f"'sale'?; {SPEC_FIX}"
    )
    assert not (tmp_path / "bundle").exists()
    # a wide CSV, as it was answered before
    csv = write(synthetic_frame().rename(columns={"y": "yy"}), tmp_path / "series.csv")
    spec = write_spec(tmp_path / "tiny.yaml", csv)
    message = refused(["train", str(spec), "--out", str(tmp_path / "bundle")])
    assert message == (
        f"{csv}: column 'y' is missing; found columns: yy, x; did you mean 'yy'?; {SPEC_FIX}"
    )


@pytest.fixture(scope="module")
def long_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A tiny model of four stores with a future covariate; its history and FUTURE files."""
    folder = tmp_path_factory.mktemp("long")
    frame = stores()
    csv = write(frame, folder / "stores.csv")
    spec = write_panel_spec(
        folder / "panel.yaml", csv, data={"future_covariates": ["temp"]}, train={"epochs": 1}
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--cpu"])
    assert result.exit_code == 0, result.output
    by_store = frame.groupby("store", sort=False)
    history = write(frame.drop(by_store.tail(7).index), folder / "history.csv")
    future = write(by_store.tail(7)[["store", "date", "temp"]], folder / "future.csv")
    result = runner.invoke(
        app, ["predict", str(bundle), "--data", str(history), "--future", str(future)]
    )
    assert result.exit_code == 0, result.output  # the files as they are forecast
    return bundle, history, future


@pytest.fixture(scope="module")
def wide_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """One series with a future covariate ``z``; its history and FUTURE files."""
    folder = tmp_path_factory.mktemp("wide")
    frame = synthetic_frame()
    frame["z"] = np.round(np.cos(np.arange(len(frame)) / 5), 3)
    csv = write(frame, folder / "series.csv")
    spec = write_spec(
        folder / "tiny.yaml", csv, data={"future_covariates": ["z"]}, train={"epochs": 1}
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--cpu"])
    assert result.exit_code == 0, result.output
    history = write(frame.iloc[:-6], folder / "history.csv")
    future = write(frame.iloc[-6:][["timestamp", "z"]], folder / "future.csv")
    return bundle, history, future


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_long_history_without_a_target_is_refused_like_wide_history(
    long_bundle: tuple[Path, Path, Path],
    wide_bundle: tuple[Path, Path, Path],
    tmp_path: Path,
    suffix: str,
) -> None:
    bundle, history, future = long_bundle
    lacking = write(pd.read_csv(history).drop(columns="sales"), tmp_path / f"history{suffix}")
    message = refused(["predict", str(bundle), "--data", str(lacking), "--future", str(future)])
    assert message == (
        f"{lacking}: column 'sales' is missing; found columns: region, temp; fix: the model "
        "was trained on time column 'date' and columns sales, temp; pass history with those "
        "names"
    )
    # a wide bundle, as it was answered before
    bundle, history, future = wide_bundle
    lacking = write(pd.read_csv(history).drop(columns="y"), tmp_path / f"wide{suffix}")
    message = refused(["predict", str(bundle), "--data", str(lacking), "--future", str(future)])
    assert message == (
        f"{lacking}: column 'y' is missing; found columns: x, z; fix: the model was trained on "
        "time column 'timestamp' and columns y, x, z; pass history with those names"
    )


def test_long_future_without_a_covariate_is_refused_like_wide_future(
    long_bundle: tuple[Path, Path, Path], wide_bundle: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    bundle, history, future = long_bundle
    lacking = write(pd.read_csv(future).rename(columns={"temp": "tmp"}), tmp_path / "future.csv")
    message = refused(["predict", str(bundle), "--data", str(history), "--future", str(lacking)])
    assert message == (
        f"{lacking}: column 'temp' is missing; found columns: tmp; did you mean 'tmp'?; fix: "
        "the model was trained with future covariates temp; pass FUTURE with the time column "
        "'date', the id columns store and those columns"
    )
    # a wide bundle, as it was answered before
    bundle, history, future = wide_bundle
    lacking = write(pd.read_csv(future).rename(columns={"z": "w"}), tmp_path / "wide.csv")
    message = refused(["predict", str(bundle), "--data", str(history), "--future", str(lacking)])
    assert message == (
        f"{lacking}: column 'z' is missing; found columns: w; fix: the model was trained with "
        "future covariates z; pass FUTURE with the time column 'timestamp' and those columns"
    )
