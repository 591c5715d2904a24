"""Deseasonalisation (``deseasonalise``): each series' seasonal index per season position,
fit by classical decomposition on its training rows alone, removed from the (transformed)
targets before scaling and put back on every forecast.

A series' pattern is anchored on the time of its last training row: a row ``d`` steps
after that time (``d`` negative before it) takes ``indices[d % period]``. Positions are
counted on the time axis, not by row number, so history given to ``predict`` (any rows,
any length) lines up with the pattern the model was trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from forecaster.data.time_axis import STEP


@dataclass(frozen=True)
class SeasonalPattern:
    """One series' seasonal indices, ``[period, targets]``, anchored at ``anchor``."""

    anchor: Any  # the time (or step) of the series' last training row
    indices: np.ndarray  # [period, targets]

    def to_dict(self) -> dict[str, Any]:
        anchor = self.anchor if isinstance(self.anchor, int) else pd.Timestamp(self.anchor)
        return {
            "anchor": anchor if isinstance(anchor, int) else anchor.isoformat(),
            "indices": self.indices.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeasonalPattern:
        anchor = data["anchor"]
        return cls(
            anchor if isinstance(anchor, int) else pd.Timestamp(anchor),
            np.asarray(data["indices"], dtype=np.float64),
        )


def classical_indices(train_rows: np.ndarray, period: int, multiplicative: bool) -> np.ndarray:
    """Classical decomposition's seasonal indices of ``train_rows`` (``[rows, targets]``),
    ``[period, targets]``, position ``j`` for rows ``j, j + period, ...``: the trend a
    centred moving average over one period (2 x period for an even period), each row
    divided by it (``multiplicative``) or less it, averaged per position, then normalised
    to a mean of 1 (or 0). Fewer than two periods of rows: no pattern (ones, or zeros)."""
    rows, columns = train_rows.shape
    neutral = np.full((period, columns), 1.0 if multiplicative else 0.0)
    if rows < 2 * period:
        return neutral
    if period % 2:
        weights = np.full(period, 1.0 / period)
    else:  # a 2 x period moving average: centred on a row, not between two
        weights = np.concatenate([[0.5], np.ones(period - 1), [0.5]]) / period
    half = len(weights) // 2
    values = np.asarray(train_rows, dtype=np.float64)
    indices = np.empty((period, columns))
    for c in range(columns):
        trend = np.convolve(values[:, c], weights, mode="valid")  # rows half .. rows-half-1
        middle = values[half : half + len(trend), c]
        with np.errstate(divide="ignore", invalid="ignore"):
            detrended = middle / trend if multiplicative else middle - trend
        positions = (np.arange(len(trend)) + half) % period
        for j in range(period):
            found = detrended[positions == j]
            found = found[np.isfinite(found)]
            indices[j, c] = found.mean() if len(found) else neutral[0, c]
    if multiplicative:
        mean = indices.mean(axis=0)
        return np.where(mean > 0, indices / np.where(mean > 0, mean, 1.0), 1.0)
    return indices - indices.mean(axis=0)


def fit_pattern(
    train_rows: np.ndarray, period: int, multiplicative: bool, anchor: Any
) -> SeasonalPattern:
    """The pattern of ``train_rows`` anchored at ``anchor``, the time of their last row:
    ``indices[d % period]`` for the row ``d`` steps after it."""
    raw = classical_indices(train_rows, period, multiplicative)
    last = len(train_rows) - 1
    return SeasonalPattern(anchor, np.roll(raw, -last, axis=0))


def steps_between(start: Any, end: Any, frequency: str) -> int:
    """How many steps of ``frequency`` ``end`` is after ``start`` (negative: before),
    both on one grid: fixed-length steps in absolute time, calendar steps (days, months)
    on the wall clock, as ``time_axis.full_range`` counts them."""
    if frequency == STEP:
        return int(end) - int(start)
    offset = to_offset(frequency)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if isinstance(offset, offsets.Tick):
        return round((last - first) / pd.Timedelta(offset))
    first, last = (t.tz_localize(None) if t.tz is not None else t for t in (first, last))
    sign = 1 if last >= first else -1
    low, high = (first, last) if sign > 0 else (last, first)
    return sign * (len(pd.date_range(low, high, freq=offset)) - 1)


def deseasonalised(values: np.ndarray, factors: np.ndarray, multiplicative: bool) -> np.ndarray:
    """``values`` with the seasonal ``factors`` (same shape) removed."""
    return values / factors if multiplicative else values - factors


def reseasonalised(values: np.ndarray, factors: np.ndarray, multiplicative: bool) -> np.ndarray:
    """``values`` with the seasonal ``factors`` put back (the inverse of ``deseasonalised``)."""
    return values * factors if multiplicative else values + factors
