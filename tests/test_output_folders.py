"""Output folders: a folder is replaced only when every file in it is one forecaster wrote,
and a path that cannot be written is refused before any work."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.errors import InputError
from forecaster.storage.folders import (
    BACKTEST,
    BUNDLE,
    COMPARISON,
    EVALUATION,
    TUNING,
    check_replaceable,
)
from forecaster.storage.staging import staged_folder, write_sealed_folder

runner = CliRunner()


def _no_training(*args: object, **kwargs: object) -> None:
    raise AssertionError("training started")


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("forecaster.commands.train.fit", _no_training)
    monkeypatch.setattr("forecaster.commands.train.load_data", _no_training)


def _bundle(folder: Path) -> Path:
    """A sealed folder as ``forecast train`` writes one (manifest with every checksum)."""

    def write(staging: Path) -> None:
        (staging / "model.keras").write_bytes(b"model")
        (staging / "plots").mkdir()
        (staging / "plots" / "loss.png").write_bytes(b"png")

    return write_sealed_folder(folder, write, {"seed": 7})


def _refused(result: object, *words: str) -> str:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    message = result.stderr.strip()  # type: ignore[attr-defined]
    assert message.count("\n") == 0 and "Traceback" not in message, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def test_train_refuses_a_folder_whose_manifest_is_not_ours_before_training(
    tmp_path: Path, spec_file: Path, no_fit: None
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "manifest.json").write_text('{"name": "my web app", "start_url": "."}')
    (site / "index.html").write_text("<h1>mine</h1>")
    result = runner.invoke(app, ["train", str(spec_file), "--out", str(site), "--quiet"])
    message = _refused(result, str(site), "index.html", "fix:", "--out")
    assert "remove" in message
    assert (site / "index.html").read_text() == "<h1>mine</h1>"


def test_train_refuses_a_bundle_holding_a_file_its_manifest_does_not_list(
    tmp_path: Path, spec_file: Path, no_fit: None
) -> None:
    bundle = _bundle(tmp_path / "bundle")
    check_replaceable(bundle, BUNDLE)  # every file listed: ours, replaced by a new bundle
    (bundle / "plots" / "annotated.png").write_bytes(b"the user's")
    result = runner.invoke(app, ["train", str(spec_file), "--out", str(bundle), "--quiet"])
    _refused(result, "plots/annotated.png", "fix:")
    assert (bundle / "plots" / "annotated.png").read_bytes() == b"the user's"


def test_evaluate_refuses_a_folder_with_a_file_of_the_user_beside_metrics(tmp_path: Path) -> None:
    out = tmp_path / "evaluation"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    (out / "notes.md").write_text("my notes")
    result = runner.invoke(app, ["evaluate", str(tmp_path / "no-bundle"), "--out", str(out)])
    _refused(result, "notes.md", "fix:")
    assert (out / "notes.md").read_text() == "my notes"


def test_staged_folders_carry_a_marker_naming_their_kind_and_files(tmp_path: Path) -> None:
    from forecaster.storage.folders import MARKER_FILE

    out = tmp_path / "evaluation"
    with staged_folder(out, EVALUATION) as staging:
        (staging / "metrics.json").write_text("{}")
        (staging / "plots").mkdir()
        (staging / "plots" / "errors_y.png").write_bytes(b"png")
    marker = json.loads((out / MARKER_FILE).read_text())
    assert marker["kind"] == "evaluation"
    assert marker["files"] == ["metrics.json", "plots/errors_y.png"]
    check_replaceable(out, EVALUATION)
    # a file of a known name that this folder's marker does not list is not ours either
    (out / "report.html").write_text("the user's page")
    with pytest.raises(InputError, match="holds report.html, which forecaster did not write"):
        check_replaceable(out, EVALUATION)
    (out / "report.html").unlink()
    (out / "drafts").mkdir()  # an empty folder of the user's
    with pytest.raises(InputError, match="holds drafts"):
        check_replaceable(out, EVALUATION)
    (out / "drafts").rmdir()
    # the marker names the kind: an evaluation is not a backtest
    with pytest.raises(InputError, match="is an evaluation folder, not a backtest folder"):
        check_replaceable(out, BACKTEST)


def test_older_folders_without_a_marker_are_ours_when_they_hold_only_known_files(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old-evaluation"
    (old / "plots").mkdir(parents=True)
    for name in ("metrics.json", "report.html", "per_series.csv", "plots/errors_y.png"):
        (old / name).write_text("x")
    check_replaceable(old, EVALUATION)
    (old / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="holds notes.md"):
        check_replaceable(old, EVALUATION)

    comparison = tmp_path / "old-compare"
    comparison.mkdir()
    for name in ("results.json", "report.html", "error_by_step.png"):
        (comparison / name).write_text("x")
    _bundle(comparison / "lstm" / "seed-7")
    check_replaceable(comparison, COMPARISON)
    (comparison / "lstm" / "seed-7" / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="holds lstm/seed-7/notes.md"):
        check_replaceable(comparison, COMPARISON)


def test_a_tuning_folder_holding_a_file_of_the_user_is_refused(tmp_path: Path) -> None:
    tuning = tmp_path / "tuning"
    (tuning / "tuner" / "trial_0").mkdir(parents=True)
    (tuning / "tuner" / "search.json").write_text("{}")
    (tuning / "tuner" / "trial_0" / "trial.json").write_text("{}")  # KerasTuner's
    (tuning / "best.yaml").write_text("name: best")
    _bundle(tuning / "best")
    check_replaceable(tuning, TUNING)
    (tuning / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="holds notes.md"):
        check_replaceable(tuning, TUNING)


def test_a_link_inside_is_not_ours(tmp_path: Path) -> None:
    out = tmp_path / "backtest"
    with staged_folder(out, BACKTEST) as staging:
        (staging / "backtest.json").write_text("{}")
    (out / "data").symlink_to(tmp_path)
    with pytest.raises(InputError, match="holds data"):
        check_replaceable(out, BACKTEST)


def test_train_into_a_path_under_a_file_is_refused_before_training(
    tmp_path: Path, spec_file: Path, no_fit: None
) -> None:
    blocker = tmp_path / "models"
    blocker.write_text("a file, not a folder")
    result = runner.invoke(
        app, ["train", str(spec_file), "--out", str(blocker / "tiny"), "--quiet"]
    )
    _refused(result, str(blocker), "not a folder", "fix:")


def test_train_into_a_folder_that_cannot_be_written_is_refused_before_training(
    tmp_path: Path, spec_file: Path, no_fit: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests run as root, where permission bits do not stop a write: the probe is refused
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("forecaster.storage.folders.tempfile.mkstemp", refused)
    result = runner.invoke(
        app, ["train", str(spec_file), "--out", str(tmp_path / "models" / "tiny"), "--quiet"]
    )
    _refused(result, "Permission denied", "fix:")


def test_predict_out_under_a_file_is_refused_before_the_bundle_loads(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file, not a folder")
    result = runner.invoke(
        app, ["predict", str(tmp_path / "no-bundle"), "--out", str(blocker / "forecast.csv")]
    )
    _refused(result, str(blocker), "not a folder", "fix:")


def test_predict_write_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forecast = pd.DataFrame({"timestamp": ["2024-01-01 00:00:00"], "y": [1.5]})
    fake = SimpleNamespace(
        preprocessing=SimpleNamespace(id_columns=()),
        spec=SimpleNamespace(data=SimpleNamespace(path=tmp_path / "series.csv")),
        predict_csv=lambda *args: forecast,
    )
    monkeypatch.setattr("forecaster.commands.predict.load_bundle", lambda path: fake)
    out = tmp_path / "forecast.csv"

    def read_only(table: object, target: object) -> None:
        raise PermissionError(13, "Permission denied", os.fspath(target))

    monkeypatch.setattr("forecaster.commands.predict.write_table", read_only)
    result = runner.invoke(app, ["predict", str(tmp_path / "bundle"), "--out", str(out)])
    _refused(result, str(out), "Permission denied", "fix:")


def test_a_write_the_system_refuses_is_one_line_and_leaves_the_earlier_folder(
    tmp_path: Path,
) -> None:
    out = tmp_path / "backtest"
    with staged_folder(out, BACKTEST) as staging:
        (staging / "backtest.json").write_text("first")
    full = "backtest: cannot be written .No space left on device"
    with pytest.raises(InputError, match=full), staged_folder(out, BACKTEST) as staging:
        raise OSError(28, "No space left on device", str(staging / "backtest.json"))
    assert (out / "backtest.json").read_text() == "first"
    # an error about another file (an input read inside the block) is not the output's
    with pytest.raises(FileNotFoundError), staged_folder(out, BACKTEST):
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "data.csv"))


def test_a_forecast_predict_wrote_into_a_bundle_is_ours_and_a_users_file_beside_it_is_not(
    tmp_path: Path,
) -> None:
    from forecaster.storage.folders import record_output

    bundle = _bundle(tmp_path / "bundle")
    forecast = bundle / "forecast.csv"
    forecast.write_text("time,y\n")  # as `forecast predict --out BUNDLE/forecast.csv` does
    with pytest.raises(InputError, match="holds forecast.csv"):
        check_replaceable(bundle, BUNDLE)  # before predict noted it
    record_output(forecast)
    check_replaceable(bundle, BUNDLE)  # `make demo` twice: the retrain may replace it
    (bundle / "notes.md").write_text("mine")
    with pytest.raises(InputError, match="holds notes.md"):
        check_replaceable(bundle, BUNDLE)
    record_output(tmp_path / "elsewhere.csv")  # not inside a bundle: nothing is noted
    assert not (tmp_path / ".forecaster.json").exists()
