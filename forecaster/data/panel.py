"""One series or many: series stacked row-wise, each on its own checked time axis.

Wide data (one series, its columns side by side) is a panel of one series. Long data
(one row per series and time, the series named by ``data.id_columns``) is read with the
time-axis rules applied to each series on its own: its own gaps, fills and split; one
date format for the whole time column. Series may differ in length and start.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.time_axis import full_range

KEY_SEPARATOR = " / "
SeriesKey = tuple[str, ...]  # a series' id values as written, one per id column


@dataclass(frozen=True)
class RowTimes:
    """Every row's time, as read (a wide frame's index, or long rows taken as they were)."""

    index: pd.Index

    def of(self, rows: slice, series: int) -> pd.Index:
        return self.index[rows]

    def all(self, starts: np.ndarray) -> pd.Index:
        return self.index

    def subset(self, keep: Sequence[int], starts: np.ndarray) -> RowTimes:
        parts = [self.index[int(starts[k]) : int(starts[k + 1])] for k in keep]
        if not parts:
            return RowTimes(self.index[:0])
        return RowTimes(parts[0].append(parts[1:]) if len(parts) > 1 else parts[0])


@dataclass(frozen=True)
class GridTimes:
    """Each series' first and last time on the grid of ``frequency``: its rows are every
    step between them, so no per-row time is held (8 bytes a row, more than a float32
    value) until a caller asks for a series' index."""

    firsts: pd.Index  # [num_series]
    lasts: pd.Index  # [num_series]
    frequency: str

    def of(self, rows: slice, series: int) -> pd.Index:
        # slices, not lists: pandas checks a list indexer element by element
        ends = self.firsts[series : series + 1].append(self.lasts[series : series + 1])
        index = full_range(ends, self.frequency) if rows.stop - rows.start > 1 else ends[:1]
        return index.rename(self.firsts.name)

    def all(self, starts: np.ndarray) -> pd.Index:
        parts = [self.of(slice(starts[k], starts[k + 1]), k) for k in range(len(starts) - 1)]
        return parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]

    def subset(self, keep: Sequence[int], starts: np.ndarray) -> GridTimes:
        keep = list(keep)
        return GridTimes(self.firsts[keep], self.lasts[keep], self.frequency)


@dataclass(frozen=True)
class Panel:
    """Series ``k`` is rows ``starts[k]:starts[k + 1]`` of ``values``.

    Long data hold their values as float32, the precision the model computes in, so that
    ten thousand series of a thousand steps are 40 MB, not 80 (wide data keep the float64
    they are read as). ``frame`` builds the whole table with its time index on demand;
    the training path reads ``values`` and one series' index at a time instead.
    """

    values: np.ndarray  # [rows, columns]: targets then covariates
    columns: list[str]
    starts: np.ndarray  # [num_series + 1] int64
    ids: pd.DataFrame  # one row per series: its id column values (no columns: wide data)
    statics: pd.DataFrame  # one row per series: static covariate values as read
    times: RowTimes | GridTimes

    @classmethod
    def of_frame(
        cls, frame: pd.DataFrame, starts: np.ndarray, ids: pd.DataFrame, statics: pd.DataFrame
    ) -> Panel:
        """Series stacked in ``frame`` (its index the rows' times)."""
        values = frame.to_numpy()
        return cls(values, list(frame.columns), starts, ids, statics, RowTimes(frame.index))

    @classmethod
    def single(cls, frame: pd.DataFrame) -> Panel:
        """A wide frame as a panel of one series."""
        empty = pd.DataFrame(index=range(1))
        return cls.of_frame(frame, np.array([0, len(frame)], dtype=np.int64), empty, empty)

    @property
    def num_series(self) -> int:
        return len(self.starts) - 1

    @property
    def id_columns(self) -> list[str]:
        """The columns that name a series (none: a wide CSV's one series)."""
        return [str(name) for name in self.ids.columns]

    @cached_property
    def keys(self) -> list[SeriesKey]:
        """Each series' key: its id values as written, as text (a wide CSV's one series,
        named by no id column, has the key ``()``)."""
        # rows of an array, not itertuples: a frame of no columns still has its one row
        return [tuple(map(str, row)) for row in self.ids.to_numpy(dtype=object)]

    @cached_property
    def labels(self) -> list[str]:
        """Each series' key as text (``key_text``): how ``--ids``, messages and
        per_series.csv name it ("" for a wide CSV's one series)."""
        return [key_text(key) for key in self.keys]

    def name_of(self, series: int, alone: str = "the series") -> str:
        """How a message names series ``series``: ``alone`` when no id column names it."""
        return f"series {self.labels[series]!r}" if self.id_columns else alone

    @cached_property
    def index(self) -> pd.Index:
        """[rows]: every row's time (built on first use when held per series)."""
        return self.times.all(self.starts)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The whole table, time index and columns (built on first use)."""
        table = pd.DataFrame(self.values, index=self.index, columns=self.columns, copy=False)
        return table

    def rows(self, series: int) -> slice:
        return slice(int(self.starts[series]), int(self.starts[series + 1]))

    def series_index(self, series: int) -> pd.Index:
        return self.times.of(self.rows(series), series)

    def series(self, series: int) -> pd.DataFrame:
        rows = self.rows(series)
        index = self.series_index(series)
        return pd.DataFrame(self.values[rows], index=index, columns=self.columns, copy=False)

    def row_times(self) -> pd.Index | RowTimeLookup:
        """Every row's time by row number: the index when one is held, else a lookup
        that builds only the series asked for."""
        if isinstance(self.times, RowTimes):
            return self.times.index
        return RowTimeLookup(self)

    def series_indexes(self) -> SeriesIndexes:
        """Every series' time index, each built when asked for."""
        return SeriesIndexes(self)

    def last_times(self) -> pd.Index:
        """[num_series]: each series' last time."""
        if isinstance(self.times, GridTimes):
            return self.times.lasts
        return self.times.index[self.starts[1:] - 1]

    def series_of_rows(self) -> np.ndarray:
        """[rows]: the series each row belongs to."""
        return np.repeat(np.arange(self.num_series), np.diff(self.starts))

    def subset(self, keep: Sequence[int]) -> Panel:
        """Only the series ``keep``, in that order."""
        keep = list(keep)
        if keep == list(range(self.num_series)):
            return self  # nothing left out: no copy of the values
        lengths = np.diff(self.starts)[keep] if keep else np.zeros(0, dtype=np.int64)
        values = (
            np.concatenate([self.values[self.rows(k)] for k in keep]) if keep else self.values[:0]
        )
        return Panel(
            values,
            self.columns,
            np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            self.ids.iloc[keep].reset_index(drop=True),
            self.statics.iloc[keep].reset_index(drop=True),
            self.times.subset(keep, self.starts),
        )

    def split_last(self, rows: int) -> tuple[Panel, Panel]:
        """Each series without its last ``rows`` rows, and those rows alone (every series
        must have more)."""
        lengths = np.diff(self.starts)
        assert (lengths > rows).all()
        rows_to_end = self.starts[1:][self.series_of_rows()] - np.arange(len(self.values))
        head, tail = np.flatnonzero(rows_to_end > rows), np.flatnonzero(rows_to_end <= rows)
        head_starts = np.concatenate([[0], np.cumsum(lengths - rows)]).astype(np.int64)
        tail_starts = np.arange(self.num_series + 1, dtype=np.int64) * rows
        return (
            self._rows_taken(head, head_starts),
            self._rows_taken(tail, tail_starts),
        )

    def tail(self, rows: int) -> Panel:
        """Each series' last ``rows`` rows (all of a shorter one)."""
        lengths = np.minimum(np.diff(self.starts), rows)
        taken = np.concatenate(
            [np.arange(end - n, end) for end, n in zip(self.starts[1:], lengths, strict=True)]
        )
        return self._rows_taken(taken, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))

    def _rows_taken(self, rows: np.ndarray, starts: np.ndarray) -> Panel:
        times = RowTimes(self.index[rows])
        return Panel(self.values[rows], self.columns, starts, self.ids, self.statics, times)


class SeriesIndexes(Sequence[pd.Index]):
    """Each series' time index, built when asked for."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel

    def __len__(self) -> int:
        return self.panel.num_series

    def __getitem__(self, series: int) -> pd.Index:  # type: ignore[override]
        if not 0 <= series < len(self):
            raise IndexError(series)
        return self.panel.series_index(series)


class RowTimeLookup:
    """A panel's row times looked up by row number (an int, a slice or an array of rows),
    each series' index built only when one of its rows is asked for."""

    def __init__(self, panel: Panel) -> None:
        self.panel = panel

    def __len__(self) -> int:
        return len(self.panel.values)

    def __getitem__(self, key: int | slice | np.ndarray) -> Any:
        if isinstance(key, int | np.integer):
            row = int(key) + (len(self) if key < 0 else 0)
            return self[np.array([row])][0]
        rows = np.arange(*key.indices(len(self))) if isinstance(key, slice) else np.asarray(key)
        series = np.searchsorted(self.panel.starts, rows, side="right") - 1
        order = np.argsort(series, kind="stable")
        pieces = []
        for k in np.unique(series):
            mine = rows[order][series[order] == k] - self.panel.starts[k]
            pieces.append(self.panel.series_index(int(k)).take(mine))
        if not pieces:
            return self.panel.series_index(0)[:0]
        combined = pieces[0].append(pieces[1:]) if len(pieces) > 1 else pieces[0]
        return combined.take(np.argsort(order, kind="stable"))


def key_text(key: Sequence[str]) -> str:
    """A series key as one line of text, which ``parse_key`` reads back: with one id
    column its value as written; with several the values joined by " / ", a value that
    holds "/" or a double quote written in double quotes with its quotes doubled (as a
    CSV quotes a cell): ("north", "a") is ``north / a``, ("X / Y", "Z") is
    ``"X / Y" / Z``. No id column (wide data): ""."""
    if len(key) == 1:
        return key[0]
    return KEY_SEPARATOR.join(_quoted(value) for value in key)


def parse_key(text: str, size: int) -> SeriesKey:
    """The key of ``size`` id values that ``key_text`` wrote as ``text`` (a value quoted
    when it need not be is read too); ValueError when ``text`` is no such key."""
    if size == 0:
        if text:
            raise ValueError(f"{text!r} names a series, but no id column does")
        return ()
    if size == 1:
        return (text,)
    values, at = [], 0
    while True:
        if text.startswith('"', at):
            value, at = _unquoted(text, at)
        else:
            slash = text.find("/", at)
            end = len(text) if slash < 0 else slash - 1
            if end < at or (slash >= 0 and not text.startswith(KEY_SEPARATOR, end)):
                raise ValueError(f"{text!r}: a '/' inside a value must be in double quotes")
            value, at = text[at:end], end
        values.append(value)
        if at == len(text):
            break
        if not text.startswith(KEY_SEPARATOR, at):
            raise ValueError(f"{text!r}: expected {KEY_SEPARATOR!r} after a quoted value")
        at += len(KEY_SEPARATOR)
    if len(values) != size:
        raise ValueError(f"{text!r} has {len(values)} id values, not {size}")
    return tuple(values)


def legacy_keys(text: str, size: int) -> list[SeriesKey]:
    """Every key of ``size`` id values whose values, joined by " / " as bundles wrote keys
    before ``key_text`` (nothing quoted), give ``text``: more than one when a value held
    " / " itself (those series shared the one scaler then, and still do)."""
    if size <= 1:
        return [parse_key(text, size)]
    parts = text.split(KEY_SEPARATOR)
    keys = []
    for cuts in itertools.combinations(range(1, len(parts)), size - 1):
        bounds = [0, *cuts, len(parts)]
        keys.append(tuple(KEY_SEPARATOR.join(parts[a:b]) for a, b in itertools.pairwise(bounds)))
    return keys


def _quoted(value: str) -> str:
    if "/" in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _unquoted(text: str, at: int) -> tuple[str, int]:
    """The quoted value that starts at ``text[at]``, and where it ends."""
    pieces, at = [], at + 1
    while True:
        quote = text.find('"', at)
        if quote < 0:
            raise ValueError(f"{text!r}: a double quote is not closed")
        pieces.append(text[at:quote])
        if not text.startswith('""', quote):
            return "".join(pieces), quote + 1
        pieces.append('"')
        at = quote + 2
