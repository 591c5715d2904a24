"""The evaluation a user sees: the report in the bundle, `forecast evaluate` and
`forecast backtest` through the command line, on a tiny model."""

from __future__ import annotations

import base64
import io
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg
from typer.testing import CliRunner

import forecaster
from forecaster.cli import app
from forecaster.errors import BundleError
from tests.conftest import synthetic_frame, write_spec

runner = CliRunner()
METRIC_KEYS = {"mae", "rmse", "mape", "smape", "mase", "per_step", "per_target"}


class _Page(HTMLParser):
    """Collects headings and image sources; fails on anything pointing outside the page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.images: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes["src"] or "")
        assert "href" not in attributes and tag not in ("script", "link")
        self._in_heading = tag in ("h1", "h2")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings.append(data.strip())


def read_report(folder: Path) -> _Page:
    """Parse ``folder/report.html``; check every image is an embedded PNG that decodes,
    is not blank, and is also saved under ``plots/``."""
    page = _Page()
    page.feed((folder / "report.html").read_text(encoding="utf-8"))
    page.close()
    saved = {path.read_bytes() for path in (folder / "plots").glob("*.png")}
    assert page.images and len(saved) == len(page.images)
    for source in page.images:
        assert source.startswith("data:image/png;base64,")
        png = base64.b64decode(source.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and png in saved
        pixels = mpimg.imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 600 and pixels.std() > 0
    return page


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("evaluation")
    csv = folder / "series.csv"
    synthetic_frame(300).to_csv(csv, index=False)
    spec = write_spec(
        folder / "tiny.yaml",
        csv,
        model={"cell": "gru", "units": [4]},
        train={"epochs": 1, "batch_size": 32, "patience": 2, "seed": 7},
    )
    bundle = folder / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "--quiet"])
    assert result.exit_code == 0, result.output
    return spec, csv, bundle


def test_training_puts_a_sealed_report_in_the_bundle(trained: tuple[Path, Path, Path]) -> None:
    _, _, bundle = trained
    page = read_report(bundle)
    assert page.headings[0] == "tiny: training report"
    for heading in ("Test period", "Forecasts against actual values", "Error by forecast step"):
        assert heading in page.headings
    assert {"Forecast errors", "Training", "Validation period", "Spec", "Manifest"} <= set(
        page.headings
    )
    text = (bundle / "report.html").read_text()
    assert "skill vs naive" in text and "skill vs seasonal naive" in text


def test_the_bundle_checksums_cover_the_plots(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, _, bundle = trained
    files = json.loads((bundle / "manifest.json").read_text())["files"]
    assert {"report.html", "plots/loss.png", "plots/forecasts_y.png"} <= set(files)
    copy = Path(shutil.copytree(bundle, tmp_path / "copy"))
    (copy / "plots" / "loss.png").write_bytes(b"not the plot")
    with pytest.raises(BundleError, match="plots/loss.png does not match"):
        forecaster.load(str(copy))


def test_evaluate_scores_the_test_period_like_training_did(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, csv, bundle = trained
    evaluated = tmp_path / "out"
    result = runner.invoke(
        app, ["evaluate", str(bundle), "--data", str(csv), "--out", str(evaluated)]
    )
    assert result.exit_code == 0, result.output
    assert "skill vs naive" in result.output and "seasonal_naive" in result.output

    metrics = json.loads((evaluated / "metrics.json").read_text())
    trained_metrics = json.loads((bundle / "metrics.json").read_text())
    for period in ("val", "test"):
        for forecast in ("model", "naive", "seasonal_naive"):
            assert set(metrics[period][forecast]) >= METRIC_KEYS
            assert len(metrics[period][forecast]["per_step"]["mae"]) == 6
            assert metrics[period][forecast]["mae"] == pytest.approx(
                trained_metrics[period][forecast]["mae"], rel=1e-4
            )
    assert metrics["test"]["windows"] == 60 - 6 + 1
    page = read_report(evaluated)
    assert page.headings[0] == "tiny evaluated on series.csv"


def test_evaluate_refuses_to_write_into_a_bundle(trained: tuple[Path, Path, Path]) -> None:
    _, csv, bundle = trained
    result = runner.invoke(app, ["evaluate", str(bundle), "--data", str(csv), "--out", str(bundle)])
    assert result.exit_code == 2
    assert "is a bundle folder" in result.output


def test_backtest_through_the_command_line(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    spec, _, _ = trained
    out = tmp_path / "backtest"
    result = runner.invoke(
        app, ["backtest", str(spec), "--folds", "2", "--out", str(out), "--epochs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "fold 1/2: training rows 0-179, validation 180-239, test 240-269" in result.output
    assert "all folds (50 windows" in result.output

    backtest = json.loads((out / "backtest.json").read_text())
    assert backtest["folds"] == 2 and backtest["window"] == "expanding"
    assert [fold["rows"]["test"] for fold in backtest["per_fold"]] == [[240, 270], [270, 300]]
    for scores in (backtest["pooled"], *(fold["metrics"] for fold in backtest["per_fold"])):
        for forecast in ("model", "naive", "seasonal_naive"):
            assert set(scores[forecast]) >= METRIC_KEYS
        assert set(scores["skill"]) == {"naive", "seasonal_naive"}
    assert backtest["pooled"]["windows"] == 2 * (30 - 6 + 1)
    assert (
        backtest["environment"]["seed"] == 7
        and len(backtest["environment"]["data"]["sha256"]) == 64
    )
    page = read_report(out)
    assert page.headings[0] == "tiny: rolling-origin backtest, 2 folds"
    for heading in (
        "All folds together",
        "Folds",
        "Forecasts against actual values",
        "Environment",
    ):
        assert heading in page.headings


def test_backtest_with_too_many_folds_says_how_many_fit(
    trained: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    spec, _, _ = trained
    result = runner.invoke(app, ["backtest", str(spec), "--folds", "20", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "leave 3 rows per fold" in result.output and "at most 10 folds" in result.output
    assert not np.any([path.name == "backtest.json" for path in tmp_path.iterdir()])
