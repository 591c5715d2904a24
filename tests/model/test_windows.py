from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster.errors import InputError
from forecaster.model.periods import (
    Periods,
    SeriesPeriods,
    period_origins,
    split_periods,
    window_origins,
)
from forecaster.model.windows import (
    ModelRows,
    WindowRanges,
    WindowValues,
    epoch_order,
    window_dataset,
)
from forecaster.spec import DateSplit, FractionSplit
from tests.reference_windows import input_windows, target_windows

INDEX = pd.date_range("2024-01-01", periods=100, freq="h")


def test_fraction_split_takes_the_last_rows_for_test() -> None:
    assert split_periods(INDEX, FractionSplit(val=0.2, test=0.1)) == Periods(70, 90, 100)


def test_date_split_is_by_timestamp_with_exclusive_end() -> None:
    split = DateSplit(
        val_start="2024-01-02 00:00", test_start="2024-01-03 00:00", end="2024-01-04 00:00"
    )
    assert split_periods(INDEX, split) == Periods(24, 48, 72)


def test_origins_keep_the_whole_horizon_inside_the_period() -> None:
    # targets in rows [20, 30), horizon 4: origins 20..26; lookback may reach before 20
    np.testing.assert_array_equal(window_origins(20, 30, lookback=8, horizon=4), np.arange(20, 27))
    # the input may not start before row 0
    np.testing.assert_array_equal(window_origins(0, 10, lookback=5, horizon=2), np.arange(5, 9))
    assert len(window_origins(0, 5, lookback=5, horizon=2)) == 0


def test_too_short_period_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="too few rows for one test window.*needs at least 6"):
        period_origins(Periods(80, 97, 100), "test", lookback=10, horizon=6, source="d.csv")


def test_dataset_matches_the_numpy_windows() -> None:
    series = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    origins = np.arange(10, 40)
    batches = list(
        window_dataset(series, origins, lookback=6, horizon=4, num_targets=1, batch_size=8)
    )
    inputs = np.concatenate([x for x, _ in batches])
    targets = np.concatenate([y for _, y in batches])
    np.testing.assert_array_equal(inputs, input_windows(series, origins, 6))
    np.testing.assert_array_equal(targets, target_windows(series, origins, 4)[..., :1])


def test_shuffled_dataset_is_reproducible_and_complete() -> None:
    series = np.arange(60, dtype=np.float32)[:, None]
    origins = np.arange(5, 55)

    def first_values(seed: int) -> list[float]:
        dataset = window_dataset(series, origins, 5, 1, 1, batch_size=50, shuffle_seed=seed)
        return [float(v) for v in next(iter(dataset))[1][:, 0, 0]]

    assert first_values(3) == first_values(3)
    assert sorted(first_values(3)) == list(map(float, origins))
    assert first_values(3) != list(map(float, origins))


def test_each_epoch_order_depends_only_on_the_seed_and_the_epoch() -> None:
    series = np.arange(60, dtype=np.float32)[:, None]
    origins = np.arange(5, 55)

    def epoch_orders(first_epoch: int, num_epochs: int) -> list[list[float]]:
        dataset = window_dataset(
            series,
            origins,
            5,
            1,
            1,
            16,
            shuffle_seed=3,
            first_epoch=first_epoch,
            num_epochs=num_epochs,
        )
        targets = np.concatenate([y[:, 0, 0] for _, y in dataset]).tolist()
        return [targets[i : i + len(origins)] for i in range(0, len(targets), len(origins))]

    uninterrupted = epoch_orders(0, 3)
    assert len(uninterrupted) == 3
    assert all(sorted(order) == list(map(float, origins)) for order in uninterrupted)
    assert uninterrupted[0] != uninterrupted[1] != uninterrupted[2]
    assert epoch_orders(2, 1) == uninterrupted[2:]  # a run resumed at epoch 2


def _two_series_rows() -> ModelRows:
    values = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 30.0], [100.0, 0.0], [300.0, 4.0]])
    return ModelRows(
        values,
        np.array([0, 3, 5]),
        centers=np.array([[3.0, 20.0], [200.0, 2.0]]),
        scales=np.array([[2.0, 10.0], [100.0, 2.0]]),
        calendar=np.arange(10, dtype=np.float32).reshape(5, 2),
        statics=np.array([[7.0], [8.0]], dtype=np.float32),
    )


def test_model_rows_scale_each_row_by_its_own_series_when_taken() -> None:
    rows = _two_series_rows()
    taken = rows.take(np.array([[2, 3], [0, 4]]))  # [2, 2, columns]
    assert taken.shape == (2, 2, 5) and rows.num_columns == 5 and taken.dtype == np.float32
    # row 2 of series 0: (5 - 3) / 2, (30 - 20) / 10; calendar 4, 5; static 7
    np.testing.assert_array_equal(taken[0, 0], [1.0, 1.0, 4.0, 5.0, 7.0])
    # row 3, the first of series 1: (100 - 200) / 100, (0 - 2) / 2; calendar 6, 7; static 8
    np.testing.assert_array_equal(taken[0, 1], [-1.0, -1.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(taken[1, 1], [1.0, 1.0, 8.0, 9.0, 8.0])


def test_model_rows_refuse_values_beyond_float32_once_scaled() -> None:
    rows = ModelRows(
        np.array([[1e300], [2e300]]), np.array([0, 2]), np.zeros((1, 1)), np.ones((1, 1))
    )
    with pytest.raises(InputError, match="32-bit"):
        rows.check_finite("big.csv")


def test_window_ranges_number_every_series_windows_in_turn() -> None:
    ranges = WindowRanges(np.array([4, 20, 30]), np.array([3, 0, 2]))  # series 1 has none
    origins, series = ranges.locate(np.arange(len(ranges)))
    assert origins.tolist() == [4, 5, 6, 30, 31] and series.tolist() == [0, 0, 0, 2, 2]
    periods = SeriesPeriods(np.array([0, 50]), (Periods(30, 40, 50), Periods(20, 30, 40)))
    explicit, owners = periods.origins("val", lookback=5, horizon=4)
    assert explicit.tolist() == [30, 31, 32, 33, 34, 35, 36, 70, 71, 72, 73, 74, 75, 76]
    assert owners.tolist() == [0] * 7 + [1] * 7


def test_exact_epoch_order_is_tensorflows_shuffle_of_the_windows() -> None:
    # the order every earlier model was trained in: the shuffled origins themselves
    import tensorflow as tf

    origins = np.arange(40, 140, dtype=np.int64)
    shuffled = tf.random.experimental.stateless_shuffle(
        tf.constant(origins), seed=tf.constant([3, 1], tf.int64)
    ).numpy()
    np.testing.assert_array_equal(origins[epoch_order(len(origins), 3, 1)], shuffled)


def test_exact_epoch_order_is_the_int64_shuffle_at_half_the_memory() -> None:
    # the numbers are shuffled as int32: the swaps come from the key and the length alone
    import tensorflow as tf

    for count, seed, epoch in ((1, 0, 0), (1000, 42, 3), (100_003, 7, 1)):
        numbers = tf.range(count, dtype=tf.int64)
        key = tf.constant([seed, epoch], tf.int64)
        as_int64 = tf.random.experimental.stateless_shuffle(numbers, seed=key).numpy()
        order = epoch_order(count, seed, epoch)
        assert order.dtype == np.int32
        np.testing.assert_array_equal(order, as_int64)


def test_window_values_are_the_held_windows_read_when_asked_for() -> None:
    rows = (np.arange(60, dtype=np.float32) * 1.1).reshape(30, 2)  # float32, as held
    origins = np.array([5, 6, 7, 20, 21])
    offsets = np.array([-1, 0, 2])
    held = np.stack([rows[origin + offsets] for origin in origins]).astype(np.float64)
    lazy = WindowValues(rows, origins, offsets)
    assert lazy.shape == held.shape and len(lazy) == 5
    whole = np.asarray(lazy)
    assert whole.dtype == np.float64 and whole.flags.c_contiguous
    np.testing.assert_array_equal(whole, held)
    mask = np.array([True, False, True, False, True])
    keys = [mask, slice(1, 4), 2, -1, [0, 4], (slice(None), 0, 1), (3, slice(None), 0)]
    keys += [(slice(None), [1]), (mask, 2), (..., 1), (slice(None), slice(None), [0])]
    for key in keys:  # only what is asked for is read, as NumPy would index it
        np.testing.assert_array_equal(lazy[key], held[key])
    np.testing.assert_array_equal(lazy - held, np.zeros_like(held))  # arithmetic: all of it
    np.testing.assert_array_equal(np.abs(held - lazy) + lazy, held)
    np.testing.assert_array_equal(np.concatenate([lazy, lazy]), np.concatenate([held, held]))


def test_large_epoch_orders_are_in_place_permutations_from_seed_and_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import forecaster.model.windows as windows

    monkeypatch.setattr(windows, "EXACT_SHUFFLE_LIMIT", 10)
    first, again, other = epoch_order(50, 3, 1), epoch_order(50, 3, 1), epoch_order(50, 3, 2)
    assert first.dtype == np.int32 and sorted(first.tolist()) == list(range(50))
    assert first.tolist() == again.tolist() and first.tolist() != other.tolist()


def test_series_weights_follow_each_window_into_its_batch() -> None:
    rows = _two_series_rows()
    ranges = WindowRanges(np.array([1, 4]), np.array([2, 1]))  # lookback 1, horizon 1
    batches = list(
        window_dataset(rows, ranges, 1, 1, 1, batch_size=2, weights=np.array([0.5, 2.0]))
    )
    weights = np.concatenate([w[:, 0] for _, _, w in batches]).tolist()
    targets = np.concatenate([y[:, 0, 0] for _, y, _ in batches]).tolist()
    assert weights == [0.5, 0.5, 2.0] and targets == [0.0, 1.0, 1.0]
