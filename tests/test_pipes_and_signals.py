"""A reader that closes the pipe early, and Ctrl-C during training, end a command the way a
shell script expects: no traceback, a known exit code, and nothing lost."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from tests.conftest import CHILD_TIMEOUT, synthetic_frame, write_spec

runner = CliRunner()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pipes")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(folder / "tiny.yaml", csv, train={"epochs": 1})
    out = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out, csv


def test_predict_into_a_pipe_closed_early_ends_quietly(bundle: tuple[Path, Path]) -> None:
    out, csv = bundle
    # `forecast predict ... | head -1` where head has already gone: the read end is closed
    # before the forecast is written, so every write meets a broken pipe
    child = subprocess.Popen(
        [sys.executable, "-m", "forecaster.cli", "predict", str(out), "--data", str(csv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    stderr = child.stderr.read().decode()
    code = child.wait(timeout=CHILD_TIMEOUT)
    assert code in (0, 141), stderr
    for word in ("Traceback", "BrokenPipeError", "Exception ignored", "error:"):
        assert word not in stderr, stderr


def test_ctrl_c_during_training_keeps_the_checkpoint_and_says_how_to_resume(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecaster.model.training as training

    spec = write_spec(tmp_path / "tiny.yaml", series_csv, train={"epochs": 3, "patience": 5})
    out = tmp_path / "models" / "tiny"

    def ctrl_c_in_the_second_epoch(self: object, batch: int, logs: object = None) -> None:
        if len(self.rows) == 1 and batch == 1:  # type: ignore[attr-defined]
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(training.EpochLog, "on_train_batch_end", ctrl_c_in_the_second_epoch)
        result = runner.invoke(app, ["train", str(spec), "--out", str(out), "--quiet"])
    assert result.exit_code == 130, result.output
    line = result.stderr.strip()
    assert line.count("\n") == 0 and "Traceback" not in line, line
    checkpoint = tmp_path / "models" / ".tiny.checkpoint"
    assert f"the checkpoint of epoch 1 is kept in {checkpoint}" in line, line
    assert json.loads((checkpoint / "state.json").read_text())["epochs_done"] == 1
    assert not out.exists()

    # the command the line gives continues from that epoch
    command = shlex.split(line.split("to continue from it: ")[1])
    assert command[:3] == ["forecast", "train", str(spec)] and command[-1] == "--resume"
    again = runner.invoke(app, [*command[1:], "--quiet"])
    assert again.exit_code == 0, again.output
    assert "resuming from" in again.stderr and "epoch 2 of 3" in again.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["resumed_at_epoch"] == 2
    assert not checkpoint.exists()
