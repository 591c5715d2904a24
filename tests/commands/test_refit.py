"""``train.refit`` / ``forecast train --refit``: the bundle forecasts with the network
trained again on every row, its scalers fit on every row, while the scores stay the
validated model's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()
INTERVALS = {"levels": [80], "method": "conformal"}


def read(bundle: Path, name: str) -> Any:
    return json.loads((bundle / name).read_text())


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """One series trained twice with the same seed: as validated, and with --refit."""
    folder = tmp_path_factory.mktemp("refit-wide")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(
        folder / "tiny.yaml", csv, train={"epochs": 3, "patience": 3}, intervals=INTERVALS
    )
    plain, refit = folder / "plain", folder / "refit"
    forecaster.train(spec, out=plain, quiet=True)
    result = runner.invoke(app, ["train", str(spec), "--out", str(refit), "--refit", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "refit on all 300 rows" in result.output
    return plain, refit, csv


def test_the_refit_scaler_is_fit_on_every_row(wide: tuple[Path, Path, Path]) -> None:
    plain, refit, csv = wide
    rows = pd.read_csv(csv)[["y", "x"]].to_numpy()
    refit_scaler = read(refit, "preprocessing.json")["series_scalers"][""]
    assert refit_scaler["center"] == pytest.approx(rows.mean(axis=0).tolist())
    assert refit_scaler["scale"] == pytest.approx(rows.std(axis=0).tolist())
    # the validated bundle's: its 60% training rows alone (default split 0.2 / 0.2)
    plain_scaler = read(plain, "preprocessing.json")["series_scalers"][""]
    assert plain_scaler["center"] == pytest.approx(rows[:180].mean(axis=0).tolist())


def test_the_refit_trains_for_the_validated_best_epoch(wide: tuple[Path, Path, Path]) -> None:
    plain, refit, _ = wide
    best = read(plain, "manifest.json")["training"]["best_epoch"]
    record = read(refit, "metrics.json")["refit"]
    assert record["epochs"] == best and len(record["losses"]) == best
    assert record["rows"] == 300 and record["validated_rows"] == 180
    assert record["through"] == "2024-01-13 11:00:00"  # the last of 300 hourly rows
    # windows whose whole horizon lies in the 300 rows, from lookback 24, horizon 6 on
    assert record["windows"] == 300 - 24 - 6 + 1
    assert read(refit, "manifest.json")["training"]["refit"]["epochs"] == best
    # history.csv is the validated run's (what the scores and best epoch come from)
    assert len(pd.read_csv(refit / "history.csv")) == len(pd.read_csv(plain / "history.csv"))


def test_the_scores_gate_and_widths_stay_the_validated_models(
    wide: tuple[Path, Path, Path],
) -> None:
    plain, refit, _ = wide
    plain_metrics, refit_metrics = read(plain, "metrics.json"), read(refit, "metrics.json")
    assert "refit" not in plain_metrics
    for period in ("val", "test"):
        assert refit_metrics[period] == plain_metrics[period]
    plain_prep, refit_prep = read(plain, "preprocessing.json"), read(refit, "preprocessing.json")
    assert refit_prep["calibration"] == plain_prep["calibration"]
    assert refit_prep.get("fallback") == plain_prep.get("fallback")
    report = (refit / "report.html").read_text()
    assert "About these scores" in report and "validated model" in report


def test_a_refit_bundle_forecasts_differently(wide: tuple[Path, Path, Path]) -> None:
    plain, refit, csv = wide
    history = pd.read_csv(csv)
    from_plain = forecaster.load(plain).predict(history)
    from_refit = forecaster.load(refit).predict(history)
    assert list(from_refit.columns) == list(from_plain.columns)
    assert list(from_refit["timestamp"]) == list(from_plain["timestamp"])
    assert np.isfinite(from_refit["y"]).all()
    assert not np.allclose(from_refit["y"], from_plain["y"])
    # the same widths, in units of the (refit) series scale
    width = (from_refit["y_hi_80"] - from_refit["y"]).to_numpy()
    scale = read(refit, "preprocessing.json")["series_scalers"][""]["scale"][0]
    calibration = np.asarray(read(refit, "preprocessing.json")["calibration"]["80"])[:, 0]
    assert width == pytest.approx(calibration * scale, rel=1e-4)


def test_evaluate_says_a_refit_model_trained_on_the_scored_rows(
    wide: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, refit, _ = wide
    result = runner.invoke(app, ["evaluate", str(refit), "--out", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    assert "partly in-sample" in result.output
    metrics = read(tmp_path / "ev", "metrics.json")
    assert metrics["refit"] == {"through": "2024-01-13 11:00:00", "overlaps_scored_periods": True}


def test_long_data_refits_each_series_on_all_its_rows(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel().to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "panel.yaml", csv, train={"refit": True})
    plain, refit = tmp_path / "plain", tmp_path / "refit"
    plain_spec = write_panel_spec(tmp_path / "plain.yaml", csv)
    forecaster.train(plain_spec, out=plain, quiet=True)
    forecaster.train(spec, out=refit, quiet=True)
    rows = pd.read_csv(csv)
    scalers = read(refit, "preprocessing.json")["series_scalers"]
    assert sorted(scalers) == ["s0", "s1", "s2"]  # s3, too short, stays out
    for store in ("s0", "s1", "s2"):
        sales = rows[rows.store == store]["sales"].to_numpy()
        assert scalers[store]["center"][0] == pytest.approx(sales.mean())
    record = read(refit, "metrics.json")["refit"]
    assert record["rows"] == 120 + 90 + 150
    assert record["validated_rows"] == 120 + 90 + 150 - 3 * 28
    assert record["through"] == "2020-06-12 00:00:00"  # s2: 150 days from 2020-01-15
    for period in ("val", "test"):
        assert read(refit, "metrics.json")[period] == read(plain, "metrics.json")[period]
    from_plain = forecaster.load(plain).predict(rows)
    from_refit = forecaster.load(refit).predict(rows)
    assert len(from_refit) == len(from_plain) == 4 * 7  # every series, s3 too
    assert not np.allclose(from_refit["sales"], from_plain["sales"])


def test_the_option_sets_train_refit_and_its_absence_keeps_the_spec(tmp_path: Path) -> None:
    from forecaster.commands.options import train_inputs

    csv = tmp_path / "series.csv"
    spec = write_spec(tmp_path / "tiny.yaml", csv)
    assert train_inputs(spec, None)[0].train.refit is False  # off by default
    assert train_inputs(spec, None, refit=True)[0].train.refit is True
    on = write_spec(tmp_path / "on.yaml", csv, train={"refit": True})
    assert train_inputs(on, None, refit=False)[0].train.refit is True
