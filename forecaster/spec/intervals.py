"""``intervals``: prediction intervals, by split conformal prediction or a quantile head."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from forecaster.spec.base import Strict


def quantile_pair(level: int) -> tuple[float, float]:
    """The lower and upper quantile of a central ``level`` percent range: 80 -> (0.1, 0.9).
    Rounded, so that every place that looks a quantile up finds the same number."""
    tail = round((100 - level) / 200, 6)
    return tail, round(1 - tail, 6)


class IntervalSpec(Strict):
    """Prediction intervals at these levels (percent): split conformal prediction on the
    validation windows, or a quantile head trained on the pinball loss (conformalised on
    validation unless ``conformalize`` is false)."""

    levels: list[int] = Field(
        default=[80, 95],
        min_length=1,
        description="Percentages between 1 and 99: a prediction interval at each level, "
        "written as `<target>_lo_<level>` and `<target>_hi_<level>` beside each target.",
    )
    method: Literal["conformal", "quantile"] = Field(
        "conformal",
        description="`conformal`: split conformal prediction around the point forecast, "
        "from the errors of calibration windows; `quantile`: a quantile head trained on the "
        "pinball loss (needs `model.decoder: dense`).",
    )
    conformalize: bool = Field(
        True,
        description="`quantile`: move the head's range out or in on the calibration windows "
        "(conformalised quantile regression), so coverage holds even when the head is "
        "miscalibrated.",
    )
    calibration: Literal["rolling", "validation"] = Field(
        "rolling",
        description="`rolling`: each test window is calibrated on the latest windows whose "
        "errors are known at its origin (validation first, then earlier test windows); "
        "`validation`: on the validation windows alone.",
    )
    calibration_windows: int | None = Field(
        None,
        ge=10,
        le=10_000_000,
        description="`rolling`: how many recent windows calibrate. Unset: as many as the "
        "validation period has.",
    )

    @property
    def quantiles(self) -> list[float]:
        """The head's quantiles: both ends of every level's range, and the median."""
        if self.method != "quantile":
            return []
        return sorted({0.5, *(q for level in self.levels for q in quantile_pair(level))})

    @field_validator("levels")
    @classmethod
    def _percentages(cls, levels: list[int]) -> list[int]:
        if any(level < 1 or level > 99 for level in levels):
            raise ValueError(f"levels are percentages between 1 and 99, got {levels}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"a level is listed twice: {levels}")
        return sorted(levels)
