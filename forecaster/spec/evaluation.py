"""``evaluation``: how forecasts are scored, against which baselines, over which folds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from forecaster.spec.base import Strict

TrainingRange = Literal["expanding", "sliding"]
Statistical = Literal["auto_ets", "theta"]


class EvaluationSpec(Strict):
    """How forecasts are scored: the baselines' season and the backtest's folds."""

    season: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Season m of the seasonal-naive baseline and of MASE's scale. Unset: from "
        "the data's frequency: steps per day below daily (hourly: 24), daily 7, weekly 52, "
        "monthly 12, quarterly 4.",
    )
    folds: int = Field(
        5,
        ge=1,
        le=1000,
        description="`forecast backtest`: how many consecutive blocks the test period is "
        "split into, each the test block of one refit.",
    )
    window: TrainingRange = Field(
        "expanding",
        description="`forecast backtest`: fit each fold on all earlier rows (`expanding`), or "
        "on a fixed-length range that moves with the fold (`sliding`).",
    )
    baselines: list[Statistical] = Field(
        [],
        description="More baselines scored beside naive and seasonal naive: statsforecast's "
        "`auto_ets` and `theta`, fit per series on its training rows.",
    )
    combine: list[Statistical] = Field(
        [],
        description="Statistical baselines the bundle combines with the network: per "
        "horizon step, convex weights (non-negative, summing to one) of the network's and "
        "these baselines' forecasts, fit on the validation windows by least absolute error "
        "on each series' MASE scale. The combination is then the model that is scored, "
        "saved and forecast (the network alone is scored beside it). Each is also scored "
        "as a baseline. Not with `fallback: baseline` or `intervals.method: quantile`.",
    )
    fallback: Literal["none", "baseline"] = Field(
        "none",
        description="`baseline`: the bundle forecasts each horizon step where naive or "
        "seasonal naive beat the model on the validation windows with that baseline (the "
        "validation gate decides). Not with `intervals.method: quantile`.",
    )

    @field_validator("combine")
    @classmethod
    def _combine_once_each(cls, combine: list[str]) -> list[str]:
        if len(set(combine)) < len(combine):
            raise ValueError(
                f"evaluation.combine names a baseline twice ({combine}); list each once"
            )
        return combine

    @property
    def statistical(self) -> list[str]:
        """Every statistical baseline scored: ``baselines``, then those of ``combine``
        not among them."""
        return list(dict.fromkeys([*self.baselines, *self.combine]))
