"""Reading and validating time-series CSVs, and the calendar arithmetic around them.

Every problem a user can fix is an ``InputError`` whose one-line message names the file, the
column or line, what was found and expected, and how to fix it.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES  # the cells pandas reads as missing

from forecaster.data.frequency import infer_frequency
from forecaster.data.time_axis import (
    STEP,
    check_max_gap,
    fill_missing,
    leading_rows,
    regularize,
)
from forecaster.data.time_formats import looks_like_dates, parse_times, show_value
from forecaster.errors import input_error
from forecaster.log import logger

MissingPolicy = Literal["error", "ffill", "interpolate"]
_Where = Callable[[int], str]  # input row position -> "line 7" or "row position 5"
Boundaries = Callable[[pd.Index], Sequence[int]]  # final index -> rows where periods end

TIME_NAMES = ("date", "datetime", "time", "timestamp", "ds", "period", "month", "day", "step")
_SNIFF_CHARS = 8192
SNIFF_HEAD_CHARS = _SNIFF_CHARS + 1  # what csv_delimiter reads: one more tells a cut sample
_SPEC_FIX = "check data.targets / data.covariates in the spec"


def read_csv(
    path: str | Path,
    *,
    time_column: str | None = None,
    columns: Sequence[str] = (),
    missing: MissingPolicy = "error",
    column_fix: str | None = None,
    **time: Any,
) -> pd.DataFrame:
    """Read a CSV of timestamps and numbers into a float64 frame on a sorted, regular time
    index (a DatetimeIndex, or an integer one for a step index).

    ``column_fix`` replaces the advice given when the time column or a requested column is
    missing (the default points at the spec). ``time`` takes the keywords of ``TimeOptions``:
    ``frequency``, ``max_gap``, ``time_format``, ``dayfirst``, ``row_filter`` and
    ``boundaries`` (where periods end, so that filling never crosses them backwards).
    """
    source = str(path)
    frame, where = read_rows(path, time.pop("row_filter", None))
    return prepare_rows(frame, time_column, columns, missing, source, where, column_fix, **time)


def read_rows(
    path: str | Path,
    row_filter: dict[str, Any] | None = None,
    numbers: Sequence[str] = (),
    names: Sequence[str] = (),
) -> tuple[pd.DataFrame, Callable[[int], str]]:
    """Every cell of a CSV (as text) or a Parquet file (as stored), blank lines dropped,
    ``row_filter`` applied; and where each row came from ("line 7", "row 5").

    The columns named in ``numbers`` are read as float64 when every cell of them is a
    number or empty (a text cell per value costs some 60 bytes against 8); otherwise the
    whole file is read as text, so that the bad cell is found and named as usual.

    The CSV columns named in ``names`` (the id columns) keep every cell's text: NA, null,
    None or nan there name a series (Namibia, a region) instead of being read as missing;
    an empty cell is "". Elsewhere those words are missing values, as pandas reads them."""
    source = str(path)
    if is_parquet(path):
        frame = _read_parquet(_existing_file(path), source)
        return filter_rows(frame, row_filter, source, lambda i: f"row {i}")
    raw, head = _read_text(_existing_file(path), source)
    delimiter = csv_delimiter(head)
    try:
        frame = None
        # a cell that is not a number: read as text below, which names the cell
        with contextlib.suppress(ValueError, pd.errors.ParserWarning):
            if numbers:
                dtypes = {name: "float64" for name in numbers}
                frame = _parse_csv(raw, delimiter, dtypes, names)
        if frame is None:
            frame = _parse_csv(raw, delimiter, {}, names)
    except (ValueError, pd.errors.ParserWarning) as exc:  # ParserError is a ValueError
        detail = " ".join(str(exc).split())
        if isinstance(exc, pd.errors.ParserWarning):
            detail = "a data row has more fields than the header"
        found = f"is not a valid CSV ({detail})"
        raise input_error(source, found, "repair the file") from exc
    frame.columns = [str(name).strip() for name in frame.columns]
    if len(frame.columns) == 1:
        found = f"has a single column, {show_value(frame.columns[0])}; expected a time column and "
        found += "value columns separated by ',', ';', tab or '|'"
        raise input_error(source, found, "save the file as comma-separated values")
    lines = np.arange(2, len(frame) + 2)
    empty = frame.isna().to_numpy()
    for j, name in enumerate(frame.columns):
        if name in names:  # kept as text: an empty cell is ""
            empty[:, j] |= frame.iloc[:, j].to_numpy() == ""
    blank = empty.all(axis=1)
    del empty
    if blank.any():  # a copy of every cell: only when there is a blank line to drop
        frame, lines = frame.loc[~blank].reset_index(drop=True), lines[~blank]
    if frame.empty:
        raise input_error(
            source, "has a header but no data rows", "point data.path at the full CSV"
        )
    where = lambda i: f"line {lines[i]}"  # noqa: E731
    return filter_rows(frame, row_filter, source, where)


def _read_parquet(file: Path, source: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises its own kinds for a damaged file
        detail = " ".join(str(exc).split())[:160]
        found = f"is not a readable Parquet file ({detail})"
        raise input_error(source, found, "repair the file") from exc
    if frame.empty:
        raise input_error(source, "has no rows", "point data.path at the full file")
    return frame.reset_index(drop=True)


def prepare_frame(
    frame: pd.DataFrame,
    *,
    time_column: str | None = None,
    columns: Sequence[str] = (),
    missing: MissingPolicy = "error",
    source: str = "data frame",
    column_fix: str | None = None,
    **time: Any,
) -> pd.DataFrame:
    """Validate a DataFrame whose time column is a column or its DatetimeIndex; input
    untouched. ``time`` as for ``read_csv``."""
    if frame.empty:
        raise input_error(source, "has no rows", "pass a frame with one row per timestamp")
    where = lambda i: f"row position {i}"  # noqa: E731
    frame, where = filter_rows(frame, time.pop("row_filter", None), source, where)
    return prepare_rows(frame, time_column, columns, missing, source, where, column_fix, **time)


def time_options(data: Any) -> dict[str, Any]:
    """``read_csv``'s time keywords from a spec's ``data`` section."""
    return {
        "frequency": data.frequency,
        "max_gap": data.max_gap,
        "time_format": data.time_format,
        "dayfirst": data.dayfirst,
        "row_filter": dict(data.filter) or None,
    }


def _existing_file(path: str | Path) -> Path:
    file = Path(path)
    if not file.exists():
        found = f"file not found (working directory {Path.cwd()}); expected a CSV file"
        raise input_error(str(path), found, "check data.path in the spec or the command line")
    if file.is_dir():
        raise input_error(str(path), "is a folder; expected a CSV file", "name the file inside it")
    return file


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is read as Parquet (by its suffix) rather than as a CSV."""
    return Path(path).suffix.lower() in (".parquet", ".pq")


def csv_delimiter(head: str) -> str:
    """The delimiter sniffed from the start of a CSV's text, ``head``: its first
    ``_SNIFF_CHARS`` characters and one more, or the whole text when shorter."""
    sample = head[:_SNIFF_CHARS]
    if len(head) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut-off last line confuses the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_text(file: Path, source: str) -> tuple[bytes, str]:
    """The file's bytes, checked to be UTF-8 text, and its start for ``csv_delimiter``.
    The bytes, not a decoded copy, go to the parser: a str (and the StringIO over it)
    would hold the file two more times while it is parsed."""
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        found = f"is not a text CSV file (byte {exc.start} is not UTF-8)"
        raise input_error(source, found, "export the data as a UTF-8 CSV") from exc
    if "\x00" in text:
        found = "is not a text CSV file (it contains NUL bytes)"
        raise input_error(source, found, "export the data as a UTF-8 CSV")
    if not text.strip():
        raise input_error(
            source, "is empty; expected a header line and data rows", "check the file"
        )
    return raw, text[:SNIFF_HEAD_CHARS]


def _parse_csv(
    raw: bytes, delimiter: str, dtypes: dict[str, str], names: Sequence[str] = ()
) -> pd.DataFrame:
    """The CSV's cells: text, except the columns given in ``dtypes``; no cell of the
    columns ``names`` (stripped of spaces, as ``read_rows`` names columns) read as missing."""
    with warnings.catch_warnings():
        # A first row longer than the header would silently lose data (or become the index).
        warnings.simplefilter("error", pd.errors.ParserWarning)
        missing: dict[str, Any] = {}
        if names:  # pandas' missing-value words in every other column, none in these
            header = pd.read_csv(
                io.BytesIO(raw), sep=delimiter, nrows=0, index_col=False, encoding="utf-8-sig"
            ).columns
            words = sorted(STR_NA_VALUES)
            na_values = {name: words for name in header if str(name).strip() not in names}
            missing = {"keep_default_na": False, "na_values": na_values}
        # Text, so that we decide what a bad value is; blank lines are kept (and dropped
        # below) so that row positions still map to line numbers. round_trip: the float
        # nearest the written number, as pd.to_numeric reads the same cell as text.
        column_types: defaultdict[str, str | type[str]] = defaultdict(lambda: str, dtypes)
        return pd.read_csv(
            io.BytesIO(raw),
            sep=delimiter,
            dtype=column_types,
            skip_blank_lines=False,
            index_col=False,
            encoding="utf-8-sig",
            float_precision="round_trip",
            **missing,
        )


def prepare_rows(
    frame: pd.DataFrame,
    time_column: str | None,
    columns: Sequence[str],
    missing: MissingPolicy,
    source: str,
    where: _Where,
    column_fix: str | None = None,
    *,
    frequency: str | None = None,
    max_gap: int | None = None,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    boundaries: Boundaries | None = None,
) -> pd.DataFrame:
    if missing not in ("error", "ffill", "interpolate"):
        found = f"missing-value policy {missing!r} is unknown; expected error, ffill or interpolate"
        raise input_error(source, found, "set data.missing to one of those")
    names = [str(name) for name in frame.columns]
    twice = [name for name in names if names.count(name) > 1]
    if twice:
        raise input_error(source, f"column {twice[0]!r} appears twice", "rename one of them")
    time_name, raw_times = find_time_column(frame, time_column, source, column_fix)
    step = None if frequency is None else frequency == STEP
    times = parse_times(
        raw_times, time_name, source, where, time_format=time_format, dayfirst=dayfirst, step=step
    )
    available = [name for name in frame.columns if name != time_name]
    wanted = list(columns) if columns else available
    _check_columns(wanted, available, source, column_fix or _SPEC_FIX)
    values = {name: _parse_numbers(frame[name], name, source, where) for name in wanted}
    out = pd.DataFrame(values, index=times, columns=wanted)
    keys = out.index.asi8 if isinstance(out.index, pd.DatetimeIndex) else out.index.to_numpy()
    order = np.argsort(keys, kind="stable")  # sorted row -> input row
    out = out.iloc[order]
    refuse_repeated(out.index, order, source, where)
    if (np.diff(order) < 0).any():
        logger.warning(f"{source}: rows were not in time order; sorted them by {time_name!r}")
    _check_cells(out, missing, source, lambda i: where(order[i]))
    inferred = frequency is None
    if len(out) >= 2:
        frequency = frequency or infer_frequency(out.index, source)
        out = regularize(out, frequency, missing, max_gap, source, inferred)
    if missing == "error":
        return _row_major(out)
    check_max_gap(out, max_gap, source)
    lead = leading_rows(out)
    if lead:
        logger.warning(
            f"{source}: dropped the first {lead} row(s), before every column has a value "
            "(nothing earlier to fill them from)"
        )
    ends = [lead + int(b) for b in boundaries(out.index[lead:])] if boundaries else []
    return _row_major(fill_missing(out, missing, ends).iloc[lead:])


def refuse_repeated(index: pd.Index, order: np.ndarray, source: str, where: _Where) -> None:
    """Refuse a time that appears twice in ``index`` (sorted; ``order``: sorted row ->
    input row), naming the time and its first two rows."""
    repeated = index.duplicated()
    if repeated.any():
        first = index[repeated][0]
        at = " and ".join(where(i) for i in order[index == first][:2])
        found = f"timestamp {first} appears more than once ({at}); expected one row per time"
        raise input_error(source, found, "remove or aggregate the duplicate rows")


def _row_major(frame: pd.DataFrame) -> pd.DataFrame:
    """The values stored row-major (``to_numpy`` C-contiguous), as every reader got them
    before: the scaler's sums over rows then add up in the same order to the last bit."""
    values = np.ascontiguousarray(frame.to_numpy(dtype="float64").T)
    out = pd.DataFrame(values, index=frame.columns, columns=frame.index).T
    out.columns.name = frame.columns.name
    return out


def filter_rows(
    frame: pd.DataFrame, row_filter: dict[str, Any] | None, source: str, where: _Where
) -> tuple[pd.DataFrame, _Where]:
    """Only the rows whose columns hold the given values (``data.filter``)."""
    if not row_filter:
        return frame, where
    keep = np.ones(len(frame), dtype=bool)
    for column, value in row_filter.items():
        if column not in frame.columns:
            found = f"data.filter names column {column!r}, which is missing; found columns: "
            found += _listing(frame.columns) + _suggest(column, frame.columns)
            raise input_error(source, found, "change data.filter")
        cells = frame[column].astype(str).str.strip()
        matches = (cells == str(value).strip()).to_numpy()
        if not matches.any():
            seen = _listing(sorted(cells.dropna().unique()), limit=6)
            found = f"no row has {column} = {value!r} (data.filter); found values: {seen}"
            raise input_error(source, found, "change data.filter")
        keep &= matches
    kept = np.flatnonzero(keep)
    if kept.size == 0:
        raise input_error(source, "no row matches every value in data.filter", "change data.filter")
    rest = frame.iloc[kept].drop(columns=list(row_filter)).reset_index(drop=True)
    return rest, lambda i: where(int(kept[i]))


def find_time_column(
    frame: pd.DataFrame, time_column: str | None, source: str, column_fix: str | None = None
) -> tuple[str, pd.Series | pd.Index]:
    on_index = isinstance(frame.index, pd.DatetimeIndex)
    if time_column is not None:
        if time_column in frame.columns:
            return time_column, frame[time_column]
        if on_index:  # whatever the index is called, the caller named the time column
            return time_column, frame.index
        found = f"time column {time_column!r} is missing; found columns: {_listing(frame.columns)}"
        found += _suggest(time_column, frame.columns)
        raise input_error(source, found, column_fix or "set data.time_column to one of them")
    if on_index:
        return str(frame.index.name or "date"), frame.index
    for name in frame.columns:
        if str(name).strip().lower() in TIME_NAMES:
            return name, frame[name]
    for name in frame.columns:
        if looks_like_dates(frame[name]):
            return name, frame[name]
    found = f"no time column found; found columns: {_listing(frame.columns)}; expected dates"
    raise input_error(source, found, "set data.time_column in the spec")


def _check_columns(wanted: list[str], available: list[str], source: str, fix: str) -> None:
    if not wanted:
        found = "has no value columns besides the time column"
        raise input_error(source, found, "add the numeric series to the CSV")
    twice = [name for name in wanted if wanted.count(name) > 1]
    if twice:
        raise input_error(source, f"column {twice[0]!r} is requested twice", fix)
    lost = [name for name in wanted if name not in available]
    if lost:
        found = "column" + (f" {lost[0]!r} is" if len(lost) == 1 else f"s {lost} are")
        found += f" missing; found columns: {_listing(available)}{_suggest(lost[0], available)}"
        raise input_error(source, found, fix)


def _parse_numbers(raw: pd.Series, name: str, source: str, where: _Where) -> np.ndarray:
    series = raw.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(series):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    else:
        text = series.astype(str).str.strip().where(series.notna(), "")
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
        bad = np.flatnonzero(np.isnan(numbers) & (text != "").to_numpy())
        if bad.size:
            found = (
                f"column {name!r} has {show_value(text[bad[0]])} at {where(bad[0])}, not a number"
            )
            fix = "correct that cell or leave it empty"
            if re.fullmatch(r"[+-]?\d*,\d+", text[bad[0]]):
                fix = "the file uses decimal commas; save it with decimal points"
            raise input_error(source, found, fix)
    # inf is as useless to a model as a gap, so the missing-value policy handles it.
    return np.where(np.isinf(numbers), np.nan, numbers)


def _check_cells(frame: pd.DataFrame, missing: MissingPolicy, source: str, where: _Where) -> None:
    """Empty or infinite cells: a column with none is refused, and any under ``error``."""
    counts = frame.isna().sum()
    for name, count in counts.items():
        if count == len(frame):
            found = f"column {name!r} has no values (all {count} cells are empty)"
            raise input_error(source, found, "fill it in or drop it from the spec")
    if missing == "error" and counts.any():
        name = counts[counts > 0].index[0]
        first = int(np.flatnonzero(frame[name].isna().to_numpy())[0])
        found = f"column {name!r} has {counts[name]} missing or infinite value(s), the first at "
        found += f"{frame.index[first]} ({where(first)}); expected a number in every row"
        raise input_error(source, found, "fill them in, or set data.missing: ffill or interpolate")


def _listing(names: Sequence[object], limit: int = 12) -> str:
    shown = ", ".join(str(name) for name in list(names)[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _suggest(name: str, names: Sequence[object]) -> str:
    lowered = {str(known).lower(): str(known) for known in names}  # so 'ot' finds 'OT'
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""
