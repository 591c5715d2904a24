"""Rows as read (a CSV's, a Parquet file's or a DataFrame's) to a ``Panel``.

``read_panel`` is the one place that tells the two layouts apart: long rows (one row per
series and time, the series named by ``data.id_columns``) are read with the time-axis
rules applied to each series on its own (its own gaps, fills and split; one date format
for the whole time column); a wide table (no id columns) is one series whose columns are
its targets and covariates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.frequency import infer_frequency
from forecaster.data.panel import Panel, RowTimes, SeriesKey, key_text
from forecaster.data.reading import (
    TIME_NAMES,
    Boundaries,
    MissingPolicy,
    filter_rows,
    find_time_column,
    prepare_rows,
    refuse_repeated,
)
from forecaster.data.time_axis import full_range
from forecaster.data.time_formats import parse_times
from forecaster.errors import InputError, input_error


def read_panel(
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
    row_filter: dict[str, Any] | None = None,
    **time: Any,
) -> Panel:
    """Rows as read (or a DataFrame) to a panel: long rows named by ``id_columns`` series
    by series; with no id columns, a wide table as a panel of one series. The one place
    that tells the two layouts apart."""
    if id_columns:
        return long_panel(
            frame,
            where,
            source,
            id_columns=id_columns,
            static_covariates=static_covariates,
            time_column=time_column,
            columns=columns,
            missing=missing,
            column_fix=column_fix,
            boundaries=boundaries,
            row_filter=row_filter,
            **time,
        )
    frame, where = filter_rows(frame, row_filter, source, where)
    wide = prepare_rows(
        frame,
        time_column,
        columns,
        missing,
        source,
        where,
        column_fix,
        boundaries=boundaries,
        **time,
    )
    return Panel.single(wide)


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
    row_filter: dict[str, Any] | None = None,
    **time: Any,
) -> Panel:
    """Long rows (as read, or a DataFrame) to a panel: each series checked on its own;
    only the rows ``row_filter`` (``data.filter``) keeps, when given.

    A series whose rows are already its checked result (in time order, one row on every
    step of its grid, every value a finite number, its static covariates constant) is
    recognised for all series at once with array operations and taken as it is; only the
    others go through ``reading.prepare_rows`` one by one, which sorts, fills or refuses them
    with its usual messages. Series are visited in key order either way, so the first
    problem reported is the one a series-by-series reading would report.
    """
    frame, where = filter_rows(frame, row_filter, source, where)
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0):
        frame = frame.reset_index(drop=True)  # positions below are row positions
    _check_named(frame, [*id_columns, *static_covariates], source)
    if time_column is not None and time_column in frame.columns and time_column not in id_columns:
        time_name, raw = time_column, frame[time_column]  # no copy of the frame to find it
    else:
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
    group_keys, groups = series_rows(frame, id_columns, source, where)
    lengths = np.array([len(p) for p in groups], dtype=np.int64)
    order = np.concatenate(groups)  # [rows]: input row of each row, by series
    del groups  # series k's input rows are order[starts[k]:starts[k + 1]]: one copy is enough
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if frequency is None:  # every series on the grid of the longest one
        longest = int(np.argmax(lengths))
        positions = order[starts[longest] : starts[longest + 1]]
        stamps = pd.Index(times[positions]).sort_values()
        if not stamps.is_unique:  # refused below, in its series' turn, with its rows
            stamps = stamps.drop_duplicates()
            if len(stamps) < 2:  # one time only: no frequency to read, nothing to wait for
                name = f"{source} (series {key_text(group_keys[longest])})"
                _refuse_repeated(times[positions], name, _where_in(where, positions))
        frequency = infer_frequency(stamps, source)
    value_columns = list(columns) or [
        c for c in frame.columns if c not in {*id_columns, *static_covariates, time_name}
    ]
    fast = _fast_path_allowed(frame, time_name, value_columns, time_column, missing)
    if fast:
        numbers = np.empty((len(value_columns), len(order)))  # [columns, rows]
        for j, name in enumerate(value_columns):
            numbers[j] = _numbers(frame[name])[order]
        ready = _on_grid(times, order, starts, frequency) & _finite(numbers, starts)
        static_cells = [
            frame[name].astype(str).str.strip().to_numpy()[order] for name in static_covariates
        ]
        for cells in static_cells:
            ready &= _constant(cells, starts)
    else:
        numbers = np.empty((len(value_columns), 0))
        ready = np.zeros(len(lengths), dtype=bool)
        static_cells = []
    with_times: pd.DataFrame | None = None  # the frame with parsed times, built if needed
    values, indexes, keys, statics = [], [], [], []
    run_start = None  # first series of the current run of ready series
    for k, key in enumerate(group_keys):
        keys.append(key)
        if ready[k]:
            statics.append([cells[starts[k]] for cells in static_cells])
            run_start = k if run_start is None else run_start
            continue
        if run_start is not None:  # the ready series before this one, as one block
            values.append(numbers[:, starts[run_start] : starts[k]])
            indexes.append(times.take(order[starts[run_start] : starts[k]]))
            run_start = None
        if with_times is None:
            with_times = _with_times(frame, time_name, times)
        name = f"{source} (series {key_text(key)})"
        positions = order[starts[k] : starts[k + 1]]
        rows = with_times.iloc[positions]
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
        values.append(block.to_numpy(dtype=np.float64).T)
        indexes.append(block.index)
        lengths[k] = len(block)
    if run_start is not None:
        values.append(numbers[:, starts[run_start] :])
        indexes.append(times.take(order[starts[run_start] :]))
    index = indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    index = index.rename(time_name)
    stacked = values[0] if len(values) == 1 else np.concatenate(values, axis=1)
    return Panel(
        long_values(stacked.T, source),
        value_columns,
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        pd.DataFrame(keys, columns=list(id_columns)),
        pd.DataFrame(statics, columns=list(static_covariates)),
        RowTimes(index),
    )


def series_rows(
    frame: pd.DataFrame, id_columns: Sequence[str], source: str, where: Callable[[int], str]
) -> tuple[list[SeriesKey], list[np.ndarray]]:
    """Each series' key and its rows (positions in ``frame``, in input order), series in
    key order. A key is the series' id values as text: a text cell as written, any other
    value (a Parquet integer, a frame's number) as ``str`` writes it (7 -> "7"). An empty
    id cell (missing, "" or only spaces) names no series: refused, with its rows.

    The work is per series, not per row: the rows are grouped by their values as held,
    and only each group's values are turned into text."""
    groups = frame.groupby(list(id_columns), sort=False, dropna=False).indices
    by_key: dict[tuple[str | None, ...], list[np.ndarray]] = {}
    for values, rows in groups.items():
        key = tuple(_id_text(v) for v in (values if isinstance(values, tuple) else (values,)))
        by_key.setdefault(key, []).append(rows)  # 7 and "7" in one column: one series
    del groups
    empty = [key for key in by_key if None in key]
    if empty:
        column = min(key.index(None) for key in empty)
        rows = np.sort(
            np.concatenate([r for key in empty if key[column] is None for r in by_key[key]])
        )
        shown = [where(int(i)) for i in rows[:3]]
        if len(rows) > 3:
            places = f"{', '.join(shown)} and {len(rows) - 3} more"
        else:
            places = " and ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)
        found = (
            f"id column {id_columns[column]!r} (data.id_columns) is empty at {places}; "
            "expected the name of a series in every row"
        )
        raise input_error(source, found, "fill in those cells or remove the rows")
    keys = sorted(by_key, key=lambda key: tuple(str(v) for v in key))
    rows_of = [
        parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        for parts in (by_key[key] for key in keys)
    ]
    return [tuple(str(v) for v in key) for key in keys], rows_of


def _id_text(value: Any) -> str | None:
    """An id cell's text; None when it is empty."""
    if isinstance(value, str):
        return value if value.strip() else None
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    return str(value)


def _refuse_repeated(times: pd.Index, source: str, where: Callable[[int], str]) -> None:
    """Refuse the series whose rows have the ``times``: one of them appears twice."""
    stamps = times.asi8 if isinstance(times, pd.DatetimeIndex) else times.to_numpy()
    order = np.argsort(stamps, kind="stable")
    refuse_repeated(times[order], order, source, where)


def long_values(numbers: np.ndarray, source: str) -> np.ndarray:
    """[rows, columns] float32, C-contiguous: how a panel of long data holds its values.
    A finite number beyond float32's range is refused rather than made infinite."""
    with np.errstate(over="ignore"):
        values = np.ascontiguousarray(numbers, dtype=np.float32)
    if (np.isinf(values) & np.isfinite(numbers)).any():
        raise InputError(
            f"{source}: a value is beyond the 32-bit range (about 3.4e38) the series are "
            "held and modelled in; expected smaller numbers; fix: rescale the column"
        )
    return values


def _fast_path_allowed(
    frame: pd.DataFrame,
    time_name: str,
    value_columns: Sequence[str],
    time_column: str | None,
    missing: str,
) -> bool:
    """Whether every column check ``prepare_rows`` makes before its per-row checks would
    pass, so that a series with clean rows may skip it; otherwise every series takes it."""
    names = [str(name) for name in frame.columns]
    wanted = [time_name, *value_columns]
    return (
        missing in ("error", "ffill", "interpolate")
        and len(value_columns) > 0
        and len(set(wanted)) == len(wanted)
        and all(names.count(str(name)) == 1 for name in wanted)
        # prepare_rows looks for the time column again among the series' own columns
        and (time_column is not None or str(time_name).strip().lower() in TIME_NAMES)
    )


def _numbers(column: pd.Series) -> np.ndarray:
    """[rows] float64: a number where the cell holds one, NaN elsewhere (bad cells are
    reported by ``prepare_rows`` on their series)."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")
    retry = np.flatnonzero(np.isnan(numbers) & column.notna().to_numpy())
    if retry.size:  # the rare cell with spaces around its number, or not a number at all
        text = column.iloc[retry].astype(str).str.strip()
        numbers[retry] = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    return numbers


def _on_grid(times: pd.Index, order: np.ndarray, starts: np.ndarray, frequency: str) -> np.ndarray:
    """[series] whether each series' rows, in input order, are every step of its grid
    from its first row to its last."""
    keys = times.asi8 if isinstance(times, pd.DatetimeIndex) else times.to_numpy()
    ordered = np.asarray(keys, dtype=np.int64)[order]
    grids: dict[tuple[int, int], np.ndarray] = {}
    ready = np.zeros(len(starts) - 1, dtype=bool)
    for k in range(len(starts) - 1):
        rows = ordered[starts[k] : starts[k + 1]]
        if len(rows) > 1 and not (rows[1:] > rows[:-1]).all():
            continue
        ends = (int(rows[0]), int(rows[-1]))
        if ends not in grids:
            both = times.take(order[[starts[k], starts[k + 1] - 1]])
            grid = full_range(both, frequency) if len(rows) > 1 else both[:1]
            grids[ends] = grid.asi8 if isinstance(grid, pd.DatetimeIndex) else grid.to_numpy()
        ready[k] = np.array_equal(grids[ends], rows)
    return ready


def _finite(numbers: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """[series] whether every value of the series is a finite number."""
    bad = ~np.isfinite(numbers).all(axis=0)  # [rows]
    return ~_any_per_series(bad, starts)


def _constant(cells: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """[series] whether the cells of each series all equal its first."""
    firsts = np.repeat(cells[starts[:-1]], np.diff(starts))
    return ~_any_per_series(cells != firsts, starts)


def _any_per_series(flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """[series] whether any of the series' rows is flagged (every series has a row)."""
    return np.logical_or.reduceat(flags, starts[:-1])


def _with_times(frame: pd.DataFrame, time_name: str, times: pd.Index) -> pd.DataFrame:
    """The rows with their time column parsed, in the data's zone."""
    frame = frame.assign(**{time_name: np.asarray(times)})
    if isinstance(times, pd.DatetimeIndex) and times.tz is not None:
        frame[time_name] = frame[time_name].dt.tz_convert(times.tz)
    return frame


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
