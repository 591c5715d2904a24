"""The time axis: gaps, frequencies, date formats, zones, step indexes, filling without
leakage, and the commands on zoned and step-indexed data."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.data.frequency import future_index, infer_frequency
from forecaster.data.reading import prepare_frame, read_csv
from forecaster.data.time_axis import fill_missing, time_style, write_table
from forecaster.errors import InputError
from forecaster.model.periods import split_boundaries, split_periods, window_origins
from forecaster.spec import DateSplit, FractionSplit, parse_spec
from tests.conftest import fails_to_read as fails


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def hourly_csv(tmp_path: Path, drop: slice | list[int] = (), rows: int = 100, **fmt: str) -> Path:
    times = pd.date_range("2024-01-01", periods=rows, freq="h")
    frame = pd.DataFrame({"date": times.strftime("%Y-%m-%d %H:%M:%S"), "y": np.arange(rows)})
    frame = frame.drop(index=frame.index[drop])
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    return path


# --- gaps ---------------------------------------------------------------------------------


def test_gap_under_error_is_refused_naming_the_first_gap(tmp_path: Path) -> None:
    path = hourly_csv(tmp_path, drop=[*range(40, 70), 80, 81])
    fails(
        path,
        "30 step(s) of 'h' missing",
        "from 2024-01-02 16:00:00 to 2024-01-03 21:00:00",
        "the first of 2 gaps",
        "data.missing: interpolate",
        "data.max_gap",
    )


def test_gap_is_filled_on_the_full_grid(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = hourly_csv(tmp_path, drop=list(range(40, 70)))
    with caplog.at_level(logging.INFO, logger="forecaster"):
        frame = read_csv(path, missing="interpolate")
    assert list(frame.index) == list(pd.date_range("2024-01-01", periods=100, freq="h"))
    assert frame["y"].tolist() == pytest.approx(list(range(100)))  # a line, as the data was
    assert "30 missing step(s) in 1 gap(s)" in caplog.text
    ffilled = read_csv(path, missing="ffill")
    assert ffilled["y"].iloc[40:70].tolist() == [39.0] * 30


def test_max_gap_bounds_what_is_filled(tmp_path: Path) -> None:
    path = hourly_csv(tmp_path, drop=list(range(40, 70)))
    assert len(read_csv(path, missing="ffill", max_gap=30)) == 100
    fails(path, "column 'y' has 30 missing steps in a row", "data.max_gap (29)", max_gap=29,
          missing="ffill")  # fmt: skip


def test_no_clear_frequency_asks_for_data_frequency(tmp_path: Path) -> None:
    times = ["2024-01-01 00:00", "2024-01-01 00:01", "2024-01-01 05:00", "2024-01-02 07:00"]
    path = write(tmp_path, "date,y\n" + "".join(f"{t},{i}\n" for i, t in enumerate(times)))
    fails(path, "no clear frequency", "data.frequency", missing="ffill")


def test_off_grid_row_is_refused(tmp_path: Path) -> None:
    text = "date,y\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 02:30,3\n"
    fails(write(tmp_path, text), "2024-01-01 02:30:00", "not on the 'h' grid", frequency="h")


def test_given_frequency_turns_missing_business_days_into_gaps(tmp_path: Path) -> None:
    days = pd.bdate_range("2024-01-01", periods=30).delete([5])  # a holiday
    path = write(tmp_path, "date,y\n" + "".join(f"{d:%Y-%m-%d},1\n" for d in days))
    fails(path, "1 step(s) of 'B' missing at 2024-01-08")
    assert len(read_csv(path, missing="ffill", frequency="B")) == 30


def test_months_and_quarters_stay_calendar_steps(tmp_path: Path) -> None:
    months = pd.date_range("2020-01-31", periods=14, freq="ME").delete([3])
    path = write(tmp_path, "date,y\n" + "".join(f"{m:%Y-%m-%d},1\n" for m in months))
    fails(path, "1 step(s) of 'ME' missing at 2020-04-30")
    frame = read_csv(path, missing="interpolate")
    assert list(frame.index) == list(pd.date_range("2020-01-31", periods=14, freq="ME"))


# --- date formats -------------------------------------------------------------------------


def test_day_first_dates_are_read_as_one_format(tmp_path: Path) -> None:
    days = pd.date_range("2021-01-01", periods=40, freq="D")
    path = write(tmp_path, "date,y\n" + "".join(f"{d:%d/%m/%Y},{i}\n" for i, d in enumerate(days)))
    frame = read_csv(path)
    assert list(frame.index) == list(days)
    assert frame["y"].tolist() == list(range(40))  # no row reordered
    assert infer_frequency(frame.index) == "D"


def test_ambiguous_day_month_needs_a_format_or_dayfirst(tmp_path: Path) -> None:
    days = pd.date_range("2021-01-01", periods=12, freq="D")
    text = "date,y\n" + "".join(f"{d:%m/%d/%Y},1\n" for d in days)  # 01/01 ... 01/12
    path = write(tmp_path, text)
    fails(path, "fits two date formats", "data.time_format", "data.dayfirst")
    assert list(read_csv(path, dayfirst=False).index) == list(days)
    by_day = read_csv(path, dayfirst=True, frequency="MS")  # 01/02/2021 is 1 February
    assert list(by_day.index) == list(pd.date_range("2021-01-01", periods=12, freq="MS"))
    assert list(read_csv(path, time_format="%m/%d/%Y").index) == list(days)


def test_a_day_first_value_under_dayfirst_false_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "date,y\n30/01/2021,1\n31/01/2021,2\n")
    fails(path, "'30/01/2021'", "line 2", dayfirst=False)


def test_year_and_month_abbreviation(tmp_path: Path) -> None:
    months = pd.date_range("1982-04-01", periods=20, freq="MS")
    path = write(tmp_path, "Month,y\n" + "".join(f"{m:%Y %b},1\n" for m in months))
    frame = read_csv(path)
    assert list(frame.index) == list(months)
    assert infer_frequency(frame.index) == "MS"


def test_unsorted_rows_are_sorted_with_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "date,y\n2024-01-02,2\n2024-01-01,1\n2024-01-03,3\n")
    with caplog.at_level(logging.INFO, logger="forecaster"):
        frame = read_csv(path)
    assert frame["y"].tolist() == [1.0, 2.0, 3.0]
    assert "not in time order; sorted them by 'date'" in caplog.text


# --- zones --------------------------------------------------------------------------------


def test_offsets_across_daylight_saving_stay_hourly(tmp_path: Path) -> None:
    instants = pd.date_range("2021-03-28 00:00", periods=6, freq="h", tz="Europe/Berlin")
    text = "date,y\n" + "".join(f"{t.isoformat()},{i}\n" for i, t in enumerate(instants))
    assert "+01:00" in text and "+02:00" in text
    frame = read_csv(write(tmp_path, text))
    assert time_style(frame.index) == ("offset", "+02:00")
    assert list(frame.index) == list(instants)
    assert infer_frequency(frame.index) == "h"
    future = future_index(frame.index[-1], "h", 2)
    expected = ["2021-03-28T07:00:00+02:00", "2021-03-28T08:00:00+02:00"]
    assert [t.isoformat() for t in future] == expected


def test_named_zone_frame_is_hourly_across_daylight_saving() -> None:
    index = pd.date_range("2021-10-30 22:00", periods=8, freq="h", tz="Europe/Berlin")
    frame = prepare_frame(pd.DataFrame({"y": np.arange(8.0)}, index=index.rename("ts")))
    assert time_style(frame.index) == ("named", "Europe/Berlin")
    future = future_index(frame.index[-1], infer_frequency(frame.index), 3)
    assert list(future) == list(pd.date_range(index[-1], periods=4, freq="h")[1:])


def test_z_is_written_back_as_z(tmp_path: Path) -> None:
    path = write(tmp_path, "date,y\n2014-12-31T13:00:00Z,1\n2014-12-31T14:00:00Z,2\n")
    frame = read_csv(path)
    assert time_style(frame.index) == ("Z", "UTC")
    future = future_index(frame.index[-1], "h", 2, name="date")
    buffer = io.StringIO()
    write_table(pd.DataFrame({"y": [1.0, 2.0]}, index=future).reset_index(), buffer)
    expected = ["2014-12-31T15:00:00Z,1.0", "2014-12-31T16:00:00Z,2.0"]
    assert buffer.getvalue().splitlines()[1:] == expected


def test_mixing_zoned_and_plain_times_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "date,y\n2024-01-01T00:00Z,1\n2024-01-01T01:00,2\n")
    fails(path, "mixes times with and without a zone", "line 3")


def test_split_dates_with_or_without_zone() -> None:
    aware = pd.date_range("2014-01-01", periods=48, freq="h", tz="UTC")
    naive = aware.tz_localize(None)
    berlin = aware.tz_convert("Europe/Berlin")
    zoned = DateSplit(val_start="2014-01-01T12:00:00Z", test_start="2014-01-02T00:00:00+00:00")
    plain = DateSplit(val_start="2014-01-01T12:00:00", test_start="2014-01-02T00:00:00")
    assert split_periods(aware, zoned).to_dict() == {"train_end": 12, "val_end": 24, "end": 48}
    assert split_periods(aware, plain).to_dict() == {"train_end": 12, "val_end": 24, "end": 48}
    # an aware date on naive data: its own wall clock
    assert split_periods(naive, zoned).to_dict() == {"train_end": 12, "val_end": 24, "end": 48}
    # a naive date on data in Berlin: Berlin's wall clock (UTC+1 in January)
    assert split_periods(berlin, plain).to_dict() == {"train_end": 11, "val_end": 23, "end": 48}


# --- step indexes -------------------------------------------------------------------------


def test_integer_time_column_is_a_step_index(tmp_path: Path) -> None:
    path = write(tmp_path, "t,y\n" + "".join(f"{i},{i * 2}\n" for i in range(5, 15)))
    frame = read_csv(path, time_column="t")
    assert list(frame.index) == list(range(5, 15))
    assert infer_frequency(frame.index) == "step"
    assert list(future_index(frame.index[-1], "step", 3)) == [15, 16, 17]
    gapped = write(tmp_path, "step,y\n0,1\n1,2\n4,3\n", "gapped.csv")
    fails(gapped, "2 step(s) of 1 (step index) missing from 2 to 3")
    filled = read_csv(gapped, missing="interpolate")["y"].tolist()
    assert filled == pytest.approx([1, 2, 7 / 3, 8 / 3, 3])


def test_step_index_refuses_dates_and_date_splits(tmp_path: Path) -> None:
    path = write(tmp_path, "date,y\n2024-01-01,1\n2024-01-02,2\n")
    fails(path, "data.frequency is 'step'", frequency="step")
    dates = DateSplit(val_start="2020-01-01", test_start="2020-02-01")
    with pytest.raises(InputError, match="on a step index .*; expected fractions"):
        split_periods(pd.Index(range(10)), dates)
    raw = {"data": {"path": "x.csv", "targets": ["y"], "frequency": "step"}}
    raw["data"]["split"] = {"val_start": "2020-01-01", "test_start": "2020-02-01"}
    with pytest.raises(InputError, match="data: .*step index .*fractions"):
        parse_spec(raw)


# --- filtering rows -----------------------------------------------------------------------


def test_filter_keeps_one_series_of_a_long_table(tmp_path: Path) -> None:
    text = "Sensor,Date_Time,Count\n" + "".join(
        f"{sensor},2015-01-01T{hour:02d}:00:00Z,{hour}\n" for sensor in "AB" for hour in range(4)
    )
    path = write(tmp_path, text)
    frame = read_csv(path, row_filter={"Sensor": "B"})
    assert list(frame.columns) == ["Count"] and len(frame) == 4
    fails(path, "no row has Sensor = 'C'", "found values: A, B", row_filter={"Sensor": "C"})
    fails(path, "data.filter names column 'sensor'", row_filter={"sensor": "A"})


# --- filling never crosses a period boundary backwards ------------------------------------


def test_filling_never_reads_later_periods(tmp_path: Path) -> None:
    rows = 60
    values = np.sin(np.arange(rows) / 5.0)
    values[[8, 9, 18, 19, 20, 38, 39, 40, 41]] = np.nan  # gaps at both boundaries (20, 40)
    index = pd.date_range("2024-01-01", periods=rows, freq="h")
    frame = pd.DataFrame({"y": values, "x": values * 2}, index=index)
    ends = split_boundaries(FractionSplit(val=1 / 3, test=1 / 3))(index)
    assert ends == [20, 40, 60]
    for policy in ("ffill", "interpolate"):
        filled = fill_missing(frame, policy, ends)
        assert not filled.isna().any().any()
        changed = frame.copy()
        changed.iloc[40:] = 1000.0  # other test values
        assert np.array_equal(fill_missing(changed, policy, ends).iloc[:40], filled.iloc[:40])
        changed.iloc[20:] = -1000.0  # other validation and test values
        assert np.array_equal(fill_missing(changed, policy, ends).iloc[:20], filled.iloc[:20])
    # without the boundaries, interpolation would have drawn on the next period
    assert fill_missing(frame, "interpolate", [])["y"].iloc[19] != filled["y"].iloc[19]


@settings(max_examples=30, deadline=None)
@given(
    missing=st.sets(st.integers(0, 79), max_size=8),
    policy=st.sampled_from(["error", "interpolate", "ffill"]),
)
def test_no_window_spans_a_gap(
    tmp_path_factory: pytest.TempPathFactory, missing: set[int], policy: str
) -> None:
    times = pd.date_range("2024-01-01", periods=80, freq="h").delete(sorted(missing))
    if len(times) < 3:
        return
    text = "date,y\n" + "".join(f"{t:%Y-%m-%d %H:%M:%S},{i}\n" for i, t in enumerate(times))
    path = tmp_path_factory.mktemp("gaps") / "gaps.csv"
    path.write_text(text, encoding="utf-8")
    try:
        frame = read_csv(path, missing=policy, frequency="h")
    except InputError as error:
        assert policy == "error" and "missing" in str(error)
        return
    lookback, horizon = 4, 3
    step = pd.Timedelta(hours=1)
    for origin in window_origins(0, len(frame), lookback, horizon):
        window = frame.index[origin - lookback : origin + horizon]
        assert (np.diff(window) == step).all()  # consecutive hours, no gap inside


# --- through the command line -------------------------------------------------------------


def test_zoned_series_with_a_gap_trains_and_forecasts_in_its_zone(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forecaster.cli import app
    from tests.conftest import synthetic_frame, write_spec

    frame = synthetic_frame(300).drop(index=range(100, 104))
    stamps = pd.to_datetime(frame["timestamp"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    csv = tmp_path / "zoned.csv"
    frame.assign(timestamp=stamps).to_csv(csv, index=False)
    split = {"val_start": "2024-01-09T00:00:00Z", "test_start": "2024-01-11T00:00:00Z"}
    spec = write_spec(
        tmp_path / "zoned.yaml",
        csv,
        data={"missing": "interpolate", "max_gap": 4, "split": split},
        model={"units": [4]},
        train={"epochs": 1},
    )
    runner = CliRunner()
    bundle, out = tmp_path / "bundle", tmp_path / "forecast.csv"
    trained = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "-q"])
    assert trained.exit_code == 0, trained.output
    assert "4 missing step(s) in 1 gap(s)" in trained.output
    prep = (bundle / "preprocessing.json").read_text()
    assert '"time_style": "Z"' in prep and '"timezone": "UTC"' in prep
    predicted = runner.invoke(app, ["predict", str(bundle), "--out", str(out)])
    assert predicted.exit_code == 0, predicted.output
    assert "used rows 2024-01-12 12:00:00+00:00 to 2024-01-13 11:00:00+00:00 (24 rows)" in (
        predicted.output
    )
    lines = out.read_text().splitlines()
    assert lines[0] == "timestamp,y" and len(lines) == 7
    assert [line.split(",")[0] for line in lines[1:3]] == [
        "2024-01-13T12:00:00Z",
        "2024-01-13T13:00:00Z",
    ]


def test_step_index_trains_and_continues_the_index(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from forecaster.cli import app
    from tests.conftest import synthetic_frame, write_spec

    csv = tmp_path / "steps.csv"
    synthetic_frame(300).assign(timestamp=np.arange(1000, 1300)).rename(
        columns={"timestamp": "t"}
    ).to_csv(csv, index=False)
    spec = write_spec(
        tmp_path / "steps.yaml",
        csv,
        data={"time_column": "t", "frequency": "step"},
        model={"units": [4]},
        train={"epochs": 1},
    )
    runner = CliRunner()
    bundle, out = tmp_path / "bundle", tmp_path / "forecast.csv"
    trained = runner.invoke(app, ["train", str(spec), "--out", str(bundle), "-q"])
    assert trained.exit_code == 0, trained.output
    predicted = runner.invoke(app, ["predict", str(bundle), "--out", str(out)])
    assert predicted.exit_code == 0, predicted.output
    forecast = pd.read_csv(out)
    assert list(forecast.columns) == ["t", "y"]
    assert forecast["t"].tolist() == list(range(1300, 1306))


def test_backtest_fills_within_each_fold() -> None:
    from forecaster.evaluation.backtest import fold_boundaries

    raw = {"data": {"path": "x.csv", "targets": ["y"]}, "window": {"lookback": 4, "horizon": 2}}
    raw["evaluation"] = {"folds": 2}
    spec = parse_spec(raw)
    index = pd.date_range("2024-01-01", periods=100, freq="h")
    # the split's periods (60, 80, 100), and each fold's validation and test starts
    assert fold_boundaries(spec, index) == [60, 70, 80, 90, 100]
