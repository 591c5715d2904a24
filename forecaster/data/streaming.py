"""Long files (one row per series and time) read into a panel, streamed when they are ready.

A file is ready when it needs none of the per-series work: every series' rows together,
in strictly increasing time, one row on every step of its grid, every value a finite
number, and no ``data.filter`` or static covariates. Such a file is read in record batches
with pyarrow into a preallocated float32 array, its times held as one int32 code a row
into the few thousand distinct times as written, which are parsed once at the end with the
general path's rules; the panel then holds only each series' first and last time. Memory
stays near the float32 values instead of the whole file's cells as pandas holds them.

Anything else -- a gap, unsorted rows, an empty cell, a series in two runs, a date the
general path would refuse -- is not ready, and the file is read again the general way
(``read_rows`` then ``long_panel``), whose results and messages are unchanged.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES  # the cells pandas reads as empty

from forecaster.data.frequency import infer_frequency
from forecaster.data.panel import GridTimes, Panel
from forecaster.data.reading import (
    SNIFF_HEAD_CHARS,
    TIME_NAMES,
    Boundaries,
    csv_delimiter,
    is_parquet,
    read_rows,
)
from forecaster.data.rows import _fast_path_allowed, long_values, read_panel, series_rows
from forecaster.data.time_axis import STEP, full_range
from forecaster.data.time_formats import _ISO, parse_times
from forecaster.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

_SCAN_BYTES = 1 << 20  # the CSV is checked in pieces this big: its text is never held whole
# pyarrow's CSV block, about 11,000 rows of id, date, value: with blocks of 1 MiB the
# process grew by some 40 MiB more (freed blocks the allocator keeps)
_CSV_BLOCK_BYTES = 1 << 18
_PARQUET_BATCH_ROWS = 1 << 15


def read_file(path: str | Path, **options: Any) -> Panel:
    """A CSV or Parquet file as ``read_panel`` reads it (``options`` are its keywords, and
    ``row_filter``): long data streamed when the file is ready (``read_ready``), else read
    whole; a wide file (no id columns) as a panel of one series."""
    panel = read_ready(path, **options)
    if panel is not None:
        return panel
    # long files' value columns are parsed as numbers as they are read (8 bytes a cell,
    # not a string); a wide file keeps the text-then-number parse its numbers came from
    numbers = options.get("columns", ()) if options.get("id_columns") else ()
    ids = options.get("id_columns", ())
    frame, where = read_rows(path, options.pop("row_filter", None), numbers, ids)
    return read_panel(frame, where, str(path), **options)


def read_ready(
    path: str | Path,
    *,
    id_columns: Sequence[str],
    static_covariates: Sequence[str] = (),
    time_column: str | None = None,
    columns: Sequence[str] = (),
    missing: str = "error",
    row_filter: dict[str, Any] | None = None,
    frequency: str | None = None,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    boundaries: Boundaries | None = None,
    max_gap: int | None = None,
    column_fix: str | None = None,
) -> Panel | None:
    """The panel ``long_panel`` would give for a ready file, read in record batches; None
    when the file is not ready (or not readable this way), for the general path to read.

    ``boundaries``, ``max_gap`` and ``column_fix`` only matter to series that need filling
    or checks, which a ready file has none of."""
    if row_filter or static_covariates or not id_columns:
        return None
    import pyarrow as pa

    source = str(path)
    try:
        opened = _open_parquet(Path(path)) if is_parquet(path) else _open_csv(Path(path))
        if opened is None:
            return None
        chosen = _columns(opened.names, list(id_columns), time_column, list(columns), missing)
        if chosen is None:
            return None
        time_name, value_columns = chosen
        read = _stream(
            opened.batches(list(id_columns), time_name, value_columns),
            opened.capacity,
            list(id_columns),
            time_name,
            value_columns,
            source,
        )
    except (pa.ArrowException, OSError, ValueError, TypeError):
        return None  # damaged, ragged or oddly typed: the general path says what is wrong
    finally:
        # the pool (mimalloc, jemalloc) keeps the pages of the batches read, freed, for
        # later ones: some 10 bytes a row of the file that the rest of the command would
        # hold on to as well (19 MiB for 2 M rows); once per file, so cheap
        pa.default_memory_pool().release_unused()
    if read is None:
        return None
    try:
        return _panel(
            read,
            list(id_columns),
            time_name,
            value_columns,
            source,
            frequency,
            time_format=time_format,
            dayfirst=dayfirst,
        )
    except (InputError, ValueError, TypeError):
        return None  # e.g. a date the general path refuses, with its row number


@dataclass(frozen=True)
class _Opened:
    names: list[str]  # the columns as the general path names them
    capacity: int  # at least the number of data rows
    batches: Callable[[list[str], str, list[str]], Iterator[pa.RecordBatch]]


@dataclass
class _Read:
    """A streamed file: values and time codes in file order, one entry a run of rows
    with the same ids."""

    values: np.ndarray  # [rows, columns] float32
    codes: np.ndarray  # [rows] int32: each row's time, an index into ``distinct``
    distinct: pd.Series  # [distinct times] as read, in order of first row
    run_starts: np.ndarray  # [runs + 1] int64: run r is rows run_starts[r]:run_starts[r + 1]
    run_ids: pd.DataFrame  # [runs, id columns] each run's ids as the general path reads them


def _open_parquet(file: Path) -> _Opened | None:
    import pyarrow.parquet as pq

    # no pre-buffering: it would hold a whole row group's column chunks at a time
    parquet = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20)
    metadata = parquet.schema_arrow.pandas_metadata or {}
    # a stored pandas index becomes the frame's index, which read_rows drops
    index = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    renamed = [
        entry
        for entry in metadata.get("columns", [])
        if entry.get("field_name") not in index and entry.get("name") != entry.get("field_name")
    ]
    names = [name for name in parquet.schema_arrow.names if name not in index]
    if renamed or len(set(names)) < len(names):
        return None

    def batches(ids: list[str], time: str, values: list[str]) -> Iterator[pa.RecordBatch]:
        columns = [*ids, time, *values]
        yield from parquet.iter_batches(_PARQUET_BATCH_ROWS, columns=columns, use_threads=False)

    return _Opened(names, parquet.metadata.num_rows, batches)


def _open_csv(file: Path) -> _Opened | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    scanned = _scan_text(file)
    if scanned is None:
        return None
    lines, head = scanned
    # a quoted cell may hold a newline, as pandas reads it
    parse = pa_csv.ParseOptions(delimiter=csv_delimiter(head), newlines_in_values=True)
    header = pa_csv.ReadOptions(block_size=1 << 16)
    with pa_csv.open_csv(file, read_options=header, parse_options=parse) as reader:
        names = [name.strip() for name in reader.schema.names]  # as read_rows strips them
    if "" in names or len(set(names)) < len(names):
        return None  # pandas would name or rename these columns its own way

    def batches(ids: list[str], time: str, values: list[str]) -> Iterator[pa.RecordBatch]:
        text = {name: pa.string() for name in [*ids, time]}
        read = pa_csv.ReadOptions(
            use_threads=False, block_size=_CSV_BLOCK_BYTES, skip_rows=1, column_names=names
        )
        # no text cell is null: an id keeps its text (NA, null, None name a series, as
        # read_rows reads id columns); _stream turns away a time written as missing
        convert = pa_csv.ConvertOptions(
            column_types=text | {name: pa.float64() for name in values},
            include_columns=[*ids, time, *values],
            strings_can_be_null=False,
            null_values=sorted(STR_NA_VALUES),
        )
        with pa_csv.open_csv(file, read, parse, convert, memory_pool=_pool()) as reader:
            yield from reader

    return _Opened(names, lines + 1, batches)


def _scan_text(file: Path) -> tuple[int, str] | None:
    """The CSV's newline count (a bound on its rows) and its start, read in pieces; None
    when the general path would refuse the text (not UTF-8, NUL bytes, nothing in it)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines, head, blank = 0, "", True
    with file.open("rb") as stream:
        while piece := stream.read(_SCAN_BYTES):
            text = decoder.decode(piece)  # raises on bytes that are not UTF-8
            if "\x00" in text:
                return None
            lines += piece.count(b"\n")
            blank = blank and not text.strip()
            if len(head) < SNIFF_HEAD_CHARS:
                head += text[: SNIFF_HEAD_CHARS - len(head)]
    decoder.decode(b"", final=True)
    return None if blank else (lines, head)


def _columns(
    names: list[str],
    id_columns: list[str],
    time_column: str | None,
    columns: list[str],
    missing: str,
) -> tuple[str, list[str]] | None:
    """The time column and the value columns the general path would take, when it would
    take them without further checks; else None."""
    if any(name not in names for name in id_columns):
        return None
    others = [name for name in names if name not in id_columns]
    if time_column is not None:
        time_name = time_column if time_column in others else None
    else:  # by name only: a column found by its values is the general path's to find
        named = [name for name in others if name.strip().lower() in TIME_NAMES]
        time_name = named[0] if named else None
    if time_name is None:
        return None
    values = columns or [name for name in others if name != time_name]
    header = pd.DataFrame(columns=names)
    if not _fast_path_allowed(header, time_name, values, time_column, missing):
        return None
    if time_name in values or set(values) & set(id_columns):
        return None
    return time_name, values


def _stream(
    batches: Iterator[pa.RecordBatch],
    capacity: int,
    id_columns: list[str],
    time_name: str,
    value_columns: list[str],
    source: str,
) -> _Read | None:
    """The batches' values and time codes, runs of equal ids found on the way; None at
    the first sign the file is not ready."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pool = _pool()
    # untouched pages of np.empty take no memory: a generous capacity costs nothing
    values = np.empty((capacity, len(value_columns)), dtype=np.float32)
    codes = np.empty(capacity, dtype=np.int32)
    seen: dict[Any, int] = {}  # a time as read -> its code
    # Python values, not pyarrow arrays: a thousand small arrays kept across batches
    # pinned some 60 MiB of the batches' freed memory in pyarrow's allocator
    distinct: list[Any] = []  # times as read, in order of first row
    run_starts: list[np.ndarray] = []
    run_ids: list[list[Any]] = [[] for _ in id_columns]  # [id column][run]
    id_types: list[pa.DataType] = []
    time_type = None
    last_ids: list[Any] | None = None  # the previous batch's last row's ids
    used = 0
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        if used + n > capacity:
            return None
        ids = [batch.column(name) for name in id_columns]
        times = batch.column(time_name)
        if not all(_is_id_type(a.type) for a in ids) or not _is_time_type(times.type):
            return None
        if times.null_count or any(a.null_count for a in ids):
            return None
        starts_run = np.zeros(n, dtype=bool)
        for j, cells in enumerate(ids):
            if n > 1:
                changed = pc.not_equal(cells.slice(1), cells.slice(0, n - 1), memory_pool=pool)
                starts_run[1:] |= changed.to_numpy(zero_copy_only=False)
            starts_run[0] |= last_ids is None or cells[0].as_py() != last_ids[j]
        last_ids = [cells[n - 1].as_py() for cells in ids]
        positions = np.flatnonzero(starts_run)
        run_starts.append(positions + used)
        taken = pa.array(positions, type=pa.int64())
        for j, cells in enumerate(ids):
            firsts = pc.take(cells, taken, memory_pool=pool).to_pylist()  # a value a run
            if any(isinstance(value, str) and not value.strip() for value in firsts):
                return None  # an empty id: the general path names its rows
            run_ids[j] += firsts
        id_types = id_types or [cells.type for cells in ids]
        time_type = time_type or times.type

        encoded = pc.dictionary_encode(times, memory_pool=pool)
        dictionary = encoded.dictionary
        to_code = np.empty(len(dictionary), dtype=np.int32)
        for i, time in enumerate(dictionary.to_pylist()):
            code = seen.get(time)
            if code is None:
                if isinstance(time, str) and time in STR_NA_VALUES:
                    return None  # a time pandas reads as missing: the general path's to say
                code = seen[time] = len(distinct)
                distinct.append(time)
            to_code[i] = code
        codes[used : used + n] = to_code[encoded.indices.to_numpy(zero_copy_only=False)]

        for j, name in enumerate(value_columns):
            column = batch.column(name)
            if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
                return None
            if column.null_count:
                return None
            numbers = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
            if not np.isfinite(numbers).all():
                return None
            try:
                values[used : used + n, j] = long_values(numbers, source)
            except InputError:
                return None  # beyond float32: the general path refuses it in its words
        used += n
    if used == 0:
        return None
    return _Read(
        values[:used],
        codes[:used],
        pa.array(distinct, type=time_type).to_pandas(),
        np.append(np.concatenate(run_starts), used).astype(np.int64),
        pd.DataFrame(
            {
                name: pa.array(run_ids[j], type=id_types[j]).to_pandas()
                for j, name in enumerate(id_columns)
            }
        ),
    )


def _pool() -> pa.MemoryPool:
    """Where pyarrow's buffers for the CSV's blocks and the per-batch work live: the C
    allocator, which reuses freed blocks; pyarrow's default pool kept some 20 MiB more
    of them in a 10 M row file."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _is_id_type(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)


def _is_time_type(kind: pa.DataType) -> bool:
    """Text, integers (a step index) or Parquet timestamps."""
    import pyarrow as pa

    return _is_id_type(kind) or pa.types.is_timestamp(kind)


def _panel(
    read: _Read,
    id_columns: list[str],
    time_name: str,
    value_columns: list[str],
    source: str,
    frequency: str | None,
    *,
    time_format: str | None,
    dayfirst: bool | None,
) -> Panel | None:
    """The streamed runs as ``long_panel`` stacks them (series in key order), when every
    run is a whole series on its grid; else None."""
    # a key a run: the ids as text, series in key order, as long_panel groups rows
    keys, groups = series_rows(read.run_ids, id_columns, source, lambda i: f"run {i}")
    if any(len(runs) > 1 for runs in groups):
        return None  # a series in more than one run
    order = np.array([runs[0] for runs in groups], dtype=np.int64)  # series -> run
    firsts_row, stops = read.run_starts[:-1], read.run_starts[1:]
    lengths = stops - firsts_row  # [runs]

    text = read.distinct.astype(str).str.strip()
    if time_format is None and frequency != STEP:
        # parse_times votes ISO or not by rows, here by distinct times: the same when
        # the column is all ISO or has none
        iso = text.str.fullmatch(_ISO.pattern).to_numpy()
        if iso.any() and not iso.all():
            return None
    step = None if frequency is None else frequency == STEP
    times = parse_times(
        read.distinct,
        time_name,
        source,
        lambda i: f"row {i}",
        time_format=time_format,
        dayfirst=dayfirst,
        step=step,
    )
    if frequency is None:  # every series on the grid of the longest one, as long_panel does
        longest = order[int(np.argmax(lengths[order]))]
        rows = read.codes[firsts_row[longest] : stops[longest]]
        frequency = infer_frequency(times.take(rows).sort_values(), source)
    stamps = np.asarray(_as_int64(times), dtype=np.int64)  # [distinct times]
    grids: dict[tuple[int, int], np.ndarray] = {}  # series sharing both ends share a grid
    for first, stop in zip(firsts_row.tolist(), stops.tolist(), strict=True):
        rows = stamps[read.codes[first:stop]]
        if len(rows) > 1 and not (rows[1:] > rows[:-1]).all():
            return None
        ends = (int(rows[0]), int(rows[-1]))
        if ends not in grids:
            both = times.take(read.codes[[first, stop - 1]])
            grids[ends] = _as_int64(full_range(both, frequency) if len(rows) > 1 else both[:1])
        if not np.array_equal(grids[ends], rows):
            return None

    values = read.values
    if not np.array_equal(order, np.arange(len(order))):  # series not in key order
        values = np.empty_like(read.values)
        at = 0
        for run in order.tolist():
            length = int(lengths[run])
            values[at : at + length] = read.values[firsts_row[run] : stops[run]]
            at += length
    firsts = times.take(read.codes[firsts_row[order]]).rename(time_name)
    lasts = times.take(read.codes[stops[order] - 1]).rename(time_name)
    return Panel(
        values,
        value_columns,
        np.concatenate([[0], np.cumsum(lengths[order])]).astype(np.int64),
        pd.DataFrame(keys, columns=id_columns),
        pd.DataFrame([[] for _ in keys], columns=[]),
        GridTimes(firsts, lasts, frequency),
    )


def _as_int64(index: pd.Index) -> np.ndarray:
    return index.asi8 if isinstance(index, pd.DatetimeIndex) else index.to_numpy()
