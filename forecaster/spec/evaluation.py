"""``evaluation``: how forecasts are scored, against which baselines, over which folds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forecaster.spec.base import Strict

TrainingRange = Literal["expanding", "sliding"]


class EvaluationSpec(Strict):
    """How forecasts are scored: the baselines' season and the backtest's folds."""

    season: int | None = Field(None, ge=1, le=100_000)  # None: from the data's frequency
    folds: int = Field(5, ge=1, le=1000)
    window: TrainingRange = "expanding"
    # scored beside the model besides naive and seasonal naive (statsforecast, per series)
    baselines: list[Literal["auto_ets", "theta"]] = []
    # baseline: forecast each horizon step where naive or seasonal naive beat the model on
    # the validation windows with that baseline instead (the validation gate decides)
    fallback: Literal["none", "baseline"] = "none"
