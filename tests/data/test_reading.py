"""Tests for forecaster.data.reading: CSV reading, validation, frequencies and calendars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.data.frequency import future_index, infer_frequency, season_length
from forecaster.data.reading import prepare_frame, read_csv
from forecaster.errors import InputError
from tests.conftest import fails_to_read as fails


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading ----------------------------------------------------------------------------------


def test_reads_sorted_float_frame_in_requested_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,HUFL,OT\n"
        "2016-07-01 02:00:00,5,30\n"
        "2016-07-01 00:00:00,3,10\n"
        "2016-07-01 01:00:00,4,20\n",
    )
    frame = read_csv(path, columns=["OT", "HUFL"])
    assert list(frame.columns) == ["OT", "HUFL"]
    assert frame.index.name == "date"
    assert list(frame.index) == list(pd.date_range("2016-07-01", periods=3, freq="h"))
    assert frame.index.is_unique and frame.index.is_monotonic_increasing
    assert (frame.dtypes == "float64").all()
    assert frame["OT"].tolist() == [10.0, 20.0, 30.0]
    assert frame["HUFL"].tolist() == [3.0, 4.0, 5.0]


def test_all_non_time_columns_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, "a,timestamp,b\n1,2020-01-01,2\n3,2020-01-02,4\n")
    frame = read_csv(path)
    assert list(frame.columns) == ["a", "b"]
    assert frame.index.name == "timestamp"


def test_bom_and_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("date;OT\n2020-01-01;1.5\n2020-01-02;2.5\n".encode("utf-8-sig"))
    frame = read_csv(path)
    assert frame.index.name == "date"  # not "\ufeffdate"
    assert frame["OT"].tolist() == [1.5, 2.5]


def test_tab_delimiter_and_slash_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "date\tOT\n1990/1/1 0:00\t1\n1990/1/1 1:00\t2\n1990/1/1 2:00\t3\n")
    frame = read_csv(path)
    assert list(frame.index) == list(pd.date_range("1990-01-01", periods=3, freq="h"))
    assert infer_frequency(frame.index) == "h"


def test_detects_unnamed_date_column_in_us_format(tmp_path: Path) -> None:
    path = write(tmp_path, "value,when\n1,01/31/2020\n2,02/01/2020\n")
    frame = read_csv(path)
    assert frame.index.name == "when"
    assert list(frame.index) == [pd.Timestamp("2020-01-31"), pd.Timestamp("2020-02-01")]
    assert list(frame.columns) == ["value"]


def test_explicit_time_column(tmp_path: Path) -> None:
    path = write(tmp_path, "x,stamp\n1,2021-03-01\n2,2021-04-01\n")
    frame = read_csv(path, time_column="stamp")
    assert frame.index.name == "stamp"
    assert frame["x"].tolist() == [1.0, 2.0]


def test_timezones_keep_the_instant_and_the_latest_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-01T02:00+01:00,1\n2020-01-01T03:00+01:00,2\n")
    frame = read_csv(path)
    assert str(frame.index.tz) == "UTC+01:00"
    expected = [pd.Timestamp("2020-01-01 01:00Z"), pd.Timestamp("2020-01-01 02:00Z")]
    assert list(frame.index) == expected


def test_constant_column_and_blank_lines_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "date,c\n2020-01-01,7\n\n2020-01-02,7\n")
    assert read_csv(path)["c"].tolist() == [7.0, 7.0]


def test_ffill_fills_from_the_past_and_drops_rows_with_no_past(tmp_path: Path) -> None:
    path = write(
        tmp_path, "date,a,b\n2020-01-01,,1\n2020-01-02,2,\n2020-01-03,,inf\n2020-01-04,8,4\n"
    )
    frame = read_csv(path, missing="ffill")
    # 'a' has no value on 01-01 and nothing before it: that row goes, never filled backwards
    assert list(frame.index) == list(pd.date_range("2020-01-02", periods=3, freq="D"))
    assert frame["a"].tolist() == [2.0, 2.0, 8.0]
    assert frame["b"].tolist() == [1.0, 1.0, 4.0]


def test_interpolate_fills_missing_rows_and_cells_on_the_full_grid(tmp_path: Path) -> None:
    # 01-04 is missing: it becomes a row, so 01-03 and 01-04 lie on the line from 2 to 8.
    path = write(
        tmp_path, "date,a\n2020-01-01,\n2020-01-02,2\n2020-01-03,\n2020-01-05,8\n2020-01-06,\n"
    )
    frame = read_csv(path, missing="interpolate")
    assert list(frame.index) == list(pd.date_range("2020-01-02", periods=5, freq="D"))
    assert frame["a"].tolist() == pytest.approx([2.0, 4.0, 6.0, 8.0, 8.0])


def test_prepare_frame_accepts_datetime_index_and_does_not_mutate() -> None:
    index = pd.DatetimeIndex(["2020-01-02", "2020-01-01", "2020-01-03"], name="ts")
    given_frame = pd.DataFrame({"y": [2, None, 3], "label": ["b", "a", "c"]}, index=index)
    before = given_frame.copy()
    frame = prepare_frame(given_frame, columns=["y"], missing="ffill")
    pd.testing.assert_frame_equal(given_frame, before)
    assert frame.index.name == "ts"
    assert frame["y"].tolist() == [2.0, 3.0]  # sorted first; the leading empty row dropped


def test_prepare_frame_time_column_and_row_positions() -> None:
    frame = pd.DataFrame({"date": ["2020-01-01", "oops"], "y": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"my frame: .*'oops' at row position 1"):
        prepare_frame(frame, source="my frame")


# --- errors -----------------------------------------------------------------------------------


def test_missing_file_and_folder(tmp_path: Path) -> None:
    fails(tmp_path / "absent.csv", "not found")
    with pytest.raises(InputError, match="is a folder"):
        read_csv(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes([0x89, 0x50, 0x4E, 0x47, 0xFF, 0xFE, 0x00, 0x81]))
    fails(path, "is not a text CSV file")
    path.write_bytes(b"date,a\x00b\n")
    fails(path, "is not a text CSV file")


def test_empty_and_header_only(tmp_path: Path) -> None:
    fails(write(tmp_path, ""), "is empty")
    fails(write(tmp_path, "date,OT\n\n"), "no data rows")


def test_ragged_row(tmp_path: Path) -> None:
    fails(write(tmp_path, "date,OT\n2020-01-01,1,5\n"), "more fields than the header")
    fails(write(tmp_path, "date,OT\n2020-01-01,1\n2020-01-02,1,5\n"), "line 3")


def test_time_column_missing_or_undetectable(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-01,1\n")
    fails(path, "'Date'", "date, OT", "did you mean 'date'?", time_column="Date")
    fails(write(tmp_path, "a,b\n1,2\n"), "no time column", "data.time_column")


def test_unparseable_date(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-01,1\n2020-01-02,2\nsoon,3\n")
    fails(path, "'date'", "'soon'", "line 4")
    fails(write(tmp_path, "date,OT\n2020-01-01,1\n,2\n"), "empty value", "line 3")


def test_duplicate_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-02,1\n2020-01-01,2\n2020-01-02,3\n")
    fails(path, "2020-01-02 00:00:00", "more than once", "line 2", "line 4")


def test_requested_column_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "date,HUFL,OT\n2020-01-01,1,2\n")
    message = fails(path, "'ot'", "found columns: HUFL, OT", columns=["ot"])
    assert "did you mean 'OT'?" in message
    fails(path, "'X'", "'Y'", "missing", columns=["X", "Y", "OT"])


def test_text_in_numeric_column(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-01,1\n2020-01-02,1.2.3\n")
    fails(path, "'OT'", "'1.2.3'", "line 3", "not a number")


def test_missing_values_under_error_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "date,OT\n2020-01-03,1\n2020-01-01,\n2020-01-02,-inf\n")
    fails(path, "'OT'", "2 missing", "2020-01-01", "line 3", "data.missing: ffill", "interpolate")


@pytest.mark.parametrize("policy", ["error", "ffill", "interpolate"])
def test_entirely_empty_column(tmp_path: Path, policy: str) -> None:
    path = write(tmp_path, "date,OT,e\n2020-01-01,1,\n2020-01-02,2,\n")
    fails(path, "'e'", "no values", missing=policy)


def test_unknown_missing_policy(tmp_path: Path) -> None:
    fails(write(tmp_path, "date,OT\n2020-01-01,1\n"), "'drop'", missing="drop")


# --- frequencies and calendars ----------------------------------------------------------------


@pytest.mark.parametrize("freq", ["h", "D", "MS", "15min", "ME", "B", "W-SUN", "QS-JAN", "YE-DEC"])
def test_infer_frequency_regular(freq: str) -> None:
    index = pd.date_range("2021-01-01", periods=12, freq=freq)
    assert infer_frequency(index) == freq
    assert list(future_index(index[-1], freq, 3)) == list(
        pd.date_range(index[0], periods=15, freq=freq)[-3:]
    )


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("h", "h"), ("D", "D"), ("MS", "MS"), ("ME", "ME"), ("QE-DEC", "QE-DEC"), ("YS", "YS-JAN")],
)
def test_infer_frequency_with_gaps(freq: str, expected: str) -> None:
    index = pd.date_range("2021-01-01", periods=12, freq=freq).delete([2, 3, 7])
    assert infer_frequency(index) == expected


def test_infer_frequency_two_points_and_errors() -> None:
    assert infer_frequency(pd.DatetimeIndex(["2020-01-01 00:00", "2020-01-01 00:15"])) == "15min"
    with pytest.raises(InputError, match=r"my\.csv: has 1 timestamp"):
        infer_frequency(pd.DatetimeIndex(["2020-01-01"]), source="my.csv")


def test_season_length_table() -> None:
    table = {"h": 24, "30min": 48, "15min": 96, "D": 7, "B": 5, "W": 52, "W-MON": 52}
    table |= {"MS": 12, "ME": 12, "QS": 4, "QE-DEC": 4, "YS": 1, "YE": 1, "2h": 12, "7min": 1}
    assert {freq: season_length(freq) for freq in table} == table
    with pytest.raises(InputError, match="not a pandas frequency"):
        season_length("fortnightly")


def test_future_index_continues_and_names() -> None:
    index = future_index(pd.Timestamp("2020-01-31"), "ME", 3, name="date")
    assert list(index) == [pd.Timestamp(s) for s in ("2020-02-29", "2020-03-31", "2020-04-30")]
    assert index.name == "date"
    with pytest.raises(InputError, match="horizon"):
        future_index(pd.Timestamp("2020-01-31"), "ME", 0)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.integers(-1000, 1000), min_size=3, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_shuffled_hourly_csv_comes_back_sorted(
    tmp_path_factory: pytest.TempPathFactory, values: list[int], seed: int
) -> None:
    times = pd.date_range("2022-03-01", periods=len(values), freq="h")
    order = np.random.default_rng(seed).permutation(len(values))
    rows = "".join(f"{times[i]:%Y-%m-%d %H:%M:%S},{values[i]}\n" for i in order)
    path = tmp_path_factory.mktemp("prop") / "shuffled.csv"
    path.write_text("date,y\n" + rows, encoding="utf-8")
    frame = read_csv(path)
    assert list(frame.index) == list(times)
    assert frame["y"].tolist() == [float(v) for v in values]


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=pd.Timestamp("1990-01-01"), max_value=pd.Timestamp("2040-01-01")),
    freq=st.sampled_from(["h", "15min", "D", "MS", "ME", "W-SUN", "QS-JAN"]),
    length=st.integers(3, 30),
    horizon=st.integers(1, 10),
)
def test_frequency_round_trip(start: pd.Timestamp, freq: str, length: int, horizon: int) -> None:
    full = pd.date_range(pd.Timestamp(start).floor("min"), periods=length + horizon, freq=freq)
    history = full[:length]
    assert list(future_index(history[-1], infer_frequency(history), horizon)) == list(full[length:])
