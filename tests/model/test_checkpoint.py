"""Resuming interrupted training: state restored exactly, other specs and data refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.commands.train import train
from forecaster.data.panel import Panel
from forecaster.data.reading import prepare_frame
from forecaster.errors import InputError
from forecaster.model.checkpoint import Checkpoint, checkpoint_folder
from forecaster.model.training import EpochLog, fit
from forecaster.spec import Spec, parse_spec
from tests.conftest import kill_when_paused, start_paused_cli, synthetic_frame, write_spec


class Interrupted(Exception):
    """Stands in for a kill in the middle of an epoch."""


def _spec(**train: object) -> Spec:
    # lr 0.5 makes validation loss worsen at epoch 4: the learning rate halves there and
    # early stopping ends the run after epoch 5, restoring epoch 3's weights
    settings = {"epochs": 8, "batch_size": 32, "seed": 3, "patience": 2, "learning_rate": 0.5}
    return parse_spec(
        {
            "data": {"path": "series.csv", "targets": ["y"], "covariates": ["x"]},
            "window": {"lookback": 24, "horizon": 6},
            "model": {"units": [4]},
            "train": {**settings, **train},
        }
    )


@pytest.fixture(scope="module")
def frame() -> Panel:
    wide = prepare_frame(synthetic_frame(300), time_column="timestamp", columns=["y", "x"])
    return Panel.single(wide)


@pytest.fixture(scope="module")
def uninterrupted(frame: Panel) -> object:
    return fit(_spec(), frame, quiet=True)


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, epochs_done: int) -> None:
    def on_train_batch_end(self: EpochLog, batch: int, logs: dict | None = None) -> None:
        if len(self.rows) == epochs_done and batch == 1:
            raise Interrupted

    monkeypatch.setattr(EpochLog, "on_train_batch_end", on_train_batch_end)


def _same_run(first: object, second: object) -> None:
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    columns = ["epoch", "loss", "val_loss", "learning_rate"]
    pd.testing.assert_frame_equal(first.history[columns], second.history[columns])


def test_resumed_training_is_the_uninterrupted_run(
    tmp_path: Path, frame: Panel, uninterrupted: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = uninterrupted.history
    # the scenario exercises every piece of state: a reduced learning rate, an early stop
    assert history["learning_rate"].iloc[-1] < history["learning_rate"].iloc[0]
    assert len(history) == 5 and uninterrupted.best_epoch == 3

    spec = _spec()
    checkpoint = Checkpoint(tmp_path / "bundle", spec, "data-hash")
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 4)
        with pytest.raises(Interrupted):
            fit(spec, frame, quiet=True, checkpoint=checkpoint)
    state = json.loads((checkpoint.folder / "state.json").read_text())
    assert state["epochs_done"] == 4 and state["early_stopping"]["wait"] == 1
    assert state["reduce_lr"]["best"] == pytest.approx(history["val_loss"].iloc[2])

    resumed_checkpoint = Checkpoint(tmp_path / "bundle", spec, "data-hash")
    assert resumed_checkpoint.prepare(resume=True).epochs_done == 4
    resumed = fit(spec, frame, quiet=True, checkpoint=resumed_checkpoint)
    assert resumed.resumed_at_epoch == 5
    _same_run(uninterrupted, resumed)


def test_resuming_a_finished_run_only_saves_the_bundle(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    spec = _spec().with_overrides(**{"data.path": str(series_csv)})
    out = tmp_path / "bundle"

    def fail_to_save(*args: object, **kwargs: object) -> None:
        raise Interrupted

    with monkeypatch.context() as patch:
        patch.setattr("forecaster.commands.train.save_bundle", fail_to_save)
        with pytest.raises(Interrupted):
            train(spec, out, quiet=True)
    assert not out.exists()
    assert json.loads((checkpoint_folder(out) / "state.json").read_text())["stopped"]

    def no_more_epochs(self: EpochLog, epoch: int, logs: dict | None = None) -> None:
        raise AssertionError("a finished run trained again")

    monkeypatch.setattr(EpochLog, "on_epoch_begin", no_more_epochs)
    train(spec, out, quiet=True, resume=True)
    assert "training had finished" in capsys.readouterr().err
    assert not checkpoint_folder(out).exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["epochs_run"] == 5 and manifest["training"]["best_epoch"] == 3


def _checkpoint_of(tmp_path: Path, frame: Panel, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = _spec(epochs=3)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 1)
        with pytest.raises(Interrupted):
            fit(spec, frame, quiet=True, checkpoint=Checkpoint(tmp_path / "b", spec, "hash-1"))
    return tmp_path / "b"


def test_resume_refuses_another_spec_data_or_a_damaged_checkpoint(
    tmp_path: Path, frame: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _checkpoint_of(tmp_path, frame, monkeypatch)
    with pytest.raises(InputError, match=r"different spec \(train.epochs was 3, now 4\)"):
        Checkpoint(out, _spec(epochs=4), "hash-1").prepare(resume=True)
    with pytest.raises(InputError, match="data changed since the interrupted run"):
        Checkpoint(out, _spec(epochs=3), "hash-2").prepare(resume=True)
    # the same data at another path resumes: data is compared by content
    moved = _spec(epochs=3).with_overrides(**{"data.path": "elsewhere/series.csv"})
    assert Checkpoint(out, moved, "hash-1").prepare(resume=True).epochs_done == 1

    state = checkpoint_folder(out) / "state.json"
    state.write_text(state.read_text().replace('"epochs_done": 1', '"epochs_done": 2'))
    with pytest.raises(InputError, match="checkpoint is damaged.*state.json does not match"):
        Checkpoint(out, _spec(epochs=3), "hash-1").prepare(resume=True)


def test_resume_without_a_checkpoint_starts_fresh_and_a_fresh_run_keeps_it_until_replaced(
    tmp_path: Path,
    frame: Panel,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    assert Checkpoint(tmp_path / "none", _spec(), "h").prepare(resume=True) is None
    assert "no checkpoint" in capsys.readouterr().err

    out = _checkpoint_of(tmp_path, frame, monkeypatch)
    assert Checkpoint(out, _spec(epochs=3), "hash-1").prepare(resume=False) is None
    assert "pass --resume to continue it" in capsys.readouterr().err
    assert checkpoint_folder(out).is_dir()


def test_a_run_killed_mid_epoch_resumes_through_the_cli_to_the_same_forecast(
    tmp_path: Path, series_csv: Path
) -> None:
    spec = write_spec(
        tmp_path / "tiny.yaml",
        series_csv,
        model={"units": [4], "dropout": 0.1},  # dropout: its random state must resume too
        train={"epochs": 4, "batch_size": 32, "patience": 3, "seed": 5},
    )
    out = tmp_path / "bundle"
    args = ["train", str(spec), "--out", str(out), "--quiet"]

    child, paused = start_paused_cli(args, tmp_path, "epoch", after_epochs=2)
    kill_when_paused(child, paused)
    assert not out.exists()  # nothing written to --out
    state = json.loads((tmp_path / ".bundle.checkpoint" / "state.json").read_text())
    assert state["epochs_done"] == 2

    refused = CliRunner().invoke(app, [*args, "--resume", "--epochs", "5"])
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1
    assert "different spec (train.epochs was 4, now 5)" in refused.output

    resumed = CliRunner().invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming from" in resumed.stderr and "epoch 3 of 4" in resumed.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["training"]["resumed_at_epoch"] == 3
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [1, 2, 3, 4]

    # the same run without the interruption forecasts exactly the same numbers
    reference = train(
        parse_spec(yaml.safe_load(spec.read_text())), tmp_path / "reference", quiet=True
    ).bundle
    history = pd.read_csv(series_csv)
    pd.testing.assert_frame_equal(
        forecaster.load(str(out)).predict(history),
        forecaster.load(str(reference)).predict(history),
        check_exact=True,
    )


def test_an_exponential_schedule_holds_then_decays_and_resumes_exactly(
    tmp_path: Path, frame: Panel, monkeypatch: pytest.MonkeyPatch
) -> None:
    schedule = {"kind": "exponential", "hold_epochs": 2, "factor": 0.5}
    spec = _spec(learning_rate=0.01, epochs=4, patience=10, lr_schedule=schedule)
    whole = fit(spec, frame, quiet=True)
    # epochs 1-2 at the initial rate, then halved every epoch
    np.testing.assert_allclose(whole.history["learning_rate"], [0.01, 0.01, 0.005, 0.0025])

    checkpoint = Checkpoint(tmp_path / "bundle", spec, "data-hash")
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 3)
        with pytest.raises(Interrupted):
            fit(spec, frame, quiet=True, checkpoint=checkpoint)
    assert json.loads((checkpoint.folder / "state.json").read_text())["reduce_lr"] == {}
    resumed_checkpoint = Checkpoint(tmp_path / "bundle", spec, "data-hash")
    resumed_checkpoint.prepare(resume=True)
    resumed = fit(spec, frame, quiet=True, checkpoint=resumed_checkpoint)
    assert resumed.resumed_at_epoch == 4
    _same_run(whole, resumed)
