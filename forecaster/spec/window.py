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
