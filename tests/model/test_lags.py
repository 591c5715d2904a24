"""``window.lags``: each target's scaled value ``lag`` rows earlier in its own series beside
every input row (0 before the series' first row), through training, the bundle and
predict."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from forecaster.cli import app
from forecaster.errors import InputError
from forecaster.model.windows import ModelRows, padded_inputs
from forecaster.spec import load_spec
from tests.conftest import synthetic_panel, write_panel_spec

runner = CliRunner()


def two_series_rows(lags: tuple[int, ...], pad: bool = False) -> ModelRows:
    """Series 0 is rows 0..5, series 1 rows 6..9; a target and a covariate column, one
    calendar column, one static column."""
    target = np.arange(10, dtype=np.float64) * 10.0  # 0, 10, ..., 90
    values = np.stack([target, -target], axis=1)  # [10, 2]
    return ModelRows(
        values=values,
        starts=np.array([0, 6, 10]),
        centers=np.array([[20.0, 0.0], [70.0, 0.0]]),
        scales=np.array([[10.0, 1.0], [5.0, 1.0]]),
        calendar=np.arange(10, dtype=np.float32)[:, None] / 10,
        statics=np.array([[3.0], [4.0]], dtype=np.float32),
        pad=pad,
        lags=lags,
        num_targets=1,
    )


def test_each_row_carries_its_series_earlier_target_values() -> None:
    rows = two_series_rows((1, 3))
    assert rows.num_columns == 2 + 1 + 2 + 1  # values, calendar, two lags, static
    taken = rows.take(np.array([[2, 3], [6, 9]]))  # [2, 2, 6]
    # row 2 of series 0: lag 1 is row 1 (10 -> (10 - 20) / 10 = -1), lag 3 before the start
    np.testing.assert_allclose(taken[0, 0], [0.0, -20.0, 0.2, -1.0, 0.0, 3.0])
    # row 3: lag 1 row 2 (0.0), lag 3 row 0 ((0 - 20) / 10 = -2)
    np.testing.assert_allclose(taken[0, 1, 3:5], [0.0, -2.0])
    # row 6 is series 1's first: both lags before it, never series 0's rows 5 and 3
    np.testing.assert_allclose(taken[1, 0, 3:5], [0.0, 0.0])
    # row 9: lag 1 row 8 ((80 - 70) / 5 = 2), lag 3 row 6 ((60 - 70) / 5 = -2)
    np.testing.assert_allclose(taken[1, 1, 3:5], [2.0, -2.0])


def test_padded_rows_have_zero_lags_and_the_observed_column_follows_them() -> None:
    rows = two_series_rows((1,), pad=True)
    assert rows.num_columns == 2 + 1 + 1 + 1 + 1
    window = padded_inputs(rows, np.array([[5, 6, 7]]), np.array([6]))  # [1, 3, 6]
    np.testing.assert_allclose(window[0, 0], [0.0, 0.0, 0.0, 0.0, 0.0, 4.0])  # padded
    # row 7: lag 1 is row 6 ((60 - 70) / 5 = -2); observed 1; static 4
    np.testing.assert_allclose(window[0, 2], [0.0, -70.0, 0.7, -2.0, 1.0, 4.0])


@pytest.mark.parametrize(
    ("window", "model", "words"),
    [
        ({"lags": [12, 12]}, {}, ["window.lags", "twice"]),
        ({"lags": [0]}, {}, ["window.lags", "1 to 100000"]),
        ({"lags": [7]}, {"channel_independent": True}, ["channel_independent", "window.lags"]),
    ],
)
def test_a_bad_lag_is_refused_in_one_line(
    tmp_path: Path, window: dict, model: dict, words: list[str]
) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel().to_csv(csv, index=False)
    path = write_panel_spec(tmp_path / "s.yaml", csv, window=window, model=model)
    with pytest.raises(InputError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_a_lagged_bundle_trains_reloads_and_forecasts(tmp_path: Path) -> None:
    csv = tmp_path / "stores.csv"
    synthetic_panel((120, 90, 150)).to_csv(csv, index=False)
    spec = write_panel_spec(tmp_path / "s.yaml", csv, window={"lags": [7, 14]})
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["train", str(spec), "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    assert json.loads((bundle / "preprocessing.json").read_text())["lags"] == [7, 14]
    model = keras.models.load_model(bundle / "model.keras", compile=False)
    assert model.inputs[0].shape[-1] == 1 + 2  # sales, then its lags 7 and 14
    tables = []
    for name in ("first.csv", "again.csv"):
        result = runner.invoke(
            app, ["predict", str(bundle), "--data", str(csv), "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        tables.append((tmp_path / name).read_text())
    assert "(28 rows)" in result.output  # the lookback of 14 and the longest lag, 14
    assert tables[0] == tables[1]
    assert len(tables[0].strip().splitlines()) == 1 + 3 * 7  # header, 3 series x horizon
