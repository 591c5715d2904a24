"""Inputs known for every timestamp, past or future: calendar features and public holidays.

They are computed from the timestamps alone, so the model gets them over the lookback and
over the horizon, and ``predict`` generates them for the future rows instead of asking
for them. Every feature is read in local time (``timezone``, default the data's own
zone): the hour a shop opens is a local hour, and a holiday is a local date.

Each calendar feature is cyclic, written as a sine and a cosine so that the last hour of
the day sits next to the first. Holidays come from the ``holidays`` package: a flag for
the local date, and optionally the days to the next and since the last holiday (capped at
``HOLIDAY_DISTANCE_CAP`` and divided by it, so every input stays within [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecaster.errors import InputError

if TYPE_CHECKING:
    from forecaster.spec import DataSpec

# period of each cyclic feature: its value v in [0, period) becomes sin/cos(2 pi v / period)
CALENDAR_PERIODS = {
    "minute": 60,
    "hour": 24,
    "weekday": 7,
    "day_of_month": 31,
    "day_of_year": 366,
    "week_of_year": 53,
    "month": 12,
}
# a week either side covers bridge days and the run-up to Christmas without letting a
# holiday months away shape every input
HOLIDAY_DISTANCE_CAP = 7


@dataclass(frozen=True)
class Calendar:
    """Which known-in-advance features to generate, and in which zone (``calendar.json``
    part of the bundle's preprocessing)."""

    features: list[str] = field(default_factory=list)  # names in CALENDAR_PERIODS
    holiday_country: str | None = None  # ISO code, e.g. AU
    holiday_subdiv: str | None = None  # e.g. VIC
    holiday_distances: bool = False
    timezone: str | None = None  # None: the timestamps' own zone (naive: as written)

    @property
    def columns(self) -> list[str]:
        """Names of the generated input columns, in order."""
        names = [f"{name}_{part}" for name in self.features for part in ("sin", "cos")]
        if self.holiday_country:
            names.append("holiday")
            if self.holiday_distances:
                names += ["days_to_holiday", "days_since_holiday"]
        return names

    def __bool__(self) -> bool:
        return bool(self.columns)

    def values(self, index: pd.Index, source: str = "data") -> np.ndarray:
        """``[rows, len(columns)]`` float32 for the timestamps ``index`` (any order, any
        repeats: rows of many series may be stacked)."""
        if not self:
            return np.zeros((len(index), 0), dtype=np.float32)
        if not isinstance(index, pd.DatetimeIndex):
            raise InputError(
                f"{source}: calendar features and holidays need timestamps, found a step "
                "index; fix: give the data a date-time column or remove data.calendar and "
                "data.holidays"
            )
        local = self._local(index)
        parts = [_cyclic(local, name) for name in self.features]
        if self.holiday_country:
            parts.append(self._holidays(local, self.holiday_country))
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _local(self, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        if self.timezone is None:
            return index
        if index.tz is None:
            # naive timestamps are local times already; a zone is only for aware data
            raise InputError(
                f"data.calendar_timezone is {self.timezone!r} but the timestamps carry no zone; "
                "naive timestamps are read as local time; fix: remove data.calendar_timezone"
            )
        return index.tz_convert(self.timezone)

    def _holidays(self, local: pd.DatetimeIndex, country: str) -> np.ndarray:
        import holidays

        days = local.normalize().tz_localize(None) if local.tz is not None else local.normalize()
        years = range(days.min().year - 1, days.max().year + 2)
        dates = holidays.country_holidays(country, subdiv=self.holiday_subdiv, years=years)
        holiday_days = np.array(sorted(pd.Timestamp(day) for day in dates), dtype="datetime64[D]")
        day_numbers = days.to_numpy().astype("datetime64[D]")
        flag = np.isin(day_numbers, holiday_days).astype(np.float64)
        if not self.holiday_distances:
            return flag[:, None]
        # holiday_days spans a year either side, so every row has one before and after
        following = np.searchsorted(holiday_days, day_numbers, side="left")
        before = np.searchsorted(holiday_days, day_numbers, side="right") - 1
        to_next = holiday_days[np.minimum(following, len(holiday_days) - 1)] - day_numbers
        since = day_numbers - holiday_days[np.maximum(before, 0)]
        cap = HOLIDAY_DISTANCE_CAP
        to_next_days = np.minimum(to_next.astype(np.int64), cap) / cap
        since_days = np.minimum(since.astype(np.int64), cap) / cap
        return np.stack([flag, to_next_days, since_days], axis=1)

    def check_varies(self, train_index: pd.Index, source: str) -> None:
        """Refuse a calendar feature that is constant over the training rows (the hour of
        daily data, the month of a single month): it would teach the model nothing."""
        if not self.features or len(train_index) < 2:
            return
        values = self.values(train_index, source)
        for k, name in enumerate(self.features):
            pair = values[:, 2 * k : 2 * k + 2]
            if np.ptp(pair, axis=0).max() < 1e-6:
                raise InputError(
                    f"{source}: data.calendar {name!r} has one value over all the training "
                    f"rows (e.g. the hour of data with one row a day); fix: remove {name!r} "
                    "from data.calendar"
                )

    def check_frequency(self, frequency: str, source: str) -> None:
        """Refuse holidays on data whose step is longer than a day: a flag marks a date,
        and a month or a week is not one."""
        if not self.holiday_country or frequency == "step":
            return
        from pandas.tseries.frequencies import to_offset

        offset = to_offset(frequency)
        try:
            daily_or_finer = offset.nanos <= 86_400 * 10**9
        except ValueError:  # calendar steps: business days are days, months are not
            daily_or_finer = offset.name in ("B", "C")
        if not daily_or_finer:
            raise InputError(
                f"{source}: data.holidays flags days, and the data's step is {frequency} "
                "(longer than a day); fix: remove data.holidays, or use daily or finer data"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "holiday_country": self.holiday_country,
            "holiday_subdiv": self.holiday_subdiv,
            "holiday_distances": self.holiday_distances,
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calendar:
        return cls(**data)

    @classmethod
    def from_spec(cls, data: DataSpec) -> Calendar:
        """The calendar and holiday inputs a spec's ``data`` section asks for."""
        holidays = data.holidays
        return cls(
            features=list(data.calendar),
            holiday_country=holidays.country if holidays else None,
            holiday_subdiv=holidays.subdiv if holidays else None,
            holiday_distances=holidays.distances if holidays else False,
            timezone=data.calendar_timezone,
        )


def _cyclic(local: pd.DatetimeIndex, name: str) -> np.ndarray:
    """``[rows, 2]``: the sine and cosine of one calendar feature's phase."""
    value = {
        "minute": lambda: local.minute,
        "hour": lambda: local.hour + local.minute / 60,
        "weekday": lambda: local.weekday,
        "day_of_month": lambda: local.day - 1,
        "day_of_year": lambda: local.dayofyear - 1,
        "week_of_year": lambda: local.isocalendar().week.to_numpy() - 1,
        "month": lambda: local.month - 1,
    }[name]()
    phase = 2 * np.pi * np.asarray(value, dtype=np.float64) / CALENDAR_PERIODS[name]
    return np.stack([np.sin(phase), np.cos(phase)], axis=1)
