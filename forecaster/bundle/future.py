"""The model's known inputs over the horizon at forecast time.

Calendar and holiday columns are generated from the future timestamps; future covariates
come from the user's FUTURE table (``forecast predict --future``), which must hold every
series' ``horizon`` rows right after its history. Rows of FUTURE at or before the end of
the history are ignored, so the whole covariate file may be passed; rows past the horizon
are ignored too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from forecaster.data.frequency import future_index
from forecaster.data.panel import Panel
from forecaster.data.reading import MissingPolicy, read_rows
from forecaster.data.rows import read_panel
from forecaster.errors import InputError
from forecaster.model.preprocessing import Preprocessing


class _FutureColumns(TypedDict):
    """The keywords that name FUTURE's columns, the same for every reader of it."""

    time_column: str
    columns: Sequence[str]
    missing: MissingPolicy
    column_fix: str


def read_future(
    prep: Preprocessing, future: str | Path | pd.DataFrame, time: dict[str, Any]
) -> Panel:
    """FUTURE (a CSV or Parquet path, or a frame) as a panel of its future covariates:
    the time column, the id columns of long data, and every future covariate, no cell
    missing (a future value is never filled in)."""
    time = dict(time)
    source = str(future) if not isinstance(future, pd.DataFrame) else "future"
    fix = (
        f"the model was trained with future covariates {', '.join(prep.future_covariates)}; "
        f"pass FUTURE with the time column {prep.time_column!r}"
        + (f", the id columns {', '.join(prep.id_columns)}" if prep.id_columns else "")
        + " and those columns"
    )
    options: _FutureColumns = {
        "time_column": prep.time_column,
        "columns": prep.future_covariates,
        "missing": "error",
        "column_fix": fix,
    }
    if isinstance(future, pd.DataFrame):
        rows = future
        where = lambda i: f"row position {i}"  # noqa: E731
    else:  # the file's rows are filtered as they are read
        rows, where = read_rows(future, time.pop("row_filter", None), (), prep.id_columns)
    return read_panel(rows, where, source, id_columns=prep.id_columns, **options, **time)


def missing_future(prep: Preprocessing) -> InputError:
    """The error for a forecast asked of a model with future covariates without them."""
    return InputError(
        f"the model was trained with future covariates {', '.join(prep.future_covariates)}, "
        f"known through the horizon; fix: pass --future FUTURE.csv with the {prep.horizon} "
        f"rows after the history (columns {prep.time_column}, "
        + "".join(f"{name}, " for name in prep.id_columns)
        + f"{', '.join(prep.future_covariates)})"
    )


def future_times(panel: Panel, frequency: str, horizon: int) -> pd.Index:
    """[series x horizon]: the steps after each series' last row. Series that end together
    (most of them, usually) share one computation of their future steps."""
    last_rows = panel.last_times()
    codes, ends = pd.factorize(last_rows)
    futures = [future_index(last, frequency, horizon) for last in ends]
    shared = futures[0].append(futures[1:]) if len(futures) > 1 else futures[0]
    # [series, horizon] positions into ``shared``
    where = codes[:, None] * horizon + np.arange(horizon)[None, :]
    return shared.take(where.reshape(-1))


def future_inputs(
    prep: Preprocessing,
    history: Panel,
    times: pd.Index,
    centers: np.ndarray,
    scales: np.ndarray,
    future: Panel | None,
    future_source: str,
) -> np.ndarray | None:
    """``[series, horizon, known]`` float32: each series' future covariates (scaled by its
    scaler, as in training) and generated calendar columns over its horizon; None when the
    model has no known inputs. ``times`` are the forecast's timestamps (``future_times``),
    ``centers`` and ``scales`` ``[series, columns]``."""
    if not prep.known_columns:
        return None
    parts = []
    if prep.future_covariates:
        parts.append(_covariates(prep, history, times, centers, scales, future, future_source))
    if prep.calendar:
        generated = prep.calendar.values(times, future_source)  # [series x H, C]
        parts.append(generated.reshape(history.num_series, prep.horizon, -1))
    return np.concatenate(parts, axis=-1).astype(np.float32)


def _covariates(
    prep: Preprocessing,
    history: Panel,
    times: pd.Index,
    centers: np.ndarray,
    scales: np.ndarray,
    future: Panel | None,
    source: str,
) -> np.ndarray:
    """``[series, horizon, future covariates]``, scaled."""
    horizon = prep.horizon
    if future is None:
        raise missing_future(prep)
    keys = history.keys
    by_key = {key: k for k, key in enumerate(future.keys)}
    first = len(prep.targets) + len(prep.covariates)
    positions = slice(first, first + len(prep.future_covariates))
    values = np.empty((len(keys), horizon, len(prep.future_covariates)))
    for k, key in enumerate(keys):
        label = history.name_of(k, "the history")
        if key not in by_key:
            raise InputError(
                f"{source}: has no rows for {label}; fix: add its {horizon} future rows"
            )
        rows = future.series(by_key[key])
        expected = times[k * horizon : (k + 1) * horizon]
        try:
            after = rows[rows.index > history.last_times()[k]]
        except TypeError:
            raise InputError(
                f"{source}: its timestamps and those of the history differ in time zone "
                f"(one carries a zone, the other not); fix: write FUTURE's times like the "
                f"history's, e.g. {expected[0]}"
            ) from None
        if len(after) and after.index[0] != expected[0]:
            raise InputError(
                f"{source}: continues {label} at {after.index[0]}; expected {expected[0]}, "
                "the step after its last row; fix: "
                "give FUTURE the rows right after the history"
            )
        if len(after) < horizon:
            raise InputError(
                f"{source}: has {len(after)} rows after {label}; the model forecasts "
                f"{horizon} steps (window.horizon); fix: pass the rows from {expected[0]} to "
                f"{expected[-1]}"
            )
        values[k] = after.to_numpy(dtype=np.float64)[:horizon]
    center, scale = centers[:, None, positions], scales[:, None, positions]
    return (values - center) / scale
