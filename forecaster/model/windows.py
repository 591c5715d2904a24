"""Lookback/horizon windows, cut lazily from the rows as read.

A window is named by its *origin* ``t``: the row of its first forecast step. Its input is
rows ``[t - lookback, t)`` and its target rows ``[t, t + horizon)``. A period's windows
are the origins whose whole horizon lies inside the period; the input may reach back into
the period before (validation windows read the end of training, test windows the end of
validation), as the usual benchmark protocols do. The series is never copied once per
window: NumPy gets strided views, and training cuts each batch when it is drawn, from the
rows as read (``ModelRows`` scales them then), with the windows counted per series
(``WindowRanges``) rather than listed.

With ``window.pad`` (``ModelRows.pad``) a window's input may reach before its series'
first row: those rows are padded (``padded_inputs``) and one more input column tells the
model which rows were observed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from forecaster.errors import InputError

if TYPE_CHECKING:
    import tensorflow as tf


class LazyWindows(NDArrayOperatorsMixin):
    """``[windows, steps, columns]`` float64 values computed when asked for, never held.

    Scoring every window of a period would otherwise hold, for the actual values and for
    each forecast, 8 bytes for every step of every window: with hourly data (24 steps a
    window) 0.6 values a row for each period and forecast, several times the float32 rows
    they come from. Indexing computes only the windows and steps asked for (``w[mine]``,
    ``w[take, 0, k]``, ``w[first:last]``); ``np.asarray(w)``, arithmetic and NumPy's
    functions compute them all, each time, as the C-ordered float64 array they were when
    held. A subclass says how (``read``).
    """

    ndim = 3
    dtype = np.dtype(np.float64)

    @property
    def shape(self) -> tuple[int, int, int]:
        raise NotImplementedError

    def read(self, windows: Any = slice(None), steps: Any = slice(None)) -> np.ndarray:
        """The ``windows`` (a slice, positions or a mask) at ``steps`` (a slice or
        positions), ``[windows, steps, columns]`` float64."""
        raise NotImplementedError

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self.read()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> Any:
        parts = key if isinstance(key, tuple) else (key,)
        if len(parts) > 3 or any(part is Ellipsis or part is None for part in parts):
            return self.read()[key]
        windows, steps = (*parts[:2], slice(None))[:2]
        # an integer reads one window (step) and drops its axis, as NumPy's indexing does
        single = [isinstance(part, int | np.integer) for part in (windows, steps)]
        values = self.read(
            *([part] if one else part for part, one in zip((windows, steps), single, strict=True))
        )
        index = (*(0 if one else slice(None) for one in single), *parts[2:])
        return values[index]

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        arrays = (np.asarray(x) if isinstance(x, LazyWindows) else x for x in inputs)
        return getattr(ufunc, method)(*arrays, **kwargs)


# ``[windows, steps, columns]`` float64: held, or computed when asked for
Windows = np.ndarray | LazyWindows


class WindowValues(LazyWindows):
    """Values of ``rows`` by window: step ``h`` of window ``w`` is row ``origins[w] +
    offsets[h]``. A period's actual values (offsets ``0 .. horizon - 1``) and its naive
    forecasts (the last value, the value a season before) are such windows."""

    def __init__(self, rows: np.ndarray, origins: np.ndarray, offsets: np.ndarray) -> None:
        self.rows = rows  # [rows, columns] as held (float32 for long data)
        self.origins = np.asarray(origins, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.origins), len(self.offsets), self.rows.shape[1]

    def read(self, windows: Any = slice(None), steps: Any = slice(None)) -> np.ndarray:
        origins, offsets = self.origins[windows], self.offsets[steps]
        values = np.empty((len(origins), len(offsets), self.rows.shape[1]), dtype=np.float64)
        # the rows read, ``[windows, steps]``, a few thousand windows at a time: never a
        # table of every row read (8 bytes a value, as many as the values themselves)
        for first in range(0, len(origins), 1 << 13):
            some = origins[first : first + (1 << 13)]
            values[first : first + len(some)] = self.rows[some[:, None] + offsets[None, :]]
        return values

    def __repr__(self) -> str:
        return f"WindowValues(shape={self.shape}, offsets={self.offsets.tolist()})"


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
    # window.pad: windows are cut by ``padded_inputs``, with the observed-row column
    pad: bool = False
    # window.lags: each target's scaled value this many rows earlier in its series, a
    # column per lag and target after the calendar columns (0 before the series' first row)
    lags: tuple[int, ...] = ()
    num_targets: int = 0

    @property
    def num_columns(self) -> int:
        """The model's input columns: what ``take`` gives, and the observed-row column
        when ``pad``."""
        extra = [part.shape[1] for part in (self.calendar, self.statics) if part is not None]
        lagged = len(self.lags) * self.num_targets
        return self.values.shape[1] + sum(extra) + lagged + int(self.pad)

    @property
    def num_statics(self) -> int:
        return 0 if self.statics is None else self.statics.shape[1]

    def series_firsts(self, rows: np.ndarray) -> np.ndarray:
        """The first row of the series each of ``rows`` lies in (same shape)."""
        return self.starts[np.searchsorted(self.starts, rows, side="right") - 1]

    def take(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` (any shape of row numbers) -> ``[*rows.shape, columns]`` float32: the
        scaled values, calendar and static columns (without ``pad``'s observed-row
        column, which ``padded_inputs`` adds)."""
        series = np.searchsorted(self.starts, rows, side="right") - 1
        scaled = ((self.values[rows] - self.centers[series]) / self.scales[series]).astype(
            np.float32
        )
        parts = [scaled]
        if self.calendar is not None:
            parts.append(self.calendar[rows])
        if self.lags:
            parts.append(self._lagged(rows, series))
        if self.statics is not None:
            parts.append(self.statics[series])
        return np.concatenate(parts, axis=-1) if len(parts) > 1 else scaled

    def _lagged(self, rows: np.ndarray, series: np.ndarray) -> np.ndarray:
        """``[*rows.shape, lags x targets]`` float32: each target's scaled value ``lag``
        rows earlier in the same series, lag by lag; 0 (the series' centre) where that row
        is before the series' first."""
        first = self.starts[series]
        targets = slice(0, self.num_targets)
        parts = []
        for lag in self.lags:
            earlier = rows - lag
            inside = earlier >= first
            values = self.values[np.where(inside, earlier, rows), targets]
            scaled = (values - self.centers[series, targets]) / self.scales[series, targets]
            parts.append(np.where(inside[..., None], scaled, 0.0).astype(np.float32))
        return np.concatenate(parts, axis=-1)

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


def padded_inputs(rows: ModelRows, cut: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """The rows ``cut`` (``[windows, steps]`` row numbers) of windows whose series start at
    row ``firsts`` (``[windows]``), padded where a window reaches before its series: a
    padded row is 0 in every scaled and calendar column (0 is the series' centre on the
    scaled ones) and keeps the series' static columns; an observed-row column, 1 on rows
    of the series and 0 on padded ones, comes after the calendar columns and before the
    static ones. ``[windows, steps, columns]`` -> ``[windows, steps, columns + 1]``."""
    observed = cut >= firsts[:, None]  # [W, S]
    taken = rows.take(np.where(observed, cut, firsts[:, None]))  # [W, S, C]
    dynamic = taken.shape[-1] - rows.num_statics
    padded = np.where(observed[..., None], taken[..., :dynamic], np.float32(0.0))
    mask = observed[..., None].astype(np.float32)  # [W, S, 1]
    return np.concatenate([padded, mask, taken[..., dynamic:]], axis=-1)


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
# window's number (two int32 copies while it runs); beyond it, NumPy shuffles one int32
# array in place, half the memory, with the same (seed, epoch) determinism. About a
# million: a panel this large is where 4 bytes a window start to weigh beside its values
# (a window a row), and every smaller one keeps the order it was trained in before.
EXACT_SHUFFLE_LIMIT = 1 << 20


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The window numbers ``0 .. count - 1`` in epoch ``epoch``'s order, drawn from
    ``(seed, epoch)`` alone: a run resumed at an epoch sees what an uninterrupted one saw."""
    if count <= EXACT_SHUFFLE_LIMIT:
        import tensorflow as tf

        key = tf.constant([seed, epoch], dtype=tf.int64)
        # The most training holds per window. int32 numbers: the shuffle draws its swaps
        # from the key and the length alone, so the order is the int64 one
        # (tests/model/test_windows.py); and NumPy reads the shuffled tensor's own buffer
        # (DLPack, read-only) instead of a copy (``.numpy()``): 8 bytes a window while it
        # runs, the numbers and their order, instead of 24
        with tf.device("/CPU:0"):  # the shuffle's only kernel
            shuffled = tf.random.experimental.stateless_shuffle(
                tf.range(count, dtype=tf.int32), seed=key
            )
        return np.from_dlpack(_DLPack(tf.experimental.dlpack.to_dlpack(shuffled)))
    order = np.arange(count, dtype=np.int32)
    np.random.default_rng([seed, epoch]).shuffle(order)
    return order


class _DLPack:
    """A DLPack capsule as ``np.from_dlpack`` takes it: TensorFlow gives the capsule alone."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **_: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return 1, 0  # kDLCPU, device 0


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
    target_extras: np.ndarray | None = None,
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

    ``target_extras`` (``[series, num_targets]``, for the windows of a ``WindowRanges``)
    follow the targets as more channels, the same at every step: targets become
    ``[B, H, 2 x num_targets]``, what a scale-free loss reads (``network.mase_loss``,
    ``network.smape_loss``).
    """
    import tensorflow as tf

    source = rows if isinstance(rows, ModelRows) else _ScaledArray(rows)
    ranges = origins if isinstance(origins, WindowRanges) else None
    explicit = None if ranges is not None else np.asarray(origins, dtype=np.int64)
    assert weights is None or ranges is not None
    assert target_extras is None or ranges is not None
    count = len(origins)
    offsets = np.arange(-lookback, horizon, dtype=np.int64)  # input rows, then target rows
    pad = isinstance(source, ModelRows) and source.pad

    def batch(numbers: np.ndarray) -> tuple[Any, ...]:
        if ranges is not None:
            batch_origins, series = ranges.locate(numbers)
        else:
            assert explicit is not None, "origins without ranges are an array of them"
            batch_origins, series = explicit[numbers], None
        cut = batch_origins[:, None] + offsets  # [B, L + H]
        if pad:  # a window's series is its origin's: its targets never leave it
            assert isinstance(source, ModelRows)
            window = padded_inputs(source, cut, source.series_firsts(batch_origins))
        else:
            window = source.take(cut)  # [B, L + H, F]
        past, targets = window[:, :lookback], window[:, lookback:, :num_targets]
        inputs: np.ndarray | tuple[np.ndarray, np.ndarray] = past
        if known is not None:
            inputs = (past, window[:, lookback:, known[0] : known[1]])  # [B, H, K]
        if target_extras is not None:  # [B, H, T] + [B, H, T] -> [B, H, 2T]
            extras = np.broadcast_to(target_extras[series][:, None, :], targets.shape)
            targets = np.concatenate([targets, extras.astype(np.float32)], axis=-1)
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
    target_channels = num_targets * (1 if target_extras is None else 2)
    signature: tuple[Any, ...] = (
        history,
        tf.TensorSpec((None, horizon, target_channels), tf.float32),
    )
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
