"""``train.ensemble`` end to end: members trained in turn, saved as plain Keras models,
combined by the median or mean; predict, evaluate, backtest and resume on the bundle."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import forecaster
import forecaster.model.ensemble as ensemble_module
from forecaster.bundle.forecasting import Forecaster
from forecaster.cli import app
from forecaster.commands.train import train
from forecaster.model.checkpoint import checkpoint_folder
from forecaster.spec import load_spec
from tests.conftest import synthetic_frame, synthetic_panel, write_panel_spec, write_spec

runner = CliRunner()


def member_forecasts(bundle: Path, history: pd.DataFrame, column: str = "") -> np.ndarray:
    """Each member's own forecast of ``column`` (the target by default), ``[members,
    rows]``: its plain Keras file with the bundle's preprocessing at its own lookback."""
    loaded = forecaster.load(bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    target = column or loaded.preprocessing.targets[0]
    forecasts = []
    for member in manifest["ensemble"]["members"]:
        model = keras.models.load_model(bundle / member["file"])  # plain Keras, no custom code
        prep = replace(loaded.preprocessing, lookback=member["lookback"])
        alone = Forecaster(model, loaded.spec, prep)
        forecasts.append(alone.predict(history)[target].to_numpy())
    return np.stack(forecasts)


@pytest.fixture(scope="module")
def one_series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """Three seeds of one model on one series, one epoch each, with 80% intervals."""
    folder = tmp_path_factory.mktemp("ensemble")
    csv = folder / "series.csv"
    synthetic_frame().to_csv(csv, index=False)
    spec = write_spec(
        folder / "ensemble.yaml",
        csv,
        train={"epochs": 1, "ensemble": {"seeds": 3}},
        intervals={"levels": [80]},
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    return bundle, csv, result.output


def test_the_bundle_forecasts_the_median_of_its_members_exactly(
    one_series: tuple[Path, Path, str],
) -> None:
    bundle, csv, output = one_series
    assert "an ensemble of 3 members" in output
    history = pd.read_csv(csv)
    forecast = forecaster.load(bundle).predict(history)
    members = member_forecasts(bundle, history)
    assert members.shape == (3, 6)
    assert not np.allclose(members[0], members[1])  # other seeds, other forecasts
    # three members: the median is one of them at every point, so equal to the bit
    np.testing.assert_array_equal(forecast["y"].to_numpy(), np.median(members, axis=0))
    # the calibrated bands surround the ensemble's forecast
    assert (forecast["y_lo_80"] < forecast["y"]).all()
    assert (forecast["y"] < forecast["y_hi_80"]).all()


def test_every_member_is_a_listed_plain_keras_file_and_scored(
    one_series: tuple[Path, Path, str],
) -> None:
    bundle, _, _ = one_series
    manifest = json.loads((bundle / "manifest.json").read_text())
    ensemble = manifest["ensemble"]
    assert ensemble["combine"] == "median" and ensemble["size"] == 3
    assert [m["seed"] for m in ensemble["members"]] == [7, 8, 9]
    for member in ensemble["members"]:
        assert member["file"] in manifest["files"]  # checksummed like the other files
        assert (bundle / member["file"]).is_file()
        assert (bundle / Path(member["file"]).parent / "history.csv").is_file()
        assert member["epochs_run"] == 1 and member["val"]["mase"] > 0
    # the top-level model is the ensemble itself, and loads with plain Keras too
    combined = keras.models.load_model(bundle / "model.keras")
    assert combined.name == "ensemble"
    assert [layer.name for layer in combined.layers if layer.name.startswith("member_")] == [
        "member_00",
        "member_01",
        "member_02",
    ]
    history = pd.read_csv(bundle / "history.csv")
    assert list(history["member"]) == [0, 1, 2]
    report = (bundle / "report.html").read_text()
    assert "Ensemble members" in report and "ensemble (median)" in report
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["val"]["model"]["mase"] > 0


def test_predict_and_evaluate_run_on_an_ensemble_bundle(
    one_series: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, csv, _ = one_series
    out = tmp_path / "forecast.csv"
    result = runner.invoke(app, ["predict", str(bundle), "--data", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = forecaster.load(bundle).predict(pd.read_csv(csv))
    np.testing.assert_allclose(pd.read_csv(out)["y"], expected["y"], rtol=1e-6)
    evaluated = tmp_path / "evaluated"
    arguments = ["evaluate", str(bundle), "--data", str(csv), "--out", str(evaluated)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    metrics = json.loads((evaluated / "metrics.json").read_text())
    training = json.loads((bundle / "metrics.json").read_text())
    assert metrics["test"]["model"]["mase"] == pytest.approx(training["test"]["model"]["mase"])


def test_long_data_with_two_lookbacks_forecasts_the_mean_of_its_members(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel().to_csv(csv, index=False)
    spec = write_panel_spec(
        tmp_path / "panel.yaml",
        csv,
        # mase: a loss Keras does not ship, so the bundle saves an uncompiled copy
        train={"epochs": 1, "loss": "mase", "ensemble": {"lookbacks": [7, 14], "combine": "mean"}},
    )
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    loaded = forecaster.load(bundle)
    assert loaded.lookback == 14  # the longest: what the ensemble reads
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert [m["lookback"] for m in manifest["ensemble"]["members"]] == [7, 14]
    # the 20-row store is too short for the longest lookback's windows: left out for all
    assert list(manifest["data"]["left_out_series"]) == ["s3"]
    history = pd.read_csv(csv, dtype={"store": str})
    history = history[history["store"] != "s3"]
    forecast = loaded.predict(history)
    members = member_forecasts(bundle, history)
    assert members.shape == (2, 3 * 7)
    np.testing.assert_allclose(forecast["sales"].to_numpy(), members.mean(axis=0), rtol=1e-6)


def test_a_quantile_head_ensemble_takes_the_median_of_every_quantile(
    tmp_path: Path, series_csv: Path
) -> None:
    spec = write_spec(
        tmp_path / "s.yaml",
        series_csv,
        train={"epochs": 1, "ensemble": {"seeds": 3}},
        intervals={"levels": [80], "method": "quantile"},
    )
    bundle = train(load_spec(spec), tmp_path / "bundle", quiet=True).bundle
    history = pd.read_csv(series_csv)
    forecast = forecaster.load(bundle).predict(history)
    for column in ("y", "y_lo_80", "y_hi_80"):
        members = member_forecasts(bundle, history, column)
        np.testing.assert_array_equal(forecast[column].to_numpy(), np.median(members, axis=0))
    assert (forecast["y_lo_80"] <= forecast["y_hi_80"]).all()


class Interrupted(Exception):
    pass


def test_resume_skips_the_members_already_trained(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    spec = load_spec(
        write_spec(tmp_path / "s.yaml", series_csv, train={"epochs": 1, "ensemble": {"seeds": 2}})
    )
    straight = train(spec, tmp_path / "straight", quiet=True)
    fit = ensemble_module.fit
    out = tmp_path / "bundle"

    def stop_at_the_second_member(member_spec, *args, **kwargs):  # type: ignore[no-untyped-def]
        if member_spec.train.seed == 8:
            raise Interrupted
        return fit(member_spec, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(ensemble_module, "fit", stop_at_the_second_member)
        with pytest.raises(Interrupted):
            train(spec, out, quiet=True)
    assert not out.exists()
    assert (checkpoint_folder(out) / "member-00" / "state.json").is_file()
    capsys.readouterr()

    resumed = train(spec, out, quiet=True, resume=True)
    assert "ensemble member 0 had finished" in capsys.readouterr().err
    assert not checkpoint_folder(out).exists()
    members = json.loads((out / "manifest.json").read_text())["ensemble"]["members"]
    assert [m["resumed_at_epoch"] for m in members] == [2, None]  # member 0 loaded, not run
    history = pd.read_csv(series_csv)
    np.testing.assert_array_equal(
        forecaster.load(out).predict(history)["y"],
        forecaster.load(straight.bundle).predict(history)["y"],
    )
    assert resumed.metrics["test"]["model"]["mae"] == straight.metrics["test"]["model"]["mae"]


def test_backtest_refits_every_member_in_every_fold(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = write_spec(
        tmp_path / "s.yaml",
        series_csv,
        train={"epochs": 1, "ensemble": {"seeds": 2}},
        evaluation={"folds": 2},
    )
    fits: list[int] = []
    fit = ensemble_module.fit

    def counted(member_spec, *args, **kwargs):  # type: ignore[no-untyped-def]
        fits.append(member_spec.train.seed)
        return fit(member_spec, *args, **kwargs)

    monkeypatch.setattr(ensemble_module, "fit", counted)
    out = tmp_path / "backtest"
    result = runner.invoke(app, ["backtest", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert fits == [7, 8, 7, 8]  # two folds, two members each
    backtest = json.loads((out / "backtest.json").read_text())
    assert len(backtest["per_fold"]) == 2 and backtest["pooled"]["model"]["mase"] > 0


def test_compare_trains_one_network_per_seed_and_cell_of_an_ensemble_spec(
    tmp_path: Path, series_csv: Path
) -> None:
    spec = write_spec(
        tmp_path / "s.yaml", series_csv, train={"epochs": 1, "ensemble": {"seeds": 2}}
    )
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(spec), "--seeds", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "train.ensemble is left out" in result.output
    variants = json.loads((out / "results.json").read_text())["variants"]
    assert {name: len(v["runs"]) for name, v in variants.items()} == {"lstm": 2, "gru": 2}
    for variant in variants.values():  # single networks: no members folder
        for run in variant["runs"]:
            assert (out / run["bundle"] / "model.keras").is_file()
            assert not (out / run["bundle"] / "members").exists()


def test_tune_searches_single_networks_and_the_best_spec_keeps_the_ensemble(
    tmp_path: Path, series_csv: Path
) -> None:
    spec = write_spec(
        tmp_path / "s.yaml",
        series_csv,
        train={"epochs": 1, "ensemble": {"seeds": 2}},
        tune={
            "tuner": "random",
            "max_trials": 2,
            "top": 1,
            "seeds": 2,
            "space": {"train.learning_rate": [0.001, 0.01]},
        },
    )
    out = tmp_path / "tuned"
    result = runner.invoke(app, ["tune", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "train.ensemble is left out of the search" in result.output
    best = load_spec(out / "best.yaml")
    assert best.train.ensemble is not None and best.train.ensemble.seeds == 2
