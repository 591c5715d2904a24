"""``per_series.csv``'s table: one row per series, its key first, whatever the id columns
are called."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import Panel
from forecaster.data.reading import read_rows
from forecaster.data.rows import long_panel
from forecaster.evaluation.scoring import per_series_scores


def panel_with_ids(tmp_path: Path, names: list[str]) -> Panel:
    frames = []
    for k in range(2):
        rows = pd.DataFrame({name: f"{name}{k}" for name in names}, index=range(4))
        rows["date"] = pd.date_range("2020-01-01", periods=4, freq="D").strftime("%Y-%m-%d")
        rows["sales"] = np.arange(4.0) + 10 * k
        frames.append(rows)
    path = tmp_path / "rows.csv"
    pd.concat(frames).to_csv(path, index=False)
    frame, where = read_rows(path, None, (), names)
    return long_panel(frame, where, str(path), id_columns=names, time_column="date")


@pytest.mark.parametrize(
    ("names", "columns"),
    [
        (["series"], ["series"]),  # the key is the one id column's value
        (["series", "region"], ["series", "series (id)", "region"]),
        (["windows", "model_mae"], ["series", "windows (id)", "model_mae (id)"]),
    ],
)
def test_id_columns_named_like_the_tables_own_columns_keep_both(
    tmp_path: Path, names: list[str], columns: list[str]
) -> None:
    panel = panel_with_ids(tmp_path, names)
    actual = np.zeros((2, 1, 1))
    forecasts = {"model": np.array([[[1.0]], [[3.0]]])}
    table = per_series_scores(actual, forecasts, np.arange(2), np.full((2, 1, 1), 2.0), panel)
    assert list(table.columns[: len(columns)]) == columns
    assert list(table["series"]) == panel.labels
    assert list(table["windows"]) == [1, 1]
    assert list(table["model_mae"]) == [1.0, 3.0]
    assert list(table["model_mase"]) == [0.5, 1.5]
