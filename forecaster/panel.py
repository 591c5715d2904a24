"""One series or many: series stacked row-wise, each on its own checked time axis.

Wide data (one series, its columns side by side) is a panel of one series. Long data
(one row per series and time, the series named by ``data.id_columns``) is read with the
time-axis rules applied to each series on its own: its own gaps, fills and split; one
date format for the whole time column. Series may differ in length and start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data import (
    Boundaries,
    MissingPolicy,
    find_time_column,
    prepare_rows,
    read_rows,
)
from forecaster.errors import InputError
from forecaster.frequency import infer_frequency
from forecaster.time_formats import parse_times

KEY_SEPARATOR = " / "


@dataclass(frozen=True)
class Panel:
    """Series ``k`` is rows ``starts[k]:starts[k + 1]`` of ``frame``."""

    frame: pd.DataFrame  # time index (repeats across series); targets then covariates, float64
    starts: np.ndarray  # [num_series + 1] int64
    ids: pd.DataFrame  # one row per series: its id column values (no columns: wide data)
    statics: pd.DataFrame  # one row per series: static covariate values as read

    @classmethod
    def single(cls, frame: pd.DataFrame) -> Panel:
        """A wide frame as a panel of one series."""
        empty = pd.DataFrame(index=range(1))
        return cls(frame, np.array([0, len(frame)], dtype=np.int64), empty, empty)

    @property
    def num_series(self) -> int:
        return len(self.starts) - 1

    @property
    def is_long(self) -> bool:
        return len(self.ids.columns) > 0

    @property
    def keys(self) -> list[str]:
        """Each series' name as people read it: its id values joined by " / "."""
        if not self.is_long:
            return [""]
        return [series_key(row) for row in self.ids.itertuples(index=False)]

    def rows(self, series: int) -> slice:
        return slice(int(self.starts[series]), int(self.starts[series + 1]))

    def series(self, series: int) -> pd.DataFrame:
        return self.frame.iloc[self.rows(series)]

    def series_of_rows(self) -> np.ndarray:
        """[rows]: the series each row belongs to."""
        return np.repeat(np.arange(self.num_series), np.diff(self.starts))

    def subset(self, keep: Sequence[int]) -> Panel:
        """Only the series ``keep``, in that order."""
        blocks = [self.series(k) for k in keep]
        lengths = [len(block) for block in blocks]
        return Panel(
            pd.concat(blocks) if blocks else self.frame.iloc[:0],
            np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            self.ids.iloc[list(keep)].reset_index(drop=True),
            self.statics.iloc[list(keep)].reset_index(drop=True),
        )

    def split_last(self, rows: int) -> tuple[Panel, Panel]:
        """Each series without its last ``rows`` rows, and those rows alone (every series
        must have more)."""
        lengths = np.diff(self.starts)
        assert (lengths > rows).all()
        rows_to_end = self.starts[1:][self.series_of_rows()] - np.arange(len(self.frame))
        head, tail = np.flatnonzero(rows_to_end > rows), np.flatnonzero(rows_to_end <= rows)
        head_starts = np.concatenate([[0], np.cumsum(lengths - rows)]).astype(np.int64)
        tail_starts = np.arange(self.num_series + 1, dtype=np.int64) * rows
        return (
            Panel(self.frame.iloc[head], head_starts, self.ids, self.statics),
            Panel(self.frame.iloc[tail], tail_starts, self.ids, self.statics),
        )


def series_key(values: Sequence[Any]) -> str:
    return KEY_SEPARATOR.join(str(value) for value in values)


def read_long(path: str | Path, **options: Any) -> Panel:
    """A long CSV or Parquet file, one row per (series, time), as ``long_panel`` reads it
    (``options`` are its keywords, and ``row_filter``)."""
    frame, where = read_rows(path, options.pop("row_filter", None))
    return long_panel(frame, where, str(path), **options)


def long_panel(
    frame: pd.DataFrame,
    where: Callable[[int], str],
    source: str,
    *,
    id_columns: Sequence[str],
    static_covariates: Sequence[str] = (),
    time_column: str | None = None,
    columns: Sequence[str] = (),
    missing: MissingPolicy = "error",
    column_fix: str | None = None,
    boundaries: Boundaries | None = None,
    **time: Any,
) -> Panel:
    """Long rows (as read, or a DataFrame) to a panel: each series checked on its own."""
    frame = frame.reset_index(drop=True)
    _check_named(frame, [*id_columns, *static_covariates], source)
    time_name, raw = find_time_column(frame.drop(columns=list(id_columns)), time_column, source)
    frequency = time.pop("frequency", None)
    step = None if frequency is None else frequency == "step"
    # one date format for the whole column, decided from every series' values at once
    times = parse_times(
        raw,
        time_name,
        source,
        where,
        time_format=time.pop("time_format", None),
        dayfirst=time.pop("dayfirst", None),
        step=step,
    )
    frame = frame.assign(**{time_name: np.asarray(times)})
    if isinstance(times, pd.DatetimeIndex) and times.tz is not None:
        frame[time_name] = frame[time_name].dt.tz_convert(times.tz)
    groups = frame.groupby(list(id_columns), sort=True, dropna=False).indices
    if frequency is None:  # every series on the grid of the longest one
        longest = max(groups.values(), key=len)
        frequency = infer_frequency(pd.Index(times[longest]).sort_values(), source)
    blocks, keys, statics = [], [], []
    value_columns = list(columns) or [
        c for c in frame.columns if c not in {*id_columns, *static_covariates, time_name}
    ]
    for key, positions in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        name = f"{source} (series {series_key(key)})"
        rows = frame.iloc[positions]
        statics.append(_static_values(rows, static_covariates, name, where, positions))
        block = prepare_rows(
            rows[[time_name, *value_columns]].reset_index(drop=True),
            time_name,
            value_columns,
            missing,
            name,
            _where_in(where, positions),
            column_fix,
            frequency=frequency,
            boundaries=boundaries,
            **time,
        )
        blocks.append(block)
        keys.append(key)
    lengths = [len(block) for block in blocks]
    return Panel(
        pd.concat(blocks),
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        pd.DataFrame(keys, columns=list(id_columns)),
        pd.DataFrame(statics, columns=list(static_covariates)),
    )


def _check_named(frame: pd.DataFrame, names: Sequence[str], source: str) -> None:
    lost = [name for name in names if name not in frame.columns]
    if lost:
        raise InputError(
            f"{source}: column {lost[0]!r} (data.id_columns / data.static_covariates) is "
            f"missing; found columns: {', '.join(map(str, frame.columns))}; fix: name "
            "columns of the file in the spec"
        )


def _static_values(
    rows: pd.DataFrame,
    names: Sequence[str],
    source: str,
    where: Callable[[int], str],
    positions: np.ndarray,
) -> list[Any]:
    values = []
    for name in names:
        cells = rows[name].astype(str).str.strip()
        changed = np.flatnonzero((cells != cells.iloc[0]).to_numpy())
        if changed.size:
            raise InputError(
                f"{source}: static covariate {name!r} changes within the series "
                f"({cells.iloc[0]!r}, then {cells.iloc[changed[0]]!r} at "
                f"{where(int(positions[changed[0]]))}); expected one value per series; fix: "
                "list it in data.covariates instead"
            )
        values.append(cells.iloc[0])
    return values


def _where_in(where: Callable[[int], str], positions: np.ndarray) -> Callable[[int], str]:
    return lambda i: where(int(positions[i]))
