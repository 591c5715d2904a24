"""The time axis after parsing: its zone and style, the full grid of steps, gaps, filling.

A series is regular when its rows are every step of its frequency from the first row to the
last. Sub-daily steps of aware data are counted in UTC (hourly stays hourly across daylight
saving), daily and longer ones on the local calendar. A step index (``frequency: step``)
counts 0, 1, 2, ... Missing steps are gaps: refused under ``missing: error``, added as empty
rows under ``ffill`` / ``interpolate`` and filled by ``fill_missing``, which never reads a
value from after the end of the period a row belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from forecaster.errors import InputError
from forecaster.log import logger
from forecaster.storage.files import write_csv

STEP = "step"


def time_style(index: pd.Index) -> tuple[str, str | None]:
    """(style, timezone): ('naive', None), ('Z', 'UTC'), ('offset', '+02:00'),
    ('named', 'Europe/Berlin') or ('step', None)."""
    if not isinstance(index, pd.DatetimeIndex):
        return STEP, None
    zone = index.tz
    if zone is None:
        return "naive", None
    if isinstance(zone, timezone) and zone is not timezone.utc:
        return "offset", format_offset(zone.utcoffset(None))
    if str(zone) == "UTC":
        return "Z", "UTC"
    return "named", str(zone)


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def as_index_time(value: Any, index: pd.Index) -> pd.Timestamp:
    """A date from the spec or command line on this index's axis: a naive date is read in
    the data's zone; an aware date on naive data keeps its own wall clock."""
    stamp = pd.Timestamp(value)
    zone = getattr(index, "tz", None)
    if zone is not None:
        return stamp.tz_localize(zone) if stamp.tz is None else stamp.tz_convert(zone)
    return stamp.tz_localize(None) if stamp.tz is not None else stamp


def is_sub_daily(offset: offsets.BaseOffset) -> bool:
    return isinstance(offset, offsets.Tick)  # Day is a calendar offset in pandas 3


def full_range(index: pd.Index, frequency: str) -> pd.Index:
    """Every step from the first row to the last."""
    if frequency == STEP:
        return pd.Index(np.arange(index[0], index[-1] + 1, dtype=np.int64), name=index.name)
    offset = to_offset(frequency)
    zone = index.tz
    if zone is not None and is_sub_daily(offset):
        utc = index.tz_convert("UTC")
        grid = pd.date_range(utc[0], utc[-1], freq=offset).tz_convert(zone)
    elif zone is not None:
        wall = index.tz_localize(None)
        grid = pd.date_range(wall[0], wall[-1], freq=offset)
        grid = grid.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dropna()
    else:
        grid = pd.date_range(index[0], index[-1], freq=offset)
    return grid.rename(index.name)


def future_steps(last: Any, frequency: str, horizon: int, name: str | None = None) -> pd.Index:
    """The ``horizon`` steps after ``last``, in its zone."""
    if frequency == STEP:
        return pd.Index(np.arange(int(last) + 1, int(last) + 1 + horizon), name=name)
    offset = to_offset(frequency)
    last = pd.Timestamp(last)
    if last.tz is not None and is_sub_daily(offset):
        utc = last.tz_convert("UTC")
        steps = pd.date_range(utc + offset, periods=horizon, freq=offset)
        return steps.tz_convert(last.tz).rename(name)
    if last.tz is not None:
        wall = last.tz_localize(None)
        steps = pd.date_range(wall + offset, periods=horizon, freq=offset)
        return steps.tz_localize(last.tz, ambiguous=True, nonexistent="shift_forward").rename(name)
    # last + offset rolls onto the next anchor point even when last is off-anchor.
    return pd.date_range(last + offset, periods=horizon, freq=offset, name=name)


def regularize(
    frame: pd.DataFrame,
    frequency: str,
    missing: str,
    max_gap: int | None,
    source: str,
    inferred: bool,
) -> pd.DataFrame:
    """The frame on the full grid of its frequency; gaps refused or added as empty rows."""
    index = frame.index
    name, shown = index.name, _step_name(frequency)
    grid = full_range(index, frequency)
    where = grid.get_indexer(index)
    if (where < 0).any():
        off = index[int(np.argmax(where < 0))]
        found = f"time column {name!r} has {off}, which is not on the {shown} grid that starts "
        found += f"at {index[0]}; expected one row every {shown}"
        fix = "set data.frequency to the series' step, or correct that row"
        raise InputError(f"{source}: {found}; fix: {fix}")
    if len(grid) == len(index):
        return frame
    if inferred and len(grid) > 2 * len(index):
        found = f"time column {name!r} has no clear frequency: its most common step, {shown}, "
        found += f"would leave {len(grid) - len(index)} of {len(grid)} steps missing"
        raise InputError(f"{source}: {found}; expected a regular series; fix: set data.frequency")
    present = np.zeros(len(grid), dtype=bool)
    present[where] = True
    runs = _runs(~present)
    if missing == "error":
        start, stop = runs[0]
        found = f"time column {name!r} has a gap: {stop - start} step(s) of {shown} missing "
        found += (
            f"at {grid[start]}" if stop - start == 1 else f"from {grid[start]} to {grid[stop - 1]}"
        )
        found += f" (the first of {len(runs)} gaps)" if len(runs) > 1 else " (the only gap)"
        fix = "add the missing rows, or set data.missing: interpolate or ffill to fill them "
        fix += "(data.max_gap bounds how many steps in a row)"
        raise InputError(f"{source}: {found}; expected one row every {shown}; fix: {fix}")
    regular = frame.reindex(grid)
    check_max_gap(regular, max_gap, source)
    filled = sum(stop - start for start, stop in runs)
    logger.info(
        f"{source}: {filled} missing step(s) in {len(runs)} gap(s) added as empty rows "
        f"to {missing} (the first from {grid[runs[0][0]]})"
    )
    return regular


def check_max_gap(frame: pd.DataFrame, max_gap: int | None, source: str) -> None:
    """No column may have more than ``max_gap`` empty steps in a row to fill."""
    if max_gap is None:
        return
    for column in frame.columns:
        empty = frame[column].isna().to_numpy()
        first = int(np.argmax(~empty)) if (~empty).any() else len(empty)
        long = [(a, b) for a, b in _runs(empty) if a >= first and b - a > max_gap]
        if long:
            start, stop = long[0]
            found = f"column {column!r} has {stop - start} missing steps in a row from "
            found += f"{frame.index[start]} to {frame.index[stop - 1]}, more than data.max_gap "
            found += f"({max_gap}) allows to fill"
            fix = "add the missing rows, use a shorter stretch of data, or raise data.max_gap"
            raise InputError(f"{source}: {found}; expected gaps of at most {max_gap}; fix: {fix}")


def leading_rows(frame: pd.DataFrame) -> int:
    """Rows before every column has had a value: nothing in the past can fill them."""
    filled = frame.notna().to_numpy()
    if filled.all():
        return 0
    return int(max(int(np.argmax(filled[:, j])) for j in range(filled.shape[1])))


def fill_missing(frame: pd.DataFrame, policy: str, boundaries: Sequence[int] = ()) -> pd.DataFrame:
    """Fill empty cells so that no value crosses a period boundary backwards.

    ``boundaries`` are the row positions where periods end (validation start, test start,
    ...). Rows of the period ending at ``b`` are filled from rows before ``b`` only:
    ``interpolate`` draws a line between the values around a gap inside the period (in
    time, or along the step index), ``ffill`` and any gap left at the period's end repeat
    the last value before it. Empty cells before a column's first value stay empty.
    """
    if policy == "error" or not frame.isna().to_numpy().any():
        return frame
    ends = sorted({int(b) for b in boundaries if 0 < b < len(frame)} | {len(frame)})
    out, start = frame.copy(), 0
    method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "index"
    for end in ends:
        if frame.iloc[start:end].isna().to_numpy().any():
            past = frame.iloc[:end]
            if policy == "interpolate":
                past = past.interpolate(method=method, limit_area="inside")
            out.iloc[start:end] = past.ffill().iloc[start:end].to_numpy()
        start = end
    return out


def write_table(table: pd.DataFrame, target: str | Path | IO[str], **options: Any) -> None:
    """A CSV whose aware timestamps are ISO 8601 with their zone (``Z`` for UTC), written
    by ``storage.write_csv`` (text that would run as a spreadsheet formula neutralised)."""
    table = table.copy()
    for column in table.columns:
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            text = table[column].map(lambda t: t.isoformat())
            if time_style(pd.DatetimeIndex(table[column]))[0] == "Z":
                text = text.str.replace(r"\+00:00$", "Z", regex=True)
            table[column] = text
    write_csv(table, target, **options)


def describe_rows(index: pd.Index) -> str:
    return f"{index[0]} to {index[-1]} ({len(index)} rows)"


def _step_name(frequency: str) -> str:
    return "1 (step index)" if frequency == STEP else repr(frequency)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def check_history(used: pd.Index, style: str, timezone_name: str | None, source: str) -> None:
    """The rows a forecast reads are on the kind of time axis the model was trained on;
    say which rows they are."""
    kinds = {"step": "a step index", "naive": "times without a zone"}
    trained = kinds.get(style, f"times with a zone ({timezone_name})")
    found_style, found_zone = time_style(used)
    found = kinds.get(found_style, f"times with a zone ({found_zone})")
    if (found_style in kinds or style in kinds) and found_style != style:
        raise InputError(
            f"{source}: has {found}; expected {trained}, as the model was trained on; "
            "fix: pass history whose time column is written like the training data's"
        )
    logger.info(f"{source}: used rows {describe_rows(used)}")
