"""The Python API (``forecaster.train``, ``backtest``, ``evaluate``, ``compare``): the
same spec checks and use cases as the command line, on a tiny model."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.commands.backtest import BacktestRun
from forecaster.commands.evaluate import EvaluateResult
from forecaster.commands.train import TrainResult
from forecaster.errors import InputError
from forecaster.spec import load_spec
from tests.conftest import synthetic_frame, write_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, TrainResult]:
    folder = tmp_path_factory.mktemp("api")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(folder / "tiny.yaml", csv)
    return spec, csv, forecaster.train(spec, out=folder / "bundle", epochs=1, quiet=True)


def test_import_forecaster_loads_no_tensorflow_nor_the_spec_layer() -> None:
    code = (
        "import sys, forecaster; forecaster.train; "
        "print([m for m in ('tensorflow', 'keras', 'pandas', 'pydantic') if m in sys.modules])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_train_returns_the_typed_result_with_real_scores(
    trained: tuple[Path, Path, TrainResult],
) -> None:
    _, _, result = trained
    assert isinstance(result, TrainResult)
    assert result.bundle.name == "bundle" and (result.bundle / "model.keras").is_file()
    # the epochs option overrides train.epochs, as --epochs does
    assert len(result.fitted.history) == 1
    assert "epochs: 1" in (result.bundle / "spec.yaml").read_text()
    for period in ("val", "test"):
        for forecast in ("model", "naive", "seasonal_naive"):
            mae = result.metrics[period][forecast]["mae"]
            assert math.isfinite(mae) and mae > 0
    assert result.metrics == json.loads((result.bundle / "metrics.json").read_text())


def test_the_bundle_loads_and_forecasts_what_the_cli_predicts(
    trained: tuple[Path, Path, TrainResult], tmp_path: Path
) -> None:
    _, csv, result = trained
    out = tmp_path / "forecast.csv"
    cli = runner.invoke(app, ["predict", str(result.bundle), "--data", str(csv), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    from_cli = pd.read_csv(out)
    from_python = forecaster.load(result.bundle).predict(pd.read_csv(csv))
    assert len(from_python) == 6 and list(from_cli.columns) == ["timestamp", "y"]
    assert from_cli["timestamp"].tolist() == from_python["timestamp"].astype(str).tolist()
    np.testing.assert_allclose(from_cli["y"], from_python["y"], rtol=1e-5)


def test_evaluate_writes_to_the_default_folder_and_returns_its_metrics(
    trained: tuple[Path, Path, TrainResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, csv, result = trained
    monkeypatch.chdir(tmp_path)
    scores = forecaster.evaluate(result.bundle, data=csv)
    assert isinstance(scores, EvaluateResult)
    assert scores.folder == Path("evaluation") / "bundle"
    assert json.loads((tmp_path / "evaluation/bundle/metrics.json").read_text()) == scores.metrics
    # the same CSV cut by the same split: the test scores training wrote
    assert scores.metrics["test"]["model"]["mae"] == pytest.approx(
        result.metrics["test"]["model"]["mae"], rel=1e-5
    )


def test_backtest_takes_a_spec_object_and_returns_its_typed_result(
    trained: tuple[Path, Path, TrainResult], tmp_path: Path
) -> None:
    spec_path, _, _ = trained
    out = tmp_path / "backtest"
    run = forecaster.backtest(
        load_spec(spec_path), out=out, folds=2, window="sliding", epochs=1, quiet=True
    )
    assert isinstance(run, BacktestRun) and run.folder == out
    assert len(run.result.folds) == 2
    assert all(len(fold.history) == 1 for fold in run.result.folds)
    pooled = run.result.pooled.metrics
    assert pooled["windows"] == 2 * (30 - 6 + 1)
    assert math.isfinite(pooled["model"]["mae"]) and pooled["model"]["mae"] > 0
    written = json.loads((out / "backtest.json").read_text())
    assert written["window"] == "sliding" and written["pooled"] == pooled


def test_a_bad_spec_raises_what_the_cli_reports(tmp_path: Path, series_csv: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"data: {{path: {series_csv}, targets: [y]}}\nmodel: {{cell: rnn}}\n")
    cli = runner.invoke(app, ["train", str(spec), "--out", str(tmp_path / "cli")])
    assert cli.exit_code == 2

    with pytest.raises(InputError) as caught:
        forecaster.train(spec, out=tmp_path / "api")
    assert cli.output == f"error: {caught.value}\n"
    assert "model.cell" in str(caught.value)
    assert not (tmp_path / "api").exists() and not (tmp_path / "cli").exists()


def test_a_dict_spec_is_checked_like_the_yaml(tmp_path: Path, series_csv: Path) -> None:
    raw = yaml.safe_load(write_spec(tmp_path / "tiny.yaml", series_csv).read_text())
    raw["model"]["cell"] = "rnn"
    with pytest.raises(InputError, match="model.cell"):
        forecaster.backtest(raw, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_bad_option_names_the_call(spec_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^forecaster\.train: train\.epochs"):
        forecaster.train(spec_file, out=tmp_path / "out", epochs=0)
    with pytest.raises(InputError, match=r"evaluation\.window"):
        forecaster.backtest(spec_file, out=tmp_path / "out", window="rolling")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="spec file does not exist"):
        forecaster.train(tmp_path / "missing.yaml")
    with pytest.raises(TypeError, match="expected a path to a YAML spec"):
        forecaster.train(42)  # type: ignore[arg-type]


def test_compare_refuses_one_seed_before_training(spec_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 2 seeds"):
        forecaster.compare(spec_file, out=tmp_path / "out", seeds=1)
    assert not (tmp_path / "out").exists()
