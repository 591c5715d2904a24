"""End to end through the command line, as a user or a Makefile runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from tests.conftest import synthetic_frame, write_spec

    folder = tmp_path_factory.mktemp("e2e")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(folder / "tiny.yaml", csv)
    bundle = folder / "bundle"
    result = runner.invoke(
        app, ["train", str(spec), "--out", str(bundle), "--quiet", "--epochs", "2"]
    )
    assert result.exit_code == 0, result.output
    return spec, csv, bundle


def test_train_writes_a_complete_bundle(trained: tuple[Path, Path, Path]) -> None:
    _, _, bundle = trained
    names = {path.name for path in bundle.iterdir()}
    assert {
        "model.keras",
        "spec.yaml",
        "preprocessing.json",
        "manifest.json",
        "history.csv",
        "metrics.json",
    } <= names
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["device"] == "CPU" and manifest["seed"] == 7
    assert manifest["training"]["epochs_run"] == 2
    assert manifest["cudnn_eligible"] == {"gru_1": True}
    assert len(manifest["data"]["sha256"]) == 64
    metrics = json.loads((bundle / "metrics.json").read_text())
    for period in ("val", "test"):
        assert set(metrics[period]) >= {"model", "naive", "seasonal_naive", "skill"}
        assert len(metrics[period]["model"]["per_step"]["mae"]) == 6
    assert len(pd.read_csv(bundle / "history.csv")) == 2
    # the spec as trained, defaults filled in and the --epochs override applied
    assert "epochs: 2" in (bundle / "spec.yaml").read_text()
    assert not [p for p in bundle.parent.iterdir() if p.name.startswith(".")]


def test_cli_predict_python_api_and_plain_keras_agree(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, csv, bundle = trained
    out = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    from_cli = pd.read_csv(out)

    history = pd.read_csv(csv)
    fc = forecaster.load(str(bundle))
    from_python = fc.predict(history)

    # the table: time column first, named as in the input, continuing the hourly steps
    assert list(from_cli.columns) == ["timestamp", "y"] and len(from_cli) == 6
    last = pd.Timestamp(history["timestamp"].iloc[-1])
    assert pd.to_datetime(from_cli["timestamp"]).tolist() == [
        last + pd.Timedelta(hours=h) for h in range(1, 7)
    ]
    np.testing.assert_allclose(from_cli["y"], from_python["y"], rtol=1e-5)

    # plain Keras on the bundle's model gives the same numbers from the same window
    model = keras.models.load_model(bundle / "model.keras")
    prep = json.loads((bundle / "preprocessing.json").read_text())
    scaler = prep["series_scalers"][""]  # a wide CSV's one series has the key ""
    center, scale = np.array(scaler["center"]), np.array(scaler["scale"])
    window = (history[prep["columns"]].to_numpy()[-prep["lookback"] :] - center) / scale
    raw = np.asarray(model(window[None].astype(np.float32)))[0, :, 0]
    np.testing.assert_allclose(raw * scale[0] + center[0], from_python["y"], rtol=1e-4)


def test_predict_needs_lookback_rows_and_works_with_exactly_that(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, csv, bundle = trained
    history = pd.read_csv(csv)
    exact, short = tmp_path / "exact.csv", tmp_path / "short.csv"
    history.tail(24).to_csv(exact, index=False)
    history.tail(23).to_csv(short, index=False)
    ok = runner.invoke(app, ["predict", str(bundle), "--data", str(exact)])
    assert ok.exit_code == 0
    assert len(pd.read_csv(StringIO(ok.stdout))) == 6
    bad = runner.invoke(app, ["predict", str(bundle), "--data", str(short)])
    assert bad.exit_code == 2
    assert "has 23 rows" in bad.output and "needs the last 24" in bad.output


def test_predict_defaults_to_the_spec_csv_on_stdout(trained: tuple[Path, Path, Path]) -> None:
    _, _, bundle = trained
    result = runner.invoke(app, ["predict", str(bundle)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "timestamp,y"


def test_retraining_replaces_the_bundle_in_place(trained: tuple[Path, Path, Path]) -> None:
    spec, _, bundle = trained
    before = json.loads((bundle / "manifest.json").read_text())["created"]
    result = runner.invoke(
        app, ["train", str(spec), "--out", str(bundle), "--quiet", "--epochs", "1", "--seed", "11"]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["training"]["epochs_run"] == 1
    assert manifest["created"] >= before
    forecaster.load(str(bundle))  # checksums match the new files


def test_bad_spec_is_one_line_and_exit_2(tmp_path: Path, series_csv: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"data: {{path: {series_csv}, targets: [y]}}\nmodel: {{cell: rnn}}\n")
    result = runner.invoke(app, ["train", str(spec), "--out", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "model.cell" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "b").exists()


def test_help_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from forecaster.cli import app; import forecaster.spec; "
        "print([m for m in ('tensorflow', 'keras_tuner', 'mlflow') if m in sys.modules])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
