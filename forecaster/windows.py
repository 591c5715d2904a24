"""Chronological split and lookback/horizon windows.

A window is named by its *origin* ``t``: the row of its first forecast step. Its input is
rows ``[t - lookback, t)`` and its target rows ``[t, t + horizon)``. A period's windows
are the origins whose whole horizon lies inside the period; the input may reach back into
the period before (validation windows read the end of training, test windows the end of
validation), as the usual benchmark protocols do. The series is never copied once per
window: NumPy gets strided views, training gets a tf.data pipeline that gathers each
batch from the one series tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecaster.errors import InputError
from forecaster.spec import DateSplit, FractionSplit

if TYPE_CHECKING:
    import tensorflow as tf


@dataclass(frozen=True)
class Periods:
    """Row bounds: train ``[0, train_end)``, val ``[train_end, val_end)``,
    test ``[val_end, end)``."""

    train_end: int
    val_end: int
    end: int

    def bounds(self, period: str) -> tuple[int, int]:
        return {
            "train": (0, self.train_end),
            "val": (self.train_end, self.val_end),
            "test": (self.val_end, self.end),
        }[period]

    def to_dict(self) -> dict[str, int]:
        return {"train_end": self.train_end, "val_end": self.val_end, "end": self.end}


def split_periods(index: pd.DatetimeIndex, split: FractionSplit | DateSplit) -> Periods:
    num_rows = len(index)
    if isinstance(split, FractionSplit):
        num_test = round(num_rows * split.test)
        num_val = round(num_rows * split.val)
        return Periods(num_rows - num_val - num_test, num_rows - num_test, num_rows)
    end = num_rows if split.end is None else int(index.searchsorted(pd.Timestamp(split.end)))
    return Periods(
        train_end=int(index.searchsorted(pd.Timestamp(split.val_start))),
        val_end=int(index.searchsorted(pd.Timestamp(split.test_start))),
        end=end,
    )


def window_origins(start: int, stop: int, lookback: int, horizon: int) -> np.ndarray:
    """Origins whose targets lie in rows ``[start, stop)`` and whose input starts at row >= 0."""
    first = max(start, lookback)
    last = stop - horizon  # inclusive
    return np.arange(first, last + 1, dtype=np.int64) if last >= first else np.empty(0, np.int64)


def period_origins(
    periods: Periods, period: str, lookback: int, horizon: int, source: str
) -> np.ndarray:
    start, stop = periods.bounds(period)
    origins = window_origins(start, stop, lookback, horizon)
    if len(origins) == 0:
        reach = "lookback + horizon" if period == "train" else "horizon"
        need = lookback + horizon if period == "train" else horizon
        raise InputError(
            f"{source}: too few rows for one {period} window: the {period} period has "
            f"{stop - start} rows, needs at least {need} ({reach} = {lookback} + {horizon}); "
            "fix: use more data, a smaller window.lookback/window.horizon, or change data.split"
        )
    return origins


def input_windows(series: np.ndarray, origins: np.ndarray, lookback: int) -> np.ndarray:
    """``[len(origins), lookback, columns]``; a view when the origins are consecutive."""
    views = sliding_window_view(series, lookback, axis=0).transpose(0, 2, 1)
    return _take(views, origins - lookback)


def target_windows(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``[len(origins), horizon, columns]``; a view when the origins are consecutive."""
    views = sliding_window_view(series, horizon, axis=0).transpose(0, 2, 1)
    return _take(views, origins)


def _take(views: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if len(starts) and np.all(np.diff(starts) == 1):
        return views[starts[0] : starts[-1] + 1]
    return views[starts]


def window_dataset(
    series: np.ndarray,
    origins: np.ndarray,
    lookback: int,
    horizon: int,
    num_targets: int,
    batch_size: int,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """Batches of ``(inputs, targets)`` gathered on the fly from one copy of ``series``.

    Targets are the first ``num_targets`` columns. ``shuffle_seed`` shuffles the window
    order every epoch, reproducibly; ``None`` keeps chronological order.
    """
    import tensorflow as tf

    values = tf.constant(np.asarray(series, dtype=np.float32))
    input_offsets = tf.range(-lookback, 0, dtype=tf.int64)
    target_offsets = tf.range(0, horizon, dtype=tf.int64)

    def gather(batch_origins: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        inputs = tf.gather(values, batch_origins[:, None] + input_offsets)
        targets = tf.gather(values[:, :num_targets], batch_origins[:, None] + target_offsets)
        return inputs, targets

    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(origins, dtype=np.int64))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(origins), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).map(gather).prefetch(tf.data.AUTOTUNE)
