"""``data``: where the series are, which columns mean what, and how the rows are split
into training, validation and test periods."""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from forecaster.spec.base import Strict

# the features forecaster.data.calendar generates (its CALENDAR_PERIODS)
CalendarFeature = Literal[
    "minute", "hour", "weekday", "day_of_month", "day_of_year", "week_of_year", "month"
]


class FractionSplit(Strict):
    """The last ``test`` share of rows is the test period, the ``val`` share before it
    validation."""

    val: float = Field(
        0.2,
        gt=0,
        lt=1,
        description="Share of the rows (of every series) in the validation period, the one "
        "just before the test period.",
    )
    test: float = Field(
        0.2,
        gt=0,
        lt=1,
        description="Share of the rows (of every series) in the test period, the last one.",
    )

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> FractionSplit:
        if self.val + self.test >= 1:
            raise ValueError(
                f"val + test must be below 1 to leave training rows, got {self.val} + {self.test}"
            )
        return self


class DateSplit(Strict):
    """Training is everything before ``val_start``; ``end`` (exclusive) trims the series."""

    val_start: datetime = Field(
        description="First time of the validation period; training is every row before it. "
        "A date (2017-06-26) or date and time, with a zone (Z, +01:00) or without one, as the "
        "other two dates; a date without a zone is read in the data's zone."
    )
    test_start: datetime = Field(
        description="First time of the test period, which runs to `end` or to the last row."
    )
    end: datetime | None = Field(
        None,
        description="End of the test period (exclusive): later rows are left out. "
        "Unset: the last row.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> DateSplit:
        dates = [d for d in (self.val_start, self.test_start, self.end) if d is not None]
        if len({d.tzinfo is None for d in dates}) > 1:
            raise ValueError(
                "val_start, test_start and end must all carry a zone (Z, +01:00) or none"
            )
        if not self.val_start < self.test_start:
            raise ValueError("val_start must come before test_start")
        if self.end is not None and not self.test_start < self.end:
            raise ValueError("test_start must come before end")
        return self


class StepSplit(Strict):
    """The last ``test_steps`` steps of every series are its test period, the
    ``val_steps`` before them its validation period (the usual split of many series of
    different lengths)."""

    val_steps: int = Field(
        ge=1,
        le=10_000_000,
        description="Steps of every series in its validation period, the ones before its "
        "test period.",
    )
    test_steps: int = Field(
        ge=1, le=10_000_000, description="The last steps of every series, its test period."
    )


def _split_kind(value: Any) -> str:
    keys = set(value) if isinstance(value, dict) else set(getattr(value, "__dict__", ()))
    if {"val_start", "test_start", "end"} & keys:
        return "dates"
    return "steps" if {"val_steps", "test_steps"} & keys else "fractions"


Split = Annotated[
    Annotated[FractionSplit, Tag("fractions")]
    | Annotated[DateSplit, Tag("dates")]
    | Annotated[StepSplit, Tag("steps")],
    Discriminator(_split_kind),
]


def _check_holiday_country(country: str, subdiv: str | None) -> None:
    """Raise ``ValueError`` (for the spec's one-line message) unless ``holidays`` knows the
    country and subdivision."""
    import holidays

    try:
        holidays.country_holidays(country, subdiv=subdiv, years=2000)
    except NotImplementedError as error:
        raise ValueError(
            f"{error}; use an ISO 3166 country code (AU, US, DE, ...) and one of its "
            "subdivisions as listed by the holidays package"
        ) from None


class HolidaySpec(Strict):
    """``data.holidays``: a flag for each public holiday of a country (and subdivision)."""

    country: str = Field(
        min_length=2,
        max_length=3,
        description="ISO 3166 country code whose public holidays are flagged, e.g. AU; "
        "checked against the holidays package when the spec is read.",
    )
    subdiv: str | None = Field(
        None,
        description="A subdivision of the country (state, province), e.g. VIC. Unset: "
        "national holidays only.",
    )
    distances: bool = Field(
        False,
        description="Also the days to the next and since the last holiday (capped at a week, "
        "scaled to 0-1), besides the flag.",
    )

    @model_validator(mode="after")
    def _known_country(self) -> HolidaySpec:
        _check_holiday_country(self.country, self.subdiv)
        return self


class DataSpec(Strict):
    path: Path = Field(
        description="The CSV or Parquet file, relative to the working directory "
        "(`forecast train --data` replaces it)."
    )
    time_column: str | None = Field(
        None,
        description="The time column. Unset: a column named date, datetime, time, timestamp, "
        "ds, ..., else the first column of dates.",
    )
    targets: list[str] = Field(min_length=1, description="The columns to forecast (one or more).")
    covariates: list[str] = Field(
        [],
        description="Extra input columns observed in the past only: seen over the lookback, "
        "never after the forecast origin.",
    )
    missing: Literal["error", "ffill", "interpolate"] = Field(
        "error",
        description="What gaps (missing steps) and empty or infinite cells do: `error` stops "
        "with one line naming the first gap; `ffill` takes the last value before; "
        "`interpolate` draws a straight line in time. Both fill within each period only.",
    )
    split: Split = Field(
        FractionSplit(),
        description="Training, validation and test periods: fractions of the rows "
        "(`{val: 0.2, test: 0.2}`, the last rows are test), dates (`{val_start, test_start, "
        "end}`) or the last steps of every series (`{val_steps, test_steps}`).",
    )
    frequency: str | None = Field(
        None,
        description="The step, as a pandas offset alias (h, 15min, D, B, W-SUN, MS, QE, "
        "YS, ...), or `step` for an integer time column. Unset: inferred from the times. "
        "A missing step is a gap.",
    )
    max_gap: int | None = Field(
        None,
        ge=1,
        description="Most steps in a row that `ffill` or `interpolate` may fill in a column; "
        "a longer gap is an error. Unset: no limit.",
    )
    time_format: str | None = Field(
        None,
        description='strftime format of the time column, e.g. "%d/%m/%Y %H:%M". Unset: one '
        "format detected for the whole column.",
    )
    dayfirst: bool | None = Field(
        None,
        description="Settles 01/02/2020 (day first or month first) when no day in the column "
        "is above 12. Unset: detected.",
    )
    filter: dict[str, str | int | float] = Field(
        {},
        description="Column -> value: keep only the rows holding those values (one series of "
        "a long table); those columns are not inputs.",
    )
    id_columns: list[str] = Field(
        [],
        description="Long data: the columns that name a series (one row per series and "
        "time); one global model trains across every series.",
    )
    static_covariates: list[str] = Field(
        [],
        description="Long data: columns with one value per series. Text is a category "
        "(embedded), numbers are standardised across series.",
    )
    future_covariates: list[str] = Field(
        [],
        description="Columns known through the horizon too (weather forecasts, planned "
        "prices); `forecast predict` then needs `--future`.",
    )
    calendar: list[CalendarFeature] = Field(
        [],
        description="Calendar features generated from the timestamps, in local time, each "
        "as a sine and a cosine.",
    )
    holidays: HolidaySpec | None = Field(
        None,
        description="Public holidays from the holidays package: a flag for each local date. "
        "Unset: no holiday input.",
    )
    calendar_timezone: str | None = Field(
        None,
        description="IANA zone whose local time the calendar and holidays are read in, for "
        "timestamps with a zone (e.g. Australia/Melbourne for UTC data of a Melbourne "
        "sensor). Unset: the data's own zone or wall clock.",
    )

    @field_validator("calendar_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            raise ValueError(
                f"{value!r} is not a time zone; use an IANA name such as Australia/Melbourne"
            ) from None
        return value

    @field_validator("frequency")
    @classmethod
    def _known_frequency(cls, value: str | None) -> str | None:
        if value is None or value == "step":
            return value
        from pandas.tseries.frequencies import to_offset

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated aliases ("H") still name a step
                return to_offset(value).freqstr
        except (ValueError, TypeError):
            raise ValueError(
                f"{value!r} is not a pandas frequency; use an offset alias such as h, 15min, D, "
                "B, W-SUN, MS, QE or YS, or step for an integer time column"
            ) from None

    @field_validator("time_format")
    @classmethod
    def _strftime_format(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(f"{value!r} has no % field; use strftime codes such as %d/%m/%Y")
        return value

    @model_validator(mode="after")
    def _distinct_columns(self) -> DataSpec:
        columns = self.columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValueError(
                "columns listed twice in targets/covariates/future_covariates: "
                + ", ".join(repeated)
            )
        repeated_features = sorted({c for c in self.calendar if self.calendar.count(c) > 1})
        if repeated_features:
            raise ValueError(f"data.calendar lists {', '.join(repeated_features)} twice")
        shared = sorted(set(self.id_columns) & set(columns))
        if shared:
            raise ValueError(
                f"{', '.join(shared)} names a series (data.id_columns), so it cannot be a "
                "target or covariate too"
            )
        if self.static_covariates and not self.id_columns:
            raise ValueError(
                "data.static_covariates describe each series of long data; set data.id_columns "
                "to the columns that name a series, or remove static_covariates"
            )
        repeated = sorted({c for c in self.static_covariates if c in columns})
        if repeated:
            raise ValueError(
                f"{', '.join(repeated)} is listed in static_covariates and in targets/covariates"
            )
        filtered = sorted(set(self.filter) & set(columns))
        if filtered:
            raise ValueError(
                f"{', '.join(filtered)} selects rows (data.filter), so it cannot be an input too"
            )
        if self.frequency == "step" and isinstance(self.split, DateSplit):
            raise ValueError(
                "a step index (frequency: step) has no dates; split it by fractions, "
                "e.g. split: {val: 0.2, test: 0.2}"
            )
        return self

    @property
    def columns(self) -> list[str]:
        """Model input columns read from the data: targets first, so target ``i`` is input
        feature ``i``, then past covariates, then future covariates."""
        return [*self.targets, *self.covariates, *self.future_covariates]

    @property
    def has_known_inputs(self) -> bool:
        """Whether the model gets inputs over the horizon (future covariates, calendar)."""
        return bool(self.future_covariates or self.calendar or self.holidays)
