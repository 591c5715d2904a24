"""Interval levels are never silently empty: a level needs ``L / (100 - L)`` calibration
windows (19 for 95%); a split with fewer is refused before training (train, backtest),
``forecast evaluate`` scores only the model's intervals when the new data's validation
period is too short for the baselines', and a bundle saved with a level that has no bounds
forecasts without it, saying so."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.errors import InputError
from forecaster.evaluation.intervals import conformal_quantile
from forecaster.model.preparation import load_data, prepare
from forecaster.spec import load_spec, windows_needed
from forecaster.storage.files import file_sha256
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()

# validation steps minus the horizon's 6, plus 1: 18 windows, one short of what 95% needs
SHORT_SPLIT = {"split": {"val_steps": 23, "test_steps": 30}}
REFUSAL = (
    "intervals.levels 95 needs at least 19 calibration windows; the validation period has "
    "18; fix: lengthen the validation period (data.split) by at least 1 step(s), or drop 95 "
    "from intervals.levels"
)


def short_spec(folder: Path, **sections: dict) -> tuple[Path, Path]:
    csv = folder / "series.csv"
    synthetic_frame().to_csv(csv, index=False)
    spec = write_spec(
        folder / "short.yaml",
        csv,
        data=SHORT_SPLIT,
        intervals={"levels": [80, 95]},
        train={"epochs": 1},
        **sections,
    )
    return spec, csv


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, output
    return lines[0].removeprefix("error: ")


def test_a_level_needs_level_over_100_minus_level_windows() -> None:
    assert [windows_needed(level) for level in (50, 80, 90, 95, 99)] == [1, 4, 9, 19, 99]
    rng = np.random.default_rng(0)
    for level in range(1, 100):
        need = windows_needed(level)
        scores = rng.random((need, 3, 2))
        assert np.isfinite(conformal_quantile(scores, level)).all(), level
        if need > 1:
            assert np.isinf(conformal_quantile(scores[:-1], level)).all(), level
        assert math.ceil((need + 1) * level / 100) <= need  # the rank the quantile reads


def test_rolling_calibration_windows_below_a_levels_need_are_refused_in_the_spec(
    tmp_path: Path,
) -> None:
    spec = write_spec(
        tmp_path / "rolling.yaml",
        tmp_path / "series.csv",
        intervals={"levels": [80, 95], "calibration_windows": 10},
    )
    with pytest.raises(InputError) as caught:
        load_spec(spec)
    assert str(caught.value) == (
        f"{spec}: intervals: calibration_windows 10 is too few for level 95, which needs at "
        "least 19 calibration windows; expected calibration_windows of at least 19, or "
        "levels without 95; fix: change intervals"
    )


def test_the_split_is_checked_against_the_levels_before_training(tmp_path: Path) -> None:
    spec_path, csv = short_spec(tmp_path)
    spec = load_spec(spec_path)
    panel = load_data(spec)
    with pytest.raises(InputError) as caught:
        prepare(spec, panel)
    assert str(caught.value) == f"{csv}: {REFUSAL}"
    # one more validation step, one more window: 19, as many as 95% needs
    longer = spec.data.split.model_copy(update={"val_steps": 24})
    spec = spec.model_copy(update={"data": spec.data.model_copy(update={"split": longer})})
    assert len(prepare(spec, panel).val_windows) == 19


def test_many_series_count_their_windows_together(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel().to_csv(csv, index=False)
    spec = load_spec(write_panel_spec(tmp_path / "panel.yaml", csv, intervals={"levels": [99]}))
    with pytest.raises(InputError) as caught:
        prepare(spec, load_data(spec))
    # three series long enough (the fourth is left out), 14 - 7 + 1 = 8 windows each
    assert str(caught.value) == (
        f"{csv}: intervals.levels 99 needs at least 99 calibration windows; the validation "
        "period has 24; fix: lengthen the validation period (data.split) by at least 25 "
        "step(s) in every series, or drop 99 from intervals.levels"
    )


def test_train_refuses_too_few_calibration_windows_before_training(tmp_path: Path) -> None:
    spec, csv = short_spec(tmp_path)
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--cpu"])
    assert result.exit_code == 2, result.output
    assert error_line(result.output) == f"{csv}: {REFUSAL}"
    assert "Epoch" not in result.output and "loss" not in result.output
    assert not bundle.exists()
    assert not list(tmp_path.glob(".bundle*"))  # no checkpoint: no epoch was run


def test_backtest_refuses_too_few_calibration_windows_per_fold(tmp_path: Path) -> None:
    """Each fold recalibrates on its own validation windows, as many as the spec's."""
    spec, csv = short_spec(tmp_path, evaluation={"folds": 2})
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--out", str(out), "--cpu", "--quiet"])
    assert result.exit_code == 2, result.output
    assert error_line(result.output) == f"{csv}: {REFUSAL}"
    assert not out.exists()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """80% and 95% intervals on 75 validation windows (a fifth of 400 rows)."""
    folder = tmp_path_factory.mktemp("levels")
    csv = folder / "series.csv"
    synthetic_frame().to_csv(csv, index=False)
    spec = write_spec(
        folder / "tiny.yaml", csv, intervals={"levels": [80, 95]}, train={"epochs": 1}
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--cpu"])
    assert result.exit_code == 0, result.output
    return bundle, csv


def all_finite(intervals: dict) -> bool:
    return all(
        value is not None and np.isfinite(value).all()
        for by_forecast in intervals.values()
        for scores in by_forecast.values()
        for key, value in scores.items()
        if key != "level"
    )


def test_evaluate_scores_only_the_models_intervals_when_validation_is_too_short(
    bundle: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, csv = bundle
    recent = tmp_path / "recent.csv"
    pd.read_csv(csv).head(110).to_csv(recent, index=False)  # 22 validation rows: 17 windows
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", str(folder), "--data", str(recent), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        f"note: {recent}: the validation period has 17 windows, too few to calibrate the "
        "baselines' 95% intervals (at least 19 needed); only the model's intervals, with "
        "the bundle's calibration, are scored; fix: evaluate on data with a longer "
        "validation period"
    ) in result.output
    intervals = json.loads((out / "metrics.json").read_text())["test"]["intervals"]
    assert set(intervals) == {"80", "95"}
    assert all(set(by_forecast) == {"model"} for by_forecast in intervals.values())
    assert all_finite(intervals)
    assert "width inf" not in result.output and "nan" not in result.output


def test_a_bundle_level_without_bounds_is_left_out_of_forecasts_with_a_note(
    bundle: tuple[Path, Path], tmp_path: Path
) -> None:
    """Bundles trained before the refusal saved such a level's widths as nulls."""
    folder = tmp_path / "old"
    shutil.copytree(bundle[0], folder)
    settings = json.loads((folder / "preprocessing.json").read_text())
    settings["calibration"]["95"] = [[None]] * 6
    (folder / "preprocessing.json").write_text(json.dumps(settings))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["preprocessing.json"] = file_sha256(folder / "preprocessing.json")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["predict", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        f"note: {folder}: its 95% intervals were calibrated on too few windows and have no "
        "bounds; forecasts leave them out; fix: train again with a longer validation period "
        "(data.split) or without 95 in intervals.levels"
    ) in result.output
    forecast = pd.read_csv(out)
    assert list(forecast.columns) == ["timestamp", "y", "y_lo_80", "y_hi_80"]
    assert forecast.notna().all().all()
