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
