"""forecast tune: a tiny search end to end, its files, skipped trials, resuming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import forecaster.model.tuning
from forecaster.cli import app
from forecaster.commands.tune import tune
from forecaster.model.tuning import spec_fingerprint
from forecaster.spec import load_spec
from tests.conftest import write_spec

TUNE = {
    "tuner": "random",
    "max_trials": 3,
    "top": 1,
    "seeds": 2,
    "space": {
        "model.units": [[4], [8, 4]],
        "model.segment_length": [None, 5, 6],  # 5 does not divide the lookback of 24
        "train.learning_rate": {"min": 1.0e-3, "max": 1.0e-2, "log": True},
    },
}


def test_tune_writes_the_best_spec_and_resumes_without_retraining(
    tmp_path: Path, series_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_path = write_spec(tmp_path / "tiny.yaml", series_csv, train={"epochs": 1}, tune=TUNE)
    spec = load_spec(spec_path)
    out = tmp_path / "tuning"
    real_fit = forecaster.model.tuning.fit
    fitted: list[Any] = []

    def interrupted_fit(run_spec: Any, *args: Any, **kwargs: Any) -> Any:
        if fitted:  # the second training: as if Ctrl-C came mid-search
            raise KeyboardInterrupt
        fitted.append(run_spec)
        return real_fit(run_spec, *args, **kwargs)

    monkeypatch.setattr(forecaster.model.tuning, "fit", interrupted_fit)
    with pytest.raises(KeyboardInterrupt):
        tune(spec, out)
    first = fitted[0]

    resumed: list[Any] = []

    def counting_fit(run_spec: Any, *args: Any, **kwargs: Any) -> Any:
        resumed.append(run_spec)
        return real_fit(run_spec, *args, **kwargs)

    monkeypatch.setattr(forecaster.model.tuning, "fit", counting_fit)
    run = tune(spec, out)
    again = [(spec_fingerprint(s), s.train.seed) for s in resumed]
    assert (spec_fingerprint(first), first.train.seed) not in again  # trial 0 not retrained

    rows = run.results["trials"]
    assert [row["trial"] for row in rows] == ["0", "1", "2"]
    skipped = [row for row in rows if row["status"] == "skipped"]
    assert skipped and all(row["values"]["model.segment_length"] == 5 for row in skipped)
    assert "model.segment_length 5 does not divide window.lookback 24" in skipped[0]["reason"]

    table = pd.read_csv(out / "trials.csv")
    assert list(table.columns) == [
        "trial",
        *spec.tune.space,  # in the spec's order
        "status",
        "val_loss",
        "epochs",
        "best_epoch",
        "seconds",
        "reason",
    ]
    assert len(table) == 3 and (table["epochs"].dropna() == 1).all()
    assert table.loc[table["status"] == "skipped", "val_loss"].isna().all()

    # the best: the lowest mean over the same seeds, the starting spec among the candidates
    check = run.results["seed_check"]
    means = {name: c["mean"] for name, c in check["candidates"].items()}
    completed = [row for row in rows if row["status"] == "completed"]
    top = min(completed, key=lambda row: row["val_loss"])
    # tune.top 1: the best search trial and the starting spec, nothing else
    assert set(means) == {"start", top["trial"]}
    assert check["best"] == min(means, key=means.get)
    assert check["seeds"] == [7, 8] and all(
        len(c["losses"]) == 2 for c in check["candidates"].values()
    )
    assert check["candidates"][top["trial"]]["losses"][0] == top["val_loss"]  # the search run
    best = load_spec(out / "best.yaml")
    assert best.tune is None
    expected = spec.model.units if check["best"] == "start" else top["values"]["model.units"]
    assert best.model.units == expected
    assert "tune" not in yaml.safe_load((out / "best.yaml").read_text())
    page = (out / "report.html").read_text()
    assert "Seed check" in page and "does not divide" in page
    assert (out / "plots" / "objective_by_trial.png").is_file()

    # everything finished: a third run trains nothing
    resumed.clear()
    tune(spec, out)
    assert resumed == []


def test_tune_refuses_a_spec_without_a_space_and_a_changed_search(
    tmp_path: Path, series_csv: Path
) -> None:
    runner = CliRunner()
    plain = write_spec(tmp_path / "plain.yaml", series_csv)
    result = runner.invoke(app, ["tune", str(plain), "--out", str(tmp_path / "t")])
    assert result.exit_code == 2 and "has no tune section" in result.output
    assert result.output.strip().count("\n") == 0

    folder = tmp_path / "t2"
    (folder / "tuner").mkdir(parents=True)
    (folder / "tuner" / "search.json").write_text('{"spec": {}}')
    spec = write_spec(tmp_path / "s.yaml", series_csv, tune=TUNE)
    result = runner.invoke(app, ["tune", str(spec), "--out", str(folder)])
    assert result.exit_code == 2 and "started with another spec" in result.output

    result = runner.invoke(app, ["tune", str(spec), "--out", str(spec)])
    assert result.exit_code == 2 and "refusing to replace it" in result.output
