"""TensorBoard logs and MLflow runs of `forecast train`; the MLflow extra missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.model.tracking import flat_metrics, flat_params

runner = CliRunner()


def test_spec_and_metrics_flatten_to_dotted_keys() -> None:
    raw = {"name": "x", "model": {"units": [64, 32], "segment_length": None}, "train": {"seed": 7}}
    assert flat_params(raw) == {
        "name": "x",
        "model.units": "[64, 32]",
        "model.segment_length": "null",
        "train.seed": "7",
    }
    metrics = {
        "val": {"model": {"mae": 1.0, "mape": float("nan")}, "naive": {"mae": 2.0}},
        "test": {
            "model": {"mae": 0.5, "per_step": {"mae": [0.4, 0.6]}},
            "skill": {"naive": {"mae": 0.25}},
            "windows": 10,
            "mase_scale": [1.0],
        },
    }
    assert flat_metrics(metrics) == {
        "val.model.mae": 1.0,
        "val.naive.mae": 2.0,
        "test.model.mae": 0.5,
        "test.skill.naive.mae": 0.25,
    }


def test_train_logs_to_tensorboard_and_mlflow(
    tmp_path: Path, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    store = (tmp_path / "mlruns").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # restored after the test
    bundle = tmp_path / "bundle"
    args = ["train", str(spec_file), "--out", str(bundle), "--quiet", "--epochs", "2"]
    result = runner.invoke(app, [*args, "--tensorboard", str(tmp_path / "tb"), "--mlflow"])
    assert result.exit_code == 0, result.output

    (run_dir,) = (tmp_path / "tb").iterdir()  # one run folder, named after the spec
    assert run_dir.name.startswith("tiny-")
    for side in ("train", "validation"):
        assert list((run_dir / side).glob("events.out.tfevents.*")), side
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train_events = EventAccumulator(str(run_dir / "train"))
    train_events.Reload()
    # per-epoch scalars, and "keras": the model's structure for the Graphs tab
    assert {"epoch_loss", "epoch_learning_rate", "keras"} <= set(train_events.Tags()["tensors"])
    assert len(train_events.Tensors("epoch_loss")) == 2

    client = MlflowClient(store)
    experiment = client.get_experiment_by_name("tiny")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["model.units"] == "[8]" and run.data.params["train.epochs"] == "2"
    assert run.data.tags["bundle"] == str(bundle.resolve())
    for key in ("test.model.mae", "test.naive.mae", "test.seasonal_naive.mae", "val.model.mae"):
        assert key in run.data.metrics, key
    history = client.get_metric_history(run.info.run_id, "epoch.val_loss")
    assert [point.step for point in history] == [1, 2]
    top = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert top == {"bundle", "report.html"}
    files = {item.path for item in client.list_artifacts(run.info.run_id, "bundle")}
    assert {"bundle/model.keras", "bundle/metrics.json", "bundle/spec.yaml"} <= files


def test_mlflow_missing_is_one_line_with_the_install_command(
    tmp_path: Path, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` raises ImportError
    out = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec_file), "--out", str(out), "--mlflow"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --mlflow: MLflow is not installed; fix: pip install 'forecaster[mlflow]', "
        "or leave out --mlflow"
    )
    assert not out.exists()  # refused before any training
