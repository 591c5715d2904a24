"""The step of a time axis: inferred from its timestamps, the seasonal period it implies,
and the timestamps after the last one.

A step index (integers) has the frequency ``step`` and a season of 1.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from forecaster.data.time_axis import STEP, future_steps, is_sub_daily
from forecaster.errors import input_error

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Seasonal period of calendar offsets with n=1, by rule code without its anchor ("QE-DEC" -> "QE").
_PER_CYCLE = {"B": 5, "W": 52, "MS": 12, "ME": 12, "BMS": 12, "BME": 12}
_PER_CYCLE |= {"QS": 4, "QE": 4, "BQS": 4, "BQE": 4, "YS": 1, "YE": 1, "BYS": 1, "BYE": 1}


def infer_frequency(index: pd.Index, source: str = "data") -> str:
    """The pandas offset alias of the series' step, e.g. 'h', 'D', 'MS', '15min', or 'step'
    for an integer index. Sub-daily steps of aware times are read in UTC, longer ones on
    the local calendar."""
    if len(index) < 2:
        found = f"has {len(index)} timestamp(s); at least 2 are needed to infer the frequency"
        raise input_error(source, found, "provide a longer series")
    if not (index.is_monotonic_increasing and index.is_unique):
        found = "has unsorted or repeated timestamps; expected strictly increasing ones"
        raise input_error(source, found, "load the data with read_csv or prepare_frame")
    if not isinstance(index, pd.DatetimeIndex):
        return STEP
    if index.tz is not None:
        in_utc = _infer_naive(index.tz_convert("UTC").tz_localize(None))
        if is_sub_daily(to_offset(in_utc)):
            return in_utc
        return _infer_naive(index.tz_localize(None))
    return _infer_naive(index)


def _infer_naive(index: pd.DatetimeIndex) -> str:
    if len(index) >= 3:
        with warnings.catch_warnings():
            # pandas 3 warns that infer_freq will return an offset; to_offset takes either.
            warnings.simplefilter("ignore")
            inferred = pd.infer_freq(index)
        if inferred is not None:
            offset = to_offset(inferred)
            if isinstance(offset, offsets.QuarterBegin | offsets.QuarterEnd) and offset.n == 1:
                # pandas versions name the same quarters by different anchor months
                # (QS-JAN or QS-OCT); name them by the series' own first month
                return _frequency_from_steps(index)
            return offset.freqstr
    return _frequency_from_steps(index)


def season_length(frequency: str) -> int:
    """Seasonal period m: steps per day below daily, else D 7, B 5, W 52, M 12, Q 4, Y 1;
    1 for a step index."""
    if frequency == STEP:
        return 1
    offset = _offset(frequency)
    day = pd.Timedelta(days=1)
    if isinstance(offset, offsets.Tick | offsets.Day):
        step = pd.Timedelta(offset)  # Day is a calendar offset, not a Tick, in pandas 3
        if step < day:
            return int(day // step) if day % step == pd.Timedelta(0) else 1
        return {day: 7, 7 * day: 52}.get(step, 1)
    per_cycle = _PER_CYCLE.get(offset.rule_code.split("-")[0], 1)
    return per_cycle // offset.n if offset.n >= 1 and per_cycle % offset.n == 0 else 1


def future_index(last: Any, frequency: str, horizon: int, name: str | None = None) -> pd.Index:
    """The ``horizon`` timestamps (or steps) after ``last``, continuing ``frequency`` in
    ``last``'s zone."""
    if horizon < 1:
        raise input_error(
            "horizon", f"is {horizon}; expected at least 1", "ask for 1 or more steps"
        )
    if frequency != STEP:
        _offset(frequency)
    return future_steps(last, frequency, horizon, name)


def _frequency_from_steps(index: pd.DatetimeIndex) -> str:
    """Most common step, snapped to a calendar alias for month/quarter/year spacing."""
    step = pd.Series(index[1:] - index[:-1]).mode().min()
    days = step / pd.Timedelta(days=1)
    first = index[0]
    # Anchor quarters and years on the series' own months, e.g. QE-DEC for Mar/Jun/Sep/Dec.
    phase, month = (first.month - 1) % 3, _MONTHS[first.month - 1]
    calendar = (
        ((28, 31), "MS", "ME"),
        ((89, 92), f"QS-{_MONTHS[phase]}", f"QE-{_MONTHS[phase + 9]}"),
        ((365, 366), f"YS-{month}", f"YE-{month}"),
    )
    for (low, high), starts, ends in calendar:
        if low <= days <= high and index.is_month_start.all():
            return to_offset(starts).freqstr
        if low <= days <= high and index.is_month_end.all():
            return to_offset(ends).freqstr
    if days == 1 and (index.day_of_week < 5).all() and index[-1] - first >= pd.Timedelta(days=7):
        return "B"  # weekdays only, with holiday gaps that stop infer_freq answering
    if days == int(days):
        return to_offset(f"{int(days)}D").freqstr  # "D", not the "24h" a Timedelta gives
    return to_offset(step).freqstr


def _offset(frequency: str) -> offsets.BaseOffset:
    try:
        return to_offset(frequency)
    except (ValueError, TypeError) as exc:
        found = f"{frequency!r} is not a pandas frequency; expected e.g. h, D, MS or 15min"
        raise input_error("frequency", found, "use a pandas offset alias") from exc
