"""``window.pad``: windows reaching before a series' first row are padded (0, the series'
centre, on every scaled and calendar column; the series' static columns kept) with an
observed-row column, the same wherever windows are cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster.errors import InputError
from forecaster.model.periods import check_periods, window_origins
from forecaster.model.windows import ModelRows, WindowRanges, padded_inputs, window_dataset
from forecaster.spec import StepSplit


def two_series_rows(pad: bool) -> ModelRows:
    """Series 0 is rows 0..5, series 1 rows 6..9; one value column scaled by its series'
    centre and scale, one calendar column, one static column."""
    values = np.arange(10, dtype=np.float64)[:, None] * 10.0  # [10, 1]: 0, 10, ..., 90
    return ModelRows(
        values=values,
        starts=np.array([0, 6, 10]),
        centers=np.array([[20.0], [70.0]]),
        scales=np.array([[10.0], [5.0]]),
        calendar=np.arange(10, dtype=np.float32)[:, None] / 10,  # [10, 1]
        statics=np.array([[3.0], [4.0]], dtype=np.float32),
        pad=pad,
    )


def test_padded_rows_are_zero_with_mask_zero_and_observed_rows_are_the_plain_cut() -> None:
    rows = two_series_rows(pad=True)
    assert rows.num_columns == 4  # value, calendar, observed-row column, static
    cut = np.array([[4, 5, 6, 7, 8], [3, 4, 5, 6, 7]])  # series 1 from row 6; series 0
    window = padded_inputs(rows, cut, np.array([6, 0]))  # [2, 5, 4]
    # series 1, rows 4 and 5 belong to series 0: padded; rows 6.. observed
    np.testing.assert_array_equal(window[0, :2], [[0, 0, 0, 4], [0, 0, 0, 4]])
    plain = rows.take(cut[0, 2:])  # value, calendar, static
    np.testing.assert_array_equal(window[0, 2:, [0, 1, 3]].T, plain)
    np.testing.assert_array_equal(window[0, 2:, 2], [1, 1, 1])
    np.testing.assert_allclose(window[0, 2:, 0], [-2.0, 0.0, 2.0])  # (60 - 70) / 5 ...
    # series 0 reaches no further back than its own rows: nothing padded
    np.testing.assert_array_equal(window[1, :, 2], np.ones(5))
    np.testing.assert_array_equal(window[1, :, [0, 1, 3]].T, rows.take(cut[1]))


def test_a_window_before_row_zero_is_padded_too() -> None:
    rows = two_series_rows(pad=True)
    window = padded_inputs(rows, np.array([[-2, -1, 0, 1]]), np.array([0]))
    np.testing.assert_array_equal(window[0, :, 2], [0, 0, 1, 1])
    np.testing.assert_array_equal(window[0, :2, :3], np.zeros((2, 3)))
    np.testing.assert_allclose(window[0, 2:, 0], [-2.0, -1.0])  # (0 - 20) / 10, (10 - 20) / 10


def test_training_batches_pad_the_windows_that_reach_before_their_series() -> None:
    rows = two_series_rows(pad=True)
    # series 1's windows from origin 7 (one observed input row) to 8 (horizon 2)
    ranges = WindowRanges(np.array([3, 7]), np.array([2, 2]))
    batches = list(window_dataset(rows, ranges, lookback=3, horizon=2, num_targets=1, batch_size=8))
    ((inputs, targets),) = batches
    inputs, targets = inputs.numpy(), targets.numpy()  # [4, 3, 4], [4, 2, 1]
    np.testing.assert_array_equal(inputs[:, :, 2], [[1, 1, 1], [1, 1, 1], [0, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(inputs[2, :2], [[0, 0, 0, 4], [0, 0, 0, 4]])
    np.testing.assert_allclose(inputs[2, 2, [0, 1, 3]], [-2.0, 0.6, 4.0])  # row 6
    np.testing.assert_allclose(targets[:, :, 0], [[1.0, 2.0], [2.0, 3.0], [0.0, 2.0], [2.0, 4.0]])
    # without pad the same rows are read as they are
    plain = ModelRows(**{**rows.__dict__, "pad": False})
    ((unpadded, _),) = list(
        window_dataset(plain, WindowRanges(np.array([3]), np.array([2])), 3, 2, 1, 8)
    )
    np.testing.assert_array_equal(unpadded.numpy(), inputs[:2][:, :, [0, 1, 3]])


def test_padded_windows_need_one_input_row_before_the_origin() -> None:
    assert list(window_origins(0, 10, lookback=5, horizon=3)) == [5, 6, 7]
    assert list(window_origins(0, 10, lookback=5, horizon=3, pad=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert list(window_origins(4, 10, lookback=5, horizon=3, pad=True)) == [4, 5, 6, 7]


def test_with_pad_a_period_needs_the_horizon_and_training_a_season() -> None:
    index = pd.date_range("2024-01-01", periods=26, freq="D")
    split = StepSplit(val_steps=7, test_steps=7)  # 12 training rows
    with pytest.raises(InputError, match="train period has 12 rows, needs at least 21"):
        check_periods(index, split, 14, 7, 7, "data")
    periods = check_periods(index, split, 14, 7, 7, "data", pad=True)
    assert (periods.train_end, periods.val_end, periods.end) == (12, 19, 26)
    with pytest.raises(InputError, match=r"season \(14 rows\).*data.split\)$"):
        check_periods(index, split, 14, 7, 14, "data", pad=True)
    with pytest.raises(InputError, match="train period has 0 rows, needs at least 1"):
        check_periods(index[:14], split, 14, 7, 1, "data", pad=True)


@pytest.mark.parametrize("normalization", ["none", "instance", "last"])
def test_the_network_reads_padded_rows_as_padding(normalization: str) -> None:
    """What a padded row holds never reaches the forecast (a normalised window's level
    and spread are its observed rows'), and the observed-row column is an input of its
    own: one more column than without pad."""
    from forecaster.model.network import build_model
    from forecaster.spec import ModelSpec

    spec = ModelSpec(cell="gru", units=[4], normalization=normalization)
    padded = build_model(spec, lookback=6, horizon=2, num_features=3, num_targets=1, padded=True)
    plain = build_model(spec, lookback=6, horizon=2, num_features=2, num_targets=1)
    assert padded.count_params() == plain.count_params() + 3 * 4  # GRU: 3 gates x 4 units
    rng = np.random.default_rng(0)
    window = rng.normal(size=(1, 6, 3)).astype(np.float32)
    window[0, :, 2] = [0, 0, 1, 1, 1, 1]  # two padded rows
    window[0, :2, :2] = 0.0
    garbage = window.copy()
    garbage[0, :2, :2] = 5.0
    first, second = padded.predict_on_batch(window), padded.predict_on_batch(garbage)
    np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)
    window[0, 2, 0] += 1.0  # an observed row does
    assert not np.allclose(padded.predict_on_batch(window), first)


def test_pad_is_off_by_default_and_refused_with_channel_independence() -> None:
    from forecaster.spec import parse_spec

    data = {"path": "x.csv", "targets": ["y"]}
    assert parse_spec({"data": data}).window.pad is False
    raw = {"data": data, "window": {"pad": True}, "model": {"channel_independent": True}}
    with pytest.raises(InputError) as caught:
        parse_spec(raw, source="s.yaml")
    assert "window.pad" in str(caught.value) and "channel_independent: false" in str(caught.value)
