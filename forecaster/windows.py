"""Chronological split and lookback/horizon windows.

A window is named by its *origin* ``t``: the row of its first forecast step. Its input is
rows ``[t - lookback, t)`` and its target rows ``[t, t + horizon)``. A period's windows
are the origins whose whole horizon lies inside the period; the input may reach back into
the period before (validation windows read the end of training, test windows the end of
validation), as the usual benchmark protocols do. The series is never copied once per
window: NumPy gets strided views, and training cuts each batch when it is drawn, from the
rows as read (``ModelRows`` scales them then), with the windows counted per series
(``WindowRanges``) rather than listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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
    first, count = _first_and_count(start, stop, lookback, horizon)
    return np.arange(first, first + count, dtype=np.int64)


def _first_and_count(start: int, stop: int, lookback: int, horizon: int) -> tuple[int, int]:
    first = max(start, lookback)
    last = stop - horizon  # inclusive
    return first, max(0, last - first + 1)


def period_origins(
    periods: Periods, period: Period, lookback: int, horizon: int, source: str
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
    required: Sequence[Period] = ("train", "val", "test"),
) -> Periods:
    """The split's periods, checked before any training: each ``required`` one holds at
    least one window, and the seasonal-naive baseline has a season of history before
    every scored window."""
    periods = split_periods(index, split)
    if isinstance(split, DateSplit):
        _check_dates(index, split, periods, source)
    origins = {
        period: period_origins(periods, period, lookback, horizon, source) for period in required
    }
    scored: Period = "val" if "val" in origins else "test"
    first_scored = int(origins[scored][0])
    if first_scored < season:
        name = {"val": "validation", "test": "test"}[scored]
        raise InputError(
            f"{source}: the first {name} window starts at row {first_scored}; the "
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
        ranges = self.ranges(period, lookback, horizon)
        return ranges.locate(np.arange(len(ranges)))

    def ranges(self, period: Period, lookback: int, horizon: int) -> WindowRanges:
        """``origins`` without the per-window arrays."""
        firsts, counts = [], []
        for start, periods in zip(self.starts, self.periods, strict=True):
            first, count = _first_and_count(*periods.bounds(period), lookback, horizon)
            firsts.append(int(start) + first)
            counts.append(count)
        return WindowRanges(np.array(firsts, np.int64), np.array(counts, np.int64))

    @property
    def train_ends(self) -> np.ndarray:
        return np.array([periods.train_end for periods in self.periods], dtype=np.int64)


def check_series_periods(
    indexes: Sequence[pd.Index],
    split: Split,
    lookback: int,
    horizon: int,
    season: int,
    source: str,
    required: Sequence[Period] = ("train", "val", "test"),
) -> tuple[list[int], list[Periods], list[str]]:
    """Each series' periods, checked like ``check_periods``. Returns the series that have
    a window in every period (their positions and periods) and, for every other one, why
    it is left out. Only when no series is left is it an error: the first one's."""
    kept, periods, reasons = [], [], []
    for position, index in enumerate(indexes):
        try:
            periods.append(check_periods(index, split, lookback, horizon, season, source, required))
            kept.append(position)
        except InputError as error:
            if len(indexes) == 1:  # the one series of a wide CSV: what it lacks, as found
                raise
            reasons.append(str(error).removeprefix(f"{source}: ").split("; fix:")[0])
            if not kept and len(reasons) == len(indexes):
                raise InputError(
                    f"{source}: no series has a window in every period; the first: "
                    f"{reasons[0]}; fix: use a smaller window.lookback/window.horizon or "
                    "shorter validation and test periods"
                ) from None
    return kept, periods, reasons


def scorable_series(
    panel: Panel,
    split: Split,
    lookback: int,
    horizon: int,
    season: int,
    source: str,
    required: Sequence[Period] = ("train", "val", "test"),
) -> tuple[Panel, SeriesPeriods, dict[str, str]]:
    """The series of ``panel`` with a window in every ``required`` period, their periods,
    and why each other series is left out (by series key)."""
    # one series' index at a time: a list of them all would be a per-row time index again
    indexes = panel.series_indexes()
    kept, periods, reasons = check_series_periods(
        indexes, split, lookback, horizon, season, source, required
    )
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


@dataclass(frozen=True)
class ModelRows:
    """The model's input rows, scaled when taken rather than stored: row ``r`` of series
    ``k`` is ``(values[r] - centers[k]) / scales[k]`` (float64, then float32), then the
    row's calendar columns, then the series' static inputs. Training cuts its batches from
    here, so a panel is held once, as read, and never again as a scaled copy."""

    values: np.ndarray  # [rows, columns] as read
    starts: np.ndarray  # [num_series + 1]: series k is rows starts[k]:starts[k + 1]
    centers: np.ndarray  # [num_series, columns]
    scales: np.ndarray  # [num_series, columns]
    calendar: np.ndarray | None = None  # [rows, calendar columns] float32
    statics: np.ndarray | None = None  # [num_series, static columns] float32

    @property
    def num_columns(self) -> int:
        extra = [part.shape[1] for part in (self.calendar, self.statics) if part is not None]
        return self.values.shape[1] + sum(extra)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` (any shape of row numbers) -> ``[*rows.shape, num_columns]`` float32."""
        series = np.searchsorted(self.starts, rows, side="right") - 1
        scaled = ((self.values[rows] - self.centers[series]) / self.scales[series]).astype(
            np.float32
        )
        parts = [scaled]
        if self.calendar is not None:
            parts.append(self.calendar[rows])
        if self.statics is not None:
            parts.append(self.statics[series])
        return np.concatenate(parts, axis=-1) if len(parts) > 1 else scaled

    def check_finite(self, source: str) -> None:
        """Refuse values that leave float32's range once scaled, a block of rows at a time."""
        block = 1 << 16  # rows: a few MB of temporaries at a time
        for first in range(0, len(self.values), block):
            rows = np.arange(first, min(first + block, len(self.values)))
            with np.errstate(over="ignore"):
                finite = np.isfinite(self.take(rows)).all()
            if not finite:
                raise InputError(
                    f"{source}: values too large for the model's 32-bit numbers after "
                    "scaling; fix: set scaling: standard, or rescale the columns"
                )


@dataclass(frozen=True)
class WindowRanges:
    """Windows numbered ``0 .. len - 1`` without a per-window array: series ``k`` holds
    ``counts[k]`` windows whose origins are the consecutive rows from ``firsts[k]``."""

    firsts: np.ndarray  # [num_series] int64
    counts: np.ndarray  # [num_series] int64

    @classmethod
    def of(cls, origins: np.ndarray) -> WindowRanges:
        """Consecutive ``origins`` (one period of one series) as a range."""
        assert len(origins) == 0 or np.all(np.diff(origins) == 1)
        first = int(origins[0]) if len(origins) else 0
        return cls(np.array([first], np.int64), np.array([len(origins)], np.int64))

    def __len__(self) -> int:
        return int(self.counts.sum())

    def locate(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Window numbers -> (their origins, their series)."""
        offsets = np.concatenate([[0], np.cumsum(self.counts)])
        series = np.searchsorted(offsets, numbers, side="right") - 1
        return self.firsts[series] + (numbers - offsets[series]), series


# Up to this many windows an epoch's order is TensorFlow's stateless shuffle of every
# window's number (two int64 copies while it runs); beyond it, NumPy shuffles one int32
# array in place, a quarter of the memory, with the same (seed, epoch) determinism.
EXACT_SHUFFLE_LIMIT = 1 << 22


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The window numbers ``0 .. count - 1`` in epoch ``epoch``'s order, drawn from
    ``(seed, epoch)`` alone: a run resumed at an epoch sees what an uninterrupted one saw."""
    if count <= EXACT_SHUFFLE_LIMIT:
        import tensorflow as tf

        key = tf.constant([seed, epoch], dtype=tf.int64)
        numbers = tf.range(count, dtype=tf.int64)
        return tf.random.experimental.stateless_shuffle(numbers, seed=key).numpy()
    order = np.arange(count, dtype=np.int32)
    np.random.default_rng([seed, epoch]).shuffle(order)
    return order


def window_dataset(
    rows: ModelRows | np.ndarray,
    origins: WindowRanges | np.ndarray,
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
    """Batches of ``(inputs, targets)`` cut on the fly from ``rows`` (``ModelRows``, or
    an array of rows already scaled): no window is stored, and nothing per row either.

    Targets are the first ``num_targets`` columns. ``None`` for ``shuffle_seed`` gives one
    pass in order. With a seed the dataset holds ``num_epochs`` epochs one after another
    (``ceil(len(origins) / batch_size)`` batches each), epoch ``e`` in ``epoch_order``'s
    order, so a run resumed at epoch ``e`` sees exactly the batches an uninterrupted run
    would have. ``weights`` (one per series of a ``WindowRanges``) makes each batch
    ``(inputs, targets, sample_weights)``.

    ``known`` (a column range: future covariates and calendar) makes the inputs a pair
    ``(history, future)``: ``future`` holds those columns alone over the horizon, so
    nothing else after the origin is ever part of the inputs.
    """
    import tensorflow as tf

    source = rows if isinstance(rows, ModelRows) else _ScaledArray(rows)
    ranges = origins if isinstance(origins, WindowRanges) else None
    explicit = None if ranges is not None else np.asarray(origins, dtype=np.int64)
    assert weights is None or ranges is not None
    count = len(origins)
    offsets = np.arange(-lookback, horizon, dtype=np.int64)  # input rows, then target rows

    def batch(numbers: np.ndarray) -> tuple[Any, ...]:
        if ranges is not None:
            batch_origins, series = ranges.locate(numbers)
        else:
            assert explicit is not None, "origins without ranges are an array of them"
            batch_origins, series = explicit[numbers], None
        window = source.take(batch_origins[:, None] + offsets)  # [B, L + H, F]
        past, targets = window[:, :lookback], window[:, lookback:, :num_targets]
        inputs: np.ndarray | tuple[np.ndarray, np.ndarray] = past
        if known is not None:
            inputs = (past, window[:, lookback:, known[0] : known[1]])  # [B, H, K]
        if weights is None:
            return inputs, targets
        return inputs, targets, weights[series].astype(np.float32)[:, None]  # [B, 1]

    def epoch_batches(order: np.ndarray | None) -> Iterator[tuple[Any, ...]]:
        """One pass over the windows: in order, or in ``order``."""
        for first in range(0, count, batch_size):
            last = min(first + batch_size, count)
            yield batch(np.arange(first, last) if order is None else order[first:last])

    def batches() -> Iterator[tuple[Any, ...]]:
        if shuffle_seed is None:
            yield from epoch_batches(None)
            return
        for epoch in range(first_epoch, first_epoch + num_epochs):
            yield from epoch_batches(epoch_order(count, shuffle_seed, epoch))

    num_columns = source.num_columns
    history = tf.TensorSpec((None, lookback, num_columns), tf.float32)
    if known is not None:
        history = (history, tf.TensorSpec((None, horizon, known[1] - known[0]), tf.float32))
    signature: tuple[Any, ...] = (history, tf.TensorSpec((None, horizon, num_targets), tf.float32))
    if weights is not None:
        signature = (*signature, tf.TensorSpec((None, 1), tf.float32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    # a generator's length is unknown to tf.data; Keras needs it to stop each pass cleanly
    passes = 1 if shuffle_seed is None else num_epochs
    total = passes * -(-count // batch_size)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(total))
    return dataset.prefetch(tf.data.AUTOTUNE)


@dataclass(frozen=True)
class _ScaledArray:
    """Rows already on the model's scale (a forecast's recent rows, a test's array)."""

    scaled: np.ndarray  # [rows, columns]

    @property
    def num_columns(self) -> int:
        return self.scaled.shape[1]

    def take(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.scaled[rows], dtype=np.float32)
