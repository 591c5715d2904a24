"""Calendar and holiday inputs: local time, cyclic values, holiday flags and distances."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pandas as pd
import pytest

from forecaster.data.calendar import CALENDAR_PERIODS, HOLIDAY_DISTANCE_CAP, Calendar
from forecaster.errors import InputError
from forecaster.spec import CalendarFeature, parse_spec


def test_cyclic_hour_and_weekday_by_hand() -> None:
    # 2024-01-01 was a Monday (weekday 0); 06:00 is a quarter of the day
    index = pd.DatetimeIndex(["2024-01-01 06:00", "2024-01-03 18:00"])
    values = Calendar(features=["hour", "weekday"]).values(index)
    assert values.shape == (2, 4)
    np.testing.assert_allclose(values[0], [1.0, 0.0, 0.0, 1.0], atol=1e-6)
    two_days = 2 * np.pi * 2 / 7
    np.testing.assert_allclose(
        values[1], [-1.0, 0.0, np.sin(two_days), np.cos(two_days)], atol=1e-6
    )


def test_features_are_local_time_across_daylight_saving() -> None:
    # Melbourne: AEST (+10) until 2016-10-02 02:00, then AEDT (+11)
    index = pd.DatetimeIndex(["2016-07-01T14:00Z", "2016-10-02T16:00Z"])
    calendar = Calendar(features=["hour"], timezone="Australia/Melbourne")
    hours = calendar.values(index)
    np.testing.assert_allclose(hours[0], [0.0, 1.0], atol=1e-6)  # local midnight
    three = 2 * np.pi * 3 / 24  # 16:00 Z is 03:00 AEDT, not 02:00
    np.testing.assert_allclose(hours[1], [np.sin(three), np.cos(three)], atol=1e-6)


def test_holiday_flag_is_for_the_local_date() -> None:
    # Melbourne Cup day, a Victorian holiday: Tuesday 2016-11-01 local, still 31 October in UTC
    index = pd.DatetimeIndex(["2016-10-31T14:00Z", "2016-10-31T12:00Z"])
    local = Calendar(holiday_country="AU", holiday_subdiv="VIC", timezone="Australia/Melbourne")
    assert local.columns == ["holiday"]
    np.testing.assert_array_equal(local.values(index)[:, 0], [1.0, 0.0])
    # the same instants read in UTC: neither is on the holiday
    utc = Calendar(holiday_country="AU", holiday_subdiv="VIC")
    np.testing.assert_array_equal(utc.values(index)[:, 0], [0.0, 0.0])
    # New South Wales has no Melbourne Cup
    nsw = Calendar(holiday_country="AU", holiday_subdiv="NSW", timezone="Australia/Melbourne")
    assert nsw.values(index)[0, 0] == 0.0


def test_holiday_distances_capped_and_scaled() -> None:
    # Christmas (25th) and Boxing Day (26th) 2023 in Australia; 20 December is 5 days before
    # and long after the last holiday (King's Birthday in June, Melbourne Cup in November)
    calendar = Calendar(holiday_country="AU", holiday_subdiv="VIC", holiday_distances=True)
    index = pd.DatetimeIndex(["2023-12-20", "2023-12-25", "2023-12-27"])
    values = calendar.values(index)
    assert calendar.columns == ["holiday", "days_to_holiday", "days_since_holiday"]
    cap = HOLIDAY_DISTANCE_CAP
    np.testing.assert_allclose(values[0], [0.0, 5 / cap, 1.0])
    np.testing.assert_allclose(values[1], [1.0, 0.0, 0.0])
    # the day after Boxing Day: since = 1 day; next = New Year's Day, 5 days on
    np.testing.assert_allclose(values[2], [0.0, 5 / cap, 1 / cap])


def test_constant_feature_over_training_rows_is_refused() -> None:
    daily = pd.date_range("2024-01-01", periods=30, freq="D")
    with pytest.raises(InputError, match=r"data.calendar 'hour' has one value.*remove 'hour'"):
        Calendar(features=["hour", "weekday"]).check_varies(daily, "daily.csv")
    Calendar(features=["weekday"]).check_varies(daily, "daily.csv")  # varies: accepted


def test_holidays_need_daily_or_finer_steps() -> None:
    calendar = Calendar(holiday_country="AU")
    for frequency in ("h", "15min", "D", "B"):
        calendar.check_frequency(frequency, "data.csv")
    with pytest.raises(InputError, match="step is MS .longer than a day.; fix: remove data.holi"):
        calendar.check_frequency("MS", "data.csv")
    Calendar(features=["month"]).check_frequency("MS", "data.csv")  # no holidays: fine


def test_naive_timestamps_refuse_a_zone() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="h")
    with pytest.raises(InputError, match="carry no zone"):
        Calendar(features=["hour"], timezone="Europe/Berlin").values(index)


def test_step_index_is_refused() -> None:
    with pytest.raises(InputError, match="need timestamps"):
        Calendar(features=["hour"]).values(pd.RangeIndex(3))


def test_round_trip_through_dict() -> None:
    calendar = Calendar(["month"], "DE", "BY", True, "Europe/Berlin")
    assert Calendar.from_dict(calendar.to_dict()) == calendar


def test_the_spec_offers_exactly_the_features_generated() -> None:
    assert set(get_args(CalendarFeature)) == set(CALENDAR_PERIODS)


def test_from_spec_reads_the_data_section() -> None:
    data = {"calendar": ["month"], "calendar_timezone": "Europe/Berlin"}
    holidays = {"country": "DE", "subdiv": "BY", "distances": True}
    spec = parse_spec({"data": {"path": "x.csv", "targets": ["y"], **data, "holidays": holidays}})
    assert Calendar.from_spec(spec.data) == Calendar(["month"], "DE", "BY", True, "Europe/Berlin")
    assert spec.data.has_known_inputs
    plain = parse_spec({"data": {"path": "x.csv", "targets": ["y"]}}).data
    assert Calendar.from_spec(plain) == Calendar() and not plain.has_known_inputs


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"holidays": {"country": "XX"}}, "data.holidays: Country XX not available"),
        ({"holidays": {"country": "AU", "subdiv": "ZZ"}}, "does not have subdivision ZZ"),
        ({"calendar": ["hours"]}, "data.calendar.0 is 'hours'"),
        ({"calendar": ["hour", "hour"]}, "data.calendar lists hour twice"),
        ({"calendar_timezone": "Mars/Base"}, "'Mars/Base' is not a time zone"),
        ({"future_covariates": ["y"]}, "listed twice in targets/covariates/future_covariates: y"),
    ],
)
def test_spec_refuses(data: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_spec({"data": {"path": "x.csv", "targets": ["y"], **data}})


def test_channel_independence_refuses_known_inputs() -> None:
    with pytest.raises(InputError, match="channel_independent .* calendar and holidays"):
        parse_spec(
            {
                "data": {"path": "x.csv", "targets": ["y"], "calendar": ["hour"]},
                "model": {"channel_independent": True},
            }
        )
