"""Long data: one row per (series, time), each series read on its own time axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.data.panel import GridTimes, Panel
from forecaster.data.rows import long_values
from forecaster.data.streaming import read_file
from forecaster.errors import InputError
from tests.conftest import synthetic_panel


def test_series_of_different_lengths_and_starts_are_stacked_in_key_order(tmp_path: Path) -> None:
    rows = synthetic_panel((30, 20, 25))
    rows = rows.sample(frac=1.0, random_state=1)  # rows in any order
    path = tmp_path / "long.csv"
    rows.to_csv(path, index=False)
    panel = read_file(path, id_columns=["store"], static_covariates=["region"], columns=["sales"])
    assert panel.num_series == 3 and panel.keys == [("s0",), ("s1",), ("s2",)]
    assert list(panel.starts) == [0, 30, 50, 75]
    second = panel.series(1)
    assert second.index[0] == pd.Timestamp("2020-01-08") and len(second) == 20
    assert second.index.is_monotonic_increasing
    expected = rows[rows.store == "s1"].sort_values("date")["sales"].to_numpy()
    np.testing.assert_array_equal(second["sales"].to_numpy(), expected.astype(np.float32))
    assert list(panel.statics["region"]) == ["south", "north", "south"]
    assert list(panel.series_of_rows()[[0, 29, 30, 74]]) == [0, 0, 1, 2]


def test_each_series_gets_the_time_axis_rules_on_its_own(tmp_path: Path) -> None:
    rows = synthetic_panel((30, 20))
    rows = rows.drop(index=[35, 36])  # two days missing inside s1 only
    path = tmp_path / "gap.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"series s1\).*gap") as refused:
        read_file(path, id_columns=["store"], columns=["sales"])
    assert "\n" not in str(refused.value)
    filled = read_file(path, id_columns=["store"], columns=["sales"], missing="interpolate")
    assert list(filled.starts) == [0, 30, 50]  # the gap is back, interpolated
    assert filled.series(1).index.to_series().diff().dropna().eq(pd.Timedelta("1D")).all()


def test_a_static_covariate_that_changes_within_a_series_is_refused(tmp_path: Path) -> None:
    rows = synthetic_panel((20, 20))
    rows.loc[5, "region"] = "east"
    path = tmp_path / "static.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(InputError, match="static covariate 'region' changes within the series"):
        read_file(path, id_columns=["store"], static_covariates=["region"], columns=["sales"])


def test_parquet_reads_like_csv(tmp_path: Path) -> None:
    rows = synthetic_panel((20, 15))
    rows.to_csv(tmp_path / "long.csv", index=False)
    rows.to_parquet(tmp_path / "long.parquet")
    from_csv = read_file(tmp_path / "long.csv", id_columns=["store"], columns=["sales"])
    from_parquet = read_file(tmp_path / "long.parquet", id_columns=["store"], columns=["sales"])
    pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame)


def test_a_wide_frame_is_a_panel_of_one_series() -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0]}, index=pd.date_range("2024-01-01", periods=2))
    panel = Panel.single(frame)
    assert panel.num_series == 1 and panel.id_columns == [] and panel.keys == [()]


def test_split_last_holds_back_each_series_tail() -> None:
    frame = pd.DataFrame({"v": np.arange(7.0)}, index=pd.date_range("2024-01-01", periods=7))
    ids = pd.DataFrame({"store": ["a", "b"]})
    panel = Panel.of_frame(frame, np.array([0, 3, 7]), ids, ids[[]])
    head, tail = panel.split_last(2)
    assert head.frame["v"].tolist() == [0.0, 3.0, 4.0]
    assert head.starts.tolist() == [0, 1, 3]
    assert tail.frame["v"].tolist() == [1.0, 2.0, 5.0, 6.0]
    assert tail.starts.tolist() == [0, 2, 4]
    assert tail.labels == head.labels == ["a", "b"]


def _series_by_series(rows: pd.DataFrame, time: str, **options: object) -> pd.DataFrame:
    """The reading every series would get on its own: ``prepare_rows`` per series."""
    from forecaster.data.reading import prepare_rows

    blocks = []
    for key, part in rows.groupby("store", sort=True):
        blocks.append(
            prepare_rows(
                part.drop(columns=["store", "region"]).reset_index(drop=True),
                time,
                ["sales"],
                options.get("missing", "error"),  # type: ignore[arg-type]
                f"series {key}",
                lambda i: f"row {i}",
                frequency=options.get("frequency"),  # type: ignore[arg-type]
            )
        )
    return pd.concat(blocks)


def test_ready_series_and_series_that_need_work_read_as_each_would_alone(tmp_path: Path) -> None:
    rows = synthetic_panel((30, 20, 25, 12))
    s1 = rows.index[rows.store == "s1"]
    rows = rows.drop(index=s1[[4, 5]])  # s1: a gap, filled
    s2 = rows.index[rows.store == "s2"]
    rows.loc[s2] = rows.loc[s2[::-1]].to_numpy()  # s2: rows in reverse time order
    rows["sales"] = rows["sales"].astype(object)
    rows.loc[rows.index[rows.store == "s3"][3], "sales"] = "inf"  # s3: a value to fill
    path = tmp_path / "mixed.csv"
    rows.to_csv(path, index=False)
    panel = read_file(path, id_columns=["store"], columns=["sales"], missing="ffill")
    expected = _series_by_series(rows, "date", missing="ffill", frequency="D")
    pd.testing.assert_frame_equal(panel.frame, expected.astype(np.float32))
    assert list(panel.starts) == [0, 30, 50, 75, 87]
    sales = panel.frame["sales"].to_numpy()
    assert sales[30 + 4] == sales[30 + 5] == sales[30 + 3]  # s1's gap, forward-filled
    assert sales[75 + 3] == sales[75 + 2]  # s3's inf, forward-filled


def test_aware_hourly_series_across_daylight_saving_are_taken_as_they_are(tmp_path: Path) -> None:
    utc = pd.date_range("2024-03-30 22:00", periods=8, freq="h", tz="UTC")
    local = utc.tz_convert("Europe/Berlin")  # 02:00 -> 03:00 on 2024-03-31
    rows = pd.DataFrame(
        {
            "store": np.repeat(["a", "b"], 8),
            "region": "x",
            "time": [t.isoformat() for t in local] * 2,
            "sales": np.arange(16, dtype=float),
        }
    )
    path = tmp_path / "aware.csv"
    rows.to_csv(path, index=False)
    panel = read_file(path, id_columns=["store"], columns=["sales"])
    assert list(panel.starts) == [0, 8, 16]
    assert (panel.frame.index[:8] == local).all()
    expected = _series_by_series(rows, "time", frequency="h")
    pd.testing.assert_frame_equal(panel.frame, expected.astype(np.float32))


def test_static_covariates_of_ready_series_are_their_first_value(tmp_path: Path) -> None:
    rows = synthetic_panel((10, 10, 10))
    rows["region"] = rows["region"].map(lambda r: f" {r} ")  # stripped like any cell
    path = tmp_path / "statics.csv"
    rows.to_csv(path, index=False)
    panel = read_file(path, id_columns=["store"], static_covariates=["region"], columns=["sales"])
    assert list(panel.statics["region"]) == ["south", "north", "south"]


def test_a_frame_of_long_rows_is_filtered_like_a_file() -> None:
    from forecaster.data.rows import long_panel

    rows = synthetic_panel((20, 20, 20, 20))  # s1 and s3 are north
    panel = long_panel(
        rows,
        lambda i: f"row position {i}",
        "history",
        id_columns=["store"],
        columns=["sales"],
        row_filter={"region": "north"},
    )
    assert panel.labels == ["s1", "s3"]
    assert "region" not in panel.frame.columns


def test_series_ready_as_read_skip_the_per_series_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecaster.data.rows as rows_module
    from forecaster.data.reading import read_rows

    def general(path: Path, **options: object) -> Panel:  # not streamed by read_file
        return rows_module.long_panel(*read_rows(path), str(path), **options)  # type: ignore[arg-type]

    rows = synthetic_panel((30, 20, 25))
    path = tmp_path / "ready.csv"
    rows.to_csv(path, index=False)
    expected = general(path, id_columns=["store"], columns=["sales"])

    def per_series(*args: object, **kwargs: object) -> None:
        raise AssertionError("a ready series went through the per-series checks")

    monkeypatch.setattr(rows_module, "prepare_rows", per_series)
    fast = general(path, id_columns=["store"], columns=["sales"])
    pd.testing.assert_frame_equal(fast.frame, expected.frame)
    # a series with a gap still needs them
    rows.drop(index=[5]).to_csv(path, index=False)
    with pytest.raises(AssertionError, match="per-series checks"):
        general(path, id_columns=["store"], columns=["sales"], missing="ffill")


def test_long_values_are_float32_and_a_value_beyond_its_range_is_refused() -> None:
    values = long_values(np.array([[1.5], [np.nan]]), "long.csv")
    assert values.dtype == np.float32 and values.flags.c_contiguous
    assert values[0, 0] == 1.5 and np.isnan(values[1, 0])  # an empty cell stays empty
    with pytest.raises(InputError, match="long.csv: a value is beyond the 32-bit range"):
        long_values(np.array([[1e39]]), "long.csv")


def test_row_times_of_a_streamed_panel_look_up_only_the_series_asked_for() -> None:
    firsts = pd.DatetimeIndex(["2024-01-01", "2024-03-01"], name="date")
    lasts = pd.DatetimeIndex(["2024-01-03", "2024-03-04"], name="date")
    ids = pd.DataFrame({"store": ["a", "b"]})
    panel = Panel(
        np.zeros((7, 1), np.float32),
        ["v"],
        np.array([0, 3, 7]),
        ids,
        ids[[]],
        GridTimes(firsts, lasts, "D"),
    )
    times = panel.row_times()
    assert len(times) == 7
    assert times[0] == pd.Timestamp("2024-01-01") and times[-1] == pd.Timestamp("2024-03-04")
    assert list(times[2:5]) == list(panel.index[2:5])
    rows = np.array([5, 1, 3])  # out of order, across both series
    assert list(times[rows]) == list(pd.DatetimeIndex(["2024-03-03", "2024-01-02", "2024-03-01"]))
