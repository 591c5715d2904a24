"""Long files: a ready file is streamed into the panel the general path would build; any
other file is read the general way, with its results and messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import GridTimes, Panel, RowTimes
from forecaster.data.reading import read_rows
from forecaster.data.rows import long_panel
from forecaster.data.streaming import read_file, read_ready
from forecaster.errors import InputError
from tests.conftest import synthetic_panel

SUFFIXES = ("csv", "parquet")


def general(path: Path, **options: Any) -> Panel:
    """The general path: every cell read, then ``long_panel``."""
    frame, where = read_rows(path, options.pop("row_filter", None), options.get("columns", ()))
    return long_panel(frame, where, str(path), **options)


def write(rows: pd.DataFrame, path: Path, **csv: Any) -> Path:
    if path.suffix == ".parquet":
        rows.to_parquet(path)
    else:
        rows.to_csv(path, index=False, **csv)
    return path


def assert_same_panel(read: Panel, expected: Panel) -> None:
    assert read.values.dtype == expected.values.dtype == np.float32
    np.testing.assert_array_equal(read.values, expected.values)
    assert read.columns == expected.columns
    assert read.keys == expected.keys
    pd.testing.assert_frame_equal(read.ids, expected.ids)
    pd.testing.assert_frame_equal(read.statics, expected.statics)
    np.testing.assert_array_equal(read.starts, expected.starts)
    assert read.starts.dtype == np.int64
    for k in range(expected.num_series):
        index, wanted = read.series_index(k), expected.series_index(k)
        pd.testing.assert_index_equal(index, wanted, exact=True)
        assert index.name == wanted.name
        assert getattr(index, "tz", None) == getattr(wanted, "tz", None)


def hourly_utc() -> pd.DataFrame:
    times = pd.date_range("2024-03-30 20:00", periods=30, freq="h", tz="UTC")
    stamps = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times]
    return pd.DataFrame(
        {
            "meter": ["m1"] * 30 + ["m2"] * 12,
            "timestamp": stamps + stamps[5:17],
            "load": np.round(np.linspace(1.0, 9.0, 42), 3),
        }
    )


def monthly() -> pd.DataFrame:
    first = pd.date_range("2019-11-01", periods=14, freq="MS").strftime("%Y-%m-%d")
    second = pd.date_range("2020-02-01", periods=9, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "shop": ["b"] * 14 + ["a"] * 9,  # not in key order either
            "month": [*first, *second],
            "sales": np.arange(23, dtype=float) * 1.5,
            "visits": np.arange(23, dtype=float) + 0.25,
        }
    )


def two_ids() -> pd.DataFrame:
    rows = synthetic_panel((15, 12, 9, 10)).drop(columns="region")
    rows["item"] = rows["store"].map({"s0": "x", "s1": "y", "s2": "x", "s3": "y"})
    rows["store"] = rows["store"].map({"s0": "north", "s1": "north", "s2": "east", "s3": "east"})
    return rows


def not_in_key_order() -> pd.DataFrame:
    rows = synthetic_panel((10, 14, 8))
    return pd.concat([rows[rows.store == key] for key in ("s2", "s0", "s1")], ignore_index=True)


def integer_ids() -> pd.DataFrame:
    rows = synthetic_panel((12, 9, 7)).drop(columns="region")
    rows["store"] = rows["store"].map({"s0": 10, "s1": 2, "s2": 33})  # 2 sorts before 10
    return rows.iloc[3:]  # Parquet stores this index as a column, which is no value column


def steps() -> pd.DataFrame:
    return pd.DataFrame(
        {"store": ["a"] * 5 + ["b"] * 3, "step": [*range(5), *range(2, 5)], "sales": np.arange(8.0)}
    )


def zoned_timestamps() -> pd.DataFrame:
    """Parquet keeps them as timestamps, a CSV as text with their offset."""
    rows = synthetic_panel((12, 9)).drop(columns="region")
    rows["date"] = pd.to_datetime(rows["date"]).dt.tz_localize("Europe/Berlin")
    return rows


READY = {
    "daily": (lambda: synthetic_panel((30, 20, 25, 1)), {"id_columns": ["store"]}, "D"),
    "daily, value columns found": (
        lambda: synthetic_panel((30, 20)).drop(columns="region"),
        {"id_columns": ["store"], "columns": ()},
        "D",
    ),
    "hourly UTC": (hourly_utc, {"id_columns": ["meter"], "columns": ["load"]}, "h"),
    "monthly": (monthly, {"id_columns": ["shop"], "columns": ["sales", "visits"]}, "MS"),
    "two id columns": (two_ids, {"id_columns": ["store", "item"]}, "D"),
    "not in key order": (not_in_key_order, {"id_columns": ["store"]}, "D"),
    "integer ids": (integer_ids, {"id_columns": ["store"], "columns": ()}, "D"),
    "step index": (steps, {"id_columns": ["store"]}, "step"),
    "zoned timestamps": (zoned_timestamps, {"id_columns": ["store"]}, "D"),
}


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("case", list(READY))
def test_a_ready_file_streams_into_the_general_paths_panel(
    tmp_path: Path, case: str, suffix: str
) -> None:
    make, options, frequency = READY[case]
    options = {"columns": ["sales"], **options}
    path = write(make(), tmp_path / f"long.{suffix}")
    read = read_ready(path, **options)
    assert read is not None
    assert isinstance(read.times, GridTimes) and read.times.frequency == frequency
    assert_same_panel(read, general(path, **options))


def test_series_out_of_key_order_are_stacked_in_key_order(tmp_path: Path) -> None:
    path = write(not_in_key_order(), tmp_path / "order.csv")
    read = read_ready(path, id_columns=["store"], columns=["sales"])
    assert read is not None
    assert read.labels == ["s0", "s1", "s2"] and list(read.starts) == [0, 10, 24, 32]
    assert read.series_index(1)[0] == pd.Timestamp("2020-01-08")
    expected = synthetic_panel((10, 14, 8))["sales"].to_numpy(dtype=np.float32)
    np.testing.assert_array_equal(read.values[:, 0], expected)


def test_hourly_utc_series_keep_their_zone_and_ends(tmp_path: Path) -> None:
    path = write(hourly_utc(), tmp_path / "hourly.csv")
    read = read_ready(path, id_columns=["meter"], columns=["load"])
    assert read is not None
    index = read.series_index(1)
    assert str(index.tz) == "UTC" and index.name == "timestamp"
    assert index[0] == pd.Timestamp("2024-03-31 01:00", tz="UTC") and len(index) == 12


def test_a_semicolon_csv_is_split_as_the_general_reader_sniffs_it(tmp_path: Path) -> None:
    path = write(synthetic_panel((12, 9)), tmp_path / "semi.csv", sep=";")
    read = read_ready(path, id_columns=["store"], columns=["sales"])
    assert read is not None
    assert_same_panel(read, general(path, id_columns=["store"], columns=["sales"]))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_read_long_streams_a_ready_file(tmp_path: Path, suffix: str) -> None:
    path = write(synthetic_panel((20, 15)), tmp_path / f"ready.{suffix}")
    panel = read_file(path, id_columns=["store"], columns=["sales"])
    assert isinstance(panel.times, GridTimes)  # the general path holds every row's time
    assert isinstance(general(path, id_columns=["store"], columns=["sales"]).times, RowTimes)


def with_gap(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(index=rows.index[rows.store == "s1"][4])


def unsorted(rows: pd.DataFrame) -> pd.DataFrame:
    s1 = rows.index[rows.store == "s1"]
    rows.loc[s1] = rows.loc[s1[::-1]].to_numpy()
    return rows


def empty_cell(rows: pd.DataFrame) -> pd.DataFrame:
    rows["sales"] = rows["sales"].astype(object)
    rows.loc[rows.index[rows.store == "s2"][3], "sales"] = None
    return rows


def split_in_two(rows: pd.DataFrame) -> pd.DataFrame:
    s0 = rows.index[rows.store == "s0"]
    return pd.concat([rows.drop(index=s0[-5:]), rows.loc[s0[-5:]]], ignore_index=True)


def mixed_dates(rows: pd.DataFrame) -> pd.DataFrame:
    rows.loc[rows.index[rows.store == "s1"][2], "date"] = "2020/01/10"
    return rows


NOT_READY = {
    "gap": (with_gap, {}),
    "gap, filled": (with_gap, {"missing": "interpolate"}),
    "unsorted": (unsorted, {}),
    "empty cell": (empty_cell, {}),
    "empty cell, filled": (empty_cell, {"missing": "ffill"}),
    "split in two runs": (split_in_two, {}),
    "mixed date formats": (mixed_dates, {}),
    "row filter": (lambda rows: rows, {"row_filter": {"region": "north"}}),
    "static covariates": (lambda rows: rows, {"static_covariates": ["region"]}),
}


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("case", list(NOT_READY))
def test_a_file_that_is_not_ready_is_read_the_general_way(
    tmp_path: Path, case: str, suffix: str
) -> None:
    change, extra = NOT_READY[case]
    options = {"id_columns": ["store"], "columns": ["sales"], **extra}
    path = write(change(synthetic_panel((20, 15, 12))), tmp_path / f"long.{suffix}")
    assert read_ready(path, **options) is None
    try:
        expected = general(path, **options)
    except InputError as refused:
        with pytest.raises(InputError) as read:
            read_file(path, **options)
        assert str(read.value) == str(refused)
        return
    panel = read_file(path, **options)
    assert isinstance(panel.times, RowTimes)
    np.testing.assert_array_equal(panel.values, expected.values)
    np.testing.assert_array_equal(panel.starts, expected.starts)
    pd.testing.assert_frame_equal(panel.ids, expected.ids)
    pd.testing.assert_frame_equal(panel.statics, expected.statics)
    pd.testing.assert_index_equal(panel.index, expected.index, exact=True)


def test_the_general_path_still_names_the_bad_row(tmp_path: Path) -> None:
    path = write(mixed_dates(synthetic_panel((20, 15))), tmp_path / "dates.csv")
    with pytest.raises(InputError, match=r"'2020/01/10' at line 24"):
        read_file(path, id_columns=["store"], columns=["sales"])
