"""``window``: how many steps the model reads and how many it forecasts."""

from __future__ import annotations

from pydantic import Field, field_validator

from forecaster.spec.base import Strict


class WindowSpec(Strict):
    lookback: int = Field(
        96,
        ge=1,
        le=100_000,
        description="Input rows per forecast: how many past steps the model reads.",
    )
    horizon: int = Field(
        24, ge=1, le=100_000, description="Steps forecast at once, after the last input row."
    )
    pad: bool = Field(
        False,
        description="Keep windows whose input would reach before the series' first row: "
        "the missing input rows are padded (0 on the scaled columns, the series' centre; "
        "0 on the calendar columns) and an extra input column is 1 on observed rows, 0 on "
        "padded ones. A series then needs only window.horizon rows in the validation and "
        "test periods and a season of training rows (none of its own training window "
        "when its training period is shorter than horizon + 1 rows: the model learnt "
        "from the other series forecasts it), and predict accepts a history shorter than "
        "the lookback. False: a series without lookback + horizon rows in every period is "
        "left out.",
    )
    lags: list[int] = Field(
        default_factory=list,
        max_length=8,
        description="Seasonal lag inputs, as DeepAR has them: for each lag L, every input "
        "row also carries each target's scaled value L rows earlier in its series (0, the "
        "series' centre, where that row is before the series' first), so the network reads "
        "last year's value beside this month's at every step; e.g. [12, 24] for monthly "
        "data. Empty: none.",
    )

    @field_validator("lags")
    @classmethod
    def _lags_positive_and_distinct(cls, lags: list[int]) -> list[int]:
        if any(lag < 1 or lag > 100_000 for lag in lags):
            raise ValueError(f"every lag is a number of rows from 1 to 100000; found {lags}")
        if len(set(lags)) != len(lags):
            raise ValueError(f"a lag appears twice in {lags}; list each once")
        return lags
