"""The README's numbers come from a results file, never typed by hand: its demo table is
checked against ``benchmarks/results/examples.json`` (written by ``make bench-examples``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROWS = {"GRU": "model", "naive (repeat": "naive", "seasonal naive": "seasonal_naive"}


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 160


def test_the_demo_table_is_the_results_files() -> None:
    results = json.loads((ROOT / "benchmarks/results/examples.json").read_text())
    test = results["runs"]["demo"]["metrics"]["test"]
    table = re.search(r"<!-- demo-table: [^>]*-->\n(.*?)<!-- /demo-table -->", README, re.S)
    assert table is not None, "the README's demo table lost its markers"
    seen = set()
    for line in table.group(1).splitlines()[2:]:
        cells = [cell.strip(" *") for cell in line.strip("|").split("|")]
        forecast = next(name for start, name in ROWS.items() if cells[0].startswith(start))
        expected = [f"{test[forecast][score]:.3f}" for score in ("mae", "rmse", "mase")]
        assert cells[1:4] == expected, f"{cells[0]}: README {cells[1:4]}, results {expected}"
        seen.add(forecast)
    assert seen == set(ROWS.values())


def test_the_panel_scores_are_the_panels_results_file() -> None:
    """The many-series section's test scores are those `make bench-panels` wrote."""
    runs = json.loads((ROOT / "benchmarks/results/panels.json").read_text())["runs"]
    retail = runs["retail: models/retail-gru.yaml"]["metrics"]["test"]
    m1 = runs["m1: models/retail-gru.yaml"]["metrics"]["test"]
    section = README[README.index("## Many series") : README.index("## LSTM or GRU?")]
    text = " ".join(section.split())
    forecasts = ("model", "auto_ets", "theta")
    retail_mase = [f"{retail[name]['mase']:.3f}" for name in forecasts]
    retail_smape = [f"{retail[name]['smape']:.2f}" for name in forecasts]
    m1_mase = [f"{m1[name]['mase']:.3f}" for name in forecasts]
    assert (
        f"MASE is {retail_mase[0]} against AutoETS's {retail_mase[1]} and Theta's "
        f"{retail_mase[2]} (sMAPE {retail_smape[0]} against {retail_smape[1]} and "
        f"{retail_smape[2]})"
    ) in text
    assert f"scores MASE {m1_mase[0]} against {m1_mase[1]} and {m1_mase[2]}" in text
