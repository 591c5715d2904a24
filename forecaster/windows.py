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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecaster.errors import InputError
from forecaster.panel import Panel
from forecaster.spec import DateSplit, FractionSplit, StepSplit
from forecaster.time_axis import as_index_time

if TYPE_CHECKING:
    import tensorflow as tf

Split = FractionSplit | DateSplit | StepSplit


Period = Literal["train", "val", "test"]
PERIODS: tuple[Period, ...] = ("train", "val", "test")  # training, validation, test


@dataclass(frozen=True)
class Periods:
    """Row bounds: train ``[0, train_end)``, val ``[train_end, val_end)``,
    test ``[val_end, end)``."""

    train_end: int
    val_end: int
    end: int

    def bounds(self, period: Period) -> tuple[int, int]:
        return {
            "train": (0, self.train_end),
            "val": (self.train_end, self.val_end),
            "test": (self.val_end, self.end),
        }[period]

    def to_dict(self) -> dict[str, int]:
        return {"train_end": self.train_end, "val_end": self.val_end, "end": self.end}


def split_periods(index: pd.Index, split: Split) -> Periods:
    """Row bounds of the split. Dates follow the data's zone: a naive date is read in the
    data's zone, an aware date on naive data at its own wall clock."""
    num_rows = len(index)
    if isinstance(split, FractionSplit):
        num_test = round(num_rows * split.test)
        num_val = round(num_rows * split.val)
        return Periods(num_rows - num_val - num_test, num_rows - num_test, num_rows)
    if isinstance(split, StepSplit):
        num_test, num_val = split.test_steps, split.val_steps
        train_end = max(0, num_rows - num_val - num_test)
        return Periods(train_end, max(train_end, num_rows - num_test), num_rows)
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(
            f"data.split: dates ({split.val_start}, ...) on a step index (integers, no dates); "
            "expected fractions; fix: use data.split: {val: 0.2, test: 0.2}"
        )

    def row(date: object) -> int:
        return int(index.searchsorted(as_index_time(date, index)))

    end = num_rows if split.end is None else row(split.end)
    return Periods(train_end=row(split.val_start), val_end=row(split.test_start), end=end)


def split_boundaries(split: Split) -> Callable[[pd.Index], list[int]]:
    """Where the split's periods end on a given index: what filling must not cross."""

    def boundaries(index: pd.Index) -> list[int]:
        periods = split_periods(index, split)
        return [periods.train_end, periods.val_end, periods.end]

    return boundaries


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
        if period == "train":
            need, reach = lookback + horizon, f"lookback + horizon = {lookback} + {horizon}"
        else:
            need, reach = horizon, f"window.horizon = {horizon}"
        raise InputError(
            f"{source}: too few rows for one {period} window: the {period} period has "
            f"{stop - start} rows, needs at least {need} ({reach}); "
            "fix: use more data, a smaller window.lookback/window.horizon, or change data.split"
        )
    return origins


def check_periods(
    index: pd.DatetimeIndex,
    split: Split,
    lookback: int,
    horizon: int,
    season: int,
    source: str,
) -> Periods:
    """The split's periods, checked before any training: each holds at least one window,
    and the seasonal-naive baseline has a season of history before every scored window."""
    periods = split_periods(index, split)
    if isinstance(split, DateSplit):
        _check_dates(index, split, periods, source)
    origins = {
        period: period_origins(periods, period, lookback, horizon, source)
        for period in ("train", "val", "test")
    }
    first_scored = int(origins["val"][0])
    if first_scored < season:
        raise InputError(
            f"{source}: the first validation window starts at row {first_scored}; the "
            f"seasonal-naive baseline scored beside the model needs a season ({season} rows) "
            "of history before it; fix: use more training rows (a later data.split) or a "
            f"window.lookback of at least {season}"
        )
    return periods


@dataclass(frozen=True)
class SeriesPeriods:
    """The periods of every series of a panel: series ``k`` starts at row ``starts[k]``
    of the stacked rows and ``periods[k]`` counts rows from there."""

    starts: np.ndarray  # [num_series]
    periods: tuple[Periods, ...]

    def origins(self, period: Period, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Every window of ``period`` in every series, as rows of the stacked panel, and
        the series of each: ``([windows], [windows])``. No window crosses two series."""
        origins, series = [], []
        for k, (start, periods) in enumerate(zip(self.starts, self.periods, strict=True)):
            first, stop = periods.bounds(period)
            found = window_origins(first, stop, lookback, horizon)
            origins.append(int(start) + found)
            series.append(np.full(len(found), k, dtype=np.int64))
        return np.concatenate(origins), np.concatenate(series)

    @property
    def train_ends(self) -> np.ndarray:
        return np.array([periods.train_end for periods in self.periods], dtype=np.int64)


def check_series_periods(
    indexes: list[pd.Index],
    split: Split,
    lookback: int,
    horizon: int,
    season: int,
    source: str,
) -> tuple[list[int], list[Periods], list[str]]:
    """Each series' periods, checked like ``check_periods``. Returns the series that have
    a window in every period (their positions and periods) and, for every other one, why
    it is left out. Only when no series is left is it an error: the first one's."""
    kept, periods, reasons = [], [], []
    for position, index in enumerate(indexes):
        try:
            periods.append(check_periods(index, split, lookback, horizon, season, source))
            kept.append(position)
        except InputError as error:
            reasons.append(str(error).removeprefix(f"{source}: ").split("; fix:")[0])
            if not kept and len(reasons) == len(indexes):
                raise InputError(
                    f"{source}: no series has a window in every period; the first: "
                    f"{reasons[0]}; fix: use a smaller window.lookback/window.horizon or "
                    "shorter validation and test periods"
                ) from None
    return kept, periods, reasons


def scorable_series(
    panel: Panel, split: Split, lookback: int, horizon: int, season: int, source: str
) -> tuple[Panel, SeriesPeriods, dict[str, str]]:
    """The series of ``panel`` with a window in every period, their periods, and why each
    other series is left out (by series key)."""
    indexes = [panel.series(k).index for k in range(panel.num_series)]
    kept, periods, reasons = check_series_periods(indexes, split, lookback, horizon, season, source)
    dropped = [key for k, key in enumerate(panel.keys) if k not in kept]
    panel = panel.subset(kept)
    left_out = dict(zip(dropped, reasons, strict=True))
    return panel, SeriesPeriods(panel.starts[:-1], tuple(periods)), left_out


def _check_dates(index: pd.DatetimeIndex, split: DateSplit, periods: Periods, source: str) -> None:
    """Name the date that empties a period, rather than only counting its rows."""
    first, last = index[0], index[-1]
    covers = f"the data covers {first} to {last}"
    if periods.train_end == 0:
        raise InputError(
            f"{source}: data.split.val_start {split.val_start} is not after the first row; "
            f"{covers}, so no rows are left for training; fix: move data.split.val_start later"
        )
    for key, row in (("val_start", periods.train_end), ("test_start", periods.val_end)):
        if row >= periods.end:
            stop = f"data.split.end {split.end}" if split.end is not None else "the last row"
            raise InputError(
                f"{source}: data.split.{key} {getattr(split, key)} is not before {stop}; "
                f"{covers}, so a later period is empty; fix: move data.split.{key} earlier"
            )


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
    first_epoch: int = 0,
    num_epochs: int = 1,
    weights: np.ndarray | None = None,
    known: tuple[int, int] | None = None,
) -> tf.data.Dataset:
    """Batches of ``(inputs, targets)`` gathered on the fly from one copy of ``series``.

    Targets are the first ``num_targets`` columns. ``None`` for ``shuffle_seed`` gives one
    pass in chronological order. With a seed the dataset holds ``num_epochs`` epochs one
    after another (``ceil(len(origins) / batch_size)`` batches each), epoch ``e`` in an
    order drawn from ``(shuffle_seed, e)`` alone, so a run resumed at epoch ``e`` sees
    exactly the batches an uninterrupted run would have. ``weights`` (one per origin)
    makes each batch ``(inputs, targets, sample_weights)``.

    ``known`` (a column range: future covariates and calendar) makes the inputs a pair
    ``(history, future)``: ``future`` holds those columns alone over the horizon, so
    nothing else after the origin is ever part of the inputs.
    """
    import tensorflow as tf

    values = tf.constant(np.asarray(series, dtype=np.float32))
    input_offsets = tf.range(-lookback, 0, dtype=tf.int64)
    target_offsets = tf.range(0, horizon, dtype=tf.int64)
    origin_tensor = tf.constant(np.asarray(origins, dtype=np.int64))

    weight_by_row = None
    if weights is not None:
        table = np.zeros(len(series), dtype=np.float32)
        table[np.asarray(origins)] = weights
        weight_by_row = tf.constant(table)

    def gather(batch_origins: tf.Tensor) -> tuple[tf.Tensor, ...]:
        inputs = tf.gather(values, batch_origins[:, None] + input_offsets)  # [B, L, F]
        targets = tf.gather(values[:, :num_targets], batch_origins[:, None] + target_offsets)
        if known is not None:
            future = tf.gather(
                values[:, known[0] : known[1]], batch_origins[:, None] + target_offsets
            )  # [B, H, K]
            inputs = (inputs, future)
        if weight_by_row is None:
            return inputs, targets
        return inputs, targets, tf.gather(weight_by_row, batch_origins)[:, None]  # [B, 1]

    def epoch_batches(epoch: tf.Tensor) -> tf.data.Dataset:
        # stateless: the order depends on the seed and the epoch number, not on how many
        # epochs this process has already drawn
        seed = tf.stack([tf.constant(shuffle_seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(origin_tensor, seed=seed)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    if shuffle_seed is None:
        dataset = tf.data.Dataset.from_tensor_slices(origin_tensor).batch(batch_size)
    else:
        epochs = tf.data.Dataset.range(first_epoch, first_epoch + num_epochs)
        dataset = epochs.flat_map(epoch_batches)
    return dataset.map(gather).prefetch(tf.data.AUTOTUNE)
