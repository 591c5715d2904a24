"""Turning a time column into a time index: one date format for the whole column.

ISO 8601 first. Otherwise every candidate format is tried on the whole column and only the
ones that read every value are kept: a day above 12 settles day-first against month-first;
a column that fits two formats with different dates is refused. Values are never parsed one
by one with different formats. A column of integers is a step index (0, 1, 2, ...).
Timestamps with a zone keep it: ``Z`` as UTC, offsets as the fixed offset of the latest row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import timedelta, timezone

import numpy as np
import pandas as pd

from forecaster.errors import InputError

_Where = Callable[[int], str]

_ISO = re.compile(
    r"\d{4}-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?"
)
_ZONE = re.compile(r"[T ]\d{2}(?::\d{2}){0,2}(?:\.\d+)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_STEP = re.compile(r"[+-]?\d+")
_DATES = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%m.%d.%Y",
    "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y", "%m/%d/%y", "%Y %b", "%b %Y", "%Y-%b", "%b-%Y",
    "%Y %B", "%B %Y", "%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%b %d %Y", "%b %d, %Y",
    "%B %d, %Y", "%Y/%m", "%m/%Y",
)  # fmt: skip
_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f", "T%H:%M", "T%H:%M:%S")
_FORMATS = tuple(date + time for date in _DATES for time in _TIMES)
_EXAMPLE = "2016-07-01 00:00:00"


def parse_times(
    raw: pd.Series | pd.Index,
    name: str,
    source: str,
    where: _Where,
    *,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    step: bool | None = None,
) -> pd.Index:
    """The time column as a DatetimeIndex (naive, or aware in the data's zone) or, for a
    step index, an integer Index. ``step`` True insists on integers, False on dates.

    Long data repeats the same few thousand dates across its series: each distinct value
    is read once, weighted by how often it occurs, and its first row is the one named in a
    message, so the result and any message are those of reading every row."""
    series = pd.Series(raw)
    if not (isinstance(series.index, pd.RangeIndex) and series.index.start == 0):
        series = series.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(series):
        if step:
            raise _not_steps(name, source, str(series.iloc[0]))
        return pd.DatetimeIndex(series, name=name)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    if len(uniques) > len(series) // 2:  # mostly distinct: nothing to share
        return _parse_values(
            series,
            np.ones(len(series)),
            name,
            source,
            where,
            time_format=time_format,
            dayfirst=dayfirst,
            step=step,
        )
    counts = np.bincount(codes, minlength=len(uniques))
    # codes are numbered in order of first appearance: a new one raises the running maximum
    running = np.maximum.accumulate(codes)
    first = np.concatenate([[0], np.flatnonzero(running[1:] != running[:-1]) + 1])  # -> row
    del running
    distinct = pd.Series(uniques, dtype=series.dtype)
    parsed = _parse_values(
        distinct,
        counts,
        name,
        source,
        lambda i: where(int(first[i])),
        time_format=time_format,
        dayfirst=dayfirst,
        step=step,
    )
    return parsed.take(codes)


def _parse_values(
    series: pd.Series,
    counts: np.ndarray,
    name: str,
    source: str,
    where: _Where,
    *,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    step: bool | None = None,
) -> pd.Index:
    """``parse_times`` of values that occur ``counts`` times each, in order of first row."""
    text = series.astype(str).str.strip().where(series.notna(), "")
    empty = np.flatnonzero((text == "").to_numpy())
    if empty.size:
        found = f"time column {name!r} has an empty value at {where(empty[0])}; expected a date"
        raise InputError(f"{source}: {found} like {_EXAMPLE}; fix: correct or delete that row")
    integers = text.str.fullmatch(_STEP.pattern)
    if step or (step is None and time_format is None and integers.all()):
        if not integers.all():
            raise _not_steps(name, source, text[int(np.argmin(integers.to_numpy()))])
        return pd.Index(text.astype("int64").to_numpy(), name=name)
    if time_format is not None:
        parsed = _with_format(text, time_format)
        _check_parsed(parsed, text, name, source, where, f"dates written as {time_format!r}")
        return pd.DatetimeIndex(parsed, name=name)
    iso = text.str.fullmatch(_ISO.pattern)
    # mostly ISO (counting rows): the odd ones out are mistakes, named below
    if np.average(iso.to_numpy(dtype=float), weights=counts) >= 0.5:
        return _parse_iso(text, iso.to_numpy(), name, source, where)
    parsed = _parse_by_format(text, counts, name, source, where, dayfirst)
    return pd.DatetimeIndex(parsed, name=name)


def _not_steps(name: str, source: str, value: str) -> InputError:
    found = f"time column {name!r} has {show_value(value)}; data.frequency is 'step', expected "
    return InputError(f"{source}: {found}integers 0, 1, 2, ...; fix: remove data.frequency")


def _parse_iso(text: pd.Series, iso: np.ndarray, name: str, source: str, where: _Where) -> pd.Index:
    zoned = text.str.contains(_ZONE.pattern).to_numpy() & iso
    if zoned.any() and not zoned[iso].all():
        first = int(np.flatnonzero(iso & ~zoned)[0]) if zoned[0] else int(np.argmax(zoned))
        found = (
            f"time column {name!r} mixes times with and without a zone ({show_value(text[first])}"
        )
        found += f" at {where(first)}); expected one or the other"
        raise InputError(f"{source}: {found}; fix: write every time with its zone or none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text.where(iso), format="ISO8601", errors="coerce", utc=True)
    _check_parsed(parsed, text, name, source, where, f"a date like {_EXAMPLE}")
    if not zoned.any():
        return pd.DatetimeIndex(parsed.dt.tz_localize(None), name=name)
    if text.str.endswith("Z").all():
        return pd.DatetimeIndex(parsed, name=name)  # UTC, written back with Z
    latest = text[int(np.argmax(parsed.to_numpy()))]
    offset = pd.Timestamp(latest).utcoffset() or timedelta(0)
    return pd.DatetimeIndex(parsed.dt.tz_convert(timezone(offset)), name=name)


def _with_format(text: pd.Series, fmt: str) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format=fmt, errors="coerce")
        except (ValueError, TypeError):
            return pd.Series(pd.NaT, index=text.index)


def _parse_by_format(
    text: pd.Series,
    counts: np.ndarray,
    name: str,
    source: str,
    where: _Where,
    dayfirst: bool | None,
) -> pd.Series:
    sample = text.drop_duplicates().head(20)
    candidates = [fmt for fmt in _FORMATS if _order_agrees(fmt, dayfirst)]
    candidates = [fmt for fmt in candidates if _with_format(sample, fmt).notna().all()]
    results = {fmt: _with_format(text, fmt) for fmt in candidates}
    fits = {fmt: parsed for fmt, parsed in results.items() if parsed.notna().all()}
    distinct: dict[str, pd.Series] = {}
    for fmt, parsed in fits.items():
        if not any(parsed.equals(seen) for seen in distinct.values()):
            distinct[fmt] = parsed
    if len(distinct) == 1:
        return next(iter(distinct.values()))
    if len(distinct) > 1:
        shown = " and ".join(repr(fmt) for fmt in list(distinct)[:2])
        found = f"time column {name!r} fits two date formats, {shown} (no day is above 12)"
        fix = "set data.time_format (e.g. '%d/%m/%Y') or data.dayfirst: true or false"
        raise InputError(f"{source}: {found}; expected one reading; fix: {fix}")

    def rows_read(parsed: pd.Series) -> int:
        return int(counts[parsed.notna().to_numpy()].sum())

    best = max(results.values(), key=rows_read, default=None)
    parsed = best if best is not None else pd.Series(pd.NaT, index=text.index)
    _check_parsed(parsed, text, name, source, where, f"a date like {_EXAMPLE}")
    return parsed  # not reached: a best guess always leaves a bad cell


def _order_agrees(fmt: str, dayfirst: bool | None) -> bool:
    if dayfirst is None or "%d" not in fmt or "%m" not in fmt:
        return True
    return (fmt.index("%d") < fmt.index("%m")) == dayfirst


def _check_parsed(
    parsed: pd.Series, text: pd.Series, name: str, source: str, where: _Where, expected: str
) -> None:
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    if bad.size:
        found = f"time column {name!r} has {show_value(text[bad[0]])} at {where(bad[0])}"
        raise InputError(
            f"{source}: {found}; expected {expected}; fix: correct or delete that row, "
            "or set data.time_format"
        )


def show_value(value: object) -> str:
    """A cell as a message quotes it: at most 40 characters."""
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def looks_like_dates(column: pd.Series) -> bool:
    """Whether a column that is not named like a time column reads as dates."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    sample = column.dropna().astype(str).str.strip().head(50)
    if sample.empty or sample.str.fullmatch(r"[+-]?[\d.eE+-]+").all():
        return False
    if sample.str.fullmatch(_ISO.pattern).all():
        return True
    return any(_with_format(sample, fmt).notna().all() for fmt in _FORMATS)
