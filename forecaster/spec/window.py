"""``window``: how many steps the model reads and how many it forecasts."""

from __future__ import annotations

from pydantic import Field

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
