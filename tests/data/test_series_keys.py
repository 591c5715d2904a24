"""Series keys: the tuple of a series' id values as written, a text form for ``--ids`` and
files that cannot collide, and the refusal of rows that name no series or repeat a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecaster
from forecaster.bundle.forecasting import _select
from forecaster.data.panel import GridTimes, Panel
from forecaster.data.reading import read_rows
from forecaster.data.rows import long_panel
from forecaster.data.statics import SERIES_ID, fit_statics
from forecaster.data.streaming import read_file, read_ready
from forecaster.errors import InputError
from forecaster.evaluation.scoring import per_series_scores
from forecaster.model.preprocessing import Preprocessing
from forecaster.model.scaling import Scaler
from tests.conftest import synthetic_panel

SUFFIXES = ("csv", "parquet")
LEGACY_LONG = Path(__file__).parents[1] / "fixtures" / "legacy_bundles" / "long" / "bundle"


def daily(ids: list[tuple[Any, ...]], names: list[str], length: int = 10) -> pd.DataFrame:
    """One daily series of ``length`` rows for each id tuple, series k at level 10 (k + 1)."""
    frames = []
    for k, key in enumerate(ids):
        rows = pd.DataFrame(dict(zip(names, key, strict=True)), index=range(length))
        rows["date"] = pd.date_range("2020-01-01", periods=length, freq="D").strftime("%Y-%m-%d")
        rows["sales"] = 10.0 * (k + 1) + np.arange(length, dtype=float)
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def write(rows: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        rows.to_parquet(path, index=False)
    else:
        rows.to_csv(path, index=False)
    return path


def general(path: Path, **options: Any) -> Panel:
    """Every cell read (id columns as text), then ``long_panel``: no streaming."""
    frame, where = read_rows(path, None, options.get("columns", ()), options["id_columns"])
    return long_panel(frame, where, str(path), **options)


def preprocessing(id_columns: list[str], scalers: dict[Any, Scaler]) -> Preprocessing:
    return Preprocessing(
        time_column="date",
        targets=["sales"],
        covariates=[],
        frequency="D",
        lookback=3,
        horizon=2,
        missing="error",
        season=7,
        id_columns=id_columns,
        series_scalers=scalers,
    )


COLLIDING = [("X / Y", "Z"), ("X", "Y / Z"), ("W", "V")]  # the first two joined alike


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_ids_that_join_to_the_same_text_stay_three_series_with_three_scalers(
    tmp_path: Path, suffix: str
) -> None:
    path = write(daily(COLLIDING, ["a", "b"]), tmp_path / f"collide.{suffix}")
    panel = read_file(path, id_columns=["a", "b"], columns=["sales"])
    assert panel.keys == [("W", "V"), ("X", "Y / Z"), ("X / Y", "Z")]
    assert panel.labels == ["W / V", 'X / "Y / Z"', '"X / Y" / Z']
    assert panel.name_of(2) == "series '\"X / Y\" / Z'"
    scalers = {
        key: Scaler("standard", np.array([float(k)]), np.array([1.0]))
        for k, key in enumerate(panel.keys)
    }
    saved = preprocessing(["a", "b"], scalers).to_dict()
    assert list(saved["series_scalers"]) == ["W / V", 'X / "Y / Z"', '"X / Y" / Z']
    loaded = Preprocessing.from_dict(saved)
    assert loaded.series_scalers == scalers
    centers, _, seen = loaded.series_scaling(panel)
    assert list(centers[:, 0]) == [0.0, 1.0, 2.0] and seen == [True, True, True]
    # the series id embedding and per_series.csv tell them apart too
    statics = fit_statics(panel.statics, panel.labels, id_embedding=True)
    assert len(set(statics.categories[SERIES_ID])) == 3
    assert list(statics.encode(panel.statics, panel.labels)[:, 0]) == [1.0, 2.0, 3.0]
    table = per_series_scores(
        np.zeros((3, 1, 1)), {"model": np.ones((3, 1, 1))}, np.arange(3), np.ones((3, 1, 1)), panel
    )
    assert list(table["series"]) == panel.labels


@pytest.mark.parametrize(
    "key",
    [
        ("X / Y", "Z"),
        ("X", "Y / Z"),
        ("N/A", 'say "hi"'),
        ('"quoted"', "/"),
        ("a ", " b"),
        ("", "x"),
        ("x", ""),
        ("NA", "null", "None"),
        ("0007", "1e3"),
        ("X / Y / Z",),
        ("",),
        (),
    ],
)
def test_the_text_of_a_key_reads_back_as_the_key(key: tuple[str, ...]) -> None:
    from forecaster.data.panel import key_text, parse_key

    assert parse_key(key_text(key), len(key)) == key


def test_the_text_of_a_key_is_the_values_joined_quoted_only_when_needed() -> None:
    from forecaster.data.panel import key_text, parse_key

    assert key_text(("north", "a")) == "north / a"  # as bundles have always stored it
    assert key_text(("X / Y", "Z")) == '"X / Y" / Z'
    assert key_text(("X", 'say "hi"')) == 'X / "say ""hi"""'
    assert key_text(("N/A",)) == "N/A"  # one id column: the value itself
    assert key_text(()) == ""  # a wide CSV's one series
    assert parse_key('"north" / a', 2) == ("north", "a")  # quotes a value needs not
    for text, n in (("X / Y / Z", 2), ("X", 2), ('"X / Y / Z', 2), ("a/b / c", 2)):
        with pytest.raises(ValueError):
            parse_key(text, n)


TEXT_IDS = ["NA", "null", "None", "0007", "1e3", "nan", "N/A", "#N/A", " padded "]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_ids_that_look_missing_or_numeric_keep_their_text(tmp_path: Path, suffix: str) -> None:
    path = write(daily([(name,) for name in TEXT_IDS], ["store"]), tmp_path / f"text.{suffix}")
    options: dict[str, Any] = {"id_columns": ["store"], "columns": ["sales"]}
    streamed = read_ready(path, **options)
    assert streamed is not None and isinstance(streamed.times, GridTimes)
    expected = sorted((name,) for name in TEXT_IDS)
    assert streamed.keys == expected
    read = general(path, **options)
    assert read.keys == expected
    pd.testing.assert_frame_equal(streamed.ids, read.ids)
    np.testing.assert_array_equal(streamed.values, read.values)
    np.testing.assert_array_equal(streamed.starts, read.starts)
    na = streamed.keys.index(("NA",))
    assert streamed.series(na)["sales"].iloc[0] == 10.0 * (TEXT_IDS.index("NA") + 1)
    assert _select(streamed, ["NA"], str(path)).keys == [("NA",)]  # --ids NA finds it


def test_integer_ids_in_parquet_are_their_text_in_either_reader(tmp_path: Path) -> None:
    path = write(daily([(10,), (2,), (33,)], ["store"]), tmp_path / "ints.parquet")
    options: dict[str, Any] = {"id_columns": ["store"], "columns": ["sales"]}
    streamed = read_ready(path, **options)
    assert streamed is not None
    read = general(path, **options)
    for panel in (streamed, read):
        assert panel.keys == [("10",), ("2",), ("33",)]  # text order: "10" < "2"
        assert list(panel.ids["store"]) == ["10", "2", "33"]
    np.testing.assert_array_equal(streamed.values, read.values)


def test_predict_ids_takes_the_text_of_a_key(tmp_path: Path) -> None:
    path = write(daily(COLLIDING, ["a", "b"]), tmp_path / "collide.csv")
    panel = read_file(path, id_columns=["a", "b"], columns=["sales"])
    assert _select(panel, ['"X / Y" / Z'], "h.csv").keys == [("X / Y", "Z")]
    assert _select(panel, ['X / "Y / Z"', "W / V"], "h.csv").keys == [("X", "Y / Z"), ("W", "V")]
    with pytest.raises(InputError) as refused:
        _select(panel, ["X / Y / Z"], "h.csv")
    assert str(refused.value) == (
        "h.csv: no series 'X / Y / Z' (--ids); did you mean 'X / \"Y / Z\"'?; a series is "
        "named by its id values joined by ' / ', a value holding '/' or '\"' in double "
        "quotes, e.g. 'W / V'; fix: use one of the 3 series in the data"
    )


def empty_ids(suffix: str) -> pd.DataFrame:
    rows = synthetic_panel((12, 10)).drop(columns="region")
    rows["store"] = rows["store"].astype(object)
    rows.loc[[3, 7, 15], "store"] = None if suffix == "parquet" else ""
    return rows


@pytest.mark.parametrize("missing", ["error", "interpolate"])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_id_cells_are_refused_naming_their_rows(
    tmp_path: Path, suffix: str, missing: str
) -> None:
    path = write(empty_ids(suffix), tmp_path / f"empty.{suffix}")
    options: dict[str, Any] = {"id_columns": ["store"], "columns": ["sales"], "missing": missing}
    assert read_ready(path, **options) is None
    rows = "line 5, line 9 and line 17" if suffix == "csv" else "row 3, row 7 and row 15"
    expected = (
        f"{path}: id column 'store' (data.id_columns) is empty at {rows}; expected the name "
        "of a series in every row; fix: fill in those cells or remove the rows"
    )
    with pytest.raises(InputError) as refused:
        read_file(path, **options)
    assert str(refused.value) == expected


def test_empty_ids_in_a_frame_are_refused_by_row_position() -> None:
    rows = synthetic_panel((12, 10)).drop(columns="region")
    rows.loc[[2, 4, 6, 8], "store"] = [np.nan, None, "  ", ""]
    with pytest.raises(InputError) as refused:
        long_panel(rows, lambda i: f"row position {i}", "history", id_columns=["store"])
    assert str(refused.value) == (
        "history: id column 'store' (data.id_columns) is empty at row position 2, row "
        "position 4, row position 6 and 1 more; expected the name of a series in every row; "
        "fix: fill in those cells or remove the rows"
    )


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_repeated_time_in_a_series_names_the_series_time_and_rows(
    tmp_path: Path, suffix: str
) -> None:
    rows = synthetic_panel((10, 14, 8)).drop(columns="region")
    rows.loc[16, "date"] = rows.loc[15, "date"]  # the longest series, s1, has a day twice
    path = write(rows, tmp_path / f"twice.{suffix}")
    lines = "line 17 and line 18" if suffix == "csv" else "row 15 and row 16"
    expected = (
        f"{path} (series s1): timestamp 2020-01-13 00:00:00 appears more than once ({lines}); "
        "expected one row per time; fix: remove or aggregate the duplicate rows"
    )
    for frequency in (None, "D"):  # inferred from the longest series, or given
        with pytest.raises(InputError) as refused:
            read_file(path, id_columns=["store"], columns=["sales"], frequency=frequency)
        assert str(refused.value) == expected


def test_a_wide_csvs_one_series_has_the_empty_key() -> None:
    frame = pd.DataFrame({"y": [1.0, 2.0]}, index=pd.date_range("2020-01-01", periods=2))
    panel = Panel.single(frame)
    assert panel.keys == [()] and panel.labels == [""]
    assert panel.name_of(0) == "the series"


def test_preprocessing_written_before_keeps_its_scalers_for_the_same_series() -> None:
    legacy = preprocessing(["a", "b"], {}).to_dict()
    del legacy["key_format"]  # as written before keys were tuples
    legacy["series_scalers"] = {
        "north / a": Scaler("standard", np.array([1.0]), np.array([1.0])).to_dict(),
        # once written for both ("X / Y", "Z") and ("X", "Y / Z"): both keep it
        "X / Y / Z": Scaler("standard", np.array([2.0]), np.array([1.0])).to_dict(),
    }
    loaded = Preprocessing.from_dict(legacy)
    assert {key: float(s.center[0]) for key, s in loaded.series_scalers.items()} == {
        ("north", "a"): 1.0,
        ("X / Y", "Z"): 2.0,
        ("X", "Y / Z"): 2.0,
    }
    assert Preprocessing.from_dict(loaded.to_dict()).series_scalers == loaded.series_scalers
    bundled = forecaster.load(LEGACY_LONG).preprocessing
    assert set(bundled.series_scalers) == {("north", "a"), ("north", "b"), ("south", "c")}
