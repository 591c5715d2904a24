"""The chronological split: each series' training, validation and test rows, checked
before any training (every period holds a window; the seasonal-naive baseline has a
season of history before every scored window), and which series of a panel can be
scored at all.

A window is named by its *origin* ``t``: the row of its first forecast step; a period's
windows are the origins whose whole horizon lies inside the period (``windows`` cuts
them).

With ``window.pad`` a window's input may reach before the series' first row (it is
padded): a window needs only ``PADDED_INPUT_ROWS`` observed rows before its origin, and a
series needs a window in the validation and test periods and a season of training rows,
not a training window of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecaster.data.panel import Panel
from forecaster.data.time_axis import as_index_time
from forecaster.errors import InputError
from forecaster.model.windows import WindowRanges
from forecaster.spec import DateSplit, FractionSplit, StepSplit, windows_needed

Split = FractionSplit | DateSplit | StepSplit


Period = Literal["train", "val", "test"]
PERIODS: tuple[Period, ...] = ("train", "val", "test")  # training, validation, test

# window.pad: the observed rows a padded window reads at least, the one before its origin
# (what the naive baseline repeats)
PADDED_INPUT_ROWS = 1


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


def window_origins(
    start: int, stop: int, lookback: int, horizon: int, *, pad: bool = False
) -> np.ndarray:
    """Origins whose targets lie in rows ``[start, stop)`` and whose input starts at row >= 0
    (``pad``: whose input holds at least ``PADDED_INPUT_ROWS`` rows of the series)."""
    first, count = _first_and_count(start, stop, lookback, horizon, pad=pad)
    return np.arange(first, first + count, dtype=np.int64)


def _first_and_count(
    start: int, stop: int, lookback: int, horizon: int, *, pad: bool = False
) -> tuple[int, int]:
    first = max(start, min(lookback, PADDED_INPUT_ROWS) if pad else lookback)
    last = stop - horizon  # inclusive
    return first, max(0, last - first + 1)


def period_origins(
    periods: Periods,
    period: Period,
    lookback: int,
    horizon: int,
    source: str,
    *,
    pad: bool = False,
) -> np.ndarray:
    start, stop = periods.bounds(period)
    origins = window_origins(start, stop, lookback, horizon, pad=pad)
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
    *,
    pad: bool = False,
) -> Periods:
    """The split's periods, checked before any training: each ``required`` one holds at
    least one window, and the seasonal-naive baseline has a season of history before
    every scored window. With ``pad`` the training period needs rows, not a window of
    its own (the model may learn from other series)."""
    periods = split_periods(index, split)
    if isinstance(split, DateSplit):
        _check_dates(index, split, periods, source)
    if pad and periods.train_end < 1:
        raise InputError(
            f"{source}: no training rows: the train period has 0 rows, needs at least 1 "
            "to scale the series by; fix: use more data or change data.split"
        )
    windowed = [period for period in required if not (pad and period == "train")]
    origins = {
        period: period_origins(periods, period, lookback, horizon, source, pad=pad)
        for period in windowed
    }
    scored: Period = "val" if "val" in origins else "test"
    first_scored = int(origins[scored][0])
    if first_scored < season:
        name = {"val": "validation", "test": "test"}[scored]
        raise InputError(
            f"{source}: the first {name} window starts at row {first_scored}; the "
            f"seasonal-naive baseline scored beside the model needs a season ({season} rows) "
            "of history before it; fix: use more training rows (a later data.split)"
            + ("" if pad else f" or a window.lookback of at least {season}")
        )
    return periods


def check_calibration_windows(
    levels: Sequence[int], windows: int, num_series: int, source: str
) -> None:
    """Every interval level can be calibrated on the ``windows`` validation windows (of
    ``num_series`` series together): a level ``L`` needs ``L / (100 - L)`` of them (19 for
    95), or its bound would be infinite. Checked before any training."""
    short = [level for level in levels if windows_needed(level) > windows]
    if not short:
        return
    need = windows_needed(short[-1])
    steps = -(-(need - windows) // num_series)  # each validation step adds a window a series
    named = " and ".join(map(str, short))
    raise InputError(
        f"{source}: intervals.levels {named} {'needs' if len(short) == 1 else 'need'} at "
        f"least {need} calibration windows; the validation period has {windows}; fix: "
        f"lengthen the validation period (data.split) by at least {steps} step(s)"
        + (" in every series" if num_series > 1 else "")
        + f", or drop {named} from intervals.levels"
    )


@dataclass(frozen=True)
class SeriesPeriods:
    """The periods of every series of a panel: series ``k`` starts at row ``starts[k]``
    of the stacked rows and ``periods[k]`` counts rows from there."""

    starts: np.ndarray  # [num_series]
    periods: tuple[Periods, ...]

    def origins(
        self, period: Period, lookback: int, horizon: int, *, pad: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every window of ``period`` in every series, as rows of the stacked panel, and
        the series of each: ``([windows], [windows])``. No window crosses two series (a
        ``pad`` window's input is padded where it would)."""
        ranges = self.ranges(period, lookback, horizon, pad=pad)
        return ranges.locate(np.arange(len(ranges)))

    def ranges(
        self, period: Period, lookback: int, horizon: int, *, pad: bool = False
    ) -> WindowRanges:
        """``origins`` without the per-window arrays."""
        firsts, counts = [], []
        for start, periods in zip(self.starts, self.periods, strict=True):
            bounds = periods.bounds(period)
            first, count = _first_and_count(*bounds, lookback, horizon, pad=pad)
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
    *,
    pad: bool = False,
) -> tuple[list[int], list[Periods], list[str]]:
    """Each series' periods, checked like ``check_periods``. Returns the series that have
    a window in every period (their positions and periods) and, for every other one, why
    it is left out. Only when no series is left is it an error: the first one's."""
    kept, periods, reasons = [], [], []
    for position, index in enumerate(indexes):
        try:
            periods.append(
                check_periods(index, split, lookback, horizon, season, source, required, pad=pad)
            )
            kept.append(position)
        except InputError as error:
            if len(indexes) == 1:  # the one series of a wide CSV: what it lacks, as found
                raise
            reasons.append(str(error).removeprefix(f"{source}: ").split("; fix:")[0])
            if not kept and len(reasons) == len(indexes):
                raise InputError(
                    f"{source}: no series has a window in every period; the first: "
                    f"{reasons[0]}; fix: use a smaller window.lookback/window.horizon"
                    + ("" if pad else ", window.pad: true,")
                    + " or shorter validation and test periods"
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
    *,
    pad: bool = False,
) -> tuple[Panel, SeriesPeriods, dict[str, str]]:
    """The series of ``panel`` with a window in every ``required`` period (``pad``: see
    ``check_periods``), their periods, and why each other series is left out (by series
    key)."""
    # one series' index at a time: a list of them all would be a per-row time index again
    indexes = panel.series_indexes()
    kept, periods, reasons = check_series_periods(
        indexes, split, lookback, horizon, season, source, required, pad=pad
    )
    dropped = [label for k, label in enumerate(panel.labels) if k not in kept]
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
